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
Drawing for people to look at (debug image, demo video): 2D skeletons with ids over a frame..

ROS-free
"""

from __future__ import annotations

import colorsys
import zlib

import cv2
import numpy as np


def id_colour_rgb(track_id: str) -> tuple[int, int, int]:
    """0-255 RGB colour from a hash of the id (the same hue as the RViz markers)."""
    hue = (zlib.crc32(str(track_id).encode()) % 360) / 360.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_people(image: np.ndarray, people, edges, thickness: int = 2) -> np.ndarray:
    """
    Return a copy of `image` (H, W, 3) uint8 RGB with each person's box, bones, joints and id.

    `people`: iterable of objects or dicts with `id`, `box` (4,) xywh px and `keypoints2d` (J, 2)
    px (NaN = unknown).
    """
    out = np.ascontiguousarray(image).copy()
    scale = max(1.0, max(out.shape[:2]) / 640.0)
    for person in people:
        get = person.get if isinstance(person, dict) else lambda k, p=person: getattr(p, k, None)
        colour = id_colour_rgb(get('id'))
        x, y, w, h = np.nan_to_num(np.asarray(get('box'), np.float64))
        cv2.rectangle(out, (int(x), int(y)), (int(x + w), int(y + h)), colour, max(1, int(scale)))
        points = get('keypoints2d')
        if points is None:
            points = get('keypoints_2d')
        if points is not None:
            points = np.asarray(points, np.float64)
            for a, b in edges:
                if np.isfinite(points[[a, b]]).all():
                    cv2.line(
                        out,
                        tuple(int(v) for v in points[a]),
                        tuple(int(v) for v in points[b]),
                        colour,
                        max(1, int(thickness * scale)),
                        cv2.LINE_AA,
                    )
            for p in points[np.isfinite(points).all(axis=1)]:
                cv2.circle(
                    out,
                    (int(p[0]), int(p[1])),
                    max(2, int(2 * scale)),
                    (255, 255, 255),
                    -1,
                    cv2.LINE_AA,
                )
        cv2.putText(
            out,
            f"id {get('id')}",
            (int(x), max(12, int(y) - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.5 * scale,
            colour,
            max(1, int(scale)),
            cv2.LINE_AA,
        )
    return out
