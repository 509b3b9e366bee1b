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
Publish a video or image folder as sensor_msgs/Image + CameraInfo at the clip's rate.

Used by the demo and the tests.

    python -m pose3d_ros.tools.player data/vtest_200.mp4 --rate 10 --stamps-out stamps.json

Stamps are the publishing time (ROS clock), frame id `camera_optical_frame`; CameraInfo assumes the
default field of view unless --fx etc. are given. DDS stays on loopback (pose3d_ros.rosenv).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from pose3d_ros import rosenv
from pose3d_ros.core.camera import Camera


def camera_info_fields(width: int, height: int, fov_deg: float) -> dict:
    """`CameraInfo` fields of the default-FoV pinhole camera (core.camera.Camera.from_fov)."""
    K = Camera.from_fov(width, height, fov_deg).K  # (3, 3)
    return {
        'width': width,
        'height': height,
        'distortion_model': 'plumb_bob',
        'd': [0.0] * 5,
        'k': K.ravel().tolist(),
        'r': np.eye(3).ravel().tolist(),
        'p': np.hstack([K, np.zeros((3, 1))]).ravel().tolist(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('source', help='video file, image folder or image')
    parser.add_argument(
        '--rate', type=float, default=0.0, help="frames per second (default: the video's)"
    )
    parser.add_argument(
        '--fov', type=float, default=55.0, help='field of view over the longer side, degrees'
    )
    parser.add_argument('--frame-id', default='camera_optical_frame')
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument('--encoding', choices=('rgb8', 'bgr8'), default='bgr8')
    parser.add_argument(
        '--wait-subscribers',
        type=float,
        default=30.0,
        help='seconds to wait for an image subscriber before starting (0: do not wait)',
    )
    parser.add_argument(
        '--stamps-out', default=None, help='write [[index, stamp_s], ...] as JSON here'
    )
    args, ros_args = parser.parse_known_args(argv)
    rosenv.configure_loopback_dds()

    from pose3d_ros.media import read_frames, video_fps
    from pose3d_ros.ros.image_conversion import rgb_to_image_fields
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image

    rclpy.init(
        args=['--ros-args', *ros_args] if ros_args and ros_args[0] != '--ros-args' else ros_args
    )
    node = rclpy.create_node('pose3d_player')
    qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    pub_image = node.create_publisher(Image, 'image', qos)
    pub_info = node.create_publisher(CameraInfo, 'camera_info', qos)
    rate = args.rate or video_fps(args.source)
    deadline = time.monotonic() + args.wait_subscribers
    while pub_image.get_subscription_count() == 0 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    stamps = []
    start = time.monotonic()
    try:
        for index, _, rgb in read_frames(args.source, args.max_frames):
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stamp = node.get_clock().now().to_msg()
            info = CameraInfo(**camera_info_fields(rgb.shape[1], rgb.shape[0], args.fov))
            info.header.stamp, info.header.frame_id = stamp, args.frame_id
            image = Image(**rgb_to_image_fields(rgb, args.encoding))
            image.header = info.header
            pub_info.publish(info)
            pub_image.publish(image)
            stamps.append([index, stamp.sec + stamp.nanosec * 1e-9])
    except KeyboardInterrupt:
        pass
    finally:
        if args.stamps_out:
            with open(args.stamps_out, 'w') as f:
                json.dump(stamps, f)
        node.destroy_node()
        rclpy.try_shutdown()
    print(f'player: published {len(stamps)} frames at {rate:.1f} Hz', file=sys.stderr)
    return 0 if stamps else 1


if __name__ == '__main__':
    sys.exit(main())
