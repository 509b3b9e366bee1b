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

"""Synthetic people and MeTRAbs head outputs with exact ground truth, for the core tests."""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.skeletons import SkeletonDef, SMPL_24, template_pose
from scipy.spatial.transform import Rotation

# body frame (x left, y up, z forward) -> camera frame of a person facing the camera
BODY_TO_CAMERA = np.diag([1.0, -1.0, -1.0])


def _bfs_parents(skel: SkeletonDef) -> list[tuple[int, int]]:
    """(parent, child) pairs in breadth-first order from the root (pelvis)."""
    root = skel.root if skel.root is not None else skel.index('lhip')
    adj = {i: [] for i in range(skel.n_joints)}
    for a, b in skel.edges:
        adj[a].append(b)
        adj[b].append(a)
    seen, order, queue = {root}, [], [root]
    while queue:
        p = queue.pop(0)
        for c in adj[p]:
            if c not in seen:
                seen.add(c)
                order.append((p, c))
                queue.append(c)
    return order


def random_body_pose(
    rng, skel: SkeletonDef = SMPL_24, max_angle_deg: float = 20.0, scale_range=(0.93, 1.05)
) -> np.ndarray:
    """
    (J, 3) metres, body frame.

    The template with random joint rotations (bone lengths kept, times one random body scale).
    """
    t = template_pose(skel) * rng.uniform(*scale_range)
    out = t.copy()
    rot = {skel.root if skel.root is not None else skel.index('lhip'): np.eye(3)}
    for p, c in _bfs_parents(skel):
        axis = rng.normal(size=3)
        local = Rotation.from_rotvec(
            axis / np.linalg.norm(axis) * np.radians(rng.uniform(-max_angle_deg, max_angle_deg))
        )
        rot[c] = rot[p] @ local.as_matrix()
        out[c] = out[p] + rot[c] @ (t[c] - t[p])
    return out


def place_person(body: np.ndarray, camera: Camera, pixel, depth: float, yaw: float) -> np.ndarray:
    """
    Camera-frame joints (J, 3).

    Body turned by `yaw` about its vertical, pelvis on the ray of `pixel` (distorted image) at z =
    `depth` metres.
    """
    ry = Rotation.from_euler('y', yaw).as_matrix()
    pts = body @ (BODY_TO_CAMERA @ ry).T  # (J, 3) camera axes, pelvis at origin
    ray = camera.backproject(np.asarray(pixel, np.float64))
    return pts + ray / ray[2] * depth


def random_people(
    rng,
    camera: Camera,
    n: int,
    depth_range=(1.0, 10.0),
    margin: float = 0.2,
    skel: SkeletonDef = SMPL_24,
) -> np.ndarray:
    """
    (n, J, 3) metres, camera frame.

    Pelvis pixel uniform inside the image shrunk by `margin` (negative margin puts people partly
    outside).
    """
    w, h = camera.width, camera.height
    out = []
    for _ in range(n):
        px = rng.uniform([margin * w, margin * h], [(1 - margin) * w, (1 - margin) * h])
        out.append(
            place_person(
                random_body_pose(rng, skel),
                camera,
                px,
                rng.uniform(*depth_range),
                rng.uniform(-np.pi, np.pi),
            )
        )
    return np.stack(out)


def boxes_of(points2d: np.ndarray, pad: float = 0.1, clip_to=None) -> np.ndarray:
    """
    (N, J, 2) pixels -> (N, 4) xywh boxes padded by `pad` of their size on every side.

    Optionally clipped to a (width, height) image like a detector would.
    """
    lo, hi = points2d.min(axis=1), points2d.max(axis=1)
    size = hi - lo
    lo, hi = lo - pad * size, hi + pad * size
    if clip_to is not None:
        lo = np.clip(lo, 0, np.asarray(clip_to) - 1)
        hi = np.clip(hi, 0, np.asarray(clip_to) - 1)
    return np.concatenate([lo, hi - lo], axis=1)


def _axis_logits(cells: np.ndarray, n: int) -> np.ndarray:
    """
    Make log-probabilities whose mean is exactly the given continuous cell indices.

    (...,) continuous cell indices -> (..., n) log-probabilities whose mean is exactly `cells`
    (after clipping to [0, n-1]): mass split between the two neighbouring cells.
    """
    c = np.clip(cells, 0, n - 1)
    lo = np.minimum(np.floor(c), n - 2).astype(int)
    a = c - lo
    p = np.zeros(c.shape + (n,))
    np.put_along_axis(p, lo[..., None], (1 - a)[..., None], axis=-1)
    np.put_along_axis(p, lo[..., None] + 1, a[..., None], axis=-1)
    return np.log(p + 1e-30)


def render_head_logits(
    coords2d: np.ndarray,
    coords3d: np.ndarray,
    res: int,
    depth: int = 8,
    stride: int = 32,
    box_size_m: float = 2.2,
) -> np.ndarray:
    """
    Make head logits (N, J + D*J, H, W) that decode exactly to the given values.

    Channel layout of core.decode. coords2d: (N, J, 2) crop pixels (clipped to the heatmap range
    like a real soft-argmax); coords3d: (N, J, 3) metres relative to the cube centre (must lie
    inside it).
    """
    n, j = coords2d.shape[:2]
    h = w = res // stride
    c2 = (coords2d - stride / 2) / stride  # (N, J, 2) cells
    lx, ly = _axis_logits(c2[..., 0], w), _axis_logits(c2[..., 1], h)
    lg2d = ly[..., :, None] + lx[..., None, :]  # (N, J, H, W)
    px = coords3d[..., :2] * (res / box_size_m) + res / 2
    c3 = np.concatenate(
        [(px - stride / 2) / stride, (coords3d[..., 2:] / box_size_m + 0.5) * (depth - 1)], axis=-1
    )
    assert np.all((c3[..., :2] >= 0) & (c3[..., :2] <= w - 1)) and np.all(
        (c3[..., 2] >= 0) & (c3[..., 2] <= depth - 1)
    ), '3D point outside the metric cube'
    lx3, ly3, lz3 = (
        _axis_logits(c3[..., 0], w),
        _axis_logits(c3[..., 1], h),
        _axis_logits(c3[..., 2], depth),
    )
    # (N,J,D,H,W)
    lg3d = lz3[..., :, None, None] + ly3[..., None, :, None] + lx3[..., None, None, :]
    lg3d = np.moveaxis(lg3d, 2, 1).reshape(n, depth * j, h, w)  # channel J + d*J + j
    return np.concatenate([lg2d, lg3d], axis=1)


def crop_truth(people: np.ndarray, geom) -> tuple[np.ndarray, np.ndarray]:
    """
    Exact crop-model targets.

    (N, J, 2) crop pixels and (N, J, 3) metres in virtual axes relative to the centre of the
    joints' bounding box.
    """
    from pose3d_ros.core.crops import camera_to_crop, project_to_crop

    v = camera_to_crop(people, geom)  # (N, J, 3)
    centre = 0.5 * (v.min(axis=1, keepdims=True) + v.max(axis=1, keepdims=True))
    return project_to_crop(people, geom), v - centre
