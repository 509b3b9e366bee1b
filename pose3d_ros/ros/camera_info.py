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
sensor_msgs/CameraInfo -> the camera of the images, read as image_geometry reads it.

Plus plausibility.

- Raw images (`rectified=False`): K and D (distortion_model) describe the image.
- Rectified images (`rectified=True`): the left 3x3 of P is the intrinsic matrix, no distortion; R
  rotates
  the camera's optical frame into the rectified one (p_rect = R p_cam), so points found in the
  rectified image go back to the header's frame with R^T. P's Tx/Ty (stereo baseline) are ignored,
  as image_geometry's projectPixelTo3dRay does.
- Binning and ROI: K/P are of the full-resolution sensor (width x height); an image cropped to the
  ROI and
  binned has cx' = (cx - x_offset) / binning_x, fx' = fx / binning_x (same for y), and size
  roi.width / binning_x (or width / binning_x without ROI).

Pure functions over any object with CameraInfo's fields; no node needed.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np
from pose3d_ros.core.camera import Camera, distort_normalized, InvalidCameraError

# A real lens's horizontal field of view lies between these (degrees): 0.5 deg is a ~4,000 mm lens
# on a
# full-frame sensor; 200 deg a fisheye. fx outside the matching range (pixels over the image width)
# is
# refused: fx = fy = 1e9 on 640 px would put a person at 10^6 m.
MIN_FOV_DEG = 0.5
MAX_FOV_DEG = 200.0
# Distortion may not shrink the view at the frame's corners below this fraction of the pinhole's
# (real
# pincushion lenses: a few per cent; plumb_bob k1 = 1e6 on 640 px: 0.013, people at 170 m).
MIN_DISTORTION_SCALE = 0.5


@dataclass(frozen=True, eq=False)
class CameraModel:
    """The camera of the images on the topic, and how its points map to the header's frame."""

    camera: Camera  # intrinsics of the image as it arrives (after ROI, binning; P when rectified)
    rotation: np.ndarray | None  # (3, 3) R^T: rectified frame -> header frame; None = identity
    frame_id: str  # CameraInfo header frame


def camera_model_from_info(msg, *, rectified: bool = False) -> CameraModel:
    """
    `CameraInfo` -> CameraModel..

    Raises InvalidCameraError with the reason (bad values, implausible lens)
    """
    width, height = int(msg.width), int(msg.height)
    bx, by = max(1, int(msg.binning_x)), max(1, int(msg.binning_y))  # 0 means 1 (no binning)
    roi = msg.roi
    x0, y0 = int(roi.x_offset), int(roi.y_offset)
    if int(roi.width) > 0 and int(roi.height) > 0:
        if x0 + int(roi.width) > width or y0 + int(roi.height) > height:
            raise InvalidCameraError(
                f'ROI {int(roi.width)}x{int(roi.height)}+{x0}+{y0} exceeds the '
                f'{width}x{height} sensor'
            )
        width, height = int(roi.width), int(roi.height)
    else:
        x0 = y0 = 0
    rotation = None
    if rectified:
        P = np.asarray(msg.p, np.float64)
        if P.size != 12:
            raise InvalidCameraError(f'P must have 12 values, got {P.size}')
        K, dist, model = P.reshape(3, 4)[:, :3].copy(), [], 'none'
        R = np.asarray(msg.r, np.float64).reshape(-1)
        if R.size == 9 and np.any(R):
            R = R.reshape(3, 3)
            if (
                not np.all(np.isfinite(R))
                or not np.allclose(R @ R.T, np.eye(3), atol=1e-3)
                or np.linalg.det(R) < 0
            ):
                raise InvalidCameraError('R is not a rotation matrix')
            if not np.allclose(R, np.eye(3), atol=1e-9):
                rotation = R.T
    else:
        K, dist, model = (
            np.asarray(msg.k, np.float64).reshape(-1).copy(),
            list(msg.d),
            msg.distortion_model,
        )
        if K.size != 9:
            raise InvalidCameraError(f'K must have 9 values, got {K.size}')
        K = K.reshape(3, 3)
    if np.all(np.isfinite(K)) and abs(K[2, 2]) > 1e-12:
        K = K / K[2, 2]
        K[0, 2] -= x0
        K[1, 2] -= y0
        K[0, :] /= bx
        K[1, :] /= by
    camera = Camera.from_camera_info(K.reshape(-1), dist, model, width // bx, height // by)
    problem = implausibility(camera)
    if problem:
        raise InvalidCameraError(problem)
    return CameraModel(camera, rotation, str(msg.header.frame_id))


def implausibility(camera: Camera) -> str | None:
    """
    Why no real lens gives this camera (focal length vs sensor width, folding distortion).

    Or None
    """
    w = camera.width
    fx = float(camera.K[0, 0])
    lo = 0.5 * w / math.tan(math.radians(min(MAX_FOV_DEG, 179.0)) / 2)  # widest lens, pixels
    hi = 0.5 * w / math.tan(math.radians(MIN_FOV_DEG) / 2)  # narrowest lens, pixels
    if not lo <= fx <= hi:
        return (
            f'focal length fx={fx:.4g} px is implausible for a {w} px wide image (a real lens'
            f' gives {lo:.3g}..{hi:.3g} px, {MIN_FOV_DEG}..{MAX_FOV_DEG} deg field of view)'
        )
    if camera.dist_model == 'none':
        return None
    fold, shrink = _radial_profile(camera)
    coefficients = np.round(camera.dist, 4).tolist()
    if fold is not None:
        return (
            f'{camera.dist_model} distortion {coefficients} folds the image: the distorted radius'
            f' stops growing at undistorted radius {fold:.3g}, inside the frame'
        )
    if shrink < MIN_DISTORTION_SCALE:
        return (
            f'{camera.dist_model} distortion {coefficients} shrinks the view by {1 / shrink:.3g}x'
            f' at the image border (no real lens; people would be placed {1 / shrink:.3g}x too'
            ' far)'
        )
    return None


def _radial_profile(camera: Camera) -> tuple[float | None, float]:
    """
    Sample the radial distortion map of a camera along 16 directions.

    Returns (the undistorted radius where the radial map folds before reaching the frame's corner,
    or None; the smallest undistorted / distorted radius at the frame's corners).
    """
    w, h = camera.width, camera.height
    corners = np.array([[0, 0, 1], [w - 1, 0, 1], [0, h - 1, 1], [w - 1, h - 1, 1]], np.float64)
    corners = corners @ np.linalg.inv(camera.K).T  # (4, 3) distorted normalised
    needed = float(np.max(np.linalg.norm(corners[:, :2], axis=1)))  # radius the map must reach
    if camera.dist_model == 'equidistant':
        r = np.tan(np.linspace(0.0, math.radians(89.5), 4000))  # rays up to 89.5 deg off-axis
    else:
        r = np.linspace(0.0, 20.0, 8000)  # up to a 174 deg field of view
    shrink = math.inf
    for angle in np.linspace(0.0, 2 * math.pi, 16, endpoint=False):
        # (S, 2) undistorted normalised
        xy = np.stack([r * math.cos(angle), r * math.sin(angle)], -1)
        # (S,)
        rd = np.linalg.norm(distort_normalized(xy, camera.dist, camera.dist_model), axis=-1)
        reach = np.nonzero(rd >= needed)[0]
        first = reach[0] if len(reach) else len(rd)
        falling = np.nonzero(np.diff(rd[: first + 1]) <= 0)[0]
        if len(falling):
            return float(r[falling[0]]), shrink
        if len(reach):
            shrink = min(shrink, float(r[first] / rd[first]))
    return None, shrink
