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
Metric depth against ground truth (issue 13) -> benchmarks/depth.md.

    bash scripts/make_depth_sequences.sh out/depth        # the generated sequences (eval venv with
    anny) pose3d-bench depth out/depth/* --clip data/vtest_200.mp4    # or python -m
    pose3d_ros.tools.bench_depth ...

Runs `pose3d-eval --oracle-boxes` (GT boxes: detection does not mix in) once per floor: `off`
(network only), `camera` (the sequence's true camera height, pitch and roll as parameters),
`estimate` (floor from people's feet, height from the height prior) and `estimate-height` (floor
from feet, true height given). Columns: median root error over the distance, of tracks (all frames;
people at <= 5 m; tracks older than 3 s; frames with both GT ankles outside the image), share of
root errors inside the published 2-sigma ellipsoid, median published sigma along the ray over the
distance for tracks younger than 1 s / older than 3 s, the estimated floor after 5 s (normal error,
height error), and the tracked MRPE.

With --clip (the demo's data/vtest_200.mp4, camera height and pitch unknown): pose3d-run over every
frame with the floor off and estimated (default), the median frame-to-frame root jump scaled to 10
Hz, and top/side views of the root paths written next to the table
(benchmarks/depth_<clip>_<floor>.png, linked from the repository root as BENCHMARKS.md collects
this table).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from pose3d_ros.tools.bench_stamp import publish
from pose3d_ros.tools.eval import build_parser as eval_parser
from pose3d_ros.tools.eval import run

FLOORS = ('off', 'camera', 'estimate', 'estimate-height')


def _pct(v: float, digits: int = 1) -> str:
    return '–' if not math.isfinite(v) else f'{100 * v:.{digits}f}%'


def table(reports: dict[str, dict]) -> str:
    """Markdown table, one row per (sequence, floor)."""
    head = (
        '| sequence | floor | root err / dist | ≤ 5 m | track ≥ 3 s | feet out (n) | in 2σ '
        '| σ/dist < 1 s → ≥ 3 s '
        '| floor normal err | floor height err | MRPE mm |'
    )
    lines = [head, '|' + '---|' * 11]
    names = list(next(iter(reports.values()))['sequences'])
    for name in names:
        for floor, rep in reports.items():
            s = rep['sequences'][name]
            d = s['depth']
            normal = (
                '–'
                if not math.isfinite(d['plane_normal_deg'])
                else f"{d['plane_normal_deg']:.2f}°"
            )
            mrpe = s['tracked'].get('mrpe', float('nan'))
            h = d['plane_height_rel']
            height = '–' if not math.isfinite(h) else f'{100 * h:+.1f}%'
            lines.append(
                f"| {name} | {floor} | {_pct(d['rel'])} | {_pct(d['rel_1_5m'])} |"
                f" {_pct(d['rel_after_3s'])} | {_pct(d['rel_feet_out'])} ({d['n_feet_out']}) |"
                f" {_pct(d['in_2sigma'], 0)} | {_pct(d['sigma_young'])} → {_pct(d['sigma_old'])} |"
                f' {normal} | {height} |'
                f" {'–' if not math.isfinite(mrpe) else f'{1e3 * mrpe:.0f}'} |"
            )
    return '\n'.join(lines)


def clip_run(clip: Path, floor: str, out_dir: Path) -> dict:
    """
    pose3d-run over a clip with ground_plane_source `floor`.

    Its picture and median root jump (10 Hz)
    """
    import json
    import tempfile

    import numpy as np
    from pose3d_ros.tools import render
    from pose3d_ros.tools import run as pose3d_run

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / 'tracks.json'
        pose3d_run.main(
            [str(clip), '-o', str(out), '--ground-plane-source', floor, '--no-progress']
        )
        data = json.loads(out.read_text())
    hips = [data['joint_names'].index('left_hip'), data['joint_names'].index('right_hip')]
    frames = []
    for f in data['frames']:
        people = []
        for p in f['people']:
            j = np.array(
                [[np.nan if v is None else v for v in row] for row in p['joints']], np.float64
            )
            people.append(
                {'id': p['id'], 'state': p['state'], 'joints': j, 'root': j[hips].mean(axis=0)}
            )
        frames.append({'stamp': f['stamp'], 'people': people})
    picture = out_dir / f'depth_{clip.stem}_{floor}.png'
    render.render_tracks_picture(
        frames, data['edges'], picture, f'{clip.name}: pose3d-run, ground_plane_source {floor}'
    )
    return {
        'frames': len(frames),
        'tracks': len({p['id'] for f in frames for p in f['people']}),
        'jump': render.root_jump(frames),
        'picture': picture.name,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='bench_depth', description=__doc__.splitlines()[0])
    p.add_argument('sequences', nargs='*', help='sequence folders (default: out/depth/*)')
    p.add_argument('--crop-model', default='blazepose_full')
    p.add_argument(
        '--floors', default=','.join(FLOORS), help='comma-separated subset of ' + ', '.join(FLOORS)
    )
    p.add_argument(
        '--clip', type=Path, default=None, help='also the demo clip (e.g. data/vtest_200.mp4)'
    )
    p.add_argument('--output', '--out', dest='out', type=Path, default=Path('benchmarks/depth.md'))
    args = p.parse_args(argv)
    seqs = args.sequences or sorted(str(q.parent) for q in Path('out/depth').glob('*/gt.npz'))
    if not seqs:
        p.error('no sequences: make them with scripts/make_depth_sequences.sh out/depth')
    reports = {}
    for floor in args.floors.split(','):
        reports[floor] = run(
            eval_parser().parse_args(
                seqs + ['--crop-model', args.crop_model, '--oracle-boxes', '--floor', floor]
            )
        )
    names = ', '.join(f'`{Path(s).name}`' for s in seqs)
    text = '\n'.join(
        [
            '## Metric depth on generated sequences (ground truth, GT boxes)',
            '',
            (
                f'Crop model `{args.crop_model}`. Sequences: {names}'
                ' (scripts/make_depth_sequences.sh). Errors are medians over the published'
                " tracks' frames; root = hip midpoint."
            ),
            '',
            table(reports),
            '',
        ]
    )
    if args.clip is not None:
        lines = [
            '',
            f'### Demo clip `{args.clip.name}` (camera height and pitch unknown)',
            '',
            '| ground_plane_source | frames | tracks | median root jump per 100 ms | picture |',
            '|---|---|---|---|---|',
        ]
        for floor in ('off', 'auto'):
            r = clip_run(args.clip, floor, args.out.parent)
            lines.append(
                f"| {floor} | {r['frames']} | {r['tracks']} | {100 * r['jump']:.1f} cm | "
                f"![{floor}](benchmarks/{r['picture']}) |"
            )
        text += '\n'.join(lines) + '\n'
    publish('depth', text, argv, args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
