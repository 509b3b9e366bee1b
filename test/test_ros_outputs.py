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
Message building without a graph.

Skeleton3DArray from tracks, markers (ids, DELETE, lifetime), diagnostics
"""

import numpy as np
from pose3d_msgs.msg import Skeleton3D, Skeleton3DArray
from pose3d_ros.core.skeletons import SKELETONS
from pose3d_ros.ros import conversions
from pose3d_ros.ros.diagnostics import diagnostic_array, ERROR, NodeStats, WARN
from pose3d_ros.ros.markers import MarkerBuilder
from pose3d_ros.ros.tf_output import quaternion_matrix, transform_track
from pose3d_ros.tracking import Track, TrackState
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from std_msgs.msg import Header
from visualization_msgs.msg import Marker

SKELETON = SKELETONS['coco_19']
J = SKELETON.n_joints


def make_track(track_id='4', state=TrackState.TRACKED, z=3.0, nan_joint=None):
    joints = np.stack(
        [np.linspace(-0.3, 0.3, J), np.linspace(-0.9, 0.9, J), np.full(J, z)], axis=1
    )
    conf = np.full(J, 0.8)
    if nan_joint is not None:
        joints[nan_joint] = np.nan
        conf[nan_joint] = np.nan
    return Track(
        id=track_id,
        state=state,
        age=5,
        hits=5,
        confidence=0.7,
        joints=joints,
        joint_confidence=conf,
        root=np.array([0.0, 0.1, z]),
        root_velocity=np.array([0.5, 0.0, -0.2]),
        box=np.array([100.0, 50.0, 80.0, 200.0]),
        keypoints2d=np.tile([[320.0, 240.0]], (J, 1)),
        last_stamp=12.5,
        root_covariance=np.array([[0.01, 0.0, 0.002], [0.0, 0.01, 0.0], [0.002, 0.0, 0.09]]),
    )


def test_tracks_to_msg_round_trip():
    header = Header(frame_id='cam_optical')
    header.stamp.sec, header.stamp.nanosec = 12, 500_000_000
    msg = conversions.tracks_to_msg(
        [make_track(nan_joint=2), make_track('9', TrackState.LOST)], header, 'coco_19'
    )
    back = deserialize_message(serialize_message(msg), Skeleton3DArray)
    assert back.header.frame_id == 'cam_optical' and back.header.stamp.nanosec == 500_000_000
    people = conversions.skeletons_from_msg(back)
    assert [p['id'] for p in people] == ['4', '9']
    assert people[1]['state'] == Skeleton3D.STATE_LOST
    np.testing.assert_allclose(people[0]['joints'][3], make_track().joints[3])
    assert np.isnan(people[0]['joints'][2]).all() and np.isnan(people[0]['joint_confidence'][2])
    np.testing.assert_allclose(people[0]['root_velocity'], [0.5, 0.0, -0.2])
    # row-major 3x3
    np.testing.assert_allclose(people[0]['root_covariance'], make_track().root_covariance)
    np.testing.assert_allclose(people[0]['box'], [100, 50, 80, 200])
    assert people[0]['keypoints_2d'].shape == (J, 2)


def test_skeleton_info_edges_flattened():
    info = conversions.skeleton_info_msg(SKELETON)
    assert list(info.joint_names) == list(SKELETON.joint_names)
    assert np.array(info.edges).reshape(-1, 2).tolist() == [list(e) for e in SKELETON.edges]


def test_markers_stable_ids_nan_skipped_and_explicit_delete():
    builder = MarkerBuilder(SKELETON, lifetime_frames=3.0)
    header = Header(frame_id='cam')
    first = builder.build([make_track('1', nan_joint=0), make_track('2')], header, 1 / 30)
    ids_first = {(m.ns, m.id) for m in first.markers}
    assert len(first.markers) == 6
    spheres = first.markers[0]  # track "1": joints, bones, label
    assert spheres.ns == 'joints' and spheres.type == Marker.SPHERE_LIST
    assert len(spheres.points) == J - 1  # the NaN joint is not drawn
    lifetime = first.markers[0].lifetime.sec + first.markers[0].lifetime.nanosec * 1e-9
    assert lifetime == pytest.approx(0.1)  # 3 frames at 30 Hz = 0.1 s
    second = builder.build([make_track('1'), make_track('2')], header, 1 / 30)
    assert {(m.ns, m.id) for m in second.markers} == ids_first  # stable ids
    third = builder.build([make_track('1'), make_track('2', TrackState.LOST)], header, 1 / 30)
    deletes = [m for m in third.markers if m.action == Marker.DELETE]
    assert len(deletes) == 3 and {m.ns for m in deletes} == {'joints', 'bones', 'label'}
    # track 1 vanished without LOST (e.g. reset): deleted too
    fourth = builder.build([], header, 1 / 30)
    assert sum(m.action == Marker.DELETE for m in fourth.markers) == 3
    assert builder.build([], header, 1 / 30).markers == []  # nothing left to delete
    slow = builder.build([make_track('5')], header, 2.0)  # lifetime bounded to 2 s
    assert slow.markers[0].lifetime.sec == 2


def test_diagnostics_levels_and_numbers():
    t = [0.0]
    stats = NodeStats(clock=lambda: t[0])
    snap = stats.snapshot()
    # no images
    assert diagnostic_array(snap, 'pose3d_node', 'cam', None).status[0].level == bytes([WARN])
    for i in range(31):
        t[0] = i / 30
        stats.on_received()
        stats.on_processed(0.02 + 0.001 * (i % 3), people=2, tracks=2)
    stats.on_dropped()
    from pose3d_ros.core.ground import plane_from_params

    # what the node sets from DepthFusion
    stats.ground_plane = plane_from_params(1.25, 10.0).describe()
    status = diagnostic_array(stats.snapshot(), 'pose3d_node', 'cam', None).status[0]
    values = {kv.key: kv.value for kv in status.values}
    assert values['ground_plane'].startswith('params: height 1.250 m, pitch 10.00 deg')
    assert status.level == bytes([0]) and float(values['input_rate_hz']) == pytest.approx(
        30, rel=0.01
    )
    assert (
        float(values['latency_p50_ms']) == pytest.approx(21, abs=1.0)
        and values['dropped_total'] == '1'
    )
    stats.problem('image', ERROR, "dropped image: unsupported image encoding 'foo'")
    status = diagnostic_array(stats.snapshot(), 'pose3d_node', 'cam', None).status[0]
    assert status.level == bytes([ERROR]) and 'unsupported image encoding' in status.message
    t[0] += 10  # the problem expires; images stale now
    status = diagnostic_array(stats.snapshot(), 'pose3d_node', 'cam', None).status[0]
    assert status.level == bytes([WARN]) and 'no image for' in status.message


def test_tf_maths_rotates_and_translates_tracks():
    rotation = quaternion_matrix(0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4))  # 90° about z
    moved = transform_track(make_track(nan_joint=1), rotation, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(moved.root, [1.0 - 0.1, 2.0, 6.0], atol=1e-12)
    np.testing.assert_allclose(moved.root_velocity, [0.0, 0.5, -0.2], atol=1e-12)
    # the covariance turns with the frame: the long (depth) axis z stays z under a rotation about z
    np.testing.assert_allclose(moved.root_covariance[2, 2], 0.09) and np.testing.assert_allclose(
        moved.root_covariance[1, 2], 0.002, atol=1e-12
    )
    assert np.isnan(moved.joints[1]).all()


def test_ground_plane_from_a_tf_transform():
    from geometry_msgs.msg import Transform
    from pose3d_ros.core.ground import plane_from_params
    from pose3d_ros.ros.ground_tf import plane_from_tf
    from scipy.spatial.transform import Rotation

    # Optical frame of a camera 1.3 m up, pitched 15 deg down, in a z-up ground frame looking along
    # +x.
    # columns: optical x, y, z axes in the ground frame
    base = np.array([[0, 0, 1.0], [-1, 0, 0], [0, -1, 0]])
    # about the ground y axis: nose down
    pitch = Rotation.from_rotvec([0, np.radians(15.0), 0]).as_matrix()
    R = pitch @ base
    q = Rotation.from_matrix(R).as_quat()  # x, y, z, w
    tf = Transform()
    tf.translation.x, tf.translation.y, tf.translation.z = 0.2, -0.1, 1.3
    tf.rotation.x, tf.rotation.y, tf.rotation.z, tf.rotation.w = map(float, q)
    plane = plane_from_tf(tf)
    expect = plane_from_params(1.3, 15.0, 0.0)
    np.testing.assert_allclose(plane.normal, expect.normal, atol=1e-9)
    assert plane.offset == pytest.approx(1.3) and plane.source == 'tf'
