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
Pinhole camera with lens distortion, built and validated from `sensor_msgs/CameraInfo` values.

Conventions (docs/ARCHITECTURE.md): camera optical frame (x right, y down, z forward), metres;
pixel centres at integer coordinates (OpenCV). Normalised coordinates are `(x / z, y / z)` before
distortion. Distortion models follow ROS/OpenCV:

- ``none``: pinhole only.
- ``plumb_bob`` / ``rational_polynomial``: OpenCV's radial-tangential model, coefficients
  ``(k1, k2, p1, p2[, k3[, k4, k5, k6[, s1..s4[, tx, ty]]]])``; tilt (12/14 coefficients) is
  rejected.
- ``equidistant``: OpenCV's fisheye model, coefficients ``(k1, k2, k3, k4)``.

The forward model (`Camera.project`, `distort_normalized`) is written with plain array arithmetic
so that it runs on numpy arrays and on torch tensors alike (used by the torch crop warp); its
agreement with `cv2.projectPoints` / `cv2.fisheye.projectPoints` is tested. Undistortion uses
OpenCV's iterative solvers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
import math

import cv2
import numpy as np

DISTORTION_MODELS = ('none', 'plumb_bob', 'rational_polynomial', 'equidistant')


class InvalidCameraError(ValueError):
    """Camera intrinsics or sizes that cannot describe a real camera (the message says why)."""


def _xp(x):
    """
    Array namespace of `x`.

    Torch for tensors, numpy otherwise (torch is never imported here)
    """
    if type(x).__module__.startswith('torch'):
        import torch

        return torch
    return np


def distort_normalized(xy, dist, model: str):
    """
    Apply lens distortion to normalised coordinates.

    xy: (..., 2) undistorted normalised coordinates (numpy array or torch tensor).
    dist: (n,) coefficients as floats (numpy array).
    Returns (..., 2) distorted normalised coordinates, same array type as `xy`.
    """
    if model == 'none':
        return xy
    xp = _xp(xy)
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    d = [float(v) for v in dist]
    if model == 'equidistant':
        k1, k2, k3, k4 = (d + [0.0] * 4)[:4]
        r = xp.sqrt(r2)
        theta = xp.arctan(r)
        t2 = theta * theta
        theta_d = theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))))
        scale = xp.where(r > 1e-12, theta_d / xp.where(r > 1e-12, r, 1.0), 1.0)  # (...,)
        return xy * scale[..., None]
    k1, k2, p1, p2, k3, k4, k5, k6, s1, s2, s3, s4 = (d + [0.0] * 12)[:12]
    radial = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) / (1 + r2 * (k4 + r2 * (k5 + r2 * k6)))
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x) + r2 * (s1 + s2 * r2)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y + r2 * (s3 + s4 * r2)
    return xp.stack([xd, yd], -1)


@dataclass(frozen=True, eq=False)
class Camera:
    """Intrinsics of one camera; immutable. Build it with `from_camera_info` or `from_fov`."""

    K: np.ndarray  # (3, 3) float64 pixels: [[fx, s, cx], [0, fy, cy], [0, 0, 1]]
    dist: np.ndarray  # (n,) float64 distortion coefficients of `dist_model` (empty for 'none')
    dist_model: str  # one of DISTORTION_MODELS
    width: int  # pixels
    height: int  # pixels
    is_default_fov: bool = field(default=False)  # True when K is the assumed-FoV stand-in

    # ----------------------------------------------------------------------------------- builders
    @classmethod
    def from_fov(cls, width: int, height: int, fov_deg: float = 55.0) -> 'Camera':
        """
        Pinhole camera with `fov_deg` over the longer image side, principal point at the centre.

        The centre is ((width - 1) / 2, (height - 1) / 2) in the pixel-centre convention.
        """
        width, height = _check_size(width, height)
        if not 0.0 < fov_deg < 180.0:
            raise InvalidCameraError(f'field of view must be in (0, 180) degrees, got {fov_deg}')
        f = 0.5 * max(width, height) / math.tan(math.radians(fov_deg) / 2)
        K = np.array([[f, 0, (width - 1) / 2], [0, f, (height - 1) / 2], [0, 0, 1]], np.float64)
        return cls(K, np.zeros(0), 'none', width, height, is_default_fov=True)

    @classmethod
    def from_camera_info(
        cls,
        k,
        d,
        distortion_model: str,
        width: int,
        height: int,
        *,
        allow_default_fov: bool = False,
        fov_deg: float = 55.0,
        image_size: tuple[int, int] | None = None,
    ) -> 'Camera':
        """
        Validate CameraInfo values and build a Camera.

        k: 9 values (row-major) or (3, 3); d: distortion coefficients; distortion_model: the
        CameraInfo string ('' with no non-zero coefficient means 'none'); width, height: pixels.
        allow_default_fov: when K is unusable (all zero, NaN/inf, non-positive focal, principal
        point far outside the image), return `from_fov(width, height, fov_deg)` instead of raising.
        image_size: (width, height) of the images that will be used; a mismatch raises (use
        `Camera.scaled` for a resized stream); zero CameraInfo sizes are taken from it. Raises
        InvalidCameraError with the reason otherwise. An unknown distortion model or bad sizes
        always raise.
        """
        model = (distortion_model or '').strip().lower()
        d = np.asarray(d if d is not None else [], np.float64).reshape(-1)  # (n,)
        if model == '' and not np.any(d):
            model = 'none'
        if model not in DISTORTION_MODELS:
            raise InvalidCameraError(
                f'unknown distortion model {distortion_model!r}; supported:'
                f" {', '.join(DISTORTION_MODELS)}"
            )
        if image_size is not None:
            if int(width) == 0 and int(height) == 0:
                width, height = image_size
            elif (int(width), int(height)) != (int(image_size[0]), int(image_size[1])):
                raise InvalidCameraError(
                    f'CameraInfo size {int(width)}x{int(height)} does not match the image size '
                    f'{int(image_size[0])}x{int(image_size[1])} (rescale with Camera.scaled)'
                )
        width, height = _check_size(width, height)
        try:
            K = _check_intrinsics(k, width, height)
        except InvalidCameraError:
            if allow_default_fov:
                return cls.from_fov(width, height, fov_deg)
            raise
        model, d = _check_distortion(model, d)
        return cls(K, d, model, width, height)

    # ----------------------------------------------------------------------------------- methods
    def project(self, points):
        """
        Project camera-frame points to distorted pixels.

        points: (..., 3) metres, camera frame (numpy or torch). Returns (..., 2) pixels; points
        with z <= 1e-9 give NaN.
        """
        xp = _xp(points)
        z = points[..., 2]
        ok = z > 1e-9
        safe_z = xp.where(ok, z, 1.0)
        xy = points[..., :2] / safe_z[..., None]  # (..., 2) normalised
        xy = distort_normalized(xy, self.dist, self.dist_model)
        uv = self._apply_K(xy)
        return xp.where(ok[..., None], uv, float('nan'))

    def _apply_K(self, xy):
        """(..., 2) normalised (already distorted) -> (..., 2) pixels."""
        xp = _xp(xy)
        K = self.K
        u = K[0, 0] * xy[..., 0] + K[0, 1] * xy[..., 1] + K[0, 2]
        v = K[1, 1] * xy[..., 1] + K[1, 2]
        return xp.stack([u, v], -1)

    def undistort_points(self, pixels: np.ndarray) -> np.ndarray:
        """
        Undistort pixels.

        Pixels (..., 2) of the distorted image -> (..., 2) undistorted normalised coordinates.
        """
        pixels = np.asarray(pixels, np.float64)
        shape = pixels.shape
        flat = pixels.reshape(-1, 1, 2)  # (M, 1, 2)
        if self.dist_model == 'none' or flat.shape[0] == 0:
            Kinv = np.linalg.inv(self.K)
            out = flat[:, 0] @ Kinv[:2, :2].T + Kinv[:2, 2]  # (M, 2)
            return out.reshape(shape)
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 50, 1e-12)
        if self.dist_model == 'equidistant':
            out = cv2.fisheye.undistortPoints(flat, self.K, self.dist[:4], criteria=criteria)
        else:
            out = cv2.undistortPointsIter(flat, self.K, self.dist, None, None, criteria)
        return out.reshape(shape)

    def backproject(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) -> (..., 3) unit-length viewing rays in the camera frame."""
        xy = self.undistort_points(pixels)  # (..., 2)
        rays = np.concatenate([xy, np.ones_like(xy[..., :1])], axis=-1)  # (..., 3)
        return rays / np.linalg.norm(rays, axis=-1, keepdims=True)

    def scaled(self, factor: float) -> 'Camera':
        """Camera of the same lens for an image resized by `factor` (e.g. 0.5 for half size)."""
        if not factor > 0:
            raise InvalidCameraError(f'scale factor must be positive, got {factor}')
        S = np.array([[factor, 0, 0.5 * factor - 0.5], [0, factor, 0.5 * factor - 0.5], [0, 0, 1]])
        return Camera(
            S @ self.K,
            self.dist.copy(),
            self.dist_model,
            max(1, round(self.width * factor)),
            max(1, round(self.height * factor)),
            self.is_default_fov,
        )

    def fit_to_image(self, width: int, height: int, tolerance_px: float | None = None) -> 'Camera':
        """
        Return this camera for an image of width x height.

        Itself, or scaled when the image is a resized frame (same aspect ratio within tolerance_px;
        default max(1 px, 1 % of the height)).

        Raises InvalidCameraError when the aspect ratio differs.
        """
        if (self.width, self.height) == (width, height):
            return self
        factor = width / self.width
        tolerance = max(1.0, 0.01 * height) if tolerance_px is None else tolerance_px
        if abs(height - self.height * factor) > tolerance:
            raise InvalidCameraError(
                f"image {width}x{height} does not match the camera's {self.width}x{self.height} "
                '(different aspect ratio)'
            )
        return self.scaled(factor)

    @cached_property
    def max_normalized_radius(self) -> float:
        """
        Largest undistorted normalised radius seen by the image (border points, +10 %).

        Rays beyond it are outside the calibrated lens region, where polynomial distortion models
        fold back into the image; the crop warp treats them as outside the image.
        """
        w, h = self.width - 1, self.height - 1
        t = np.linspace(0.0, 1.0, 17)
        border = np.concatenate(
            [
                np.stack([t * w, 0 * t], -1),
                np.stack([t * w, 0 * t + h], -1),
                np.stack([0 * t, t * h], -1),
                np.stack([0 * t + w, t * h], -1),
            ]
        )  # (68, 2) pixels
        r = np.linalg.norm(self.undistort_points(border), axis=-1)
        return float(np.max(r[np.isfinite(r)]) * 1.1)


def _check_size(width, height) -> tuple[int, int]:
    try:
        w, h = int(width), int(height)
    except (TypeError, ValueError) as exc:
        raise InvalidCameraError(f'image size must be integers, got {width!r}x{height!r}') from exc
    if w <= 0 or h <= 0:
        raise InvalidCameraError(f'image size must be positive, got {w}x{h}')
    return w, h


def _check_intrinsics(k, width: int, height: int) -> np.ndarray:
    """Return K (3, 3) float64 or raise InvalidCameraError saying what is wrong."""
    K = np.asarray(k, np.float64)
    if K.size != 9:
        raise InvalidCameraError(f'K must have 9 values, got {K.size}')
    K = K.reshape(3, 3)
    if not np.all(np.isfinite(K)):
        raise InvalidCameraError('K contains NaN or inf')
    if not np.any(K):
        raise InvalidCameraError('K is all zeros (camera not calibrated)')
    if abs(K[2, 2]) < 1e-12 or abs(K[2, 0]) > 1e-9 or abs(K[2, 1]) > 1e-9 or abs(K[1, 0]) > 1e-9:
        raise InvalidCameraError(f'K is not an upper-triangular intrinsic matrix: {K.tolist()}')
    K = K / K[2, 2]
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    if fx <= 0 or fy <= 0:
        raise InvalidCameraError(f'focal lengths must be positive, got fx={fx}, fy={fy}')
    if not 0.1 < fx / fy < 10:
        raise InvalidCameraError(f'implausible aspect ratio fx/fy = {fx / fy:.3g}')
    if not (-0.5 * width <= cx <= 1.5 * width and -0.5 * height <= cy <= 1.5 * height):
        raise InvalidCameraError(
            f'principal point ({cx:.1f}, {cy:.1f}) is far outside the {width}x{height} image'
        )
    return K


def _check_distortion(model: str, d: np.ndarray) -> tuple[str, np.ndarray]:
    """Validate coefficients; all-zero distortion becomes 'none'. Returns (model, coefficients)."""
    if not np.all(np.isfinite(d)):
        raise InvalidCameraError('distortion coefficients contain NaN or inf')
    if model == 'none' or not np.any(d):
        return 'none', np.zeros(0)
    if model == 'equidistant':
        if d.size < 4 or np.any(d[4:]):
            raise InvalidCameraError(f'equidistant distortion needs 4 coefficients, got {d.size}')
        return model, d[:4].copy()
    if d.size not in (4, 5, 8, 12, 14):
        raise InvalidCameraError(f'{model} needs 4, 5, 8, 12 or 14 coefficients, got {d.size}')
    if d.size == 14 and np.any(d[12:]):
        raise InvalidCameraError('tilted-sensor distortion (tau_x, tau_y) is not supported')
    return model, d[:12].copy()
