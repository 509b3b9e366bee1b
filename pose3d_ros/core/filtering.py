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
Rejecting implausible poses and duplicate detections of one person.

Bone plausibility: a pose is dropped when any bone is shorter than `min_ratio` x or longer than
`max_ratio` x its reference length AND differs from it by more than `abs_tolerance_m` (both
conditions, so short bones such as eye-ear are not judged by ratio alone). NaN joints are ignored.

3D pose NMS uses a scale-normalised pose distance:

    d(a, b) = mean_j |a_j - b_j| / ((s(a) + s(b)) / 2),   s(p) = sqrt(mean_j |p_j - mean(p)|^2)

i.e. the mean per-joint distance in units of the poses' own spread (s is ~0.4-0.5 m for a standing
adult). Joints that are NaN in either pose are left out. With the default threshold 0.4, two
estimates whose joints are on average closer than ~0.4 x 0.45 m ≈ 18 cm are taken as one person;
two people side by side are >= ~1 apart. Greedy: the highest score wins, lower-scored poses within
the threshold are suppressed.
"""

from __future__ import annotations

import warnings

import numpy as np


def bone_lengths(poses: np.ndarray, edges) -> np.ndarray:
    """(..., J, 3) metres -> (..., E) metres for `edges` (E, 2) joint index pairs."""
    e = np.asarray(edges, np.int64).reshape(-1, 2)
    return np.linalg.norm(poses[..., e[:, 1], :] - poses[..., e[:, 0], :], axis=-1)


def plausible_bones(
    poses: np.ndarray,
    edges,
    reference_lengths,
    *,
    min_ratio: float = 0.1,
    max_ratio: float = 3.0,
    abs_tolerance_m: float = 0.3,
) -> np.ndarray:
    """
    (N, J, 3) metres -> (N,) bool, True where no bone is implausible (see module docstring).

    reference_lengths: (E,) metres, e.g. `skeletons.reference_bone_lengths(skeleton)`.
    """
    length = bone_lengths(poses, edges)  # (N, E)
    ref = np.asarray(reference_lengths, np.float64)
    with np.errstate(invalid='ignore'):
        bad_ratio = (length < min_ratio * ref) | (length > max_ratio * ref)
        bad = bad_ratio & (np.abs(length - ref) > abs_tolerance_m)  # NaN compares False
    return ~bad.any(axis=-1)


def pose_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """
    Normalised distance between every pose of a (N, J, D) and b (M, J, D) -> (N, M).

    The mean joint distance over the mean of the two poses' rms spreads about their centroids;
    D = 3 (metres) or 2 (image pixels). Pairs without a joint valid in both give inf.
    """

    def scale(p):  # (K, J, 3) -> (K,)
        c = np.nanmean(p, axis=1, keepdims=True)
        return np.sqrt(np.nanmean(np.sum((p - c) ** 2, axis=-1), axis=-1))

    with np.errstate(invalid='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # all-NaN poses
        d = np.linalg.norm(a[:, None] - b[None], axis=-1)  # (N, M, J)
        ok = np.isfinite(d)
        mean = np.nansum(d, -1) / np.maximum(ok.sum(-1), 1)  # (N, M) metres
        s = 0.5 * (scale(a)[:, None] + scale(b)[None])  # (N, M) metres
        return np.where(ok.any(-1) & np.isfinite(s), mean / np.maximum(s, 1e-6), np.inf)


def pose_nms(
    poses: np.ndarray,
    scores,
    threshold: float = 0.4,
    poses2d: np.ndarray | None = None,
    pairs2d: np.ndarray | None = None,
) -> np.ndarray:
    """
    Greedy pose non-maximum suppression.

    poses: (N, J, 3) metres; scores: (N,); poses2d: (N, J, 2) image pixels or None; pairs2d: (N, N)
    bool, the pairs the 2D test applies to (default all). Two poses are one person when they are
    close in 3D or, with poses2d, in the image: two crops of one far person (e.g. a second,
    narrower detector box) give the same 2D skeleton but absolute depths metres apart, as the
    network's depth follows the crop. Returns (K,) int64 indices of the kept poses, highest score
    first.
    """
    scores = np.asarray(scores, np.float64)
    order = np.argsort(-scores, kind='stable')
    if len(order) == 0:
        return order.astype(np.int64)
    d = pose_distance(poses[order], poses[order])  # (N, N) in score order
    if poses2d is not None:
        d2 = pose_distance(poses2d[order], poses2d[order])  # (N, N)
        if pairs2d is not None:
            d2 = np.where(np.asarray(pairs2d, bool)[np.ix_(order, order)], d2, np.inf)
        d = np.minimum(d, d2)
    keep = []
    suppressed = np.zeros(len(order), bool)
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(order[i])
        suppressed |= d[i] < threshold
    return np.asarray(keep, np.int64)


def filter_poses(
    poses: np.ndarray,
    scores,
    edges,
    reference_lengths,
    *,
    nms_threshold: float = 0.4,
    **bone_kwargs,
) -> np.ndarray:
    """Plausibility filter then NMS. Returns (K,) int64 indices into `poses`, best score first."""
    ok = np.nonzero(plausible_bones(poses, edges, reference_lengths, **bone_kwargs))[0]
    return ok[pose_nms(poses[ok], np.asarray(scores)[ok], nms_threshold)]
