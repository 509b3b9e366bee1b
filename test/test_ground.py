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
Ground plane: parameters and transforms against the generator's camera rig.

The feet estimator on synthetic walkers (known plane, per-person scale errors of the height prior,
jumps as outliers).
"""

import numpy as np
from pose3d_ros.core.ground import GroundPlaneEstimator, plane_from_params, plane_from_transform
from pose3d_ros.evalgen.raster import CameraRig
import pytest


def rig(height=1.3, pitch=12.0, roll=0.0) -> CameraRig:
    """
    Return the generator's camera.

    Rolled about its optical axis by `roll` degrees (world turns clockwise)
    """
    cam = CameraRig.create(640, 480, 60.0, height, pitch)
    r = np.radians(roll)
    # Rolling the camera counter-clockwise about its z axis turns the world clockwise in the image.
    Rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1.0]])
    cam.R = Rz @ cam.R
    return cam


def angle_deg(a, b) -> float:
    return float(
        np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))
    )


@pytest.mark.parametrize(
    'height,pitch,roll', [(1.3, 12.0, 0.0), (0.8, -5.0, 4.0), (2.5, 30.0, -7.0)]
)
def test_params_plane_gives_world_heights(height, pitch, roll):
    cam = rig(height, pitch, roll)
    plane = plane_from_params(height, pitch, roll)
    # world, z up
    pts_w = np.random.default_rng(0).uniform([-3, 1, -0.5], [3, 9, 2.0], size=(50, 3))
    assert np.allclose(plane.height(cam.to_camera(pts_w)), pts_w[:, 2], atol=1e-9)
    assert plane.tilt_deg() == pytest.approx((pitch, roll), abs=1e-9)


def test_roll_sign_is_clockwise_in_the_image():
    cam = rig(1.3, 0.0, 10.0)
    foot, head = cam.project(cam.to_camera(np.array([[0.0, 5.0, 0.0], [0.0, 5.0, 1.7]])))
    du, dv = head - foot  # image up is -v; clockwise turns it towards +u
    assert dv < 0 and du > 0
    assert np.degrees(np.arctan2(du, -dv)) == pytest.approx(10.0, abs=0.5)


def test_transform_plane_matches_params():
    cam = rig(1.1, 8.0, 3.0)
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = cam.R.T, cam.C  # image (optical) frame -> ground frame
    p = plane_from_transform(T)
    q = plane_from_params(1.1, 8.0, 3.0)
    assert np.allclose(p.normal, q.normal, atol=1e-12) and p.offset == pytest.approx(1.1)
    assert p.source == 'tf'


def test_ray_scale_puts_the_point_on_the_plane():
    plane = plane_from_params(1.2, 10.0)
    # the last is above the horizon
    pts = np.array([[0.3, 0.8, 3.0], [-1.0, 0.5, 6.0], [0.0, -1.5, 4.0]])
    s = plane.ray_scale(pts, 0.09)
    assert np.allclose(plane.height(pts[:2] * s[:2, None]), 0.09)
    assert np.isnan(s[2])


def walkers(
    cam,
    rng,
    people,
    seconds=5.0,
    fps=10.0,
    scale_err=0.05,
    noise=0.03,
    outliers=0.1,
    crossing=False,
):
    """
    Prior-scaled floor points, body-up directions.

    Stamps and person keys of walkers in front of `cam`
    """
    feet, ups, stamps, keys = [], [], [], []
    up_cam = cam.R @ np.array([0.0, 0, 1])
    for k in range(people):
        s = 1.0 + scale_err * rng.standard_normal()  # this person's height-prior scale error
        start = np.array([rng.uniform(-2, 2), rng.uniform(2, 9), 0.0])
        v = np.array([rng.choice([-1, 1]) * 1.2, 0.0 if crossing else rng.uniform(-0.5, 0.5), 0.0])
        for f in range(int(seconds * fps)):
            p = start + v * f / fps + np.r_[rng.normal(0, noise, 2), rng.normal(0, noise)]
            if rng.uniform() < outliers:
                p[2] += rng.uniform(0.2, 0.5)  # a jump / swing foot
            feet.append(s * cam.to_camera(p))
            tilt = rng.normal(0, np.radians(5), 3)
            ups.append(up_cam + np.cross(tilt, up_cam))
            stamps.append(f / fps)
            keys.append(k)
    order = np.argsort(stamps, kind='stable')
    return (
        np.array(feet)[order],
        np.array(ups)[order],
        np.array(stamps)[order],
        np.array(keys)[order],
    )


@pytest.mark.parametrize('seed', range(4))
def test_estimator_finds_the_floor_of_walkers(seed):
    rng = np.random.default_rng(seed)
    cam = rig(1.4, 12.0, 3.0)
    feet, ups, stamps, keys = walkers(cam, rng, people=4)
    est = GroundPlaneEstimator()
    for t in np.unique(stamps):
        now = stamps == t
        plane = est.add(t, feet[now], ups[now], keys[now])
    truth = plane_from_params(1.4, 12.0, 3.0)
    assert angle_deg(plane.normal, truth.normal) < 2.0
    # Four people with 5 % scale errors each: the height is known to ~2.5 %; the reported sigma
    # says so.
    assert 0.02 < plane.offset_std_m / 1.4 < 0.035
    assert abs(plane.offset - 1.4) < 3 * plane.offset_std_m
    assert plane.source == 'estimate'


def test_estimator_single_crossing_walker_and_known_height():
    rng = np.random.default_rng(7)
    cam = rig(1.0, 6.0, -2.0)
    feet, ups, stamps, _ = walkers(cam, rng, people=1, crossing=True)
    est = GroundPlaneEstimator(camera_height_m=1.0)
    assert est.add(0.0, feet[:3], ups[:3]) is None  # too few samples, too short a time
    for t in np.unique(stamps):
        plane = est.add(t, feet[stamps == t], ups[stamps == t])
    assert angle_deg(plane.normal, plane_from_params(1.0, 6.0, -2.0).normal) < 2.0
    assert plane.offset == 1.0
