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
pose3d-metrabs-parity DIR.

Our MeTRAbs code against the official outputs of a parity fixture folder.

    pose3d-metrabs-parity ../shared/metrabs_parity [--sets s256,l384] [--stage3-crops 0,4]
                          [--output benchmarks/parity.md]

Runs our crops (stage 1), our decoding + reconstruction + mapping on the stored logits (stage 2)
and our network with the recipe weights end to end (stage 3) on the inputs of every set of the
folder (format: metrabs_parity/README.md), prints max and median differences per stage and quantity
with the README's suggested tolerances, and exits 0 only when every bounded row is within them (1
when one is not, 2 when the folder cannot be read). Crops with no point in the field of view are
left out of the bounded rows (the official result collapses there) and reported in their own rows;
the official `grouped` results (batch-wide RMS normalisation) are reported without a bound.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
import sys
import time

import numpy as np
from pose3d_ros.tools import parity_stages as ps


@dataclass
class Row:
    """
    One compared quantity: statistics of |ours.

    Official| and the bound (None = report only)
    """

    set: str  # noqa: A003
    stage: str
    quantity: str
    max: float  # noqa: A003
    median: float
    unit: str
    bound: str = ''
    ok: bool | None = None


def _stats(err: np.ndarray) -> tuple[float, float]:
    err = np.asarray(err, np.float64).ravel()
    err = err[np.isfinite(err)]
    return (float(err.max()), float(np.median(err))) if err.size else (0.0, 0.0)


def _dist_rows(tag, stage, name, ours, ref, abs_tol, rel_tol, keep) -> Row:
    """Per-point Euclidean error against `abs_tol + rel_tol * distance from the camera`."""
    err = np.linalg.norm(ours[keep] - ref[keep], axis=-1)
    bound = abs_tol + rel_tol * np.linalg.norm(ref[keep], axis=-1)
    mx, med = _stats(err)
    return Row(
        tag,
        stage,
        name,
        mx,
        med,
        'mm',
        f'<= {abs_tol:g} mm + {rel_tol:g} x dist',
        bool(np.all(err <= bound)),
    )


def _max_row(tag, stage, name, err, unit, limit) -> Row:
    mx, med = _stats(err)
    return Row(tag, stage, name, mx, med, unit, f'<= {limit:g}', mx <= limit)


def _head_rows(
    fx: ps.Fixture,
    tag: str,
    stage: str,
    ours: dict,
    ref: dict,
    prefix: str,
    keep: np.ndarray,
    tol3d: tuple[float, float],
    tol2d_crop: float,
    tol2d: float,
    tol3d_cube: float | None,
) -> list[Row]:
    """Rows for decoded points, in_fov, reconstruction and every joint set of one variant."""
    rows = [
        _max_row(
            tag,
            stage,
            'coords2d_crop_px',
            np.abs(ours[prefix + 'coords2d_crop_px'] - ref[prefix + 'coords2d_crop_px'])[keep],
            'px',
            tol2d_crop,
        )
    ]
    if tol3d_cube is not None:
        rows.append(
            _max_row(
                tag,
                stage,
                'coords3d_cube_mm',
                np.abs(ours[prefix + 'coords3d_cube_mm'] - ref[prefix + 'coords3d_cube_mm'])[keep],
                'mm',
                tol3d_cube,
            )
        )
    flips = ours[prefix + 'in_fov'][keep] != ref[prefix + 'in_fov'][keep]
    lo, hi = fx.settings().fov_window(fx.res)
    c2 = ref[prefix + 'coords2d_crop_px'][keep]
    near = np.minimum(np.abs(c2 - lo), np.abs(c2 - hi)).min(-1) < 1e-3  # ties may flip
    rows.append(
        Row(
            tag,
            stage,
            'in_fov (points that flip)',
            float(flips.sum()),
            0.0,
            'count',
            '= 0 (ties < 1e-3 px excepted)',
            bool(not np.any(flips & ~near)),
        )
    )
    rows.append(
        _dist_rows(
            tag,
            stage,
            'abs_crop_mm',
            ours[prefix + 'abs_crop_mm'],
            ref[prefix + 'abs_crop_mm'],
            *tol3d,
            keep,
        )
    )
    for name in fx.skeleton_names:
        rows.append(
            _dist_rows(
                tag,
                stage,
                f'poses3d_{name}_mm',
                ours[f'{prefix}poses3d_{name}_mm'],
                ref[f'{prefix}poses3d_{name}_mm'],
                *tol3d,
                keep,
            )
        )
    well = np.concatenate(
        [ref[f'{prefix}poses2d_{n}_wellcond'][keep].ravel() for n in fx.skeleton_names]
    )
    err2 = np.concatenate(
        [
            np.linalg.norm(
                ours[f'{prefix}poses2d_{n}_px'][keep] - ref[f'{prefix}poses2d_{n}_px'][keep],
                axis=-1,
            ).ravel()
            for n in fx.skeleton_names
        ]
    )
    rows.append(_max_row(tag, stage, 'poses2d_* (well-conditioned)', err2[well], 'px', tol2d))
    return rows


def _degenerate_rows(
    tag: str, stage: str, ours: dict, ref: dict, prefix: str, bad: np.ndarray
) -> list[Row]:
    if not bad.any():
        return []
    err = np.linalg.norm(
        ours[prefix + 'poses3d_all_mm'][bad] - ref[prefix + 'poses3d_all_mm'][bad], axis=-1
    )
    mx, med = _stats(err)
    return [
        Row(
            tag,
            stage,
            f'poses3d_all_mm, {int(bad.sum())} crop(s) with 0 points in FoV',
            mx,
            med,
            'mm',
        )
    ]


def compare_set(
    folder: Path, tag: str, stage3_crops=None, log=print, stage3: bool = True
) -> list[Row]:
    """
    Every stage of one set of the folder.

    Stage 3 on `stage3_crops` (None = all; stage3=False: none)
    """
    fx = ps.load_fixture(folder, tag)
    st = fx.settings()
    rows: list[Row] = []
    t = time.perf_counter()
    s1 = ps.stage1(fx, st)
    c, S = fx.crop, fx.res
    rows.append(_max_row(tag, '1 crops', 'R', np.abs(s1['R'] - c['R']), 'abs', 1e-5))
    foc = np.abs(s1['K_crop'][:, [0, 1], [0, 1]] / c['K_crop'][:, [0, 1], [0, 1]] - 1)
    rows.append(_max_row(tag, '1 crops', 'K_crop focal lengths (relative)', foc, 'rel', 1e-5))
    pp = np.abs(s1['K_crop'][:, :2, 2] - S / 2).max()
    rows.append(
        Row(
            tag,
            '1 crops',
            'K_crop principal point - S/2',
            float(pp),
            float(pp),
            'px',
            '= 0',
            pp == 0,
        )
    )
    rows.append(
        _max_row(
            tag,
            '1 crops',
            'crop_scale (relative)',
            np.abs(s1['crop_scale'] / c['crop_scale'] - 1),
            'rel',
            1e-5,
        )
    )
    lv = int(np.sum(s1['pyramid_level'] != c['pyramid_level']))
    rows.append(
        Row(tag, '1 crops', 'pyramid_level (crops that differ)', lv, 0, 'count', '= 0', lv == 0)
    )
    px = np.abs(s1['crops'] - c['crops_u16'] / 65535.0)
    mean, p99 = float(px.mean()), float(np.percentile(px, 99))
    rows.append(
        Row(
            tag,
            '1 crops',
            'crop pixels: mean abs diff',
            mean,
            float(np.median(px)),
            '1',
            '<= 2e-4',
            mean <= 2e-4,
        )
    )
    rows.append(
        Row(
            tag,
            '1 crops',
            'crop pixels: p99 abs diff',
            p99,
            float(np.median(px)),
            '1',
            '<= 1e-3',
            p99 <= 1e-3,
        )
    )
    rows.append(_max_row(tag, '1 crops', 'crop pixels: max abs diff', px, '1', 5e-3))
    log(f'{tag}: stage 1 in {time.perf_counter() - t:.1f} s')

    t = time.perf_counter()
    s2 = ps.stage2(fx, st)
    h = fx.head
    good = h['percrop__in_fov'].any(-1)  # (N,) crops with a point in the field of view
    rows += _head_rows(
        fx, tag, '2 head percrop', s2, h, 'percrop__', good, (0.05, 1e-5), 1e-3, 0.01, 1e-2
    )
    rows += _degenerate_rows(tag, '2 head percrop', s2, h, 'percrop__', ~good)
    grp = np.linalg.norm(s2['percrop__poses3d_all_mm'] - h['grouped__poses3d_all_mm'], axis=-1)[
        good
    ]
    rows.append(
        Row(
            tag,
            '2 head grouped',
            'poses3d_all_mm vs official grouped (batch RMS, no bound)',
            *_stats(grp),
            'mm',
        )
    )
    log(f'{tag}: stage 2 in {time.perf_counter() - t:.1f} s')
    if not stage3:
        return rows

    t = time.perf_counter()
    model, sha_ok = ps.build_model(fx, st)
    rows.append(
        Row(
            tag,
            '3 weights',
            'recipe sha256 matches (1 = yes)',
            float(sha_ok),
            float(sha_ok),
            '-',
            '= 1',
            sha_ok,
        )
    )
    s3 = ps.stage3(fx, st, model, stage3_crops)
    idx = s3['indices']
    e = {
        k: v[idx] if np.ndim(v) and len(v) == len(c['box_xywh']) else v for k, v in fx.e2e.items()
    }
    sub = f"{len(idx)} of {len(c['box_xywh'])} crops"
    good3 = e['storedcrops__percrop__in_fov'].any(-1)
    for key in ('logits_2d_first16', 'logits_3d_joint0'):
        rows.append(
            _max_row(
                tag,
                '3 storedcrops',
                f'{key} ({sub})',
                np.abs(s3['storedcrops__percrop__' + key] - e['storedcrops__percrop__' + key]),
                'logit',
                1e-3,
            )
        )
    rows += _head_rows(
        fx,
        tag,
        '3 storedcrops',
        s3,
        e,
        'storedcrops__percrop__',
        good3,
        (0.1, 1e-5),
        0.01,
        0.05,
        None,
    )
    good_i = e['image__percrop__in_fov'].any(-1)
    for name in fx.skeleton_names:
        key = f'image__percrop__poses3d_{name}_mm'
        err = np.linalg.norm(s3[key][good_i] - e[key][good_i], axis=-1)
        mx, med = _stats(err)
        rows.append(
            Row(
                tag,
                '3 image e2e',
                f'poses3d_{name}_mm ({sub})',
                mx,
                med,
                'mm',
                'median <= 0.1, max <= 2',
                bool(med <= 0.1 and mx <= 2.0),
            )
        )
    err = np.linalg.norm(
        s3['estimate__poses3d_all_mm'][good_i] - e['image__percrop__poses3d_all_mm'][good_i],
        axis=-1,
    )
    mx, med = _stats(err)
    rows.append(
        Row(
            tag,
            '3 image e2e',
            f'pipeline estimate(): poses3d_all_mm ({sub})',
            mx,
            med,
            'mm',
            'median <= 0.1, max <= 2',
            bool(med <= 0.1 and mx <= 2.0),
        )
    )
    well = e['image__percrop__poses2d_all_wellcond'][good_i]
    err2 = np.linalg.norm(
        s3['estimate__poses2d_all_px'][good_i] - e['image__percrop__poses2d_all_px'][good_i],
        axis=-1,
    )
    rows.append(
        Row(
            tag,
            '3 image e2e',
            f'pipeline estimate(): poses2d_all_px, well-cond. ({sub})',
            *_stats(err2[well]),
            'px',
        )
    )
    log(f'{tag}: stage 3 on {len(idx)} crops in {time.perf_counter() - t:.1f} s')
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        '| set | stage | quantity | max | median | unit | tolerance | ok |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for r in rows:
        ok = '' if r.ok is None else ('yes' if r.ok else '**NO**')
        lines.append(
            f'| {r.set} | {r.stage} | {r.quantity} | {r.max:.3g} | {r.median:.3g} | {r.unit} | '
            f'{r.bound} | {ok} |'
        )
    return '\n'.join(lines)


def summary(rows: list[Row]) -> str:
    """
    One line per stage and quantity, the sets side by side.

    Max / median, and whether within bounds
    """
    sets = list(dict.fromkeys(r.set for r in rows))
    keys = list(dict.fromkeys((r.stage, r.quantity.split(' (')[0]) for r in rows))
    by = {(r.set, r.stage, r.quantity.split(' (')[0]): r for r in rows}
    lines = [
        '| stage | quantity | '
        + ' | '.join(f'{t} max / median' for t in sets)
        + ' | unit | tolerance |',
        '|---|---|' + '---|' * len(sets) + '---|---|',
    ]
    for stage, q in keys:
        cells, unit, bound = [], '', ''
        for t in sets:
            r = by.get((t, stage, q))
            if r is None:
                cells.append('-')
                continue
            mark = '' if r.ok is None else (' ok' if r.ok else ' **FAIL**')
            cells.append(f'{r.max:.3g} / {r.median:.3g}{mark}')
            unit, bound = r.unit, r.bound
        lines.append(f'| {stage} | {q} | ' + ' | '.join(cells) + f' | {unit} | {bound} |')
    return '\n'.join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='pose3d-metrabs-parity', description=__doc__.split('\n\n')[0])
    p.add_argument(
        'folder', type=Path, help='parity fixture folder (metrabs_parity/README.md format)'
    )
    p.add_argument(
        '--sets', default='', help='comma-separated sets (default: every <set>_crop.npz)'
    )
    p.add_argument(
        '--stage3-crops', default='', help='comma-separated crop indices for stage 3 (default all)'
    )
    p.add_argument('--no-stage3', action='store_true', help='stages 1 and 2 only (no network)')
    p.add_argument('--output', type=Path, help='also write the table (Markdown) to this file')
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        tags = [t for t in args.sets.split(',') if t] or ps.fixture_tags(args.folder)
        if not tags:
            raise FileNotFoundError(f'no <set>_crop.npz in {args.folder}')
        crops = [int(i) for i in args.stage3_crops.split(',') if i] or None
        rows = [
            r
            for tag in tags
            for r in compare_set(
                args.folder,
                tag,
                crops,
                stage3=not args.no_stage3,
                log=lambda s: print(s, file=sys.stderr, flush=True),
            )
        ]
    except (OSError, KeyError, ValueError) as exc:
        print(
            f'pose3d-metrabs-parity: cannot use {args.folder}: {type(exc).__name__}: {exc}',
            file=sys.stderr,
        )
        return 2
    text = table(rows)
    failed = [r for r in rows if r.ok is False]
    print(text)
    print(
        f"\n{'PASS' if not failed else 'FAIL'}: {sum(r.ok is True for r in rows)} rows within"
        f' tolerance, {len(failed)} outside'
    )
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        head = (
            '## MeTRAbs parity with the official code\n\n`pose3d-metrabs-parity'
            f' {args.folder}'
            f"{' --stage3-crops ' + args.stage3_crops if args.stage3_crops else ''}`:"
            ' |ours - official| per stage (fixture format: metrabs_parity/README.md). Stage 1 our'
            ' crops; stage 2 our decoding, reconstruction, mapping and projection on the stored'
            ' logits (percrop); stage 3 our network with the recipe weights on the stored crops'
            ' and end to end from the image. 3D errors are per point (Euclidean), 2D on'
            ' well-conditioned joints; crops with no point in the field of view are in their own'
            ' rows.\n\n'
        )
        args.output.write_text(
            head + '### Summary\n\n' + summary(rows) + '\n\n### Every row\n\n' + text + '\n'
        )
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
