"""Child process for test_msgs: publishes the sample Skeleton3DArray and the latched SkeletonInfo."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pose3d_ros import rosenv  # noqa: E402

rosenv.require_loopback_dds()  # the parent test passes the loopback environment

import rclpy  # noqa: E402
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy  # noqa: E402

from msg_samples import sample_skeleton_array, sample_skeleton_info  # noqa: E402
from pose3d_msgs.msg import Skeleton3DArray, SkeletonInfo  # noqa: E402


def main() -> None:
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    rclpy.init()
    node = rclpy.create_node("sample_publisher")
    pub = node.create_publisher(Skeleton3DArray, "skeletons", 10)
    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    info_pub = node.create_publisher(SkeletonInfo, "skeleton_info", latched)
    info_pub.publish(sample_skeleton_info())
    msg = sample_skeleton_array()
    end = time.monotonic() + duration
    while time.monotonic() < end and rclpy.ok():
        pub.publish(msg)
        rclpy.spin_once(node, timeout_sec=0.1)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
