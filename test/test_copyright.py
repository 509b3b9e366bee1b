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
Every Python file carries the copyright and licence header of package.xml's licence (Apache-2.0).

ament_copyright's check (no wheel of it on PyPI): a "Copyright <year> <holder>" line and the
Apache-2.0 notice in the file's leading comment block.
`bash scripts/lint_fix.sh FILES` adds missing headers.
"""

import importlib.util
from pathlib import Path
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTICE = (
    'Licensed under the Apache License, Version 2.0',
    'http://www.apache.org/licenses/LICENSE-2.0',
)


def python_files() -> list[Path]:
    out = subprocess.run(
        ['git', '-C', str(ROOT), 'ls-files', '*.py'], capture_output=True, text=True
    ).stdout
    return [ROOT / p for p in out.split()] or sorted(ROOT.glob('**/*.py'))


def header_problem(text: str) -> str:
    lines = text.split('\n')
    if lines and lines[0].startswith('#!'):
        lines = lines[1:]
    block = []
    for line in lines:
        if not line.startswith('#'):
            break
        block.append(line.lstrip('# '))
    comment = ' '.join(block)
    if not re.search(r'Copyright \d{4}(-\d{4})? \S', comment):
        return "no 'Copyright <year> <holder>' line at the top"
    if not all(n in comment for n in NOTICE):
        return 'no Apache-2.0 notice in the header'
    return ''


def test_package_licence_is_apache():
    assert ET.parse(ROOT / 'package.xml').find('license').text == 'Apache-2.0'


def test_header_check_itself():
    """Return the header scripts/lint_fix.sh adds passes this check; a file without it does not."""
    spec = importlib.util.spec_from_file_location('lint_fix', ROOT / 'scripts' / 'lint_fix.py')
    lint_fix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lint_fix)
    HEADER = lint_fix.HEADER
    assert (
        lint_fix.add_header(lint_fix.add_header('import os\n', 2026), 2026).count('Copyright') == 1
    )

    assert (
        header_problem(HEADER.format(year=2026, holder='pose3d_ros developers') + 'import os\n')
        == ''
    )
    assert (
        header_problem('#!/usr/bin/env python3\n' + HEADER.format(year=2026, holder='x') + '\n')
        == ''
    )
    assert 'Copyright' in header_problem('"""Docstring."""\n')


@pytest.mark.linter
def test_copyright():
    problems = {str(p.relative_to(ROOT)): header_problem(p.read_text()) for p in python_files()}
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, f'{len(bad)} files without the licence header: {bad}'
