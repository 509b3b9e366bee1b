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
`MeTRAbs` crop model on an inference engine (the CropModel protocol of models/base.py).

The network file is written by ``pose3d-export``; its JSON sidecar (``MetrabsModelInfo``) says how
to feed it, how to read its outputs, and (``settings``, ``MetrabsSettings``) how the official code
crops, reconstructs and maps around it; ``models.metrabs_estimator`` runs that part. With decoding
exported, the engine returns ``coords2d`` / ``coords3d`` directly; without, it returns the raw
``heatmaps`` and ``core.decode`` soft-argmaxes them on the CPU. Points are then optionally mapped
to an output skeleton by the release's ``joint_transform_matrix`` columns (a linear map; applied to
2D too, which is exact for affine combinations such as the official ones, whose columns sum to 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pose3d_ros.core.decode import decode_metrabs_head
from pose3d_ros.models.base import CropPrediction

FORMAT = 'pose3d_ros.metrabs/1'
# skeleton_type "": first of these the model has
DEFAULT_SKELETONS = ('smpl_24', 'h36m_17', 'coco_19')


@dataclass
class MetrabsSettings:
    """
    Crop.

    Reconstruction and mapping settings that travel with a MeTRAbs model (official defaults).

    The official code uses the detector box as given, resamples in linear light with a 2x2-average
    pyramid, re-encodes with gamma 0.8 at num_aug = 1, solves the reference point with the cube
    corner as origin, lambda = 1e-2 and the field-of-view window below, maps the internal points
    through the joint_transform_matrix after reconstruction and reports poses2d as projections of
    the 3D.
    """

    box_scale: float = 1.0  # crop side / box side (official: the box as is)
    square_box: bool = False  # square the box around its centre first (official: no)
    linear_light: bool = True  # resample in linear light, (u8/255)**2.2, then crop**(gamma/2.2)
    gamma: float = 0.8  # output gamma at num_aug = 1 (gammas = linspace(0.6, 1.0, num_aug))
    max_pyramid_level: int = 2  # antialiasing: 2x2 average pyramid levels 0..2
    l2_regularizer: float = 1e-2  # reconstruction Tikhonov weight (official 1e-2)
    truncated_weight: float = 1e-4  # row weight added to in_fov (official in_fov + 1e-4)
    stride: int = 32  # heatmap stride, crop pixels
    centered_stride: bool = True  # config centered_stride
    legacy_centered_stride_bug: bool = False  # config legacy_centered_stride_bug
    # window [f*stride + off, S - f*stride + off], off = -stride/2 if not centred
    fov_border_factor: float = 0.75
    # decoded 3D origin given to the reconstruction: cube "corner" (official) | "centre"
    origin: str = 'corner'
    mix_3d_inside_fov: float = 0.5  # blend of 3D-based and 2D-based points inside the window
    # joint_transform_matrix after (official) or before reconstruction
    map_after_reconstruction: bool = True
    poses2d_from_3d: bool = True  # 2D output = projection of the 3D (official) or the heatmap 2D
    # test-time augmentations (official API default 5; 1 = no rotation/flip/scale)
    num_aug: int = 1

    def fov_window(self, res: int) -> tuple[float, float]:
        """[lower, upper] crop pixels of the field-of-view window (limits included)."""
        from pose3d_ros.core.reconstruct import fov_window

        return fov_window(res, self.stride, self.centered_stride, self.fov_border_factor)

    def replace(self, **changes: Any) -> 'MetrabsSettings':
        values = {**asdict(self), **changes}
        return MetrabsSettings(**values)


class _Runs(Protocol):

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


@dataclass
class MetrabsModelInfo:
    """The JSON sidecar of an exported MeTRAbs crop network (``<model>.json``)."""

    backbone: str  # efficientnetv2-s | efficientnetv2-l | resnet50
    input_size: int  # S, crop side in pixels
    num_points: int  # P, points of the network's head
    depth: int = 8  # D, depth bins
    box_size_m: float = 2.2  # side of the metric cube, metres
    heatmap_stride_px: int = 32  # crop pixels per heatmap cell
    heatmap_offset_px: float = 16.0  # crop pixel of cell 0's centre
    mix_3d_inside_fov: float = 0.5  # reconstruction blending weight from the release config
    centered_stride: bool = True  # release config centered_stride (network padding, FoV window)
    legacy_centered_stride_bug: bool = False  # release config (moves heatmap cells by stride/2)
    settings: dict[str, Any] = field(default_factory=dict)  # MetrabsSettings fields; {} = official
    input_name: str = 'image'
    input_format: str = 'uint8_nhwc'  # uint8_nhwc: (N,S,S,3) uint8 RGB | float_nchw: (N,3,S,S)
    normalisation: str = 'x = (u8 / 255) ** gamma; input = x * 2 - 1'
    gamma: float = 1.0
    with_decoding: bool = False
    output_names: list[str] = field(default_factory=lambda: ['heatmaps'])
    outputs_doc: str = ''  # layout and units of the outputs, in words
    joint_names: list[str] = field(default_factory=list)  # (P,)
    joint_edges: list[list[int]] = field(default_factory=list)  # (E, 2)
    # name -> names/edges/indices
    skeletons: dict[str, dict[str, Any]] = field(default_factory=dict)
    joint_transform_file: str | None = None  # (P, M) .npy next to the sidecar, or None
    source: str = ''  # release folder or "random-init"
    format: str = FORMAT  # noqa: A003

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1) + '\n')

    @classmethod
    def load(cls, path: str | Path) -> 'MetrabsModelInfo':
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f'MeTRAbs model sidecar {path} does not exist (pose3d-export '
                'writes it next to the .onnx file)'
            )
        raw = json.loads(path.read_text())
        if raw.get('format') != FORMAT:
            raise ValueError(f"{path}: format {raw.get('format')!r}, expected {FORMAT!r}")
        return cls(**raw)

    def crop_settings(self) -> MetrabsSettings:
        """
        Return the model's MetrabsSettings.

        Official defaults for its stride flags, then ``settings``
        """
        base = MetrabsSettings(
            stride=self.heatmap_stride_px,
            centered_stride=self.centered_stride,
            legacy_centered_stride_bug=self.legacy_centered_stride_bug,
            mix_3d_inside_fov=self.mix_3d_inside_fov,
        )
        return base.replace(**self.settings)

    def default_skeleton(self) -> str | None:
        """
        Output set for skeleton_type "".

        The first of DEFAULT_SKELETONS the model has, else None
        """
        return next((s for s in DEFAULT_SKELETONS if s in self.skeletons), None)


def official_detector_options() -> dict[str, Any]:
    """
    `YoloDetector` options of the official MeTRAbs pipeline.

    YOLOv8 with a 416 px letterbox (grey padding): score 0.3, NMS IoU 0.7, no cap on the number of
    people (1000 stands for none).
    """
    return {'score_threshold': 0.3, 'nms_iou': 0.7, 'max_detections': 1000}


def sidecar_path(model_path: str | Path) -> Path:
    """``model.onnx`` -> ``model.json``."""
    return Path(model_path).with_suffix('.json')


def mirror_indices(names: list[str]) -> np.ndarray:
    """
    (P,) index of each point's mirror image.

    A leading 'l' <-> 'r' swapped, else the point itself
    """
    pos = {n: i for i, n in enumerate(names)}
    swap = {'l': 'r', 'r': 'l'}
    return np.array(
        [
            pos.get(swap.get(n[:1], '') + n[1:], i) if n[:1] in swap else i
            for i, n in enumerate(names)
        ],
        np.int64,
    )


class MetrabsCropModel:
    """
    CropModel: (N, S, S, 3) uint8 RGB crops -> 2D crop pixels + 3D metres per joint.

    Args:
    ----
        engine: anything with ``run(dict name -> array) -> dict`` (``engines.create_engine``).
        info: the exported network's sidecar.
        skeleton: output joint set (a key of ``info.skeletons``); None keeps the P head points.
        joint_transform: (P, M) matrix of the release; needed when ``skeleton`` is given.
        root_joint: name of the joint to make coords3d relative to; None keeps the metric cube
            centre as origin (absolute reconstruction removes the offset either way).

    """

    def __init__(
        self,
        engine: _Runs,
        info: MetrabsModelInfo,
        skeleton: str | None = None,
        joint_transform: np.ndarray | None = None,
        root_joint: str | None = None,
        settings: MetrabsSettings | None = None,
        num_aug: int | None = None,
    ):
        self.engine = engine
        self.info = info
        self.input_size = info.input_size
        self.settings = settings or info.crop_settings()
        if num_aug is not None:
            self.settings = self.settings.replace(num_aug=int(num_aug))
        if self.settings.num_aug < 1:
            raise ValueError(f'num_aug must be >= 1, got {self.settings.num_aug}')
        if self.settings.linear_light and info.input_format == 'uint8_nhwc' and info.gamma != 1.0:
            raise ValueError(
                f'this export applies gamma {info.gamma} in its graph, but the crops '
                'already carry the gamma; re-export with pose3d-export (--gamma 1)'
            )
        self.point_names = list(info.joint_names)  # (P,) internal points
        self.mirror = mirror_indices(self.point_names)  # (P,) left <-> right
        self._matrix = None  # (P, J) float32 or None (identity)
        if skeleton is None:
            self.skeleton = f'metrabs_{info.num_points}'
            self.joint_names = list(info.joint_names)
            self.joint_edges = np.asarray(info.joint_edges, np.int64).reshape(-1, 2)
        else:
            if skeleton not in info.skeletons:
                raise ValueError(
                    f'skeleton {skeleton!r} is not provided by this model; '
                    f'available: {sorted(info.skeletons)}'
                )
            if joint_transform is None:
                raise ValueError(
                    f"skeleton {skeleton!r} needs the release's joint_transform matrix"
                )
            sk = info.skeletons[skeleton]
            self.skeleton = skeleton
            self.joint_names = list(sk['joint_names'])
            self.joint_edges = np.asarray(sk['edges'], np.int64).reshape(-1, 2)
            self._matrix = np.asarray(joint_transform, np.float32)[:, sk['indices']]
        self._root = None
        if root_joint is not None:
            if root_joint not in self.joint_names:
                raise ValueError(f'root_joint {root_joint!r} is not a joint of {self.skeleton}')
            self._root = self.joint_names.index(root_joint)

    @classmethod
    def from_file(
        cls,
        model_path: str | Path,
        skeleton: str | None = None,
        root_joint: str | None = None,
        engine: str = 'auto',
        device: str = 'auto',
        precision: str = 'fp32',
        num_aug: int | None = None,
        **engine_options: Any,
    ) -> 'MetrabsCropModel':
        """Load an exported .onnx and its sidecar through ``engines.create_engine``."""
        from pose3d_ros.engines import create_engine

        info = MetrabsModelInfo.load(sidecar_path(model_path))
        if skeleton is None:
            skeleton = info.default_skeleton()  # skeleton_type "": smpl_24 where the model has it
        matrix = None
        if skeleton is not None and info.joint_transform_file:
            matrix = np.load(
                Path(model_path).parent / info.joint_transform_file, allow_pickle=False
            )
        runner = create_engine(
            model_path, engine=engine, device=device, precision=precision, **engine_options
        )
        return cls(runner, info, skeleton, matrix, root_joint, num_aug=num_aug)

    @property
    def point_matrix(self) -> np.ndarray | None:
        """(P, J) float32 map from the P internal points to the output joints (None = identity)."""
        return self._matrix

    def predict_points(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """
        Float crops (N, S, S, 3) in [0, 1] (gamma applied) -> the P internal points.

        Returns coords2d (N, P, 2) float64 crop pixels and coords3d (N, P, 3) float64 metres in the
        crop's virtual-camera axes, origin ``settings.origin`` (official: the metric cube's
        corner).
        """
        s = self.input_size
        if crops.ndim != 4 or crops.shape[1:] != (s, s, 3):
            raise ValueError(f'crops must be (N, {s}, {s}, 3), got {crops.shape}')
        p = self.info.num_points
        if len(crops) == 0:
            return np.zeros((0, p, 2)), np.zeros((0, p, 3))
        fmt = self.info.input_format
        if fmt == 'uint8_nhwc':
            x = np.round(np.clip(crops, 0.0, 1.0) * 255.0).astype(np.uint8)  # 8-bit export: lossy
        elif fmt == 'float_nhwc':
            x = np.ascontiguousarray(crops, np.float32)
        else:
            x = np.ascontiguousarray((crops.astype(np.float32) * 2.0 - 1.0).transpose(0, 3, 1, 2))
        out = self.engine.run({self.info.input_name: x})
        if self.info.with_decoding:
            coords2d = np.asarray(out['coords2d'], np.float64)  # (N, P, 2) px
            coords3d = np.asarray(out['coords3d'], np.float64)  # (N, P, 3) m, cube centre
            if self.settings.origin == 'corner':
                coords3d = coords3d + self.info.box_size_m / 2
        else:
            coords2d, coords3d = decode_metrabs_head(
                out['heatmaps'],
                p,
                res=s,
                depth=self.info.depth,
                box_size_m=self.info.box_size_m,
                pixel_offset=self.info.heatmap_offset_px,
                origin=self.settings.origin,
            )
        return np.asarray(coords2d, np.float64), np.asarray(coords3d, np.float64)

    def estimate(self, image_rgb: np.ndarray, camera, boxes: np.ndarray, up=(0.0, -1.0, 0.0)):
        """Official multi-person step for one image: see ``models.metrabs_estimator.estimate``."""
        from pose3d_ros.models.metrabs_estimator import estimate

        return estimate(self, image_rgb, camera, boxes, up)

    def _feed(self, crops: np.ndarray) -> np.ndarray:
        if self.info.input_format == 'uint8_nhwc':
            return np.ascontiguousarray(crops)
        if self.info.input_format == 'float_nhwc':  # the graph applies its gamma and *2-1
            return np.ascontiguousarray(crops.astype(np.float32) / 255.0)
        x = (crops.astype(np.float32) / 255.0) ** self.info.gamma  # (N, S, S, 3) in [0, 1]
        return np.ascontiguousarray((x * 2.0 - 1.0).transpose(0, 3, 1, 2))  # (N, 3, S, S)

    def predict(self, crops: np.ndarray) -> CropPrediction:
        """crops: (N, S, S, 3) uint8 RGB perspective crops."""
        s = self.input_size
        if crops.ndim != 4 or crops.shape[1:] != (s, s, 3) or crops.dtype != np.uint8:
            raise ValueError(
                f'crops must be (N, {s}, {s}, 3) uint8 RGB, got {crops.shape} {crops.dtype}'
            )
        if len(crops) == 0:
            j = len(self.joint_names)
            return CropPrediction(np.zeros((0, j, 2), np.float32), np.zeros((0, j, 3), np.float32))
        out = self.engine.run({self.info.input_name: self._feed(crops)})
        if self.info.with_decoding:
            coords2d, coords3d = out['coords2d'], out['coords3d']  # (N,P,2) px, (N,P,3) m
        else:
            coords2d, coords3d = decode_metrabs_head(
                out['heatmaps'],
                self.info.num_points,
                res=s,
                depth=self.info.depth,
                box_size_m=self.info.box_size_m,
                pixel_offset=self.info.heatmap_offset_px,
            )
        if self._matrix is not None:
            coords2d = np.einsum('npk,pj->njk', coords2d, self._matrix)  # (N, J, 2) px
            coords3d = np.einsum('npk,pj->njk', coords3d, self._matrix)  # (N, J, 3) m
        if self._root is not None:
            coords3d = coords3d - coords3d[:, self._root: self._root + 1]
        return CropPrediction(np.asarray(coords2d, np.float32), np.asarray(coords3d, np.float32))
