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
Joint sets as data, an average-adult template, and mappings between joint sets.

MeTRAbs joint orders (smpl_24, h36m_17, coco_19) are those of the official release's skeleton
definitions (coco_19 = CMU-Panoptic order: neck, nose, pelvis, left arm, left leg, right arm, right
leg, face); names use MeTRAbs's short forms (`lsho` = left shoulder, the person's own left).
blazepose_33 uses MediaPipe Pose's landmark names and POSE_CONNECTIONS edges.

Every joint also has an anatomical key (the MeTRAbs short name); mappings match joints by key only.
Same key does not mean the same landmark to the millimetre (e.g. a SMPL hip joint sits deeper than
a COCO hip keypoint); that approximation is the caller's to accept. Joints without a counterpart
are NaN, never invented; the one documented exception is `derive_pelvis=True`, which fills a
missing pelvis with the midpoint of the two hips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SkeletonDef:
    """One joint set."""

    name: str  # e.g. 'smpl_24'
    joint_names: tuple[str, ...]  # (J,) names as published by the source
    edges: tuple[tuple[int, int], ...]  # (E, 2) bones as (parent-side, child-side) joint indices
    root: int | None  # index of the root joint; None = midpoint of the hips (BlazePose)
    keys: tuple[str, ...]  # (J,) anatomical keys used for mapping and the template

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    def index(self, name: str) -> int:
        """Index of a joint by name or anatomical key."""
        if name in self.joint_names:
            return self.joint_names.index(name)
        return self.keys.index(name)


def _chains(names: list[str], chains: str) -> tuple[tuple[int, int], ...]:
    """'a-b-c,b-d' -> edges ((a, b), (b, c), (b, d)) as indices into names."""
    edges = []
    for chain in chains.split(','):
        parts = chain.split('-')
        edges += [(names.index(a), names.index(b)) for a, b in zip(parts[:-1], parts[1:])]
    return tuple(edges)


def _metrabs(name: str, names: str, chains: str, root: str) -> SkeletonDef:
    n = names.split(',')
    return SkeletonDef(name, tuple(n), _chains(n, chains), n.index(root), tuple(n))


SMPL_24 = _metrabs(
    'smpl_24',
    'pelv,lhip,rhip,spi1,lkne,rkne,spi2,lank,rank,spi3,ltoe,rtoe,neck,lcla,rcla,head,lsho,rsho,'
    'lelb,relb,lwri,rwri,lhan,rhan',
    'pelv-lhip-lkne-lank-ltoe,pelv-rhip-rkne-rank-rtoe,pelv-spi1-spi2-spi3-neck-head,'
    'spi3-lcla-lsho-lelb-lwri-lhan,spi3-rcla-rsho-relb-rwri-rhan',
    'pelv',
)
H36M_17 = _metrabs(
    'h36m_17',
    'pelv,rhip,rkne,rank,lhip,lkne,lank,spin,neck,head,htop,lsho,lelb,lwri,rsho,relb,rwri',
    'pelv-rhip-rkne-rank,pelv-lhip-lkne-lank,pelv-spin-neck-head-htop,neck-lsho-lelb-lwri,'
    'neck-rsho-relb-rwri',
    'pelv',
)
COCO_19 = _metrabs(
    'coco_19',
    'neck,nose,pelv,lsho,lelb,lwri,lhip,lkne,lank,'
    'rsho,relb,rwri,rhip,rkne,rank,leye,lear,reye,rear',
    'pelv-neck-nose-leye-lear,nose-reye-rear,neck-lsho-lelb-lwri,neck-rsho-relb-rwri,'
    'pelv-lhip-lkne-lank,pelv-rhip-rkne-rank',
    'pelv',
)

_BLAZEPOSE_NAMES = (
    'nose',
    'left_eye_inner',
    'left_eye',
    'left_eye_outer',
    'right_eye_inner',
    'right_eye',
    'right_eye_outer',
    'left_ear',
    'right_ear',
    'mouth_left',
    'mouth_right',
    'left_shoulder',
    'right_shoulder',
    'left_elbow',
    'right_elbow',
    'left_wrist',
    'right_wrist',
    'left_pinky',
    'right_pinky',
    'left_index',
    'right_index',
    'left_thumb',
    'right_thumb',
    'left_hip',
    'right_hip',
    'left_knee',
    'right_knee',
    'left_ankle',
    'right_ankle',
    'left_heel',
    'right_heel',
    'left_foot_index',
    'right_foot_index',
)
_BLAZEPOSE_KEYS = (
    'nose',
    'leyi',
    'leye',
    'leyo',
    'reyi',
    'reye',
    'reyo',
    'lear',
    'rear',
    'lmou',
    'rmou',
    'lsho',
    'rsho',
    'lelb',
    'relb',
    'lwri',
    'rwri',
    'lpin',
    'rpin',
    'lind',
    'rind',
    'lthu',
    'rthu',
    'lhip',
    'rhip',
    'lkne',
    'rkne',
    'lank',
    'rank',
    'lhee',
    'rhee',
    'lfoo',
    'rfoo',
)
# MediaPipe POSE_CONNECTIONS (35 edges)
_BLAZEPOSE_EDGES = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 7),
    (0, 4),
    (4, 5),
    (5, 6),
    (6, 8),
    (9, 10),
    (11, 12),
    (11, 13),
    (13, 15),
    (15, 17),
    (15, 19),
    (15, 21),
    (17, 19),
    (12, 14),
    (14, 16),
    (16, 18),
    (16, 20),
    (16, 22),
    (18, 20),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (24, 26),
    (25, 27),
    (26, 28),
    (27, 29),
    (28, 30),
    (29, 31),
    (30, 32),
    (27, 31),
    (28, 32),
)
BLAZEPOSE_33 = SkeletonDef(
    'blazepose_33', _BLAZEPOSE_NAMES, _BLAZEPOSE_EDGES, None, _BLAZEPOSE_KEYS
)

SKELETONS = {s.name: s for s in (SMPL_24, H36M_17, COCO_19, BLAZEPOSE_33)}

# Average adult (~1.72 m), standing, arms down. Body frame, metres: x = the person's left,
# y = up, z = forward (the way the person faces); origin at the pelvis. Right side mirrors x.
_TEMPLATE_LEFT_AND_MID = {
    'pelv': (0, 0, 0),
    'lhip': (0.09, -0.07, 0),
    'lkne': (0.095, -0.50, 0.01),
    'lank': (0.10, -0.90, -0.03),
    'ltoe': (0.11, -0.96, 0.12),
    'lhee': (0.10, -0.96, -0.08),
    'lfoo': (0.11, -0.96, 0.15),
    'spi1': (0, 0.10, -0.01),
    'spi2': (0, 0.23, 0),
    'spi3': (0, 0.29, 0.01),
    'spin': (0, 0.23, 0),
    'neck': (0, 0.50, 0),
    'head': (0, 0.60, 0.02),
    'htop': (0, 0.76, 0),
    'nose': (0, 0.62, 0.10),
    'lcla': (0.07, 0.43, 0),
    'lsho': (0.18, 0.45, -0.01),
    'lelb': (0.20, 0.17, -0.03),
    'lwri': (0.21, -0.08, 0.0),
    'lhan': (0.21, -0.16, 0.01),
    'lpin': (0.22, -0.17, 0.0),
    'lind': (0.21, -0.18, 0.03),
    'lthu': (0.20, -0.13, 0.04),
    'leye': (0.033, 0.66, 0.08),
    'leyi': (0.018, 0.66, 0.085),
    'leyo': (0.05, 0.66, 0.075),
    'lear': (0.075, 0.64, 0.0),
    'lmou': (0.025, 0.58, 0.09),
}


def _template_point(key: str) -> np.ndarray:
    if key in _TEMPLATE_LEFT_AND_MID:
        return np.array(_TEMPLATE_LEFT_AND_MID[key], np.float64)
    if key.startswith('r') and 'l' + key[1:] in _TEMPLATE_LEFT_AND_MID:
        return np.array(_TEMPLATE_LEFT_AND_MID['l' + key[1:]], np.float64) * (-1, 1, 1)
    raise KeyError(f'no template position for joint key {key!r}')


def template_pose(skeleton: SkeletonDef) -> np.ndarray:
    """
    (J, 3) metres.

    The average adult in the body frame (x left, y up, z forward, pelvis at 0)
    """
    return np.stack([_template_point(k) for k in skeleton.keys])


def reference_bone_lengths(skeleton: SkeletonDef) -> np.ndarray:
    """(E,) metres: bone lengths of the template, in the order of `skeleton.edges`."""
    t = template_pose(skeleton)
    e = np.asarray(skeleton.edges)
    return np.linalg.norm(t[e[:, 1]] - t[e[:, 0]], axis=-1)


def get_skeleton(name: str) -> SkeletonDef:
    """`SkeletonDef` by name ('smpl_24', 'h36m_17', 'coco_19', 'blazepose_33')."""
    try:
        return SKELETONS[name]
    except KeyError:
        raise KeyError(f"unknown skeleton {name!r}; known: {', '.join(SKELETONS)}") from None


def _as_def(s) -> SkeletonDef:
    return s if isinstance(s, SkeletonDef) else get_skeleton(s)


def mapping(src, dst) -> tuple[np.ndarray, np.ndarray]:
    """
    Joint correspondence by anatomical key.

    Returns index (J_dst,) int into the source joints (0 where there is none) and valid (J_dst,)
    bool. Use: `out = np.where(valid[:, None], pts[..., index, :], np.nan)`.
    """
    src, dst = _as_def(src), _as_def(dst)
    pos = {k: i for i, k in enumerate(src.keys)}
    index = np.array([pos.get(k, 0) for k in dst.keys], np.int64)
    valid = np.array([k in pos for k in dst.keys], bool)
    return index, valid


def mapping_matrix(src, dst, derive_pelvis: bool = False) -> np.ndarray:
    """
    (J_dst, J_src) linear map `dst = M @ src`; rows without a counterpart are all NaN.

    derive_pelvis: a destination pelvis missing in the source becomes the hip midpoint.
    """
    src, dst = _as_def(src), _as_def(dst)
    index, valid = mapping(src, dst)
    M = np.zeros((dst.n_joints, src.n_joints))
    M[np.arange(dst.n_joints), index] = 1.0
    M[~valid] = np.nan
    if derive_pelvis and 'pelv' in dst.keys and 'pelv' not in src.keys:
        j = dst.keys.index('pelv')
        M[j] = 0.0
        M[j, src.keys.index('lhip')] = M[j, src.keys.index('rhip')] = 0.5
    return M


def convert(points: np.ndarray, src, dst, derive_pelvis: bool = False) -> np.ndarray:
    """(..., J_src, D) -> (..., J_dst, D) joints of `dst` (NaN where `src` has no counterpart)."""
    M = mapping_matrix(src, dst, derive_pelvis)
    has = ~np.isnan(M).any(axis=1)  # (J_dst,)
    out = np.einsum('ij,...jd->...id', np.nan_to_num(M), points)
    out[..., ~has, :] = np.nan
    return out


def root_position(points: np.ndarray, skeleton) -> np.ndarray:
    """(..., J, D) -> (..., D): the root joint, or the hip midpoint when the set has no root."""
    s = _as_def(skeleton)
    if s.root is not None:
        return points[..., s.root, :]
    return 0.5 * (points[..., s.index('lhip'), :] + points[..., s.index('rhip'), :])
