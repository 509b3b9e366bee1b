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
Tiled running of any detector, for small, far people.

The full frame plus a grid of overlapping tiles.

Each tile is passed to the wrapped detector at its own network resolution, so a person in a tile is
seen `cols` times larger than in the full frame. Tile detections that touch an inner tile edge (a
cut person) are dropped: the overlap makes sure that such a person lies whole in a neighbouring
tile or in the full frame. All boxes are then merged by NMS (IoU) and by containment (a box lying
mostly inside a higher-scored one is the same person seen in part), thresholded, size-filtered and
capped like any other detector's.
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.models.base import Detections
from pose3d_ros.models.detector_ssd import check_image, select_detections


def tile_windows(
    width: int, height: int, cols: int, rows: int, overlap: float
) -> list[tuple[int, int, int, int]]:
    """
    Overlapping tiles x0, y0, x1, y1 (px) covering the image.

    `cols` x `rows`, neighbours sharing `overlap` of a tile's side.
    """

    def spans(size: int, n: int) -> list[tuple[int, int]]:
        if n <= 1:
            return [(0, size)]
        tile = size / (n - (n - 1) * overlap)
        starts = np.linspace(0, size - tile, n)
        return [(int(round(s)), int(round(s + tile))) for s in starts]

    return [(x0, y0, x1, y1) for y0, y1 in spans(height, rows) for x0, x1 in spans(width, cols)]


def suppress_contained(boxes: np.ndarray, scores: np.ndarray, ratio: float) -> np.ndarray:
    """
    Indicate kept after dropping boxes (N, 4) x, y, w.

    H whose area lies >= ratio inside a higher-scored box
    """
    order = np.argsort(-scores, kind='stable')
    kept: list[int] = []
    for i in order:
        x, y, w, h = boxes[i]
        inside = False
        for j in kept:
            xj, yj, wj, hj = boxes[j]
            iw = max(0.0, min(x + w, xj + wj) - max(x, xj))
            ih = max(0.0, min(y + h, yj + hj) - max(y, yj))
            if iw * ih >= ratio * max(w * h, 1e-9):
                inside = True
                break
        if not inside:
            kept.append(int(i))
    return np.asarray(kept, np.int64)


class TiledDetector:
    """
    Detector.

    The wrapped detector on the full frame and on `cols` x `rows` overlapping tiles, merged.

    Args:
    ----
        detector: any detector with the settable attributes score_threshold / max_detections /
        min_box_size. cols, rows: tile grid (2 x 1 = left and right halves plus overlap). overlap:
        fraction of a tile's side shared with its neighbour. edge_px: a tile box closer than this
        to an inner tile edge is dropped (pixels, source image). contain_ratio: a box lying this
        much inside a higher-scored box is dropped.

    """

    def __init__(
        self,
        detector,
        cols: int = 2,
        rows: int = 1,
        overlap: float = 0.25,
        edge_px: float = 4.0,
        contain_ratio: float = 0.8,
        nms_iou: float = 0.5,
    ):
        self.detector = detector
        self.cols, self.rows = int(cols), int(rows)
        self.overlap, self.edge_px = float(overlap), float(edge_px)
        self.contain_ratio, self.nms_iou = float(contain_ratio), float(nms_iou)
        self.engine = getattr(detector, 'engine', None)

    # The node sets these on the running detector: they apply to the merged result and to every
    # tile run.
    score_threshold = property(
        lambda self: self.detector.score_threshold,
        lambda self, v: setattr(self.detector, 'score_threshold', v),
    )
    min_box_size = property(
        lambda self: self.detector.min_box_size,
        lambda self, v: setattr(self.detector, 'min_box_size', v),
    )
    max_detections = property(
        lambda self: self.detector.max_detections,
        lambda self, v: setattr(self.detector, 'max_detections', v),
    )

    def detect(self, image: np.ndarray) -> Detections:
        """image: (H, W, 3) uint8 RGB."""
        check_image(image)
        h, w = image.shape[:2]
        full = self.detector.detect(image)
        boxes, scores = [full.boxes.astype(np.float64)], [full.scores]
        for x0, y0, x1, y1 in tile_windows(w, h, self.cols, self.rows, self.overlap):
            if (x1 - x0, y1 - y0) == (w, h):
                continue
            det = self.detector.detect(np.ascontiguousarray(image[y0:y1, x0:x1]))
            b = det.boxes.astype(np.float64) + [x0, y0, 0, 0]  # (k, 4) source px
            e = self.edge_px
            cut = (
                ((b[:, 0] < x0 + e) & (x0 > 0))
                | ((b[:, 0] + b[:, 2] > x1 - e) & (x1 < w))
                | ((b[:, 1] < y0 + e) & (y0 > 0))
                | ((b[:, 1] + b[:, 3] > y1 - e) & (y1 < h))
            )
            boxes.append(b[~cut])
            scores.append(det.scores[~cut])
        b, s = np.concatenate(boxes), np.concatenate(scores).astype(np.float32)
        merged = select_detections(
            np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], 1),
            s,
            (w, h),
            score_threshold=self.score_threshold,
            nms_iou=self.nms_iou,
            max_detections=10_000,
            min_box_size=self.min_box_size,
        )
        keep = suppress_contained(merged.boxes, merged.scores, self.contain_ratio)[
            : self.max_detections
        ]
        return Detections(merged.boxes[keep].reshape(-1, 4), merged.scores[keep].reshape(-1))
