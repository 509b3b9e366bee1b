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
Accuracy table from ``pose3d-eval`` on generated sequences -> benchmarks/accuracy.md.

    python -m pose3d_ros.tools.bench_accuracy [SEQ ...] [--out benchmarks/accuracy.md]

Sequences default to the ones ``pose3d-bench sequences`` makes under ``out/eval/`` (fixed seeds,
see ``bench_sequences.SEQUENCES``), else the committed ``test/fixtures/eval_seq_small``; the table
records each sequence's seed and scene settings from its meta.json.  Two runs: the real detector,
and GT boxes fed in (``--oracle-boxes``), which separates detection errors from pose/root errors.
The closing reading is derived from the numbers (error split into detection, relative pose, root
depth, scale).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pose3d_ros.tools.bench_sequences import DEFAULT_DIR, SEQUENCES
from pose3d_ros.tools.bench_stamp import publish, ROOT
from pose3d_ros.tools.eval import build_parser as eval_parser
from pose3d_ros.tools.eval import run


def default_sequences() -> list[str]:
    found = [
        str(DEFAULT_DIR / name) for name in SEQUENCES if (DEFAULT_DIR / name / 'gt.npz').is_file()
    ]
    return found or [str(ROOT / 'test' / 'fixtures' / 'eval_seq_small')]


def describe(seq: str, frames: int, people: int) -> str:
    """`name` (frames, people, seed and the scene settings that made it, from meta.json)."""
    cfg = json.loads((Path(seq) / 'meta.json').read_text()).get('config', {})
    keys = (
        'seed',
        'people',
        'frames',
        'motions',
        'dist_min',
        'dist_max',
        'hfov_deg',
        'distortion',
    )
    settings = ', '.join(f'{k} {cfg[k]}' for k in keys if k in cfg)
    return f'`{Path(seq).name}` ({frames} frames, {people} people; {settings})'


# share of a 3D Gaussian inside its 2-sigma ellipsoid (chi-square, 3 degrees of freedom: 0.739)
GAUSSIAN_3D_2SIGMA = 0.74


def reading(det: dict, oracle: dict) -> list[str]:
    """Plain-language split of the error, from the pooled rows."""
    f, o = det['overall']['frame'], oracle['overall']['frame']
    mm = lambda v: f'{1e3 * v:.0f} mm'  # noqa: E731
    out = [
        f"- Detection: recall {f['recall']:.2f}, precision {f['precision']:.2f} with the default"
        f" detector ({f['fn']} missed, {f['fp']} false people); with GT boxes recall is"
        f" {o['recall']:.2f} (the remainder are poses the pipeline's pose-score / plausibility"
        ' filters dropped).'
    ]
    out.append(
        f"- Relative pose (GT boxes): PA-MPJPE {mm(o['pa_mpjpe'])}, root-relative MPJPE"
        f" {mm(o['rr_mpjpe'])}, 3DPCK@150 rel {100 * o['pck_rel']:.0f}%; size ratio"
        f" {o['scale_ratio']:.2f} (pred/GT skeleton size)."
    )
    z_share = o['mrpe_z'] / max(o['mrpe'], 1e-9)
    out.append(
        f"- Root: MRPE {mm(o['mrpe'])} (x {mm(o['mrpe_x'])}, y {mm(o['mrpe_y'])}, z"
        f" {mm(o['mrpe_z'])}); depth is {100 * z_share:.0f}% of it; median depth ratio"
        f" {o['depth_ratio']:.2f}. A depth ratio that tracks the size ratio means the root depth"
        " error is mostly the model's scale assumption (a small skeleton is placed nearer), not"
        ' the fit.'
    )
    out.append(
        f"- Absolute: MPJPE {mm(o['mpjpe'])} vs root-relative {mm(o['rr_mpjpe'])}: the absolute"
        ' error is'
        f" {'dominated by the root' if o['mrpe'] > o['rr_mpjpe'] else 'mostly relative pose'};"
        f" 3DPCK@150 abs {100 * o['pck_abs']:.0f}%."
    )
    t = oracle['overall']['tracked']
    out.append(
        f"- Tracking (GT boxes): IDF1 {t['idf1']:.2f}, {t['id_switches']} ID switches, MOTA"
        f" {t['mota']:.2f}; acceleration error {o['accel_error']:.1f} m/s² on per-frame output vs"
        f" {t['accel_error']:.1f} after the tracker's smoothing."
    )
    shares = {
        name: seq['depth']['in_2sigma']
        for name, seq in oracle['sequences'].items()
        if 'depth' in seq
    }
    if shares:
        cover = ', '.join(f'{name} {100 * v:.0f}%' for name, v in shares.items())
        low = [name for name, v in shares.items() if v < GAUSSIAN_3D_2SIGMA]
        out.append(
            '- Covariance (GT boxes, true floor): share of the tracked roots whose error lies'
            ' inside the published 2-sigma ellipsoid (3D:'
            f' {100 * GAUSSIAN_3D_2SIGMA:.0f}% for an exact Gaussian): {cover}.'
            + (
                f" Below that: {', '.join(low)}, off by more than the covariance says."
                if low
                else ''
            )
            + ' benchmarks/depth.md has the walkers.'
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='bench_accuracy', description=__doc__.splitlines()[0])
    p.add_argument('sequences', nargs='*')
    p.add_argument('--crop-model', default='blazepose_full')
    p.add_argument('--max-frames', type=int, default=None)
    p.add_argument(
        '--output', '--out', dest='out', type=Path, default=Path('benchmarks/accuracy.md')
    )
    args = p.parse_args(argv)
    seqs = args.sequences or default_sequences()
    common = (
        seqs
        + ['--crop-model', args.crop_model]
        + (['--max-frames', str(args.max_frames)] if args.max_frames else [])
    )
    det = run(eval_parser().parse_args(common))
    oracle = run(eval_parser().parse_args(common + ['--oracle-boxes']))
    names = '; '.join(
        describe(
            s, det['sequences'][Path(s).name]['frames'], det['sequences'][Path(s).name]['people']
        )
        for s in seqs
    )
    text = '\n'.join(
        [
            '## Accuracy on generated sequences (ground truth)',
            '',
            (
                f'Crop model `{args.crop_model}`, compared joints:'
                f" {', '.join(det['compared_joints'])} (root = hip midpoint). Sequences (re-made"
                f' by `pose3d-bench sequences`): {names}. Rows `frame` score the per-frame'
                " pipeline output, `tracked` the tracker's tracks. Metric definitions:"
                ' `pose3d_ros/eval/metrics.py`.'
            ),
            '',
            f"### Default detector (`{det['detector']}`)",
            '',
            det['markdown'],
            '',
            '### GT boxes fed in (detection removed from the error)',
            '',
            oracle['markdown'],
            '',
            '### Reading',
            '',
            *reading(det, oracle),
            '',
        ]
    )
    publish('accuracy', text, argv, args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
