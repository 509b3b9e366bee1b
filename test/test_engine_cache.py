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
Engine cache.

Keys, atomic writes, inter-process lock, corrupt/mismatch recovery — with a test-double builder
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing as mp
import os
import time

from pose3d_ros.engines.base import EngineBuildError
from pose3d_ros.engines.engine_cache import EngineCache, EngineKey, file_lock
import pytest

KEY = EngineKey(
    model_name='crop',
    onnx_sha256='ab' * 32,
    trt_version='10.3.0',
    gpu_name='Orin',
    compute_capability='8.7',
    precision='fp16',
    batch_min=1,
    batch_opt=8,
    batch_max=16,
    workspace_mb=1024,
)
CHANGES = {
    'model_name': 'other',
    'onnx_sha256': 'cd' * 32,
    'trt_version': '10.4.0',
    'gpu_name': 'RTX 3090',
    'compute_capability': '8.6',
    'precision': 'fp32',
    'batch_min': 2,
    'batch_opt': 4,
    'batch_max': 32,
    'workspace_mb': 2048,
    'spatial': '32-384-640',  # a detector of any image size
}


class CountingBuilder:
    """Test double for the TensorRT builder: returns bytes derived from the key, counts calls."""

    def __init__(self, payload: bytes = b'engine-bytes' * 100) -> None:
        self.calls, self.payload = 0, payload

    def __call__(self, progress) -> bytes:
        self.calls += 1
        progress('phase 1/1')
        return self.payload + str(self.calls).encode()


def sidecar(cache: EngineCache, key: EngineKey):
    path = cache.path_for(key)
    return path.with_name(path.name + '.json')


def test_every_key_component_changes_the_key_and_forces_a_build(tmp_path, caplog):
    assert set(CHANGES) == {f.name for f in dataclasses.fields(EngineKey)}
    cache, build = EngineCache(tmp_path), CountingBuilder()
    cache.get_or_build(KEY, build)
    for field, value in CHANGES.items():
        other = dataclasses.replace(KEY, **{field: value})
        assert other != KEY and other.as_dict() != KEY.as_dict()
        calls = build.calls
        with caplog.at_level(logging.WARNING):
            result = cache.get_or_build(other, build)
        assert result.built and build.calls == calls + 1, field
        cache.store(KEY, b'restore-original')  # the next change is compared against KEY again
    # components left out of the file name replace the old plan (with a warning) instead of piling
    # up files
    assert 'different trt_version' in caplog.text and 'different workspace_mb' in caplog.text
    # the model hash is in the name: two models with the same file stem never share (or overwrite)
    # a file
    same_stem = dataclasses.replace(KEY, onnx_sha256='cd' * 32)
    assert (
        cache.path_for(same_stem) != cache.path_for(KEY) and KEY.onnx_sha256[:16] in KEY.file_name
    )
    assert 'different onnx_sha256' not in caplog.text


def test_cached_engine_is_loaded_and_never_rebuilt_by_default(tmp_path):
    lines = []
    cache, build = EngineCache(tmp_path, progress=lines.append), CountingBuilder()
    first = cache.get_or_build(KEY, build)
    second = cache.get_or_build(KEY, build)
    assert first.built and not second.built and build.calls == 1
    assert second.data == first.data and second.path == first.path
    assert (
        any('building' in s for s in lines)
        and 'phase 1/1' in lines
        and any('built' in s for s in lines)
    )
    meta = json.loads(sidecar(cache, KEY).read_text())
    assert meta['key'] == KEY.as_dict() and meta['size'] == len(first.data)
    forced = cache.get_or_build(KEY, build, rebuild=True)
    assert forced.built and build.calls == 2


@pytest.mark.parametrize(
    'damage', ['truncate', 'flip_byte', 'no_sidecar', 'bad_sidecar', 'other_key']
)
def test_damaged_or_mismatched_engine_is_rebuilt_with_a_warning(tmp_path, caplog, damage):
    cache, build = EngineCache(tmp_path), CountingBuilder()
    path = cache.get_or_build(KEY, build).path
    data = path.read_bytes()
    if damage == 'truncate':
        path.write_bytes(data[: len(data) // 2])
    elif damage == 'flip_byte':
        path.write_bytes(data[:10] + bytes([data[10] ^ 0xFF]) + data[11:])
    elif damage == 'no_sidecar':
        sidecar(cache, KEY).unlink()
    elif damage == 'bad_sidecar':
        sidecar(cache, KEY).write_text('{"key": ')
    else:
        meta = json.loads(sidecar(cache, KEY).read_text())
        meta['key']['trt_version'] = '8.6.1'
        sidecar(cache, KEY).write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING):
        result = cache.get_or_build(KEY, build)
    assert result.built and build.calls == 2
    assert 'unusable' in caplog.text and 'rebuilding' in caplog.text
    assert cache.load(KEY) == result.data  # valid again


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    cache, build = EngineCache(tmp_path), CountingBuilder()
    good = cache.get_or_build(KEY, build).data
    real_replace = os.replace

    def crash(src, dst):  # the process dies between writing the temporary file and renaming it
        raise OSError('simulated crash')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(OSError):
        cache.get_or_build(KEY, build, rebuild=True)
    monkeypatch.setattr(os, 'replace', real_replace)
    assert cache.load(KEY) == good  # the old engine is intact
    assert not [p for p in tmp_path.iterdir() if p.name.endswith('.tmp')]


def test_failing_builder_gives_one_clear_error_and_releases_the_lock(tmp_path):
    cache = EngineCache(tmp_path)

    def broken(progress):
        raise ValueError('parser: unsupported op Foo')

    with pytest.raises(EngineBuildError, match='unsupported op Foo'):
        cache.get_or_build(KEY, broken)
    with pytest.raises(EngineBuildError, match='no engine'):
        cache.get_or_build(KEY, lambda progress: b'')
    assert not cache.path_for(KEY).exists()
    assert cache.get_or_build(KEY, CountingBuilder()).built  # lock was released


def test_invalidate_removes_the_engine(tmp_path):
    cache, build = EngineCache(tmp_path), CountingBuilder()
    cache.get_or_build(KEY, build)
    cache.invalidate(KEY)
    assert cache.load(KEY) is None and cache.get_or_build(KEY, build).built


def _race_worker(cache_dir, counter, barrier, results):
    """One process of the race: wait for the others, then get_or_build with a slow builder."""

    def slow_build(progress):
        with open(counter, 'a') as f:
            f.write(f'{os.getpid()}\n')
        time.sleep(0.4)  # a long build: the other processes must wait on the lock, not build
        return b'plan' * 1000

    lines = []
    barrier.wait()
    result = EngineCache(cache_dir, progress=lines.append).get_or_build(KEY, slow_build)
    results.put((result.built, result.data == b'plan' * 1000, any('waiting' in s for s in lines)))


def test_processes_racing_build_exactly_once(tmp_path):
    ctx = mp.get_context('fork')
    counter, n = tmp_path / 'builds.txt', 4
    barrier, results = ctx.Barrier(n), ctx.Queue()
    procs = [
        ctx.Process(target=_race_worker, args=(tmp_path / 'cache', counter, barrier, results))
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=30) for _ in range(n)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert len(counter.read_text().splitlines()) == 1  # built exactly once
    assert sorted(o[0] for o in outcomes) == [False] * (n - 1) + [True]
    assert all(o[1] for o in outcomes)  # everyone got the complete engine
    assert any(o[2] for o in outcomes)  # and someone reported waiting


def test_file_lock_excludes_a_second_holder(tmp_path):
    lock = tmp_path / 'x.lock'
    waited = []
    with file_lock(lock):
        ctx = mp.get_context('fork')
        proc = ctx.Process(target=_hold_lock_briefly, args=(lock,))
        proc.start()
        time.sleep(0.2)
        assert proc.is_alive()  # blocked on our lock
    proc.join(timeout=10)
    assert proc.exitcode == 0
    with file_lock(lock, on_wait=lambda: waited.append(1)):
        pass
    assert not waited


def _hold_lock_briefly(lock):
    with file_lock(lock):
        pass
