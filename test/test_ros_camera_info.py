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
`CameraInfo` read as image_geometry reads it, and other pure functions of the ROS layer.

K/D raw, P/R rectified, binning, ROI; refused when no real lens gives it; REP-155 body frames of a
known person; compressed images size-checked from their header; diagnostics capped. No ROS graph
(the graph tests drive the same code through the node).
"""

from __future__ import annotations

import math
from types import SimpleNamespace as NS

import cv2
import numpy as np
from pose3d_ros.core.camera import InvalidCameraError
from pose3d_ros.core.skeletons import get_skeleton, template_pose
from pose3d_ros.ros.camera_info import camera_model_from_info
from pose3d_ros.ros.diagnostics import cap, MAX_TEXT_CHARS, NodeStats
from pose3d_ros.ros.image_conversion import (
    decode_compressed,
    ImageConversionError,
    max_decode_pixels,
)
from pose3d_ros.ros.tf_output import body_frame
import pytest
from scipy.spatial.transform import Rotation

K = [500.0, 0, 319.5, 0, 505.0, 239.5, 0, 0, 1]
P = [480.0, 0, 310.0, 0, 0, 480.0, 245.0, 0, 0, 0, 1, 0]


def info(
    k=K,
    d=(0.0,) * 5,
    model='plumb_bob',
    width=640,
    height=480,
    p=P,
    r=(1, 0, 0, 0, 1, 0, 0, 0, 1),
    binning=(0, 0),
    roi=(0, 0, 0, 0),
):
    return NS(
        k=list(k),
        d=list(d),
        distortion_model=model,
        width=width,
        height=height,
        p=list(p),
        r=list(r),
        binning_x=binning[0],
        binning_y=binning[1],
        header=NS(frame_id='cam'),
        roi=NS(x_offset=roi[0], y_offset=roi[1], width=roi[2], height=roi[3]),
    )


def test_raw_uses_k_and_d_rectified_uses_p_and_r():
    raw = camera_model_from_info(info(d=(-0.2, 0.05, 0.001, 0.0, 0.0)))
    np.testing.assert_allclose(raw.camera.K.ravel(), K)
    assert raw.camera.dist_model == 'plumb_bob' and raw.rotation is None
    R = Rotation.from_euler('x', 5, degrees=True).as_matrix()
    rect = camera_model_from_info(
        info(d=(-0.2, 0.05, 0.001, 0.0, 0.0), r=R.ravel()), rectified=True
    )
    np.testing.assert_allclose(rect.camera.K, np.reshape(P, (3, 4))[:, :3])
    assert rect.camera.dist_model == 'none'  # distortion is not applied twice
    np.testing.assert_allclose(rect.rotation, R.T)  # rectified points back to the camera frame
    with pytest.raises(InvalidCameraError, match='not a rotation'):
        camera_model_from_info(info(r=[2, 0, 0, 0, 1, 0, 0, 0, 1]), rectified=True)


def test_binning_and_roi_as_image_geometry():
    # image_geometry: fx' = fx / binning_x, cx' = (cx - roi.x_offset) / binning_x; size = roi size
    # / binning.
    cam = camera_model_from_info(info(binning=(2, 2), roi=(100, 40, 400, 300))).camera
    assert (cam.width, cam.height) == (200, 150)
    np.testing.assert_allclose(
        cam.K, [[250.0, 0, (319.5 - 100) / 2], [0, 252.5, (239.5 - 40) / 2], [0, 0, 1]]
    )
    with pytest.raises(InvalidCameraError, match='exceeds'):
        camera_model_from_info(info(roi=(400, 0, 400, 300)))


@pytest.mark.parametrize(
    'fields,needle',
    [
        (
            {'k': [1e9, 0, 319.5, 0, 1e9, 239.5, 0, 0, 1]},
            r'focal length fx=1e\+09 px is implausible',
        ),
        ({'k': [0.5, 0, 319.5, 0, 0.5, 239.5, 0, 0, 1]}, 'focal length fx=0.5 px is implausible'),
        ({'d': (1e6, 0, 0, 0, 0)}, 'shrinks the view'),  # people at ~170 m
        ({'d': (-1.5, 0, 0, 0, 0)}, 'folds the image'),
        # r_d = r (1 - 0.3 r^2) peaks at 0.70 (r = 1.05); the 640x480 corners at fx 500 need 0.80:
        # folded.
        ({'d': (-0.3, 0, 0, 0, 0)}, 'folds the image'),
    ],
)
def test_implausible_camera_refused_with_reason(fields, needle):
    with pytest.raises(InvalidCameraError, match=needle):
        camera_model_from_info(info(**fields))


def test_real_calibrations_accepted():
    # The same k1 = -0.3 with fx 800: corners at normalised radius 0.50 < 0.70, no fold within the
    # frame.
    camera_model_from_info(
        info(k=[800.0, 0, 319.5, 0, 800.0, 239.5, 0, 0, 1], d=(-0.3, 0, 0, 0, 0))
    )
    # Typical values of ROS calibrations: webcams (plumb_bob, strong barrel), a fisheye.
    camera_model_from_info(info(d=(-0.28, 0.07, 0.0005, -0.0002, 0.0)))
    camera_model_from_info(
        info(
            k=[481.2, 0, 321.7, 0, 481.0, 240.7, 0, 0, 1],
            d=(-0.3635, 0.1567, -0.0002, 0.00016, 0.0),
        )
    )
    camera_model_from_info(
        info(
            k=[285.0, 0, 424.0, 0, 285.0, 400.0, 0, 0, 1],
            width=848,
            height=800,
            model='equidistant',
            d=(-0.006, 0.041, -0.039, 0.007),
        )
    )
    # 1.2 deg telephoto
    camera_model_from_info(info(k=[30000.0, 0, 319.5, 0, 30000.0, 239.5, 0, 0, 1]))


@pytest.mark.parametrize('yaw_deg', [0.0, 30.0, 135.0, -90.0])
def test_body_frame_of_a_known_person(yaw_deg):
    skeleton = get_skeleton('coco_19')
    turn = Rotation.from_euler('y', yaw_deg, degrees=True).as_matrix()
    # body (x left, y up, z forward) -> optical frame
    to_camera = np.diag([1.0, -1.0, -1.0]) @ turn
    joints = template_pose(skeleton) @ to_camera.T + [0.4, 0.1, 3.0]
    origin, axes = body_frame(joints, skeleton)
    hips = 0.5 * (joints[skeleton.keys.index('lhip')] + joints[skeleton.keys.index('rhip')])
    np.testing.assert_allclose(origin, hips, atol=1e-12)
    np.testing.assert_allclose(axes.T @ axes, np.eye(3), atol=1e-12)
    assert np.linalg.det(axes) == pytest.approx(1.0)
    left, up, forward = to_camera.T
    angle = lambda a, b: math.degrees(math.acos(np.clip(a @ b, -1, 1)))  # noqa: E731
    # The template's shoulders sit 1 cm behind its hips: the torso normal tilts by atan(0.01/0.52)
    # = 1.1 deg.
    assert (
        angle(axes[:, 0], forward) < 1.2
        and angle(axes[:, 2], up) < 1.2
        and angle(axes[:, 1], left) < 1e-6
    )
    joints[skeleton.keys.index('lsho')] = np.nan
    assert body_frame(joints, skeleton) is None


def test_compressed_size_checked_before_decoding():
    rng = np.random.default_rng(3)
    image = cv2.resize(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), (1600, 1200))
    jpeg = cv2.imencode('.jpg', image)[1].tobytes()
    png = cv2.imencode('.png', image)[1].tobytes()
    budget = max_decode_pixels(400)  # 4 x 400^2 = 640,000 px; the image has 1,920,000
    rgb, reduced = decode_compressed(NS(format='jpeg', data=jpeg), budget)
    assert reduced == 2 and rgb.shape == (600, 800, 3)  # libjpeg decoded at 1/2
    assert np.abs(rgb.astype(int) - cv2.resize(image, (800, 600))[..., ::-1]).mean() < 8
    with pytest.raises(
        ImageConversionError, match='PNG 1600x1200 is larger than the node decodes'
    ):
        decode_compressed(NS(format='png', data=png), budget)
    with pytest.raises(ImageConversionError, match='larger than the node decodes'):
        decode_compressed(NS(format='jpeg', data=jpeg), max_decode_pixels(60))  # beyond 1/8
    assert decode_compressed(NS(format='png', data=png), max_decode_pixels(1920))[1] == 1
    bmp = cv2.imencode('.bmp', image[:10, :10])[1].tobytes()
    with pytest.raises(ImageConversionError, match='not JPEG or PNG'):
        decode_compressed(NS(format='bmp', data=bmp))


def test_diagnostic_texts_capped():
    stats = NodeStats()
    stats.problem('image', 2, "unsupported image encoding '" + 'x' * 65536 + "'")
    message = stats.snapshot()['problems']['image'][1]
    assert len(message) < MAX_TEXT_CHARS + 40 and message.endswith('chars)')
    assert cap('short') == 'short'
