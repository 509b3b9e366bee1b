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

"""Association cost between predicted tracks and detections, and gated Hungarian assignment."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def pose_distances(
    pred: np.ndarray, det: np.ndarray, depth_scale: float, depth_ref_m: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """
    NaN-aware 3D distances between predicted track poses and detected poses.

    Only joints known in both poses count. Depth (camera z) differences are multiplied by
    depth_scale, since monocular depth is much noisier than the lateral position, and further by
    depth_ref_m / z for detections farther than depth_ref_m: the error of a monocular depth grows
    in proportion to the distance.

    Args:
    ----
        pred: (T, J, 3) metres, camera frame; NaN = unknown joint. det: (N, J, 3) metres, camera
        frame; NaN = unknown joint. depth_scale: factor on z differences (1 = plain Euclidean).
        depth_ref_m: distance in metres beyond which z differences shrink as depth_ref_m / z (inf =
        never).

    Returns
    -------
        root: (T, N) metres, norm of the mean joint displacement (the translation between the two
        poses). mean: (T, N) metres, mean per-joint distance. Both +inf where no joint is shared.

    """
    known_z = np.isfinite(det[..., 2])  # (N, J)
    # (N,) mean depth, m
    z = np.where(known_z, det[..., 2], 0.0).sum(axis=1) / np.maximum(known_z.sum(axis=1), 1)
    z_factor = np.minimum(1.0, depth_ref_m / np.maximum(z, 1e-3))  # (N,)
    scale = np.ones((1, len(det), 1, 3))
    scale[..., 2] = depth_scale * z_factor[None, :, None]  # (1, N, 1) on the z axis
    diff = (pred[:, None] - det[None]) * scale  # (T, N, J, 3) metres
    shared = np.isfinite(diff).all(axis=-1)  # (T, N, J)
    count = shared.sum(axis=-1)  # (T, N)
    diff = np.where(shared[..., None], diff, 0.0)
    denom = np.maximum(count, 1)
    root = np.linalg.norm(diff.sum(axis=2), axis=-1) / denom  # (T, N) metres
    mean = np.linalg.norm(diff, axis=-1).sum(axis=-1) / denom  # (T, N) metres
    none = count == 0
    root[none] = np.inf
    mean[none] = np.inf
    return root, mean


def assign(cost: np.ndarray, allowed: np.ndarray) -> list[tuple[int, int]]:
    """
    Minimum-cost one-to-one assignment restricted to allowed pairs (Hungarian method).

    Args:
    ----
        cost: (T, N) finite costs where allowed.
        allowed: (T, N) bool gate.

    Returns
    -------
        list of (track index, detection index) pairs, all allowed.

    """
    if cost.size == 0 or not allowed.any():
        return []
    big = 1e6 + 2.0 * float(np.abs(np.where(allowed, cost, 0.0)).max())
    rows, cols = linear_sum_assignment(np.where(allowed, cost, big))
    return [(int(r), int(c)) for r, c in zip(rows, cols) if allowed[r, c]]
