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

"""Camera model: CameraInfo validation, projection against OpenCV, undistortion, scaling."""

import cv2
import numpy as np
from pose3d_ros.core.camera import Camera, InvalidCameraError
import pytest

K = [600.0, 0, 330, 0, 610, 235, 0, 0, 1]
DISTORTIONS = {
    'none': [],
    'plumb_bob': [-0.3, 0.1, 0.001, -0.002, -0.02],
    'rational_polynomial': [0.5, -0.2, 0.001, 0.002, 0.01, 0.8, -0.1, 0.02],
    'equidistant': [-0.02, 0.01, -0.003, 0.001],
}


@pytest.mark.parametrize('model', list(DISTORTIONS))
def test_project_matches_opencv_and_undistort_inverts(model):
    cam = Camera.from_camera_info(K, DISTORTIONS[model], model, 640, 480)
    pts = np.random.default_rng(0).uniform([-1.5, -1, 2], [1.5, 1, 6], (200, 3))
    uv = cam.project(pts)
    if model == 'equidistant':
        ref = cv2.fisheye.projectPoints(pts[None], np.zeros(3), np.zeros(3), cam.K, cam.dist)[0][0]
    else:
        ref = cv2.projectPoints(
            pts, np.zeros(3), np.zeros(3), cam.K, cam.dist if cam.dist.size else None
        )[0][:, 0]
    assert np.abs(uv - ref).max() < 1e-9
    rays = cam.backproject(uv)  # unit rays
    assert np.allclose(np.linalg.norm(rays, axis=-1), 1.0)
    assert np.abs(rays - pts / np.linalg.norm(pts, axis=-1, keepdims=True)).max() < 1e-9


def test_project_batched_and_behind_camera():
    cam = Camera.from_fov(640, 480)
    pts = np.random.default_rng(1).uniform([-1, -1, 1], [1, 1, 5], (4, 5, 3))
    assert cam.project(pts).shape == (4, 5, 2)
    assert np.allclose(cam.project(pts)[2, 3], cam.project(pts[2, 3]))
    assert np.all(np.isnan(cam.project(np.array([0.0, 0.0, -1.0]))))


def test_default_fov():
    cam = Camera.from_fov(1280, 720, 55.0)
    assert cam.is_default_fov and cam.dist_model == 'none'
    # the longer side spans exactly 55 degrees between the outer pixel edges
    left, right = cam.backproject(np.array([[-0.5, 359.5], [1279.5, 359.5]]))
    assert np.degrees(np.arccos(left @ right)) == pytest.approx(55.0, abs=1e-9)
    assert cam.K[0, 2] == pytest.approx(639.5) and cam.K[1, 2] == pytest.approx(359.5)


def test_scaled_keeps_rays():
    cam = Camera.from_camera_info(K, DISTORTIONS['plumb_bob'], 'plumb_bob', 640, 480)
    half = cam.scaled(0.5)
    assert (half.width, half.height) == (320, 240)
    pts = np.array([[0.3, -0.2, 2.0], [-1.0, 0.5, 4.0]])
    # pixel p at full size is (p + 0.5) / 2 - 0.5 at half size (pixel-centre convention)
    assert np.allclose(half.project(pts), (cam.project(pts) + 0.5) / 2 - 0.5)


@pytest.mark.parametrize(
    'k, reason',
    [
        ([0.0] * 9, 'all zeros'),
        ([600, 0, 320, 0, np.nan, 240, 0, 0, 1], 'NaN'),
        ([600, 0, 320, 0, np.inf, 240, 0, 0, 1], 'NaN or inf'),
        ([-600, 0, 320, 0, 600, 240, 0, 0, 1], 'focal lengths must be positive'),
        ([600, 0, 320, 0, 0, 240, 0, 0, 1], 'focal lengths must be positive'),
        ([600, 0, 5000, 0, 600, 240, 0, 0, 1], 'principal point'),
        ([600, 0, 320, 0, 600, 240, 0, 0], '9 values'),
    ],
)
def test_invalid_intrinsics_rejected(k, reason):
    with pytest.raises(InvalidCameraError, match=reason):
        Camera.from_camera_info(k, [], 'plumb_bob', 640, 480)
    # ... unless the caller accepts the default field of view
    cam = Camera.from_camera_info(k, [], 'plumb_bob', 640, 480, allow_default_fov=True, fov_deg=60)
    assert cam.is_default_fov and cam.width == 640
    assert np.allclose(cam.K, Camera.from_fov(640, 480, 60).K)


def test_invalid_sizes_and_models_rejected():
    with pytest.raises(InvalidCameraError, match='size must be positive'):
        Camera.from_camera_info(K, [], 'plumb_bob', 0, 480, allow_default_fov=True)
    with pytest.raises(InvalidCameraError, match='does not match the image size'):
        Camera.from_camera_info(K, [], 'plumb_bob', 640, 480, image_size=(1280, 720))
    with pytest.raises(InvalidCameraError, match='unknown distortion model'):
        Camera.from_camera_info(
            [0.0] * 9, [0.1], 'kannala_brandt', 640, 480, allow_default_fov=True
        )
    with pytest.raises(InvalidCameraError, match='NaN or inf'):
        Camera.from_camera_info(K, [0.1, np.nan, 0, 0, 0], 'plumb_bob', 640, 480)
    with pytest.raises(InvalidCameraError, match='4 coefficients'):
        Camera.from_camera_info(K, [0.1, 0.2], 'equidistant', 640, 480)
    with pytest.raises(InvalidCameraError, match='needs 4, 5, 8'):
        Camera.from_camera_info(K, [0.1, 0.2, 0.3], 'plumb_bob', 640, 480)


def test_accepted_variants():
    # empty model with no coefficients (uncalibrated drivers), all-zero distortion -> 'none'
    assert Camera.from_camera_info(K, [], '', 640, 480).dist_model == 'none'
    assert Camera.from_camera_info(K, [0.0] * 5, 'plumb_bob', 640, 480).dist_model == 'none'
    # zero CameraInfo size taken from the image; K may be (3, 3)
    cam = Camera.from_camera_info(
        np.reshape(K, (3, 3)),
        DISTORTIONS['rational_polynomial'],
        'rational_polynomial',
        0,
        0,
        image_size=(640, 480),
    )
    assert (cam.width, cam.height, cam.dist.size) == (640, 480, 8) and not cam.is_default_fov


def test_fit_to_image_scales_resized_frames_and_rejects_other_aspects():
    camera = Camera.from_fov(1280, 720)
    assert camera.fit_to_image(1280, 720) is camera
    half = camera.fit_to_image(640, 360)
    np.testing.assert_allclose(
        half.project(np.array([0.3, -0.2, 2.0])),
        (camera.project(np.array([0.3, -0.2, 2.0])) + 0.5) * 0.5 - 0.5,
        atol=1e-9,
    )
    assert (half.width, half.height) == (640, 360)
    with pytest.raises(InvalidCameraError, match='different aspect ratio'):
        camera.fit_to_image(640, 480)
    with pytest.raises(InvalidCameraError):
        # 4 px off: beyond an explicit 1 px tolerance
        camera.fit_to_image(640, 364, tolerance_px=1.0)
    assert camera.fit_to_image(640, 363).height == 360  # within the default 1 % of the height
