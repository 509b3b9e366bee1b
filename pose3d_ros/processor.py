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
The frame processor: one RGB frame, its camera and stamp in; tracked people out. ROS-free.

Every entry point (the node, pose3d-run, pose3d-eval, the benchmarks) runs frames through one
`FrameProcessor` built from one `Pose3DConfig` (config.py), so a benchmark number is the node's
number.

A frame's path in `FrameProcessor.process`:
1. downscale to `max_image_side` (intrinsics scaled with the image);
2. boxes to crop: on detector frames (every `detector_interval` frames, and whenever a track is
   uncertain or
   there is nobody to follow) the detections, plus the pose ROI of each followed person the
   detector missed; in between, each followed person's pose ROI (the bounding box of their last 2D
   skeleton, moved by its image velocity);
3. `Pose3DPipeline.process` (pipeline.py): perspective crops -> crop model -> absolute
   reconstruction;
4. `DepthFusion.process` (tracking/depth_fusion.py): the floor (TF / parameters / estimate from
   feet) and each
   person's metric scale from the network, the height prior and floor contact, applied about the
   camera centre;
5. `Tracker.update` (tracking/tracker.py): ids, smoothing, velocities, per-person scale and root
   covariance;
   people are published from their first detection (state NEW until confirmed).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
import threading
import time

import cv2
import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.core.boxes import box_centre, box_iou, clip_box
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.skeletons import get_skeleton, SkeletonDef
from pose3d_ros.pipeline import build_default_pipeline, FramePoses, PipelineConfig, Pose3DPipeline
from pose3d_ros.tracking import Track, Tracker, TrackerConfig, TrackState
from pose3d_ros.tracking.depth_fusion import DepthFusion, GroundSettings

# pose ROI = 2D skeleton bounding box grown by this fraction of its height on every side
ROI_MARGIN = 0.1
ROI_MERGE_IOU = 0.6  # two followed ROIs overlapping this much hold one person
ROI_DUPLICATE_IOU = 0.3  # a detection overlapping a followed track's ROI this much is that person


class ModelLoadError(RuntimeError):
    """
    A model file is missing or cannot be loaded on the requested engine.

    The message names it
    """


def detector_options(config: Pose3DConfig) -> dict:
    """Keyword arguments / attributes of the detector adapters that the configuration sets."""
    return {
        'score_threshold': config.detection_threshold,
        'max_detections': config.max_people,
        'min_box_size': config.min_box_size,
    }


def set_detector_zoom(detector, zoom_crops: int) -> None:
    """Set the zoom pass of a MoveNet detector (also inside a TiledDetector); others have none."""
    target = getattr(detector, 'detector', detector)
    if hasattr(target, 'zoom_crops'):
        target.zoom_crops = int(zoom_crops)


def pipeline_config(config: Pose3DConfig) -> PipelineConfig:
    """Return the Pose3DPipeline settings of `config`."""
    return PipelineConfig(output_skeleton=config.skeleton_type, num_aug=config.num_aug)


def tracker_config(config: Pose3DConfig, root_joint: int | None) -> TrackerConfig:
    """
    Return the Tracker settings of `config` for a skeleton whose root joint has index.

    Root_joint
    """
    return TrackerConfig(
        min_hits=config.track_min_hits,
        max_coast_s=config.track_max_coast_s,
        reid_s=config.track_reid_s,
        one_euro_min_cutoff_hz=config.smoothing_min_cutoff_hz,
        one_euro_beta=config.smoothing_beta,
        root_joint=root_joint,
    )


def ground_settings(config: Pose3DConfig) -> GroundSettings:
    """Return the floor settings of `config`."""
    return GroundSettings(
        config.ground_plane_source,
        config.camera_height_m,
        config.camera_pitch_deg,
        config.camera_roll_deg,
    )


def build_pipeline(config: Pose3DConfig) -> Pose3DPipeline:
    """
    Pose3DPipeline for the models, engine and thresholds of `config`.

    ModelLoadError names the model
    """
    engine_options = {'threads': config.num_threads}
    if config.engine_cache_dir:
        engine_options['cache_dir'] = config.engine_cache_dir
    try:
        return build_default_pipeline(
            config.detector_model,
            config.crop_model,
            pipeline_config(config),
            engine=config.engine,
            device=config.device,
            precision=config.precision,
            detector_options=detector_options(config),
            **engine_options,
        )
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise ModelLoadError(
            f'cannot load models (detector_model={config.detector_model!r}, '
            f'crop_model={config.crop_model!r}, engine={config.engine!r}, '
            f'device={config.device!r}): {err}'
        ) from err


def output_skeleton(pipeline: Pose3DPipeline) -> SkeletonDef:
    """
    Return the published joint set.

    ModelLoadError (not a KeyError traceback) when it has no definition
    """
    try:
        return get_skeleton(pipeline.skeleton)
    except KeyError as err:
        raise ModelLoadError(
            f"the crop model's joint set {pipeline.skeleton!r} has no published definition; "
            f'set skeleton_type to one the model provides ({err})'
        ) from err


def describe_engines(pipeline: Pose3DPipeline) -> str:
    """'<detector engine> / <crop-model engine>' for logs and diagnostics."""
    names = []
    for part in (pipeline.detector, pipeline.crop_model):
        engine = getattr(part, 'engine', None)
        names.append(getattr(engine, 'name', type(part).__name__))
    return ' / '.join(names)


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """
    Shrink so that the longer side is <= max_side..

    Returns (image, factor applied to pixel coords)
    """
    longest = max(image.shape[:2])
    if max_side <= 0 or longest <= max_side:
        return image, 1.0
    factor = max_side / longest
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), factor


def pose_roi(keypoints2d: np.ndarray, margin: float = ROI_MARGIN) -> np.ndarray | None:
    """
    (4,) x, y, width, height px.

    The bounding box of the finite 2D joints (J, 2), grown by margin x its height on every side;
    None with fewer than 3 finite joints.
    """
    ok = np.isfinite(keypoints2d).all(axis=1)
    if ok.sum() < 3:
        return None
    lo, hi = keypoints2d[ok].min(axis=0), keypoints2d[ok].max(axis=0)  # (2,) px
    pad = margin * (hi[1] - lo[1])
    return np.array([lo[0] - pad, lo[1] - pad, hi[0] - lo[0] + 2 * pad, hi[1] - lo[1] + 2 * pad])


@dataclass
class _Followed:
    """A published track the processor follows with its pose ROI."""

    roi: np.ndarray  # (4,) px, source image: ROI from the track's last 2D skeleton
    velocity: np.ndarray  # (2,) px/s: image velocity of the ROI centre
    stamp_s: float  # stamp of the frame the ROI comes from
    confidence: float  # track confidence in [0, 1]


@dataclass
class FrameResult:
    """
    What one frame gives.

    The per-frame poses and the published tracks (all in source-image pixels)
    """

    poses: FramePoses  # this frame's people (pipeline output), before tracking
    tracks: list[Track]  # published tracks: NEW, TRACKED, PREDICTED and (once) LOST
    camera: Camera  # camera the frame was processed with (after downscaling)
    factor: float  # downscale factor applied to the image (1.0 = none)
    detector_ran: bool  # whether the person detector ran on this frame
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage and 'total'


class FrameProcessor:
    """
    Detector + crop model + reconstruction + tracker with pose-ROI following (module docstring).

    Args:
    ----
        config: the one configuration; models are built from it unless `pipeline` is given.
        pipeline: an existing Pose3DPipeline (tests, benchmarks with stand-in models).

    """

    def __init__(self, config: Pose3DConfig | None = None, pipeline: Pose3DPipeline | None = None):
        self.config = dataclasses.replace(config) if config is not None else Pose3DConfig()
        self.pipeline = pipeline if pipeline is not None else build_pipeline(self.config)
        set_detector_zoom(
            getattr(self.pipeline, 'detector', None), self.config.detector_zoom_crops
        )
        self.skeleton: SkeletonDef = output_skeleton(self.pipeline)
        self.tracker = Tracker(tracker_config(self.config, self.skeleton.root))
        # floor + metric scale (set_tf_plane for TF)
        self.depth = DepthFusion(ground_settings(self.config))
        self._lock = threading.Lock()  # guards config changes against a frame in progress
        self._followed: dict[str, _Followed] = {}
        self._frames_since_detection = 0
        self._uncertain = True  # run the detector on the next frame
        self._image_size: tuple[int, int] | None = None  # (width, height) px of the last frame

    @property
    def engines(self) -> str:
        """Engine description for logs and diagnostics."""
        return describe_engines(self.pipeline)

    def apply(self, config: Pose3DConfig) -> None:
        """Use the dynamic settings of `config` from the next frame on (models stay as built)."""
        with self._lock:
            self.config = dataclasses.replace(config)
            for name, value in detector_options(self.config).items():
                setattr(self.pipeline.detector, name, value)
            set_detector_zoom(
                getattr(self.pipeline, 'detector', None), self.config.detector_zoom_crops
            )
            self.tracker.config = tracker_config(self.config, self.skeleton.root)
            if ground_settings(self.config) != self.depth.ground:
                tf_plane, self.depth = self.depth.tf_plane, DepthFusion(
                    ground_settings(self.config)
                )
                self.depth.set_tf_plane(tf_plane)

    def reset(self) -> list[Track]:
        """End every track (returns their LOST snapshots); the next frame runs the detector."""
        with self._lock:
            self._followed.clear()
            self._uncertain = True
            self.depth.reset()
            return self.tracker.reset()

    def close(self) -> None:
        """Free the models and engines; the processor cannot be used afterwards."""
        with self._lock:
            for part in (self.pipeline.detector, self.pipeline.crop_model):
                close = getattr(getattr(part, 'engine', None), 'close', None)
                if close is not None:
                    close()
            self.pipeline = None

    def process(
        self,
        image_rgb: np.ndarray,
        camera: Camera,
        stamp_s: float,
        boxes: np.ndarray | None = None,
    ) -> FrameResult:
        """
        Process one frame: detect or follow people, lift them to 3D, track them.

        Args:
        ----
            image_rgb: (H, W, 3) uint8 RGB matching `camera`.
            camera: the camera of the image.
            stamp_s: the image's stamp, seconds.
            boxes: (N, 4) x, y, width, height px of the source image to crop instead of detecting
                (e.g. ground truth in pose3d-eval --oracle-boxes); pose ROIs are not used then.

        Returns
        -------
            The FrameResult: published poses and tracks, timings.

        """
        with self._lock:
            t0 = time.perf_counter()
            cfg = self.config
            if (camera.width, camera.height) != self._image_size:
                # another image size restarts the tracks (Tracker.update): forget their ROIs
                self._image_size = (camera.width, camera.height)
                self._followed.clear()
                self._uncertain = True
            rgb, factor = downscale(image_rgb, cfg.max_image_side)
            cam = camera if factor == 1.0 else camera.scaled(factor)
            detector_ran, t_detect = False, 0.0
            if boxes is not None:
                poses = self.pipeline.process(
                    rgb, cam, np.asarray(boxes, np.float64).reshape(-1, 4) * factor
                )
            else:
                crop_boxes, scores, from_tracks, detector_ran = self._boxes(rgb, stamp_s, factor)
                t_detect = time.perf_counter() - t0
                poses = self.pipeline.process(
                    rgb, cam, crop_boxes, scores, from_tracks=from_tracks
                )
            if factor != 1.0:  # 2D back to source-image pixels
                poses.boxes = (poses.boxes / factor).astype(np.float32)
                poses.joints2d = (poses.joints2d / factor).astype(np.float32)
            t1 = time.perf_counter()
            joints, depth = self.depth.process(
                stamp_s,
                poses.joints,
                poses.joints2d * factor,
                poses.joint_conf,
                self.skeleton.name,
                cam.K[0, 0],
                (cam.width, cam.height),
            )
            poses.joints = joints.astype(np.float32)  # (N, J, 3) metres at the fused metric scale
            tracks = self.tracker.update(
                stamp_s,
                poses.joints,
                poses.boxes,
                poses.scores,
                poses.joint_conf,
                poses.joints2d,
                image_size=(camera.width, camera.height),
                depth=depth,
            )
            self.depth.observe(stamp_s, depth, poses.boxes, tracks)
            self._follow(tracks, stamp_s)
            timings = dict(poses.timings)
            timings['detect'] = timings.get('detect', 0.0) + t_detect
            timings['track'] = time.perf_counter() - t1
            timings['total'] = time.perf_counter() - t0
            return FrameResult(poses, tracks, cam, factor, detector_ran, timings)

    # ------------------------------------------------------------------ pose-ROI following
    def _boxes(
        self, rgb: np.ndarray, stamp_s: float, factor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """
        Boxes (N, 4) px of the processed image and scores (N,) to crop this frame.

        Which of them are track ROIs (N,) bool, and whether the detector ran
        """
        cfg = self.config
        rois, roi_scores = [], []
        if cfg.pose_roi_tracking:
            for f in self._followed.values():
                shift = f.velocity * max(stamp_s - f.stamp_s, 0.0)  # (2,) px
                rois.append(np.concatenate([f.roi[:2] + shift, f.roi[2:]]) * factor)
                roi_scores.append(f.confidence)
        rois_a = np.asarray(rois, np.float64).reshape(-1, 4)  # (M, 4) px
        roi_s = np.asarray(roi_scores, np.float32)  # (M,)
        if len(rois_a) > 1:  # two tracks' ROIs on one person: crop it once, for the surer track
            order = np.argsort(-roi_s, kind='stable')
            iou = box_iou(rois_a[order], rois_a[order])
            kept: list[int] = []  # positions in `order`
            for k in range(len(order)):
                if not kept or (iou[k, kept] < ROI_MERGE_IOU).all():
                    kept.append(k)
            rois_a, roi_s = rois_a[order[kept]], roi_s[order[kept]]
        run = (
            not cfg.pose_roi_tracking
            or self._uncertain
            or len(rois_a) == 0
            or self._frames_since_detection + 1 >= cfg.detector_interval
        )
        if not run:
            self._frames_since_detection += 1
            return rois_a, roi_s, np.ones(len(rois_a), bool), False
        self._frames_since_detection = 0
        det = self.pipeline.detector.detect(rgb)
        det_b = np.asarray(det.boxes, np.float64).reshape(-1, 4)
        det_s = np.asarray(det.scores, np.float32).reshape(-1)
        # a detected person is cropped at the detection; ROIs fill the misses
        if len(rois_a) and len(det_b):
            missed = box_iou(rois_a, det_b).max(axis=1) < ROI_DUPLICATE_IOU  # (M,)
            rois_a, roi_s = rois_a[missed], roi_s[missed]
        from_tracks = np.r_[np.zeros(len(det_b), bool), np.ones(len(rois_a), bool)]
        return np.concatenate([det_b, rois_a]), np.concatenate([det_s, roi_s]), from_tracks, True

    def _follow(self, tracks: list[Track], stamp_s: float) -> None:
        """
        Remember the pose ROI of every track measured in this frame.

        Decide whether to detect next
        """
        followed: dict[str, _Followed] = {}
        self._uncertain = False
        for t in tracks:
            if t.state == TrackState.LOST:
                continue
            if t.state == TrackState.PREDICTED or t.keypoints2d is None:
                self._uncertain = True  # someone was not measured: the detector looks next frame
                continue
            roi = pose_roi(t.keypoints2d)
            if roi is not None and self._image_size is not None:
                roi = clip_box(roi, self._image_size)
            if roi is None:
                self._uncertain = True
                continue
            velocity = np.zeros(2)
            prev = self._followed.get(t.id)
            if prev is not None and stamp_s > prev.stamp_s:
                velocity = (box_centre(roi) - box_centre(prev.roi)) / (stamp_s - prev.stamp_s)
                velocity = 0.5 * velocity + 0.5 * prev.velocity  # (2,) px/s, smoothed
            followed[t.id] = _Followed(roi, velocity, stamp_s, float(t.confidence))
        self._followed = followed


__all__ = [
    'FrameProcessor',
    'FrameResult',
    'ModelLoadError',
    'build_pipeline',
    'describe_engines',
    'detector_options',
    'set_detector_zoom',
    'downscale',
    'ground_settings',
    'pipeline_config',
    'pose_roi',
    'tracker_config',
]
