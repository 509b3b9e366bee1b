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
Per-stage timing of the full pipeline on real frames; fps against number of people; peak memory.

    pose3d-bench pipeline [--video data/vtest_200.mp4] [--frames 60] [--engine auto]

Stages (medians over frames, milliseconds): decode (image bytes / video frame -> RGB), detect, crop
(perspective warps), model (crop network), reconstruct (absolute fit + 2D back-mapping), filter
(plausibility + NMS), track. Publishing to ROS is not part of this benchmark (see the node
benchmark).  Peak memory: ``tracemalloc`` peak of Python-level allocations during the timed loop
(native buffers of ONNX Runtime are not traced) and the process's maximum resident set size
(``ru_maxrss``, includes everything, models included).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import resource
import time
import tracemalloc

import cv2
import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.tools.bench_stamp import publish, ROOT

DEFAULT_DETECTOR = Pose3DConfig().detector_model

STAGES = ('decode', 'detect', 'crop', 'model', 'reconstruct', 'filter', 'track', 'total')


def load_frames(video: Path | None, images: list[Path], limit: int) -> list[tuple[str, bytes]]:
    """
    Real frames as encoded bytes (so decoding is timed).

    Video frames re-encoded as JPEG q95, and images
    """
    out: list[tuple[str, bytes]] = []
    if video is not None and video.is_file():
        cap = cv2.VideoCapture(str(video))
        while len(out) < limit:
            ok, bgr = cap.read()
            if not ok:
                break
            out.append(
                (
                    video.name,
                    cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes(),
                )
            )
        cap.release()
    for p in images:
        out.append((p.name, p.read_bytes()))
    return out


def run(
    frames: list[tuple[str, bytes]],
    detector: str,
    crop_model: str,
    repeats: int,
    detector_interval: int = 1,
    engine: str = 'auto',
    device: str = 'auto',
) -> dict:
    """
    Time every stage per frame through the node's FrameProcessor.

    Returns per-frame records and memory peaks
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.core.camera import Camera
    from pose3d_ros.processor import FrameProcessor

    processor = FrameProcessor(
        Pose3DConfig(
            detector_model=detector,
            crop_model=crop_model,
            detector_interval=detector_interval,
            engine=engine,
            device=device,
        )
    )
    warm = cv2.cvtColor(
        cv2.imdecode(np.frombuffer(frames[0][1], np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    processor.process(warm, Camera.from_fov(warm.shape[1], warm.shape[0]), 0.0)  # warm-up
    records = []
    tracemalloc.start()
    for _ in range(repeats):
        processor.reset()
        for k, (_, data) in enumerate(frames):
            t0 = time.perf_counter()
            rgb = cv2.cvtColor(
                cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
            )
            t_dec = time.perf_counter() - t0
            cam = Camera.from_fov(rgb.shape[1], rgb.shape[0])
            result = processor.process(rgb, cam, 1.0 + k / 25.0)
            rec = {s: result.timings.get(s, 0.0) for s in STAGES[1:-1]}
            rec.update(decode=t_dec, people=len(result.poses))
            rec['total'] = t_dec + result.timings['total']
            records.append(rec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        'records': records,
        'tracemalloc_peak_mb': peak / 2**20,
        'engines': engines_created(processor.pipeline),
        'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def engines_created(pipeline) -> str:
    """
    Describe what was built for the detector and the crop model.

    Engine, provider, device and precision.
    """
    parts = []
    for role, part in (('detector', pipeline.detector), ('crop model', pipeline.crop_model)):
        engine = getattr(part, 'engine', None)
        text = getattr(engine, 'description', None) or getattr(engine, 'name', type(part).__name__)
        parts.append(f"{role}: {text.replace(str(ROOT) + '/', '')}")
    return '; '.join(parts)


def markdown(res: dict, args: argparse.Namespace, n_frames: int) -> str:
    recs = res['records']
    med = {s: 1e3 * float(np.median([r[s] for r in recs])) for s in STAGES}
    lines = [
        '## Pipeline stages',
        '',
        (
            f'Detector `{args.detector}`, crop model `{args.crop_model}`, detector_interval'
            f' {args.detector_interval}, engine `{args.engine}` on device `{args.device}`, which'
            f" built: {res['engines']}; node defaults otherwise (FrameProcessor); {n_frames} real"
            f' frames x {args.repeats} repeats (`{args.video}` + test/fixtures/images).'
        ),
        '',
        '| ' + ' | '.join(STAGES) + ' |',
        '|' + '---|' * len(STAGES),
        '| ' + ' | '.join(f'{med[s]:.1f} ms' for s in STAGES) + ' |',
        '',
        '| poses out | frames | median total ms | fps | model ms | crop ms |',
        '|---|---|---|---|---|---|',
    ]
    for n in sorted({r['people'] for r in recs}):
        sub = [r for r in recs if r['people'] == n]
        tot = float(np.median([r['total'] for r in sub]))
        lines.append(
            f'| {n} | {len(sub)} | {1e3 * tot:.1f} | {1 / tot:.1f} | '
            f"{1e3 * float(np.median([r['model'] for r in sub])):.1f} | "
            f"{1e3 * float(np.median([r['crop'] for r in sub])):.1f} |"
        )
    lines += [
        '',
        (
            'Peak memory: tracemalloc (Python allocations in the loop)'
            f" {res['tracemalloc_peak_mb']:.1f} MiB; max RSS of the process {res['maxrss_mb']:.0f}"
            ' MiB.'
        ),
        '',
    ]
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='bench_pipeline', description=__doc__.splitlines()[0])
    p.add_argument('--video', type=Path, default=Path('data/vtest_200.mp4'))
    p.add_argument('--images', type=Path, default=Path('test/fixtures/images'))
    p.add_argument('--frames', type=int, default=60, help='video frames to use')
    p.add_argument('--repeats', type=int, default=1)
    p.add_argument('--detector', default=DEFAULT_DETECTOR)
    p.add_argument('--crop-model', default='blazepose_full')
    p.add_argument(
        '--detector-interval', type=int, default=1, help='Pose3DConfig.detector_interval'
    )
    p.add_argument(
        '--engine', default='auto', help='Pose3DConfig.engine (auto: the best available)'
    )
    p.add_argument('--device', default='auto', help='Pose3DConfig.device')
    p.add_argument(
        '--output', '--out', dest='out', type=Path, default=Path('benchmarks/pipeline.md')
    )
    args = p.parse_args(argv)
    images = sorted(args.images.glob('*.jpg')) if args.images.is_dir() else []
    frames = load_frames(args.video, images, args.frames)
    if not frames:
        raise SystemExit('no frames: give --video or --images')
    result = run(
        frames,
        args.detector,
        args.crop_model,
        args.repeats,
        args.detector_interval,
        args.engine,
        args.device,
    )
    publish('pipeline', markdown(result, args, len(frames)), argv, args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
