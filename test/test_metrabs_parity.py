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
pose3d-metrabs-parity on the public fixture folder made with the official MeTRAbs code.

The folder is ../shared/metrabs_parity relative to the repository root (README.md there: format,
official algorithm, suggested tolerances). Stages 1 and 2 run on every crop of both settings; the
network stage runs on a subset here (the EfficientNetV2-L network takes seconds per crop on this
CPU) and on every crop in `pose3d-metrabs-parity ../shared/metrabs_parity` (benchmarks/parity.md).
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil

from pose3d_ros.tools import metrabs_parity
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / '..' / 'shared' / 'metrabs_parity'
needs_fixtures = pytest.mark.skipif(
    not (FIXTURES / 'manifest.json').is_file(),
    reason=f'parity fixture folder {FIXTURES} is absent',
)


@needs_fixtures
@pytest.mark.parametrize(
    'tag, crops',
    [
        ('s256', '0,4,8'),  # no distortion / distortion, pyramid levels 0, 1 and 2
        ('l384', '9'),  # the L network once: radial distortion, whole body
    ],
)
def test_official_outputs_are_reproduced_within_the_suggested_tolerances(tag, crops, capsys):
    code = metrabs_parity.main([str(FIXTURES), '--sets', tag, '--stage3-crops', crops])
    out = capsys.readouterr().out
    print(out)
    assert code == 0, out
    rows = [line for line in out.splitlines() if line.startswith(f'| {tag} |')]
    assert sum(' | yes |' in r for r in rows) >= 30 and not any('**NO**' in r for r in rows)
    # the production path itself
    assert any('3 image e2e | pipeline estimate()' in r for r in rows)


@needs_fixtures
@pytest.mark.parametrize(
    'change, stage',
    [
        ({'gamma': 1.0}, '1 crops'),  # gamma 1.0 instead of the official 0.8
        ({'regulariser': 1e-4}, '2 head percrop'),  # the former lambda
    ],
)
def test_a_deviation_from_the_official_settings_fails(tmp_path, capsys, change, stage):
    folder = tmp_path / 'fixture'
    shutil.copytree(FIXTURES, folder)
    (folder / 'manifest.json').chmod(0o644)
    manifest = json.loads((folder / 'manifest.json').read_text())
    manifest['settings']['s256'].update(change)
    (folder / 'manifest.json').write_text(json.dumps(manifest))
    assert metrabs_parity.main([str(folder), '--sets', 's256', '--no-stage3']) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if '**NO**' in line]
    assert failed and all(f'| {stage} |' in line for line in failed)


def test_an_unusable_folder_exits_2(tmp_path):
    assert metrabs_parity.main([str(tmp_path)]) == 2
