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
Test support: fake MeTRAbs release folders with the official key layout and random values.

The state_dict generator below is written from the official release's naming scheme (the
``metrabs_pytorch`` TF->PyTorch conversion: stem ``backbone.1.0``, stages
``backbone.1.<i>.<b>.block`` with simplest / fused / depthwise+SE blocks, penultimate 1x1 conv,
``heatmap_heads.conv_final``), independently of ``pose3d_ros.core.backbones``, so loading it checks
our module names and shapes.
"""

from __future__ import annotations

from pathlib import Path
import pickle

import numpy as np
import torch
import yaml

# EfficientNetV2-S stages: (block kind, expansion, c_in, c_out, blocks); every kernel is 3x3.
EFFV2S = (
    ('simplest', 1, 24, 24, 2),
    ('fused', 4, 24, 48, 4),
    ('fused', 4, 48, 64, 4),
    ('depthwise', 4, 64, 128, 6),
    ('depthwise', 6, 128, 160, 9),
    ('depthwise', 6, 160, 256, 15),
)


def official_effv2s_shapes(num_points: int, depth: int = 8) -> dict[str, tuple[int, ...]]:
    """Key -> shape of an official EfficientNetV2-S MeTRAbs checkpoint."""
    shapes: dict[str, tuple[int, ...]] = {}

    def conv_bn(prefix: str, c_out: int, c_in: int, k: int) -> None:
        shapes[f'{prefix}.0.weight'] = (c_out, c_in, k, k)
        for p in ('weight', 'bias', 'running_mean', 'running_var'):
            shapes[f'{prefix}.1.{p}'] = (c_out,)
        shapes[f'{prefix}.1.num_batches_tracked'] = ()

    conv_bn('backbone.1.0', 24, 3, 3)
    for i, (kind, expand, c_in, c_out, blocks) in enumerate(EFFV2S, start=1):
        for b in range(blocks):
            cin = c_in if b == 0 else c_out
            mid = cin * expand
            p = f'backbone.1.{i}.{b}.block'
            if kind == 'simplest':
                conv_bn(f'{p}.0', c_out, cin, 3)
            elif kind == 'fused':
                conv_bn(f'{p}.0', mid, cin, 3)
                conv_bn(f'{p}.1', c_out, mid, 1)
            else:
                squeezed = cin // 4
                conv_bn(f'{p}.0', mid, cin, 1)
                conv_bn(f'{p}.1', mid, 1, 3)  # depthwise
                shapes[f'{p}.2.fc1.weight'] = (squeezed, mid, 1, 1)
                shapes[f'{p}.2.fc1.bias'] = (squeezed,)
                shapes[f'{p}.2.fc2.weight'] = (mid, squeezed, 1, 1)
                shapes[f'{p}.2.fc2.bias'] = (mid,)
                conv_bn(f'{p}.3', c_out, mid, 1)
    conv_bn('backbone.1.7', 1280, 256, 1)
    shapes['heatmap_heads.conv_final.weight'] = ((1 + depth) * num_points, 1280, 1, 1)
    shapes['heatmap_heads.conv_final.bias'] = ((1 + depth) * num_points,)
    return shapes


def random_state_dict(
    shapes: dict[str, tuple[int, ...]], seed: int = 0
) -> dict[str, torch.Tensor]:
    """Random values of plausible scale (positive BN variances, fan-in scaled conv weights)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, shape in shapes.items():
        if key.endswith('num_batches_tracked'):
            out[key] = torch.tensor(1000)
        elif key.endswith('running_var'):
            out[key] = torch.rand(shape, generator=g) + 0.5
        elif key.endswith('running_mean') or key.endswith('bias'):
            out[key] = torch.randn(shape, generator=g) * 0.1
        elif len(shape) == 1:  # BN gamma
            out[key] = torch.rand(shape, generator=g) * 0.5 + 0.75
        else:
            fan_in = int(np.prod(shape[1:]))
            out[key] = torch.randn(shape, generator=g) / np.sqrt(fan_in)
    return out


def write_release(
    folder: Path,
    state_dict: dict[str, torch.Tensor],
    num_points: int,
    proc_side: int = 64,
    backbone: str = 'efficientnetv2-s',
    with_skeletons: bool = True,
) -> Path:
    """Write ckpt.pt, config.yaml, joint_info.npz (+ transform matrix, skeleton_infos.pkl)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, folder / 'ckpt.pt')
    (folder / 'config.yaml').write_text(
        yaml.safe_dump(
            {
                'proc_side': proc_side,
                'stride_train': 32,
                'stride_test': 32,
                'centered_stride': True,
                'legacy_centered_stride_bug': False,
                'efficientnet_size': backbone[-1],
                'backbone': backbone,
                'depth': 8,
                'box_size_mm': 2200,
                'mix_3d_inside_fov': 0.5,
                'affine_weights': None,
                'transform_coords': False,
                'predict_all_and_latents': False,
            }
        )
    )
    names = np.array([f'pt{i}' for i in range(num_points)])
    edges = np.array([[i, i + 1] for i in range(num_points - 1)], np.int64)
    np.savez(folder / 'joint_info.npz', joint_names=names, joint_edges=edges)
    if with_skeletons:
        # M = num_points + 1 output joints: identity plus one extra joint = mean of the first two.
        matrix = np.concatenate([np.eye(num_points), np.zeros((num_points, 1))], axis=1)
        matrix[:2, -1] = 0.5
        np.save(folder / 'joint_transform_matrix.npy', matrix.astype(np.float32))
        infos = {
            'tiny_3': {
                'names': np.array(['a', 'b', 'mid_ab']),
                'edges': np.array([[0, 2], [2, 1]]),
                'indices': np.array([0, 1, num_points]),
            }
        }
        with open(folder / 'skeleton_infos.pkl', 'wb') as f:
            pickle.dump(infos, f)
    return folder


def random_official_state_dict(num_points: int, seed: int = 0, head_gain: float = 30.0):
    """Official-layout EfficientNetV2-S random weights whose heatmaps are peaky and varied."""
    sd = random_state_dict(official_effv2s_shapes(num_points), seed)
    sd['heatmap_heads.conv_final.weight'] *= head_gain
    return sd
