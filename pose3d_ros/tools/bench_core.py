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
`pose3d-bench core`: CPU time of the geometry core per frame.

Per frame: perspective crops (`crop_geometry` + `warp_crops`), decoding of a MeTRAbs head output
(`decode_metrabs_head`, J joints, 8x8x8 volume at 256 px) and absolute reconstruction back to the
camera (`reconstruct_in_camera`), for 1/5/10/20 people at 640x480 and 1280x720, with a pinhole
camera and with plumb_bob distortion (remap grid instead of a homography). The network itself is
not timed. Prints a Markdown table and writes benchmarks/core.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import time

import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import crop_geometry, warp_crops
from pose3d_ros.core.decode import decode_metrabs_head
from pose3d_ros.core.reconstruct import reconstruct_in_camera
from pose3d_ros.tools.bench_stamp import publish


def _camera(width: int, height: int, lens: str) -> Camera:
    f = 0.5 * max(width, height) / np.tan(np.radians(55.0) / 2)
    k = [f, 0, (width - 1) / 2, 0, f, (height - 1) / 2, 0, 0, 1]
    d = [-0.25, 0.08, 0.0005, -0.0005, -0.01] if lens == 'plumb_bob' else []
    return Camera.from_camera_info(k, d, lens, width, height)


def _boxes(rng, n: int, width: int, height: int) -> np.ndarray:
    """(n, 4) person-like boxes (aspect 0.4) of 15-80 % of the image height, inside the image."""
    h = rng.uniform(0.15, 0.8, n) * height
    w = 0.4 * h
    x = rng.uniform(0, width - w)
    y = rng.uniform(0, height - h)
    return np.stack([x, y, w, h], axis=1)


def _median_ms(times: list[float]) -> float:
    return float(np.median(times)) * 1e3


def bench_case(
    width: int, height: int, lens: str, n: int, joints: int, res: int, repeats: int, seed: int = 0
) -> dict:
    """Median CPU times (ms) of each stage and of the whole, and the median wall-clock time."""
    rng = np.random.default_rng(seed)
    cam = _camera(width, height, lens)
    image = rng.integers(0, 256, (height, width, 3), np.uint8)
    side = res // 32
    logits = rng.normal(size=(n, joints * 9, side, side)).astype(np.float32)
    stages = {'crops': [], 'decode': [], 'reconstruct': [], 'total': [], 'wall': []}
    clock = time.process_time  # CPU time of this process (all its threads), not other load
    for _ in range(repeats + 2):  # two warm-up frames
        boxes = _boxes(rng, n, width, height)
        w0, t0 = time.perf_counter(), clock()
        geom = crop_geometry(cam, boxes, res=res)
        crops = warp_crops(image, cam, geom)
        t1 = clock()
        coords2d, coords3d = decode_metrabs_head(logits, joints, res=res)
        t2 = clock()
        poses = reconstruct_in_camera(coords2d, coords3d, geom)  # (n, J, 3) metres
        t3, w3 = clock(), time.perf_counter()
        assert crops.shape == (n, res, res, 3) and poses.shape == (n, joints, 3)
        for key, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0, w3 - w0)):
            stages[key].append(dt)
    return {k: _median_ms(v[2:]) for k, v in stages.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='pose3d-bench core', description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=50, help='frames per case (median)')
    parser.add_argument('--joints', type=int, default=24, help='joints per person (smpl_24: 24)')
    parser.add_argument('--res', type=int, default=256, help='crop side in pixels')
    parser.add_argument('--people', type=int, nargs='+', default=[1, 5, 10, 20])
    parser.add_argument('--output', type=Path, default=Path('benchmarks') / 'core.md')
    args = parser.parse_args(argv)

    rows = []
    for width, height in ((640, 480), (1280, 720)):
        for lens in ('none', 'plumb_bob'):
            for n in args.people:
                r = bench_case(width, height, lens, n, args.joints, args.res, args.repeats)
                rows.append(
                    f"| {width}x{height} | {lens} | {n} | {r['crops']:.2f} | {r['decode']:.2f} | "
                    f"{r['reconstruct']:.2f} | **{r['total']:.2f}** | {r['wall']:.2f} |"
                )
    table = '\n'.join(
        [
            '## core',
            '',
            (
                f'CPU time per frame in ms (process CPU time, median of {args.repeats} frames;'
                ' last column: wall-clock median, which includes waiting for a busy machine) of'
                f' perspective crops ({args.res} px, geometry + OpenCV warp with antialiasing),'
                f' decoding of a MeTRAbs head ({args.joints} joints, 2D heatmaps + 8-bin metric'
                ' volume) and absolute reconstruction. `plumb_bob`: lens undistortion folded into'
                ' the warp (remap grid). Target: 5 people <= 5 ms. Measured with `pose3d-bench'
                ' core`.'
            ),
            '',
            '| image | lens | people | crops | decode | reconstruct | total CPU | total wall |',
            '|---|---|---:|---:|---:|---:|---:|---:|',
            *rows,
            '',
        ]
    )
    publish('core', table, argv, args.output)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
