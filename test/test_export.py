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
pose3d-export: release folder -> ONNX + sidecar.

Onnxruntime-vs-torch parity at batch 1 and 4
"""

from __future__ import annotations

import json

from metrabs_helpers import random_official_state_dict, write_release
import numpy as np
import onnx
from pose3d_ros.core.decode import decode_metrabs_head
from pose3d_ros.core.metrabs_import import load_metrabs
from pose3d_ros.models.metrabs import MetrabsCropModel
from pose3d_ros.tools.export import ExportModule, main, verify_onnx
import pytest
import torch

J, S = 6, 64
# ONNX Runtime and torch sum the float32 soft-argmax in different orders (thread count and CPU
# dependent):
# measured up to 1.1e-5 m and 2.3e-4 px. Tolerances from float32 numerics: 1e-4 m in the 2.2 m crop
# cube, the
# same fraction of the S-px crop in pixels (3e-3 px at 64 px). A real decoding bug is off by >= 1
# px / 1 cm.
ATOL_M = 1e-4
ATOL_PX = ATOL_M * S / 2.2


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """
    One release folder exported twice.

    Raw heatmaps (float NHWC input, the default for releases) and with decoding (uint8 NHWC input,
    5 test-time augmentations).
    """
    root = tmp_path_factory.mktemp('export')
    release = write_release(root / 'release', random_official_state_dict(J, seed=3), J, S)
    raw, dec = root / 'raw' / 'metrabs.onnx', root / 'dec' / 'metrabs.onnx'
    assert main(['--release', str(release), '-o', str(raw)]) == 0
    assert (
        main(
            [
                '--release',
                str(release),
                '-o',
                str(dec),
                '--with-decoding',
                '--input-format',
                'uint8_nhwc',
                '--num-aug',
                '5',
            ]
        )
        == 0
    )
    net, _ = load_metrabs(release)
    return net, raw, dec


@pytest.fixture(scope='module')
def sessions(exported):
    import onnxruntime as ort

    _, raw, dec = exported
    return tuple(
        ort.InferenceSession(str(p), providers=['CPUExecutionProvider']) for p in (raw, dec)
    )


def test_graph_names_and_dynamic_batch(exported):
    _, raw, dec = exported
    for path, outputs, dtype in (
        (raw, ['heatmaps'], onnx.TensorProto.FLOAT),
        (dec, ['coords2d', 'coords3d'], onnx.TensorProto.UINT8),
    ):
        graph = onnx.load(str(path)).graph
        (inp,) = graph.input
        dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
        assert inp.name == 'image' and dims == ['batch', S, S, 3]
        assert inp.type.tensor_type.elem_type == dtype
        assert [o.name for o in graph.output] == outputs
        assert all(o.type.tensor_type.shape.dim[0].dim_param == 'batch' for o in graph.output)


def test_sidecar(exported):
    _, raw, dec = exported
    info = json.loads(raw.with_suffix('.json').read_text())
    assert info['format'] == 'pose3d_ros.metrabs/1' and info['input_size'] == S
    assert (
        info['input_name'] == 'image'
        and info['input_format'] == 'float_nhwc'
        and info['gamma'] == 1.0
    )
    # the official crop / reconstruction settings of the release config travel with the model
    st = info['settings']
    assert (st['box_scale'], st['square_box'], st['gamma'], st['l2_regularizer']) == (
        1.0,
        False,
        0.8,
        0.01,
    )
    assert st['origin'] == 'corner' and st['map_after_reconstruction'] and st['poses2d_from_3d']
    assert st['centered_stride'] and not st['legacy_centered_stride_bug'] and st['num_aug'] == 1
    assert json.loads(dec.with_suffix('.json').read_text())['settings']['num_aug'] == 5
    assert info['output_names'] == ['heatmaps'] and not info['with_decoding']
    assert info['box_size_m'] == pytest.approx(2.2) and info['heatmap_offset_px'] == 16
    assert info['joint_names'] == [f'pt{i}' for i in range(J)]
    assert info['skeletons']['tiny_3']['joint_names'] == ['a', 'b', 'mid_ab']
    assert np.load(raw.parent / info['joint_transform_file']).shape == (J, J + 1)
    assert json.loads(dec.with_suffix('.json').read_text())['output_names'] == [
        'coords2d',
        'coords3d',
    ]


def test_onnx_matches_torch(exported, sessions):
    net, raw, dec = exported
    raw_diff = verify_onnx(ExportModule(net, 'float_nhwc'), raw, (1, 4), sessions[0])
    dec_diff = verify_onnx(ExportModule(net, with_decoding=True), dec, (1, 4), sessions[1])
    print(
        f"\nparity batch 1+4: heatmaps {raw_diff['heatmaps']:.2e} (logits), "
        f"coords2d {dec_diff['coords2d']:.2e} px, coords3d {dec_diff['coords3d']:.2e} m"
    )
    assert raw_diff['heatmaps'] < 1e-3  # logits of O(10): float32 relative 1e-4 (measured 4e-5)
    assert dec_diff['coords2d'] < ATOL_PX and dec_diff['coords3d'] < ATOL_M


def test_exported_decoding_equals_torch_decode(exported, sessions):
    net, _, _ = exported

    crops = np.random.default_rng(7).integers(0, 256, (4, S, S, 3), dtype=np.uint8)
    with torch.no_grad():
        logits = ExportModule(net)(torch.from_numpy(crops)).numpy()
    ref2d, ref3d = decode_metrabs_head(logits, J, res=S)  # (4, J, 2) px, (4, J, 3) m
    assert ref2d.std() > 1.0  # heatmaps are peaky and varied, not uniform
    c2, c3 = sessions[1].run(['coords2d', 'coords3d'], {'image': crops})
    print(
        f'\nONNX decoding vs core.decode: {np.abs(c2 - ref2d).max():.2e} px, '
        f'{np.abs(c3 - ref3d).max():.2e} m'
    )
    np.testing.assert_allclose(c2, ref2d, atol=ATOL_PX)
    np.testing.assert_allclose(c3, ref3d, atol=ATOL_M)


def test_crop_model_from_file_on_onnxruntime(exported, sessions):
    _, raw, _ = exported
    crops = np.random.default_rng(8).integers(0, 256, (3, S, S, 3), dtype=np.uint8)
    model = MetrabsCropModel.from_file(raw, skeleton='tiny_3', engine='onnxruntime', device='cpu')
    # engines.create_engine + core.decode + skeleton mapping (float graph input)
    a = model.predict(crops)
    c2, c3 = sessions[1].run(['coords2d', 'coords3d'], {'image': crops})  # (3, J, .) decoded
    assert model.joint_names == ['a', 'b', 'mid_ab'] and a.coords3d.shape == (3, 3, 3)
    np.testing.assert_allclose(a.coords2d[:, :2], c2[:, :2], atol=ATOL_PX)
    np.testing.assert_allclose(a.coords3d[:, :2], c3[:, :2], atol=ATOL_M)
    # one float32 mean: ~1e-7
    np.testing.assert_allclose(a.coords3d[:, 2], a.coords3d[:, :2].mean(1), atol=1e-6)
    # the official path: float crops, all points, cube-corner origin (the decoded graph is 8-bit:
    # rounded crops)
    p2, p3 = model.predict_points(crops.astype(np.float32) / 255)
    np.testing.assert_allclose(p2, c2, atol=ATOL_PX)
    np.testing.assert_allclose(p3, c3 + 1.1, atol=ATOL_M)


def test_cli_errors(tmp_path, capsys):
    assert main(['--release', str(tmp_path / 'missing'), '-o', str(tmp_path / 'm.onnx')]) == 2
    assert 'does not exist' in capsys.readouterr().err
    (tmp_path / 'empty').mkdir()
    assert main(['--release', str(tmp_path / 'empty'), '-o', str(tmp_path / 'm.onnx')]) == 2
    assert 'has no config.yaml' in capsys.readouterr().err
    assert main(['--random-init', '-o', str(tmp_path / 'm.txt')]) == 2
    assert 'must end in .onnx' in capsys.readouterr().err
    assert main(['--random-init', '--input-size', '100', '-o', str(tmp_path / 'm.onnx')]) == 2
    assert 'multiple of 32' in capsys.readouterr().err
    assert not list(tmp_path.glob('*.onnx*'))
