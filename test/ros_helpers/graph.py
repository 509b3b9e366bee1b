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
Helpers of the node graph tests.

Start pose3d_node in its own process, publish like a camera driver, collect the node's outputs,
call its lifecycle and parameter services.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys
import time

from pose3d_ros import rosenv

HERE = Path(__file__).resolve().parent


def start_node(*params: str, remaps=(), log=None, script=None) -> subprocess.Popen:
    """
    pose3d_node (or the helper `script`) with `-p name:=value` parameters and `-r from:=to`.

    Remaps
    """
    args = (
        [sys.executable, str(script)] if script else [sys.executable, '-m', 'pose3d_ros.ros.node']
    )
    args.append('--ros-args')
    for p in params:
        args += ['-p', p]
    for r in remaps:
        args += ['-r', r]
    process = subprocess.Popen(
        args,
        env=rosenv.loopback_env(),
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.log = log
    return process


def stop(process, timeout_s: float = 15.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_tail(process, chars: int = 3000) -> str:
    process.log.flush()
    return Path(process.log.name).read_text()[-chars:]


class Harness:
    """Publishes Image + CameraInfo like a camera driver and collects the node's outputs."""

    def __init__(self, context, image_topic: str = 'image', compressed: bool = False):
        from diagnostic_msgs.msg import DiagnosticArray
        from pose3d_msgs.msg import Skeleton3DArray, SkeletonInfo
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, CompressedImage, Image
        from visualization_msgs.msg import MarkerArray

        self.node = rclpy.create_node('graph_test', context=context)
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.pub_image = self.node.create_publisher(
            CompressedImage if compressed else Image, image_topic, qos
        )
        self.pub_info = self.node.create_publisher(CameraInfo, 'camera_info', qos)
        self.skeletons, self.markers, self.info, self.diagnostics, self.tf = [], [], [], [], []
        self.node.create_subscription(
            Skeleton3DArray, '/pose3d_node/skeletons', self.skeletons.append, 50
        )
        self.node.create_subscription(MarkerArray, '/pose3d_node/markers', self.markers.append, 50)
        latched = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        self.node.create_subscription(
            SkeletonInfo, '/pose3d_node/skeleton_info', self.info.append, latched
        )
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self.diagnostics.append, 50)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.Image, self.CameraInfo, self.CompressedImage = Image, CameraInfo, CompressedImage

    def subscribe_tf(self) -> None:
        from tf2_msgs.msg import TFMessage

        self.node.create_subscription(TFMessage, '/tf', self.tf.append, 100)

    def spin_until(self, predicate, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.executor.spin_once(timeout_sec=0.05)
        return predicate()

    def wait_for_node(self, process, timeout_s: float = 120.0) -> None:
        """
        Until the node subscribes to image and camera_info (it is configured).

        Fails if it exits
        """
        ok = self.spin_until(
            lambda: (
                self.pub_image.get_subscription_count() > 0
                and self.pub_info.get_subscription_count() > 0
            )
            or process.poll() is not None,
            timeout_s,
        )
        assert ok and process.poll() is None, log_tail(process) if process.log else 'node exited'

    def camera_info(
        self,
        width,
        height,
        stamp,
        fov=55.0,
        k=None,
        d=None,
        model='plumb_bob',
        frame='test_camera_optical',
    ):
        from pose3d_ros.tools.player import camera_info_fields

        info = self.CameraInfo(**camera_info_fields(width, height, fov))
        if k is not None:
            info.k = k
        if d is not None:
            info.d = d
        info.distortion_model = model
        info.header.stamp.sec, info.header.stamp.nanosec = stamp
        info.header.frame_id = frame
        return info

    def image(self, rgb, stamp, frame='test_camera_optical', **override):
        from pose3d_ros.ros.image_conversion import rgb_to_image_fields

        msg = self.Image(**rgb_to_image_fields(rgb, 'rgb8'))
        for key, value in override.items():
            setattr(msg, key, value)
        msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
        msg.header.frame_id = frame
        return msg

    def prime(self, info, times: int = 3) -> None:
        """
        Publish CameraInfo a few times.

        As a driver does before the first image is worth anything
        """
        for _ in range(times):
            self.pub_info.publish(info)
            self.spin_until(lambda: False, 0.2)

    def send(self, image, info=None):
        if info is not None:
            self.pub_info.publish(info)
            self.spin_until(lambda: False, 0.05)
        self.pub_image.publish(image)

    def output_for(self, stamp, timeout_s=20.0):
        def find():
            return next(
                (
                    m
                    for m in self.skeletons
                    if (m.header.stamp.sec, m.header.stamp.nanosec) == stamp
                ),
                None,
            )

        self.spin_until(lambda: find() is not None, timeout_s)
        return find()

    def diagnostic_messages(self):
        return [(s.level, s.message) for d in self.diagnostics for s in d.status]

    def diagnosed(self, needle: str, level: bytes | None = None, timeout_s: float = 4.0) -> bool:
        """
        Return True once a /diagnostics status message contains `needle`.

        At `level` when given.
        """
        return self.spin_until(
            lambda: any(
                needle in m and (level is None or lv == level)
                for lv, m in self.diagnostic_messages()
            ),
            timeout_s,
        )

    def call(self, srv_type, name: str, request, timeout_s: float = 20.0):
        """Call a service of the node and return its response (None on timeout)."""
        client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=10.0):
                return None
            future = client.call_async(request)
            self.spin_until(future.done, timeout_s)
            return future.result() if future.done() else None
        finally:
            self.node.destroy_client(client)

    def lifecycle_state(self) -> str:
        from lifecycle_msgs.srv import GetState

        response = self.call(GetState, '/pose3d_node/get_state', GetState.Request())
        return response.current_state.label if response else ''

    def change_state(self, label: str) -> bool:
        from lifecycle_msgs.msg import Transition
        from lifecycle_msgs.srv import ChangeState

        response = self.call(
            ChangeState,
            '/pose3d_node/change_state',
            ChangeState.Request(transition=Transition(label=label)),
        )
        return bool(response and response.success)
