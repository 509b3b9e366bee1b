# Copyright 2026 pose3d_ros developers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Node benchmarks.

Per-frame overhead of everything except network inference, and stamp-to-publish latency of the real
node at 30 Hz input.

Overhead (5 people, 640x480): image message -> RGB, perspective crops, absolute reconstruction,
filters, tracking, Skeleton3DArray + MarkerArray building and serialization. The networks are
replaced by fixed outputs so that only our code is timed. Latency: the demo path (player -> node ->
recorder) on the clip played at 30 Hz; percentiles of (time recorded - image stamp).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import tempfile
import time

import numpy as np
from pose3d_ros.models.base import CropPrediction, Detections
from pose3d_ros.tools.bench_stamp import publish


class FixedDetector:

    def __init__(self, boxes):
        self.boxes = np.asarray(boxes, np.float32)

    def detect(self, image):
        return Detections(self.boxes.copy(), np.full(len(self.boxes), 0.9, np.float32))


class FixedCropModel:
    """BlazePose-shaped outputs of a standing person, as if the network had run."""

    skeleton, input_size = 'blazepose_33', 256

    def __init__(self):
        from pose3d_ros.core.skeletons import BLAZEPOSE_33, template_pose

        rel = template_pose(BLAZEPOSE_33)  # (33, 3) metres
        self.rel = (rel - np.nanmean(rel, axis=0)).astype(np.float32)
        self.uv = (128 + self.rel[:, :2] * 80).astype(np.float32)  # (33, 2) crop pixels

    def predict(self, crops):
        n = len(crops)
        return CropPrediction(
            np.repeat(self.uv[None], n, 0),
            np.repeat(self.rel[None], n, 0),
            np.full((n, 33), 0.9, np.float32),
        )


def overhead_ms(people: int, repeats: int) -> dict[str, float]:
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.core.camera import Camera
    from pose3d_ros.core.skeletons import BLAZEPOSE_33
    from pose3d_ros.pipeline import Pose3DPipeline
    from pose3d_ros.processor import FrameProcessor
    from pose3d_ros.ros import conversions
    from pose3d_ros.ros.image_conversion import image_to_rgb, rgb_to_image_fields
    from pose3d_ros.ros.markers import MarkerBuilder
    from rclpy.serialization import serialize_message
    from std_msgs.msg import Header

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    fields = rgb_to_image_fields(image, 'bgr8')
    from types import SimpleNamespace

    msg = SimpleNamespace(**fields)
    boxes = [[40 + 110 * i, 100, 80, 220] for i in range(people)]
    processor = FrameProcessor(
        Pose3DConfig(), Pose3DPipeline(FixedDetector(boxes), FixedCropModel())
    )
    markers = MarkerBuilder(BLAZEPOSE_33)
    camera = Camera.from_fov(640, 480)
    stages = {
        'image': [],
        'pipeline (crops, reconstruct, filters)': [],
        'track': [],
        'messages': [],
        'total': [],
    }
    for k in range(repeats):
        t0 = time.perf_counter()
        rgb = image_to_rgb(msg)
        t1 = time.perf_counter()
        result = processor.process(rgb, camera, k / 30)
        tracks = result.tracks
        t3 = time.perf_counter()
        t2 = t3 - result.timings['track']
        header = Header(frame_id='cam')
        serialize_message(conversions.tracks_to_msg(tracks, header, 'blazepose_33'))
        serialize_message(markers.build(tracks, header, 1 / 30))
        t4 = time.perf_counter()
        for key, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
            stages[key].append(value * 1e3)
    return {k: float(np.median(v)) for k, v in stages.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=100)
    parser.add_argument(
        '--latency-frames', type=int, default=150, help='frames played at 30 Hz (0: skip)'
    )
    args = parser.parse_args(argv)
    lines = [
        '## Node\n',
        '### Overhead per frame without network inference (median ms, 640x480 bgr8)\n',
        '| people | image | pipeline (crops, reconstruct, filters) | track | messages | total |',
        '|---:|---:|---:|---:|---:|---:|',
    ]
    for people in (1, 5, 10):
        r = overhead_ms(people, args.repeats)
        lines.append(f'| {people} | ' + ' | '.join(f'{v:.2f}' for v in r.values()) + ' |')
        print(lines[-1], flush=True)
    if args.latency_frames:
        from pose3d_ros.tools import demo

        with tempfile.TemporaryDirectory() as tmp:
            s = demo.run_demo(
                demo.DEFAULT_CLIP, Path(tmp) / 'latency', args.latency_frames, 30.0, []
            )
        lines += [
            '',
            '### Real node, clip played at 30 Hz (default models, CPU)\n',
            (
                '| frames in | frames out | processed fps | dropped | latency p50 ms | latency p95'
                ' ms |'
            ),
            '|---:|---:|---:|---:|---:|---:|',
            (
                f"| {s['frames_published']} | {s['frames_processed']} | {s['processed_fps']:.1f} |"
                f" {s.get('dropped_frames', 'n/a')} | {s['latency_ms_p50']:.0f} |"
                f" {s['latency_ms_p95']:.0f} |"
            ),
            '',
            (
                'Latency = time the recorder received the skeletons - image stamp. The node always'
                ' works on the newest frame and drops the ones that arrive while it is busy, so'
                ' latency stays bounded when the camera is faster than inference.'
            ),
        ]
    publish('node', '\n'.join(lines) + '\n', argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
