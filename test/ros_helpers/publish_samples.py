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
Child process for test_msgs.

Publishes the sample Skeleton3DArray and the latched SkeletonInfo
"""

from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pose3d_ros import rosenv  # noqa: E402

rosenv.require_loopback_dds()  # the parent test passes the loopback environment

from msg_samples import sample_skeleton_array, sample_skeleton_info  # noqa: E402, I100
from pose3d_msgs.msg import Skeleton3DArray, SkeletonInfo  # noqa: E402
import rclpy  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402


def main() -> None:
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    rclpy.init()
    node = rclpy.create_node('sample_publisher')
    pub = node.create_publisher(Skeleton3DArray, 'skeletons', 10)
    latched = QoSProfile(
        depth=1,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.TRANSIENT_LOCAL,
    )
    info_pub = node.create_publisher(SkeletonInfo, 'skeleton_info', latched)
    info_pub.publish(sample_skeleton_info())
    msg = sample_skeleton_array()
    end = time.monotonic() + duration
    while time.monotonic() < end and rclpy.ok():
        pub.publish(msg)
        rclpy.spin_once(node, timeout_sec=0.1)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == '__main__':
    main()
