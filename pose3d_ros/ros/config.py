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
Node parameters.

One table declares them (description, range, dynamic or not) and fills Pose3DConfig.

`config/pose3d.yaml` lists the same names with their defaults; `test/test_packaging.py` keeps the
two in step. Validation lives here so start-up and dynamic updates reject bad values with one
reason.
"""

from __future__ import annotations

from dataclasses import fields

from pose3d_ros.config import Pose3DConfig

QOS_RELIABILITY = ('best_effort', 'reliable')
ENGINES = ('auto', 'tensorrt', 'onnxruntime', 'torch')
GROUND_PLANE_SOURCES = ('auto', 'tf', 'params', 'estimate', 'off')  # = tracking.depth_fusion's
PRECISIONS = ('fp32', 'fp16', 'int8')


NodeConfig = Pose3DConfig  # the node's parameters are exactly Pose3DConfig's fields


# name -> (description, constraint, dynamic). Constraint: (min, max) for numbers or a tuple of
# choices.
PARAMETERS: dict[str, tuple[str, tuple | None, bool]] = {
    'detector_model': (
        (
            'Person detector: registry name (movenet_multipose, movenet_multipose_tiled,'
            ' ssdlite_person, nanodet, blazepose_detector) or path to a YOLO .onnx file'
        ),
        None,
        False,
    ),
    'detector_type': (
        'Detector output format: auto, ssd or yolo (YOLOv8/11 ONNX export)',
        ('auto', 'ssd', 'yolo'),
        False,
    ),
    'crop_model': (
        '3D crop model: registry name (blazepose_full/lite/heavy) or exported MeTRAbs .onnx',
        None,
        False,
    ),
    'skeleton_type': (
        "Output joint set (coco_19, h36m_17, smpl_24, blazepose_33); empty = model's own",
        None,
        False,
    ),
    'num_aug': (
        (
            'MeTRAbs test-time augmentations (1 = none, 5 = official: rotations, scales, flips,'
            ' gammas)'
        ),
        (1, 16),
        False,
    ),
    'engine': ('Inference engine', ENGINES, False),
    'device': ('Inference device: cpu, cuda or cuda:N', None, False),
    'precision': ('Inference precision (fp16/int8 need a GPU)', PRECISIONS, False),
    'num_threads': ('CPU inference threads (0 = library default)', (0, 64), False),
    'engine_cache_dir': (
        'TensorRT engine cache folder (empty = ~/.cache/pose3d_ros/engines)',
        None,
        False,
    ),
    'qos_reliability': ('Image/CameraInfo subscription reliability', QOS_RELIABILITY, False),
    'qos_depth': ('Image subscription queue depth', (1, 100), False),
    'use_compressed': ('Subscribe to image/compressed instead of image', None, False),
    'allow_default_fov': (
        'Without valid CameraInfo use default_fov_deg instead of waiting',
        None,
        True,
    ),
    'default_fov_deg': (
        'Assumed field of view over the longer image side, degrees',
        (10.0, 170.0),
        True,
    ),
    'max_image_side': (
        'Downscale larger images to this longer side, pixels (0 = never)',
        (0, 16384),
        True,
    ),
    'detection_threshold': ('Minimum detector score', (0.0, 1.0), True),
    'max_people': ('Maximum people per frame', (1, 100), True),
    'min_box_size': ('Ignore boxes with a shorter side below this, pixels', (0.0, 10000.0), True),
    'pose_roi_tracking': (
        'Crop followed people at their own pose ROI (last 2D skeleton moved by its motion)',
        None,
        True,
    ),
    'detector_zoom_crops': (
        (
            'MoveNet detector: magnified re-runs per frame around small, low-scored or merged '
            'people (0 = off: faster, fewer far people found)'
        ),
        (0, 6),
        True,
    ),
    'detector_interval': (
        (
            'With pose_roi_tracking, run the detector every N frames (and whenever a track is '
            'uncertain); 1 = every frame'
        ),
        (1, 1000),
        True,
    ),
    'track_min_hits': (
        (
            'Detections before a track is confirmed; published from its first detection with '
            'tracking_state NEW until then (filter on state != NEW for confirmed people)'
        ),
        (1, 100),
        True,
    ),
    'track_max_coast_s': (
        'Seconds a track is predicted without detections before LOST',
        (0.0, 10.0),
        True,
    ),
    'track_reid_s': (
        (
            'Seconds a track that coasted out stays hidden (unpublished), in which the same person'
            ' re-detected gets their id back; LOST after them (0 = LOST right after the coast)'
        ),
        (0.0, 30.0),
        True,
    ),
    'smoothing_min_cutoff_hz': (
        'One-Euro cutoff at rest, Hz (lower = smoother)',
        (0.01, 100.0),
        True,
    ),
    'smoothing_beta': (
        'One-Euro speed coefficient, Hz per m/s (higher = less lag)',
        (0.0, 100.0),
        True,
    ),
    'ground_plane_source': (
        (
            'Where the floor comes from: auto (tf, then params, then estimate), tf, params, '
            "estimate (people's feet over time) or off (no metric depth correction; quote it, "
            "'off', or YAML reads a boolean)"
        ),
        GROUND_PLANE_SOURCES,
        True,
    ),
    'ground_frame': (
        'With tf: frame whose z = 0 plane is the floor, z up (e.g. base_footprint)',
        None,
        True,
    ),
    'camera_height_m': (
        'Camera optical centre above the floor, metres (0 = unknown)',
        (0.0, 100.0),
        True,
    ),
    'camera_pitch_deg': (
        'Optical axis below the horizontal, degrees (positive = looking down)',
        (-90.0, 90.0),
        True,
    ),
    'camera_roll_deg': (
        (
            'Rotation about the optical axis, degrees (positive = the world appears turned '
            'clockwise in the image)'
        ),
        (-90.0, 90.0),
        True,
    ),
    'publish_markers': ('Publish ~/markers', None, True),
    'publish_debug_image': ('Publish ~/debug_image', None, True),
    'publish_tf': ('Broadcast REP-155 TF frames body_<id> on /tf', None, False),
    'target_frame': (
        'Output frame (needs tf2_ros); empty = camera frame of the image',
        None,
        False,
    ),
    'marker_lifetime_frames': ('Marker lifetime in frame periods', (0.5, 100.0), True),
    'process_when_unsubscribed': ('Run inference even when nobody subscribes', None, True),
    'diagnostics_period_s': ('Period of /diagnostics, seconds', (0.1, 60.0), False),
    'autostart': (
        'Configure and activate by itself at start (false: wait for a lifecycle manager)',
        None,
        False,
    ),
    'rectified_input': (
        'Images are rectified: use CameraInfo P (and R) instead of K and D',
        None,
        False,
    ),
    'tf_timeout_s': (
        'Timeout of the target_frame transform lookup per frame, seconds',
        (0.0, 10.0),
        False,
    ),
    'backward_jump_reset_s': (
        'Older stamps by more than this restart tracking (bag loop); less: dropped, s',
        (0.0, 3600.0),
        True,
    ),
}


def validate(name: str, value) -> str | None:
    """Return why `value` is not acceptable for parameter `name`, or None when it is."""
    if name not in PARAMETERS:
        return f"unknown parameter '{name}'"
    default = getattr(NodeConfig(), name)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            return f'{name} must be a bool, got {value!r}'
    elif isinstance(default, (int, float)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(default, int) and not isinstance(value, int))
        ):
            return (
                f"{name} must be {'an integer' if isinstance(default, int) else 'a number'}, got"
                f' {value!r}'
            )
    elif not isinstance(value, str):
        return f'{name} must be a string, got {value!r}'
    constraint = PARAMETERS[name][1]
    if isinstance(constraint, tuple) and constraint and isinstance(constraint[0], str):
        if value not in constraint:
            return f"{name} must be one of {', '.join(constraint)}, got '{value}'"
    elif constraint is not None:
        low, high = constraint
        if not low <= value <= high:
            return f'{name} must be in [{low}, {high}], got {value}'
    if name == 'device' and not (
        value == 'cpu' or value == 'cuda' or (value.startswith('cuda:') and value[5:].isdigit())
    ):
        return f"device must be cpu, cuda or cuda:N, got '{value}'"
    return None


def config_from_values(values: dict) -> NodeConfig:
    """`NodeConfig` from {name: value}; raises ValueError listing every invalid value."""
    problems = [msg for name, value in values.items() if (msg := validate(name, value))]
    if problems:
        raise ValueError('invalid parameters: ' + '; '.join(problems))
    known = {f.name for f in fields(NodeConfig)}
    return NodeConfig(**{k: v for k, v in values.items() if k in known})
