"""ament_pep257 (pydocstyle with ROS 2's ignore list) over the whole package.

Skipped unless POSE3D_LINT=1 until `bash scripts/lint_fix.sh` has been run over the tree (then drop the skip).
"""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.environ.get("POSE3D_LINT") != "1",
                                reason="linters not yet applied to the tree: set POSE3D_LINT=1 (see scripts/lint_fix.sh)")


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257(monkeypatch):
    from ament_pep257.main import main

    monkeypatch.chdir(ROOT)
    rc = main(argv=["."])
    assert rc == 0, "Found code style errors / warnings"
