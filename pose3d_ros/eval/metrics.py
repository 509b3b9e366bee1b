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
Accuracy, detection.

Tracking and smoothness metrics for absolute 3D multi-person poses (numpy/scipy).

Definitions (all distances in metres internally; reports convert to millimetres):

- Joints compared: only the joints both skeletons share anatomically (the caller maps them; see
  ``pose3d_ros.tools.eval``).  A joint is *scored* when it is finite in both the prediction and the
  GT.  A joint finite in GT but NaN in the prediction is *missing*: excluded from every error and
  counted (``missing_joint_fraction``), never scored as zero.
- Root: mean of the joints at ``root_indices`` (the two hips) -- the same definition on both sides.
- ``mpjpe``: mean Euclidean joint error in the camera frame (absolute, no alignment).
- ``rr_mpjpe``: root-relative MPJPE (each skeleton minus its own root).
- ``pa_mpjpe``: MPJPE after a similarity Procrustes alignment (rotation, translation, scale) of the
  prediction
  onto the GT over the scored joints.
- ``mrpe``: mean root position error (Euclidean, absolute); ``mrpe_x/y/z``: mean absolute per-axis
  error.
- ``pck_rel`` / ``pck_abs``: fraction of scored joints within ``pck_threshold`` (150 mm)
  root-relative /
  absolute (3DPCK).
- ``scale_ratio``: median over people of (pred root-relative size / GT size), size = RMS joint
  distance from the
  root; ``depth_ratio``: median of pred root z / GT root z.  Together they tell a scale error from
  a depth error.
- Detection: per frame, predictions are matched one-to-one to GT people by 2D box IoU (Hungarian on
  IoU,
  accepted when IoU >= ``iou_threshold``, 0.5), GT boxes being the visible-pixel boxes.  GT people
  flagged ``ignore`` (tiny, mostly hidden) are matched last: a prediction matched to them is
  neither TP nor FP, and an unmatched ignored GT is no FN.  Recall = TP / (TP + FN); precision = TP
  / (TP + FP).  Pose errors are computed on TP pairs only.
- Tracking (motmetrics): same IoU matching distance (1 - IoU, gated at ``iou_threshold``), GT ids
  vs track ids;
  predictions matched to ignored GT are removed first.  IDF1, ID switches, MOTA.
- Jitter: for each GT person matched in three consecutive frames, acceleration ``a = p[t+1] - 2
  p[t] +
  p[t-1]`` of each joint (absolute, camera frame), scaled by fps^2 to m/s^2.  ``accel_pred`` and
  ``accel_gt`` are mean magnitudes, ``accel_error`` the mean of ``|a_pred - a_gt|`` (the usual
  "acceleration error").
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pose3d_ros.core.boxes import box_iou
from scipy.optimize import linear_sum_assignment


@dataclasses.dataclass
class MetricsConfig:
    """Settings of the evaluation."""

    iou_threshold: float = 0.5  # min 2D IoU for a prediction to match a GT person
    pck_threshold: float = 0.15  # metres, 3DPCK radius
    # joints averaged into the root (indices in the compared joint list)
    root_indices: tuple[int, ...] = (0, 1)


def match_boxes(
    pred: np.ndarray, gt: np.ndarray, ignore: np.ndarray, iou_threshold: float
) -> tuple[list[tuple[int, int]], np.ndarray, int]:
    """
    One-to-one matching of predicted to GT boxes by IoU (Hungarian), non-ignored GT first.

    Returns
    -------
        pairs [(pred index, gt index)] with non-ignored GT (true positives),
        false_positive (N,) bool (unmatched predictions, not matched to an ignored GT),
        false negatives (count of unmatched non-ignored GT).

    """
    ignore = np.asarray(ignore, bool)
    iou = box_iou(pred, gt)
    pairs, used = [], np.zeros(len(pred), bool)
    for wanted in (~ignore, ignore):
        cols = np.flatnonzero(wanted)
        rows = np.flatnonzero(~used)
        if len(cols) == 0 or len(rows) == 0:
            continue
        sub = iou[np.ix_(rows, cols)]
        r, c = linear_sum_assignment(-sub)
        for i, j in zip(r, c):
            if sub[i, j] >= iou_threshold:
                used[rows[i]] = True
                if not ignore[cols[j]]:
                    pairs.append((int(rows[i]), int(cols[j])))
    matched_gt = {j for _, j in pairs}
    fn = int(sum(1 for j in np.flatnonzero(~ignore) if j not in matched_gt))
    return pairs, ~used, fn


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """
    Align ``pred`` (J, 3) to ``gt`` (J, 3) by the least-squares similarity transform (s, R, t).

    Returns the aligned prediction (J, 3). Both must be finite (select scored joints first).
    """
    mp, mg = pred.mean(0), gt.mean(0)
    p, g = pred - mp, gt - mg
    u, s, vt = np.linalg.svd(p.T @ g)
    d = np.sign(np.linalg.det(u @ vt))
    corr = np.diag([1.0, 1.0, d])
    rot = u @ corr @ vt  # maps p to g as p @ rot
    var = (p**2).sum()
    scale = (s * np.diag(corr)).sum() / var if var > 0 else 1.0
    return scale * p @ rot + mg


def pose_errors(
    pred: np.ndarray, gt: np.ndarray, cfg: MetricsConfig
) -> dict[str, np.ndarray | float]:
    """
    Errors of one matched person.

    Args:
    ----
        pred: (J, 3) metres, camera frame, NaN = not provided.
        gt: (J, 3) metres, camera frame, NaN = undefined.

    Returns
    -------
        per-joint arrays over the scored joints (``abs``, ``rel``, ``pa`` errors, metres) and
        scalars (``root_err`` (3,) or NaN, ``n_scored``, ``n_missing``, ``size_ratio``,
        ``depth_ratio``).

    """
    gt_ok = np.isfinite(gt).all(1)
    ok = gt_ok & np.isfinite(pred).all(1)
    out: dict = {'n_scored': int(ok.sum()), 'n_missing': int((gt_ok & ~ok).sum())}
    root_idx = list(cfg.root_indices)
    root_ok = ok[root_idx].all()
    out['abs'] = np.linalg.norm(pred[ok] - gt[ok], axis=1)
    if root_ok and ok.sum() >= 3:
        rp, rg = pred[root_idx].mean(0), gt[root_idx].mean(0)
        relp, relg = pred[ok] - rp, gt[ok] - rg
        out['rel'] = np.linalg.norm(relp - relg, axis=1)
        out['pa'] = np.linalg.norm(procrustes_align(pred[ok], gt[ok]) - gt[ok], axis=1)
        out['root_err'] = rp - rg
        size_g = np.sqrt((relg**2).sum(1).mean())
        out['size_ratio'] = (
            float(np.sqrt((relp**2).sum(1).mean()) / size_g) if size_g > 0 else np.nan
        )
        out['depth_ratio'] = float(rp[2] / rg[2])
    else:
        out.update(
            rel=np.zeros(0),
            pa=np.zeros(0),
            root_err=np.full(3, np.nan),
            size_ratio=np.nan,
            depth_ratio=np.nan,
        )
    return out


class SequenceEvaluator:
    """
    Accumulates frames of one sequence; ``summary()`` returns all metrics.

    Args:
    ----
        cfg: metric settings.
        fps: frame rate of the sequence (for accelerations in m/s^2).

    """

    def __init__(self, cfg: MetricsConfig, fps: float):
        import motmetrics

        self.cfg, self.fps = cfg, fps
        self.acc = motmetrics.MOTAccumulator(auto_id=True)
        self._abs, self._rel, self._pa, self._root = [], [], [], []
        self._size, self._depth = [], []
        self.n_scored = self.n_missing = self.tp = self.fp = self.fn = 0
        # gt id -> (frame, pred, gt)
        self._history: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
        self._frame = 0
        # track id -> small int (motmetrics with pandas 3 needs numeric ids)
        self._hyp_index: dict = {}

    def add_frame(
        self,
        gt_joints: np.ndarray,
        gt_boxes: np.ndarray,
        gt_ids: np.ndarray,
        gt_ignore: np.ndarray,
        pred_joints: np.ndarray,
        pred_boxes: np.ndarray,
        pred_ids: list | None = None,
    ) -> None:
        """
        Add one frame's ground truth and predictions to the counts.

        Args:
        ----
            gt_joints: (G, J, 3) metres, camera frame.
            gt_boxes: (G, 4) px.
            gt_ids: (G,) identities.
            gt_ignore: (G,) bool, people that count neither as hits nor as misses.
            pred_joints: (N, J, 3) metres, same joint order, NaN = missing.
            pred_boxes: (N, 4) px.
            pred_ids: N track ids (any hashable) for the tracking metrics, or None (detection-only
                frame).

        Returns
        -------
            None: the matches and errors accumulate in the evaluator (see `summary`).

        """
        pairs, fp, fn = match_boxes(pred_boxes, gt_boxes, gt_ignore, self.cfg.iou_threshold)
        self.tp += len(pairs)
        self.fp += int(fp.sum())
        self.fn += fn
        for i, j in pairs:
            e = pose_errors(pred_joints[i], gt_joints[j], self.cfg)
            self.n_scored += e['n_scored']
            self.n_missing += e['n_missing']
            self._abs.append(e['abs'])
            self._rel.append(e['rel'])
            self._pa.append(e['pa'])
            self._root.append(e['root_err'])
            self._size.append(e['size_ratio'])
            self._depth.append(e['depth_ratio'])
            self._history.setdefault(int(gt_ids[j]), []).append(
                (self._frame, pred_joints[i], gt_joints[j])
            )
        if pred_ids is not None:
            self._add_tracking(gt_boxes, gt_ids, gt_ignore, pred_boxes, pred_ids)
        self._frame += 1

    def _add_tracking(self, gt_boxes, gt_ids, gt_ignore, pred_boxes, pred_ids) -> None:
        ignore = np.asarray(gt_ignore, bool)
        pairs, fp, _ = match_boxes(pred_boxes, gt_boxes, ignore, self.cfg.iou_threshold)
        matched = {i for i, _ in pairs}
        # drop hyps on ignored GT
        keep = [i for i in range(len(pred_ids)) if i in matched or fp[i]]
        gt_keep = np.flatnonzero(~ignore)
        iou = (
            box_iou(pred_boxes[keep], gt_boxes[gt_keep])
            if keep and len(gt_keep)
            else np.zeros((len(keep), len(gt_keep)))
        )
        dist = np.where(iou >= self.cfg.iou_threshold, 1.0 - iou, np.nan).T  # (G, N)
        hyps = [self._hyp_index.setdefault(pred_ids[i], len(self._hyp_index)) for i in keep]
        self.acc.update([int(gt_ids[j]) for j in gt_keep], hyps, dist)

    def _jitter(self) -> dict[str, float]:
        a_pred, a_gt, a_err = [], [], []
        for seq in self._history.values():
            for k in range(1, len(seq) - 1):
                (f0, p0, g0), (f1, p1, g1), (f2, p2, g2) = seq[k - 1], seq[k], seq[k + 1]
                if f1 - f0 != 1 or f2 - f1 != 1:
                    continue
                ap = (p2 - 2 * p1 + p0) * self.fps**2  # (J, 3) m/s^2
                ag = (g2 - 2 * g1 + g0) * self.fps**2
                ok = np.isfinite(ap).all(1) & np.isfinite(ag).all(1)
                a_pred.append(np.linalg.norm(ap[ok], axis=1))
                a_gt.append(np.linalg.norm(ag[ok], axis=1))
                a_err.append(np.linalg.norm(ap[ok] - ag[ok], axis=1))

        def mean(xs):
            return (
                float(np.concatenate(xs).mean()) if xs and sum(map(len, xs)) else float('nan')
            )  # noqa: E731

        return {'accel_pred': mean(a_pred), 'accel_gt': mean(a_gt), 'accel_error': mean(a_err)}

    def summary(self) -> dict[str, float]:
        """All metrics of the sequence (metres, m/s^2, fractions, counts)."""
        return summarize([self])


def _mean(chunks: list[np.ndarray]) -> float:
    arr = np.concatenate(chunks) if chunks else np.zeros(0)
    return float(arr.mean()) if len(arr) else float('nan')


def summarize(evaluators: list[SequenceEvaluator]) -> dict[str, float]:
    """
    Pool metrics over several sequences.

    Joint-weighted means; tracking metrics over all accumulators.
    """
    import motmetrics

    cfg = evaluators[0].cfg
    cat = lambda name: [x for e in evaluators for x in getattr(e, name)]  # noqa: E731
    abs_, rel, pa = cat('_abs'), cat('_rel'), cat('_pa')
    roots = np.array([r for r in cat('_root') if np.isfinite(r).all()]).reshape(-1, 3)
    tp, fp, fn = (sum(getattr(e, k) for e in evaluators) for k in ('tp', 'fp', 'fn'))
    scored, missing = sum(e.n_scored for e in evaluators), sum(e.n_missing for e in evaluators)
    out = {
        'mpjpe': _mean(abs_),
        'rr_mpjpe': _mean(rel),
        'pa_mpjpe': _mean(pa),
        'mrpe': float(np.linalg.norm(roots, axis=1).mean()) if len(roots) else float('nan'),
        'pck_rel': _mean([x < cfg.pck_threshold for x in rel]),
        'pck_abs': _mean([x < cfg.pck_threshold for x in abs_]),
        'scale_ratio': (
            float(np.nanmedian(cat('_size'))) if np.isfinite(cat('_size')).any() else float('nan')
        ),
        'depth_ratio': (
            float(np.nanmedian(cat('_depth')))
            if np.isfinite(cat('_depth')).any()
            else float('nan')
        ),
        'recall': tp / (tp + fn) if tp + fn else float('nan'),
        'precision': tp / (tp + fp) if tp + fp else float('nan'),
        'tp': tp,
        'fp': fp,
        'fn': fn,
        'scored_joints': scored,
        'missing_joints': missing,
        'missing_joint_fraction': (
            missing / (scored + missing) if scored + missing else float('nan')
        ),
    }
    for axis, name in enumerate('xyz'):
        out[f'mrpe_{name}'] = float(np.abs(roots[:, axis]).mean()) if len(roots) else float('nan')
    jit = [e._jitter() for e in evaluators]
    weights = [sum(len(s) for s in e._history.values()) for e in evaluators]
    for key in ('accel_pred', 'accel_gt', 'accel_error'):
        vals = [(j[key], w) for j, w in zip(jit, weights) if np.isfinite(j[key])]
        out[key] = (
            float(sum(v * w for v, w in vals) / sum(w for _, w in vals)) if vals else float('nan')
        )
    accs = [e.acc for e in evaluators if len(e.acc.events)]
    if accs:
        mh = motmetrics.metrics.create()
        names = [str(i) for i in range(len(accs))]
        res = mh.compute_many(
            accs, names=names, metrics=['idf1', 'num_switches', 'mota'], generate_overall=True
        )
        row = res.loc['OVERALL']
        out.update(
            idf1=float(row['idf1']), id_switches=int(row['num_switches']), mota=float(row['mota'])
        )
    else:
        out.update(idf1=float('nan'), id_switches=0, mota=float('nan'))
    return out
