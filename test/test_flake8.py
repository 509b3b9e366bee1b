"""ament_flake8 with ROS 2's configuration (99 columns, ament_flake8.ini) over the whole package.

Skipped unless POSE3D_LINT=1 until `bash scripts/lint_fix.sh` has been run over the tree (then drop the skip).
"""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.environ.get("POSE3D_LINT") != "1",
                                reason="linters not yet applied to the tree: set POSE3D_LINT=1 (see scripts/lint_fix.sh)")


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8(monkeypatch):
    from ament_flake8.main import main_with_errors

    monkeypatch.chdir(ROOT)  # ament_flake8 looks for AMENT_IGNORE and hidden folders from the working directory
    rc, errors = main_with_errors(argv=[])
    assert rc == 0, f"Found {len(errors)} code style errors / warnings:\n" + "\n".join(errors)
