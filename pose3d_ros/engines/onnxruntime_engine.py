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
ONNX Runtime engine.

TensorRT / CUDA execution providers when present and asked for, CPU otherwise
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import (
    BackendUnavailableError,
    check_onnx_file,
    DeviceUnavailableError,
    Engine,
    EngineConfig,
    EngineError,
    ModelFileError,
    onnx_io,
)


def choose_providers(available: list[str], device: str, cfg: EngineConfig) -> list:
    """
    Execute providers (with options) for `device` ('cpu' | 'cuda:N') from the `available`.

    Ones
    """
    if device == 'cpu':
        return ['CPUExecutionProvider']
    index = int(device.split(':')[1])
    providers: list = []
    if 'TensorrtExecutionProvider' in available:
        providers.append(
            (
                'TensorrtExecutionProvider',
                {
                    'device_id': index,
                    'trt_fp16_enable': cfg.precision == 'fp16',
                    'trt_max_workspace_size': cfg.workspace_mb << 20,  # bytes
                    'trt_engine_cache_enable': True,
                    'trt_engine_cache_path': str(cfg.cache_path / 'onnxruntime_trt'),
                    'trt_timing_cache_enable': cfg.timing_cache,
                },
            )
        )
    elif cfg.precision == 'fp16':
        raise DeviceUnavailableError(
            "precision='fp16' with engine='onnxruntime' needs its TensorrtExecutionProvider,"
            f" which this onnxruntime lacks (providers {available}); use engine='torch' or"
            " 'tensorrt', or precision='fp32'"
        )
    if 'CUDAExecutionProvider' in available:
        providers.append(('CUDAExecutionProvider', {'device_id': index}))
    if not providers:
        raise DeviceUnavailableError(
            f"device={device!r} with engine='onnxruntime' needs onnxruntime-gpu (CUDA execution"
            f' provider); this onnxruntime has only {available}. Install onnxruntime-gpu or use'
            " device='cpu'"
        )
    return providers + ['CPUExecutionProvider']


class OnnxRuntimeEngine(Engine):
    """An .onnx model in an onnxruntime.InferenceSession."""

    name = 'onnxruntime'

    def __init__(self, model_path: str | Path, device: str, cfg: EngineConfig) -> None:
        """
        model_path: .onnx file; device: 'cpu' | 'cuda:N' (resolved); cfg.

        Threads, precision, cache_dir
        """
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise BackendUnavailableError(
                "engine='onnxruntime' needs: pip install onnxruntime"
            ) from exc
        model = check_onnx_file(model_path)
        self.input_names, self.output_names, self.input_shapes, self.input_dtypes = onnx_io(model)
        del model
        self.source = str(model_path)
        self.device, self.precision = device, cfg.precision
        providers = choose_providers(ort.get_available_providers(), device, cfg)
        if device != 'cpu':
            (cfg.cache_path / 'onnxruntime_trt').mkdir(parents=True, exist_ok=True)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.inter_op_num_threads = 1
        # idle pool threads sleep instead of spinning: the node runs a detector and a crop model
        # (two sessions) one after the other, and a finished session's spinning threads took the
        # cores from the next one (vtest, 2 cores: 141-158 -> 98-99 ms per frame, detector 69-76
        # -> 48-53 ms, BlazePose x5 57-65 -> 35 ms)
        opts.add_session_config_entry('session.intra_op.allow_spinning', '0')
        if cfg.threads:
            opts.intra_op_num_threads = cfg.threads
        self.threads = cfg.threads
        try:
            self.session = ort.InferenceSession(
                str(model_path), sess_options=opts, providers=providers
            )
        # the file passed onnx.checker, so this is an unsupported op / provider issue
        except Exception as exc:
            raise ModelFileError(
                f'onnxruntime cannot load {str(model_path)!r}: {str(exc)[:400]}'
            ) from exc
        self.providers = self.session.get_providers()

    @property
    def description(self) -> str:
        return (
            f'onnxruntime {self.providers[0]} {self.device} {self.precision} '
            f"threads={self.threads or 'default'} {self.source}"
        )

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            outputs = self.session.run(self.output_names, inputs)
        except Exception as exc:
            shapes = {k: v.shape for k, v in inputs.items()}
            raise EngineError(
                f'onnxruntime failed on {self.source} with inputs {shapes}: {str(exc)[:400]}'
            ) from exc
        return dict(zip(self.output_names, outputs))

    def close(self) -> None:
        self.session = None
