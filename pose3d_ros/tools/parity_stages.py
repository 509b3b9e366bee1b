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
Our code on the inputs of a MeTRAbs parity fixture folder (format: metrabs_parity/README.md).

Everything is read from the folder: settings from ``manifest.json``, sets from ``<set>_crop.npz``,
the joint sets from ``skeleton.npz``, random weights from ``weights_recipe.json``. Each ``stage*``
function returns our values under the fixture's array names (millimetres, pixels).
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import CropGeometry
from pose3d_ros.core.crops_linear import (
    crop_geometry_official,
    crop_scales,
    pyramid_levels,
    warp_crops_linear,
)
from pose3d_ros.core.decode import decode_metrabs_head
from pose3d_ros.models.metrabs import MetrabsCropModel, MetrabsModelInfo, MetrabsSettings
from pose3d_ros.models.metrabs_estimator import crops_to_output, estimate, reconstruct_crops


@dataclass
class Fixture:
    """One set (e.g. s256) of a fixture folder."""

    folder: Path
    tag: str
    setting: dict  # manifest settings of the set
    crop: dict  # arrays of <tag>_crop.npz
    head: dict  # arrays of <tag>_head.npz
    e2e: dict  # arrays of <tag>_e2e.npz
    skeleton: dict  # arrays of skeleton.npz
    recipe: dict  # weights_recipe.json entry

    @property
    def res(self) -> int:
        return int(self.crop['crops_u16'].shape[1])

    @property
    def num_points(self) -> int:
        return len(self.skeleton['internal_joint_names'])

    @property
    def skeleton_names(self) -> list[str]:
        """Joint sets of skeleton.npz (``all`` included)."""
        return sorted(k[: -len('__indices')] for k in self.skeleton if k.endswith('__indices'))

    def settings(self) -> MetrabsSettings:
        st = self.setting
        fov = st.get('fov_window_px')
        out = MetrabsSettings(
            gamma=float(st.get('gamma', 0.8)),
            l2_regularizer=float(st.get('regulariser', 1e-2)),
            stride=int(st.get('stride', 32)),
            centered_stride=bool(st['centered_stride']),
            legacy_centered_stride_bug=bool(st.get('legacy_centered_stride_bug', False)),
            mix_3d_inside_fov=float(st.get('mix_3d_inside_fov', 0.5)),
        )
        if fov is not None and tuple(fov) != out.fov_window(self.res):
            raise ValueError(
                f"{self.tag}: manifest window {fov} differs from the stride flags' "
                f'{out.fov_window(self.res)}'
            )
        return out

    def camera(self, i: int, width: int, height: int) -> Camera:
        d = np.asarray(self.crop['D'][i], np.float64)
        K = np.asarray(self.crop['K'][i], np.float64)
        return Camera(
            K,
            d.copy() if np.any(d) else np.zeros(0),
            'plumb_bob' if np.any(d) else 'none',
            width,
            height,
        )

    def image(self, i: int) -> np.ndarray:
        name = str(self.crop['image_name'][i])
        path = self.folder / 'images' / f'{name}.png'
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(f'cannot read {path}')
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def matrix(self, name: str) -> np.ndarray:
        """(P, J) float32: joint_transform_matrix columns of skeleton `name`."""
        return self.skeleton['joint_transform_matrix'][:, self.skeleton[f'{name}__indices']]


def _npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def fixture_tags(folder: Path) -> list[str]:
    return sorted(p.name[: -len('_crop.npz')] for p in Path(folder).glob('*_crop.npz'))


def load_fixture(folder: str | Path, tag: str) -> Fixture:
    folder = Path(folder)
    manifest = json.loads((folder / 'manifest.json').read_text())
    recipe = json.loads((folder / 'weights_recipe.json').read_text())
    return Fixture(
        folder,
        tag,
        manifest['settings'][tag],
        _npz(folder / f'{tag}_crop.npz'),
        _npz(folder / f'{tag}_head.npz'),
        _npz(folder / f'{tag}_e2e.npz'),
        _npz(folder / 'skeleton.npz'),
        recipe[tag],
    )


# --------------------------------------------------------------------------------- stage 1: crops
def _geometry(fx: Fixture, i: int, camera: Camera) -> CropGeometry:
    return crop_geometry_official(
        camera,
        fx.crop['box_xywh'][i][None],
        fx.res,
        up=np.asarray(fx.crop['up_vector_camera'], np.float64),
    )


def stage1(fx: Fixture, settings: MetrabsSettings) -> dict:
    """Our R, K_crop, crop_scale, pyramid_level and float crops (N, S, S, 3) for every crop."""
    out: dict[str, list] = {
        'R': [],
        'K_crop': [],
        'crop_scale': [],
        'pyramid_level': [],
        'crops': [],
    }
    for i in range(len(fx.crop['box_xywh'])):
        img = fx.image(i)
        cam = fx.camera(i, img.shape[1], img.shape[0])
        g = _geometry(fx, i, cam)
        out['R'].append(g.R[0])
        out['K_crop'].append(g.K[0])
        out['crop_scale'].append(crop_scales(cam, g)[0])
        out['pyramid_level'].append(pyramid_levels(cam, g, settings.max_pyramid_level)[0])
        out['crops'].append(
            warp_crops_linear(img, cam, g, settings.gamma, settings.max_pyramid_level)[0]
        )
    return {k: np.stack(v) for k, v in out.items()}


# ---------------------------------------------------------------------- stage 2: head -> outputs
def _outputs(
    fx: Fixture,
    settings: MetrabsSettings,
    coords2d: np.ndarray,
    coords3d_mm: np.ndarray,
    K_crop: np.ndarray,
    R: np.ndarray,
    prefix: str = '',
    indices=None,
) -> dict:
    """
    Reconstruction, mapping and projections from decoded points (official array names).

    indices: (N,) fixture crop of each row (its camera K, D for the projections); default 0..N-1.
    """
    indices = np.arange(len(coords2d)) if indices is None else np.asarray(indices)
    geom = CropGeometry(np.asarray(K_crop, np.float64), np.asarray(R, np.float64), fx.res)
    abs_crop, t, in_fov = reconstruct_crops(coords2d, coords3d_mm, geom, settings)
    res = {
        f'{prefix}coords2d_crop_px': coords2d,
        f'{prefix}coords3d_cube_mm': coords3d_mm,
        f'{prefix}in_fov': in_fov,
        f'{prefix}ref_crop_mm': t,
        f'{prefix}abs_crop_mm': abs_crop,
    }
    for name in fx.skeleton_names:
        cam = crops_to_output(abs_crop, geom, settings, fx.matrix(name).astype(np.float64))
        res[f'{prefix}poses3d_{name}_mm'] = cam
        res[f'{prefix}poses2d_{name}_px'] = np.stack(
            [fx.camera(int(c), 1, 1).project(cam[i]) for i, c in enumerate(indices)]
        )
    return res


def decode(
    fx: Fixture, settings: MetrabsSettings, logits: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """
    (N, (1+D)P, h, w) logits -> coords2d (N, P, 2) px.

    Coords3d (N, P, 3) mm (origin: settings)
    """
    depth = logits.shape[1] // fx.num_points - 1
    c2, c3 = decode_metrabs_head(
        logits.astype(np.float64),
        fx.num_points,
        res=fx.res,
        depth=depth,
        box_size_m=float(fx.setting.get('box_size_mm', 2200)),
        pixel_offset=_cell_offset(settings),
        origin=settings.origin,
    )
    return c2, c3


def _cell_offset(settings: MetrabsSettings) -> float:
    """Crop px of cell 0: stride/2 once per enabled stride flag (official)."""
    return (
        settings.stride
        / 2
        * (int(settings.centered_stride) + int(settings.legacy_centered_stride_bug))
    )


def stage2(fx: Fixture, settings: MetrabsSettings) -> dict:
    """Our percrop outputs from the stored logits and crop cameras."""
    c2, c3 = decode(fx, settings, fx.head['logits_f16'].astype(np.float32))
    return _outputs(fx, settings, c2, c3, fx.head['K_crop'], fx.head['R'], 'percrop__')


# ------------------------------------------------------------------ stage 3: network end to end
def recipe_state_dict(recipe: dict, keys_shapes: list[tuple[str, tuple]], num_points: int):
    """
    Return the fixture's random weights (README recipe) as float32 numpy arrays.

    And their sha256
    """
    seed, digest, out = int(recipe['seed']), hashlib.sha256(), {}
    p = num_points
    for i, (key, shape) in enumerate(keys_shapes):
        rng = np.random.default_rng(seed + i)
        if key == 'heatmap_heads.conv_final.weight':
            g = recipe['head_gain'] / np.sqrt(shape[1])
            z = rng.standard_normal(shape)
            w = np.empty(shape)
            w[:p] = z[:p] * g
            depth = shape[0] // p - 1
            for d in range(depth):
                rows = slice(p + d * p, p + (d + 1) * p)
                w[rows] = (z[:p] + recipe['depth_mix'] * z[rows]) * g
        elif key.endswith('running_var'):
            w = 0.5 + 1.0 * rng.random(shape)
        elif key.endswith('running_mean'):
            w = 0.1 * rng.standard_normal(shape)
        elif key.endswith('.weight') and len(shape) == 1:
            w = 0.5 + 0.5 * rng.random(shape)
        elif key.endswith('.bias'):
            w = 0.1 * rng.standard_normal(shape)
        elif key.endswith('.weight') and len(shape) == 4:
            w = rng.standard_normal(shape) * (recipe['conv_gain'] / np.sqrt(np.prod(shape[1:])))
        else:
            raise ValueError(f'no recipe rule for {key} {shape}')
        out[key] = np.ascontiguousarray(w.astype('<f4'))
        digest.update(out[key].tobytes())
    return out, digest.hexdigest()


def build_model(fx: Fixture, settings: MetrabsSettings) -> tuple[MetrabsCropModel, bool]:
    """
    Our MetrabsNet with the recipe weights behind a torch engine.

    And whether the sha256 matched
    """
    from pose3d_ros.core.metrabs_model import MetrabsNet
    from pose3d_ros.engines import create_engine
    from pose3d_ros.tools.export import ExportModule
    import torch

    backbone = str(fx.setting.get('backbone', 'efficientnetv2-s'))
    depth = int(fx.setting.get('depth', 8))
    net = MetrabsNet(backbone, fx.num_points, depth, fx.res, settings.centered_stride).eval()
    ours = net.state_dict()
    keys = sorted(k for k in ours if not k.endswith('num_batches_tracked'))
    want = [k for k, _ in fx.recipe['keys_sorted_with_shapes']]
    if keys != want:
        raise ValueError(
            f"{fx.tag}: our state-dict keys differ from the recipe's "
            f'({len(set(keys) ^ set(want))} keys differ)'
        )
    weights, sha = recipe_state_dict(
        fx.recipe, [(k, tuple(ours[k].shape)) for k in keys], fx.num_points
    )
    net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()}, strict=False)
    module = ExportModule(net, 'float_nhwc', with_decoding=False).eval()
    engine = create_engine(
        module, engine='torch', device='cpu', input_names=('image',), output_names=('heatmaps',)
    )
    info = MetrabsModelInfo(
        backbone=backbone,
        input_size=fx.res,
        num_points=fx.num_points,
        depth=depth,
        box_size_m=float(fx.setting.get('box_size_mm', 2200)) / 1000,
        heatmap_offset_px=_cell_offset(settings),
        input_format='float_nhwc',
        centered_stride=settings.centered_stride,
        legacy_centered_stride_bug=settings.legacy_centered_stride_bug,
        joint_names=[str(n) for n in fx.skeleton['internal_joint_names']],
        skeletons={
            'all': {
                'joint_names': [str(n) for n in fx.skeleton['all__names']],
                'edges': fx.skeleton['all__edges'].tolist(),
                'indices': fx.skeleton['all__indices'].tolist(),
            }
        },
    )
    model = MetrabsCropModel(
        engine,
        info,
        skeleton='all',
        joint_transform=fx.skeleton['joint_transform_matrix'],
        settings=settings,
    )
    return model, sha == fx.recipe['sha256_all_float_tensors']


def _network(
    fx: Fixture, model: MetrabsCropModel, crops: np.ndarray, prefix: str
) -> tuple[dict, np.ndarray]:
    """Logit slices of the fixture and decoded points (mm) for (N, S, S, 3) float crops."""
    logits = np.concatenate(
        [
            model.engine.run({'image': crops[i: i + 8].astype(np.float32)})['heatmaps']
            for i in range(0, len(crops), 8)
        ]
    )  # batch-independent (eval-mode BN)
    p = fx.num_points
    slices = {
        f'{prefix}logits_2d_first16': logits[:, :16],
        f'{prefix}logits_3d_joint0': logits[:, p::p][:, : logits.shape[1] // p - 1],
    }
    return slices, logits


def stage3(fx: Fixture, settings: MetrabsSettings, model: MetrabsCropModel, indices=None) -> dict:
    """storedcrops__percrop and image__percrop outputs of our network for crops `indices` (all)."""
    n = len(fx.crop['box_xywh'])
    idx = np.arange(n) if indices is None else np.asarray(indices)
    stored = (fx.crop['crops_u16'][idx] / 65535.0).astype(np.float32)
    ours = stage1_subset(fx, settings, idx)
    out: dict[str, np.ndarray] = {'indices': idx}
    for prefix, crops in (('storedcrops__percrop__', stored), ('image__percrop__', ours['crops'])):
        slices, logits = _network(fx, model, crops, prefix)
        out.update(slices)
        c2, c3 = decode(fx, settings, logits)
        out.update(_outputs(fx, settings, c2, c3, ours['K_crop'], ours['R'], prefix, idx))
    # the production path in one call (crops, network, reconstruction, mapping, projection)
    out['estimate__poses3d_all_mm'], out['estimate__poses2d_all_px'] = _estimate_all(
        fx, model, idx
    )
    return out


def stage1_subset(fx: Fixture, settings: MetrabsSettings, idx: np.ndarray) -> dict:
    sub = Fixture(
        fx.folder,
        fx.tag,
        fx.setting,
        {
            k: v[idx] if np.ndim(v) and len(v) == len(fx.crop['box_xywh']) else v
            for k, v in fx.crop.items()
        },
        fx.head,
        fx.e2e,
        fx.skeleton,
        fx.recipe,
    )
    return stage1(sub, settings)


def _estimate_all(fx: Fixture, model: MetrabsCropModel, idx: np.ndarray):
    """models.metrabs_estimator.estimate per crop with the `all` joint set, in mm and px."""
    p3, p2 = [], []
    for i in idx:
        img = fx.image(i)
        cam = fx.camera(i, img.shape[1], img.shape[0])
        joints, joints2d, _ = estimate(
            model,
            img,
            cam,
            fx.crop['box_xywh'][i][None],
            up=np.asarray(fx.crop['up_vector_camera'], np.float64),
        )
        p3.append(joints[0] * 1000.0)  # metres -> mm
        p2.append(joints2d[0])
    return np.stack(p3), np.stack(p2)
