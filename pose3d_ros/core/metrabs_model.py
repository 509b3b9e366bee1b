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
The MeTRAbs crop network in PyTorch: stride-32 backbone + one 1x1 conv head (no decoding).

Input ``(N, 3, S, S)`` float32 RGB normalised as ``x*2-1`` with ``x`` in [0, 1]. Output: the raw
head logits ``(N, (1+D)*J, S/32, S/32)``: channels ``[0, J)`` are the 2D heatmap logits of the J
points, channels ``[J, (1+D)*J)`` the metric 3D volume logits, depth-major (channel ``J + d*J + j``
is depth bin ``d`` of point ``j``). ``split_head`` reshapes them; soft-argmax decoding lives in
``core.decode`` and stays a separate step.

State-dict keys equal those of the official MeTRAbs PyTorch release (``metrabs_pytorch``):
``backbone.0`` is the parameterless preprocessing slot, ``backbone.1.*`` the feature extractor (see
``core.backbones``) and ``heatmap_heads.conv_final.{weight,bias}`` the head, so no rename table is
needed. Here ``backbone.0`` is an identity: normalisation happens before the network (or in the
exported graph's input stage, see ``InputAdapter``).
"""

from __future__ import annotations

from pose3d_ros.core.backbones import build_backbone
import torch
from torch import nn

STRIDE = 32  # pixels of the input per heatmap cell


class MetrabsHead(nn.Module):
    """One 1x1 conv: features ``(N, C, h, w)`` -> logits ``(N, (1+D)*J, h, w)``."""

    def __init__(self, in_channels: int, num_points: int, depth: int):
        super().__init__()
        self.num_points = num_points
        self.depth = depth
        self.conv_final = nn.Conv2d(in_channels, (1 + depth) * num_points, kernel_size=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.conv_final(features)


class MetrabsNet(nn.Module):
    """
    `MeTRAbs` crop network; every setting is a constructor argument.

    Args:
    ----
        backbone: ``"efficientnetv2-s"``, ``"efficientnetv2-l"`` or ``"resnet50"``.
        num_points: J, points predicted by the head (the model's internal joint set).
        depth: D, depth bins of the metric volume (8 in all official models).
        input_size: S, crop side in pixels; a multiple of 32 (256 or 384 officially).
        centered_stride: EfficientNetV2 bottom-right padding of the last stride-2 conv
            (``centered_stride`` in the official config.yaml).

    """

    def __init__(
        self,
        backbone: str,
        num_points: int,
        depth: int = 8,
        input_size: int = 256,
        centered_stride: bool = True,
    ):
        super().__init__()
        if input_size % STRIDE:
            raise ValueError(f'input_size must be a multiple of {STRIDE}, got {input_size}')
        if num_points < 1 or depth < 1:
            raise ValueError(f'num_points and depth must be positive, got {num_points}, {depth}')
        features, channels = build_backbone(backbone, centered_stride=centered_stride)
        self.backbone = nn.Sequential(nn.Identity(), features)  # keys backbone.1.* as upstream
        self.heatmap_heads = MetrabsHead(channels, num_points, depth)
        self.backbone_name = backbone
        self.num_points = num_points
        self.depth = depth
        self.input_size = input_size
        self.centered_stride = centered_stride

    @property
    def heatmap_size(self) -> int:
        """Side of the heatmaps in cells (S / 32)."""
        return self.input_size // STRIDE

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Image (N, 3, S, S) float in [-1, 1] -> logits (N, (1+D)*J, S/32, S/32)."""
        return self.heatmap_heads(self.backbone(image))

    def split_head(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (N, (1+D)*J, h, w) -> 2D logits (N, J, h, w), 3D logits (N, D, J, h, w)."""
        n, _, h, w = logits.shape
        j = self.num_points
        logits2d = logits[:, :j]  # (N, J, h, w)
        logits3d = logits[:, j:].reshape(n, self.depth, j, h, w)  # (N, D, J, h, w) depth-major
        return logits2d, logits3d


class InputAdapter(nn.Module):
    """
    Turns an exported graph's input into the network's ``(N, 3, S, S)`` ``x*2-1`` input.

    ``input_format``:
        ``"uint8_nhwc"``: (N, S, S, 3) uint8 RGB, as perspective crops come out of OpenCV;
            also the cheapest host-to-GPU copy (a quarter of float32).
        ``"float_nhwc"``: (N, S, S, 3) float32 RGB in [0, 1], e.g. the official linear-light crops
            with their gamma already applied (lossless, unlike an 8-bit copy);
        ``"float_nchw"``: (N, 3, S, S) float32 RGB already normalised to [-1, 1].
    ``gamma``: exponent applied to ``x`` in [0, 1] before normalising (uint8 / float_nhwc input;
    1.0 leaves pixels unchanged, which is right when the crop stage applies the gamma itself).
    """

    FORMATS = ('uint8_nhwc', 'float_nhwc', 'float_nchw')

    def __init__(self, input_format: str = 'uint8_nhwc', gamma: float = 1.0):
        super().__init__()
        if input_format not in self.FORMATS:
            raise ValueError(f'input_format must be one of {self.FORMATS}, got {input_format!r}')
        self.input_format = input_format
        self.gamma = float(gamma)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self.input_format == 'float_nchw':
            return image
        x = image.permute(0, 3, 1, 2).float()  # (N, 3, S, S)
        if self.input_format == 'uint8_nhwc':
            x = x * (1.0 / 255.0)  # in [0, 1]
        if self.gamma != 1.0:
            x = x.pow(self.gamma)
        return x * 2.0 - 1.0


def normalise_crops(crops: torch.Tensor, gamma: float = 1.0) -> torch.Tensor:
    """Crops (N, S, S, 3) uint8 RGB -> (N, 3, S, S) float32 in [-1, 1] (same maths as export)."""
    return InputAdapter('uint8_nhwc', gamma)(crops)
