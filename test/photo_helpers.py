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
Committed test photos, their MediaPipe 0.10.21 reference outputs.

And body measurements (tests only)
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

FIXTURES = Path(__file__).resolve().parent / 'fixtures'
REFERENCE = json.loads((FIXTURES / 'mediapipe_reference.json').read_text())
# astronaut, camera, grace_hopper, messi5, basketball1, basketball2
PHOTOS = list(REFERENCE['images'])
# People visible in each photo (by eye): basketball* show the player on the left and a man cut by
# the right edge.
PEOPLE = {
    'astronaut': 1,
    'camera': 1,
    'grace_hopper': 1,
    'messi5': 1,
    'basketball1': 2,
    'basketball2': 2,
}
# Whole body (head to feet) inside the image.
FULL_BODY = {'messi5', 'basketball1', 'basketball2'}


def load_rgb(name: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a committed photo (gray photos are expanded to 3 channels)."""
    bgr = cv2.imread(
        str(FIXTURES / 'images' / REFERENCE['images'][name]['file']), cv2.IMREAD_COLOR
    )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def reference_2d(name: str) -> tuple[np.ndarray, np.ndarray]:
    """`MediaPipe` landmarks (33, 2) in pixel-centre convention and visibility mask (33,) > 0.5."""
    e = REFERENCE['images'][name]
    # MediaPipe's x * W is continuous (the image spans [0, W]); pixel centres sit at +0.5.
    return np.asarray(e['landmarks_px']) - 0.5, np.asarray(e['visibility']) > 0.5


def body_height(joints: np.ndarray) -> float:
    """
    Standing height (m) from a (33, 3) BlazePose skeleton, along its segments (pose independent).

    Heel-ankle + mean leg (hip-knee-ankle) + hip-shoulder midpoints + shoulder-ear midpoints + 0.12
    m ear-crown.
    """

    def d(a, b):
        return float(np.linalg.norm(joints[a] - joints[b]))

    leg = 0.5 * (d(23, 25) + d(25, 27) + d(24, 26) + d(26, 28))
    heel = 0.5 * (d(27, 29) + d(28, 30))
    mid = lambda i, j: 0.5 * (joints[i] + joints[j])  # noqa: E731
    torso = float(np.linalg.norm(mid(11, 12) - mid(23, 24)))
    neck = float(np.linalg.norm(mid(7, 8) - mid(11, 12)))
    return heel + leg + torso + neck + 0.12
