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
Metric-depth scores of published tracks against ground truth (issue 13).

Root error relative to the distance, 2-sigma coverage of the published root covariance, scale hold
while the feet are out of the image, and the estimated floor against the sequence's true camera.

Tracks are matched to GT people by box IoU (Hungarian, IoU >= 0.3) per frame.
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.boxes import box_iou
from pose3d_ros.core.ground import GroundPlane
from pose3d_ros.tracking.association import assign


def true_plane(meta: dict) -> GroundPlane:
    """
    Return the floor of a generated sequence in its camera frame.

    meta.json has world z up and the floor at z = 0.
    """
    R = np.asarray(meta['camera']['R_world_to_camera'], np.float64)  # (3, 3) world -> camera
    C = np.asarray(meta['camera']['centre_world'], np.float64)  # (3,) metres
    return GroundPlane(R @ np.array([0.0, 0.0, 1.0]), float(C[2]), source='truth')


class DepthEvaluator:
    """Accumulates per-track root errors of one sequence (see module docstring)."""

    def __init__(self, truth: GroundPlane):
        self.truth = truth
        # (stamp, dist m, rel err, mahalanobis, sigma_ray/dist, track age s, feet out)
        self.rows: list[tuple] = []
        self._first: dict[str, float] = {}  # track id -> first stamp
        self.plane_rows: list[tuple] = []  # (stamp, normal err deg, height err rel)

    def add_frame(
        self,
        stamp_s: float,
        gt_roots: np.ndarray,
        gt_boxes: np.ndarray,
        gt_ignore: np.ndarray,
        gt_feet_out: np.ndarray,
        tracks,
        roots: np.ndarray,
        plane: GroundPlane | None,
    ) -> None:
        """
        gt_roots (G, 3) m, gt_boxes (G, 4) px, gt_ignore (G,).

        Gt_feet_out (G,) both GT ankles outside the image; tracks: published live tracks; roots (T,
        3) their hip-midpoint roots, m; plane: the floor in use.
        """
        for t in tracks:
            self._first.setdefault(t.id, stamp_s)
        if plane is not None and plane.source == 'estimate':
            ang = np.degrees(np.arccos(np.clip(plane.normal @ self.truth.normal, -1.0, 1.0)))
            self.plane_rows.append((stamp_s, float(ang), plane.offset / self.truth.offset - 1.0))
        if not len(tracks) or not len(gt_roots):
            return
        # (T, G)
        iou = box_iou(
            np.array([t.box for t in tracks], np.float64), np.asarray(gt_boxes, np.float64)
        )
        ok = iou >= 0.3
        for ti, gi in assign(np.where(ok, 1.0 - iou, 0.0), ok):
            if gt_ignore[gi] or not np.isfinite(roots[ti]).all():
                continue
            t, g = tracks[ti], gt_roots[gi]
            err = roots[ti] - g  # (3,) metres
            dist = float(np.linalg.norm(g))
            cov = t.root_covariance
            maha, sig = np.nan, np.nan
            if cov is not None:
                maha = float(np.sqrt(err @ np.linalg.solve(cov, err)))
                u = g / dist
                sig = float(np.sqrt(u @ cov @ u)) / dist
            self.rows.append(
                (
                    stamp_s,
                    dist,
                    float(np.linalg.norm(err)) / dist,
                    maha,
                    sig,
                    stamp_s - self._first[t.id],
                    bool(gt_feet_out[gi]),
                )
            )

    def summary(self) -> dict:
        """Medians (relative errors as fractions), coverage and floor errors."""
        r = np.array(self.rows, np.float64).reshape(-1, 7)
        med = lambda m: float(np.median(r[m, 2])) if m.any() else float('nan')  # noqa: E731
        all_ = np.ones(len(r), bool)
        # Mahalanobis distances of the errors under the published covariance
        maha = r[np.isfinite(r[:, 3]), 3]
        out = {
            'n': int(len(r)),
            'rel': med(all_),
            'rel_1_5m': med(r[:, 1] <= 5.0),
            'rel_after_3s': med(r[:, 5] >= 3.0),
            'rel_feet_out': med(r[:, 6] > 0),
            'n_feet_out': int((r[:, 6] > 0).sum()),
            'in_2sigma': float(np.mean(maha <= 2.0)) if len(maha) else float('nan'),
            'sigma_young': (
                float(np.median(r[r[:, 5] < 1.0, 4])) if (r[:, 5] < 1.0).any() else float('nan')
            ),
            'sigma_old': (
                float(np.median(r[r[:, 5] >= 3.0, 4])) if (r[:, 5] >= 3.0).any() else float('nan')
            ),
        }
        p = np.array(self.plane_rows, np.float64).reshape(-1, 3)
        late = p[p[:, 0] >= 5.0] if len(p) else p
        out['plane_normal_deg'] = float(late[-1, 1]) if len(late) else float('nan')
        out['plane_height_rel'] = float(late[-1, 2]) if len(late) else float('nan')
        return out


__all__ = ['DepthEvaluator', 'true_plane']
