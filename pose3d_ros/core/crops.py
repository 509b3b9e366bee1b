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
Perspective-correct person crops (REFERENCE §1): geometry, OpenCV warp, torch warp.

For every box a virtual pinhole camera shares the real camera's centre, is rotated to look along
the box-centre ray (`p_virtual = R @ p_camera`) with its y axis along -`up`, and has focal length
`res / max(reprojected box width, height)` (in normalised units) and principal point (res/2,
res/2). The crop is the virtual camera's undistorted image: the lens distortion of the real camera
is undone inside the warp. Pixel centres are at integer coordinates in both images.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pose3d_ros.core.camera import Camera


@dataclass(frozen=True, eq=False)
class CropGeometry:
    """Virtual cameras of N crops (all share the real camera's centre)."""

    K: np.ndarray  # (N, 3, 3) float64 virtual intrinsics, crop pixels
    R: np.ndarray  # (N, 3, 3) float64 rotation, p_virtual = R @ p_camera
    res: int  # crop side in pixels

    def __len__(self) -> int:
        return len(self.K)

    def astype32(self) -> 'CropGeometry':
        """float32 copy, for fast per-pixel work."""
        return CropGeometry(self.K.astype(np.float32), self.R.astype(np.float32), self.res)


def lookat_rotation(forward: np.ndarray, up) -> np.ndarray:
    """
    Rotations whose z axis is `forward` and whose y axis points away from `up`.

    forward: (..., 3) any length; up: (3,) camera-frame up direction. Returns (..., 3, 3), rows are
    the new x, y, z axes in camera coordinates (so `R @ p` maps camera -> virtual).
    """
    z = forward / np.linalg.norm(forward, axis=-1, keepdims=True)  # (..., 3)
    down = -np.broadcast_to(np.asarray(up, np.float64), z.shape)
    y = down - np.sum(down * z, axis=-1, keepdims=True) * z
    n = np.linalg.norm(y, axis=-1, keepdims=True)
    # Looking straight along `up`: any y orthogonal to z will do.
    alt = np.cross(z, np.array([1.0, 0.0, 0.0]))
    y = np.where(
        n > 1e-9, y / np.maximum(n, 1e-12), alt / np.linalg.norm(alt, axis=-1, keepdims=True)
    )
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-2)


def crop_geometry(
    camera: Camera, boxes, res: int = 256, up=(0.0, -1.0, 0.0), box_scale: float = 1.0
) -> CropGeometry:
    """
    Virtual crop cameras for boxes.

    boxes: (N, 4) x, y, width, height in pixels of the (distorted) image. res: crop side in pixels.
    up: camera-frame world-up (default image-up). box_scale: > 1 adds context around the box.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)  # (N, 4) pixels
    x, y = boxes[:, 0], boxes[:, 1]
    w, h = np.maximum(boxes[:, 2], 1.0), np.maximum(boxes[:, 3], 1.0)
    cx, cy = x + w / 2, y + h / 2
    # centre, left, right, top, bottom midpoints: (N, 5, 2) pixels
    pts = np.stack(
        [
            np.stack([cx, cy], -1),
            np.stack([x, cy], -1),
            np.stack([x + w, cy], -1),
            np.stack([cx, y], -1),
            np.stack([cx, y + h], -1),
        ],
        axis=1,
    )
    xy = camera.undistort_points(pts)  # (N, 5, 2) normalised
    rays = np.concatenate([xy, np.ones_like(xy[..., :1])], axis=-1)  # (N, 5, 3) camera frame
    R = lookat_rotation(rays[:, 0], up)  # (N, 3, 3)
    v = np.einsum('nij,nkj->nki', R, rays)  # (N, 5, 3) virtual frame
    v = v[..., :2] / v[..., 2:]  # (N, 5, 2) virtual normalised coordinates
    width_n = np.linalg.norm(v[:, 2] - v[:, 1], axis=-1)  # (N,)
    height_n = np.linalg.norm(v[:, 4] - v[:, 3], axis=-1)  # (N,)
    f = res / (box_scale * np.maximum(np.maximum(width_n, height_n), 1e-9))  # (N,) crop pixels
    K = np.zeros((len(boxes), 3, 3))
    K[:, 0, 0] = K[:, 1, 1] = f
    K[:, :2, 2] = res / 2
    K[:, 2, 2] = 1.0
    return CropGeometry(K, R, int(res))


# ------------------------------------------------------------------------------- point mappings
def crop_to_camera(points: np.ndarray, geom: CropGeometry) -> np.ndarray:
    """(N, J, 3) virtual-camera coordinates -> (N, J, 3) real camera frame (applies R^T)."""
    return np.einsum('nji,nkj->nki', geom.R, points)


def camera_to_crop(points: np.ndarray, geom: CropGeometry) -> np.ndarray:
    """(N, J, 3) camera frame -> (N, J, 3) virtual-camera coordinates of each crop (applies R)."""
    return np.einsum('nij,nkj->nki', geom.R, points)


def project_to_crop(points: np.ndarray, geom: CropGeometry) -> np.ndarray:
    """(N, J, 3) camera frame metres -> (N, J, 2) crop pixels (pinhole, no distortion)."""
    v = camera_to_crop(points, geom)  # (N, J, 3)
    uvw = np.einsum('nij,nkj->nki', geom.K, v)
    return uvw[..., :2] / uvw[..., 2:]


def crop_points_to_image(points2d: np.ndarray, camera: Camera, geom: CropGeometry) -> np.ndarray:
    """(N, J, 2) crop pixels -> (N, J, 2) pixels of the real (distorted) image."""
    rays = _crop_pixels_to_camera_rays(np.asarray(points2d, np.float64), geom)  # (N, J, 3)
    return camera.project(rays)


def _crop_pixels_to_camera_rays(points2d: np.ndarray, geom: CropGeometry) -> np.ndarray:
    """(N, ..., 2) crop pixels -> (N, ..., 3) camera-frame rays with z_virtual = 1."""
    f = geom.K[:, 0, 0]
    c = geom.K[:, :2, 2]
    shape = (len(geom),) + (1,) * (points2d.ndim - 2)
    xy = (points2d - c.reshape(shape + (2,))) / f.reshape(shape + (1,))  # virtual normalised
    v = np.concatenate([xy, np.ones_like(xy[..., :1])], axis=-1)  # (N, ..., 3) virtual rays
    if v.size == 0:
        return v
    return (v.reshape(len(geom), -1, 3) @ geom.R).reshape(v.shape)  # R^T v for row vectors


# ------------------------------------------------------------------------------- OpenCV warp
def homographies(camera: Camera, geom: CropGeometry) -> np.ndarray:
    """(N, 3, 3) maps from crop pixels to (undistorted) image pixels: K_cam @ R^T @ K_virt^-1."""
    return camera.K @ np.transpose(geom.R, (0, 2, 1)) @ np.linalg.inv(geom.K)


def sampling_grid(camera: Camera, geom: CropGeometry) -> np.ndarray:
    """
    (N, res, res, 2) float32 source-image pixel (x, y) sampled by each crop pixel.

    Lens distortion is included (cv2.initUndistortRectifyMap, with the crop rotation as the
    rectification and the virtual K as the new camera). Rays behind the camera or outside the
    calibrated lens region (where distortion polynomials fold back) get -1e5, outside every image.
    """
    n, res = len(geom), geom.res
    out = np.empty((n, res, res, 2), np.float32)
    for i in range(n):
        if camera.dist_model == 'equidistant':
            mx, my = cv2.fisheye.initUndistortRectifyMap(
                camera.K, camera.dist, geom.R[i], geom.K[i], (res, res), cv2.CV_32FC1
            )
        else:
            mx, my = cv2.initUndistortRectifyMap(
                camera.K,
                camera.dist if camera.dist.size else None,
                geom.R[i],
                geom.K[i],
                (res, res),
                cv2.CV_32FC1,
            )
        out[i, ..., 0], out[i, ..., 1] = mx, my
    for i in np.nonzero(_leaves_lens(camera, geom))[0]:  # rare: mask per pixel
        r = np.arange(res, dtype=np.float32)
        grid = np.stack(np.meshgrid(r, r, indexing='xy'), axis=-1)[None]  # (1, res, res, 2)
        rays = _crop_pixels_to_camera_rays(grid, _subset(geom, [i]).astype32())[0]  # (res, res, 3)
        out[i][~_valid_rays(camera, rays)] = -1e5
    return out


def _subset(geom: CropGeometry, idx) -> CropGeometry:
    return CropGeometry(geom.K[idx], geom.R[idx], geom.res)


def _valid_rays(camera: Camera, rays: np.ndarray) -> np.ndarray:
    """(..., 3) camera rays -> (...,) bool: in front of the camera and inside the lens region."""
    z = rays[..., 2]
    ok = z > 1e-6
    if camera.dist_model != 'none':
        r = np.linalg.norm(rays[..., :2], axis=-1) / np.where(ok, z, 1.0)
        ok &= r < camera.max_normalized_radius
    return ok


def _leaves_lens(camera: Camera, geom: CropGeometry) -> np.ndarray:
    """
    (N,) bool: some crop pixel looks behind the camera or outside the lens region.

    z is affine over the crop and the normalised radius is convex over its (convex) image, so
    checking the four corners is exact.
    """
    e = geom.res - 1.0
    corners = np.array([[0.0, 0.0], [e, 0.0], [0.0, e], [e, e]])
    rays = _crop_pixels_to_camera_rays(np.broadcast_to(corners, (len(geom), 4, 2)), geom)
    return ~_valid_rays(camera, rays).all(axis=1)


def _shrink_factors(camera: Camera, geom: CropGeometry) -> np.ndarray:
    """(N,) image pixels per crop pixel at the crop centre."""
    return np.sqrt(camera.K[0, 0] * camera.K[1, 1]) / geom.K[:, 0, 0]


def _pyramid_levels(camera: Camera, geom: CropGeometry, antialias: bool) -> np.ndarray:
    """(N,) int pyramid level per crop so that the remaining shrink is below 2."""
    if not antialias:
        return np.zeros(len(geom), int)
    s = _shrink_factors(camera, geom)
    return np.clip(np.floor(np.log2(np.maximum(s, 1.0))), 0, 8).astype(int)


def warp_crops(
    image: np.ndarray, camera: Camera, geom: CropGeometry, antialias: bool = True
) -> np.ndarray:
    """
    Perspective crops of an image.

    image: (H, W, C) uint8 (C = 3 RGB usually) of size camera.width x camera.height. Returns (N,
    res, res, C) uint8; outside the image is black. With antialias, crops that shrink the image by
    >= 2x are sampled from a Gaussian pyramid level (cv2.pyrDown) instead of the full image.
    """
    n, res = len(geom), geom.res
    out = np.zeros((n, res, res) + image.shape[2:], np.uint8)
    if n == 0:
        return out
    levels = _pyramid_levels(camera, geom, antialias)
    pyramid = [image]
    for _ in range(int(levels.max())):
        pyramid.append(cv2.pyrDown(pyramid[-1]))
    use_grid = _leaves_lens(camera, geom) | (camera.dist_model != 'none')  # (N,) bool
    H = homographies(camera, geom)  # (N, 3, 3) crop -> undistorted image pixels
    for i in np.nonzero(~use_grid)[0]:
        S = np.diag([0.5 ** levels[i], 0.5 ** levels[i], 1.0])  # pyrDown keeps pixel 2i -> i
        cv2.warpPerspective(
            pyramid[levels[i]],
            S @ H[i],
            (res, res),
            dst=out[i],
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
    idx = np.nonzero(use_grid)[0]
    grid = sampling_grid(camera, _subset(geom, idx))  # (n_grid, res, res, 2) image pixels
    for k, i in enumerate(idx):
        m = grid[k] * np.float32(0.5 ** levels[i])
        cv2.remap(
            pyramid[levels[i]],
            m,
            None,
            cv2.INTER_LINEAR,
            dst=out[i],
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
    return out


# ------------------------------------------------------------------------------- torch warp
def _pyr_down_torch(img, torch):
    """cv2.pyrDown for a (1, C, H, W) float tensor (5-tap binomial, reflect-101 border)."""
    k1 = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=img.dtype, device=img.device) / 16
    c = img.shape[1]
    F = torch.nn.functional
    x = F.pad(img, (2, 2, 2, 2), mode='reflect')
    x = F.conv2d(x, k1.view(1, 1, 1, 5).repeat(c, 1, 1, 1), stride=(1, 2), groups=c)
    return F.conv2d(x, k1.view(1, 1, 5, 1).repeat(c, 1, 1, 1), stride=(2, 1), groups=c)


def warp_crops_torch(image, camera: Camera, geom: CropGeometry, antialias: bool = True, grid=None):
    """
    Torch twin of `warp_crops` (e.g. on the GPU) with `grid_sample`.

    image: (H, W, C) uint8 or float tensor on any device. grid: optional precomputed
    `sampling_grid(camera, geom)` (computed on the CPU when not given; cheap without distortion).
    Returns (N, res, res, C) tensor of the image's dtype on the image's device (uint8 is rounded).
    """
    import torch

    F = torch.nn.functional
    dev = image.device
    n, res = len(geom), geom.res
    if grid is None:
        if camera.dist_model == 'none':
            grid = _homography_grid_torch(homographies(camera, geom), res, torch, dev)
        else:
            grid = torch.from_numpy(sampling_grid(camera, geom)).to(dev)
    else:
        grid = torch.as_tensor(grid, device=dev)
    pyramid = [image.permute(2, 0, 1)[None].float()]  # level 0: (1, C, H, W)
    out = torch.zeros((n, pyramid[0].shape[1], res, res), device=dev)
    levels = _pyramid_levels(camera, geom, antialias)
    for level in np.unique(levels):
        while len(pyramid) <= level:
            pyramid.append(_pyr_down_torch(pyramid[-1], torch))
        src = pyramid[level]
        idx = torch.from_numpy(np.nonzero(levels == level)[0]).to(dev)
        h, w = src.shape[-2:]
        g = grid[idx].float() * (0.5 ** int(level))  # (n_l, res, res, 2) pixels at this level
        scale = torch.tensor([2.0 / w, 2.0 / h], device=dev)
        g = (g + 0.5) * scale - 1.0  # align_corners=False normalisation
        out[idx] = F.grid_sample(
            src.expand(len(idx), -1, -1, -1),
            g,
            mode='bilinear',
            padding_mode='zeros',
            align_corners=False,
        )
    out = out.permute(0, 2, 3, 1)
    if image.dtype == torch.uint8:
        return out.round().clamp(0, 255).to(torch.uint8)
    return out.to(image.dtype)


def _homography_grid_torch(H: np.ndarray, res: int, torch, device):
    """
    (N, res, res, 2) image pixels from (N, 3, 3) crop->image homographies.

    Computed on device
    """
    Ht = torch.as_tensor(H, dtype=torch.float64, device=device)
    r = torch.arange(res, dtype=torch.float64, device=device)
    yy, xx = torch.meshgrid(r, r, indexing='ij')
    p = torch.stack([xx, yy, torch.ones_like(xx)], -1).reshape(-1, 3)  # (res*res, 3)
    q = torch.einsum('nij,kj->nki', Ht, p)  # (N, res*res, 3)
    ok = q[..., 2] > 1e-9
    uv = q[..., :2] / torch.where(ok, q[..., 2], 1.0)[..., None]
    uv = torch.where(ok[..., None], uv, -1e5)
    return uv.reshape(len(H), res, res, 2).float()
