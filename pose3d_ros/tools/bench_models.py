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
Per-frame CPU time of the shipped models (default detector + BlazePose) with 1, 3 and 5 people.

Versus MediaPipe Pose.

    python -m pose3d_ros.tools.bench_models [--models blazepose_lite blazepose_full] [--repeats 15]

Frames: 640 x 480, built from the committed test photos (test/fixtures/images): k vertical strips,
each a real photo cropped around one person and resized to fill its strip. MediaPipe Pose 0.10.21
(legacy `solutions.pose`, static_image_mode=True, model_complexity=1: pose detector + the same full
landmark network on every frame) runs on the same frames in its own environment (`.venv-mediapipe`,
numpy<2) as a subprocess of this run; it follows one person per frame by design. Times are medians
of wall-clock time per frame on the CPU (all cores available), measured in `--rounds` interleaved
rounds (ours, then MediaPipe, again and again) so that machine load affects both alike.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import statistics
import subprocess
import tempfile
import time

import cv2
import numpy as np
from pose3d_ros.tools.bench_stamp import publish

ROOT = Path(__file__).resolve().parents[2]
SIZE = (640, 480)  # frame width, height
# (photo, person box x, y, w, h in pixels of the photo): people from the committed photos.
PEOPLE = (
    ('basketball1', 30, 80, 129, 398),
    ('camera', 1, 67, 301, 445),
    ('basketball2', 439, 20, 199, 453),
    ('messi5', 83, 65, 363, 262),
    ('basketball2', 32, 83, 123, 394),
)

MEDIAPIPE_SCRIPT = r"""
import json, sys, time
import numpy as np
import mediapipe as mp
frames = np.load(sys.argv[1])
repeats = int(sys.argv[2])
out = {}
with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
    for key in frames.files:
        img = np.ascontiguousarray(frames[key])
        res = pose.process(img)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            res = pose.process(img)
            times.append(time.perf_counter() - t)
        out[key] = {"times": times, "people": int(res.pose_landmarks is not None)}
print(json.dumps(out))
"""


def make_frame(k: int, image_dir: Path) -> np.ndarray:
    """(480, 640, 3) uint8 RGB with k people side by side (strips of width 640 / k)."""
    w, h = SIZE
    frame = np.zeros((h, w, 3), np.uint8)
    edges = np.linspace(0, w, k + 1).round().astype(int)
    for i in range(k):
        name, bx, by, bw, bh = PEOPLE[i % len(PEOPLE)]
        photo = cv2.cvtColor(cv2.imread(str(image_dir / f'{name}.jpg')), cv2.COLOR_BGR2RGB)
        sw = edges[i + 1] - edges[i]
        # Region around the person with the strip's aspect ratio and 10 % margin, centred on the
        # box.
        scale = max(bw * 1.1 / sw, bh * 1.1 / h)
        cx, cy = bx + bw / 2, by + bh / 2
        M = np.array([[1 / scale, 0, sw / 2 - cx / scale], [0, 1 / scale, h / 2 - cy / scale]])
        strip = cv2.warpAffine(
            photo,
            M,
            (sw, h),
            flags=cv2.INTER_AREA,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(96, 96, 96),
        )
        frame[:, edges[i]: edges[i + 1]] = strip
    return frame


def time_pipeline(processor, frame: np.ndarray, camera, repeats: int) -> tuple[list[dict], int]:
    """
    Stage timings (s) of `repeats` runs of the FrameProcessor on one frame as a still image.

    Tracks are reset before each run, so every run detects; 2 warm-up runs come first. Returns the
    timings and the number of people found.
    """

    def once():
        processor.reset()
        return processor.process(frame, camera, 0.0)

    for _ in range(2):
        result = once()
    return [once().timings for _ in range(repeats)], len(result.poses)


def time_mediapipe(python: Path, frames: dict[str, np.ndarray], repeats: int) -> dict | None:
    """
    {key: {'times', 'people'}} from MediaPipe in its own environment.

    Or None if it is not installed
    """
    if not python.is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'frames.npz'
        np.savez(path, **frames)
        proc = subprocess.run(
            [str(python), '-c', MEDIAPIPE_SCRIPT, str(path), str(repeats)],
            capture_output=True,
            text=True,
            timeout=900,
        )
    if proc.returncode != 0:
        print(f'MediaPipe run failed: {proc.stderr[-500:]}')
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='bench_models', description=__doc__.splitlines()[0])
    parser.add_argument(
        '--models',
        nargs='+',
        default=['blazepose_lite', 'blazepose_full'],
        help='crop models from the registry (blazepose_lite, blazepose_full, blazepose_heavy)',
    )
    parser.add_argument('--people', nargs='+', type=int, default=[1, 3, 5])
    parser.add_argument(
        '--threads',
        nargs='+',
        type=int,
        default=[1, 2],
        help='ONNX Runtime intra-op threads (0 = library default)',
    )
    parser.add_argument('--repeats', type=int, default=5, help='timed runs per frame and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--mediapipe-python', type=Path, default=ROOT / '.venv-mediapipe' / 'bin' / 'python'
    )
    parser.add_argument('--image-dir', type=Path, default=ROOT / 'test' / 'fixtures' / 'images')
    parser.add_argument(
        '--output', '--out', dest='out', type=Path, default=Path('benchmarks') / 'models.md'
    )
    args = parser.parse_args(argv)

    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.core.camera import Camera
    from pose3d_ros.processor import FrameProcessor

    frames = {f'people_{k}': make_frame(k, args.image_dir) for k in args.people}
    camera = Camera.from_fov(*SIZE)
    t0 = time.perf_counter()
    pipelines = {
        (m, t): FrameProcessor(Pose3DConfig(crop_model=m, engine='onnxruntime', num_threads=t))
        for m in args.models
        for t in args.threads
    }
    # (model, threads) -> frame -> [timings]
    runs = {mt: {key: [] for key in frames} for mt in pipelines}
    found = {mt: {} for mt in pipelines}
    mp_runs: dict[str, dict] | None = {key: {'times': [], 'people': 0} for key in frames}
    for _ in range(args.rounds):
        for model, pipeline in pipelines.items():
            for key, frame in frames.items():
                timings, found[model][key] = time_pipeline(pipeline, frame, camera, args.repeats)
                runs[model][key] += timings
        mp_round = time_mediapipe(args.mediapipe_python, frames, args.repeats) if mp_runs else None
        if mp_round is None:
            mp_runs = None
        else:
            for key, r in mp_round.items():
                mp_runs[key]['times'] += r['times']
                mp_runs[key]['people'] = r['people']
    mp = mp_runs
    ours = {
        m: {
            key: {
                **{k: statistics.median(t[k] for t in ts) for k in ts[0]},
                'people': found[m][key],
            }
            for key, ts in per.items()
        }
        for m, per in runs.items()
    }

    lines = [
        '## models',
        '',
        f"Person detector `{Pose3DConfig().detector_model}` (the node's default) + BlazePose crop"
        " model through the node's frame processor (perspective crops, absolute reconstruction,"
        f' filter) on {SIZE[0]}x{SIZE[1]} frames built from the test photos, ONNX Runtime CPU;'
        f' median of {args.rounds} x {args.repeats} runs per frame. MediaPipe Pose 0.10.21 (static'
        ' images: detector + full landmark model every frame, one person at most) on the same'
        ' frames in the same run'
        + ('.' if mp else ' (n/a: .venv-mediapipe not found).')
        + " Ratio = our time / MediaPipe's time.",
        '',
        (
            '| crop model | ORT threads | people in frame | found | ours ms/frame | fps | detect'
            ' ms | crop model ms | MediaPipe ms/frame (people found) | ratio |'
        ),
        '|---|---|---|---|---|---|---|---|---|---|',
    ]
    for (model, threads), rows in ours.items():
        for key, r in rows.items():
            k = int(key.split('_')[1])
            if mp:
                mp_ms = 1000 * statistics.median(mp[key]['times'])
                mp_cell, ratio = (
                    f"{mp_ms:.1f} ({mp[key]['people']})",
                    f"{1000 * r['total'] / mp_ms:.2f}",
                )
            else:
                mp_cell, ratio = 'n/a', 'n/a'
            lines.append(
                f"| {model} | {threads} | {k} | {r['people']} | {1000 * r['total']:.1f} |"
                f" {1 / r['total']:.1f} | {1000 * r['detect']:.1f} | {1000 * r['model']:.1f} |"
                f' {mp_cell} | {ratio} |'
            )
    lines += [
        '',
        (
            "Target: >= 10 frames/s with 3 people at 640x480 on this 2-core machine. 'found' <"
            " people: a person the detector missed or whose crop the model's pose score rejected"
            ' (small people of the composed frames). With other processes on the CPU, 1 ONNX'
            ' Runtime thread is much faster than 2 (spinning threads). Benchmark wall time'
            f' {time.perf_counter() - t0:.0f} s.'
        ),
        '',
    ]
    publish('models', '\n'.join(lines), argv, args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
