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
The official MeTRAbs perspective crop: box used as given, linear-light resampling, gamma.

Geometry (`crop_geometry_official`): the five box points (centre, side midpoints) are
back-projected (lens distortion undone by 5 fixed-point iterations), the virtual camera looks along
the centre ray (`p_virtual = R @ p_camera`), and the side midpoints projected with `K R` give
`crop_scale = S / max(box height, box width)` in pixels; the crop intrinsics are the real camera's
first two rows times `crop_scale` with the principal point at (S/2, S/2), so fx != fy and skew
carry over. The box is neither squared nor enlarged.

Pixels (`warp_crops_linear`): the image goes to linear light (`(u8 / 255) ** 2.2`), into a pyramid
of 2x2 average pools (level `clip(floor(-log2 crop_scale), 0, 2)`), is sampled bilinearly at the
distorted projection of each crop pixel's ray (zero outside the image, the last half pixel blending
with that zero), and re-encoded as `crop ** (gamma / 2.2)`. Pixel centres sit at integer
coordinates in both images. The result is float32 in [0, 1]; the network input is `2 * crop - 1`.
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.camera import Camera, distort_normalized
from pose3d_ros.core.crops import CropGeometry, lookat_rotation

DECODE_GAMMA = 2.2  # u8 -> linear light exponent of the official code
MAX_PYRAMID_LEVEL = 2  # three levels: full, 1/2, 1/4
UNDISTORT_ITERATIONS = 5


def _undistort_fixed_point(xy_d: np.ndarray, camera: Camera) -> np.ndarray:
    """(..., 2) distorted normalised -> undistorted normalised, 5 fixed-point steps (official)."""
    if camera.dist_model == 'none' or not np.any(camera.dist):
        return xy_d
    if camera.dist_model != 'plumb_bob' and camera.dist_model != 'rational_polynomial':
        return camera.undistort_points(camera._apply_K(xy_d))  # other models: OpenCV's solver
    k1, k2, p1, p2, k3, k4, k5, k6 = (list(camera.dist) + [0.0] * 8)[:8]
    p = xy_d.copy()
    for _ in range(UNDISTORT_ITERATIONS):
        x, y = p[..., 0], p[..., 1]
        r2 = x * x + y * y
        a = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) / (1 + r2 * (k4 + r2 * (k5 + r2 * k6)))
        b = 2 * (p2 * x + p1 * y)
        c = np.stack([p2 * r2, p1 * r2], -1)
        p = (xy_d - c - p * b[..., None]) / a[..., None]
    return p


def crop_geometry_official(camera: Camera, boxes, res: int, up=(0.0, -1.0, 0.0)) -> CropGeometry:
    """Virtual crop cameras of the official MeTRAbs code for (N, 4) x, y, w, h pixel boxes."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)  # (N, 4) pixels
    x, y, w, h = boxes.T
    cx, cy = x + w / 2, y + h / 2
    pts = np.stack(
        [
            np.stack([cx, cy], -1),
            np.stack([cx, y], -1),
            np.stack([cx, y + h], -1),
            np.stack([x, cy], -1),
            np.stack([x + w, cy], -1),
        ],
        axis=1,
    )  # (N, 5, 2) px
    Kinv = np.linalg.inv(camera.K)
    xy_d = pts @ Kinv[:2, :2].T + Kinv[:2, 2]  # (N, 5, 2) distorted normalised
    xy = _undistort_fixed_point(xy_d, camera)
    rays = np.concatenate([xy, np.ones_like(xy[..., :1])], -1)  # (N, 5, 3) camera frame
    R = lookat_rotation(rays[:, 0], up)  # (N, 3, 3)
    q = np.einsum('ij,njk,npk->npi', camera.K, R, rays)  # (N, 5, 3) through K R
    q = q[..., :2] / q[..., 2:]  # (N, 5, 2) pixels
    size = np.maximum(
        np.linalg.norm(q[:, 1] - q[:, 2], axis=-1), np.linalg.norm(q[:, 3] - q[:, 4], axis=-1)
    )  # (N,) pixels
    scale = res / np.maximum(size, 1e-9)  # (N,) crop_scale
    K = np.zeros((len(boxes), 3, 3))
    K[:, :2, :2] = camera.K[:2, :2] * scale[:, None, None]
    K[:, :2, 2] = res / 2
    K[:, 2, 2] = 1.0
    return CropGeometry(K, R, int(res))


def crop_scales(camera: Camera, geom: CropGeometry) -> np.ndarray:
    """(N,) crop pixels per image pixel (the official `crop_scale`)."""
    return geom.K[:, 0, 0] / camera.K[0, 0]


def pyramid_levels(
    camera: Camera, geom: CropGeometry, max_level: int = MAX_PYRAMID_LEVEL
) -> np.ndarray:
    """(N,) int: `clip(floor(-log2(crop_scale)), 0, max_level)`."""
    s = crop_scales(camera, geom)
    return np.clip(np.floor(-np.log2(np.maximum(s, 1e-12))), 0, max_level).astype(int)


def linear_light(image: np.ndarray) -> np.ndarray:
    """
    Convert (H, W, C) uint8 to (H, W, C) float32 linear light.

    Linear light is `(u8 / 255) ** 2.2`, read from a 256-entry table.
    """
    table = ((np.arange(256, dtype=np.float32) / 255.0) ** np.float32(DECODE_GAMMA)).astype(
        np.float32
    )
    return table[image]


def average_pyramid(linear: np.ndarray, levels: int) -> list[np.ndarray]:
    """[level 0, ..., level `levels`] of 2x2 average pools; odd sizes drop the last row/column."""
    out = [linear]
    for _ in range(levels):
        a = out[-1]
        h, w = a.shape[0] // 2 * 2, a.shape[1] // 2 * 2
        a = a[:h, :w]
        out.append(0.25 * (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]))
    return out


def bilinear_zero(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """
    Sample (H, W, C) at (..., 2) pixel positions (x, y).

    Zero outside (grid_sample, align_corners=True).

    The image gets a 2-pixel zero border, so that positions are only clipped into that border (no
    masks): integer positions are pixel centres and the last half pixel blends with the zero
    outside.
    """
    h, w = image.shape[:2]
    pad = np.zeros((h + 4, w + 4) + image.shape[2:], np.float32)
    pad[2:-2, 2:-2] = image
    flat = pad.reshape((h + 4) * (w + 4), -1)  # (H'W', C)
    # padded coordinates; far outside -> inside the zero border
    x = np.clip(xy[..., 0] + 2.0, 0.0, w + 2.5)
    y = np.clip(xy[..., 1] + 2.0, 0.0, h + 2.5)
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0).astype(np.float32)[..., None], (y - y0).astype(np.float32)[..., None]
    i00 = (y0.astype(np.int64) * (w + 4) + x0.astype(np.int64)).ravel()
    take = lambda idx: flat[idx].reshape(xy.shape[:-1] + (flat.shape[1],))  # noqa: E731
    top = take(i00) * (1 - fx) + take(i00 + 1) * fx
    bottom = take(i00 + w + 4) * (1 - fx) + take(i00 + w + 5) * fx
    out = top * (1 - fy) + bottom * fy
    return out.reshape(xy.shape[:-1] + image.shape[2:])


def source_positions(camera: Camera, geom: CropGeometry, levels: np.ndarray) -> np.ndarray:
    """
    (N, S, S, 2) float64 pixel positions at each crop's pyramid level sampled by every crop pixel.

    Rays that point behind the camera get -1e5 (outside every image).
    """
    n, res = len(geom), geom.res
    r = np.arange(res, dtype=np.float64)
    # (S, S, 3) (i, j, 1)
    grid = np.stack([*np.meshgrid(r, r, indexing='xy'), np.ones((res, res))], -1)
    inv = np.linalg.inv(geom.K @ geom.R)  # (N, 3, 3): crop pixel -> camera ray
    # (N, S, S, 3)
    rays = (grid.reshape(1, -1, 3) @ np.transpose(inv, (0, 2, 1))).reshape(n, res, res, 3)
    z = rays[..., 2]
    ahead = z > 1e-9
    xy = rays[..., :2] / np.where(ahead, z, 1.0)[..., None]  # (N, S, S, 2) normalised
    xy = distort_normalized(xy, camera.dist, camera.dist_model)
    uv = camera._apply_K(xy)  # (N, S, S, 2) level-0 pixels
    f = 0.5 ** levels.astype(np.float64)  # A_l = [[f, 0, (f-1)/2], [0, f, (f-1)/2]]
    uv = uv * f[:, None, None, None] + ((f - 1) / 2)[:, None, None, None]
    return np.where(ahead[..., None], uv, -1e5)


def warp_crops_linear(
    image: np.ndarray,
    camera: Camera,
    geom: CropGeometry,
    gamma: float = 0.8,
    max_level: int = MAX_PYRAMID_LEVEL,
) -> np.ndarray:
    """
    Official crops.

    (H, W, 3) uint8 RGB -> (N, S, S, 3) float32 in [0, 1], `crop ** (gamma/2.2)`
    """
    n, res = len(geom), geom.res
    out = np.zeros((n, res, res) + image.shape[2:], np.float32)
    if n == 0:
        return out
    levels = pyramid_levels(camera, geom, max_level)
    pyramid = average_pyramid(linear_light(image), int(levels.max()))
    pos = source_positions(camera, geom, levels)
    for i in range(n):
        out[i] = bilinear_zero(pyramid[levels[i]], pos[i])
    np.power(np.maximum(out, 0.0), np.float32(gamma / DECODE_GAMMA), out=out)
    return out
