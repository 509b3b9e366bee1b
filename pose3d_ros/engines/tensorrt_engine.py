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
`TensorRT` engine.

Build from ONNX with the public TensorRT Python API, cache on disk, run on torch CUDA buffers.

Build: explicit-batch network from the ONNX parser, one optimisation profile over the batch axis
(batch_min/opt/max), fp16 / int8 flags, workspace limit, timing cache kept in cache_dir, progress
monitor. Run: input/output buffers are flat torch CUDA tensors sized for batch_max (no extra CUDA
binding library), their data_ptr() bound with set_tensor_address, execute_async_v3 on a torch CUDA
stream; batches above batch_max run in chunks, batches below batch_min are padded. `tensorrt` is
imported only here, lazily.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
import time
from typing import Any, Callable

import numpy as np

from .base import (
    BackendUnavailableError,
    check_onnx_file,
    DeviceUnavailableError,
    Engine,
    EngineBuildError,
    EngineConfig,
    EngineConfigError,
    EngineError,
    onnx_io,
)
from .engine_cache import atomic_write, CachedEngine, EngineCache, EngineKey, make_key

LOG = logging.getLogger(__name__)

INSTALL_HINT = (
    "the TensorRT Python package 'tensorrt' is not importable. Install TensorRT for this machine:"
    ' on a Jetson it comes with JetPack (apt install nvidia-jetpack, or python3-libnvinfer); on an'
    " x86 desktop install NVIDIA's wheel matching your CUDA (pip install tensorrt-cu12) or the"
    ' TensorRT tar/deb package; the lean/dispatch runtimes cannot build engines. Otherwise use'
    " engine='onnxruntime' or engine='torch'."
)


def import_tensorrt() -> Any:
    """Return the tensorrt module, or BackendUnavailableError saying what to install."""
    try:
        import tensorrt
    except ImportError as exc:
        raise BackendUnavailableError(INSTALL_HINT) from exc
    if not hasattr(tensorrt, 'Builder'):
        raise BackendUnavailableError(
            "this 'tensorrt' package is a lean/dispatch runtime without a Builder; " + INSTALL_HINT
        )
    return tensorrt


def batch_profile(
    shapes: dict[str, tuple[int, ...]], cfg: EngineConfig, source: str
) -> dict[str, tuple]:
    """
    Map each input name to its (min, opt, max) shapes.

    A dynamic batch axis (0) gets cfg's batch profile; a batch fixed in the ONNX file stays fixed.
    Every other dynamic dimension (the height and width of a detector taking any image size) gets
    cfg's spatial profile, and is refused with a clear error when there is none.
    """
    spatial = (cfg.spatial_min, cfg.spatial_opt, cfg.spatial_max)
    profile = {}
    for name, shape in shapes.items():
        if not shape:
            raise EngineConfigError(f'TensorRT: input {name!r} of {source!r} has no known shape')
        if any(d < 0 for d in shape[1:]) and spatial[2] <= 0:
            raise EngineConfigError(
                f'TensorRT: input {name!r} of {source!r} has dynamic dimensions besides the batch'
                f' {shape}; export the ONNX with a fixed size or give a spatial profile'
                ' (spatial_min/opt/max)'
            )
        batch = (shape[0],) * 3 if shape[0] >= 0 else (cfg.batch_min, cfg.batch_opt, cfg.batch_max)
        profile[name] = tuple(
            (batch[i], *(d if d >= 0 else spatial[i] for d in shape[1:])) for i in range(3)
        )
    return profile


def profile_spatial(profile: dict[str, tuple], shapes: dict[str, tuple]) -> tuple[int, ...]:
    """Return the (min, opt, max) size given to dynamic non-batch dimensions, () if none."""
    for name, shape in shapes.items():
        for axis, d in enumerate(shape[1:], 1):
            if d < 0:
                return tuple(int(profile[name][i][axis]) for i in range(3))
    return ()


def _progress_monitor(trt: Any, progress: Callable[[str], None], every_s: float = 5.0) -> Any:
    """
    Return a trt.IProgressMonitor that forwards build progress to `progress`.

    It forwards the top-level phases and at most one step line per `every_s` seconds.
    """

    class Monitor(trt.IProgressMonitor):

        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self.last = 0.0
            self.steps: dict[str, int] = {}

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            self.steps[phase_name] = num_steps
            if not parent_phase:
                progress(f'TensorRT: {phase_name} ({num_steps} steps)')

        def step_complete(self, phase_name: str, step: int) -> bool:
            now = time.monotonic()
            if now - self.last > every_s:
                self.last = now
                progress(
                    f"TensorRT: {phase_name} step {step + 1}/{self.steps.get(phase_name, '?')}"
                )
            return True  # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            self.steps.pop(phase_name, None)

    return Monitor()


def _calibrator(trt: Any, torch: Any, data: Any, cache_path: Path, batch: int, device: Any) -> Any:
    """
    Build an INT8 entropy calibrator with a cache file.

    `data` is an iterable of name -> (B, ...) arrays.
    """

    class Calibrator(trt.IInt8EntropyCalibrator2):

        def __init__(self) -> None:
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.batches = iter(data or ())
            self.keep: list = []  # device tensors of the current batch must outlive get_batch

        def get_batch_size(self) -> int:
            return batch

        def get_batch(self, names: list[str]) -> list[int] | None:
            feed = next(self.batches, None)
            if feed is None:
                return None
            self.keep = [
                torch.from_numpy(np.ascontiguousarray(feed[n], np.float32)).to(device)
                for n in names
            ]
            return [int(t.data_ptr()) for t in self.keep]

        def read_calibration_cache(self) -> bytes | None:
            return cache_path.read_bytes() if cache_path.is_file() else None

        def write_calibration_cache(self, cache: Any) -> None:
            atomic_write(cache_path, bytes(cache))

    return Calibrator()


def build_serialized_engine(
    trt: Any,
    onnx_path: Path,
    cfg: EngineConfig,
    profile: dict[str, tuple],
    timing_cache: Path | None,
    calib_cache: Path,
    device: Any,
    progress: Callable[[str], None],
) -> bytes:
    """
    Parse `onnx_path`.

    Configure the builder from `cfg` and return the serialized engine (plan) bytes.

    Call with `device` as the current CUDA device; int8 calibration batches are copied to `device`.
    """
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    # TensorRT 8; always explicit in 10
    if hasattr(trt.NetworkDefinitionCreationFlag, 'EXPLICIT_BATCH'):
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = '; '.join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise EngineBuildError(f'TensorRT cannot parse {str(onnx_path)!r}: {errors}')
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, cfg.workspace_mb << 20)  # bytes
    if cfg.precision in ('fp16', 'int8'):
        if not getattr(builder, 'platform_has_fast_fp16', True):
            progress('TensorRT: this GPU has no fast fp16; fp16 kernels may be slow')
        # int8 engines fall back to fp16, not fp32, where needed
        config.set_flag(trt.BuilderFlag.FP16)
    opt_profile = builder.create_optimization_profile()
    for name, (smallest, typical, largest) in profile.items():
        opt_profile.set_shape(name, smallest, typical, largest)
    config.add_optimization_profile(opt_profile)
    calibrator = None
    if cfg.precision == 'int8':
        if cfg.int8_calibration_data is None and not calib_cache.is_file():
            raise EngineConfigError(
                "precision='int8' needs int8_calibration_data (iterable of input batches) or an"
                f' existing calibration cache {str(calib_cache)!r}'
            )
        import torch

        config.set_flag(trt.BuilderFlag.INT8)
        calibrator = _calibrator(
            trt, torch, cfg.int8_calibration_data, calib_cache, cfg.batch_opt, device
        )
        config.int8_calibrator = calibrator
        config.set_calibration_profile(opt_profile)
    cache = None
    if timing_cache is not None:
        cache = config.create_timing_cache(
            timing_cache.read_bytes() if timing_cache.is_file() else b''
        )
        config.set_timing_cache(cache, ignore_mismatch=False)
    monitor = None
    if hasattr(trt, 'IProgressMonitor'):  # TensorRT >= 10
        monitor = _progress_monitor(trt, progress)
        config.progress_monitor = monitor
    plan = builder.build_serialized_network(network, config)
    del monitor, calibrator  # kept alive until the build returned
    if plan is None:
        raise EngineBuildError(
            f'TensorRT failed to build {str(onnx_path)!r} (see the TensorRT log above)'
        )
    if cache is not None:
        atomic_write(timing_cache, bytes(config.get_timing_cache().serialize()))
    return bytes(plan)


def engine_key(
    trt: Any,
    torch: Any,
    onnx_path: Path,
    cfg: EngineConfig,
    profile: dict,
    device: Any,
    spatial: tuple[int, ...] = (),
) -> EngineKey:
    """
    Return the cache key of `onnx_path` built with `cfg` on `device` with this TensorRT.

    `spatial`: the (min, opt, max) size of dynamic non-batch dimensions (`profile_spatial`), or ().
    """
    batches = sorted({shapes[i][0] for shapes in profile.values() for i in range(3)})
    major, minor = torch.cuda.get_device_capability(device)
    opt = cfg.batch_opt if len(batches) > 1 else batches[0]
    return make_key(
        onnx_path,
        cfg.precision,
        (batches[0], opt, batches[-1]),
        cfg.workspace_mb,
        trt.__version__,
        torch.cuda.get_device_name(device),
        f'{major}.{minor}',
        spatial,
    )


def ensure_engine(
    trt: Any,
    torch: Any,
    onnx_path: Path,
    shapes: dict[str, tuple[int, ...]],
    cfg: EngineConfig,
    device: Any,
    rebuild: bool,
) -> tuple[CachedEngine, EngineKey, Callable, dict]:
    """
    Return the cached (or freshly built) engine of `onnx_path`.

    Also returns its key, its builder (for a retry) and the optimisation profile it was built for
    (`batch_profile` of `shapes`, the file's input shapes from `onnx_io`).
    """
    profile = batch_profile(shapes, cfg, str(onnx_path))
    key = engine_key(trt, torch, onnx_path, cfg, profile, device, profile_spatial(profile, shapes))
    cache = EngineCache(cfg.cache_path, progress=cfg.progress)
    slug = key.file_name.split('.')[-2]  # <gpu>_sm<cc>
    timing = (
        cfg.cache_path / f'timing.trt{key.trt_version}.{slug}.cache' if cfg.timing_cache else None
    )
    calib = (
        Path(cfg.int8_calibration_cache)
        if cfg.int8_calibration_cache
        else cfg.cache_path / f'{onnx_path.stem}.int8.calib'
    )

    def build(progress: Callable[[str], None]) -> bytes:
        return build_serialized_engine(
            trt, onnx_path, cfg, profile, timing, calib, device, progress
        )

    return cache.get_or_build(key, build, rebuild=rebuild), key, build, profile


class TensorRTEngine(Engine):
    """A TensorRT engine built from (or cached for) one ONNX file."""

    name = 'tensorrt'

    def __init__(self, model_path: str | Path, device: str, cfg: EngineConfig) -> None:
        """
        model_path: .onnx file; device: 'cuda:N' (resolved); cfg.

        Precision, profile, cache, workspace
        """
        trt = import_tensorrt()
        try:
            import torch
        except ImportError as exc:
            raise BackendUnavailableError(
                "engine='tensorrt' keeps its buffers in PyTorch CUDA tensors: "
                'install a CUDA build of torch'
            ) from exc
        if not torch.cuda.is_available():
            raise DeviceUnavailableError(
                "engine='tensorrt' needs a CUDA build of PyTorch and a GPU"
            )
        self._torch, self.source = torch, str(model_path)
        onnx_path = Path(model_path)
        names, self.output_names, shapes, self.input_dtypes = onnx_io(check_onnx_file(onnx_path))
        self.input_names, self.input_shapes = names, shapes
        self.device, self.precision = torch.device(device), cfg.precision
        self.runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        with torch.cuda.device(self.device):
            cached, key, build, profile = ensure_engine(
                trt, torch, onnx_path, shapes, cfg, self.device, cfg.rebuild
            )
            self.engine = self.runtime.deserialize_cuda_engine(cached.data)
            if self.engine is None and not cached.built:
                LOG.warning(
                    'cached engine %s does not deserialize with TensorRT %s; rebuilding',
                    cached.path,
                    trt.__version__,
                )
                EngineCache(cfg.cache_path).invalidate(key)
                cached = EngineCache(cfg.cache_path, progress=cfg.progress).get_or_build(
                    key, build, rebuild=True
                )
                self.engine = self.runtime.deserialize_cuda_engine(cached.data)
            if self.engine is None:
                raise EngineBuildError(f'TensorRT cannot deserialize the engine {cached.path}')
            self.context = self.engine.create_execution_context()
            self.stream = torch.cuda.Stream(self.device)
        self.key, self.path = key, cached.path
        self._max_shapes = {name: profile[name][2] for name in names}  # buffers are sized for it
        self.batch_min, self.batch_max = key.batch_min, key.batch_max
        self._allocate(trt)

    def _allocate(self, trt: Any) -> None:
        """Flat CUDA buffers sized for the profile's largest shapes, bound once."""
        torch = self._torch
        self._dtypes, self._buffers = {}, {}
        for name in self.input_names:
            self.context.set_input_shape(name, self._max_shapes[name])
        for name in self.input_names + self.output_names:
            np_dtype = np.dtype(trt.nptype(self.engine.get_tensor_dtype(name)))
            shape = tuple(self.context.get_tensor_shape(name))
            if any(d < 0 for d in shape):
                raise EngineConfigError(
                    f'TensorRT: output {name!r} of {self.source} has a data-dependent shape'
                )
            torch_dtype = torch.from_numpy(np.empty(0, np_dtype)).dtype
            self._dtypes[name] = np_dtype
            self._buffers[name] = torch.empty(
                max(math.prod(shape), 1), dtype=torch_dtype, device=self.device
            )
            self.context.set_tensor_address(name, int(self._buffers[name].data_ptr()))

    @property
    def description(self) -> str:
        k = self.key
        return (
            f'tensorrt {k.trt_version} {k.gpu_name} {k.precision} batch'
            f' {k.batch_min}/{k.batch_opt}/{k.batch_max}'
            + (f' size {k.spatial}' if k.spatial else '')
            + f' {self.path}'
        )

    def _run_chunk(self, chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """One execute_async_v3 for batch_min <= batch <= batch_max."""
        torch = self._torch
        for name, arr in chunk.items():
            arr = arr.astype(self._dtypes[name], copy=False)
            self.context.set_input_shape(name, arr.shape)
            self._buffers[name][: arr.size].view(arr.shape).copy_(
                torch.from_numpy(arr), non_blocking=True
            )
        if not self.context.execute_async_v3(self.stream.cuda_stream):
            raise EngineError(f'TensorRT execute_async_v3 failed on {self.source}')
        out = {}
        for name in self.output_names:
            shape = tuple(self.context.get_tensor_shape(name))
            tensor = self._buffers[name][: math.prod(shape)].view(shape)
            out[name] = (tensor.float() if tensor.is_floating_point() else tensor).cpu().numpy()
        return out

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self._torch
        batch = next(iter(inputs.values())).shape[0]
        parts: dict[str, list[np.ndarray]] = {n: [] for n in self.output_names}
        with torch.cuda.device(self.device), torch.cuda.stream(self.stream):
            for start in range(0, batch, self.batch_max):
                chunk = {n: a[start: start + self.batch_max] for n, a in inputs.items()}
                size = next(iter(chunk.values())).shape[0]
                # pad with copies of the last row up to the profile minimum
                if size < self.batch_min:
                    chunk = {
                        n: np.concatenate([a, np.repeat(a[-1:], self.batch_min - size, 0)])
                        for n, a in chunk.items()
                    }
                for name, arr in self._run_chunk(chunk).items():
                    parts[name].append(arr[:size])
        return {n: np.concatenate(p) if len(p) > 1 else p[0] for n, p in parts.items()}

    def close(self) -> None:
        self._buffers = {}
        self.context = self.engine = None
