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
The one typed configuration of pose3d_ros (ROS-free): `Pose3DConfig`.

Every entry point (the node, pose3d-run, pose3d-eval, the benchmarks) builds a `FrameProcessor`
(processor.py) from one `Pose3DConfig`; the node maps its parameters onto these fields one to one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Pose3DConfig:
    """
    Every setting of the frame processor and the node; units in the comments.

    The node declares one parameter per field (same name; `ros/config.py` adds descriptions and
    ranges); pose3d-run, pose3d-eval and the benchmarks fill the same object. Defaults run the
    embedded models offline.
    """

    # --- models and engine (read-only after start) ---
    detector_model: str = 'movenet_multipose'  # registry name or path of a person detector (.onnx)
    detector_type: str = 'auto'  # auto | ssd | yolo: output format of detector_model
    crop_model: str = 'blazepose_full'  # registry name, or path of an exported MeTRAbs .onnx
    # output joint set (e.g. coco_19); empty = the crop model's own (MeTRAbs: smpl_24)
    skeleton_type: str = ''
    # MeTRAbs test-time augmentations: 1 = none, 5 = official (rotations, scales, flips, gammas)
    num_aug: int = 1
    engine: str = 'auto'  # auto | tensorrt | onnxruntime | torch
    device: str = 'cpu'  # cpu | cuda | cuda:N
    precision: str = 'fp32'  # fp32 | fp16 | int8 (fp16/int8 need a GPU)
    num_threads: int = 0  # CPU inference threads, 0 = library default
    engine_cache_dir: str = ''  # TensorRT engine cache; empty = ~/.cache/pose3d_ros/engines
    # --- inputs ---
    qos_reliability: str = 'best_effort'  # best_effort (sensor data) | reliable
    qos_depth: int = 1  # subscription queue depth, messages
    use_compressed: bool = False  # subscribe to image/compressed (JPEG/PNG) instead of image
    # without a valid CameraInfo, assume default_fov_deg instead of waiting
    allow_default_fov: bool = False
    # field of view over the longer image side when no intrinsics, degrees
    default_fov_deg: float = 55.0
    max_image_side: int = 1920  # larger images are downscaled to this longer side first, pixels
    # --- detection and pose (dynamic) ---
    detection_threshold: float = 0.5  # minimum detector score, [0, 1]
    max_people: int = 10  # at most this many people per frame (highest scores kept)
    min_box_size: float = 24.0  # ignore boxes whose shorter side is below this, pixels
    # crop followed people at their own pose ROI (last 2D skeleton + motion)
    pose_roi_tracking: bool = True
    # with pose_roi_tracking: run the detector every N frames (and whenever a track is uncertain or
    # nobody is followed); 1 = every frame
    detector_interval: int = 1
    # MoveNet detector: magnified re-runs per frame around small, low-scored or merged people (0 =
    # off: about 1.3x faster frames, fewer far and side-by-side people found)
    detector_zoom_crops: int = 3
    # --- tracking (dynamic) ---
    # detections before a track is confirmed; it is published from its first
    track_min_hits: int = 3
    # detection with state NEW until then (a NEW track not re-detected ends at once)
    # a track is predicted this long without detections, then LOST, seconds
    track_max_coast_s: float = 0.8
    # then hidden this long, in which the same person re-detected gets their id back, seconds
    # (0 = LOST right after the coast)
    track_reid_s: float = 2.0
    smoothing_min_cutoff_hz: float = 1.5  # One-Euro cutoff at rest (lower: smoother, more lag), Hz
    # One-Euro speed coefficient (higher: less lag when moving), Hz/(m/s)
    smoothing_beta: float = 1.0
    # --- metric depth: the floor (dynamic) ---
    # auto (tf, then params, then estimate) | tf | params | estimate | off
    ground_plane_source: str = 'auto'
    ground_frame: str = 'base_footprint'  # with tf: frame whose z = 0 plane is the floor (z up)
    camera_height_m: float = 0.0  # optical centre above the floor, metres; 0 = unknown
    # optical axis below the horizontal, degrees, positive looking down
    camera_pitch_deg: float = 0.0
    # about the optical axis, degrees, positive = the world appears turned clockwise
    camera_roll_deg: float = 0.0
    # --- outputs ---
    publish_markers: bool = True  # publish ~/markers (MarkerArray)
    publish_debug_image: bool = False  # publish ~/debug_image with 2D skeletons drawn
    publish_tf: bool = False  # broadcast REP-155 TF frame body_<id> per track on /tf
    # if set (and tf2_ros importable), output in this frame instead of the camera's
    target_frame: str = ''
    marker_lifetime_frames: float = 3.0  # marker lifetime in frame periods (bounded to 0.1..2 s)
    # run inference even when nobody subscribes to any output
    process_when_unsubscribed: bool = False
    diagnostics_period_s: float = 1.0  # period of /diagnostics, seconds
    # --- node (lifecycle, camera model, time) ---
    # configure and activate right after start (no lifecycle manager needed)
    autostart: bool = True
    # images are rectified: camera from CameraInfo P (and R), no distortion
    rectified_input: bool = False
    # wait at most this long for the target_frame transform of a frame, seconds
    tf_timeout_s: float = 0.1
    # an older stamp by more than this restarts tracking; less: dropped, s
    backward_jump_reset_s: float = 1.0
