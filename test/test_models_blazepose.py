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

"""`BlazePose` adapter (MeTRAbs crop-model contract) and the model registry."""

from __future__ import annotations

import numpy as np
from photo_helpers import load_rgb, REFERENCE, reference_2d
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import crop_geometry, crop_points_to_image, warp_crops
from pose3d_ros.engines import create_engine
from pose3d_ros.models import registry
from pose3d_ros.models.blazepose import BlazePoseCropModel, refine_with_heatmap
import pytest

L_SHO, R_SHO, L_HIP, R_HIP, NOSE = 11, 12, 23, 24, 0
# basketball1: the player on the left, facing the camera (box from the shipped detector, x, y, w, h
# px).
PLAYER_BOX = np.array([[30.0, 80.0, 129.0, 398.0]])


@pytest.fixture(scope='module')
def model():
    path = registry.model_path('blazepose_full')
    return BlazePoseCropModel(create_engine(str(path), engine='onnxruntime', device='cpu'))


@pytest.fixture(scope='module')
def player(model):
    image = load_rgb('basketball1')
    camera = Camera.from_fov(image.shape[1], image.shape[0])
    geom = crop_geometry(camera, PLAYER_BOX, res=256, box_scale=1.5)
    crops = warp_crops(image, camera, geom)
    return camera, geom, crops, model.predict(crops)


def test_contract_shapes_and_ranges(model, player):
    _, _, crops, pred = player
    assert model.skeleton == 'blazepose_33' and model.input_size == 256
    assert pred.coords2d.shape == (1, 33, 2) and pred.coords2d.dtype == np.float32
    assert pred.coords3d.shape == (1, 33, 3) and pred.coords3d.dtype == np.float32
    assert pred.confidence.shape == (1, 33) and np.all(
        (pred.confidence >= 0) & (pred.confidence <= 1)
    )
    assert pred.pose_score.shape == (1,) and pred.pose_score[0] > 0.9
    assert pred.body_roi.shape == (1, 3) and pred.body_roi[0, 2] > 100
    # Root-relative: the hip midpoint is the origin (metres).
    np.testing.assert_allclose(pred.coords3d[0, [L_HIP, R_HIP]].mean(0), 0.0, atol=0.02)
    # Batches give the same result as single crops; empty input gives empty output.
    both = model.predict(np.concatenate([crops, crops[:, ::-1].copy()]))
    np.testing.assert_allclose(both.coords2d[0], pred.coords2d[0], atol=1e-3)
    np.testing.assert_allclose(both.coords3d[0], pred.coords3d[0], atol=1e-5)
    assert model.predict(crops[:0]).coords3d.shape == (0, 33, 3)
    with pytest.raises(ValueError):
        model.predict(crops.astype(np.float32))


def test_world_axes_are_the_virtual_camera_axes(player):
    """
    `x` right, y down, z away from the camera.

    Checked against the 2D landmarks of a person facing us
    """
    _, _, _, pred = player
    p2, p3 = pred.coords2d[0].astype(float), pred.coords3d[0].astype(float)
    # The person's left shoulder/hip appear on the image right when they face the camera: same sign
    # in 3D.
    for left, right in ((L_SHO, R_SHO), (L_HIP, R_HIP)):
        assert p2[left, 0] > p2[right, 0] and p3[left, 0] > p3[right, 0]
    assert p3[NOSE, 1] < p3[L_HIP, 1] - 0.4  # head above the hips: y points down
    assert p3[NOSE, 2] < 0.0  # the face is nearer to the camera than the hip centre: z points away
    # 3D x/y and 2D crop x/y agree in direction for all joints.
    for axis in (0, 1):
        assert np.corrcoef(p2[:, axis], p3[:, axis])[0, 1] > 0.95


def test_2d_agrees_with_mediapipe_on_the_player(player):
    camera, geom, _, pred = player
    ref, vis = reference_2d('basketball1')
    ours = crop_points_to_image(pred.coords2d, camera, geom)[0]  # (33, 2) image pixels
    err = np.linalg.norm(ours - ref, axis=-1)[vis]
    assert np.median(err) < 0.02 * PLAYER_BOX[0, 3]  # measured 0.9 % of the box height (3.6 px)


def test_3d_agrees_with_mediapipe_world_landmarks_on_the_player(player):
    _, _, _, pred = player
    # (33, 3) metres, hip-centred
    ref = np.asarray(REFERENCE['images']['basketball1']['world_landmarks_m'])
    err = np.linalg.norm(pred.coords3d[0] - ref, axis=-1)
    # measured 0.02 m (crops differ: ours perspective, MediaPipe's from its ROI)
    assert np.median(err) < 0.05


def test_heatmap_refinement_moves_only_confident_landmarks():
    heat = np.full((1, 64, 64, 2), -10.0, np.float32)  # logits: ~0 confidence everywhere
    heat[0, 20, 30, 0] = 10.0  # a sharp peak for landmark 0 at heatmap cell (row 20, col 30)
    # continuous 256-px input coordinates
    xy = np.array([[[29.0 * 4 + 1, 21.0 * 4 + 2], [100.0, 100.0]]])
    out = refine_with_heatmap(xy, heat, 256)
    np.testing.assert_allclose(out[0, 0], [30 * 4, 20 * 4], atol=0.05)  # cell index x stride
    np.testing.assert_allclose(out[0, 1], xy[0, 1])  # no confident cell: unchanged


def test_registry():
    assert set(registry.MODELS) == {
        'ssdlite_person',
        'blazepose_lite',
        'blazepose_full',
        'blazepose_heavy',
        'movenet_multipose',
        'movenet_multipose_tiled',
        'nanodet',
        'blazepose_detector',
        'centernet',
    }
    for name, spec in registry.MODELS.items():
        # local-only weights: no permissive licence established (models/LICENSE-detectors.md)
        if not spec.shipped:
            assert spec.licence not in ('MIT', 'Apache-2.0')
            continue
        path = registry.model_path(name)
        assert path.is_file() and path.name == spec.file
        assert 1e6 < path.stat().st_size < 40e6
        assert spec.licence in ('MIT', 'Apache-2.0')
    assert registry.get_spec('blazepose_full').skeleton == 'blazepose_33'
    assert registry.get_spec('ssdlite_person').input_size == 300
    assert registry.find_models_dir() == registry.model_path('blazepose_full').parent
    with pytest.raises(KeyError):
        registry.get_spec('nope')


def test_registry_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        registry.model_path('blazepose_full', tmp_path)
    with pytest.raises(FileNotFoundError):
        registry.find_models_dir(tmp_path / 'absent')
