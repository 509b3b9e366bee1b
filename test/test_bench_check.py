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

"""`pose3d-bench check`: the committed tables are stamped and made from the code as it is now."""

import shutil
import subprocess
import sys

from pose3d_ros.tools import bench_stamp
from pose3d_ros.tools.bench import AREAS
import pytest


def test_committed_tables_are_current():
    proc = subprocess.run(
        [sys.executable, '-m', 'pose3d_ros.tools.bench', 'check'],
        capture_output=True,
        text=True,
        cwd=bench_stamp.ROOT,
        timeout=120,
    )
    # names every stale table and the command to re-make it
    assert proc.returncode == 0, proc.stderr + proc.stdout


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """
    Return a copy of the tree's measured sources and tables.

    So the check can be shown to fail
    """
    for rel in ('pose3d_ros', 'benchmarks', 'config'):
        shutil.copytree(
            bench_stamp.ROOT / rel, tmp_path / rel, ignore=shutil.ignore_patterns('__pycache__')
        )
    (tmp_path / 'models').mkdir()
    for model in (bench_stamp.ROOT / 'models').glob('*.md'):  # small stand-ins for the model files
        shutil.copy(model, tmp_path / 'models' / model.name)
    monkeypatch.setattr(bench_stamp, 'ROOT', tmp_path)
    monkeypatch.setattr(bench_stamp, 'BENCH_DIR', tmp_path / 'benchmarks')
    return tmp_path


def test_check_fails_on_changed_code_and_unstamped_tables(sandbox):
    table = '## core\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
    stamped = bench_stamp.publish(
        'core', table, ['--repeats', '3'], sandbox / 'benchmarks' / 'core.md'
    )
    assert '`pose3d-bench core --repeats 3`' in stamped and 'commit ' in stamped
    assert bench_stamp.machine_line() in stamped and ' UTC' in stamped
    assert bench_stamp.check_tables(('core',), None) == []
    # Layout, comments and docstrings do not make a table stale ...
    camera = sandbox / 'pose3d_ros' / 'core' / 'camera.py'
    source = camera.read_text()
    camera.write_text(
        '"""Reformatted."""\n# a comment\n\n' + source.split('"""', 2)[2].replace('\n\n\n', '\n\n')
    )
    assert bench_stamp.check_tables(('core',), None) == []
    # ... a change of code does.
    camera.write_text(source + '\nEXTRA = 1\n')
    problems = bench_stamp.check_tables(('core',), None)
    assert (
        len(problems) == 1
        and 'made from other sources' in problems[0]
        and 'pose3d-bench core' in problems[0]
    )
    camera.write_text(source)
    (sandbox / 'benchmarks' / 'core.md').write_text(table)  # no stamp
    assert 'has no stamp' in bench_stamp.check_tables(('core',), None)[0]
    # A collected file that misses the current table fails as well.
    bench_stamp.publish('core', table, [], sandbox / 'benchmarks' / 'core.md')
    collected = sandbox / 'BENCHMARKS.md'
    collected.write_text('# old\n' + table)
    assert 'does not hold the current core.md' in bench_stamp.check_tables(('core',), collected)[0]


def test_every_area_lists_existing_sources():
    assert set(bench_stamp.SOURCES) == set(AREAS)
    for area, paths in bench_stamp.SOURCES.items():
        assert f'pose3d_ros/tools/bench_{area}.py' in paths
        missing = [p for p in paths if not (bench_stamp.ROOT / p).exists()]
        assert not missing, (area, missing)
