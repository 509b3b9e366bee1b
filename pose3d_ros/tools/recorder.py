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
Record topics to a rosbag2 MCAP (opens in Foxglove and `ros2 bag`), without rosbag2_py.

    python -m pose3d_ros.tools.recorder OUT_DIR --duration 60

Subscribes with raw (serialized) callbacks, so messages are stored exactly as received; types are
written with their .msg definitions (rosbags). Stops on SIGINT/SIGTERM or after --duration seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import signal
import sys
import time

from pose3d_ros import rosenv

DEFAULT_TOPICS = {
    '/pose3d_node/skeletons': 'pose3d_msgs/msg/Skeleton3DArray',
    '/pose3d_node/markers': 'visualization_msgs/msg/MarkerArray',
    '/pose3d_node/skeleton_info': 'pose3d_msgs/msg/SkeletonInfo',
    '/diagnostics': 'diagnostic_msgs/msg/DiagnosticArray',
    '/camera_info': 'sensor_msgs/msg/CameraInfo',
}


def _msg_class(type_name: str):
    package, _, name = type_name.split('/')
    module = __import__(f'{package}.msg', fromlist=[name])
    return getattr(module, name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('output', type=Path, help='bag folder to create (must not exist)')
    parser.add_argument(
        '--duration', type=float, default=0.0, help='stop after this many seconds (0: on signal)'
    )
    args = parser.parse_args(argv)
    rosenv.configure_loopback_dds()

    from pose3d_ros.bags import pose3d_typestore
    import rclpy
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from rosbags.rosbag2 import StoragePlugin, Writer

    store = pose3d_typestore()
    rclpy.init()
    node = rclpy.create_node('pose3d_recorder')
    writer = Writer(args.output, version=9, storage_plugin=StoragePlugin.MCAP)
    writer.open()
    counts = {}

    def make_callback(connection, topic):
        def callback(data: bytes) -> None:
            writer.write(connection, time.time_ns(), data)
            counts[topic] = counts.get(topic, 0) + 1

        return callback

    for topic, type_name in DEFAULT_TOPICS.items():
        connection = writer.add_connection(topic, type_name, typestore=store)
        latched = topic.endswith('skeleton_info')
        qos = QoSProfile(
            depth=50,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE,
        )
        node.create_subscription(
            _msg_class(type_name), topic, make_callback(connection, topic), qos, raw=True
        )

    print('recorder: ready', file=sys.stderr, flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    end = time.monotonic() + args.duration if args.duration > 0 else float('inf')
    while not stop and time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    writer.close()
    node.destroy_node()
    rclpy.try_shutdown()
    print('recorder: ' + ', '.join(f'{t} {n}' for t, n in sorted(counts.items())), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
