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
On-disk cache of built engines (TensorRT plans), safe across processes.

A cached engine is `<cache_dir>/<model>.<onnx
sha256[:16]>.<precision>.b<min>-<opt>-<max>.<gpu>.engine` (with `.s<min>-<opt>-<max>` after the
batch profile for a model of dynamic height/width) plus a JSON sidecar `<same>.engine.json` holding
the full `EngineKey`, the byte size and the sha256 of the engine bytes. The engine is valid only if
the sidecar's key equals the wanted key and size and sha256 match the file; otherwise it is rebuilt
with a warning. The model hash in the name keeps two models with the same file stem apart; the
TensorRT version is left out, so that an upgrade replaces the old plan instead of piling up files.
`make_key` is the one function that computes a key (the node's engine creation and
pose3d-build-engines both reach it through `tensorrt_engine.engine_key`). Builds run under an
exclusive `fcntl.flock` on `<same>.engine.lock`: a second process waits, then loads what the first
wrote. Files are written to a temporary name and `os.replace`d, so no reader sees half a file. The
builder is injected (`build(progress) -> bytes`), so all of this is tested without TensorRT.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
import fcntl
import hashlib
import json
import logging
import os
from pathlib import Path
import re
import time
from typing import Callable, Iterator

from .base import EngineBuildError, EngineError

LOG = logging.getLogger(__name__)
ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class EngineKey:
    """Everything a built engine depends on; any change means a rebuild."""

    model_name: str  # stem of the ONNX file (names the cache file)
    onnx_sha256: str  # hex sha256 of the ONNX file bytes
    trt_version: str  # tensorrt.__version__
    gpu_name: str  # e.g. "NVIDIA GeForce RTX 3090", "Orin"
    compute_capability: str  # "major.minor", e.g. "8.7"
    precision: str  # fp32 | fp16 | int8
    batch_min: int  # optimisation profile of the batch axis
    batch_opt: int
    batch_max: int
    workspace_mb: int  # builder workspace limit, MiB (changes the tactics chosen)
    # 'min-opt-max' size of dynamic non-batch dimensions (detector height/width); '' = none
    spatial: str = ''

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def file_name(self) -> str:
        """
        Cache file name.

        Readable, stable across model and TensorRT versions (see module docstring)
        """
        gpu = re.sub(r'[^a-z0-9]+', '_', self.gpu_name.lower()).strip('_')[:40] or 'gpu'
        model = re.sub(r'[^A-Za-z0-9_.-]+', '_', self.model_name)[:80] or 'model'
        spatial = f'.s{self.spatial}' if self.spatial else ''
        return (
            f'{model}.{self.onnx_sha256[:16]}.{self.precision}.b{self.batch_min}-{self.batch_opt}-'
            f"{self.batch_max}{spatial}.{gpu}_sm{self.compute_capability.replace('.', '')}.engine"
        )


def make_key(
    onnx_path: str | os.PathLike,
    precision: str,
    batch_profile: tuple[int, int, int],
    workspace_mb: int,
    trt_version: str,
    gpu_name: str,
    compute_capability: str,
    spatial: tuple[int, ...] = (),
) -> EngineKey:
    """
    Return the cache key of an ONNX file built with these settings on this GPU and TensorRT.

    `spatial`: (min, opt, max) size of the model's dynamic non-batch dimensions, () if it has none.
    """
    b_min, b_opt, b_max = batch_profile
    return EngineKey(
        model_name=Path(onnx_path).stem,
        onnx_sha256=file_sha256(onnx_path),
        trt_version=trt_version,
        gpu_name=gpu_name,
        compute_capability=compute_capability,
        precision=precision,
        batch_min=int(b_min),
        batch_opt=int(b_opt),
        batch_max=int(b_max),
        workspace_mb=int(workspace_mb),
        spatial='-'.join(str(int(s)) for s in spatial),
    )


@dataclass
class CachedEngine:
    """Result of EngineCache.get_or_build."""

    path: Path  # engine file in the cache
    data: bytes  # serialized engine
    built: bool  # True if built by this call, False if loaded from the cache


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder, fsync, os.replace."""
    tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def file_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """
    Exclusive inter-process lock on `path` (created, never deleted).

    Calls on_wait() if it must wait
    """
    with open(path, 'a+b') as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class EngineCache:
    """Engines under one cache folder, keyed by EngineKey."""

    def __init__(self, cache_dir: str | os.PathLike, progress: ProgressFn | None = None) -> None:
        """cache_dir: created if missing; progress: receives progress lines (default: INFO log)."""
        self.dir = Path(os.path.expanduser(str(cache_dir)))
        self.progress = progress or LOG.info
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EngineError(
                f'engine cache_dir {str(self.dir)!r} cannot be created: {exc}'
            ) from exc

    def path_for(self, key: EngineKey) -> Path:
        return self.dir / key.file_name

    def _read(self, key: EngineKey) -> tuple[bytes | None, str]:
        """
        (engine bytes, "") if the cached engine of `key` is valid.

        Else (None, why) ("missing" if absent)
        """
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None, 'missing'
        try:
            meta = json.loads(path.with_name(path.name + '.json').read_text())
        except FileNotFoundError:
            return None, 'it has no metadata sidecar'
        except (OSError, ValueError) as exc:
            return None, f'its metadata sidecar is corrupt ({exc})'
        old = (
            meta.get('key') if isinstance(meta, dict) and isinstance(meta.get('key'), dict) else {}
        )
        if old != key.as_dict():
            changed = [k for k, v in key.as_dict().items() if old.get(k) != v]
            return None, f"it was built for a different {', '.join(changed) or 'key'}"
        if len(data) != meta.get('size'):
            return (
                None,
                f"it is truncated or overwritten ({len(data)} bytes, expected {meta.get('size')})",
            )
        if hashlib.sha256(data).hexdigest() != meta.get('sha256'):
            return None, 'its sha256 does not match the metadata (corrupt file)'
        return data, ''

    def load(self, key: EngineKey, warn: bool = True) -> bytes | None:
        """
        Engine bytes of `key` if cached and valid.

        Else None (with a warning when an invalid file exists)
        """
        data, problem = self._read(key)
        if data is None and warn and problem != 'missing':
            LOG.warning(
                'cached engine %s is unusable: %s; rebuilding', self.path_for(key), problem
            )
        return data

    def store(self, key: EngineKey, data: bytes, build_seconds: float = 0.0) -> Path:
        """Write engine bytes and their sidecar atomically (call under the key's lock)."""
        path = self.path_for(key)
        meta = {
            'key': key.as_dict(),
            'size': len(data),
            'sha256': hashlib.sha256(data).hexdigest(),
            'created_unix_s': time.time(),
            'build_seconds': round(build_seconds, 3),
        }
        atomic_write(path, data)
        atomic_write(path.with_name(path.name + '.json'), json.dumps(meta, indent=1).encode())
        return path

    def invalidate(self, key: EngineKey) -> None:
        """Delete the cached engine of `key` (e.g. it failed to deserialize) under its lock."""
        path = self.path_for(key)
        with file_lock(path.with_name(path.name + '.lock')):
            for p in (path, path.with_name(path.name + '.json')):
                p.unlink(missing_ok=True)

    def get_or_build(
        self, key: EngineKey, build: Callable[[ProgressFn], bytes], rebuild: bool = False
    ) -> CachedEngine:
        """
        Load the engine of `key`.

        Or build it exactly once across processes (rebuild=True forces a build).

        build(progress) -> serialized engine bytes; it may call progress("...") to report its
        phases.
        """
        path = self.path_for(key)
        if not rebuild:
            # fast path without the lock: files are replaced atomically
            data = self.load(key, warn=False)
            if data is not None:
                return CachedEngine(path, data, built=False)

        def waiting() -> None:
            self.progress(f'waiting for another process building {path.name} ...')

        with file_lock(path.with_name(path.name + '.lock'), on_wait=waiting):
            if not rebuild:
                data = self.load(key, warn=True)  # someone may have built it while we waited
                if data is not None:
                    return CachedEngine(path, data, built=False)
            self.progress(
                f'building engine {path.name} (precision {key.precision}, batch '
                f'{key.batch_min}/{key.batch_opt}/{key.batch_max}); this can take minutes'
            )
            start = time.monotonic()
            try:
                data = build(self.progress)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineBuildError(
                    f'building {path.name} failed: {type(exc).__name__}: {exc}'
                ) from exc
            if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
                raise EngineBuildError(f'building {path.name} produced no engine')
            data = bytes(data)
            seconds = time.monotonic() - start
            self.store(key, data, seconds)
            self.progress(f'built {path.name} in {seconds:.1f} s ({len(data) / 1e6:.1f} MB)')
            return CachedEngine(path, data, built=True)
