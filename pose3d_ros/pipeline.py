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
One frame -> absolute 3D people.

Detector -> perspective crops -> crop model -> absolute reconstruction -> plausibility filter + 3D
pose NMS -> output joint set. No ROS here.

Works with any `Detector` and `CropModel` (models/base.py): the shipped SSDLite + BlazePose models
or a user's YOLO detector and exported MeTRAbs model. Units: metres, pixels, seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
import time
from typing import Any

import numpy as np
from pose3d_ros.core import filtering, skeletons
from pose3d_ros.core.boxes import border_sides
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import crop_geometry, crop_points_to_image, CropGeometry, warp_crops
from pose3d_ros.core.reconstruct import reconstruct_in_camera
from pose3d_ros.models.base import CropModel, Detector


@dataclass
class PipelineConfig:
    """Every setting of Pose3DPipeline (filled once from node parameters or tool arguments)."""

    # joint set of the output ('' = the crop model's own, e.g. blazepose_33)
    output_skeleton: str = ''
    # output pelvis missing in the model's set := hip midpoint (else NaN)
    derive_pelvis: bool = False
    # crop side = box_scale x longer side of the detector box (BlazePose wants margin)
    box_scale: float = 1.5
    # second pass: re-crop every person at the model's own body ROI (BlazePose
    roi_refinement: bool = False
    # points 33/34, as MediaPipe's tracking stage); doubles the crop-model time, mixed effect on
    # the test photos
    # camera-frame world-up for the crops (image-up)
    up: tuple[float, float, float] = (0.0, -1.0, 0.0)
    antialias: bool = True  # sample strongly shrunk crops from an image pyramid level
    # drop crops whose model-level person score is lower (BlazePose pose flag)
    min_pose_score: float = 0.25
    # ... except a detection scored at least this whose box reaches an image border (within
    # border_box_px): the flag drops for a body cut by the border (the astronaut photo cut at the
    # left: 0.21, MoveNet 0.81; basketball players cut at the left: 0.02-0.21, MoveNet
    # 0.58-0.65), [0, 1]; > 1 = off
    cut_detection_min_score: float = 0.5
    border_box_px: float = 4.0  # pixels
    # a box cut by the bottom border whose crop the model flags below min_pose_score is cropped
    # again with the box extended downwards to this many times its height, and that pose kept
    # where the model flags it higher: a person near the camera seen from the chest or the
    # shoulders up, whose crop the model fills with a whole, small body (held-out v10: placed
    # 2.6-3.6x too far; extended x3: 0.6-1.25x). 1 = off
    cut_bottom_extend: float = 3.0
    # joints below this confidence are left out of the translation fit
    fit_min_confidence: float = 0.0
    # reconstruction: joints this close to the crop border count as truncated
    border_px: float = 20.0
    truncated_weight: float = 1e-4  # reconstruction: weight of truncated joints' rows
    l2_regularizer: float = 1e-4  # reconstruction: Tikhonov weight on the (normalised) translation
    # reconstruction: 1 = model 3D only, 0.5 = 50/50 with 2D back-projection
    mix_3d_inside_fov: float = 0.5
    plausibility_filter: bool = True  # drop poses with implausible bone lengths
    bone_min_ratio: float = 0.1  # plausibility: bone shorter than this x reference ...
    bone_max_ratio: float = 3.0  # ... or longer than this x reference ...
    bone_abs_tolerance_m: float = 0.3  # ... and off by more than this many metres -> implausible
    # 3D pose NMS: normalised pose distance below which two poses are one person
    nms_threshold: float = 0.4
    # MeTRAbs test-time augmentations (1 = none; 5 = the official default of its API)
    num_aug: int = 1


@dataclass
class FramePoses:
    """People found in one frame (N people, J joints of `skeleton`)."""

    boxes: np.ndarray  # (N, 4) float32 detector boxes x, y, width, height, image pixels
    scores: np.ndarray  # (N,) float32 detection scores in [0, 1]
    joints: np.ndarray  # (N, J, 3) float32 metres, camera optical frame; NaN = joint not provided
    joints2d: np.ndarray  # (N, J, 2) float32 image pixels (pixel centres at integer coordinates)
    # (N, J) float32 in [0, 1] (1 when the model has no confidence; NaN if unknown)
    joint_conf: np.ndarray
    skeleton: str  # joint set name (core.skeletons)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage and 'total'

    def __len__(self) -> int:
        return len(self.scores)


def _empty(n_joints: int, skeleton: str, timings: dict[str, float]) -> FramePoses:
    return FramePoses(
        np.zeros((0, 4), np.float32),
        np.zeros(0, np.float32),
        np.zeros((0, n_joints, 3), np.float32),
        np.zeros((0, n_joints, 2), np.float32),
        np.zeros((0, n_joints), np.float32),
        skeleton,
        timings,
    )


class Pose3DPipeline:
    """
    Detector + crop model + geometry for one RGB camera.

    Args:
    ----
        detector: `Detector` ((H, W, 3) uint8 RGB -> Detections). crop_model: `CropModel`
        (perspective crops -> 2D crop px, root-relative metric 3D, confidence). config:
        PipelineConfig (defaults if None).

    """

    def __init__(
        self, detector: Detector, crop_model: CropModel, config: PipelineConfig | None = None
    ):
        self.detector = detector
        self.crop_model = crop_model
        self.config = config or PipelineConfig()
        self.model_skeleton = crop_model.skeleton
        self.skeleton = self.config.output_skeleton or self.model_skeleton
        self._known = self.model_skeleton in skeletons.SKELETONS
        if self.skeleton != self.model_skeleton:
            if not self._known:
                raise ValueError(
                    f'crop model skeleton {self.model_skeleton!r} cannot be mapped to '
                    f"{self.skeleton!r}; use output_skeleton=''"
                )
            skeletons.get_skeleton(self.skeleton)  # KeyError for an unknown name

    @property
    def n_joints(self) -> int:
        """Return the number of joints of the output skeleton."""
        if self._known or self.skeleton != self.model_skeleton:
            return skeletons.get_skeleton(self.skeleton).n_joints
        return len(getattr(self.crop_model, 'joint_names', []))

    def crop_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """
        (N, 4) detector boxes -> (N, 4) square boxes of side box_scale x longer side.

        Same centre
        """
        c = boxes[:, :2] + boxes[:, 2:] / 2  # (N, 2) pixels
        side = self.config.box_scale * boxes[:, 2:].max(axis=1, keepdims=True)  # (N, 1)
        return np.concatenate([c - side / 2, np.repeat(side, 2, axis=1)], axis=1)

    def process(
        self,
        image_rgb: np.ndarray,
        camera: Camera,
        boxes: np.ndarray | None = None,
        scores: np.ndarray | None = None,
        from_tracks: np.ndarray | None = None,
    ) -> FramePoses:
        """
        image_rgb: (H, W, 3) uint8 RGB of size camera.width x camera.height.

        boxes: (N, 4) x, y, width, height pixels to crop instead of running the detector (track
        ROIs, ground-truth boxes), with scores (N,) in [0, 1] (default 1). from_tracks: (N,) bool,
        True where a box is a track's predicted body region rather than a detection (default:
        none is): such a crop that finds the same 2D skeleton as another crop is that person.
        """
        cfg = self.config
        if image_rgb.shape[:2] != (camera.height, camera.width):
            raise ValueError(
                f'image {image_rgb.shape[1]}x{image_rgb.shape[0]} does not match the camera '
                f'{camera.width}x{camera.height}'
            )
        timings: dict[str, float] = {}
        t_start = t = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal t
            now = time.perf_counter()
            timings[name] = now - t
            t = now

        if boxes is None:
            det = self.detector.detect(image_rgb)
            boxes, scores = det.boxes, det.scores
            lap('detect')
        elif scores is None:
            scores = np.ones(len(boxes), np.float32)
        if len(boxes) == 0:
            timings['total'] = time.perf_counter() - t_start
            return _empty(self.n_joints, self.skeleton, timings)

        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)  # (N, 4) pixels
        scores = np.asarray(scores, np.float32).reshape(-1)  # (N,)
        # (N, 4) the image borders (left, top, right, bottom) each box reaches: a cut body
        sides = border_sides(boxes, (camera.width, camera.height), cfg.border_box_px)
        pred = None
        # MeTRAbs: the model's own (official) crop settings
        if hasattr(self.crop_model, 'estimate'):
            joints, joints2d, model_timings = self.crop_model.estimate(
                image_rgb, camera, boxes, cfg.up
            )
            timings.update(model_timings)
            conf = np.ones(joints.shape[:2], np.float32)
            t = time.perf_counter()
        else:
            geom = crop_geometry(
                camera, self.crop_boxes(boxes), res=self.crop_model.input_size, up=cfg.up
            )
            # (N, S, S, 3) uint8
            crops = warp_crops(image_rgb, camera, geom, antialias=cfg.antialias)
            lap('crop')
            pred = self.crop_model.predict(crops)
            geom, pred = self._extend_cut_bottom(
                image_rgb, camera, geom, pred, boxes, sides[:, 3]
            )
            lap('model')
            roi = getattr(pred, 'body_roi', None)
            if roi is not None and cfg.roi_refinement:
                geom, pred = self._refine(image_rgb, camera, geom, pred, roi)
                lap('refine')

            n, j = pred.coords2d.shape[:2]
            conf = pred.confidence if pred.confidence is not None else np.ones((n, j), np.float32)
            valid = conf >= cfg.fit_min_confidence  # (N, J)
            # (N, J, 3) m, camera
            joints = reconstruct_in_camera(
                pred.coords2d,
                pred.coords3d,
                geom,
                valid=valid,
                border_px=cfg.border_px,
                truncated_weight=cfg.truncated_weight,
                l2_regularizer=cfg.l2_regularizer,
                mix_3d_inside_fov=cfg.mix_3d_inside_fov,
            )
            joints2d = crop_points_to_image(pred.coords2d, camera, geom)  # (N, J, 2) image pixels
            lap('reconstruct')

        at_border = sides.any(-1)  # (N,)
        keep = self._select(
            joints, joints2d, from_tracks, scores, getattr(pred, 'pose_score', None), at_border
        )
        lap('filter')
        out_joints, out_2d, out_conf = self._to_output(joints[keep], joints2d[keep], conf[keep])
        timings['total'] = time.perf_counter() - t_start
        return FramePoses(
            boxes[keep].astype(np.float32),
            scores[keep],
            out_joints.astype(np.float32),
            out_2d.astype(np.float32),
            out_conf.astype(np.float32),
            self.skeleton,
            timings,
        )

    def _refine(self, image_rgb, camera, geom, pred, roi):
        """
        Second crop of every person at the model's body ROI (N, 3) crop pixels.

        Centre x, y, side
        """
        c = roi[:, None, :2].astype(np.float64)  # (N, 1, 2) crop pixels
        h = roi[:, 2:3, None] / 2  # (N, 1, 1) half side, crop pixels
        pts = np.concatenate(
            [c, c - h * [1, 0], c + h * [1, 0], c - h * [0, 1], c + h * [0, 1]], axis=1
        )
        img = crop_points_to_image(pts, camera, geom)  # (N, 5, 2) image pixels
        side = 0.5 * (
            np.linalg.norm(img[:, 2] - img[:, 1], axis=-1)
            + np.linalg.norm(img[:, 4] - img[:, 3], axis=-1)
        )  # (N,)
        boxes = np.concatenate([img[:, 0] - side[:, None] / 2, np.stack([side, side], 1)], axis=1)
        redo = np.nonzero(np.isfinite(boxes).all(1) & (side > 1))[0]
        return self._recrop(image_rgb, camera, geom, pred, boxes[redo], redo)

    def _extend_cut_bottom(self, image_rgb, camera, geom, pred, boxes, bottom):
        """
        Crop again, extended downwards, the boxes cut by the bottom border the model flagged.

        boxes: (N, 4) px; bottom: (N,) bool, the box reaches the bottom border. Keeps the new pose
        where its pose score is higher (cut_bottom_extend).
        """
        cfg = self.config
        score = getattr(pred, 'pose_score', None)
        if score is None or not cfg.cut_bottom_extend > 1.0:
            return geom, pred
        redo = np.nonzero(bottom & (np.asarray(score) < cfg.min_pose_score))[0]  # (R,)
        longer = boxes[redo].copy()  # (R, 4) px
        longer[:, 3] *= cfg.cut_bottom_extend
        return self._recrop(
            image_rgb, camera, geom, pred, self.crop_boxes(longer), redo, only_better=True
        )

    def _recrop(self, image_rgb, camera, geom, pred, squares, redo, only_better=False):
        """
        Crop `squares` (R, 4) px for the people `redo` (R,) again and merge their predictions.

        only_better: keep a new prediction only where its pose score is higher than the old one.
        Returns the merged crop geometry and prediction.
        """
        if len(redo) == 0:
            return geom, pred
        g2 = crop_geometry(camera, squares, res=geom.res, up=self.config.up)
        p2 = self.crop_model.predict(
            warp_crops(image_rgb, camera, g2, antialias=self.config.antialias)
        )
        take = np.ones(len(redo), bool)
        if only_better:
            take = np.asarray(p2.pose_score) > np.asarray(pred.pose_score)[redo]
        redo = np.asarray(redo)[take]
        if len(redo) == 0:
            return geom, pred
        K, R = geom.K.copy(), geom.R.copy()
        K[redo], R[redo] = g2.K[take], g2.R[take]
        merged = {}
        for f in dataclasses.fields(pred):
            a, b = getattr(pred, f.name), getattr(p2, f.name)
            if a is not None and b is not None:
                a = a.copy()
                a[redo] = b[take]
            merged[f.name] = a
        return CropGeometry(K, R, geom.res), type(pred)(**merged)

    def _select(
        self,
        joints: np.ndarray,
        joints2d: np.ndarray,
        from_tracks: np.ndarray | None,
        scores: np.ndarray,
        pose_score: np.ndarray | None,
        at_border: np.ndarray | None = None,
    ) -> np.ndarray:
        """
        (N, J, 3) camera-frame poses -> (K,) int64 indices kept, best detection score first.

        Crops the crop model doubts (person flag under min_pose_score) are dropped, but not the
        detections (at_border (N,) bool: boxes reaching an image border) of people cut by the
        image border, whose flag is low because their body is.

        joints2d: (N, J, 2) their image pixels, from_tracks (N,) bool or None (see process). Two
        poses are one person when close in 3D, or when their 2D skeletons coincide and one of the
        crops came from a track: two crops of one far person give one 2D skeleton at depths
        metres apart (the network's depth follows the crop), and a track's ROI that finds another
        person's skeleton has lost its own person (hidden, or gone). Two detections whose crops
        found one skeleton stay two: the second is most often a person hidden behind the first
        (with ground-truth boxes of crossing people, a 2D test for them cost identity switches).
        """
        cfg = self.config
        ok = np.isfinite(joints).all(axis=(1, 2)) & (joints[:, :, 2] > 0).any(axis=1)  # (N,)
        if pose_score is not None:
            passed = np.asarray(pose_score) >= cfg.min_pose_score  # (N,)
            if at_border is not None:  # detections of people cut by the image border
                cut = np.asarray(at_border, bool) & (
                    np.asarray(scores) >= cfg.cut_detection_min_score
                )
                if from_tracks is not None:
                    cut &= ~np.asarray(from_tracks, bool)
                passed |= cut
            ok &= passed
        idx = np.nonzero(ok)[0]
        if not self._known or len(idx) == 0:
            return idx[np.argsort(-np.asarray(scores)[idx], kind='stable')]
        skel = skeletons.get_skeleton(self.model_skeleton)
        if cfg.plausibility_filter:
            good = filtering.plausible_bones(
                joints[idx],
                skel.edges,
                skeletons.reference_bone_lengths(skel),
                min_ratio=cfg.bone_min_ratio,
                max_ratio=cfg.bone_max_ratio,
                abs_tolerance_m=cfg.bone_abs_tolerance_m,
            )
            idx = idx[good]
        image = {}  # the 2D test, for the pairs with a track's crop in them
        if from_tracks is not None and np.any(from_tracks):
            tr = np.asarray(from_tracks, bool)[idx]
            image = {'poses2d': joints2d[idx], 'pairs2d': tr[:, None] | tr[None, :]}
        keep = filtering.pose_nms(joints[idx], np.asarray(scores)[idx], cfg.nms_threshold, **image)
        return idx[keep]

    def _to_output(self, joints: np.ndarray, joints2d: np.ndarray, conf: np.ndarray):
        """Model joint set -> output joint set (joints without a counterpart are NaN)."""
        if self.skeleton == self.model_skeleton:
            return joints, joints2d, conf
        src, dst, dp = self.model_skeleton, self.skeleton, self.config.derive_pelvis
        out_conf = skeletons.convert(conf[..., None].astype(np.float64), src, dst, dp)[..., 0]
        return (
            skeletons.convert(joints, src, dst, dp),
            skeletons.convert(joints2d, src, dst, dp),
            out_conf,
        )


def build_default_pipeline(
    detector: str = 'movenet_multipose',
    crop_model: str = 'blazepose_full',
    config: PipelineConfig | None = None,
    *,
    engine: str = 'auto',
    device: str = 'auto',
    precision: str = 'fp32',
    models_dir: str | None = None,
    detector_options: dict[str, Any] | None = None,
    crop_model_options: dict[str, Any] | None = None,
    **engine_options: Any,
) -> Pose3DPipeline:
    """
    Pose3DPipeline from registry names (models/registry.py) or model files.

    detector: a registry detector name (models/registry.py, e.g. 'movenet_multipose') or a path to
    a YOLOv8/YOLO11 ONNX export. crop_model: 'blazepose_lite' | 'blazepose_full' |
    'blazepose_heavy', or a path to a MeTRAbs model exported by pose3d-export (.onnx with its JSON
    sidecar). engine/device/precision/engine_options go to engines.create_engine. detector_options
    / crop_model_options: keyword arguments of the detector / crop-model class (e.g.
    score_threshold, max_detections, min_box_size; skeleton for MeTRAbs).
    """
    from pose3d_ros.engines import create_engine
    from pose3d_ros.engines.profiles import engine_role_options
    from pose3d_ros.models import registry
    from pose3d_ros.models.blazepose import BlazePoseCropModel
    from pose3d_ros.models.detector_factory import build_detector
    from pose3d_ros.models.detector_yolo import YoloDetector

    # role options: the same as pose3d-build-engines
    def make_engine(path: Path, role: str = 'detector'):
        opts = {**engine_role_options(role), **engine_options}
        return create_engine(str(path), engine=engine, device=device, precision=precision, **opts)

    det_opts = dict(detector_options or {})
    if detector in registry.MODELS:
        det = build_detector(detector, make_engine, models_dir, **det_opts)
    else:
        # MeTRAbs with a YOLO detector: the official detector settings
        if crop_model not in registry.MODELS:
            from pose3d_ros.models.metrabs import official_detector_options

            for key, value in official_detector_options().items():
                det_opts.setdefault(key, value)  # explicit options (node parameters) win
        det = YoloDetector(make_engine(Path(detector)), **det_opts)
        if (
            det_opts.get('input_size') is None
            and det.input_size == 640
            and _dynamic_input(det.engine)
        ):
            # official YOLOv8 letterbox side (grey padding) when the export allows it
            det.input_size = 416

    crop_opts = dict(crop_model_options or {})
    if crop_model in registry.MODELS:
        spec = registry.get_spec(crop_model)
        model = BlazePoseCropModel(
            make_engine(registry.model_path(crop_model, models_dir), 'crop_model'),
            input_size=spec.input_size,
            **crop_opts,
        )
    else:
        from pose3d_ros.models.metrabs import MetrabsCropModel

        if config is not None and config.output_skeleton:
            # MeTRAbs maps to the set itself
            crop_opts.setdefault('skeleton', config.output_skeleton)
        if config is not None:
            crop_opts.setdefault('num_aug', config.num_aug)
        model = MetrabsCropModel.from_file(
            crop_model,
            engine=engine,
            device=device,
            precision=precision,
            **crop_opts,
            **{**engine_role_options('crop_model'), **engine_options},
        )
    return Pose3DPipeline(det, model, config)


def _dynamic_input(engine) -> bool:
    """Return True when the engine's first input has a dynamic (or unknown) spatial size."""
    shape = (getattr(engine, 'input_shapes', None) or {}).get(engine.input_names[0]) or ()
    return len(shape) != 4 or shape[-1] is None or shape[-1] < 0
