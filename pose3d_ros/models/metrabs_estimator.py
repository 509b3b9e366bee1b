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
The official MeTRAbs multi-person step around the crop network, for one image and its boxes.

boxes -> crop cameras (one per box and test-time augmentation) -> linear-light crops -> network ->
decoded P internal points -> per-crop absolute reconstruction -> left/right swap of mirrored
augmentations -> camera frame -> joint_transform_matrix (after reconstruction) -> 2D projections ->
average over the augmentations. Settings come from the model (``MetrabsSettings``). Metres, pixels.

Test-time augmentation with A = num_aug (official values): rotations about the optical axis
``linspace(-25 deg, 25 deg, A)``, scales ``[linspace(0.8, 1, A//2, no end), linspace(1, 1.1, A -
A//2)]``, horizontal flips where ``(a - A//2)`` is odd, gammas ``linspace(0.6, 1.0, A)``; a
one-point linspace gives the midpoint, so A = 1 is no rotation, no flip, scale 1 and gamma 0.8
(``settings.gamma``).
"""

from __future__ import annotations

from dataclasses import dataclass
import time

import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import crop_points_to_image, CropGeometry
from pose3d_ros.core.crops_linear import crop_geometry_official, warp_crops_linear
from pose3d_ros.core.reconstruct import reconstruct_official

ROT_AUG_DEG = 25.0  # official rotation range of the test-time augmentation
MAX_CROPS_PER_CALL = 64  # the official internal_batch_size


def _linspace(a: float, b: float, n: int, endpoint: bool = True) -> np.ndarray:
    """Numpy linspace, except that one point is the midpoint (as the official helper does)."""
    if n == 1 and endpoint:
        return np.array([(a + b) / 2])
    return np.linspace(a, b, n, endpoint=endpoint)


@dataclass(frozen=True)
class Augmentations:
    """A test-time augmentations: (A,) angles (rad), scales, flips (bool), gammas."""

    angles: np.ndarray
    scales: np.ndarray
    flips: np.ndarray
    gammas: np.ndarray

    def __len__(self) -> int:
        return len(self.angles)

    def rotflip(self) -> np.ndarray:
        """Return (A, 3, 3) `F_a @ Rz(-angle_a)`, applied after the look-at rotation."""
        c, s = np.cos(-self.angles), np.sin(-self.angles)
        rz = np.zeros((len(self), 3, 3))
        rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = c, -s, s, c, 1.0
        flip = np.where(self.flips[:, None, None], np.diag([-1.0, 1.0, 1.0]), np.eye(3))
        return flip @ rz


def augmentations(num_aug: int, gamma: float = 0.8) -> Augmentations:
    """Official test-time augmentation parameters; num_aug = 1 uses `gamma`."""
    n = int(num_aug)
    if n < 1:
        raise ValueError(f'num_aug must be >= 1, got {n}')
    r = np.deg2rad(ROT_AUG_DEG)
    scales = np.concatenate(
        [_linspace(0.8, 1.0, n // 2, endpoint=False), np.linspace(1.0, 1.1, n - n // 2)]
    )
    gammas = np.array([gamma]) if n == 1 else _linspace(0.6, 1.0, n)
    return Augmentations(_linspace(-r, r, n), scales, (np.arange(n) - n // 2) % 2 != 0, gammas)


def prepare_boxes(boxes: np.ndarray, box_scale: float = 1.0, square: bool = False) -> np.ndarray:
    """
    (N, 4) xywh -> (N, 4) xywh crop boxes.

    Optionally squared (longer side), scaled about the centre
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    c = boxes[:, :2] + boxes[:, 2:] / 2
    size = boxes[:, 2:].copy()
    if square:
        size[:] = size.max(axis=1, keepdims=True)
    size = size * box_scale
    return np.concatenate([c - size / 2, size], axis=1)


def augmented_geometry(geom: CropGeometry, aug: Augmentations) -> CropGeometry:
    """
    (N) crop cameras -> (A*N) cameras, augmentation-major.

    K top-left x scale_a, R <- F_a Rz_a R
    """
    a, n = len(aug), len(geom)
    K = np.repeat(geom.K[None], a, 0)  # (A, N, 3, 3)
    K[:, :, :2, :2] *= aug.scales[:, None, None, None]
    R = np.einsum('aij,njk->anik', aug.rotflip(), geom.R)  # (A, N, 3, 3)
    return CropGeometry(K.reshape(a * n, 3, 3), R.reshape(a * n, 3, 3), geom.res)


def reconstruct_crops(
    coords2d: np.ndarray,
    coords3d: np.ndarray,
    geom: CropGeometry,
    settings,
    matrix: np.ndarray | None = None,
):
    """
    Per-crop reconstruction in the crop frame.

    coords2d (N, P, 2) crop px; coords3d (N, P, 3) any unit, origin ``settings.origin``; matrix (P,
    J) applied first when ``settings.map_after_reconstruction`` is False. Returns abs (N, P|J, 3)
    crop frame, t (N, 3), in_fov (N, P|J).
    """
    if matrix is not None and not settings.map_after_reconstruction:
        coords2d = np.einsum('npk,pj->njk', coords2d, matrix)
        coords3d = np.einsum('npk,pj->njk', coords3d, matrix)
    return reconstruct_official(
        coords2d,
        coords3d,
        geom.K,
        fov=settings.fov_window(geom.res),
        l2_regularizer=settings.l2_regularizer,
        truncated_weight=settings.truncated_weight,
        mix_3d_inside_fov=settings.mix_3d_inside_fov,
    )


def crops_to_output(
    abs_crop: np.ndarray, geom: CropGeometry, settings, matrix: np.ndarray | None = None
) -> np.ndarray:
    """(N, P, 3) crop frame -> (N, J, 3) camera frame: `p @ R`, then the joint transform (P, J)."""
    cam = np.einsum('npi,nij->npj', abs_crop, geom.R)  # row vectors: p_cam = p_crop @ R
    if matrix is not None and settings.map_after_reconstruction:
        cam = np.einsum('npk,pj->njk', cam, matrix)
    return cam


def estimate(model, image_rgb: np.ndarray, camera: Camera, boxes: np.ndarray, up=(0.0, -1.0, 0.0)):
    """
    Official poses for the boxes of one image.

    model: ``MetrabsCropModel`` (``settings``, ``input_size``, ``predict_points``,
    ``point_matrix``, ``mirror``). boxes: (N, 4) xywh image pixels. Returns joints (N, J, 3) metres
    camera frame, joints2d (N, J, 2) image pixels (averaged over the augmentations) and timings
    (seconds).
    """
    st, res = model.settings, model.input_size
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    aug = augmentations(st.num_aug, st.gamma)
    a, n = len(aug), len(boxes)
    base = crop_geometry_official(
        camera, prepare_boxes(boxes, st.box_scale, st.square_box), res, up
    )
    geom = augmented_geometry(base, aug)  # (A*N) cameras, augmentation-major
    crops = np.concatenate(
        [
            warp_crops_linear(image_rgb, camera, _rows(geom, i, n), float(g), st.max_pyramid_level)
            for i, g in enumerate(aug.gammas)
        ]
    )
    t1 = time.perf_counter()
    timings['crop'] = t1 - t0
    parts = [
        model.predict_points(crops[i: i + MAX_CROPS_PER_CALL])
        for i in range(0, len(crops), MAX_CROPS_PER_CALL)
    ]
    coords2d = np.concatenate([p[0] for p in parts])  # (A*N, P, 2) crop px
    coords3d = np.concatenate([p[1] for p in parts])  # (A*N, P, 3) m
    t2 = time.perf_counter()
    timings['model'] = t2 - t1
    matrix = model.point_matrix
    abs_crop, _, _ = reconstruct_crops(coords2d, coords3d, geom, st, matrix)
    if aug.flips.any():  # mirrored crops predict the person's left as right: swap back
        abs_crop = abs_crop.reshape(a, n, *abs_crop.shape[1:])
        mirror = model.mirror if st.map_after_reconstruction or matrix is None else None
        if mirror is None:
            raise ValueError(
                'flip augmentation needs map_after_reconstruction (mirror of the P points)'
            )
        abs_crop[aug.flips] = abs_crop[aug.flips][:, :, mirror]
        abs_crop = abs_crop.reshape(a * n, *abs_crop.shape[2:])
    joints = crops_to_output(abs_crop, geom, st, matrix)  # (A*N, J, 3) m camera frame
    if st.poses2d_from_3d:
        joints2d = camera.project(joints)  # (A*N, J, 2) px
    else:
        c2 = coords2d if matrix is None else np.einsum('npk,pj->njk', coords2d, matrix)
        joints2d = crop_points_to_image(c2, camera, geom)
    joints = joints.reshape(a, n, *joints.shape[1:]).mean(0)
    joints2d = joints2d.reshape(a, n, *joints2d.shape[1:]).mean(0)
    timings['reconstruct'] = time.perf_counter() - t2
    return joints, joints2d, timings


def _rows(geom: CropGeometry, block: int, n: int) -> CropGeometry:
    """Cameras of augmentation `block` out of an augmentation-major (A*N) geometry."""
    sl = slice(block * n, (block + 1) * n)
    return CropGeometry(geom.K[sl], geom.R[sl], geom.res)
