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
`TensorRT` backend.

The builder's calls, argument types and order against a strict stand-in for the TensorRT 10 Python
API (test/trt_fake.py, always), the build command's messages (always), and real builds and runs
wherever `tensorrt` imports with a CUDA GPU (skipped elsewhere).
"""

from __future__ import annotations

import sys

import numpy as np
from pose3d_ros.engines import (
    BackendUnavailableError,
    create_engine,
    cuda_device_count,
    DeviceUnavailableError,
)
from pose3d_ros.engines.base import EngineBuildError, EngineConfig, EngineConfigError
from pose3d_ros.engines.tensorrt_engine import (
    batch_profile,
    build_serialized_engine,
    import_tensorrt,
    profile_spatial,
)
from pose3d_ros.tools import build_engines
import pytest
from trt_fake import APIError, FakeTensorRT


def test_builder_calls_the_real_api_in_order(tmp_path):
    trt = FakeTensorRT({'crops': (-1, 3, 16, 16)})
    cfg = EngineConfig(precision='fp16', batch_min=1, batch_opt=4, batch_max=8, workspace_mb=512)
    profile = batch_profile({'crops': (-1, 3, 16, 16)}, cfg, 'm.onnx')
    timing, lines = tmp_path / 'timing.cache', []
    plan = build_serialized_engine(
        trt, tmp_path / 'm.onnx', cfg, profile, timing, tmp_path / 'c', None, lines.append
    )
    # the cache was created empty, then saved
    assert plan == b'plan' and timing.read_bytes() == b'timing:'
    assert trt.names() == [
        'Logger',
        'Builder',
        'Builder.create_network',
        'OnnxParser',
        'OnnxParser.parse_from_file',
        'Builder.create_builder_config',
        'IBuilderConfig.set_memory_pool_limit',
        'IBuilderConfig.set_flag',
        'Builder.create_optimization_profile',
        'IOptimizationProfile.set_shape',
        'IBuilderConfig.add_optimization_profile',
        'IBuilderConfig.create_timing_cache',
        'IBuilderConfig.set_timing_cache',
        'IBuilderConfig.progress_monitor',
        'Builder.build_serialized_network',
        'IBuilderConfig.get_timing_cache',
        'ITimingCache.serialize',
    ]
    args = dict(trt.calls)
    assert args['Builder.create_network'] == (0,)  # TensorRT 10: no EXPLICIT_BATCH flag exists
    assert args['OnnxParser.parse_from_file'] == (str(tmp_path / 'm.onnx'),)
    assert args['IBuilderConfig.set_memory_pool_limit'] == (
        trt.MemoryPoolType.WORKSPACE,
        512 << 20,
    )
    assert args['IBuilderConfig.set_flag'] == (trt.BuilderFlag.FP16,)
    assert args['IOptimizationProfile.set_shape'] == (
        'crops',
        (1, 3, 16, 16),
        (4, 3, 16, 16),
        (8, 3, 16, 16),
    )
    assert (
        args['IBuilderConfig.create_timing_cache'] == (b'',)
        and args['IBuilderConfig.set_timing_cache'][1] is False
    )
    network, config = args['Builder.build_serialized_network']
    assert (
        args['OnnxParser'][0] is network
        and args['IBuilderConfig.add_optimization_profile'][0] in config.profiles
    )
    # 5 s throttle
    assert lines == ['TensorRT: Building engine (3 steps)', 'TensorRT: Building engine step 1/3']
    # A second build reads the timing cache written by the first.
    trt2 = FakeTensorRT({'crops': (-1, 3, 16, 16)})
    build_serialized_engine(
        trt2, tmp_path / 'm.onnx', cfg, profile, timing, tmp_path / 'c', None, print
    )
    assert dict(trt2.calls)['IBuilderConfig.create_timing_cache'] == (b'timing:',)


def test_int8_build_sets_calibrator_and_profile(tmp_path):
    trt = FakeTensorRT({'crops': (-1, 3, 16, 16)})
    cfg = EngineConfig(
        precision='int8', batch_opt=2, int8_calibration_data=[{'crops': np.zeros((2, 3, 16, 16))}]
    )
    profile = batch_profile({'crops': (-1, 3, 16, 16)}, cfg, 'm.onnx')
    pytest.importorskip('torch')
    assert (
        build_serialized_engine(
            trt, tmp_path / 'm.onnx', cfg, profile, None, tmp_path / 'c', 'cpu', print
        )
        == b'plan'
    )
    names = trt.names()
    assert [a for n, a in trt.calls if n == 'IBuilderConfig.set_flag'] == [
        (trt.BuilderFlag.FP16,),
        (trt.BuilderFlag.INT8,),
    ]
    assert names.index('IBuilderConfig.int8_calibrator') < names.index(
        'Builder.build_serialized_network'
    )
    assert names.index('IBuilderConfig.set_calibration_profile') < names.index(
        'Builder.build_serialized_network'
    )
    assert 'IBuilderConfig.create_timing_cache' not in names  # no timing cache asked for


def test_the_fake_refuses_what_tensorrt_refuses(tmp_path):
    """
    Return the stand-in is strict.

    Wrong types and wrong order fail, as with the real bindings
    """
    trt = FakeTensorRT({'x': (-1, 3)})
    builder = trt.Builder(trt.Logger(trt.Logger.WARNING))
    config = builder.create_builder_config()
    with pytest.raises(TypeError):
        config.set_flag(0)  # an int is not a BuilderFlag
    with pytest.raises(TypeError):
        # a Path
        trt.OnnxParser(builder.create_network(0), trt.Logger()).parse_from_file(
            tmp_path / 'm.onnx'
        )
    with pytest.raises(APIError, match='no parser'):
        builder.build_serialized_network(builder.create_network(0), config)
    network = builder.create_network(0)
    trt.OnnxParser(network, trt.Logger()).parse_from_file('m.onnx')
    with pytest.raises(APIError, match='without an optimisation profile'):
        builder.build_serialized_network(network, config)
    with pytest.raises(APIError, match='min <= opt <= max'):
        builder.create_optimization_profile().set_shape('x', (4, 3), (1, 3), (8, 3))
    with pytest.raises(TypeError, match='base class|__init__'):

        class Monitor(trt.IProgressMonitor):

            def __init__(self):  # forgets IProgressMonitor.__init__(self)
                pass

        config.progress_monitor = Monitor()
    with pytest.raises(TypeError):
        config.set_timing_cache(config.create_timing_cache(b''), ignore_mismatch=0)


def test_builder_errors_are_clear(tmp_path):
    cfg = EngineConfig()
    profile = batch_profile({'x': (-1, 3)}, cfg, 'm.onnx')
    with pytest.raises(EngineBuildError, match='cannot parse.*Unsupported ONNX op Foo'):
        build_serialized_engine(
            FakeTensorRT({'x': (-1, 3)}, parse_ok=False),
            tmp_path / 'm.onnx',
            cfg,
            profile,
            None,
            tmp_path / 'c',
            None,
            print,
        )
    with pytest.raises(EngineBuildError, match='failed to build'):
        build_serialized_engine(
            FakeTensorRT({'x': (-1, 3)}, build_ok=False),
            tmp_path / 'm.onnx',
            cfg,
            profile,
            None,
            tmp_path / 'c',
            None,
            print,
        )
    with pytest.raises(EngineConfigError, match='int8_calibration_data'):
        build_serialized_engine(
            FakeTensorRT({'x': (-1, 3)}),
            tmp_path / 'm.onnx',
            EngineConfig(precision='int8'),
            profile,
            None,
            tmp_path / 'missing.calib',
            None,
            print,
        )


def test_batch_profile():
    cfg = EngineConfig(batch_min=2, batch_opt=4, batch_max=16)
    assert batch_profile({'x': (-1, 3, 8, 8)}, cfg, 'm')['x'] == (
        (2, 3, 8, 8),
        (4, 3, 8, 8),
        (16, 3, 8, 8),
    )
    # fixed batch in the file
    assert batch_profile({'x': (1, 3, 8, 8)}, cfg, 'm')['x'] == ((1, 3, 8, 8),) * 3
    with pytest.raises(EngineConfigError, match='dynamic dimensions besides the batch'):
        batch_profile({'x': (-1, 3, -1, -1)}, cfg, 'm.onnx')
    # a detector taking any image size: height and width get the spatial profile
    cfg = EngineConfig(
        batch_min=1, batch_opt=1, batch_max=1, spatial_min=32, spatial_opt=384, spatial_max=640
    )
    profile = batch_profile({'x': (1, -1, -1, 3)}, cfg, 'm')
    assert profile['x'] == ((1, 32, 32, 3), (1, 384, 384, 3), (1, 640, 640, 3))
    assert profile_spatial(profile, {'x': (1, -1, -1, 3)}) == (32, 384, 640)
    assert profile_spatial(profile, {'x': (1, 8, 8, 3)}) == ()
    with pytest.raises(EngineConfigError, match='spatial profile'):
        EngineConfig(spatial_min=64, spatial_opt=32, spatial_max=640).validate()


def test_missing_tensorrt_gives_an_install_message(monkeypatch, tmp_path, capsys):
    # import tensorrt -> ImportError, even where installed
    monkeypatch.setitem(sys.modules, 'tensorrt', None)
    with pytest.raises(BackendUnavailableError, match='pip install tensorrt'):
        import_tensorrt()
    model = tmp_path / 'crop.onnx'
    model.write_bytes(b'x')
    assert build_engines.main(['--crop-model', str(model)]) == 2
    err = capsys.readouterr().err
    assert 'not importable' in err and 'JetPack' in err and "engine='onnxruntime'" in err


def test_build_command_reads_the_params_file(tmp_path, capsys):
    params = tmp_path / 'pose3d.yaml'
    params.write_text(
        'pose3d_node:\n  ros__parameters:\n    crop_model: models/crop.onnx\n'
        '    detector_model: ssdlite_person\n    precision: fp16\n    batch_max: 32\n'
        '    engine_cache_dir: /tmp/engines\n    unrelated: 3\n'
    )
    args = build_engines.parse_args(['--params-file', str(params), '--model', 'x.onnx'])
    models, common = build_engines.collect(args)
    from pose3d_ros.models.registry import model_path

    # the node's profiles
    fixed = {'spatial_min': 0, 'spatial_opt': 0, 'spatial_max': 0}  # crops have a fixed size
    node_crop = {'batch_min': 1, 'batch_opt': 8, 'batch_max': 16, **fixed, 'workspace_mb': 1024}
    # a detector may take any image size: 32 to 640 px per side, tuned for 384
    any_size = {'spatial_min': 32, 'spatial_opt': 384, 'spatial_max': 640}
    # batch_max: not a node parameter
    assert models == [
        (
            str(model_path('ssdlite_person')),  # registry names resolve to the embedded file
            {'batch_min': 1, 'batch_opt': 1, 'batch_max': 1, **any_size, 'workspace_mb': 1024},
        ),
        ('models/crop.onnx', node_crop),
        ('x.onnx', node_crop),
    ]
    assert common['precision'] == 'fp16' and common['device'] == 'cuda'
    assert common['cache_dir'] == '/tmp/engines' and common['rebuild'] is False
    flags = build_engines.collect(
        build_engines.parse_args(['--crop-model', 'c.onnx', '--batch-opt', '4'])
    )[0]
    assert flags == [('c.onnx', {**node_crop, 'batch_opt': 4})]  # an explicit flag still wins
    assert build_engines.main([]) == 2 and 'no models' in capsys.readouterr().err


@pytest.mark.skipif(cuda_device_count() > 0, reason='this machine has a GPU')
def test_tensorrt_request_on_a_cpu_only_machine(tmp_path):
    with pytest.raises(DeviceUnavailableError, match='needs a CUDA GPU'):
        create_engine(tmp_path / 'm.onnx', engine='tensorrt')


# ---- real TensorRT: only where it imports and a CUDA GPU exists
# -------------------------------------------


@pytest.fixture(scope='module')
def real_trt():
    try:
        import_tensorrt()
    except BackendUnavailableError:
        print("SKIP real TensorRT tests: the 'tensorrt' Python package is not importable here")
        pytest.skip('tensorrt (with a Builder) is not importable here')
    import torch

    if not torch.cuda.is_available():
        print('SKIP real TensorRT tests: no CUDA GPU usable by torch')
        pytest.skip('no CUDA GPU usable by torch')


@pytest.fixture(scope='module')
def crop_onnx(tmp_path_factory):
    from test_engines import export_small_model

    return export_small_model(tmp_path_factory.mktemp('trt'))


def test_real_tensorrt_parity_chunking_and_cache(real_trt, crop_onnx, tmp_path):
    lines: list[str] = []
    opts = {
        'cache_dir': str(tmp_path),
        'batch_min': 1,
        'batch_opt': 4,
        'batch_max': 8,
        'progress': lines.append,
    }
    trt_engine = create_engine(crop_onnx, engine='tensorrt', device='cuda', **opts)
    ort_engine = create_engine(crop_onnx, engine='onnxruntime', device='cpu')
    rng = np.random.default_rng(0)
    for batch in (1, 3, 8, 20):  # 20 > batch_max: run in chunks
        x = {'crops': rng.random((batch, 3, 32, 32), np.float32)}
        a, b = trt_engine.run(x), ort_engine.run(x)
        for name in ort_engine.output_names:
            diff = np.abs(a[name] - b[name]).max()
            print(f'tensorrt fp32 vs onnxruntime, batch {batch}, {name}: max abs diff {diff:.2e}')
            assert a[name].shape == b[name].shape and diff < 1e-3
    assert any('built' in s for s in lines)
    again = create_engine(crop_onnx, engine='tensorrt', device='cuda', **opts)
    # loaded, not rebuilt
    assert again.path == trt_engine.path and sum('built ' in s for s in lines) == 1
    fp16 = create_engine(
        crop_onnx, engine='tensorrt', device='cuda', precision='fp16', cache_dir=str(tmp_path)
    )
    x = {'crops': rng.random((4, 3, 32, 32), np.float32)}
    for name in ort_engine.output_names:
        assert np.abs(fp16.run(x)[name] - ort_engine.run(x)[name]).max() < 5e-2
