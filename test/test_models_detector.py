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
Person detectors.

The shipped SSDLite model on real photos, and the YOLO export format on a synthetic ONNX model
"""

from __future__ import annotations

from model_stubs import write_yolo_stub
import numpy as np
from photo_helpers import load_rgb, PEOPLE, PHOTOS, reference_2d
from pose3d_ros.engines import create_engine
from pose3d_ros.models import registry
from pose3d_ros.models.detector_ssd import select_detections, SSDLiteDetector
from pose3d_ros.models.detector_yolo import letterbox, YoloDetector
import pytest


@pytest.fixture(scope='module')
def ssd_engine():
    return create_engine(
        str(registry.model_path('ssdlite_person')), engine='onnxruntime', device='cpu'
    )


@pytest.mark.parametrize('name', PHOTOS)
def test_ssd_finds_every_visible_person(ssd_engine, name):
    image = load_rgb(name)
    det = SSDLiteDetector(ssd_engine).detect(image)
    assert len(det) == PEOPLE[name]
    assert det.boxes.shape == (PEOPLE[name], 4) and det.boxes.dtype == np.float32
    assert np.all(det.scores >= 0.5) and np.all(np.diff(det.scores) <= 0)
    h, w = image.shape[:2]
    x, y, bw, bh = det.boxes.T
    assert (
        np.all(x >= 0)
        and np.all(y >= 0)
        and np.all(x + bw <= w + 1e-3)
        and np.all(y + bh <= h + 1e-3)
    )
    # The person MediaPipe found: its visible landmarks lie inside one of the boxes (>= 80 %: on
    # `camera`
    # MediaPipe puts two hand points on the buildings behind the photographer).
    ref, vis = reference_2d(name)
    inside = [
        np.mean(
            (ref[vis, 0] >= bx - 5)
            & (ref[vis, 0] <= bx + bw_ + 5)
            & (ref[vis, 1] >= by - 5)
            & (ref[vis, 1] <= by + bh_ + 5)
        )
        for bx, by, bw_, bh_ in det.boxes
    ]
    assert max(inside) >= 0.8


def test_ssd_arguments(ssd_engine):
    image = load_rgb('basketball1')
    assert len(SSDLiteDetector(ssd_engine, max_detections=1).detect(image)) == 1
    assert len(SSDLiteDetector(ssd_engine, score_threshold=0.9999).detect(image)) == 0
    assert len(SSDLiteDetector(ssd_engine, min_box_size=1000).detect(image)) == 0
    boxes, scores = SSDLiteDetector(ssd_engine).raw(image)
    assert boxes.shape == (1917, 4) and scores.shape == (1917,)
    assert np.all((scores >= 0) & (scores <= 1))
    with pytest.raises(ValueError):
        SSDLiteDetector(ssd_engine).detect(image[..., 0])


def test_select_detections_threshold_nms_clip_size_cap():
    boxes = np.array(
        [
            [10, 10, 110, 210],  # best
            [12, 12, 112, 212],  # duplicate of the best -> suppressed by NMS
            [300, 50, 380, 240],  # second person, partly outside the image -> clipped
            [200, 200, 205, 206],  # tiny -> dropped by min_box_size
            [50, 300, 150, 400],
        ],
        float,
    )  # below the score threshold
    scores = np.array([0.9, 0.8, 0.7, 0.95, 0.2], np.float32)
    det = select_detections(
        boxes,
        scores,
        (350, 230),
        score_threshold=0.5,
        nms_iou=0.5,
        max_detections=5,
        min_box_size=16,
    )
    np.testing.assert_allclose(det.scores, [0.9, 0.7])
    np.testing.assert_allclose(det.boxes, [[10, 10, 100, 200], [300, 50, 50, 180]])
    capped = select_detections(
        boxes,
        scores,
        (350, 230),
        score_threshold=0.5,
        nms_iou=0.5,
        max_detections=1,
        min_box_size=16,
    )
    assert len(capped) == 1 and capped.scores[0] == pytest.approx(0.9)
    none = select_detections(
        boxes[:0],
        scores[:0],
        (350, 230),
        score_threshold=0.5,
        nms_iou=0.5,
        max_detections=5,
        min_box_size=16,
    )
    assert none.boxes.shape == (0, 4) and none.scores.shape == (0,)


def test_yolo_decoding_on_a_synthetic_export(tmp_path):
    size = 64
    image = np.zeros((100, 200, 3), np.uint8)  # W 200, H 100 -> gain 0.32, letterbox pad top 16 px
    _, gain, pad = letterbox(image, size)
    np.testing.assert_allclose(gain, [0.32, 0.32])
    np.testing.assert_allclose(pad, [0, 16])
    # Candidates (cx, cy, w, h in letterboxed pixels; scores of classes 0 = person, 1, 2).
    cand = np.array(
        [
            [20, 32, 10, 20, 0.90, 0.1, 0.0],  # person
            [21, 32, 10, 20, 0.80, 0.0, 0.0],  # same person, lower score -> NMS
            [45, 30, 8, 16, 0.60, 0.0, 0.0],  # second person
            [10, 40, 6, 12, 0.05, 0.95, 0.0],  # confident non-person -> ignored
            [50, 45, 1, 1, 0.99, 0.0, 0.0],  # 3 x 3 source pixels -> below min_box_size
        ],
        np.float32,
    )
    path = tmp_path / 'yolo_stub.onnx'
    write_yolo_stub(path, cand.T[None], size)  # (1, 4 + 3, 5)
    engine = create_engine(str(path), engine='onnxruntime', device='cpu')
    det = YoloDetector(engine, input_size=size, score_threshold=0.5, min_box_size=8).detect(image)
    np.testing.assert_allclose(det.scores, [0.9, 0.6], rtol=1e-6)
    expected = np.array(
        [
            [(20 - 5) / 0.32, (32 - 10 - 16) / 0.32, 10 / 0.32, 20 / 0.32],
            [(45 - 4) / 0.32, (30 - 8 - 16) / 0.32, 8 / 0.32, 16 / 0.32],
        ]
    )
    np.testing.assert_allclose(det.boxes, expected, atol=1e-3)
    # Another class as "person", a cap and a threshold.
    assert YoloDetector(engine).input_size == size  # read from the export's static input shape
    other = YoloDetector(engine, input_size=size, person_class=1, min_box_size=8).detect(image)
    assert len(other) == 1 and other.scores[0] == pytest.approx(0.95)
    assert (
        len(YoloDetector(engine, input_size=size, max_detections=1, min_box_size=8).detect(image))
        == 1
    )
    assert len(YoloDetector(engine, input_size=size, min_box_size=0).detect(image)) == 3
    with pytest.raises(ValueError):
        YoloDetector(engine, input_size=size, person_class=5).detect(image)
