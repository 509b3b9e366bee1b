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
Importer for the official MeTRAbs PyTorch release folder.

For example metrabs_eff2l_384px_800k_28ds_pytorch.

Folder contents:
    ckpt.pt                     state_dict of the crop network (required); read with
                                ``torch.load(weights_only=True)``: tensors only, no arbitrary code.
    config.yaml                 proc_side, backbone / efficientnet_size, depth, box_size_mm,
                                centered_stride, legacy_centered_stride_bug, stride_test,
                                mix_3d_inside_fov (required; read with ``yaml.safe_load``).
    joint_info.npz              ``joint_names`` (P,) str, ``joint_edges`` (E, 2) int of the P
                                points
                                the head predicts (required; ``allow_pickle=False``).
    joint_transform_matrix.npy  (P, M) float: output joints = points^T @ matrix (optional).
    skeleton_infos.pkl          {skeleton: {"names", "edges", "indices" into the M joints}}
                                (optional, needs the matrix). It is a pickle: it is read with a
                                restricted Unpickler that only builds dicts, lists, tuples,
                                strings, numbers and numpy arrays, and refuses any other global.

Latent-point models (config ``affine_weights`` / ``transform_coords`` /
``predict_all_and_latents``) are not supported and are reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import io
from pathlib import Path
import pickle
from typing import Any, Mapping

import numpy as np
from pose3d_ros.core.backbones import BACKBONES
from pose3d_ros.core.metrabs_model import MetrabsNet, STRIDE
import torch

REQUIRED_FILES = ('ckpt.pt', 'config.yaml', 'joint_info.npz')
_BACKBONE_ALIASES = {
    'efficientnetv2-s': 'efficientnetv2-s',
    'efficientnetv2-l': 'efficientnetv2-l',
    'efficientnet_v2_s': 'efficientnetv2-s',
    'efficientnet_v2_l': 'efficientnetv2-l',
    's': 'efficientnetv2-s',
    'l': 'efficientnetv2-l',
    'resnet50': 'resnet50',
    'resnet-50': 'resnet50',
    'resnet_50': 'resnet50',
}
_MAX_LISTED = 20  # keys listed per category in a mismatch report


class ReleaseError(RuntimeError):
    """The release folder, one of its files, or its content is missing or unusable."""


class CheckpointMismatchError(ReleaseError):
    """ckpt.pt does not fit the network: missing, unexpected or misshapen keys (all listed)."""


@dataclass
class MetrabsConfig:
    """Settings of one released crop model, from config.yaml."""

    backbone: str  # one of core.backbones.BACKBONES
    input_size: int  # crop side S in pixels (proc_side)
    depth: int = 8  # D, depth bins of the metric volume
    box_size_m: float = 2.2  # side of the metric cube, metres (box_size_mm / 1000)
    # bottom-right padding of the last stride-2 conv; FoV window offset
    centered_stride: bool = True
    legacy_centered_stride_bug: bool = False  # config flag: heatmap cells +stride/2 once more
    heatmap_offset_px: float = 16.0  # crop px of heatmap cell 0's centre; cell i at 32*i + offset
    # blending weight of the reconstruction step (for core.reconstruct)
    mix_3d_inside_fov: float = 0.5


@dataclass
class SkeletonInfo:
    """An output joint set of the release."""

    names: list[str]  # (J,) joint names
    edges: np.ndarray  # (E, 2) int64 indices into names
    indices: np.ndarray  # (J,) int64 indices into the M transformed joints


@dataclass
class MetrabsRelease:
    """Everything read from a release folder (weights not yet put into a network)."""

    folder: Path
    config: MetrabsConfig
    state_dict: dict[str, torch.Tensor]
    joint_names: list[str]  # (P,) names of the points the head predicts
    joint_edges: np.ndarray  # (E, 2) int64
    joint_transform: np.ndarray | None = None  # (P, M) float32
    skeletons: dict[str, SkeletonInfo] = field(default_factory=dict)

    @property
    def num_points(self) -> int:
        """P, points predicted by the head."""
        return len(self.joint_names)

    def skeleton_matrix(self, name: str) -> np.ndarray:
        """(P, J) float32 matrix mapping the P predicted points to skeleton ``name``'s J joints."""
        if name not in self.skeletons:
            raise ReleaseError(
                f'skeleton {name!r} is not in {self.folder}/skeleton_infos.pkl; '
                f'available: {sorted(self.skeletons)}'
            )
        return self.joint_transform[:, self.skeletons[name].indices].astype(np.float32)


def _need(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ReleaseError(
            f'MeTRAbs release folder {folder} has no {name} '
            f"(a release folder holds {', '.join(REQUIRED_FILES)} and optionally "
            'joint_transform_matrix.npy + skeleton_infos.pkl)'
        )
    return path


def read_config(path: str | Path) -> MetrabsConfig:
    """Parse config.yaml into a MetrabsConfig; unsupported settings raise ReleaseError."""
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ReleaseError(f'cannot read {path}: {exc}') from exc
    if not isinstance(raw, dict):
        raise ReleaseError(f'{path}: expected a mapping, got {type(raw).__name__}')
    for key in ('affine_weights', 'transform_coords', 'predict_all_and_latents'):
        if raw.get(key):
            raise ReleaseError(f'{path}: {key}={raw[key]!r} (latent-point model) is not supported')
    name = str(raw.get('backbone') or raw.get('efficientnet_size') or '').lower()
    if name not in _BACKBONE_ALIASES:
        raise ReleaseError(f'{path}: backbone {name!r} is not supported; supported: {BACKBONES}')
    if int(raw.get('stride_test', STRIDE)) != STRIDE:
        raise ReleaseError(
            f"{path}: stride_test={raw['stride_test']} (only {STRIDE} is supported)"
        )
    if 'proc_side' not in raw:
        raise ReleaseError(f'{path}: proc_side (crop size in pixels) is missing')
    centered = bool(raw.get('centered_stride', True))
    legacy = bool(raw.get('legacy_centered_stride_bug', False))
    return MetrabsConfig(
        backbone=_BACKBONE_ALIASES[name],
        input_size=int(raw['proc_side']),
        depth=int(raw.get('depth', 8)),
        box_size_m=float(raw.get('box_size_mm', 2200)) / 1000.0,
        centered_stride=centered,
        legacy_centered_stride_bug=legacy,
        # Upstream adds stride/2 once per flag: cells sit at 32*i + 16 with either flag set.
        heatmap_offset_px=(STRIDE // 2) * (int(centered) + int(legacy)),
        mix_3d_inside_fov=float(raw.get('mix_3d_inside_fov', 0.5)),
    )


class _SafeUnpickler(pickle.Unpickler):
    """Builds only containers, strings, numbers and numpy arrays; any other global is refused."""

    _ALLOWED = {
        ('builtins', n)
        for n in (
            'dict',
            'list',
            'tuple',
            'set',
            'frozenset',
            'str',
            'bytes',
            'int',
            'float',
            'bool',
            'complex',
            'slice',
        )
    } | {
        ('collections', 'OrderedDict'),
        ('_codecs', 'encode'),
        ('numpy', 'ndarray'),
        ('numpy', 'dtype'),
        ('numpy.core.multiarray', '_reconstruct'),
        ('numpy._core.multiarray', '_reconstruct'),
        ('numpy.core.multiarray', 'scalar'),
        ('numpy._core.multiarray', 'scalar'),
        # protocol 5 pickles arrays as _frombuffer(bytearray, dtype, shape, order)
        ('numpy.core.numeric', '_frombuffer'),
        ('numpy._core.numeric', '_frombuffer'),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED or (
            module == 'numpy.dtypes' and name.endswith('DType')
        ):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f'refusing to load global {module}.{name}')


def load_skeleton_infos(path: str | Path) -> dict[str, SkeletonInfo]:
    """Read skeleton_infos.pkl with the restricted unpickler."""
    try:
        raw = _SafeUnpickler(io.BytesIO(Path(path).read_bytes())).load()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError) as exc:
        raise ReleaseError(f'cannot read {path} safely: {exc}') from exc
    if not isinstance(raw, Mapping):
        raise ReleaseError(f'{path}: expected a dict of skeletons, got {type(raw).__name__}')
    out = {}
    for name, info in raw.items():
        try:
            out[str(name)] = SkeletonInfo(
                names=[str(n) for n in info['names']],
                edges=np.asarray(info.get('edges', np.zeros((0, 2))), np.int64).reshape(-1, 2),
                indices=np.asarray(info['indices'], np.int64).reshape(-1),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReleaseError(f'{path}: skeleton {name!r} lacks names/indices: {exc}') from exc
    return out


def _load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        obj = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as exc:  # UnpicklingError for non-tensor content, RuntimeError for corruption
        raise ReleaseError(f'cannot load {path} as a tensors-only state_dict: {exc}') from exc
    for wrapper in ('state_dict', 'model'):
        if isinstance(obj, Mapping) and isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ReleaseError(f'{path} does not hold a state_dict (name -> tensor)')
    return dict(obj)


def load_release(folder: str | Path) -> MetrabsRelease:
    """
    Read and cross-check every file of a release folder.

    The weights' fit is checked by build_model.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ReleaseError(f'MeTRAbs release folder {folder} does not exist (or is not a folder)')
    config = read_config(_need(folder, 'config.yaml'))
    try:
        with np.load(_need(folder, 'joint_info.npz'), allow_pickle=False) as info:
            names = [str(n) for n in info['joint_names']]
            edges = np.asarray(info['joint_edges'], np.int64).reshape(-1, 2)
    except (KeyError, ValueError, OSError) as exc:
        raise ReleaseError(
            f'{folder}/joint_info.npz needs joint_names and joint_edges as plain '
            f'(non-object) arrays: {exc}'
        ) from exc
    state_dict = _load_state_dict(_need(folder, 'ckpt.pt'))
    release = MetrabsRelease(folder, config, state_dict, names, edges)
    matrix_path, infos_path = folder / 'joint_transform_matrix.npy', folder / 'skeleton_infos.pkl'
    if matrix_path.is_file():
        matrix = np.load(matrix_path, allow_pickle=False).astype(np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(names):
            raise ReleaseError(
                f'{matrix_path}: shape {matrix.shape}, expected ({len(names)}, M) '
                f'for the {len(names)} points of joint_info.npz'
            )
        release.joint_transform = matrix
    if infos_path.is_file():
        if release.joint_transform is None:
            raise ReleaseError(f'{infos_path} needs joint_transform_matrix.npy next to it')
        release.skeletons = load_skeleton_infos(infos_path)
        m = release.joint_transform.shape[1]
        for name, info in release.skeletons.items():
            if (
                len(info.names) != len(info.indices)
                or info.indices.min(initial=0) < 0
                or info.indices.max(initial=0) >= m
            ):
                raise ReleaseError(
                    f'{infos_path}: skeleton {name!r} has {len(info.names)} names '
                    f'and indices outside [0, {m}) or of another length'
                )
    return release


def _listing(title: str, items: list[str]) -> str:
    shown = '\n'.join(f'    {s}' for s in items[:_MAX_LISTED])
    more = f'\n    ... and {len(items) - _MAX_LISTED} more' if len(items) > _MAX_LISTED else ''
    return f'  {title} ({len(items)}):\n{shown}{more}'


def check_state_dict(
    model: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], source: str = 'checkpoint'
) -> None:
    """
    Strict key and shape check; raises one CheckpointMismatchError listing every problem.

    A missing ``num_batches_tracked`` is tolerated (a training counter, unused at inference).
    """
    expected = model.state_dict()
    missing = [
        k for k in expected if k not in state_dict and not k.endswith('num_batches_tracked')
    ]
    unexpected = [k for k in state_dict if k not in expected]
    misshapen = [
        f'{k}: checkpoint {tuple(state_dict[k].shape)}, network {tuple(v.shape)}'
        for k, v in expected.items()
        if k in state_dict and state_dict[k].shape != v.shape
    ]
    if missing or unexpected or misshapen:
        parts = [
            _listing(t, x)
            for t, x in (
                ('missing keys', missing),
                ('unexpected keys', unexpected),
                ('shape mismatches', misshapen),
            )
            if x
        ]
        raise CheckpointMismatchError(
            f'{source} does not fit {type(model).__name__}'
            f"({getattr(model, 'backbone_name', '?')}):\n" + '\n'.join(parts)
        )


def build_model(release: MetrabsRelease) -> MetrabsNet:
    """
    Return the crop network of ``release`` with its weights loaded (strictly checked).

    In eval mode
    """
    cfg = release.config
    head = release.state_dict.get('heatmap_heads.conv_final.weight')
    if head is not None and head.shape[0] != (1 + cfg.depth) * release.num_points:
        raise CheckpointMismatchError(
            f'{release.folder}/ckpt.pt: head has {head.shape[0]} channels, expected '
            f'(1 + depth {cfg.depth}) x {release.num_points} points of joint_info.npz'
        )
    model = MetrabsNet(
        cfg.backbone, release.num_points, cfg.depth, cfg.input_size, cfg.centered_stride
    )
    check_state_dict(model, release.state_dict, source=f'{release.folder}/ckpt.pt')
    model.load_state_dict(release.state_dict, strict=False)  # strictness checked above
    return model.eval()


def load_metrabs(folder: str | Path) -> tuple[MetrabsNet, MetrabsRelease]:
    """Read a release folder and build its network: ``(model, release)``."""
    release = load_release(folder)
    return build_model(release), release
