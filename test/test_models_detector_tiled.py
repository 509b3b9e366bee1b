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
TiledDetector.

Tile layout, mapping of tile boxes back to the image, and merging without duplicates
"""

from __future__ import annotations

import cv2
import numpy as np
from pose3d_ros.models.base import Detections
from pose3d_ros.models.detector_tiled import suppress_contained, tile_windows, TiledDetector
import pytest


class BlobDetector:
    """
    Finds white rectangles on black (connected components).

    A detector whose truth is known exactly.

    Like a real network it sees only what it is given: a rectangle cut by the crop border comes out
    cut, and rectangles smaller than `min_seen` pixels (tall) are missed, as a network misses small
    people.
    """

    def __init__(self, min_seen: int = 0):
        self.score_threshold, self.max_detections, self.min_box_size = 0.5, 10, 4.0
        self.min_seen = min_seen
        self.calls = []

    def detect(self, image: np.ndarray) -> Detections:
        self.calls.append(image.shape[:2])
        n, _, stats, _ = cv2.connectedComponentsWithStats((image[..., 0] > 128).astype(np.uint8))
        # A person of h px in a crop of height H is "seen" if h * (network side / H) >= min_seen;
        # network side 100.
        rows = [s for s in stats[1:] if s[3] * 100 / image.shape[0] >= self.min_seen]
        boxes = np.array([s[:4] for s in rows], np.float32).reshape(-1, 4)
        return Detections(boxes, np.full(len(boxes), 0.9, np.float32))


def canvas(rects, size=(400, 200)) -> np.ndarray:
    img = np.zeros((size[1], size[0], 3), np.uint8)
    for x, y, w, h in rects:
        img[y: y + h, x: x + w] = 255
    return img


def test_tile_windows_cover_with_overlap():
    tiles = tile_windows(400, 200, 2, 1, 0.25)
    # tile 228.6 px, neighbours share 57 px = 0.25 tile
    assert tiles == [(0, 0, 229, 200), (171, 0, 400, 200)]
    assert tile_windows(400, 200, 1, 1, 0.25) == [(0, 0, 400, 200)]
    grid = tile_windows(600, 400, 3, 2, 0.2)
    assert len(grid) == 6 and grid[0][:2] == (0, 0) and grid[-1][2:] == (600, 400)


def test_person_on_a_tile_seam_is_reported_once_with_its_full_box():
    rects = [
        (190, 40, 30, 120),  # straddles the seam region (both tiles overlap at x 171..229)
        (20, 50, 20, 60),
        (330, 30, 25, 100),
    ]  # one inside each tile only
    det = TiledDetector(BlobDetector(), cols=2, rows=1, overlap=0.25).detect(canvas(rects))
    got = sorted(det.boxes.tolist())
    assert got == sorted([list(map(float, r)) for r in rects])  # no duplicates, no cut halves
    assert len(det) == 3


def test_tiles_find_small_people_the_full_frame_misses():
    # 18 px of 200: 9 "network px" in the full frame, 18 in a tile
    small = [(60, 80, 6, 18), (300, 90, 6, 18)]
    img = canvas(small + [(150, 20, 40, 150)])
    full = BlobDetector(min_seen=12).detect(img)
    assert len(full) == 1  # only the big one
    tiled = TiledDetector(BlobDetector(min_seen=12), cols=2, rows=2, overlap=0.25).detect(img)
    assert sorted(tiled.boxes.tolist()) == sorted(
        [[60.0, 80.0, 6.0, 18.0], [300.0, 90.0, 6.0, 18.0], [150.0, 20.0, 40.0, 150.0]]
    )


def test_settings_reach_the_wrapped_detector_and_the_merge():
    base = BlobDetector()
    tiled = TiledDetector(base, cols=2, rows=1)
    tiled.score_threshold, tiled.max_detections, tiled.min_box_size = 0.95, 1, 50.0
    assert (base.score_threshold, base.max_detections, base.min_box_size) == (0.95, 1, 50.0)
    img = canvas([(20, 50, 20, 60), (330, 30, 25, 100)])
    assert len(tiled.detect(img)) == 0  # scores 0.9 < 0.95
    tiled.score_threshold, tiled.min_box_size = 0.5, 4.0
    det = tiled.detect(img)
    assert len(det) == 1  # max_detections 1 (equal scores: which one is kept is not specified)
    assert len(base.calls) == 6  # full frame + 2 tiles, twice


def test_suppress_contained_drops_parts_of_a_person():
    boxes = np.array([[0, 0, 50, 100], [5, 5, 40, 40], [60, 0, 20, 50], [40, 60, 30, 30]], float)
    scores = np.array([0.95, 0.9, 0.5, 0.8])
    # box 1 lies wholly inside box 0 -> dropped; box 3 is only 1/3 inside -> kept; box 2 is apart.
    assert sorted(suppress_contained(boxes, scores, 0.8).tolist()) == [0, 2, 3]
    # Only lower-scored boxes are dropped: a confident part does not remove the whole.
    scores = np.array([0.9, 0.95, 0.5, 0.8])
    assert sorted(suppress_contained(boxes, scores, 0.8).tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize('bad', [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.float32)])
def test_rejects_bad_images(bad):
    with pytest.raises(ValueError):
        TiledDetector(BlobDetector()).detect(bad)
