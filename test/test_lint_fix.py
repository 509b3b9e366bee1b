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

"""scripts/lint_fix.py never cuts a docstring summary inside brackets or mid-sentence."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('lint_fix', ROOT / 'scripts' / 'lint_fix.py')
lint_fix = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lint_fix)


def test_split_summary_keeps_brackets_whole():
    text = (
        'Plane from (K, 3) foot points, (K, 3) unit up directions and (K,) person keys (see below)'
    )
    summary, rest = lint_fix.split_summary(text, 60)
    # the only comma outside brackets is after 'foot points'
    assert summary == 'Plane from (K, 3) foot points'
    assert rest == '(K, 3) unit up directions and (K,) person keys (see below)'


def test_split_summary_prefers_the_first_sentence():
    text = (
        'Run one batch. Inputs name -> (B, ...) array; returns the outputs of the same batch size.'
    )
    assert lint_fix.split_summary(text, 60) == (
        'Run one batch.',
        'Inputs name -> (B, ...) array; returns the outputs of the same batch size.',
    )


def test_split_summary_leaves_an_uncuttable_text_whole():
    text = (
        'Pixels (..., 2) of the distorted image -> (..., 2) undistorted normalised coordinates'
        ' of x'
    )
    assert lint_fix.split_summary(text, 50) == (text, '')  # the linters then name it
