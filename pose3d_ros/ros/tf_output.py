"""Optional TF integration: body_<id> frames (REP-155) and output in a target_frame, when tf2_ros imports.

The maths (`transform_points`) is plain numpy; only the lookup and the broadcast need tf2_ros, which a
pip-installed ROS 2 lacks. Without tf2_ros, requests for TF output are refused at start with a clear log
line and the node keeps publishing in the camera frame.
"""
from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from pose3d_ros.tracking import TrackState


def quaternion_matrix(x: float, y: float, z: float, w: float) -> np.ndarray:
    """(3, 3) rotation of a unit quaternion (x, y, z, w)."""
    q = np.array([x, y, z, w], np.float64)
    q /= np.linalg.norm(q)
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def transform_points(points: np.ndarray, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """(..., 3) metres in the source frame -> target frame: R @ p + t. NaN stays NaN."""
    return points @ rotation.T + translation


def transform_track(track, rotation: np.ndarray, translation: np.ndarray):
    """A copy of a tracking.Track with joints, root, velocity and root covariance in the target frame."""
    cov = getattr(track, "root_covariance", None)  # (3, 3) m^2
    return replace(track, joints=transform_points(track.joints, rotation, translation),
                   root=transform_points(track.root, rotation, translation),
                   root_velocity=track.root_velocity @ rotation.T,
                   root_covariance=None if cov is None else rotation @ cov @ rotation.T)


class TfOutput:
    """Broadcasts body_<id> and re-expresses tracks in target_frame, if asked and tf2_ros is importable."""

    def __init__(self, node, publish_tf: bool, target_frame: str):
        self._node = node
        self.target_frame = target_frame
        self._broadcaster = self._buffer = None
        if not (publish_tf or target_frame):
            return
        try:
            import tf2_ros
        except ImportError:
            node.get_logger().error("publish_tf/target_frame need tf2_ros, which is not importable here: "
                                    "publishing in the camera frame without TF")
            self.target_frame = ""
            return
        if publish_tf:
            self._broadcaster = tf2_ros.TransformBroadcaster(node)
        if target_frame:
            self._buffer = tf2_ros.Buffer()
            self._listener = tf2_ros.TransformListener(self._buffer, node)

    @property
    def active(self) -> bool:
        """True when TF frames are broadcast (so inference is useful even without subscribers)."""
        return self._broadcaster is not None

    def to_target(self, header, tracks):
        """(header, tracks) in target_frame when set and the transform is known, else unchanged."""
        if self._buffer is None:
            return header, tracks
        from rclpy.time import Time

        try:
            tf = self._buffer.lookup_transform(self.target_frame, header.frame_id, Time.from_msg(header.stamp))
        except Exception as err:  # noqa: BLE001 - tf2 raises several lookup exception types
            self._node.get_logger().warning(f"no transform {header.frame_id} -> {self.target_frame}: {err}; "
                                            "publishing in the camera frame", throttle_duration_sec=5.0)
            return header, tracks
        r = tf.transform.rotation
        rotation = quaternion_matrix(r.x, r.y, r.z, r.w)
        t = tf.transform.translation
        translation = np.array([t.x, t.y, t.z])
        out = copy.copy(header)
        out.frame_id = self.target_frame
        return out, [transform_track(track, rotation, translation) for track in tracks]

    def broadcast(self, header, tracks) -> None:
        if self._broadcaster is None:
            return
        from geometry_msgs.msg import TransformStamped

        transforms = []
        for track in tracks:
            if track.state == TrackState.LOST or not np.isfinite(track.root).all():
                continue
            tf = TransformStamped()
            tf.header = header
            tf.child_frame_id = f"body_{track.id}"
            tf.transform.translation.x, tf.transform.translation.y, tf.transform.translation.z = map(float, track.root)
            tf.transform.rotation.w = 1.0  # orientation of the camera frame (no body orientation estimate)
            transforms.append(tf)
        if transforms:
            self._broadcaster.sendTransform(transforms)
