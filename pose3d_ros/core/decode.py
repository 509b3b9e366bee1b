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
Decoding of MeTRAbs heads: soft-argmax of 2D heatmaps and of the metric 3D volume.

Head output layout (the contract the MeTRAbs network follows; same as the official release):

    logits: (N, J + D*J, H, W), channels first, H = W = res / stride (stride 32: 8 at 256 px,
    12 at 384 px), D = depth bins (8).
      channels [0, J)            2D heatmap logits of joint j at channel j
      channels [J, J + D*J)      3D volume logits; joint j at depth bin d is channel J + d*J + j
                                 (depth-major, joint-minor: reshape to (N, D, J, H, W))

Soft-argmax = softmax over all cells of one joint, then the expected cell index (x = column,
y = row, z = depth bin), continuous and sub-cell accurate.

Cell index -> crop pixels (2D): `pixel = index * stride + pixel_offset`; the default offset
`stride / 2` is the official "centred stride" convention (cell k of 8 at 256 px -> 32 k + 16).

Cell index -> metres (3D volume, a cube of side `box_size_m` = 2.2 m): x, y use the same pixel
positions scaled by `box_size_m / res`; z = `d / (D - 1) * box_size_m`. That is the official
output, with the origin at the cube **corner** (every value in [0, box_size_m]; `origin="corner"`).
The default `origin="centre"` moves it to the cube centre (`box_size_m / 2` on each axis); a
`root_index` makes the points relative to that joint. The result is metres in the crop's
virtual-camera axes (x right, y down, z forward), relative to a reference point that absolute
reconstruction recovers anyway (the official reconstruction solves with the corner origin).
"""

from __future__ import annotations

import numpy as np


def _exp_shifted(x: np.ndarray, n_axes: int) -> tuple[np.ndarray, np.ndarray]:
    """exp(x - max) over the last `n_axes` axes and its sum (..., 1, ...) for normalisation."""
    axes = tuple(range(-n_axes, 0))
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    return e, e.sum(axis=axes)


def soft_argmax_2d(logits: np.ndarray) -> np.ndarray:
    """(..., H, W) logits -> (..., 2) expected (column, row) cell index, float."""
    h, w = logits.shape[-2:]
    e, total = _exp_shifted(logits, 2)  # (..., H, W), (...,)
    x = e.sum(axis=-2) @ np.arange(w, dtype=e.dtype)  # (...,) unnormalised
    y = e.sum(axis=-1) @ np.arange(h, dtype=e.dtype)
    return np.stack([x, y], axis=-1) / total[..., None]


def soft_argmax_3d(logits: np.ndarray) -> np.ndarray:
    """(..., D, H, W) logits -> (..., 3) expected (column, row, depth) cell index, float."""
    d, h, w = logits.shape[-3:]
    e, total = _exp_shifted(logits, 3)  # (..., D, H, W), (...,)
    e_hw = e.sum(axis=-3)  # (..., H, W) marginal over depth
    x = e_hw.sum(axis=-2) @ np.arange(w, dtype=e.dtype)
    y = e_hw.sum(axis=-1) @ np.arange(h, dtype=e.dtype)
    z = e.sum(axis=(-2, -1)) @ np.arange(d, dtype=e.dtype)
    return np.stack([x, y, z], axis=-1) / total[..., None]


def cells_to_crop_pixels(cells, stride: float, pixel_offset: float | None = None):
    """(..., 2) cell indices -> (..., 2) crop pixels (numpy or torch)."""
    off = stride / 2 if pixel_offset is None else pixel_offset
    return cells * stride + off


ORIGINS = ('centre', 'corner')


def cells_to_metric(
    cells,
    res: int,
    stride: float,
    depth: int,
    box_size_m: float = 2.2,
    pixel_offset: float | None = None,
    origin: str = 'centre',
):
    """(..., 3) volume cell indices -> (..., 3) metres, origin at the cube centre or corner."""
    if origin not in ORIGINS:
        raise ValueError(f'origin must be one of {ORIGINS}, got {origin!r}')
    xy = cells_to_crop_pixels(cells[..., :2], stride, pixel_offset) * (box_size_m / res)
    z = cells[..., 2:] * (box_size_m / (depth - 1))
    shift = box_size_m / 2 if origin == 'centre' else 0.0
    out = xy, z
    if type(cells).__module__.startswith('torch'):
        import torch

        return torch.cat(out, -1) - shift
    return np.concatenate(out, axis=-1) - shift


def _split_head(logits, n_joints: int, depth: int):
    n, c, h, w = logits.shape
    if c != n_joints * (1 + depth):
        raise ValueError(
            f'head has {c} channels, expected J + D*J = {n_joints * (1 + depth)} '
            f'for J={n_joints}, D={depth}'
        )
    lg2d = logits[:, :n_joints]  # (N, J, H, W)
    lg3d = logits[:, n_joints:].reshape(n, depth, n_joints, h, w)  # (N, D, J, H, W)
    return lg2d, lg3d


def decode_metrabs_head(
    logits: np.ndarray,
    n_joints: int,
    *,
    res: int,
    depth: int = 8,
    box_size_m: float = 2.2,
    pixel_offset: float | None = None,
    root_index: int | None = None,
    origin: str = 'centre',
) -> tuple[np.ndarray, np.ndarray]:
    """
    Split and decode a MeTRAbs 1x1-conv head output (numpy).

    logits: (N, J + D*J, H, W) float (layout in the module docstring). res: crop side in pixels.
    Returns coords2d (N, J, 2) crop pixels and coords3d (N, J, 3) metres, virtual-camera axes,
    relative to the cube centre (or corner, `origin="corner"`) or to joint `root_index`.
    """
    logits = np.asarray(logits)
    logits = logits.astype(np.result_type(logits.dtype, np.float32), copy=False)
    lg2d, lg3d = _split_head(logits, n_joints, depth)
    stride = res / logits.shape[-1]
    coords2d = cells_to_crop_pixels(soft_argmax_2d(lg2d), stride, pixel_offset)  # (N, J, 2)
    cells3d = soft_argmax_3d(np.moveaxis(lg3d, 1, 2))  # (N, J, 3)
    coords3d = cells_to_metric(cells3d, res, stride, depth, box_size_m, pixel_offset, origin)
    if root_index is not None:
        coords3d = coords3d - coords3d[:, root_index: root_index + 1]
    return coords2d, coords3d


def decode_metrabs_head_torch(
    logits,
    n_joints: int,
    *,
    res: int,
    depth: int = 8,
    box_size_m: float = 2.2,
    pixel_offset: float | None = None,
    root_index: int | None = None,
    origin: str = 'centre',
):
    """Torch twin of `decode_metrabs_head` (ONNX-exportable: softmax, sums, matmuls only)."""
    import torch

    n, _, h, w = logits.shape
    lg2d, lg3d = _split_head(logits.float(), n_joints, depth)
    stride = res / w
    p2 = torch.softmax(lg2d.reshape(n, n_joints, h * w), -1).reshape(n, n_joints, h, w)
    ax_w = torch.arange(w, dtype=p2.dtype, device=p2.device)
    ax_h = torch.arange(h, dtype=p2.dtype, device=p2.device)
    ax_d = torch.arange(depth, dtype=p2.dtype, device=p2.device)
    cells2d = torch.stack([p2.sum(-2) @ ax_w, p2.sum(-1) @ ax_h], -1)  # (N, J, 2)
    p3 = torch.softmax(lg3d.transpose(1, 2).reshape(n, n_joints, depth * h * w), -1)
    p3 = p3.reshape(n, n_joints, depth, h, w)
    cells3d = torch.stack(
        [p3.sum((2, 3)) @ ax_w, p3.sum((2, 4)) @ ax_h, p3.sum((3, 4)) @ ax_d], -1
    )
    coords2d = cells_to_crop_pixels(cells2d, stride, pixel_offset)
    coords3d = cells_to_metric(cells3d, res, stride, depth, box_size_m, pixel_offset, origin)
    if root_index is not None:
        coords3d = coords3d - coords3d[:, root_index: root_index + 1]
    return coords2d, coords3d
