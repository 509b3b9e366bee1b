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
SSDLite-MobileNetV2 person detector, and the box selection all detectors share.

The model is models/ssdlite_person.onnx.

The ONNX graph (scripts/convert_models.py) takes the whole image resized to 300 x 300 without
keeping the aspect ratio (as the network was trained), RGB float 0..255, and returns decoded boxes
and sigmoid person scores for all 1917 anchors; thresholding, NMS, the size filter and the
detection cap are done here.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
from pose3d_ros.models.base import Detections


class _Runs(Protocol):

    input_names: list[str]

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


def check_image(image: np.ndarray) -> None:
    """`ValueError` unless image is (H, W, 3) uint8 (the Detector input contract)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}')


def select_detections(
    boxes_xyxy: np.ndarray,
    scores: np.ndarray,
    image_size: tuple[int, int],
    *,
    score_threshold: float,
    nms_iou: float,
    max_detections: int,
    min_box_size: float,
) -> Detections:
    """
    Threshold, clip, size-filter, NMS and cap candidate boxes.

    boxes_xyxy: (M, 4) x1, y1, x2, y2 pixels of the source image; scores: (M,) in [0, 1].
    image_size: (width, height) pixels. min_box_size: minimum longer side of a (clipped) box,
    pixels. Returns Detections sorted by decreasing score, at most `max_detections`.
    """
    w, h = image_size
    keep = scores >= score_threshold
    b = boxes_xyxy[keep].astype(np.float64)
    s = scores[keep].astype(np.float32)
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0.0, w)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0.0, h)
    xywh = np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1)  # (M', 4) pixels
    big = np.maximum(xywh[:, 2], xywh[:, 3]) >= min_box_size
    xywh, s = xywh[big], s[big]
    if len(s):
        idx = cv2.dnn.NMSBoxes(xywh.tolist(), s.tolist(), float(score_threshold), float(nms_iou))
        idx = np.asarray(idx, np.int64).reshape(-1)
        idx = idx[np.argsort(-s[idx], kind='stable')][:max_detections]
        xywh, s = xywh[idx], s[idx]
    return Detections(xywh.astype(np.float32).reshape(-1, 4), s.astype(np.float32).reshape(-1))


class CandidateDetector:
    """
    Base of the registry detectors: `raw(image)` gives person candidates, `detect` selects.

    Args:
    ----
        engine: ``run(dict) -> dict`` with ``input_names`` (``engines.create_engine`` of the ONNX
            file).
        input_size: network input side, pixels.
        score_threshold: minimum person score kept.
        nms_iou: IoU above which the lower-scored of two boxes is suppressed.
        max_detections: cap on the number of people per image (highest scores kept).
        min_box_size: boxes whose longer side is shorter than this (pixels, source image) are
            dropped. The node sets score_threshold, max_detections and min_box_size on a running
            detector.

    """

    def __init__(
        self,
        engine: _Runs,
        input_size: int,
        score_threshold: float = 0.5,
        nms_iou: float = 0.5,
        max_detections: int = 10,
        min_box_size: float = 16.0,
    ):
        self.engine = engine
        self.input_size = int(input_size)
        self.score_threshold = float(score_threshold)
        self.nms_iou = float(nms_iou)
        self.max_detections = int(max_detections)
        self.min_box_size = float(min_box_size)
        self._input = engine.input_names[0]

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Person candidates of an (H, W, 3) uint8 RGB image.

        Boxes (M, 4) x1, y1, x2, y2 px and scores (M,)
        """
        raise NotImplementedError

    def detect(self, image: np.ndarray) -> Detections:
        """image: (H, W, 3) uint8 RGB."""
        boxes, scores = self.raw(image)
        return select_detections(
            boxes,
            scores,
            (image.shape[1], image.shape[0]),
            score_threshold=self.score_threshold,
            nms_iou=self.nms_iou,
            max_detections=self.max_detections,
            min_box_size=self.min_box_size,
        )


class SSDLiteDetector(CandidateDetector):
    """
    `SSDLite` person detector over models/ssdlite_person.onnx.

    The graph's input 'image' is (N, S, S, 3) float32 RGB 0..255 (S = input_size, 300 for the
    shipped model); its outputs are 'boxes' (N, A, 4) normalised x1, y1, x2, y2 and 'scores'
    (N, A). The other arguments are CandidateDetector's.
    """

    def __init__(self, engine: _Runs, input_size: int = 300, **selection):
        super().__init__(engine, input_size, **selection)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score all anchors: boxes (A, 4) x1, y1, x2, y2 source pixels and scores (A,)."""
        check_image(image)
        h, w = image.shape[:2]
        s = self.input_size
        # (1, S, S, 3)
        x = cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR).astype(np.float32)[None]
        out = self.engine.run({self._input: x})
        boxes = out['boxes'][0].astype(np.float64) * np.array([w, h, w, h])  # (A, 4) pixels
        return boxes, out['scores'][0]
