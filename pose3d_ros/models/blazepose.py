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
`MediaPipe` BlazePose GHUM landmark network (lite / full / heavy) behind the MeTRAbs crop-model.

Contract.

ONNX model (scripts/convert_models.py): input 'image' (N, 256, 256, 3) float32 RGB in [0, 1];
outputs 'landmarks' (N, 195) = 39 x (x, y, z, visibility logit, presence logit) with x, y in input
pixels (continuous: the crop spans [0, 256]), 'pose_flag' (N, 1) person probability, 'heatmap' (N,
64, 64, 39) logits, 'world_landmarks' (N, 117) = 39 x (x, y, z) metres, origin at the hip midpoint.
The first 33 points are the published landmarks; the other 6 are MediaPipe's ROI helpers and are
dropped.

World-landmark axes are those of the crop: x right, y down (image), z away from the camera — i.e.
the virtual camera's axes of a perspective crop, as the MeTRAbs contract requires (checked on the
test photos: tests/test_models_blazepose.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from pose3d_ros.models.base import CropPrediction

N_LANDMARKS = 33  # published BlazePose landmarks (blazepose_33)
N_OUTPUT_POINTS = 39  # 33 + 6 auxiliary points of the network


class _Runs(Protocol):

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


@dataclass
class BlazePosePrediction(CropPrediction):
    """`CropPrediction` plus BlazePose's crop-level person probability."""

    pose_score: np.ndarray | None = None  # (N,) float32 in [0, 1]: a person fills this crop
    # (N, 3) float32 crop pixels: centre x, y and side of the square
    body_roi: np.ndarray | None = None
    #   region BlazePose wants for this person (MediaPipe's ROI from auxiliary points 33 and 34)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def refine_with_heatmap(
    xy: np.ndarray,
    heatmap: np.ndarray,
    input_size: int,
    kernel: int = 7,
    min_confidence: float = 0.5,
) -> np.ndarray:
    """
    Refines 2D landmarks by the confidence-weighted mean position of a heatmap window around each.

    xy: (N, P, 2) continuous input pixels; heatmap: (N, h, w, P) logits. A landmark moves only when
    the strongest sigmoid confidence in its kernel x kernel window reaches `min_confidence`.
    Returns (N, P, 2) continuous input pixels.
    """
    n, h, w, p = heatmap.shape
    out = xy.copy()
    conf = _sigmoid(heatmap)  # (N, h, w, P)
    cols = np.floor(xy[..., 0] * w / input_size).astype(np.int64)  # (N, P) heatmap cells
    rows = np.floor(xy[..., 1] * h / input_size).astype(np.int64)
    half = kernel // 2
    offs = np.arange(-half, half + 1)
    r_idx = rows[..., None] + offs  # (N, P, k)
    c_idx = cols[..., None] + offs
    r_ok, c_ok = (r_idx >= 0) & (r_idx < h), (c_idx >= 0) & (c_idx < w)
    ni = np.arange(n)[:, None, None, None]
    pi = np.arange(p)[None, :, None, None]
    win = conf[
        ni, np.clip(r_idx, 0, h - 1)[..., :, None], np.clip(c_idx, 0, w - 1)[..., None, :], pi
    ]
    win = win * (r_ok[..., :, None] & c_ok[..., None, :])  # (N, P, k, k), zero outside the heatmap
    total = win.sum(axis=(-1, -2))  # (N, P)
    best = win.max(axis=(-1, -2))
    mean_r = (win.sum(-1) * r_idx).sum(-1) / np.maximum(total, 1e-12)  # (N, P) cells
    mean_c = (win.sum(-2) * c_idx).sum(-1) / np.maximum(total, 1e-12)
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    use = inside & (best >= min_confidence) & (total > 0)
    # Cell index x stride, without a half-cell offset: MediaPipe's convention, which the network
    # was
    # trained with (adding 0.5 cells doubles the disagreement with MediaPipe on the test photos).
    out[..., 0] = np.where(use, mean_c * input_size / w, xy[..., 0])
    out[..., 1] = np.where(use, mean_r * input_size / h, xy[..., 1])
    return out


class BlazePoseCropModel:
    """
    CropModel: (N, 256, 256, 3) uint8 RGB perspective crops -> 33 BlazePose joints.

    Output (BlazePosePrediction): coords2d (N, 33, 2) crop pixels (pixel centres at integer
    coordinates), coords3d (N, 33, 3) metres relative to the hip midpoint in the crop's
    virtual-camera axes, confidence (N, 33) = sigmoid(visibility) * sigmoid(presence), pose_score
    (N,).

    Args:
    ----
        engine: anything with ``run(dict) -> dict`` (``engines.create_engine`` of
        models/blazepose_*.onnx). input_size: crop side of the network, pixels (256 for every
        BlazePose GHUM variant). heatmap_refinement: refine 2D landmarks with the heatmap output as
        MediaPipe does. max_batch: crops per engine call (the ONNX files take any batch size).
        roi_scale: body_roi side = roi_scale x the diameter of the body circle of points 33/34
        (MediaPipe 1.25).

    """

    skeleton = 'blazepose_33'

    def __init__(
        self,
        engine: _Runs,
        input_size: int = 256,
        heatmap_refinement: bool = True,
        max_batch: int = 8,
        roi_scale: float = 1.25,
    ):
        self.engine = engine
        self.input_size = int(input_size)
        self.heatmap_refinement = bool(heatmap_refinement)
        self.max_batch = int(max_batch)
        self.roi_scale = float(roi_scale)

    def _run(self, crops: np.ndarray) -> dict[str, np.ndarray]:
        outs: list[dict[str, np.ndarray]] = []
        for i in range(0, len(crops), self.max_batch):
            # (B, S, S, 3)
            x = crops[i: i + self.max_batch].astype(np.float32) * np.float32(1.0 / 255.0)
            outs.append(self.engine.run({'image': np.ascontiguousarray(x)}))
        return {k: np.concatenate([o[k] for o in outs]) for k in outs[0]}

    def predict(self, crops: np.ndarray) -> BlazePosePrediction:
        """crops: (N, S, S, 3) uint8 RGB perspective crops."""
        s = self.input_size
        if crops.ndim != 4 or crops.shape[1:] != (s, s, 3) or crops.dtype != np.uint8:
            raise ValueError(
                f'crops must be (N, {s}, {s}, 3) uint8 RGB, got {crops.shape} {crops.dtype}'
            )
        n = len(crops)
        if n == 0:
            return BlazePosePrediction(
                np.zeros((0, N_LANDMARKS, 2), np.float32),
                np.zeros((0, N_LANDMARKS, 3), np.float32),
                np.zeros((0, N_LANDMARKS), np.float32),
                np.zeros(0, np.float32),
                np.zeros((0, 3), np.float32),
            )
        out = self._run(crops)
        lm = out['landmarks'].reshape(n, N_OUTPUT_POINTS, 5)  # x, y, z, visibility, presence
        xy = lm[..., :2].astype(np.float64)  # (N, 39, 2) continuous crop pixels
        if self.heatmap_refinement and 'heatmap' in out:
            xy = refine_with_heatmap(xy, out['heatmap'], s)
        # (N, 33, 2) pixel-centre convention
        coords2d = (xy[:, :N_LANDMARKS] - 0.5).astype(np.float32)
        # (N, 33, 3) metres
        world = out['world_landmarks'].reshape(n, N_OUTPUT_POINTS, 3)[:, :N_LANDMARKS]
        conf = _sigmoid(lm[:, :N_LANDMARKS, 3]) * _sigmoid(lm[:, :N_LANDMARKS, 4])  # (N, 33)
        pose_score = out['pose_flag'].reshape(n)
        centre, scale_point = lm[:, 33, :2] - 0.5, lm[:, 34, :2] - 0.5  # (N, 2) crop pixels
        # (N,) crop pixels
        side = 2.0 * self.roi_scale * np.linalg.norm(scale_point - centre, axis=-1)
        roi = np.concatenate([centre, side[:, None]], axis=1)
        return BlazePosePrediction(
            coords2d,
            world.astype(np.float32),
            conf.astype(np.float32),
            pose_score.astype(np.float32),
            roi.astype(np.float32),
        )
