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
Engine interface, configuration, errors and model-file checks shared by every backend.

The batch axis is axis 0 of every input and output. Shapes use -1 for a dynamic dimension.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

ENGINES = ('auto', 'tensorrt', 'onnxruntime', 'torch')
PRECISIONS = ('fp32', 'fp16', 'int8')


class EngineError(RuntimeError):
    """Base of every error raised by pose3d_ros.engines."""


class ModelFileError(EngineError):
    """The model file is missing, empty, truncated or not in a format the chosen engine reads."""


class EngineInputError(EngineError):
    """run() got a wrong input name, shape or dtype."""


class DeviceUnavailableError(EngineError):
    """
    A GPU-only request on a machine or backend that cannot do it.

    For example device cuda, fp16/int8 or CUDA graphs.
    """


class BackendUnavailableError(EngineError):
    """The requested backend library (tensorrt, onnxruntime, torch) is not importable."""


class EngineConfigError(EngineError):
    """An unknown engine/precision/option name or an inconsistent setting."""


class EngineBuildError(EngineError):
    """Building an engine (TensorRT) failed."""


@dataclass
class EngineConfig:
    """Every setting of an engine; filled from node parameters or create_engine keyword options."""

    engine: str = 'auto'  # auto | tensorrt | onnxruntime | torch
    device: str = 'auto'  # auto (cuda:0 if a CUDA GPU is usable, else cpu) | cpu | cuda | cuda:N
    precision: str = 'fp32'  # fp32 | fp16 (GPU only) | int8 (TensorRT only, needs calibration)
    # CPU intra-op threads (ONNX Runtime; torch sets it process-wide); 0 = library default
    threads: int = 0
    # TensorRT engines, timing cache, ORT-TensorRT cache
    cache_dir: str = '~/.cache/pose3d_ros/engines'
    batch_min: int = 1  # TensorRT optimisation profile, batch axis: smallest batch
    batch_opt: int = 8  # ... batch the kernels are tuned for (typical number of crops per frame)
    batch_max: int = 16  # ... largest batch of one call; larger batches are run in chunks
    workspace_mb: int = 1024  # TensorRT builder workspace memory pool limit, MiB
    # TensorRT optimisation profile of every other dynamic dimension (e.g. the height and width of
    # a detector taking any image size): smallest, typical and largest size; 0 = such inputs are
    # refused
    spatial_min: int = 0
    spatial_opt: int = 0
    spatial_max: int = 0
    timing_cache: bool = True  # keep the TensorRT timing cache in cache_dir (faster rebuilds)
    # path of the INT8 calibration cache ("" = <cache_dir>/<model>.calib)
    int8_calibration_cache: str = ''
    # INT8 calibration batches
    int8_calibration_data: Iterable[Mapping[str, np.ndarray]] | None = None
    rebuild: bool = False  # force a TensorRT engine rebuild even when the cached one is valid
    # torch on CUDA: capture one CUDA graph per batch size (fixed batches)
    cuda_graphs: bool = False
    # torch: torch.compile backend ("inductor", "eager"...); "" = no compile
    torch_compile: str = ''
    # torch module: names of its positional inputs (default "input")
    input_names: tuple[str, ...] = ()
    # torch module: names of its outputs (default "output", "output_N")
    output_names: tuple[str, ...] = ()
    # torch module: shapes to check, -1 dynamic
    input_shapes: Mapping[str, tuple[int, ...]] | None = None
    progress: Callable[[str], None] | None = None  # receives progress lines while an engine builds

    @classmethod
    def from_options(cls, base: EngineConfig | None = None, **options: Any) -> EngineConfig:
        """
        Copy `base` (or the defaults) with `options` applied.

        Unknown names raise EngineConfigError
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise EngineConfigError(f'unknown engine option(s) {unknown}; known: {sorted(known)}')
        values = {f.name: getattr(base, f.name) for f in fields(cls)} if base else {}
        values.update(options)
        cfg = cls(**values)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        """Raise EngineConfigError for a value outside its allowed set."""
        if self.engine not in ENGINES:
            raise EngineConfigError(f'engine={self.engine!r}: expected one of {ENGINES}')
        if self.precision not in PRECISIONS:
            raise EngineConfigError(f'precision={self.precision!r}: expected one of {PRECISIONS}')
        parse_device(self.device)
        if not 1 <= self.batch_min <= self.batch_opt <= self.batch_max:
            raise EngineConfigError(
                'batch profile must satisfy 1 <= batch_min <= batch_opt <= batch_max, got '
                f'{self.batch_min}/{self.batch_opt}/{self.batch_max}'
            )
        spatial = (self.spatial_min, self.spatial_opt, self.spatial_max)
        if spatial != (0, 0, 0) and not 1 <= spatial[0] <= spatial[1] <= spatial[2]:
            raise EngineConfigError(
                'spatial profile must be 0/0/0 (none) or satisfy 1 <= spatial_min <= spatial_opt'
                f' <= spatial_max, got {spatial[0]}/{spatial[1]}/{spatial[2]}'
            )
        if self.threads < 0 or self.workspace_mb <= 0:
            raise EngineConfigError(
                f'threads={self.threads} must be >= 0, workspace_mb={self.workspace_mb} > 0'
            )

    @property
    def cache_path(self) -> Path:
        """cache_dir with ~ expanded."""
        return Path(os.path.expanduser(self.cache_dir))


def parse_device(device: str) -> tuple[str, int]:
    """
    'cpu' -> ('cpu', 0); 'cuda' -> ('cuda', 0); 'cuda:N' -> ('cuda', N).

    'auto' -> ('auto', 0)
    """
    kind, _, index = str(device).partition(':')
    if kind in ('cpu', 'auto') and not index:
        return kind, 0
    if kind == 'cuda' and (not index or index.isdigit()):
        return 'cuda', int(index or 0)
    raise EngineConfigError(f"device={device!r}: expected 'auto', 'cpu', 'cuda' or 'cuda:N'")


class Engine(ABC):
    """One loaded network: named numpy inputs in, named numpy outputs out, batch on axis 0."""

    name: str = 'engine'  # backend name for diagnostics ("onnxruntime", "torch", "tensorrt")
    input_names: list[str]
    output_names: list[str]
    input_shapes: dict[str, tuple[int, ...] | None]  # -1 = dynamic dimension; None = not known
    input_dtypes: dict[str, np.dtype | None]  # expected dtype of each input; None = not checked
    source: str = ''  # model file (or module class name) the engine was made from

    @property
    def description(self) -> str:
        """One line for logs and /diagnostics: backend, device, precision, model."""
        return f'{self.name} {self.source}'

    def run(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """
        Run one batch: inputs name -> (B, ...) array.

        Returns name -> (B, ...) array (float32 for floats)
        """
        arrays = self.check_inputs(inputs)
        return self._run(arrays)

    @abstractmethod
    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Backend call on validated, C-contiguous inputs."""

    def warmup(self, batch: int = 1, size: int = 0) -> None:
        """
        Run zeros of `batch` once (allocations, lazy initialisation, autotuning).

        `size` (> 0) stands for every dynamic non-batch dimension (a detector's height and width).
        """
        feed = {}
        for name in self.input_names:
            shape = self.input_shapes.get(name)
            if shape is None or (any(d < 0 for d in shape[1:]) and size <= 0):
                raise EngineConfigError(
                    f'warmup: input {name!r} of {self.source} has unknown non-batch dimensions'
                    f' {shape}; give input_shapes or a size'
                )
            dtype = self.input_dtypes.get(name) or np.float32
            feed[name] = np.zeros((batch, *(d if d >= 0 else size for d in shape[1:])), dtype)
        self.run(feed)

    def close(self) -> None:
        """Release backend resources (default: nothing)."""

    def check_inputs(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """
        Validate names, ranks, fixed dimensions, dtypes and a common batch size.

        Raise EngineInputError
        """
        if not isinstance(inputs, Mapping):
            raise EngineInputError(
                f'{self.source}: run() takes a dict name -> array, got {type(inputs).__name__}'
            )
        missing = [n for n in self.input_names if n not in inputs]
        extra = [n for n in inputs if n not in self.input_names]
        if missing or extra:
            raise EngineInputError(
                f"{self.source}: inputs {sorted(inputs)} do not match the model's inputs"
                f' {self.input_names} (missing {missing}, unknown {extra})'
            )
        out, batch = {}, None
        for name in self.input_names:
            arr = np.ascontiguousarray(inputs[name])
            shape, dtype = self.input_shapes.get(name), self.input_dtypes.get(name)
            if dtype is not None and arr.dtype != dtype:
                raise EngineInputError(
                    f'{self.source}: input {name!r} must have dtype {np.dtype(dtype).name}, got'
                    f' {arr.dtype.name}'
                )
            if shape is not None and (
                arr.ndim != len(shape) or any(d >= 0 and d != a for d, a in zip(shape, arr.shape))
            ):
                raise EngineInputError(
                    f'{self.source}: input {name!r} must have shape {tuple(shape)} (-1 = any), got'
                    f' {arr.shape}'
                )
            if arr.ndim == 0 or (batch is not None and arr.shape[0] != batch):
                raise EngineInputError(
                    f'{self.source}: inputs need one common batch size on axis 0'
                )
            batch = arr.shape[0]
            out[name] = arr
        return out


def check_onnx_file(path: str | os.PathLike) -> Any:
    """
    Load and check an ONNX file.

    Returns the onnx.ModelProto or raises ModelFileError naming the file
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f'model file {str(path)!r} does not exist (or is not a file)')
    if path.stat().st_size == 0:
        raise ModelFileError(f'model file {str(path)!r} is empty')
    if path.suffix.lower() != '.onnx':
        raise ModelFileError(f'model file {str(path)!r} is not an .onnx file')
    try:
        import onnx
    except ImportError as exc:
        raise BackendUnavailableError(
            "the 'onnx' package is needed to read ONNX files: pip install onnx"
        ) from exc
    try:
        model = onnx.load(str(path), load_external_data=False)
        onnx.checker.check_model(str(path))
    except Exception as exc:  # protobuf DecodeError, ValidationError...: all mean an unusable file
        raise ModelFileError(
            f'model file {str(path)!r} is not a valid ONNX model (truncated or corrupt?): '
            f'{type(exc).__name__}: {str(exc)[:300]}'
        ) from exc
    if not model.graph.input or not model.graph.output:
        raise ModelFileError(f'model file {str(path)!r} has no graph inputs or outputs')
    return model


def onnx_io(
    model: Any,
) -> tuple[list[str], list[str], dict[str, tuple[int, ...]], dict[str, np.dtype]]:
    """
    Input names, output names.

    Input shapes (-1 dynamic) and input dtypes of an onnx.ModelProto
    """
    from onnx.helper import tensor_dtype_to_np_dtype

    initializers = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in initializers]
    shapes, dtypes = {}, {}
    for inp in graph_inputs:
        tensor = inp.type.tensor_type
        shapes[inp.name] = tuple(
            d.dim_value if d.HasField('dim_value') else -1 for d in tensor.shape.dim
        )
        dtypes[inp.name] = np.dtype(tensor_dtype_to_np_dtype(tensor.elem_type))
    return [i.name for i in graph_inputs], [o.name for o in model.graph.output], shapes, dtypes
