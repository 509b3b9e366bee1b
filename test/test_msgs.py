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

"""pose3d_msgs: serialization round trips, cross-process delivery on loopback DDS, rosbag2 MCAP."""

from pathlib import Path
import subprocess
import sys
import time

from msg_samples import assert_msg_equal, sample_skeleton_array, sample_skeleton_info
import numpy as np
from pose3d_msgs.msg import Skeleton3D, Skeleton3DArray, SkeletonInfo
from pose3d_ros import rosenv
from pose3d_ros.bags import pose3d_typestore
import pytest
from rclpy.serialization import deserialize_message, serialize_message

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    'make',
    [sample_skeleton_array, sample_skeleton_info, lambda: sample_skeleton_array().skeletons[0]],
)
def test_serialization_round_trip(make):
    msg = make()
    data = serialize_message(msg)
    back = deserialize_message(data, type(msg))
    assert_msg_equal(msg, back)
    # Twice through CDR is still equal (bytes may differ only in alignment padding, which Fast CDR
    # leaves unset).
    assert_msg_equal(msg, deserialize_message(serialize_message(back), type(msg)))


def test_nan_joint_survives_and_constants():
    back = deserialize_message(serialize_message(sample_skeleton_array()), Skeleton3DArray)
    assert np.isnan(back.skeletons[0].joints[3].x)
    assert np.isnan(back.skeletons[0].joint_confidence[3])
    assert (
        Skeleton3D.STATE_NEW,
        Skeleton3D.STATE_TRACKED,
        Skeleton3D.STATE_PREDICTED,
        Skeleton3D.STATE_LOST,
    ) == (0, 1, 2, 3)


def test_comparer_detects_a_difference():
    a, b = sample_skeleton_array(), sample_skeleton_array()
    b.skeletons[1].joints[5].z += 1e-3
    with pytest.raises(AssertionError, match=r'skeletons\[1\]\.joints\[5\]\.z'):
        assert_msg_equal(a, b)


def test_other_process_receives_field_for_field(ros_context):
    """
    Return a Skeleton3DArray with NaN joints published by one OS process arrives equal in.

    Another
    """
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

    env = rosenv.loopback_env()
    assert env['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
    child = subprocess.Popen(
        [sys.executable, str(HERE / 'ros_helpers' / 'publish_samples.py'), '30'], env=env
    )
    try:
        import rclpy

        node = rclpy.create_node('sample_listener', context=ros_context)
        got, info = [], []
        node.create_subscription(Skeleton3DArray, 'skeletons', got.append, 10)
        latched = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        node.create_subscription(SkeletonInfo, 'skeleton_info', info.append, latched)
        executor = SingleThreadedExecutor(context=ros_context)
        executor.add_node(node)
        deadline = time.monotonic() + 25
        while (not got or not info) and time.monotonic() < deadline:
            assert child.poll() is None, 'publisher process died'
            executor.spin_once(timeout_sec=0.1)
        assert got, 'no Skeleton3DArray received from the other process within 25 s'
        assert info, 'latched SkeletonInfo not received (TRANSIENT_LOCAL)'
        assert_msg_equal(sample_skeleton_array(), got[0])
        assert_msg_equal(sample_skeleton_info(), info[0])
        node.destroy_node()
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_rosbags_mcap_round_trip(tmp_path):
    """Rosbags writes the custom types into MCAP; rclpy decodes rosbags' bytes and vice versa."""
    from rosbags.rosbag2 import Reader, StoragePlugin, Writer

    store = pose3d_typestore()
    msg = sample_skeleton_array()
    raw = serialize_message(msg)
    bag = tmp_path / 'bag'
    with Writer(bag, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        conn = writer.add_connection(
            '/pose3d_node/skeletons', 'pose3d_msgs/msg/Skeleton3DArray', typestore=store
        )
        for i in range(3):
            writer.write(conn, 1_000_000_000 * (i + 1), raw)
        info_conn = writer.add_connection(
            '/pose3d_node/skeleton_info', 'pose3d_msgs/msg/SkeletonInfo', typestore=store
        )
        writer.write(
            info_conn,
            1,
            store.serialize_cdr(
                store.types['pose3d_msgs/msg/SkeletonInfo'](
                    skeleton_type='coco_19',
                    joint_names=['neck', 'nose', 'pelv', 'lsho'],
                    edges=np.array([0, 1, 0, 2, 0, 3], np.uint16),
                ),
                'pose3d_msgs/msg/SkeletonInfo',
            ),
        )
    assert list(bag.glob('*.mcap')), 'no .mcap file written'
    with Reader(bag) as reader:
        assert {c.topic for c in reader.connections} == {
            '/pose3d_node/skeletons',
            '/pose3d_node/skeleton_info',
        }
        rows = list(reader.messages())
    assert len(rows) == 4
    for conn, _, data in rows:
        if conn.msgtype.endswith('Skeleton3DArray'):
            assert_msg_equal(msg, deserialize_message(bytes(data), Skeleton3DArray))
            decoded = store.deserialize_cdr(data, conn.msgtype)
            assert decoded.skeleton_type == 'coco_19'
            assert np.isnan(decoded.skeletons[0].joints[3].x)
            assert decoded.skeletons[2].tracking_state == Skeleton3D.STATE_LOST
        else:
            assert_msg_equal(
                sample_skeleton_info(), deserialize_message(bytes(data), SkeletonInfo)
            )


def test_harness_refuses_graph_without_loopback(monkeypatch):
    monkeypatch.setenv('ROS_AUTOMATIC_DISCOVERY_RANGE', 'SUBNET')
    with pytest.raises(rosenv.LoopbackDDSError, match='LOCALHOST'):
        rosenv.require_loopback_dds()
    monkeypatch.delenv('FASTDDS_DEFAULT_PROFILES_FILE')
    with pytest.raises(rosenv.LoopbackDDSError, match='FASTDDS_DEFAULT_PROFILES_FILE'):
        rosenv.require_loopback_dds()
