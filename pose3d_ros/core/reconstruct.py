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
Absolute 3D pose from a crop's 2D and root-relative 3D prediction (REFERENCE §1).

For joint j with relative position (X, Y, Z) (virtual-camera axes, metres) and normalised 2D
position (u, v) = K_virt^-1 (pixel), the unknown translation t of the person satisfies `(X + tx) /
(Z + tz) = u`, i.e. the two linear rows

    [1, 0, -u] . t = u Z - X        [0, 1, -v] . t = v Z - Y.

Rows are weighted (1 inside the crop's field of view minus a border margin, `truncated_weight`
outside, 0 for NaN/invalid joints), the u/v column and the right-hand side are RMS-normalised so
that the Tikhonov term `l2_regularizer * |t'|^2` is scale-free, and the 3x3 normal equations are
solved in closed form. Joints inside the field of view may then be blended between `rel + t` and
the back-projection of their 2D point at depth `Z + tz` (`mix_3d_inside_fov`: 1 = 3D only, 0.5 =
50/50).

Works on numpy arrays and on torch tensors with any leading batch dimensions `...`.
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.crops import crop_to_camera, CropGeometry


def _xp(x):
    if type(x).__module__.startswith('torch'):
        import torch

        return torch
    return np


def reconstruct_absolute(
    coords2d,
    coords3d_rel,
    K,
    *,
    res: int,
    border_px: float = 20.0,
    truncated_weight: float = 1e-4,
    l2_regularizer: float = 1e-4,
    mix_3d_inside_fov: float = 0.5,
    valid=None,
):
    """
    Absolute joints in each crop's virtual camera.

    coords2d: (..., J, 2) crop pixels. coords3d_rel: (..., J, 3) metres, virtual-camera axes,
    relative to any reference point. K: (..., 3, 3) virtual intrinsics. res: crop side in pixels.
    border_px: joints closer than this to the crop border count as truncated (outside the FoV).
    valid: optional (..., J) bool, the joints the translation is fitted to (e.g. confident ones);
    the others are still placed by the fitted translation. NaN inputs give NaN outputs. Returns
    (..., J, 3) metres, virtual-camera frame (NaN where the input is NaN; all NaN if no joint is
    both finite and valid).
    """
    xp = _xp(coords2d)
    finite = xp.isfinite(coords2d).sum(-1) + xp.isfinite(coords3d_rel).sum(-1) == 5  # (..., J)
    ok = finite if valid is None else finite & valid  # joints in the fit
    p2 = xp.where(ok[..., None], coords2d, res / 2)  # (..., J, 2) px
    rel = xp.where(ok[..., None], coords3d_rel, 0.0)  # (..., J, 3) metres
    Kinv = xp.linalg.inv(K)  # (..., 3, 3)
    # (..., J, 2)
    uv = (p2[..., None, :] * Kinv[..., None, :2, :2]).sum(-1) + Kinv[..., None, :2, 2]

    in_fov = ((p2 >= border_px) & (p2 <= res - 1 - border_px)).sum(-1) == 2  # (..., J)
    in_fov = in_fov & ok
    w = xp.where(in_fov, 1.0, truncated_weight) * ok  # (..., J) row weights
    any_in = (in_fov.sum(-1) > 0)[..., None]
    w = w / xp.where(any_in, 1.0, truncated_weight)  # strongest joint weighs 1
    w2 = w * w

    n_ok = xp.where(ok.sum(-1) > 0, ok.sum(-1), 1)[..., None]  # (..., 1)
    s2 = xp.sqrt(((uv * uv).sum(-1) * ok).sum(-1)[..., None] / (2 * n_ok))  # (..., 1)
    s2 = xp.where(s2 > 1e-9, s2, 1.0)
    b = uv * rel[..., 2:] - rel[..., :2]  # (..., J, 2) metres
    sb = xp.sqrt(((b * b).sum(-1) * ok).sum(-1)[..., None] / (2 * n_ok))  # (..., 1)
    sb = xp.where(sb > 1e-9, sb, 1.0)
    un = uv / s2[..., None]  # (..., J, 2)
    bn = b / sb[..., None]

    sw = w2.sum(-1)  # (...,)
    su, sv = (w2 * un[..., 0]).sum(-1), (w2 * un[..., 1]).sum(-1)
    suu = (w2 * (un * un).sum(-1)).sum(-1)
    lam = l2_regularizer
    zero = 0.0 * sw
    M = xp.stack(
        [
            xp.stack([sw + lam, zero, -su], -1),
            xp.stack([zero, sw + lam, -sv], -1),
            xp.stack([-su, -sv, suu + lam], -1),
        ],
        -2,
    )  # (..., 3, 3)
    r = xp.stack(
        [(w2 * bn[..., 0]).sum(-1), (w2 * bn[..., 1]).sum(-1), -(w2 * (un * bn).sum(-1)).sum(-1)],
        -1,
    )  # (..., 3)
    tn = xp.linalg.solve(M, r[..., None])[..., 0]  # (..., 3) normalised translation
    t = xp.stack(
        [tn[..., 0] * sb[..., 0], tn[..., 1] * sb[..., 0], tn[..., 2] * sb[..., 0] / s2[..., 0]],
        -1,
    )  # (..., 3) metres

    # (..., J, 3), unfitted joints too
    abs3d = xp.where(finite[..., None], coords3d_rel, 0.0) + t[..., None, :]
    if mix_3d_inside_fov < 1.0:
        depth = abs3d[..., 2:]  # (..., J, 1)
        abs2d = xp.concatenate([uv * depth, depth], -1)
        use = (in_fov & (depth[..., 0] > 1e-3))[..., None]
        abs3d = xp.where(use, mix_3d_inside_fov * abs3d + (1 - mix_3d_inside_fov) * abs2d, abs3d)
    keep = finite & (ok.sum(-1) > 0)[..., None]
    return xp.where(keep[..., None], abs3d, float('nan'))


def reconstruct_in_camera(
    coords2d: np.ndarray, coords3d_rel: np.ndarray, geom: CropGeometry, **kwargs
) -> np.ndarray:
    """
    `reconstruct_absolute` for N crops, rotated back to the real camera.

    coords2d: (N, J, 2) crop pixels; coords3d_rel: (N, J, 3) metres, virtual axes; kwargs go to
    `reconstruct_absolute`. Returns (N, J, 3) metres, camera optical frame.
    """
    virt = reconstruct_absolute(
        np.asarray(coords2d, np.float64),
        np.asarray(coords3d_rel, np.float64),
        geom.K,
        res=geom.res,
        **kwargs,
    )
    return crop_to_camera(virt, geom)


def fov_window(
    res: int, stride: int = 32, centered_stride: bool = True, border_factor: float = 0.75
) -> tuple[float, float]:
    """
    Official field-of-view window [lower, upper] in crop pixels (both limits included).

    ``[border_factor * stride + off, res - border_factor * stride + off]`` with ``off = -stride/2``
    when the stride is not centred: [8, 216] for the S-256 release, [24, 360] for L-384.
    """
    off = 0.0 if centered_stride else -stride / 2
    return border_factor * stride + off, res - border_factor * stride + off


def reconstruct_official(
    coords2d,
    coords3d_rel,
    K,
    *,
    fov: tuple[float, float],
    l2_regularizer: float = 1e-2,
    truncated_weight: float = 1e-4,
    mix_3d_inside_fov: float = 0.5,
    valid=None,
):
    """
    Absolute points in each crop's virtual camera, solved as the official MeTRAbs code does.

    One weighted least-squares problem per crop (numpy, float64): point j gives the rows ``tx - nx
    tz = nx z - x`` and ``ty - ny tz = ny z - y`` with weight ``in_fov + truncated_weight``
    (``in_fov``: u and v inside the window ``fov``, limits included), plus three rows
    ``sqrt(l2_regularizer) * I`` with target 0. The ``-n`` column and the right-hand side are each
    divided by their RMS over the crop's valid points first, and the result scaled back. Points
    inside the window are then blended: ``mix (rel + t) + (1 - mix) (nx, ny, 1) (z + tz)``.

    coords2d: (N, P, 2) crop pixels; coords3d_rel: (N, P, 3) any length unit, virtual-camera axes,
    relative to any reference point (the official origin is the cube corner); K: (N, 3, 3) crop
    intrinsics; valid: optional (N, P) bool (NaN inputs are invalid too and come out NaN).
    Returns abs (N, P, 3) in the unit of coords3d_rel, t (N, 3) and in_fov (N, P) bool.
    """
    c2 = np.asarray(coords2d, np.float64)
    rel = np.asarray(coords3d_rel, np.float64)
    ok = np.isfinite(c2).all(-1) & np.isfinite(rel).all(-1)  # (N, P)
    if valid is not None:
        ok &= np.asarray(valid, bool)
    c2 = np.where(ok[..., None], c2, 0.0)
    rel = np.where(ok[..., None], rel, 0.0)
    Kinv = np.linalg.inv(np.asarray(K, np.float64))  # (N, 3, 3)
    # (N, P, 2) normalised
    n = np.einsum('nij,npj->npi', Kinv[:, :2, :2], c2) + Kinv[:, None, :2, 2]
    lo, hi = fov
    in_fov = ((c2 >= lo) & (c2 <= hi)).all(-1) & ok  # (N, P)
    w2 = np.where(ok, (in_fov + truncated_weight) ** 2, 0.0)  # (N, P) squared row weights
    count = np.maximum(2 * ok.sum(-1), 1)  # (N,) rows of valid points
    s2 = np.sqrt((n * n * ok[..., None]).sum((1, 2)) / count)  # (N,) RMS of the -n column
    b = n * rel[..., 2:] - rel[..., :2]  # (N, P, 2) right-hand side
    sb = np.sqrt((b * b * ok[..., None]).sum((1, 2)) / count)  # (N,) RMS of the right-hand side
    s2 = np.where(s2 > 1e-12, s2, 1.0)
    sb = np.where(sb > 1e-12, sb, 1.0)
    un, bn = n / s2[:, None, None], b / sb[:, None, None]
    lam = l2_regularizer
    sw = w2.sum(-1)  # (N,)
    su, sv = (w2 * un[..., 0]).sum(-1), (w2 * un[..., 1]).sum(-1)
    suu = (w2 * (un * un).sum(-1)).sum(-1)
    zero = np.zeros_like(sw)
    M = np.stack(
        [
            np.stack([sw + lam, zero, -su], -1),
            np.stack([zero, sw + lam, -sv], -1),
            np.stack([-su, -sv, suu + lam], -1),
        ],
        -2,
    )  # (N, 3, 3) normal equations
    r = np.stack(
        [(w2 * bn[..., 0]).sum(-1), (w2 * bn[..., 1]).sum(-1), -(w2 * (un * bn).sum(-1)).sum(-1)],
        -1,
    )  # (N, 3)
    tn = np.linalg.solve(M, r[..., None])[..., 0]  # (N, 3) normalised translation
    t = np.stack([tn[:, 0] * sb, tn[:, 1] * sb, tn[:, 2] * sb / s2], -1)  # (N, 3)
    abs3d = rel + t[:, None, :]  # (N, P, 3)
    depth = abs3d[..., 2:]
    abs2d = np.concatenate([n * depth, depth], -1)  # back-projection at depth z + tz
    out = np.where(
        in_fov[..., None], mix_3d_inside_fov * abs3d + (1 - mix_3d_inside_fov) * abs2d, abs3d
    )
    return np.where(ok[..., None], out, np.nan), t, in_fov
