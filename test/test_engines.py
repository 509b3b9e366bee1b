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
Engines.

ONNX Runtime vs torch parity for batch 1..16, one clear error per bad input, backend selection
"""

from __future__ import annotations

from pathlib import Path
import warnings

import numpy as np
from pose3d_ros.engines import (
    create_engine,
    cuda_device_count,
    DeviceUnavailableError,
    EngineConfigError,
    EngineInputError,
    ModelFileError,
    select_backend,
)
import pytest
import torch

SIZE = 32  # crop side, pixels


class SmallCropNet(torch.nn.Module):
    """
    MeTRAbs-shaped stand-in.

    Strided conv backbone, one 1x1 head split into 2D and 3D heatmaps
    """

    def __init__(self, joints: int = 5, depth: int = 4) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.joints = joints
        self.backbone = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
            torch.nn.BatchNorm2d(8),
            torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 3, stride=2, padding=1),
            torch.nn.ReLU(),
        )
        self.head = torch.nn.Conv2d(16, joints * (1 + depth), 1)

    def forward(self, crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.head(self.backbone(crops * 2 - 1))  # (B, J*(1+D), S/4, S/4)
        return x[:, : self.joints], x[:, self.joints:]  # (B, J, h, w) 2D, (B, J*D, h, w) 3D


def export_small_model(folder: Path) -> Path:
    """`SmallCropNet` as ONNX with a dynamic batch axis: input 'crops' (B, 3, 32, 32) float32."""
    path = folder / 'small_crop.onnx'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            SmallCropNet().eval(),
            (torch.zeros(2, 3, SIZE, SIZE),),
            str(path),
            dynamo=False,
            input_names=['crops'],
            output_names=['heatmap2d', 'heatmap3d'],
            opset_version=17,
            dynamic_axes={
                'crops': {0: 'batch'},
                'heatmap2d': {0: 'batch'},
                'heatmap3d': {0: 'batch'},
            },
        )
    return path


@pytest.fixture(scope='module')
def onnx_model(tmp_path_factory) -> Path:
    return export_small_model(tmp_path_factory.mktemp('engines'))


def torch_engine(**options):
    return create_engine(
        SmallCropNet(),
        engine='torch',
        device='cpu',
        input_names=('crops',),
        output_names=('heatmap2d', 'heatmap3d'),
        input_shapes={'crops': (-1, 3, SIZE, SIZE)},
        **options,
    )


def test_onnxruntime_matches_torch_for_batch_1_to_16(onnx_model):
    ort_engine = create_engine(onnx_model, engine='onnxruntime', device='cpu', threads=1)
    ref = torch_engine()
    assert ort_engine.input_names == ['crops'] and ort_engine.output_names == [
        'heatmap2d',
        'heatmap3d',
    ]
    assert ort_engine.input_shapes['crops'] == (-1, 3, SIZE, SIZE)
    rng, worst = np.random.default_rng(1), 0.0
    for batch in range(1, 17):
        x = {'crops': rng.random((batch, 3, SIZE, SIZE), np.float32)}
        a, b = ort_engine.run(x), ref.run(x)
        for name in ('heatmap2d', 'heatmap3d'):
            assert a[name].shape == b[name].shape and a[name].shape[0] == batch
            worst = max(worst, float(np.abs(a[name] - b[name]).max()))
    print(f'onnxruntime vs torch, fp32 CPU, batch 1..16: max abs diff {worst:.2e}')
    assert worst < 1e-4


def test_torch_program_files_and_compile(tmp_path):
    net = SmallCropNet().eval()
    x = np.random.default_rng(2).random((3, 3, SIZE, SIZE), np.float32)
    expected = torch_engine().run({'crops': x})
    program = torch.export.export(
        net,
        (torch.zeros(2, 3, SIZE, SIZE),),
        dynamic_shapes=({0: torch.export.Dim('batch', max=64)},),
    )
    torch.export.save(program, tmp_path / 'net.pt2')
    names = {'input_names': ('crops',), 'output_names': ('heatmap2d', 'heatmap3d')}
    # auto -> torch for .pt2
    from_file = create_engine(tmp_path / 'net.pt2', device='cpu', **names)
    assert from_file.name == 'torch' and 'net.pt2' in from_file.description
    compiled = create_engine(net, device='cpu', torch_compile='eager', **names)
    for engine in (from_file, compiled):
        out = engine.run({'crops': x})
        assert max(np.abs(out[k] - expected[k]).max() for k in expected) < 1e-5


def test_auto_picks_onnxruntime_without_a_gpu(onnx_model):
    assert select_backend(SmallCropNet(), 'auto', 'cpu') == 'torch'
    if cuda_device_count():
        pytest.skip('this machine has a GPU: auto may pick TensorRT')
    engine = create_engine(onnx_model)
    assert engine.name == 'onnxruntime' and 'CPUExecutionProvider cpu fp32' in engine.description
    engine.warmup(batch=2)


def test_onnxruntime_pool_threads_do_not_spin_between_runs(onnx_model):
    # The node runs two sessions in turn (detector, crop model); spinning pool threads of the one
    # that just finished took the 2 cores from the next (vtest: 141-158 -> 98-99 ms per frame
    # with spinning off).
    engine = create_engine(onnx_model, engine='onnxruntime')
    options = engine.session.get_session_options()
    assert options.get_session_config_entry('session.intra_op.allow_spinning') == '0'


@pytest.mark.parametrize(
    'content, message',
    [
        (None, 'does not exist'),
        (b'', 'is empty'),
        ('truncate', 'not a valid ONNX model'),
        (b'this is not a protobuf \xff\xfe at all', 'not a valid ONNX model'),
    ],
)
def test_bad_model_files_raise_model_file_error(tmp_path, onnx_model, content, message):
    path = tmp_path / 'broken.onnx'
    if content == 'truncate':
        data = onnx_model.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as info:
        create_engine(path, engine='onnxruntime', device='cpu')
    assert 'broken.onnx' in str(info.value)


def test_wrong_suffix_and_onnx_through_torch(tmp_path, onnx_model):
    other = tmp_path / 'weights.bin'
    other.write_bytes(b'123')
    with pytest.raises(ModelFileError, match='not an .onnx file'):
        create_engine(other, engine='onnxruntime', device='cpu')
    with pytest.raises(ModelFileError, match='cannot run the ONNX file'):
        create_engine(onnx_model, engine='torch', device='cpu')
    state_dict = tmp_path / 'ckpt.pt'
    torch.save(SmallCropNet().state_dict(), state_dict)
    with pytest.raises(ModelFileError, match='state_dict needs its model class'):
        create_engine(state_dict, engine='torch', device='cpu')


def test_wrong_inputs_raise_engine_input_error(onnx_model):
    good = np.zeros((2, 3, SIZE, SIZE), np.float32)
    for engine in (create_engine(onnx_model, engine='onnxruntime', device='cpu'), torch_engine()):
        engine.run({'crops': good})
        with pytest.raises(EngineInputError, match="missing \\['crops'\\]"):
            engine.run({'image': good})
        with pytest.raises(EngineInputError, match=r'shape \(-1, 3, 32, 32\)'):
            engine.run({'crops': good[:, :, :16]})
        with pytest.raises(EngineInputError, match='shape'):
            engine.run({'crops': good[0]})
        with pytest.raises(EngineInputError, match='dict'):
            engine.run(good)
    ort_engine = create_engine(onnx_model, engine='onnxruntime', device='cpu')
    with pytest.raises(EngineInputError, match='dtype float32, got float64'):
        ort_engine.run({'crops': good.astype(np.float64)})
    with pytest.raises(EngineInputError, match='dtype float32, got uint8'):
        ort_engine.run({'crops': good.astype(np.uint8)})


@pytest.mark.skipif(cuda_device_count() > 0, reason='this machine has a GPU')
@pytest.mark.parametrize(
    'options, message',
    [
        ({'device': 'cuda'}, "device='cuda' requested but no CUDA GPU"),
        ({'device': 'cuda:1'}, 'no CUDA GPU'),
        ({'precision': 'fp16'}, "precision='fp16' needs a CUDA GPU"),
        ({'precision': 'fp16', 'engine': 'torch'}, "precision='fp16' needs a CUDA GPU"),
        ({'engine': 'tensorrt'}, "engine='tensorrt' needs a CUDA GPU"),
    ],
)
def test_gpu_requests_on_a_cpu_only_machine(onnx_model, options, message):
    with pytest.raises(DeviceUnavailableError, match=message):
        create_engine(onnx_model, **options)


def test_cuda_graphs_on_cpu_and_bad_settings(onnx_model):
    with pytest.raises(DeviceUnavailableError, match='cuda_graphs'):
        torch_engine(cuda_graphs=True)
    for options, message in [
        ({'engine': 'tensorflow'}, "engine='tensorflow'"),
        ({'precision': 'bf16'}, "precision='bf16'"),
        ({'device': 'gpu0'}, "device='gpu0'"),
        ({'batch_min': 4, 'batch_opt': 2}, 'batch_min <= batch_opt'),
        ({'batch_size': 3}, 'unknown engine option'),
        ({'engine': 'onnxruntime', 'precision': 'int8'}, 'int8'),
    ]:
        with pytest.raises(EngineConfigError, match=message):
            create_engine(onnx_model, **options)


def test_bench_command_writes_a_table(tmp_path):
    from pose3d_ros.tools import bench_engines

    out = tmp_path / 'engines.md'
    assert (
        bench_engines.main(
            [
                '--backbone',
                'standin',
                '--input-size',
                '32',
                '--batches',
                '1,2',
                '--rounds',
                '1',
                '--output',
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text()
    assert (
        '| onnxruntime cpu fp32 |' in text and '| torch cpu fp32 |' in text and 'batch 2' in text
    )
