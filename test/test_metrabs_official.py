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
The official MeTRAbs steps around the network.

Augmentations, crops, reconstruction, un-augmenting
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops_linear import crop_geometry_official, warp_crops_linear
from pose3d_ros.core.reconstruct import fov_window, reconstruct_official
from pose3d_ros.models.metrabs import MetrabsModelInfo, MetrabsSettings, mirror_indices
from pose3d_ros.models.metrabs_estimator import (
    augmentations,
    augmented_geometry,
    estimate,
    prepare_boxes,
)
import pytest


def test_official_augmentation_parameters():
    one = augmentations(1)
    assert one.angles.tolist() == [0.0] and one.scales.tolist() == [1.0]
    assert one.flips.tolist() == [False] and one.gammas.tolist() == [0.8]
    five = augmentations(5)
    np.testing.assert_allclose(five.scales, [0.8, 0.9, 1.0, 1.05, 1.1])
    np.testing.assert_allclose(np.rad2deg(five.angles), [-25, -12.5, 0, 12.5, 25])
    np.testing.assert_allclose(five.gammas, [0.6, 0.7, 0.8, 0.9, 1.0])
    assert five.flips.tolist() == [False, True, False, True, False]
    with pytest.raises(ValueError):
        augmentations(0)


def test_fov_windows_of_the_releases():
    assert fov_window(256, 32, centered_stride=False) == (8.0, 216.0)  # S-256 release
    assert fov_window(384, 32, centered_stride=True) == (24.0, 360.0)  # L-384 release
    assert MetrabsSettings(centered_stride=False).fov_window(256) == (8.0, 216.0)


def test_mirror_indices_swap_left_and_right():
    names = ['pelv', 'lsho', 'rsho', 'lhip_x1', 'rhip_x1', 'lone']  # 'lone' has no partner
    assert mirror_indices(names).tolist() == [0, 2, 1, 4, 3, 5]


def test_reconstruction_recovers_an_exact_translation():
    rng = np.random.default_rng(0)
    rel = rng.normal(0, 0.3, (2, 40, 3)) + 1.1  # cube-corner origin, metres
    t_true = np.array([[0.3, -0.2, 4.0], [-1.0, 0.5, 9.0]])
    K = np.array([[[300.0, 0, 128], [0, 310, 128], [0, 0, 1]]] * 2)
    pts = rel + t_true[:, None]
    uv = np.einsum('nij,npj->npi', K, pts)
    uv = uv[..., :2] / uv[..., 2:]
    out, t, in_fov = reconstruct_official(uv, rel, K, fov=(8, 216), l2_regularizer=0.0)
    np.testing.assert_allclose(t, t_true, atol=1e-9)
    # consistent data: the 2D blend changes nothing
    np.testing.assert_allclose(out, pts, atol=1e-9)
    assert in_fov.sum() == ((uv >= 8) & (uv <= 216)).all(-1).sum()
    # official lambda 1e-2 pulls t slightly
    biased = reconstruct_official(uv, rel, K, fov=(8, 216))[1]
    assert 0 < np.abs(biased - t_true).max() < 0.2


def test_linear_light_crop_of_a_grey_image():
    cam = Camera(
        np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]]), np.zeros(0), 'none', 640, 480
    )
    image = np.full((480, 640, 3), 128, np.uint8)
    geom = crop_geometry_official(cam, [[270, 140, 100, 200]], 256)
    crop = warp_crops_linear(image, cam, geom, gamma=0.8)[0]
    np.testing.assert_allclose(crop[64:192, 64:192], (128 / 255) ** 0.8, rtol=1e-5)
    # centred box: used as is, not x1.5
    assert np.isclose(geom.K[0, 0, 0] / 500, 256 / 200, rtol=1e-9)


class OracleModel:
    """
    Stand-in crop model.

    Returns what a perfect network would see of a known pose in each crop
    """

    def __init__(self, points_cam: np.ndarray, geoms, settings: MetrabsSettings, names: list[str]):
        self.points, self.geoms, self.settings = points_cam, geoms, settings
        self.input_size, self.point_matrix = geoms.res, None
        self.mirror = mirror_indices(names)
        self.flips = np.repeat(
            augmentations(settings.num_aug, settings.gamma).flips, len(points_cam)
        )

    def predict_points(self, crops):
        assert len(crops) == len(self.geoms)
        people = np.tile(self.points, (len(crops) // len(self.points), 1, 1))  # augmentation-major
        crop = np.einsum('nij,npj->npi', self.geoms.R, people)
        crop[self.flips] = crop[self.flips][:, self.mirror]  # a mirrored image shows left as right
        uv = np.einsum('nij,npj->npi', self.geoms.K, crop)
        rel = crop - crop[:, :1] + 1.1  # relative to an unknown reference (here point 0 + 1.1 m)
        return uv[..., :2] / uv[..., 2:], rel


@pytest.mark.parametrize('num_aug', [1, 5])
def test_test_time_augmentation_is_undone_exactly(num_aug):
    cam = Camera(
        np.array([[600.0, 0, 320], [0, 580, 240], [0, 0, 1]]),
        np.array([0.05, -0.02, 0, 0, 0]),
        'plumb_bob',
        640,
        480,
    )
    names = ['pelv', 'lsho', 'rsho', 'lwri', 'rwri', 'head', 'lank', 'rank']
    rng = np.random.default_rng(3)
    people = rng.normal(0, 0.4, (2, len(names), 3)) + np.array(
        [[[0.4, 0.1, 4.0]], [[-1.0, 0.3, 6.0]]]
    )
    boxes = np.array([[300, 150, 120, 240], [150, 170, 80, 160]], np.float64)
    # exact data: no regulariser bias
    settings = MetrabsSettings(l2_regularizer=0.0, num_aug=num_aug)
    base = crop_geometry_official(cam, prepare_boxes(boxes), 256)
    geoms = augmented_geometry(base, augmentations(num_aug))
    model = OracleModel(people, geoms, settings, names)
    image = np.zeros((480, 640, 3), np.uint8)
    joints, joints2d, _ = estimate(model, image, cam, boxes)
    np.testing.assert_allclose(joints, people, atol=1e-6)  # metres, camera frame, left stays left
    np.testing.assert_allclose(joints2d, cam.project(people), atol=1e-5)


def test_settings_travel_in_the_sidecar(tmp_path):
    info = MetrabsModelInfo(
        backbone='efficientnetv2-s',
        input_size=256,
        num_points=3,
        centered_stride=False,
        legacy_centered_stride_bug=True,
        skeletons={'coco_19': {}, 'smpl_24': {}, 'h36m_17': {}},
    )
    official = info.crop_settings()
    assert (official.box_scale, official.square_box, official.gamma, official.l2_regularizer) == (
        1.0,
        False,
        0.8,
        1e-2,
    )
    assert (
        official.fov_window(256) == (8.0, 216.0)
        and official.origin == 'corner'
        and official.num_aug == 1
    )
    assert official.map_after_reconstruction and official.poses2d_from_3d and official.linear_light
    info.settings = {'num_aug': 5, 'l2_regularizer': 1e-3}
    info.save(tmp_path / 'm.json')
    back = MetrabsModelInfo.load(tmp_path / 'm.json').crop_settings()
    assert (
        back.num_aug == 5 and back.l2_regularizer == 1e-3 and back.fov_window(256) == (8.0, 216.0)
    )
    assert info.default_skeleton() == 'smpl_24'  # skeleton_type "": the model's own standard set
    assert MetrabsModelInfo(backbone='x', input_size=64, num_points=2).default_skeleton() is None


@pytest.fixture(scope='module')
def smpl_export(tmp_path_factory):
    """
    Return a random-init MeTRAbs export whose sidecar names an smpl_24 joint set.

    Its joint transform is the identity.
    """
    import json

    from pose3d_ros.core.skeletons import SMPL_24
    from pose3d_ros.tools.export import main as export

    tmp_path = tmp_path_factory.mktemp('smpl_export')
    path = tmp_path / 'metrabs.onnx'
    assert (
        export(['--random-init', '--num-joints', '24', '--input-size', '64', '-o', str(path)]) == 0
    )
    info = json.loads(path.with_suffix('.json').read_text())
    info['skeletons'] = {
        'smpl_24': {
            'joint_names': list(SMPL_24.joint_names),
            'edges': [list(e) for e in SMPL_24.edges],
            'indices': list(range(24)),
        }
    }
    np.save(tmp_path / 'metrabs.joints.npy', np.eye(24, dtype=np.float32))
    info['joint_transform_file'] = 'metrabs.joints.npy'
    path.with_suffix('.json').write_text(json.dumps(info))
    return path


def test_node_with_the_default_skeleton_type_publishes_smpl_24(tmp_path, smpl_export):
    import json
    import shutil

    from pose3d_ros import processor
    from pose3d_ros.config import Pose3DConfig

    path = smpl_export
    pipeline = processor.build_pipeline(Pose3DConfig(crop_model=str(path), engine='onnxruntime'))
    # skeleton_type "" used to end the node (KeyError)
    assert processor.output_skeleton(pipeline).name == 'smpl_24'
    assert (
        pipeline.crop_model.point_matrix.shape == (24, 24)
        and pipeline.crop_model.settings.num_aug == 1
    )
    five = processor.build_pipeline(
        Pose3DConfig(crop_model=str(path), engine='onnxruntime', num_aug=5)
    )
    assert five.crop_model.settings.num_aug == 5  # the node parameter reaches the model
    bare = tmp_path / 'm.onnx'  # no standard joint set at all: a clear load error, no KeyError
    shutil.copy(path, bare)
    info = json.loads(path.with_suffix('.json').read_text())
    info['skeletons'], info['joint_transform_file'] = {}, None
    bare.with_suffix('.json').write_text(json.dumps(info))
    with pytest.raises(processor.ModelLoadError, match='skeleton_type'):
        processor.output_skeleton(
            processor.build_pipeline(Pose3DConfig(crop_model=str(bare), engine='onnxruntime'))
        )


def test_metrabs_pipeline_with_a_yolo_detector_uses_the_official_settings(tmp_path, smpl_export):
    from model_stubs import write_yolo_stub
    from pose3d_ros.pipeline import build_default_pipeline, PipelineConfig

    yolo = tmp_path / 'yolo.onnx'
    write_yolo_stub(yolo, np.array([[[320.0], [240.0], [100.0], [300.0], [0.9]]], np.float32), 640)
    pipeline = build_default_pipeline(
        str(yolo),
        str(smpl_export),
        engine='onnxruntime',
        device='cpu',
        config=PipelineConfig(plausibility_filter=False),
    )
    det = pipeline.detector
    # official, no cap
    assert (det.score_threshold, det.nms_iou, det.max_detections) == (0.3, 0.7, 1000)
    cam = Camera.from_fov(640, 480)
    poses = pipeline.process(np.full((480, 640, 3), 90, np.uint8), cam)
    assert poses.skeleton == 'smpl_24' and poses.joints.shape == (1, 24, 3)
    assert np.all(poses.joints[..., 2] > 0)
    # 2D = 3D projected
    np.testing.assert_allclose(
        poses.joints2d, cam.project(poses.joints.astype(np.float64)), atol=1e-3
    )
    assert set(poses.timings) >= {'detect', 'crop', 'model', 'reconstruct', 'total'}


def test_bilinear_sampling_with_zero_outside():
    from pose3d_ros.core.crops_linear import bilinear_zero

    image = np.arange(12, dtype=np.float32).reshape(3, 4, 1) + 1.0  # (H=3, W=4, C=1), values 1..12
    xy = np.array(
        [[[2.0, 1.0], [2.5, 1.0], [-0.5, 0.0], [3.5, 2.0], [-1.0, 0.0], [-30.0, 50.0], [1.5, 0.5]]]
    )
    got = bilinear_zero(image, xy)[0, :, 0]
    expected = [
        image[1, 2, 0],
        0.5 * (image[1, 2, 0] + image[1, 3, 0]),
        0.5 * image[0, 0, 0],
        0.5 * image[2, 3, 0],
        0.0,
        0.0,
        image[:2, 1:3, 0].mean(),
    ]
    np.testing.assert_allclose(got, expected, atol=1e-6)
