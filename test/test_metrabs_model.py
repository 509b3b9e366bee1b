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
`MeTRAbs` crop network and MetrabsCropModel.

core.metrabs_model, core.backbones and models.metrabs.
"""

from __future__ import annotations

from metrabs_helpers import random_official_state_dict
import numpy as np
from pose3d_ros.core.backbones import build_backbone, ConvBNAct
from pose3d_ros.core.decode import decode_metrabs_head
from pose3d_ros.core.metrabs_model import InputAdapter, MetrabsNet, normalise_crops
from pose3d_ros.models.base import CropPrediction
from pose3d_ros.models.metrabs import MetrabsCropModel, MetrabsModelInfo
from pose3d_ros.tools.export import ExportModule
import pytest
import torch

J, S = 5, 64


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    'name, expected',
    [
        # torchvision's efficientnet_v2_s / resnet50 parameter counts minus their classifiers.
        ('efficientnetv2-s', 21_458_488 - (1280 * 1000 + 1000)),
        ('resnet50', 25_557_032 - (2048 * 1000 + 1000)),
    ],
)
def test_backbone_sizes_match_reference_architectures(name, expected):
    features, channels = build_backbone(name)
    assert n_params(features) == expected
    with torch.no_grad():
        assert features.eval()(torch.zeros(1, 3, S, S)).shape == (1, channels, S // 32, S // 32)


def test_efficientnetv2_l_size():
    features, _ = build_backbone('efficientnetv2-l')
    assert n_params(features) == 118_515_272 - (1280 * 1000 + 1000)


def test_centered_stride_pads_one_conv_bottom_right():
    def shifted(centered):
        feats, _ = build_backbone('efficientnetv2-s', centered_stride=centered)
        return [
            m.explicit_pad
            for m in feats.modules()
            if isinstance(m, ConvBNAct) and m.explicit_pad is not None
        ]

    assert shifted(True) == [(0, 2, 0, 2)]  # (left, right, top, bottom)
    assert shifted(False) == []


def test_head_layout_matches_decode():
    net = MetrabsNet('efficientnetv2-s', J, 8, S).eval()
    assert net.heatmap_size == 2
    with torch.no_grad():
        logits = net(torch.rand(3, 3, S, S) * 2 - 1)
    assert logits.shape == (3, 9 * J, 2, 2)
    lg2d, lg3d = net.split_head(logits)
    assert lg2d.shape == (3, J, 2, 2) and lg3d.shape == (3, 8, J, 2, 2)
    d, j = 5, 3
    assert torch.equal(lg3d[:, d, j], logits[:, J + d * J + j])


def test_bad_arguments():
    with pytest.raises(ValueError, match='multiple of 32'):
        MetrabsNet('efficientnetv2-s', J, 8, 100)
    with pytest.raises(ValueError, match='unknown backbone'):
        MetrabsNet('vgg16', J)


def test_input_adapter():
    crops = torch.randint(0, 256, (2, S, S, 3), dtype=torch.uint8)
    x = normalise_crops(crops)
    assert x.shape == (2, 3, S, S)
    expected = crops.permute(0, 3, 1, 2).float() / 255 * 2 - 1
    torch.testing.assert_close(x, expected)
    assert InputAdapter('float_nchw')(expected) is expected
    gamma = normalise_crops(crops, gamma=0.8)
    torch.testing.assert_close(gamma, (crops.permute(0, 3, 1, 2).float() / 255) ** 0.8 * 2 - 1)


class TorchStandIn:
    """Engine stand-in: runs an ExportModule with torch, same names as the exported graph."""

    def __init__(self, module: ExportModule):
        self.module = module.eval()

    def run(self, inputs):
        with torch.no_grad():
            out = self.module(torch.from_numpy(inputs['image']))
        out = [out] if isinstance(out, torch.Tensor) else out
        return {n: o.numpy() for n, o in zip(self.module.output_names, out)}


@pytest.fixture(scope='module')
def net():
    model = MetrabsNet('efficientnetv2-s', J, 8, S).eval()
    model.load_state_dict(random_official_state_dict(J))  # peaky, varied heatmaps
    return model


def _info(with_decoding, input_format='uint8_nhwc'):
    return MetrabsModelInfo(
        backbone='efficientnetv2-s',
        input_size=S,
        num_points=J,
        input_format=input_format,
        with_decoding=with_decoding,
        joint_names=[f'p{i}' for i in range(J)],
        output_names=['coords2d', 'coords3d'] if with_decoding else ['heatmaps'],
        skeletons={'two': {'joint_names': ['mid01', 'p4'], 'edges': [[0, 1]], 'indices': [J, 4]}},
    )


def test_crop_model_heatmaps_and_decoded_agree(net):
    crops = np.random.default_rng(0).integers(0, 256, (3, S, S, 3), dtype=np.uint8)
    raw = MetrabsCropModel(TorchStandIn(ExportModule(net)), _info(False))
    dec = MetrabsCropModel(TorchStandIn(ExportModule(net, with_decoding=True)), _info(True))
    flt = MetrabsCropModel(
        TorchStandIn(ExportModule(net, 'float_nchw')), _info(False, 'float_nchw')
    )
    a, b, c = raw.predict(crops), dec.predict(crops), flt.predict(crops)
    assert isinstance(a, CropPrediction) and a.confidence is None
    assert a.coords2d.shape == (3, J, 2) and a.coords3d.shape == (3, J, 3)
    assert a.coords2d.dtype == np.float32 and raw.skeleton == 'metrabs_5' and raw.input_size == S
    for other in (b, c):
        # in-graph torch decoding vs numpy decoding, float32 soft-argmax: 1e-4 m, the same fraction
        # of S px
        np.testing.assert_allclose(other.coords2d, a.coords2d, atol=1e-4 * S / 2.2)
        np.testing.assert_allclose(other.coords3d, a.coords3d, atol=1e-4)
    # Crop pixels inside the cell-centre range, metres inside the 2.2 m cube centred at 0.
    assert a.coords2d.min() >= 16 - 1e-3 and a.coords2d.max() <= 48 + 1e-3
    assert np.abs(a.coords3d).max() <= 1.1 + 1e-6
    assert a.coords2d.std() > 1.0  # not a degenerate uniform heatmap
    # The same numbers as decoding the torch logits directly (mm would be 1000x larger).
    with torch.no_grad():
        logits = net(normalise_crops(torch.from_numpy(crops))).numpy()
    c2, c3 = decode_metrabs_head(logits, J, res=S)
    np.testing.assert_allclose(a.coords2d, c2, atol=1e-4)
    np.testing.assert_allclose(a.coords3d, c3, atol=1e-6)


def test_crop_model_skeleton_mapping_and_root(net):
    matrix = np.concatenate([np.eye(J), np.zeros((J, 1))], 1).astype(np.float32)  # (P, M=P+1)
    matrix[:2, J] = 0.5
    engine = TorchStandIn(ExportModule(net))
    base = MetrabsCropModel(engine, _info(False))
    mapped = MetrabsCropModel(engine, _info(False), skeleton='two', joint_transform=matrix)
    rooted = MetrabsCropModel(
        engine, _info(False), skeleton='two', joint_transform=matrix, root_joint='p4'
    )
    crops = np.random.default_rng(1).integers(0, 256, (2, S, S, 3), dtype=np.uint8)
    p, m, r = base.predict(crops), mapped.predict(crops), rooted.predict(crops)
    assert mapped.skeleton == 'two' and mapped.joint_names == ['mid01', 'p4']
    np.testing.assert_allclose(m.coords3d[:, 0], p.coords3d[:, :2].mean(1), atol=1e-6)
    np.testing.assert_allclose(m.coords2d[:, 1], p.coords2d[:, 4], atol=1e-5)
    np.testing.assert_allclose(r.coords3d, m.coords3d - m.coords3d[:, 1:2], atol=1e-6)
    assert np.all(r.coords3d[:, 1] == 0)


def test_crop_model_input_checks(net):
    model = MetrabsCropModel(TorchStandIn(ExportModule(net)), _info(False))
    empty = model.predict(np.zeros((0, S, S, 3), np.uint8))
    assert empty.coords2d.shape == (0, J, 2) and empty.coords3d.shape == (0, J, 3)
    with pytest.raises(ValueError, match='uint8'):
        model.predict(np.zeros((1, S, S, 3), np.float32))
    with pytest.raises(ValueError, match='available'):
        MetrabsCropModel(model.engine, _info(False), skeleton='smpl_24')
    with pytest.raises(ValueError, match='joint_transform'):
        MetrabsCropModel(model.engine, _info(False), skeleton='two')
