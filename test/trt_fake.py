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
A strict stand-in for the TensorRT 10 Python builder API (`import tensorrt`).

For machines without it.

Unlike a MagicMock it has only the real names, with the real parameter names (pybind11 keywords),
checks the argument types the bindings accept (enums are their own types: an int where a
BuilderFlag belongs is a TypeError, as in TensorRT; `parse_from_file` takes a str, not a Path;
shapes are tuples of ints) and enforces the order TensorRT needs: the parser is made for a network,
the network is parsed before it is built, a network with a dynamic batch needs an optimisation
profile whose min <= opt <= max, a timing cache comes from the config it is set on, progress
monitors and calibrators must have run their base class __init__. Calls are logged in `calls` as
(name, args) in order. During a build the progress monitor gets the phase callbacks a real build
sends.
"""

from __future__ import annotations

import enum


class APIError(Exception):
    """A call the real TensorRT would refuse."""


def _require(ok: bool, message: str, kind: type = TypeError) -> None:
    if not ok:
        raise kind(message)


class Severity(enum.IntEnum):

    INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = range(5)


class MemoryPoolType(enum.Enum):

    WORKSPACE = 0
    DLA_MANAGED_SRAM = 1


class BuilderFlag(enum.Enum):

    FP16 = 0
    INT8 = 1
    BF16 = 17


class NetworkDefinitionCreationFlag(enum.Enum):  # TensorRT 10: explicit batch is the only mode

    STRONGLY_TYPED = 1


class FakeTensorRT:
    """The module object: `trt = FakeTensorRT(onnx_inputs={'crops': (-1, 3, 16, 16)})`."""

    __version__ = '10.99-strict-fake'
    MemoryPoolType, BuilderFlag, NetworkDefinitionCreationFlag = (
        MemoryPoolType,
        BuilderFlag,
        NetworkDefinitionCreationFlag,
    )

    def __init__(
        self, onnx_inputs: dict[str, tuple[int, ...]], parse_ok: bool = True, build_ok: bool = True
    ):
        self.calls: list[tuple[str, tuple]] = []
        trt = self

        class ILogger:

            Severity = Severity

        class Logger(ILogger):

            INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = tuple(Severity)

            def __init__(self, min_severity: Severity = Severity.WARNING):
                _require(
                    isinstance(min_severity, Severity), 'Logger(min_severity: ILogger.Severity)'
                )
                trt.calls.append(('Logger', (min_severity,)))

        class IProgressMonitor:

            def __init__(self):
                self._base_initialised = True

        class IInt8EntropyCalibrator2:

            def __init__(self):
                self._base_initialised = True

        class ITimingCache:

            def __init__(self, config, blob: bytes):
                self.config, self.blob = config, blob

            def serialize(self) -> IHostMemory:
                trt.calls.append(('ITimingCache.serialize', ()))
                return IHostMemory(b'timing:' + self.blob)

        class INetworkDefinition:

            def __init__(self):
                self.parsed = False
                self.inputs: dict[str, tuple[int, ...]] = {}

        class IOptimizationProfile:

            def __init__(self):
                self.shapes: dict[str, tuple] = {}

            def set_shape(
                self, input, min, opt, max  # noqa: A002
            ) -> None:  # noqa: A002 (TensorRT's keyword names)
                _require(
                    isinstance(input, str),
                    'IOptimizationProfile.set_shape(input: str, min: Dims, ...)',
                )
                for dims in (min, opt, max):
                    _require(
                        isinstance(dims, (tuple, list))
                        and all(isinstance(d, int) and d >= 0 for d in dims),
                        f'set_shape: Dims must be non-negative ints, got {dims!r}',
                    )
                _require(
                    len(min) == len(opt) == len(max)
                    and all(a <= b <= c for a, b, c in zip(min, opt, max)),
                    f'set_shape({input}): need min <= opt <= max, got {min}, {opt}, {max}',
                    APIError,
                )
                trt.calls.append(
                    ('IOptimizationProfile.set_shape', (input, tuple(min), tuple(opt), tuple(max)))
                )
                self.shapes[input] = (tuple(min), tuple(opt), tuple(max))

        class IBuilderConfig:

            def __init__(self):
                self.profiles: list[IOptimizationProfile] = []
                self.flags: set[BuilderFlag] = set()
                self.pools: dict[MemoryPoolType, int] = {}
                self.timing_cache: ITimingCache | None = None
                self._monitor = self._calibrator = None
                self.calibration_profile = None

            def set_memory_pool_limit(self, pool: MemoryPoolType, pool_size: int) -> None:
                _require(
                    isinstance(pool, MemoryPoolType)
                    and isinstance(pool_size, int)
                    and pool_size >= 0,
                    'set_memory_pool_limit(pool: MemoryPoolType, pool_size: int)',
                )
                trt.calls.append(('IBuilderConfig.set_memory_pool_limit', (pool, pool_size)))
                self.pools[pool] = pool_size

            def set_flag(self, flag: BuilderFlag) -> None:
                _require(
                    isinstance(flag, BuilderFlag), f'set_flag(flag: BuilderFlag), got {flag!r}'
                )
                trt.calls.append(('IBuilderConfig.set_flag', (flag,)))
                self.flags.add(flag)

            def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
                _require(
                    isinstance(profile, IOptimizationProfile),
                    'add_optimization_profile(IOptimizationProfile)',
                )
                trt.calls.append(('IBuilderConfig.add_optimization_profile', (profile,)))
                self.profiles.append(profile)
                return len(self.profiles) - 1

            def set_calibration_profile(self, profile: IOptimizationProfile) -> bool:
                _require(
                    isinstance(profile, IOptimizationProfile),
                    'set_calibration_profile(IOptimizationProfile)',
                )
                trt.calls.append(('IBuilderConfig.set_calibration_profile', (profile,)))
                self.calibration_profile = profile
                return True

            def create_timing_cache(self, serialized_timing_cache) -> ITimingCache:
                _require(
                    isinstance(serialized_timing_cache, (bytes, bytearray, memoryview)),
                    'create_timing_cache(serialized_timing_cache: buffer)',
                )
                trt.calls.append(
                    ('IBuilderConfig.create_timing_cache', (bytes(serialized_timing_cache),))
                )
                return ITimingCache(self, bytes(serialized_timing_cache))

            def set_timing_cache(self, cache: ITimingCache, ignore_mismatch: bool) -> bool:
                _require(
                    isinstance(cache, ITimingCache) and isinstance(ignore_mismatch, bool),
                    'set_timing_cache(cache: ITimingCache, ignore_mismatch: bool)',
                )
                _require(
                    cache.config is self,
                    'a timing cache is set on the config that created it',
                    APIError,
                )
                trt.calls.append(('IBuilderConfig.set_timing_cache', (cache, ignore_mismatch)))
                self.timing_cache = cache
                return True

            def get_timing_cache(self) -> ITimingCache | None:
                trt.calls.append(('IBuilderConfig.get_timing_cache', ()))
                return self.timing_cache

            @property
            def progress_monitor(self):
                return self._monitor

            @progress_monitor.setter
            def progress_monitor(self, monitor) -> None:
                _require(
                    isinstance(monitor, IProgressMonitor)
                    and getattr(monitor, '_base_initialised', False),
                    'progress_monitor: an IProgressMonitor whose __init__ called'
                    ' IProgressMonitor.__init__',
                )
                trt.calls.append(('IBuilderConfig.progress_monitor', (monitor,)))
                self._monitor = monitor

            @property
            def int8_calibrator(self):
                return self._calibrator

            @int8_calibrator.setter
            def int8_calibrator(self, calibrator) -> None:
                _require(
                    isinstance(calibrator, IInt8EntropyCalibrator2)
                    and getattr(calibrator, '_base_initialised', False),
                    'int8_calibrator: an IInt8Calibrator whose __init__ called the base __init__',
                )
                trt.calls.append(('IBuilderConfig.int8_calibrator', (calibrator,)))
                self._calibrator = calibrator

        class IHostMemory:

            def __init__(self, data: bytes):
                self._data = data

            def __bytes__(self) -> bytes:
                return self._data

        class Builder:

            platform_has_fast_fp16 = True

            def __init__(self, logger: ILogger):
                _require(isinstance(logger, ILogger), 'Builder(logger: ILogger)')
                trt.calls.append(('Builder', (logger,)))

            def create_network(self, flags: int = 0) -> INetworkDefinition:
                _require(
                    isinstance(flags, int) and not isinstance(flags, bool),
                    'create_network(flags: int = 0)',
                )
                trt.calls.append(('Builder.create_network', (flags,)))
                return INetworkDefinition()

            def create_builder_config(self) -> IBuilderConfig:
                trt.calls.append(('Builder.create_builder_config', ()))
                return IBuilderConfig()

            def create_optimization_profile(self) -> IOptimizationProfile:
                trt.calls.append(('Builder.create_optimization_profile', ()))
                return IOptimizationProfile()

            def build_serialized_network(
                self, network: INetworkDefinition, config: IBuilderConfig
            ):
                _require(
                    isinstance(network, INetworkDefinition) and isinstance(config, IBuilderConfig),
                    'build_serialized_network(network: INetworkDefinition, config:'
                    ' IBuilderConfig)',
                )
                _require(
                    network.parsed,
                    'build_serialized_network on a network no parser filled',
                    APIError,
                )
                dynamic = [n for n, s in network.inputs.items() if any(d < 0 for d in s)]
                shaped = {n for p in config.profiles for n in p.shapes}
                _require(
                    not dynamic or set(dynamic) <= shaped,
                    f'dynamic inputs {dynamic} without an optimisation profile',
                    APIError,
                )
                trt.calls.append(('Builder.build_serialized_network', (network, config)))
                monitor = config.progress_monitor
                if monitor is not None:
                    monitor.phase_start('Building engine', None, 3)
                    for step in range(3):
                        assert monitor.step_complete('Building engine', step) is True
                    monitor.phase_finish('Building engine')
                return IHostMemory(b'plan') if build_ok else None

        class IParserError:

            def __str__(self) -> str:
                return 'Unsupported ONNX op Foo'

        class OnnxParser:

            def __init__(self, network: INetworkDefinition, logger: ILogger):
                _require(
                    isinstance(network, INetworkDefinition) and isinstance(logger, ILogger),
                    'OnnxParser(network: INetworkDefinition, logger: ILogger)',
                )
                trt.calls.append(('OnnxParser', (network, logger)))
                self.network = network
                self.num_errors = 0

            def parse_from_file(self, model: str) -> bool:
                _require(
                    isinstance(model, str),
                    f'parse_from_file(model: str), got {type(model).__name__}',
                )
                trt.calls.append(('OnnxParser.parse_from_file', (model,)))
                if not parse_ok:
                    self.num_errors = 1
                    return False
                self.network.parsed, self.network.inputs = True, dict(onnx_inputs)
                return True

            def get_error(self, index: int) -> IParserError:
                _require(
                    isinstance(index, int) and 0 <= index < self.num_errors,
                    'get_error(index: int)',
                    IndexError,
                )
                return IParserError()

        self.ILogger, self.Logger, self.Builder, self.OnnxParser = (
            ILogger,
            Logger,
            Builder,
            OnnxParser,
        )
        self.IProgressMonitor, self.IInt8EntropyCalibrator2 = (
            IProgressMonitor,
            IInt8EntropyCalibrator2,
        )
        self.ITimingCache, self.IBuilderConfig = ITimingCache, IBuilderConfig

    def names(self) -> list[str]:
        """Return the names of the calls in order."""
        return [name for name, _ in self.calls]
