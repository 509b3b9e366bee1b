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
`BlazePose's` own person detector (MediaPipe pose_detection; models/blazepose_detector.onnx).

Input (1, 224, 224, 3) float32 RGB in [-1, 1]: the image letterboxed (aspect kept, centred, black
padding). Output `detections` (1, 2254, 13) per SSD anchor: score logit, then 12 regressors in
input pixels relative to the anchor centre: face box dx, dy, w, h and 4 keypoints (x, y): hip
midpoint, a point on the circle that encloses the whole body (centred at the hip midpoint),
shoulder midpoint, a point on the upper-body circle. Anchors (MediaPipe SsdAnchorsCalculator with
pose_detection's options): strides 8, 16, 32, 32, 32; two anchors per cell and layer; layers of
equal stride share one grid -> 28^2 x 2 + 14^2 x 2 + 7^2 x 6 = 2254 centres at ((col + 0.5) / n,
(row + 0.5) / n).

The detector gives a body circle, not a box: the person box returned here is centred at the hip
midpoint, 2 r tall and r wide (r = circle radius), an approximation of a standing person's extent.
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.models.detector_ssd import CandidateDetector, check_image
from pose3d_ros.models.detector_yolo import letterbox

INPUT = 224


def anchor_centres() -> np.ndarray:
    """(2254, 2) anchor centres, normalised input coordinates, in the network's output order."""
    out = []
    for stride, per_cell in ((8, 2), (16, 2), (32, 6)):
        n = INPUT // stride
        row, col = np.divmod(np.arange(n * n), n)
        c = np.stack([(col + 0.5) / n, (row + 0.5) / n], 1)
        out.append(np.repeat(c, per_cell, axis=0))
    return np.concatenate(out)


class BlazePoseDetector(CandidateDetector):
    """
    Detector over blazepose_detector.onnx.

    (H, W, 3) uint8 RGB -> person boxes (x, y, w, h) px and scores
    """

    def __init__(self, engine, input_size: int = INPUT, **selection):
        super().__init__(engine, input_size, **selection)
        self._anchors = anchor_centres() * INPUT  # (2254, 2) input px

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (M, 4) x1, y1, x2, y2 source pixels and scores (M,)."""
        check_image(image)
        boxed, gain, pad = letterbox(image, INPUT, pad_value=0)
        x = (boxed.astype(np.float32) / 127.5 - 1.0)[None]  # (1, 224, 224, 3)
        det = self.engine.run({self._input: x})['detections'][0].astype(np.float64)  # (2254, 13)
        score = 1.0 / (1.0 + np.exp(-np.clip(det[:, 0], -100, 100)))
        keep = score >= 0.05
        hip = det[keep, 5:7] + self._anchors[keep]  # (k, 2) input px
        edge = det[keep, 7:9] + self._anchors[keep]
        r = np.linalg.norm(edge - hip, axis=1)  # (k,) body circle radius, input px
        boxes = np.stack([hip[:, 0] - r / 2, hip[:, 1] - r, hip[:, 0] + r / 2, hip[:, 1] + r], 1)
        return (boxes - np.tile(pad, 2)) / np.tile(gain, 2), score[keep]
