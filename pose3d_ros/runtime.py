"""The pipeline as the node and the offline tools configure it: from NodeConfig values to a ready
Pose3DPipeline, with one clear error when a model cannot be loaded. ROS-free.
"""
from __future__ import annotations

import numpy as np

from pose3d_ros.core.skeletons import SkeletonDef, get_skeleton
from pose3d_ros.pipeline import FramePoses, PipelineConfig, Pose3DPipeline, build_default_pipeline
from pose3d_ros.ros.config import NodeConfig


class ModelLoadError(RuntimeError):
    """A model file is missing or cannot be loaded on the requested engine; the message names it."""


def detector_options(config: NodeConfig) -> dict:
    return {"score_threshold": config.detection_threshold, "max_detections": config.max_people,
            "min_box_size": config.min_box_size}


def build_pipeline_from_config(config: NodeConfig) -> Pose3DPipeline:
    """Pose3DPipeline for the models, engine and thresholds of `config`."""
    engine_options = {"threads": config.num_threads}
    if config.engine_cache_dir:
        engine_options["cache_dir"] = config.engine_cache_dir
    try:
        return build_default_pipeline(
            config.detector_model, config.crop_model,
            PipelineConfig(output_skeleton=config.skeleton_type, num_aug=config.num_aug),
            engine=config.engine, device=config.device, precision=config.precision,
            detector_options=detector_options(config), **engine_options)
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise ModelLoadError(f"cannot load models (detector_model={config.detector_model!r}, "
                             f"crop_model={config.crop_model!r}, engine={config.engine!r}, "
                             f"device={config.device!r}): {err}") from err


def apply_thresholds(pipeline: Pose3DPipeline, config: NodeConfig) -> None:
    """Apply the dynamic detection parameters of `config` to a running pipeline."""
    for name, value in detector_options(config).items():
        setattr(pipeline.detector, name, value)


def output_skeleton(pipeline: Pose3DPipeline) -> SkeletonDef:
    """The published joint set; ModelLoadError (not a KeyError traceback) when the node cannot publish it."""
    try:
        return get_skeleton(pipeline.skeleton)
    except KeyError as err:
        raise ModelLoadError(f"the crop model's joint set {pipeline.skeleton!r} has no published definition; "
                             f"set skeleton_type to one the model provides ({err})") from err


def describe_engines(pipeline: Pose3DPipeline) -> str:
    """'<detector engine> / <crop-model engine>' for logs and diagnostics."""
    names = []
    for part in (pipeline.detector, pipeline.crop_model):
        engine = getattr(part, "engine", None)
        names.append(getattr(engine, "name", type(part).__name__))
    return " / ".join(names)


def rescale_2d(poses: FramePoses, factor: float) -> FramePoses:
    """FramePoses with boxes and 2D joints multiplied by `factor` (e.g. back to source-image pixels)."""
    if factor == 1.0:
        return poses
    poses.boxes = (poses.boxes * factor).astype(np.float32)
    poses.joints2d = (poses.joints2d * factor).astype(np.float32)
    return poses
