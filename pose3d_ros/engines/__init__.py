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
Inference engines behind one interface: TensorRT, ONNX Runtime and PyTorch.

Use only `create_engine(...)`; backends are imported lazily, so this package imports without any of
them.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from .base import (
    BackendUnavailableError,
    DeviceUnavailableError,
    Engine,
    EngineBuildError,
    EngineConfig,
    EngineConfigError,
    EngineError,
    EngineInputError,
    ModelFileError,
    parse_device,
)

__all__ = [
    'BackendUnavailableError',
    'DeviceUnavailableError',
    'Engine',
    'EngineBuildError',
    'EngineConfig',
    'EngineConfigError',
    'EngineError',
    'EngineInputError',
    'ModelFileError',
    'create_engine',
    'cuda_device_count',
    'resolve_device',
    'select_backend',
]

TORCH_SUFFIXES = ('.pt2', '.pt', '.ts', '.torchscript')


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def cuda_device_count() -> int:
    """
    Return the number of CUDA GPUs usable by torch, or 1 if only onnxruntime-gpu sees CUDA.

    Else 0
    """
    if _importable('torch'):
        import torch

        if torch.cuda.is_available():
            return torch.cuda.device_count()
    if _importable('onnxruntime'):
        import onnxruntime

        if 'CUDAExecutionProvider' in onnxruntime.get_available_providers():
            return 1
    return 0


def resolve_device(device: str, precision: str = 'fp32') -> str:
    """
    'auto' | 'cpu' | 'cuda' | 'cuda:N' -> 'cpu' or 'cuda:N'.

    DeviceUnavailableError for impossible requests
    """
    kind, index = parse_device(device)
    count = cuda_device_count()
    if kind == 'auto':
        kind = 'cuda' if count else 'cpu'
    if kind == 'cuda' and index >= count:
        have = 'no CUDA GPU is usable here' if count == 0 else f'only {count} CUDA device(s) exist'
        raise DeviceUnavailableError(f"device={device!r} requested but {have}; use device='cpu'")
    if kind == 'cpu' and precision != 'fp32':
        raise DeviceUnavailableError(
            f'precision={precision!r} needs a CUDA GPU but the device is the CPU '
            f"({'no GPU here' if count == 0 else 'device=' + repr(device)}); use precision='fp32'"
        )
    return 'cpu' if kind == 'cpu' else f'cuda:{index}'


def select_backend(model: Any, engine: str, device: str) -> str:
    """
    Choose the backend for `engine`.

    'auto' -> TensorRT on a GPU where it imports, else ONNX Runtime, else torch.
    """
    if engine != 'auto':
        return engine
    if not isinstance(model, (str, os.PathLike)) or Path(model).suffix.lower() in TORCH_SUFFIXES:
        return 'torch'  # a torch module or file: only torch runs it
    if device.startswith('cuda') and _importable('tensorrt'):
        return 'tensorrt'
    if _importable('onnxruntime'):
        return 'onnxruntime'
    return 'torch'


def create_engine(
    model_path: Any,
    engine: str | None = None,
    device: str | None = None,
    precision: str | None = None,
    *,
    config: EngineConfig | None = None,
    **options: Any,
) -> Engine:
    """
    Load a network on the best or requested backend.

    model_path: .onnx file (all backends but torch), .pt2 / TorchScript file or torch.nn.Module
    (torch). engine: "auto" | "tensorrt" | "onnxruntime" | "torch"; device: "auto" | "cpu" | "cuda"
    | "cuda:N"; precision: "fp32" | "fp16" | "int8". None takes the value of `config` (defaults
    "auto", "auto", "fp32"). options: any other EngineConfig field (threads, cache_dir,
    batch_min/opt/max, workspace_mb, ...). Raises an EngineError subclass naming the file or
    parameter for every foreseeable failure.
    """
    explicit = {
        k: v for k, v in (('engine', engine), ('device', device), ('precision', precision)) if v
    }
    cfg = EngineConfig.from_options(config, **explicit, **options)
    if cfg.precision == 'int8' and cfg.engine not in ('auto', 'tensorrt'):
        raise EngineConfigError(
            f"precision='int8' is supported only by engine='tensorrt', not {cfg.engine!r}"
        )
    dev = resolve_device(cfg.device, cfg.precision)
    backend = select_backend(model_path, cfg.engine, dev)
    if cfg.precision == 'int8' and backend != 'tensorrt':
        raise BackendUnavailableError(
            "precision='int8' needs TensorRT, which is not importable here"
            f' (engine={cfg.engine!r})'
        )
    if backend == 'onnxruntime':
        from .onnxruntime_engine import OnnxRuntimeEngine

        return OnnxRuntimeEngine(model_path, dev, cfg)
    if backend == 'torch':
        from .torch_engine import TorchEngine

        return TorchEngine(model_path, dev, cfg)
    if dev == 'cpu':
        raise DeviceUnavailableError(
            f"engine='tensorrt' needs a CUDA GPU but the device is the CPU ({cfg.device!r})"
        )
    from .tensorrt_engine import TensorRTEngine

    return TensorRTEngine(model_path, dev, cfg)
