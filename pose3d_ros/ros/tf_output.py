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
TF output.

REP-155 `body_<id>` frames on /tf, `/humans/bodies/tracked`, and output in a `target_frame`.

The geometry (`body_frame`, `transform_points`, `transform_track`) is plain numpy. `body_<id>`:
origin at the hip midpoint; x forward out of the chest (normal of the torso plane, towards where
the person faces); z up along the body (hips -> shoulders, orthogonal to x); y = z x x, to the
person's left; parent = the image's frame; for confirmed tracks (TRACKED or PREDICTED; also on
/humans/bodies/tracked). Transforms go out as tf2_msgs/TFMessage on /tf: through tf2_ros's
TransformBroadcaster when tf2_ros imports, else through a publisher of the same type, QoS and topic
(the venv's minimal tf2_msgs). `target_frame` needs a tf2_ros Buffer; a lookup that fails within
`tf_timeout_s` skips the frame with a diagnostic, never publishing camera-frame points under the
target's name.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
from pose3d_ros.core.skeletons import SkeletonDef
from pose3d_ros.tracking import TrackState
from scipy.spatial.transform import Rotation

TF_QOS_DEPTH = 100  # tf2_ros's TransformBroadcaster default
# tracks with body frames (NEW ones may be false alarms)
CONFIRMED = (TrackState.TRACKED, TrackState.PREDICTED)


def quaternion_matrix(x: float, y: float, z: float, w: float) -> np.ndarray:
    """(3, 3) rotation of a quaternion (x, y, z, w), normalised first."""
    return Rotation.from_quat([x, y, z, w]).as_matrix()


def transform_points(
    points: np.ndarray, rotation: np.ndarray, translation: np.ndarray
) -> np.ndarray:
    """(..., 3) metres in the source frame -> target frame: R @ p + t. NaN stays NaN."""
    return points @ rotation.T + translation


def transform_track(track, rotation: np.ndarray, translation: np.ndarray):
    """
    Return a copy of a tracking.Track with joints, root.

    Velocity and root covariance in the target frame
    """
    cov = getattr(track, 'root_covariance', None)  # (3, 3) m^2
    turned = {} if cov is None else {'root_covariance': rotation @ cov @ rotation.T}
    return replace(
        track,
        joints=transform_points(track.joints, rotation, translation),
        root=transform_points(track.root, rotation, translation),
        root_velocity=track.root_velocity @ rotation.T,
        **turned,
    )


def body_frame(joints: np.ndarray, skeleton: SkeletonDef) -> tuple[np.ndarray, np.ndarray] | None:
    """
    REP-155 body frame of one person, or None when hips or shoulders are unknown or degenerate.

    joints: (J, 3) metres in the camera frame, joint set `skeleton` (needs lhip, rhip, lsho, rsho).
    Returns (origin (3,) metres, rotation (3, 3) whose columns are the body's x, y, z in the camera
    frame).
    """
    keys = skeleton.keys
    lhip, rhip, lsho, rsho = (
        np.asarray(joints[keys.index(k)], np.float64) for k in ('lhip', 'rhip', 'lsho', 'rsho')
    )
    if not np.isfinite(np.stack([lhip, rhip, lsho, rsho])).all():
        return None
    origin = 0.5 * (lhip + rhip)  # (3,) hip midpoint
    up = 0.5 * (lsho + rsho) - origin  # hips -> shoulders
    left = (lsho - rsho) + (lhip - rhip)  # towards the person's own left
    forward = np.cross(left, up)  # normal of the torso plane, out of the chest
    if np.linalg.norm(forward) < 1e-6 or np.linalg.norm(up) < 1e-6:
        return None
    x = forward / np.linalg.norm(forward)
    z = up - (up @ x) * x  # the body's up, orthogonal to x
    z /= np.linalg.norm(z)
    return origin, np.stack([x, np.cross(z, x), z], axis=1)  # columns x, y = z x x, z


class TfOutput:
    """
    Body frames on /tf, tracked ids on /humans/bodies/tracked, re-expression in target_frame.

    Built on configure (`node` creates the publishers); `report(key, level, message)` records
    problems. Raises ValueError when asked for something this installation cannot do (the reason
    says what).
    """

    def __init__(self, node, *, publish_tf: bool, target_frame: str, timeout_s: float, report):
        self._node, self._report = node, report
        self.target_frame, self.timeout_s = target_frame, timeout_s
        self._broadcaster = self._tf_pub = self._buffer = self._ids_pub = None
        self._publishers = []
        try:
            import tf2_ros
        except ImportError:
            tf2_ros = None
        if target_frame:
            if tf2_ros is None:
                raise ValueError(
                    f"target_frame '{target_frame}' needs tf2_ros for the transform lookup, which "
                    'is not importable here; unset target_frame to publish in the camera frame'
                )
            self._buffer = tf2_ros.Buffer()
            self._listener = tf2_ros.TransformListener(self._buffer, node)
        if publish_tf:
            if tf2_ros is not None:
                self._broadcaster = tf2_ros.TransformBroadcaster(node)
            else:
                try:
                    from tf2_msgs.msg import TFMessage
                except ImportError as err:
                    raise ValueError(
                        'publish_tf needs tf2_ros or tf2_msgs, neither imports here'
                    ) from err
                self._tf_pub = node.create_lifecycle_publisher(TFMessage, '/tf', TF_QOS_DEPTH)
                self._publishers.append(self._tf_pub)
        try:
            from hri_msgs.msg import IdsList
        except ImportError:
            IdsList = None
        if IdsList is not None:
            self._IdsList = IdsList
            self._ids_pub = node.create_lifecycle_publisher(IdsList, '/humans/bodies/tracked', 1)
            self._publishers.append(self._ids_pub)

    @property
    def active(self) -> bool:
        """
        Return True when TF frames are broadcast.

        Inference is then useful even without subscribers.
        """
        return self._broadcaster is not None or self._tf_pub is not None

    def destroy(self) -> None:
        """Remove the publishers this object created (on cleanup)."""
        for pub in self._publishers:
            self._node.destroy_lifecycle_publisher(pub)
        self._publishers.clear()

    def to_target(self, header, tracks):
        """
        (header, tracks) in target_frame; unchanged without one.

        None when the lookup fails (skip)
        """
        if self._buffer is None:
            return header, tracks
        from rclpy.duration import Duration
        from rclpy.time import Time

        try:
            tf = self._buffer.lookup_transform(
                self.target_frame,
                header.frame_id,
                Time.from_msg(header.stamp),
                timeout=Duration(seconds=self.timeout_s),
            )
        except Exception as err:  # noqa: BLE001 - tf2 raises several lookup exception types
            self._report(
                'target_frame',
                2,
                f'no transform {header.frame_id} -> {self.target_frame} within '
                f'{self.timeout_s:.2f} s ({type(err).__name__}: {err}): frame not '
                'published',
            )
            return None
        r, t = tf.transform.rotation, tf.transform.translation
        rotation = quaternion_matrix(r.x, r.y, r.z, r.w)
        out = copy.copy(header)
        out.frame_id = self.target_frame
        return out, [
            transform_track(track, rotation, np.array([t.x, t.y, t.z])) for track in tracks
        ]

    def broadcast(self, header, tracks, skeleton: SkeletonDef) -> None:
        """
        body_<id> for every confirmed track with known hips and shoulders.

        Tracks in header.frame_id
        """
        confirmed = [t for t in tracks if t.state in CONFIRMED]
        if self._ids_pub is not None:
            self._ids_pub.publish(self._IdsList(header=header, ids=[str(t.id) for t in confirmed]))
        if not self.active:
            return
        transforms = [
            tf for t in confirmed if (tf := self._transform(header, t, skeleton)) is not None
        ]
        if not transforms:
            return
        if self._broadcaster is not None:
            self._broadcaster.sendTransform(transforms)
        else:
            from tf2_msgs.msg import TFMessage

            self._tf_pub.publish(TFMessage(transforms=transforms))

    @staticmethod
    def _transform(header, track, skeleton: SkeletonDef):
        frame = body_frame(np.asarray(track.joints), skeleton)
        if frame is None:
            return None
        from geometry_msgs.msg import TransformStamped

        origin, rotation = frame
        tf = TransformStamped()
        tf.header = header
        tf.child_frame_id = f'body_{track.id}'
        tf.transform.translation.x, tf.transform.translation.y, tf.transform.translation.z = map(
            float, origin
        )
        q = Rotation.from_matrix(rotation).as_quat()  # (x, y, z, w)
        (
            tf.transform.rotation.x,
            tf.transform.rotation.y,
            tf.transform.rotation.z,
            tf.transform.rotation.w,
        ) = map(float, q)
        return tf
