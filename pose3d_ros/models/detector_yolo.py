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
User-supplied YOLOv8 / YOLO11 detectors in the Ultralytics ONNX export format.

Export format: input (1, 3, S, S) float RGB in [0, 1], the image letterboxed (aspect kept, centred,
padded with grey 114); output (1, 4 + C, N): per candidate cx, cy, w, h in letterboxed input pixels
followed by C class scores (already sigmoid; no objectness). Only the person class is used.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np
from pose3d_ros.models.detector_ssd import CandidateDetector, check_image


class _Runs(Protocol):

    input_names: list[str]
    output_names: list[str]

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


def letterbox(
    image: np.ndarray, size: int, pad_value: int = 114
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Resize keeping the aspect ratio and pad to (size, size), centred (Ultralytics' letterbox).

    image: (H, W, 3) uint8. Returns (size, size, 3) uint8, gain (2,) and pad (2,) such that, in
    continuous coordinates (the image spans [0, W] x [0, H]), `letterboxed = source * gain + pad`.
    """
    h, w = image.shape[:2]
    r = min(size / h, size / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    left, top = (size - nw) // 2, (size - nh) // 2
    out = np.full((size, size, 3), pad_value, np.uint8)
    out[top: top + nh, left: left + nw] = resized
    return out, np.array([nw / w, nh / h]), np.array([left, top], np.float64)


class YoloDetector(CandidateDetector):
    """
    Detector over a YOLOv8/YOLO11 ONNX export: (H, W, 3) uint8 RGB -> person boxes and scores.

    Args:
    ----
        engine: ``run(dict) -> dict`` with ``input_names``/``output_names``
        (``engines.create_engine``). input_size: letterbox side S, pixels (the export's imgsz, e.g.
        640 or 416); None = read it from the
            engine's static input shape, else 640.
        person_class: index of the person class among the C scores (0 for COCO models).
        score_threshold: minimum person score kept.
        nms_iou: IoU above which the lower-scored of two boxes is suppressed.
        max_detections: cap on people per image (highest scores kept).
        min_box_size: boxes whose longer side is shorter than this (source pixels) are dropped.
        input_dtype: numpy dtype of the network input (float16 for half-precision exports).

    """

    def __init__(
        self,
        engine: _Runs,
        input_size: int | None = None,
        person_class: int = 0,
        score_threshold: float = 0.5,
        nms_iou: float = 0.5,
        max_detections: int = 10,
        min_box_size: float = 16.0,
        input_dtype=np.float32,
    ):
        if input_size is None:
            shape = (getattr(engine, 'input_shapes', None) or {}).get(engine.input_names[0]) or ()
            input_size = shape[-1] if len(shape) == 4 and shape[-1] > 0 else 640
        super().__init__(
            engine,
            input_size,
            score_threshold=score_threshold,
            nms_iou=nms_iou,
            max_detections=max_detections,
            min_box_size=min_box_size,
        )
        self._output = engine.output_names[0]
        self.person_class = int(person_class)
        self.input_dtype = np.dtype(input_dtype)

    def raw(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person candidates: boxes (N, 4) x1, y1, x2, y2 source pixels and scores (N,)."""
        check_image(image)
        boxed, gain, pad = letterbox(image, self.input_size)
        x = (boxed.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]  # (1, 3, S, S) in [0, 1]
        out = self.engine.run({self._input: np.ascontiguousarray(x.astype(self.input_dtype))})
        pred = np.asarray(out[self._output], np.float32)[0]  # (4 + C, N)
        if pred.ndim != 2 or pred.shape[0] <= 4 + self.person_class:
            raise ValueError(
                f'expected output (1, 4 + C, N) with C > {self.person_class}, got '
                f'{out[self._output].shape}'
            )
        cx, cy, w, h = pred[:4].astype(np.float64)  # (N,) letterboxed pixels
        scores = pred[4 + self.person_class]  # (N,)
        # (N, 4) letterboxed
        xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return (xyxy - np.tile(pad, 2)) / np.tile(gain, 2), scores  # (N, 4) source pixels
