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
The floor from TF (ground_plane_source tf/auto).

The transform from the image's optical frame to `ground_frame` (z up, floor at z = 0) turned into a
core.ground.GroundPlane. Needs tf2_ros, which a pip-installed ROS 2 lacks; without it the node
falls back to the parameters or the estimate (auto) and says so once (tf).
"""

from __future__ import annotations

import numpy as np
from pose3d_ros.core.ground import GroundPlane, plane_from_transform
from pose3d_ros.ros.tf_output import quaternion_matrix


def plane_from_tf(transform) -> GroundPlane:
    """
    Convert a geometry_msgs/Transform to the floor in the optical frame.

    The transform goes from the image optical frame to the ground frame, as
    lookup_transform(ground_frame, image_frame) gives it.
    """
    r, t = transform.rotation, transform.translation
    T = np.eye(4)
    T[:3, :3] = quaternion_matrix(r.x, r.y, r.z, r.w)
    T[:3, 3] = (t.x, t.y, t.z)
    return plane_from_transform(T)


class GroundTf:
    """
    Look the floor up in TF for each image when tf2_ros is importable.

    DepthFusion uses it for the sources tf and auto; the source is dynamic.
    """

    def __init__(self, node, source: str):
        self._node = node
        self._buffer = None
        try:
            import tf2_ros
        except ImportError:
            if source == 'tf':
                node.get_logger().error(
                    'ground_plane_source tf needs tf2_ros, which is not importable here: '
                    'metric depth uses the height prior only'
                )
            return
        self._buffer = tf2_ros.Buffer()
        self._listener = tf2_ros.TransformListener(self._buffer, node)

    def lookup(self, header, ground_frame: str) -> GroundPlane | None:
        """
        Return the floor at the image's stamp.

        Or None (no tf2_ros, no ground_frame, or no transform yet)
        """
        if self._buffer is None or not ground_frame:
            return None
        from rclpy.time import Time

        try:
            tf = self._buffer.lookup_transform(
                ground_frame, header.frame_id, Time.from_msg(header.stamp)
            )
        except Exception as err:  # noqa: BLE001 - tf2 raises several lookup exception types
            self._node.get_logger().warning(
                f'no transform {header.frame_id} -> {ground_frame}: {err}',
                throttle_duration_sec=5.0,
            )
            return None
        return plane_from_tf(tf.transform)
