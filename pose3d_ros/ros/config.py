"""Node parameters: one table declares them (description, range, dynamic or not) and fills NodeConfig.

`config/pose3d.yaml` lists the same names with their defaults; `test/test_packaging.py` keeps the two
in step. Validation lives here so start-up and dynamic updates reject bad values with one reason.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

QOS_RELIABILITY = ("best_effort", "reliable")
ENGINES = ("auto", "tensorrt", "onnxruntime", "torch")
PRECISIONS = ("fp32", "fp16", "int8")


@dataclass
class NodeConfig:
    """Every node parameter; units in the comments. Defaults run the embedded models offline."""

    # --- models and engine (read-only after start) ---
    detector_model: str = "ssdlite_person"  # registry name or path of a person detector (.onnx)
    detector_type: str = "auto"  # auto | ssd | yolo: output format of detector_model
    crop_model: str = "blazepose_full"  # registry name, or path of an exported MeTRAbs .onnx
    skeleton_type: str = ""  # output joint set (e.g. coco_19); empty = the crop model's own (MeTRAbs: smpl_24)
    num_aug: int = 1  # MeTRAbs test-time augmentations: 1 = none, 5 = official (rotations, scales, flips, gammas)
    engine: str = "auto"  # auto | tensorrt | onnxruntime | torch
    device: str = "cpu"  # cpu | cuda | cuda:N
    precision: str = "fp32"  # fp32 | fp16 | int8 (fp16/int8 need a GPU)
    num_threads: int = 0  # CPU inference threads, 0 = library default
    engine_cache_dir: str = ""  # TensorRT engine cache; empty = ~/.cache/pose3d_ros/engines
    # --- inputs ---
    qos_reliability: str = "best_effort"  # best_effort (sensor data) | reliable
    qos_depth: int = 1  # subscription queue depth, messages
    use_compressed: bool = False  # subscribe to image/compressed (JPEG/PNG) instead of image
    allow_default_fov: bool = False  # without a valid CameraInfo, assume default_fov_deg instead of waiting
    default_fov_deg: float = 55.0  # field of view over the longer image side when no intrinsics, degrees
    max_image_side: int = 1920  # larger images are downscaled to this longer side first, pixels
    # --- detection and pose (dynamic) ---
    detection_threshold: float = 0.5  # minimum detector score, [0, 1]
    max_people: int = 10  # at most this many people per frame (highest scores kept)
    min_box_size: float = 24.0  # ignore boxes whose shorter side is below this, pixels
    # --- tracking (dynamic) ---
    track_min_hits: int = 3  # detections needed before a track is published
    track_max_coast_s: float = 0.8  # a track is predicted this long without detections, then LOST, seconds
    smoothing_min_cutoff_hz: float = 1.5  # One-Euro cutoff at rest (lower: smoother, more lag), Hz
    smoothing_beta: float = 1.0  # One-Euro speed coefficient (higher: less lag when moving), Hz/(m/s)
    # --- outputs ---
    publish_markers: bool = True  # publish ~/markers (MarkerArray)
    publish_debug_image: bool = False  # publish ~/debug_image with 2D skeletons drawn
    publish_tf: bool = False  # broadcast TF frame body_<id> per track (when tf2_ros is importable)
    target_frame: str = ""  # if set (and tf2_ros importable), output in this frame instead of the camera's
    marker_lifetime_frames: float = 3.0  # marker lifetime in frame periods (bounded to 0.1..2 s)
    process_when_unsubscribed: bool = False  # run inference even when nobody subscribes to any output
    diagnostics_period_s: float = 1.0  # period of /diagnostics, seconds


# name -> (description, constraint, dynamic). Constraint: (min, max) for numbers or a tuple of choices.
PARAMETERS: dict[str, tuple[str, tuple | None, bool]] = {
    "detector_model": ("Person detector: registry name (ssdlite_person) or path to an .onnx file", None, False),
    "detector_type": ("Detector output format: auto, ssd or yolo (YOLOv8/11 ONNX export)", ("auto", "ssd", "yolo"), False),
    "crop_model": ("3D crop model: registry name (blazepose_full/lite/heavy) or exported MeTRAbs .onnx", None, False),
    "skeleton_type": ("Output joint set (coco_19, h36m_17, smpl_24, blazepose_33); empty = model's own", None, False),
    "num_aug": ("MeTRAbs test-time augmentations (1 = none, 5 = official: rotations, scales, flips, gammas)", (1, 16), False),
    "engine": ("Inference engine", ENGINES, False),
    "device": ("Inference device: cpu, cuda or cuda:N", None, False),
    "precision": ("Inference precision (fp16/int8 need a GPU)", PRECISIONS, False),
    "num_threads": ("CPU inference threads (0 = library default)", (0, 64), False),
    "engine_cache_dir": ("TensorRT engine cache folder (empty = ~/.cache/pose3d_ros/engines)", None, False),
    "qos_reliability": ("Image/CameraInfo subscription reliability", QOS_RELIABILITY, False),
    "qos_depth": ("Image subscription queue depth", (1, 100), False),
    "use_compressed": ("Subscribe to image/compressed instead of image", None, False),
    "allow_default_fov": ("Without valid CameraInfo use default_fov_deg instead of waiting", None, True),
    "default_fov_deg": ("Assumed field of view over the longer image side, degrees", (10.0, 170.0), True),
    "max_image_side": ("Downscale larger images to this longer side, pixels (0 = never)", (0, 16384), True),
    "detection_threshold": ("Minimum detector score", (0.0, 1.0), True),
    "max_people": ("Maximum people per frame", (1, 100), True),
    "min_box_size": ("Ignore boxes with a shorter side below this, pixels", (0.0, 10000.0), True),
    "track_min_hits": ("Detections before a track is published", (1, 100), True),
    "track_max_coast_s": ("Seconds a track is predicted without detections before LOST", (0.0, 10.0), True),
    "smoothing_min_cutoff_hz": ("One-Euro cutoff at rest, Hz (lower = smoother)", (0.01, 100.0), True),
    "smoothing_beta": ("One-Euro speed coefficient, Hz per m/s (higher = less lag)", (0.0, 100.0), True),
    "publish_markers": ("Publish ~/markers", None, True),
    "publish_debug_image": ("Publish ~/debug_image", None, True),
    "publish_tf": ("Broadcast TF body_<id> frames (needs tf2_ros)", None, False),
    "target_frame": ("Output frame (needs tf2_ros); empty = camera frame of the image", None, False),
    "marker_lifetime_frames": ("Marker lifetime in frame periods", (0.5, 100.0), True),
    "process_when_unsubscribed": ("Run inference even when nobody subscribes", None, True),
    "diagnostics_period_s": ("Period of /diagnostics, seconds", (0.1, 60.0), False),
}


def validate(name: str, value) -> str | None:
    """Return why `value` is not acceptable for parameter `name`, or None when it is."""
    if name not in PARAMETERS:
        return f"unknown parameter '{name}'"
    default = getattr(NodeConfig(), name)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            return f"{name} must be a bool, got {value!r}"
    elif isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(default, int) and not isinstance(value, int)):
            return f"{name} must be {'an integer' if isinstance(default, int) else 'a number'}, got {value!r}"
    elif not isinstance(value, str):
        return f"{name} must be a string, got {value!r}"
    constraint = PARAMETERS[name][1]
    if isinstance(constraint, tuple) and constraint and isinstance(constraint[0], str):
        if value not in constraint:
            return f"{name} must be one of {', '.join(constraint)}, got '{value}'"
    elif constraint is not None:
        low, high = constraint
        if not low <= value <= high:
            return f"{name} must be in [{low}, {high}], got {value}"
    if name == "device" and not (value == "cpu" or value == "cuda" or (value.startswith("cuda:") and value[5:].isdigit())):
        return f"device must be cpu, cuda or cuda:N, got '{value}'"
    return None


def config_from_values(values: dict) -> NodeConfig:
    """NodeConfig from {name: value}; raises ValueError listing every invalid value."""
    problems = [msg for name, value in values.items() if (msg := validate(name, value))]
    if problems:
        raise ValueError("invalid parameters: " + "; ".join(problems))
    known = {f.name for f in fields(NodeConfig)}
    return NodeConfig(**{k: v for k, v in values.items() if k in known})
