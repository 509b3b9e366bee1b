"""pose3d_ros.tracking: multi-person 3D tracker (ids, states, smoothing, velocities); ROS-free.

Usage::

    tracker = Tracker(TrackerConfig(min_hits=3))
    tracks = tracker.update(stamp_s, joints, boxes, scores)  # joints (N, J, 3) metres, camera frame
"""
from pose3d_ros.tracking.filters import ConstantVelocityKalman, OneEuroFilter
from pose3d_ros.tracking.tracker import Track, Tracker, TrackerConfig, TrackState

__all__ = ["ConstantVelocityKalman", "OneEuroFilter", "Track", "TrackState", "Tracker", "TrackerConfig"]
