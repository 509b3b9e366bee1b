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
Tracking benchmark.

Update time vs number of people, smoothing quality, IDF1 / ID switches on synthetic scenes.

Prints a Markdown table and writes it to benchmarks/tracking.md (or --out).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from pose3d_ros.tools.bench_stamp import publish
from pose3d_ros.tracking import Tracker, TrackerConfig
from pose3d_ros.tracking.metrics import mot_metrics, run_tracker, smoothing_metrics
from pose3d_ros.tracking.synthetic import generate, SceneConfig

IMAGE_SIZE = (640, 480)  # px, the synthetic camera's


def update_time_ms(num_people: int, seconds: float, seed: int = 0) -> float:
    """Median wall time of Tracker.update, ms, on a crowd scene with num_people people in view."""
    frames = generate(
        SceneConfig(kind='crowd', num_people=num_people, duration_s=seconds, seed=seed)
    )
    tracker = Tracker(TrackerConfig())
    times = []
    for f in frames:
        t0 = time.perf_counter()
        tracker.update(
            f.stamp,
            f.joints,
            f.boxes,
            f.scores,
            f.joint_conf,
            f.keypoints2d,
            image_size=IMAGE_SIZE,
        )
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times[len(times) // 5:]))  # skip the start-up frames


def node_tracker_config() -> TrackerConfig:
    """
    Return the tracker settings of pose3d_node.

    Pose3DConfig() through the frame processor's mapping
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.processor import tracker_config

    # root None: the node's default skeleton has no pelvis joint
    return tracker_config(Pose3DConfig(), None)


def scene_rows(quick: bool) -> list[tuple[str, str, object]]:
    """
    (name, settings, MotResult) per synthetic scene.

    With TrackerConfig() and with the node's settings
    """
    dur = 20.0 if quick else 40.0
    scenes = [
        ('walk, 6 people, seed 2', SceneConfig(kind='walk', num_people=6, duration_s=dur, seed=2)),
        ('walk, 6 people, seed 5', SceneConfig(kind='walk', num_people=6, duration_s=dur, seed=5)),
        (
            'walk, variable fps (+-50 %, 15 % dropped), seed 7',
            SceneConfig(
                kind='walk', num_people=5, duration_s=dur, fps_jitter=0.5, drop_rate=0.15, seed=7
            ),
        ),
        (
            'crowd, 30 people, seed 3',
            SceneConfig(kind='crowd', num_people=30, duration_s=dur / 4, seed=3),
        ),
        (
            'occlusion, 0.6 s full occlusion, seed 1',
            SceneConfig(kind='occlusion', duration_s=5.0, full_occlusion=True, seed=1),
        ),
        (
            'walk, 6 people, full occlusions, seed 2',
            SceneConfig(kind='walk', num_people=6, duration_s=dur, full_occlusion=True, seed=2),
        ),
    ]
    rows = []
    for name, cfg in scenes:
        frames = generate(cfg)
        for settings, config in (
            ('TrackerConfig()', TrackerConfig()),
            ('node', node_tracker_config()),
        ):
            rows.append(
                (
                    name,
                    settings,
                    mot_metrics(frames, run_tracker(Tracker(config), frames, IMAGE_SIZE)),
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--output',
        '--out',
        dest='out',
        default='benchmarks/tracking.md',
        help='Markdown file to write',
    )
    parser.add_argument('--quick', action='store_true', help='shorter scenes')
    args = parser.parse_args(argv)

    lines = [
        '## Tracking benchmark\n',
        (
            f'numpy {np.__version__}. Synthetic scenes, 30 Hz, per-joint noise 2.5 cm, root-depth'
            ' noise 7 cm, 5 % missed detections, 0.2 false positives/frame.\n'
        ),
        '### Update time (median, crowd scene, seed 0)\n',
        '| people | ms / update |',
        '|---:|---:|',
    ]
    for n in (1, 5, 10, 20):
        lines.append(f'| {n} | {update_time_ms(n, 3.0 if args.quick else 6.0):.3f} |')

    single = generate(SceneConfig(kind='single', duration_s=12.0, seed=4))
    m = smoothing_metrics(Tracker(), single)
    n = smoothing_metrics(Tracker(node_tracker_config()), single)
    lines += [
        '\n### Smoothing (one person walking a 1.5 m circle at 1.2 m/s, 30 Hz, seed 4)\n',
        '| metric | raw input | TrackerConfig() | node settings |',
        '|---|---:|---:|---:|',
        (
            f"| joint acceleration error, mm/frame^2 | {m['accel_raw_mm']:.1f} |"
            f" {m['accel_filtered_mm']:.1f} | {n['accel_filtered_mm']:.1f} |"
        ),
        (
            f"| acceleration error reduction | | {m['accel_reduction_pct']:.1f} % |"
            f" {n['accel_reduction_pct']:.1f} % |"
        ),
        (
            f"| MPJPE (absolute), mm | {m['mpjpe_raw_mm']:.1f} | {m['mpjpe_filtered_mm']:.1f} | "
            f"{n['mpjpe_filtered_mm']:.1f} |"
        ),
        (
            f"| lag, absolute joints (best shift), frames | | {m['lag_frames']:.2f} |"
            f" {n['lag_frames']:.2f} |"
        ),
        (
            f"| lag, root-relative joints, frames | | {m['lag_relative_frames']:.2f} | "
            f"{n['lag_relative_frames']:.2f} |"
        ),
    ]

    lines += [
        '\n### Identity (motmetrics, 3D match radius 0.5 m)\n',
        (
            "Each scene with `TrackerConfig()` and with the node's settings (`node`:"
            ' Pose3DConfig() through processor.tracker_config; smoothing beta 1.0 instead of 4.0).'
            ' Scenes: `tracking.synthetic`, seed in the name.\n'
        ),
        '| scene | settings | frames | IDF1 | ID switches | IDsw / 1000 frames | MOTA |',
        '|---|---|---:|---:|---:|---:|---:|',
    ]
    for name, settings, r in scene_rows(args.quick):
        lines.append(
            f'| {name} | {settings} | {r.frames} | {r.idf1:.3f} | {r.id_switches} | '
            f'{r.switches_per_1000:.2f} | {r.mota:.3f} |'
        )
    text = '\n'.join(lines) + '\n'
    publish('tracking', text, argv, args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
