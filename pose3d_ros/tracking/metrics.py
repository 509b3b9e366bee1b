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
Tracking and smoothing metrics on synthetic scenes.

IDF1 / ID switches (motmetrics), acceleration error, lag
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pose3d_ros.tracking.synthetic import Frame
from pose3d_ros.tracking.tracker import Track, Tracker, TrackState


@dataclass
class MotResult:
    """Identity metrics of one tracked scene."""

    idf1: float  # [0, 1]
    id_switches: int
    mota: float
    frames: int
    switches_per_1000: float  # ID switches per 1000 frames


def run_tracker(
    tracker: Tracker, frames: list[Frame], image_size: tuple[int, int] | None
) -> list[list[Track]]:
    """Feed every frame to the tracker; returns its output per frame."""
    return [
        tracker.update(
            f.stamp,
            f.joints,
            f.boxes,
            f.scores,
            f.joint_conf,
            f.keypoints2d,
            image_size=image_size,
        )
        for f in frames
    ]


def mot_metrics(
    frames: list[Frame], outputs: list[list[Track]], max_dist_m: float = 0.5
) -> MotResult:
    """
    IDF1, ID switches and MOTA with motmetrics.

    Ground truth: people in view. Hypotheses: published tracks that are not LOST. Pairs match when
    the centroids of their joints are within max_dist_m metres (3D, camera frame).
    """
    import motmetrics as mm  # test/benchmark dependency only

    acc = mm.MOTAccumulator(auto_id=True)
    for f, tracks in zip(frames, outputs):
        live = [t for t in tracks if t.state != TrackState.LOST]
        gt = f.gt_joints.mean(axis=1) if len(f.gt_ids) else np.zeros((0, 3))  # (M, 3) metres
        # (H, 3) metres
        hyp = np.array([np.nanmean(t.joints, axis=0) for t in live]).reshape(-1, 3)
        dist = mm.distances.norm2squared_matrix(gt, hyp, max_d2=max_dist_m**2)
        acc.update(f.gt_ids.tolist(), [t.id for t in live], dist)
    summary = mm.metrics.create().compute(
        acc, metrics=['idf1', 'num_switches', 'mota'], name='scene'
    )
    idsw = int(summary['num_switches'].iloc[0])
    return MotResult(
        idf1=float(summary['idf1'].iloc[0]),
        id_switches=idsw,
        mota=float(summary['mota'].iloc[0]),
        frames=len(frames),
        switches_per_1000=1000.0 * idsw / max(len(frames), 1),
    )


def acceleration_error(est: np.ndarray, gt: np.ndarray) -> float:
    """
    Compare joint accelerations (uniform frame rate assumed).

    Args:
    ----
        est: (F, J, 3) metres; NaN joints are skipped.
        gt: (F, J, 3) metres.

    Returns
    -------
        Mean joint acceleration error, mm/frame^2.

    """
    acc_e = est[2:] - 2 * est[1:-1] + est[:-2]  # (F-2, J, 3) m/frame^2
    acc_g = gt[2:] - 2 * gt[1:-1] + gt[:-2]
    err = np.linalg.norm(acc_e - acc_g, axis=-1)  # (F-2, J)
    return 1000.0 * float(np.nanmean(err))


def best_lag(est: np.ndarray, gt: np.ndarray, max_lag: float = 5.0, step: float = 0.05) -> float:
    """
    Time shift s in frames that best aligns est(t) with gt(t - s); positive = est lags behind.

    Args:
    ----
        est: (F, J, 3) metres (NaN allowed).
        gt: (F, J, 3) metres, same frames.

    Returns
    -------
        s in frames (resolution `step`), minimising the mean joint distance with linearly
            interpolated gt.

    """
    f = np.arange(len(gt), dtype=np.float64)
    m = int(np.ceil(max_lag)) + 1
    valid = slice(m, len(gt) - m)
    best, best_err = 0.0, np.inf
    for s in np.arange(-max_lag, max_lag + step / 2, step):
        tq = f[valid] - s
        i0 = np.floor(tq).astype(int)
        w = (tq - i0)[:, None, None]
        shifted = (1 - w) * gt[i0] + w * gt[i0 + 1]  # (K, J, 3) metres
        err = float(np.nanmean(np.linalg.norm(est[valid] - shifted, axis=-1)))
        if err < best_err:
            best, best_err = float(s), err
    return best


def smoothing_metrics(tracker: Tracker, frames: list[Frame]) -> dict[str, float]:
    """
    Acceleration error of raw detections vs tracker output, and lag, on a one-person scene.

    Frames where the person was not detected are filled by the tracker's prediction (output) and by
    linear interpolation (raw input). Returns raw/filtered acceleration errors (mm/frame^2),
    reduction (%), lag of the absolute joints and of the root-relative joints (frames), and mean
    joint position error (mm).
    """
    J = frames[0].gt_joints.shape[1]
    F = len(frames)
    gt = np.full((F, J, 3), np.nan)
    raw = np.full((F, J, 3), np.nan)
    est = np.full((F, J, 3), np.nan)
    for k, f in enumerate(frames):
        out = tracker.update(f.stamp, f.joints, f.boxes, f.scores, f.joint_conf)
        gt[k] = f.gt_joints[0]
        real = f.det_gt == 0
        if real.any():
            raw[k] = f.joints[np.flatnonzero(real)[0]]
        live = [t for t in out if t.state != TrackState.LOST]
        if live:
            est[k] = live[0].joints
    for j in range(J):  # linear interpolation of missing raw samples
        for c in range(3):
            x = raw[:, j, c]
            ok = np.isfinite(x)
            raw[:, j, c] = np.interp(np.arange(F), np.flatnonzero(ok), x[ok])
    # skip confirmation and filter warm-up
    start = int(np.argmax(np.isfinite(est).all(axis=(1, 2)))) + 5
    gt, raw, est = gt[start:], raw[start:], est[start:]
    a_raw, a_est = acceleration_error(raw, gt), acceleration_error(est, gt)
    rel = lambda x: x - x[:, :1]  # noqa: E731  root-relative (pelvis = joint 0)
    return {
        'accel_raw_mm': a_raw,
        'accel_filtered_mm': a_est,
        'accel_reduction_pct': 100.0 * (1.0 - a_est / a_raw),
        'lag_frames': best_lag(est, gt),
        'lag_relative_frames': best_lag(rel(est), rel(gt)),
        'mpjpe_raw_mm': 1000.0 * float(np.nanmean(np.linalg.norm(raw - gt, axis=-1))),
        'mpjpe_filtered_mm': 1000.0 * float(np.nanmean(np.linalg.norm(est - gt, axis=-1))),
    }
