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
pose3d_node's TF, camera model and stamp handling in a real rclpy graph.

With a known synthetic person.

The node runs in its own process with the frame processor of ros_helpers/oracle_node.py (a template
adult placed on the ray of a known pixel of the camera the node hands over, real Tracker);
everything ROS is the node's code. Checked against that ground truth: body_<id> on /tf (origin at
the hip midpoint, x forward out of the chest, z up, parent = the image frame), K vs P (and R) of
CameraInfo, out-of-order frames dropped and a large backward jump restarting the tracks,
use_sim_time accepted at start.
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.camera import Camera
import pytest
from ros_helpers.graph import Harness, HERE, log_tail, start_node, stop
from ros_helpers.oracle_node import oracle_person
from scipy.spatial.transform import Rotation

ORACLE = HERE / 'oracle_node.py'
W, H = 640, 480
K_RAW = Camera.from_fov(W, H, 60.0).K  # (3, 3) raw intrinsics
# rectified intrinsics (3, 4)
P_RECT = np.array([[450.0, 0, 300.0, 0], [0, 450.0, 250.0, 0], [0, 0, 1, 0]])
R_RECT = Rotation.from_euler('y', 10.0, degrees=True).as_matrix()  # camera -> rectified frame


def _info(h, stamp, r=np.eye(3)):
    info = h.camera_info(W, H, stamp, k=K_RAW.ravel().tolist(), d=[-0.1, 0.01, 0.0, 0.0, 0.0])
    info.p = P_RECT.ravel().tolist()
    info.r = np.asarray(r).ravel().tolist()
    return info


def _angle_deg(a, b) -> float:
    return float(
        np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1)))
    )


def _hips(msg) -> np.ndarray:
    joints = np.array([[p.x, p.y, p.z] for p in msg.skeletons[0].joints])  # (33, 3) blazepose_33
    return 0.5 * (joints[23] + joints[24])  # left_hip, right_hip


@pytest.fixture
def oracle(tmp_path):
    processes = []

    def start(*params):
        log = open(tmp_path / f'node{len(processes)}.log', 'w')
        # The oracle places its person exactly; the metric-depth fusion (1.70 m height prior) would
        # move it by ~1 %.
        processes.append(start_node("ground_plane_source:='off'", *params, script=ORACLE, log=log))
        return processes[-1]

    yield start
    for process in processes:
        stop(process)


def test_body_frames_stamps_and_raw_camera(oracle, ros_context):
    node = oracle('publish_tf:=true', 'track_min_hits:=2')
    h = Harness(ros_context)
    h.subscribe_tf()
    h.wait_for_node(node, 60)
    rgb = np.zeros((H, W, 3), np.uint8)
    h.prime(_info(h, (9, 0)))
    for i in range(3):  # 10 Hz from t = 10 s
        stamp = (10, i * 100_000_000)
        h.send(h.image(rgb, stamp), _info(h, stamp))
        assert h.output_for(stamp) is not None, log_tail(node)
    # the last frame's body frame (its TF message may arrive after its skeletons, more so on a
    # loaded machine)
    assert h.spin_until(
        lambda: any(
            t.child_frame_id.startswith('body_') and t.header.stamp.nanosec == 200_000_000
            for m in h.tf
            for t in m.transforms
        ),
        5,
    )

    # Ground truth: the person the oracle placed with the raw camera (K and D, not P).
    camera = Camera.from_camera_info(K_RAW.ravel(), [-0.1, 0.01, 0.0, 0.0, 0.0], 'plumb_bob', W, H)
    joints, body_to_camera = oracle_person(camera)
    hips = 0.5 * (joints[23] + joints[24])  # (3,) metres
    tf = [t for m in h.tf for t in m.transforms if t.header.stamp.nanosec == 200_000_000][-1]
    first = h.output_for((10, 0)).skeletons[0]
    # NEW (1 of track_min_hits 2): published, but no body frame yet
    assert first.tracking_state == 0
    assert not [
        t
        for m in h.tf
        for t in m.transforms
        if t.header.stamp == h.output_for((10, 0)).header.stamp
    ]
    assert (
        tf.header.frame_id == 'test_camera_optical'
        and tf.child_frame_id == f'body_{h.skeletons[-1].skeletons[0].id}'
    )
    origin = np.array(
        [tf.transform.translation.x, tf.transform.translation.y, tf.transform.translation.z]
    )
    # the hip midpoint (mm: float rounding only)
    np.testing.assert_allclose(origin, hips, atol=1e-3)
    np.testing.assert_allclose(_hips(h.skeletons[-1]), hips, atol=1e-3)  # K's ray, not P's
    q = tf.transform.rotation
    # columns: body x, y, z in the camera frame
    axes = Rotation.from_quat([q.x, q.y, q.z, q.w]).as_matrix()
    left, up, forward = body_to_camera.T  # template: x left, y up, z forward
    # x forward out of the chest, z up, y left. The template's shoulders sit 1 cm behind its hips,
    # which
    # tilts the torso-plane normal by atan(0.01 / 0.52) = 1.1 deg; 2 deg bounds it.
    assert _angle_deg(axes[:, 0], forward) < 2.0 and _angle_deg(axes[:, 2], up) < 2.0
    assert _angle_deg(axes[:, 1], left) < 2.0
    # yaw 30 deg from facing us
    assert _angle_deg(axes[:, 0], -np.array([0, 0, 1.0])) == pytest.approx(30.0, abs=2.0)

    # Out of order by 50 ms: dropped. Newer again: processed, same id.
    first_id = h.skeletons[-1].skeletons[0].id
    h.send(h.image(rgb, (10, 150_000_000)))
    assert h.diagnosed('out of order')
    assert (
        h.output_for((10, 150_000_000), timeout_s=0.2) is None
    ), 'out-of-order frame was processed'
    h.send(h.image(rgb, (10, 300_000_000)))
    assert h.output_for((10, 300_000_000)) is not None
    assert h.skeletons[-1].skeletons[0].id == first_id
    # A jump back by 8 s (bag loop): processed, tracks restarted under a new id.
    h.send(h.image(rgb, (2, 0)))
    out = h.output_for((2, 0))
    assert out is not None and out.skeletons and out.skeletons[0].id != first_id
    assert 'tracks restarted' in log_tail(node)


def test_rectified_input_uses_p_and_r(oracle, ros_context):
    # no /clock here
    node = oracle('rectified_input:=true', 'track_min_hits:=1', 'use_sim_time:=true')
    h = Harness(ros_context)
    h.wait_for_node(node, 60)
    stamp = (20, 0)
    h.prime(_info(h, stamp, r=R_RECT))
    h.send(h.image(np.zeros((H, W, 3), np.uint8), stamp), _info(h, stamp, r=R_RECT))
    out = h.output_for(stamp)
    assert out is not None and out.skeletons, log_tail(node)
    rectified = Camera.from_camera_info(P_RECT[:, :3].ravel(), [], 'none', W, H)
    joints, _ = oracle_person(rectified)  # in the rectified frame
    hips = R_RECT.T @ (0.5 * (joints[23] + joints[24]))  # back in the camera's optical frame
    np.testing.assert_allclose(_hips(out), hips, atol=1e-3)
    assert out.header.frame_id == 'test_camera_optical'
