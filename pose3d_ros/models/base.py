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

"""Protocols shared by every detector and crop model, whatever network runs underneath."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass
class Detections:
    """People found in one image."""

    boxes: np.ndarray  # (N, 4) float32 pixels: x, y, width, height of the source image
    scores: np.ndarray  # (N,) float32 in [0, 1]

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class CropPrediction:
    """Output of a crop model for N perspective crops (the MeTRAbs crop-model contract)."""

    coords2d: np.ndarray  # (N, J, 2) float32 pixels of the crop
    # (N, J, 3) float32 metres, root-relative, virtual-camera axes of the crop
    coords3d: np.ndarray
    confidence: np.ndarray | None = None  # (N, J) float32 in [0, 1]; None if the model has none


class Detector(Protocol):

    def detect(self, image: np.ndarray) -> Detections:
        """image: (H, W, 3) uint8 RGB."""


class CropModel(Protocol):

    skeleton: str  # name of the joint set of coords2d/coords3d (see core.skeletons)
    input_size: int  # crop side in pixels (e.g. 256)

    def predict(self, crops: np.ndarray) -> CropPrediction:
        """crops: (N, S, S, 3) uint8 RGB perspective crops."""
