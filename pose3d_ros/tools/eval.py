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
``pose3d-eval``.

Run the full pipeline + tracker over generated sequences and score them against GT.

    pose3d-eval out/eval/seq0 out/eval/seq1 --out-json eval.json --out-md eval.md
    pose3d-eval SEQ --crop-model exported_metrabs.onnx --skeleton coco_19   # a MeTRAbs export

Joint correspondence: the GT joints (Anny's COCO regressor, ``pose3d_ros.evalgen.sequence``) get
the anatomical keys of ``pose3d_ros.core.skeletons``; only the 17 COCO keypoints present in the
predicted skeleton under the same key are compared (nose, eyes, ears, shoulders, elbows, wrists,
hips, knees, ankles).  For BlazePose and MeTRAbs coco_19 these are the same surface landmarks; for
smpl_24 / h36m_17 the hips are deeper joint centres (a few cm off by definition), so prefer
``--skeleton coco_19`` for MeTRAbs.  Root = hip midpoint on both sides.  Two rows per sequence:
``frame`` scores the per-frame pipeline output (detection, pose, jitter); ``tracked`` scores the
tracker's published tracks (identity metrics, jitter after smoothing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
import time

import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.eval.depth_metrics import DepthEvaluator, true_plane
from pose3d_ros.eval.metrics import MetricsConfig, SequenceEvaluator, summarize
from pose3d_ros.tools.bench import machine_line as platform_summary

DEFAULTS = Pose3DConfig()  # the node's parameter defaults

# GT joint name (evalgen) -> anatomical key (core.skeletons); the first 17 are the compared COCO
# keypoints.
GT_KEYS = {
    'nose': 'nose',
    'left_eye': 'leye',
    'right_eye': 'reye',
    'left_ear': 'lear',
    'right_ear': 'rear',
    'left_shoulder': 'lsho',
    'right_shoulder': 'rsho',
    'left_elbow': 'lelb',
    'right_elbow': 'relb',
    'left_wrist': 'lwri',
    'right_wrist': 'rwri',
    'left_hip': 'lhip',
    'right_hip': 'rhip',
    'left_knee': 'lkne',
    'right_knee': 'rkne',
    'left_ankle': 'lank',
    'right_ankle': 'rank',
}


def joint_correspondence(
    gt_names: list[str], pred_skeleton: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """
    Indicate of compared joints in the GT and in the predicted skeleton.

    And their keys (hips included)
    """
    from pose3d_ros.core.skeletons import get_skeleton

    skel = get_skeleton(pred_skeleton)
    gt_idx, pred_idx, keys = [], [], []
    for i, name in enumerate(gt_names):
        key = GT_KEYS.get(name)
        if key is not None and key in skel.keys:
            gt_idx.append(i)
            pred_idx.append(skel.keys.index(key))
            keys.append(key)
    if 'lhip' not in keys or 'rhip' not in keys:
        raise ValueError(f'skeleton {pred_skeleton} lacks the hips needed for the root')
    return np.array(gt_idx), np.array(pred_idx), keys


def camera_of(seq):
    """core.camera.Camera from a sequence's K / dist (plumb_bob when distorted)."""
    from pose3d_ros.core.camera import Camera

    w, h = (int(x) for x in seq.gt['image_size'])
    dist = np.asarray(seq.gt['dist'], np.float64)
    if np.any(dist != 0):
        return Camera(np.asarray(seq.gt['K'], np.float64), dist, 'plumb_bob', w, h)
    return Camera(np.asarray(seq.gt['K'], np.float64), np.zeros(0), 'none', w, h)


def gt_frame(seq, f: int, gt_idx: np.ndarray):
    """GT of frame f: joints (G, J', 3), boxes (G, 4) visible boxes, ids (G,), ignore (G,)."""
    g = seq.gt
    present = np.flatnonzero(g['present'][f])
    boxes = g['boxes_visible'][f, present].astype(np.float64)
    ignore = g['ignore'][f, present] | ~np.isfinite(boxes).all(1)
    return (
        g['joints3d'][f, present][:, gt_idx].astype(np.float64),
        np.nan_to_num(boxes),
        g['ids'][present],
        ignore,
    )


FLOORS = ('camera', 'estimate', 'estimate-height', 'off')  # --floor choices


def floor_config(config, seq, floor: str):
    """
    `config` with the floor settings of --floor for sequence `seq`.

    Camera = its true height, pitch and roll as parameters; estimate = from people's feet (height
    unknown); estimate-height = from feet with the true height given; off = no depth correction.
    """
    truth = true_plane(seq.meta)
    pitch, roll = truth.tilt_deg()
    source = {
        'camera': 'params',
        'estimate': 'estimate',
        'estimate-height': 'estimate',
        'off': 'off',
    }[floor]
    height = truth.offset if floor in ('camera', 'estimate-height') else 0.0
    return dataclasses.replace(
        config,
        ground_plane_source=source,
        camera_height_m=height,
        camera_pitch_deg=pitch if floor == 'camera' else 0.0,
        camera_roll_deg=roll if floor == 'camera' else 0.0,
    )


def evaluate_sequence(
    seq,
    processor,
    mcfg_keys,
    gt_idx,
    pred_idx,
    max_frames=None,
    oracle_boxes=False,
    floor: str = 'camera',
) -> dict:
    """
    Run the frame processor (fresh tracks) over one sequence.

    Returns evaluators and stage timings.

    oracle_boxes: crop the GT visible boxes of the non-ignored people instead of detecting
    (isolates the pose and root errors from detection errors). floor: one of FLOORS (see
    floor_config).
    """
    from pose3d_ros.tracking import TrackState

    keys = mcfg_keys
    mcfg = MetricsConfig(root_indices=(keys.index('lhip'), keys.index('rhip')))
    fps = float(seq.meta['config']['fps'])
    cam = camera_of(seq)
    processor.apply(floor_config(processor.config, seq, floor))
    processor.reset()
    depth_ev = DepthEvaluator(true_plane(seq.meta))
    hips = [keys.index('lhip'), keys.index('rhip')]
    ankles = [seq.joint_names.index('left_ankle'), seq.joint_names.index('right_ankle')]
    frame_ev, track_ev = SequenceEvaluator(mcfg, fps), SequenceEvaluator(mcfg, fps)
    timings: dict[str, list[float]] = {}
    n = seq.num_frames if max_frames is None else min(seq.num_frames, max_frames)
    for f in range(n):
        g_j, g_b, g_id, g_ign = gt_frame(seq, f, gt_idx)
        t0 = time.perf_counter()
        image = seq.frame(f)
        timings.setdefault('decode', []).append(time.perf_counter() - t0)
        result = processor.process(
            image, cam, float(seq.gt['stamps'][f]), g_b[~g_ign] if oracle_boxes else None
        )
        poses, tracks = result.poses, result.tracks
        for k, v in result.timings.items():
            timings.setdefault(k, []).append(v)
        frame_ev.add_frame(
            g_j,
            g_b,
            g_id,
            g_ign,
            poses.joints[:, pred_idx].astype(np.float64),
            poses.boxes.astype(np.float64),
            None,
        )
        live = [t for t in tracks if t.state != TrackState.LOST]
        t_j = np.array([t.joints[pred_idx] for t in live]).reshape(len(live), len(pred_idx), 3)
        t_b = np.array([t.box for t in live], np.float64).reshape(len(live), 4)
        track_ev.add_frame(g_j, g_b, g_id, g_ign, t_j, t_b, [t.id for t in live])
        present = np.flatnonzero(seq.gt['present'][f])
        feet_out = ~seq.gt['joint_in_image'][f, present][:, ankles].any(axis=1)  # (G,)
        depth_ev.add_frame(
            float(seq.gt['stamps'][f]),
            g_j[:, hips].mean(axis=1),
            g_b,
            g_ign,
            feet_out,
            live,
            t_j[:, hips].mean(axis=1),
            processor.depth.plane(),
        )
    return {
        'frame': frame_ev,
        'tracked': track_ev,
        'depth': depth_ev.summary(),
        'frames': n,
        'timings_ms': {k: 1e3 * float(np.median(v)) for k, v in timings.items()},
    }


COLUMNS = (  # (key, header, scale, format)
    ('recall', 'recall', 1, '{:.2f}'),
    ('precision', 'prec.', 1, '{:.2f}'),
    ('mpjpe', 'MPJPE mm', 1e3, '{:.0f}'),
    ('rr_mpjpe', 'RR-MPJPE mm', 1e3, '{:.0f}'),
    ('pa_mpjpe', 'PA-MPJPE mm', 1e3, '{:.0f}'),
    ('mrpe', 'MRPE mm', 1e3, '{:.0f}'),
    ('mrpe_x', 'x', 1e3, '{:.0f}'),
    ('mrpe_y', 'y', 1e3, '{:.0f}'),
    ('mrpe_z', 'z', 1e3, '{:.0f}'),
    ('pck_rel', 'PCK rel', 100, '{:.0f}%'),
    ('pck_abs', 'PCK abs', 100, '{:.0f}%'),
    ('scale_ratio', 'size ratio', 1, '{:.2f}'),
    ('depth_ratio', 'depth ratio', 1, '{:.2f}'),
    ('missing_joint_fraction', 'NaN joints', 100, '{:.1f}%'),
    ('idf1', 'IDF1', 1, '{:.2f}'),
    ('id_switches', 'IDsw', 1, '{:d}'),
    ('mota', 'MOTA', 1, '{:.2f}'),
    ('accel_error', 'accel err m/s²', 1, '{:.1f}'),
)


def markdown_table(rows: list[tuple[str, str, dict]]) -> str:
    """rows: (sequence, kind, summary) -> Markdown table."""
    head = '| sequence | rows | ' + ' | '.join(c[1] for c in COLUMNS) + ' |'
    lines = [head, '|' + '---|' * (len(COLUMNS) + 2)]
    for name, kind, s in rows:
        cells = []
        for key, _, scale, fmt in COLUMNS:
            v = s.get(key, float('nan'))
            if isinstance(v, float) and not math.isfinite(v):
                cells.append('–')
            else:
                cells.append(fmt.format(int(v) if fmt == '{:d}' else v * scale))
        lines.append(f'| {name} | {kind} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog='pose3d-eval',
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        'sequences', nargs='+', help='sequence folders written by python -m pose3d_ros.evalgen'
    )
    p.add_argument(
        '--detector', default=DEFAULTS.detector_model, help='registry name or YOLO ONNX path'
    )
    p.add_argument(
        '--crop-model',
        default=DEFAULTS.crop_model,
        help=(
            'blazepose_lite|blazepose_full|blazepose_heavy, or a MeTRAbs export (.onnx + sidecar)'
        ),
    )
    p.add_argument(
        '--skeleton', default='', help="output skeleton of the pipeline ('' = the model's own)"
    )
    p.add_argument(
        '--oracle-boxes',
        action='store_true',
        help='feed the GT visible boxes (non-ignored people) instead of running the detector',
    )
    p.add_argument(
        '--det-score',
        type=float,
        default=None,
        help="detector score threshold (default: the node's detection_threshold)",
    )
    p.add_argument('--engine', default=DEFAULTS.engine)
    p.add_argument('--device', default=DEFAULTS.device)
    p.add_argument(
        '--floor',
        choices=FLOORS,
        default='camera',
        help=(
            "floor for the metric depth: camera = the sequence's true camera height/pitch/roll as "
            "parameters, estimate = from people's feet, estimate-height = from feet with the true "
            'height, off = no depth correction (default: camera)'
        ),
    )
    p.add_argument(
        '--max-frames',
        type=int,
        default=None,
        help='evaluate at most this many frames per sequence',
    )
    p.add_argument('--out-json', type=Path, default=None)
    p.add_argument('--out-md', type=Path, default=None)
    return p


def config_from_args(args: argparse.Namespace):
    """
    Return the Pose3DConfig of a pose3d-eval command line.

    The node's defaults with the given options
    """
    config = Pose3DConfig(
        detector_model=args.detector,
        crop_model=args.crop_model,
        skeleton_type=args.skeleton,
        engine=args.engine,
        device=args.device,
    )
    if args.det_score is not None:
        config.detection_threshold = args.det_score
    return config


def run(args: argparse.Namespace) -> dict:
    """Evaluate every sequence; returns the JSON-able report (also has 'markdown')."""
    from pose3d_ros.evalgen.sequence import load_sequence
    from pose3d_ros.processor import FrameProcessor

    processor = FrameProcessor(config_from_args(args))
    seqs = [load_sequence(s) for s in args.sequences]
    gt_idx, pred_idx, keys = joint_correspondence(seqs[0].joint_names, processor.skeleton.name)
    report: dict = {
        'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'),
        'machine': platform_summary(),
        'detector': 'oracle (GT boxes)' if args.oracle_boxes else args.detector,
        'det_score': args.det_score,
        'crop_model': args.crop_model,
        'skeleton': processor.skeleton.name,
        'compared_joints': keys,
        'sequences': {},
    }
    rows, frame_evs, track_evs = [], [], []
    for seq in seqs:
        res = evaluate_sequence(
            seq, processor, keys, gt_idx, pred_idx, args.max_frames, args.oracle_boxes, args.floor
        )
        name = seq.path.name
        s_frame, s_track = res['frame'].summary(), res['tracked'].summary()
        report['sequences'][name] = {
            'frames': res['frames'],
            'people': int(len(seq.gt['ids'])),
            'frame': s_frame,
            'tracked': s_track,
            'depth': res['depth'],
            'timings_ms': res['timings_ms'],
            'scene': (
                {k: seq.meta['config'][k] for k in ('seed', 'people', 'hfov_deg')}
                | {'camera_K': seq.gt['K'].tolist(), 'dist': seq.gt['dist'].tolist()}
            ),
        }
        rows += [(name, 'frame', s_frame), (name, 'tracked', s_track)]
        frame_evs.append(res['frame'])
        track_evs.append(res['tracked'])
    overall = {'frame': summarize(frame_evs), 'tracked': summarize(track_evs)}
    report['overall'] = overall
    rows += [('**all**', 'frame', overall['frame']), ('**all**', 'tracked', overall['tracked'])]
    report['markdown'] = markdown_table(rows)
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    report = run(args)
    print(report['markdown'])
    if args.out_json:
        args.out_json.parent.mkdir(parents=True, exist_ok=True)
        args.out_json.write_text(json.dumps(report, indent=1, default=float))
    if args.out_md:
        args.out_md.parent.mkdir(parents=True, exist_ok=True)
        args.out_md.write_text(report['markdown'] + '\n')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
