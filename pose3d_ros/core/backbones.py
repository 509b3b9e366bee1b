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
Stride-32 convolutional backbones of the MeTRAbs crop model, written for this project.

Each builder returns an ``nn.Module`` mapping ``(N, 3, S, S)`` float (normalised ``x*2-1``) to
``(N, C, S/32, S/32)`` features, plus ``C``. Classification heads are left out.

Parameter names are chosen so that the official MeTRAbs PyTorch checkpoints load without a rename
table (their ``backbone.1.*`` keys are the keys of these modules):

- EfficientNetV2-S/-L: a ``Sequential`` of ``0`` stem, ``1..K`` stages (each a ``Sequential`` of
  blocks with a ``block`` child), ``K+1`` the 1x1 conv to 1280 channels. A conv+BN+activation unit
  is a ``Sequential`` of ``0`` conv, ``1`` BN, ``2`` activation; squeeze-excitation has
  ``fc1``/``fc2``. Batch-norm epsilon 1e-3. With ``centered_stride`` the stride-2 depthwise conv of
  the last downsampling stage pads 0 before and 2 after ("bottom-right stride"), as the official
  models do.
- ResNet-50 (v1.5, stride in the 3x3 conv): ``conv1, bn1, layer1..layer4`` with bottlenecks
  ``conv1..3, bn1..3, downsample.0/.1``. No official MeTRAbs PyTorch release has this backbone and
  no weights for it are supported: it is for random-init benchmarks and own training only. Its
  input is the ``x*2-1`` of the other backbones; torchvision's ImageNet weights (mean/std
  normalisation) and the official TF ResNet models (their own preprocessing) are not drop-in
  compatible, even though the parameter names follow torchvision's.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F

BACKBONES = ('efficientnetv2-s', 'efficientnetv2-l', 'resnet50')


class ConvBNAct(nn.Sequential):
    """
    Conv (no bias) + BatchNorm + optional activation; children ``0``, ``1``, ``2``.

    ``pad`` is (left, right, top, bottom) zero padding applied before the conv; symmetric padding
    becomes the conv's own ``padding`` so the exported graph stays a plain Conv.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int,
        stride: int = 1,
        groups: int = 1,
        act: type[nn.Module] | None = nn.SiLU,
        bn_eps: float = 1e-3,
        pad: tuple[int, int, int, int] | None = None,
    ):
        if pad is None:
            pad = (kernel // 2,) * 4
        symmetric = len(set(pad)) == 1
        layers = [
            nn.Conv2d(
                c_in,
                c_out,
                kernel,
                stride,
                padding=pad[0] if symmetric else 0,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(c_out, eps=bn_eps),
        ]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)
        self.explicit_pad = None if symmetric else pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.explicit_pad is not None:
            x = F.pad(x, self.explicit_pad)
        return super().forward(x)


def _same_pad(kernel: int, bottom_right: bool) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) padding of a TF-"SAME" conv, optionally shifted by one pixel."""
    before, after = (kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2
    if bottom_right:
        before, after = before - 1, after + 1
    return (before, after, before, after)


def _round8(channels: float) -> int:
    """Round a channel count to a multiple of 8, never below 90 % of the request."""
    rounded = max(8, int(channels + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * channels else rounded


class SqueezeExcite(nn.Module):
    """Channel gating: x * sigmoid(fc2(silu(fc1(mean_hw(x)))))."""

    def __init__(self, channels: int, squeezed: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(s))))


@dataclass(frozen=True)
class StageSpec:
    """One EfficientNetV2 stage (paper, Table 4)."""

    fused: bool  # FusedMBConv (k x k expand conv) or MBConv (1x1 expand + depthwise + SE)
    expand: int  # expansion ratio
    kernel: int
    stride: int  # stride of the first block
    c_in: int
    c_out: int
    blocks: int


_F, _M = True, False
EFFICIENTNETV2_STAGES: dict[str, tuple[StageSpec, ...]] = {
    'efficientnetv2-s': (
        StageSpec(_F, 1, 3, 1, 24, 24, 2),
        StageSpec(_F, 4, 3, 2, 24, 48, 4),
        StageSpec(_F, 4, 3, 2, 48, 64, 4),
        StageSpec(_M, 4, 3, 2, 64, 128, 6),
        StageSpec(_M, 6, 3, 1, 128, 160, 9),
        StageSpec(_M, 6, 3, 2, 160, 256, 15),
    ),
    'efficientnetv2-l': (
        StageSpec(_F, 1, 3, 1, 32, 32, 4),
        StageSpec(_F, 4, 3, 2, 32, 64, 7),
        StageSpec(_F, 4, 3, 2, 64, 96, 7),
        StageSpec(_M, 4, 3, 2, 96, 192, 10),
        StageSpec(_M, 6, 3, 1, 192, 224, 19),
        StageSpec(_M, 6, 3, 2, 224, 384, 25),
        StageSpec(_M, 6, 3, 1, 384, 640, 7),
    ),
}
EFFICIENTNETV2_HEAD_CHANNELS = 1280


class FusedMBConv(nn.Module):
    """`k` x k conv (expand, stride) + 1x1 project; a single k x k conv when expand == 1."""

    def __init__(
        self, c_in: int, c_out: int, expand: int, kernel: int, stride: int, bottom_right: bool
    ):
        super().__init__()
        pad = _same_pad(kernel, bottom_right)
        c_mid = _round8(c_in * expand)
        if c_mid == c_in:
            self.block = nn.Sequential(ConvBNAct(c_in, c_out, kernel, stride, pad=pad))
        else:
            self.block = nn.Sequential(
                ConvBNAct(c_in, c_mid, kernel, stride, pad=pad),
                ConvBNAct(c_mid, c_out, 1, act=None),
            )
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.residual else y


class MBConv(nn.Module):
    """1x1 expand + k x k depthwise (stride) + squeeze-excitation + 1x1 project."""

    def __init__(
        self, c_in: int, c_out: int, expand: int, kernel: int, stride: int, bottom_right: bool
    ):
        super().__init__()
        c_mid = _round8(c_in * expand)
        self.block = nn.Sequential(
            ConvBNAct(c_in, c_mid, 1),
            ConvBNAct(
                c_mid, c_mid, kernel, stride, groups=c_mid, pad=_same_pad(kernel, bottom_right)
            ),
            SqueezeExcite(c_mid, max(1, c_in // 4)),
            ConvBNAct(c_mid, c_out, 1, act=None),
        )
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return y + x if self.residual else y


def efficientnetv2(name: str, centered_stride: bool = True) -> tuple[nn.Sequential, int]:
    """EfficientNetV2 feature extractor ``(N,3,S,S) -> (N,1280,S/32,S/32)`` and its channels."""
    stages = EFFICIENTNETV2_STAGES[name]
    last_down = max(i for i, s in enumerate(stages) if s.stride == 2)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers['0'] = ConvBNAct(3, stages[0].c_in, 3, 2)  # (N, C0, S/2, S/2)
    for i, spec in enumerate(stages):
        block_type = FusedMBConv if spec.fused else MBConv
        blocks = []
        for b in range(spec.blocks):
            first = b == 0
            blocks.append(
                block_type(
                    spec.c_in if first else spec.c_out,
                    spec.c_out,
                    spec.expand,
                    spec.kernel,
                    spec.stride if first else 1,
                    bottom_right=first and centered_stride and i == last_down,
                )
            )
        layers[str(i + 1)] = nn.Sequential(*blocks)
    layers[str(len(stages) + 1)] = ConvBNAct(stages[-1].c_out, EFFICIENTNETV2_HEAD_CHANNELS, 1)
    return nn.Sequential(layers), EFFICIENTNETV2_HEAD_CHANNELS


class Bottleneck(nn.Module):
    """
    `ResNet` v1.5 bottleneck.

    1x1 reduce, 3x3 (stride), 1x1 expand x4, identity or projection
    """

    def __init__(self, c_in: int, width: int, stride: int):
        super().__init__()
        c_out = width * 4
        self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(y + shortcut)


class ResNet50Features(nn.Module):
    """ResNet-50 without pooling/classifier: ``(N,3,S,S) -> (N,2048,S/32,S/32)``."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        c_in = 64
        for i, (width, blocks, stride) in enumerate(
            ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))
        ):
            layer = nn.Sequential(
                *[
                    Bottleneck(c_in if b == 0 else width * 4, width, stride if b == 0 else 1)
                    for b in range(blocks)
                ]
            )
            setattr(self, f'layer{i + 1}', layer)
            c_in = width * 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))  # (N, 64, S/2, S/2)
        x = F.max_pool2d(x, 3, 2, padding=1)  # (N, 64, S/4, S/4)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
        return x  # (N, 2048, S/32, S/32)


def build_backbone(name: str, centered_stride: bool = True) -> tuple[nn.Module, int]:
    """
    Feature extractor by name (one of ``BACKBONES``) and its output channel count.

    ``centered_stride`` applies to EfficientNetV2 only (ResNet-50 uses symmetric padding).
    """
    if name in EFFICIENTNETV2_STAGES:
        return efficientnetv2(name, centered_stride)
    if name == 'resnet50':
        return ResNet50Features(), 2048
    raise ValueError(f"unknown backbone {name!r}; expected one of {', '.join(BACKBONES)}")
