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
Engines built ahead of time with pose3d-build-engines are the ones the node's engine creation.

Loads.

TensorRT and the GPU are replaced by the test builder stand-in (trt_fake.FakeTensorRT) and a stub
of torch.cuda's device queries; the cache, the key function, the batch profiles and both code paths
are real. Running the engines is delegated to ONNX Runtime so that the node's pipeline can be built
on them.
"""

from __future__ import annotations

from pathlib import Path

from pose3d_ros.config import Pose3DConfig
import pose3d_ros.engines as engines
from pose3d_ros.engines import tensorrt_engine
from pose3d_ros.engines.base import check_onnx_file, EngineConfig, onnx_io
from pose3d_ros.engines.onnxruntime_engine import OnnxRuntimeEngine
from pose3d_ros.processor import build_pipeline
from pose3d_ros.tools import build_engines
import pytest
import torch
from trt_fake import FakeTensorRT


@pytest.fixture
def fake_gpu(monkeypatch):
    """
    Return a fake TensorRT and GPU.

    Yields (the fakes made, list of (model file, key, built) per engine creation)
    """
    fakes, created = [], []

    class StandInEngine:
        """
        `TensorRTEngine`'s cache path with ONNX Runtime doing the running.

        Profile, key and ensure_engine are TensorRTEngine's own.
        """

        name = 'tensorrt'

        def __init__(self, model_path, device, cfg: EngineConfig):
            shapes = onnx_io(check_onnx_file(Path(model_path)))[2]
            trt = FakeTensorRT(shapes)  # a strict fake of the builder for this model's inputs
            fakes.append(trt)
            cached, key, _, _ = tensorrt_engine.ensure_engine(
                trt, torch, Path(model_path), shapes, cfg, device, cfg.rebuild
            )
            created.append((Path(model_path).name, key, cached.built))
            self.key, self.path, self.batch_min = key, cached.path, key.batch_min
            self._ort = OnnxRuntimeEngine(model_path, 'cpu', EngineConfig())
            self.input_names, self.output_names = self._ort.input_names, self._ort.output_names
            self.input_shapes, self.input_dtypes = self._ort.input_shapes, self._ort.input_dtypes

        def run(self, inputs):
            return self._ort.run(inputs)

        def warmup(self, batch=1, size=0):
            self._ort.warmup(batch, size)

        def close(self):
            pass

    monkeypatch.setattr(tensorrt_engine, 'import_tensorrt', lambda: FakeTensorRT({}))
    monkeypatch.setattr(tensorrt_engine, 'TensorRTEngine', StandInEngine)
    monkeypatch.setattr(engines, 'cuda_device_count', lambda: 1)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda device=None: 'NVIDIA Orin (test)')
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: (8, 7))
    yield fakes, created


def _builds(fakes) -> int:
    return sum(name == 'Builder.build_serialized_network' for trt in fakes for name in trt.names())


def test_engines_built_by_the_cli_are_loaded_by_the_node_without_a_rebuild(fake_gpu, tmp_path):
    fakes, created = fake_gpu
    cache = tmp_path / 'engines'
    # the node's own params file, registry names as in config/pose3d.yaml
    params = tmp_path / 'pose3d.yaml'
    params.write_text(
        'pose3d_node:\n  ros__parameters:\n    detector_model: movenet_multipose\n'
        f'    crop_model: blazepose_full\n    engine_cache_dir: {cache}\n    device: cpu\n'
    )
    assert build_engines.main(['--params-file', str(params)]) == 0
    builds = _builds(fakes)
    assert builds == 2 and [c[2] for c in created] == [True, True]
    cli_keys = {c[0]: c[1] for c in created}
    files = sorted(p.name for p in cache.glob('*.engine'))
    # engine files are named by model hash
    assert len(files) == 2 and all(
        cli_keys[f'{k.model_name}.onnx'].onnx_sha256[:16] in k.file_name for k in cli_keys.values()
    )
    assert all(n.split('.')[0] + '.onnx' in cli_keys for n in files)

    created.clear()
    # The same models as the params file: the defaults. MoveNet takes any image size; its engine
    # gets the detector role's spatial profile, in its key and file name.
    pipeline = build_pipeline(
        Pose3DConfig(
            crop_model='blazepose_full',
            engine='tensorrt',
            device='cuda',
            engine_cache_dir=str(cache),
        )
    )
    assert _builds(fakes) == builds  # nothing rebuilt
    assert [c[2] for c in created] == [False, False]  # both loaded from the cache
    assert {c[0]: c[1] for c in created} == cli_keys  # the very same keys
    assert (
        pipeline.detector.engine.key.batch_max == 1
        and pipeline.crop_model.engine.key.batch_max == 16
    )
    assert pipeline.detector.engine.key.spatial == '32-384-640'
    assert '.s32-384-640.' in pipeline.detector.engine.key.file_name
    assert pipeline.crop_model.engine.key.spatial == ''  # fixed 256 x 256 crops
    # the builder was given the height/width range: min 32, opt 384, max 640 px per side
    profiles = [
        c[1] for trt in fakes for c in trt.calls if c[0] == 'IOptimizationProfile.set_shape'
    ]
    name = pipeline.detector.engine.input_names[0]
    assert (name, (1, 32, 32, 3), (1, 384, 384, 3), (1, 640, 640, 3)) in profiles
