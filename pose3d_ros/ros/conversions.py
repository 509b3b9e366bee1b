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
Conversions between the ROS-free core and ROS messages.

Pure functions over numpy, no node needed
"""

from __future__ import annotations

from collections.abc import Sequence

from geometry_msgs.msg import Point, Vector3
import numpy as np
from pose3d_msgs.msg import Skeleton3D, Skeleton3DArray, SkeletonInfo
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.skeletons import SkeletonDef


def camera_from_info(msg, *, allow_default_fov: bool = False, fov_deg: float = 55.0) -> Camera:
    """sensor_msgs/CameraInfo -> Camera. Raises core.camera.InvalidCameraError with the reason."""
    return Camera.from_camera_info(
        list(msg.k),
        list(msg.d),
        msg.distortion_model,
        int(msg.width),
        int(msg.height),
        allow_default_fov=allow_default_fov,
        fov_deg=fov_deg,
    )


def _points(xyz: np.ndarray) -> list[Point]:
    """(J, 3) -> [Point]; NaN stays NaN."""
    return [Point(x=x, y=y, z=z) for x, y, z in np.asarray(xyz, np.float64).tolist()]


def _points_2d(xy: np.ndarray | None, n_joints: int) -> list[Point]:
    if xy is None:
        return [Point(x=np.nan, y=np.nan, z=0.0) for _ in range(n_joints)]
    return [Point(x=x, y=y, z=0.0) for x, y in np.asarray(xy, np.float64).tolist()]


def track_to_msg(track) -> Skeleton3D:
    """One tracking.Track (metres, camera frame) -> Skeleton3D."""
    joints = np.asarray(track.joints)  # (J, 3) metres
    msg = Skeleton3D()
    msg.id = str(track.id)
    msg.tracking_state = int(track.state)
    msg.age = int(track.age)
    msg.confidence = float(track.confidence)
    msg.joints = _points(joints)
    msg.joint_confidence = np.asarray(track.joint_confidence, np.float32).tolist()
    msg.root_position = Point(**dict(zip('xyz', np.asarray(track.root, np.float64).tolist())))
    cov = getattr(track, 'root_covariance', None)  # (3, 3) m^2 or None
    msg.root_position_covariance = (
        np.zeros(9).tolist() if cov is None else (np.asarray(cov, np.float64).reshape(9).tolist())
    )
    msg.root_velocity = Vector3(
        **dict(zip('xyz', np.asarray(track.root_velocity, np.float64).tolist()))
    )
    msg.box_x, msg.box_y, msg.box_width, msg.box_height = np.asarray(
        track.box, np.float64
    ).tolist()
    msg.keypoints_2d = _points_2d(track.keypoints2d, len(joints))
    return msg


def tracks_to_msg(tracks: Sequence, header, skeleton_type: str) -> Skeleton3DArray:
    """Tracks of one frame -> Skeleton3DArray with the source image's header (stamp and frame)."""
    msg = Skeleton3DArray()
    msg.header = header
    msg.skeleton_type = skeleton_type
    msg.skeletons = [track_to_msg(t) for t in tracks]
    return msg


def skeleton_info_msg(skeleton: SkeletonDef) -> SkeletonInfo:
    """Return the latched description of a joint set."""
    msg = SkeletonInfo()
    msg.skeleton_type = skeleton.name
    msg.joint_names = list(skeleton.joint_names)
    msg.edges = [int(i) for edge in skeleton.edges for i in edge]
    return msg


def skeletons_from_msg(msg: Skeleton3DArray) -> list[dict]:
    """
    Convert a Skeleton3DArray to plain dicts.

    Returns [{id, state, joints (J, 3) m, joint_confidence (J,), box (4,), keypoints_2d (J, 2)}].
    """
    people = []
    for s in msg.skeletons:
        people.append(
            {
                'id': s.id,
                'state': int(s.tracking_state),
                'age': int(s.age),
                'confidence': float(s.confidence),
                'joints': np.array([[p.x, p.y, p.z] for p in s.joints], np.float64).reshape(-1, 3),
                'joint_confidence': np.asarray(s.joint_confidence, np.float64),
                'root': np.array([s.root_position.x, s.root_position.y, s.root_position.z]),
                'root_velocity': np.array(
                    [s.root_velocity.x, s.root_velocity.y, s.root_velocity.z]
                ),
                'root_covariance': (
                    np.asarray(s.root_position_covariance, np.float64).reshape(3, 3)
                ),
                'box': np.array([s.box_x, s.box_y, s.box_width, s.box_height], np.float64),
                'keypoints_2d': (
                    np.array([[p.x, p.y] for p in s.keypoints_2d], np.float64).reshape(-1, 2)
                ),
            }
        )
    return people
