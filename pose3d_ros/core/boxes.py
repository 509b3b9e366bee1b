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

"""2D boxes x, y, width, height in pixels: centres, overlaps, the image border."""

import numpy as np


def box_centre(box: np.ndarray) -> np.ndarray:
    """(..., 2) centres of boxes (..., 4) x, y, width, height, pixels."""
    return box[..., :2] + 0.5 * box[..., 2:]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """
    Pairwise IoU of boxes.

    Args:
    ----
        a: (T, 4) boxes x, y, width, height, pixels.
        b: (N, 4) boxes, same format.

    Returns
    -------
        (T, N) intersection over union in [0, 1].

    """
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    a0, a1 = a[:, None, :2], a[:, None, :2] + a[:, None, 2:]  # (T, 1, 2) px
    b0, b1 = b[None, :, :2], b[None, :, :2] + b[None, :, 2:]  # (1, N, 2) px
    wh = np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0, None)  # (T, N, 2) px
    inter = wh[..., 0] * wh[..., 1]  # (T, N) px^2
    area_a = np.clip(a[:, 2], 0, None) * np.clip(a[:, 3], 0, None)  # (T,)
    area_b = np.clip(b[:, 2], 0, None) * np.clip(b[:, 3], 0, None)  # (N,)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def clip_box(box: np.ndarray, image_size: tuple[int, int]) -> np.ndarray | None:
    """
    (4,) x, y, width, height px cut to the image (width, height) px.

    None when nothing of it is inside
    """
    x0, y0 = max(box[0], 0.0), max(box[1], 0.0)
    x1, y1 = min(box[0] + box[2], image_size[0]), min(box[1] + box[3], image_size[1])
    if x1 <= x0 or y1 <= y0:
        return None
    return np.array([x0, y0, x1 - x0, y1 - y0])


def border_sides(boxes: np.ndarray, image_size: tuple[int, int], margin: float) -> np.ndarray:
    """
    (..., 4) bool: which image borders (left, top, right, bottom) boxes (..., 4) reach.

    Within margin pixels of an image of (width, height) pixels: a person cut by that border.
    """
    b = np.asarray(boxes, np.float64)
    w, h = image_size
    return np.stack(
        [
            b[..., 0] <= margin,
            b[..., 1] <= margin,
            b[..., 0] + b[..., 2] >= w - margin,
            b[..., 1] + b[..., 3] >= h - margin,
        ],
        axis=-1,
    )


__all__ = ['border_sides', 'box_centre', 'box_iou', 'clip_box']
