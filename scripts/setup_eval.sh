#!/usr/bin/env bash
# Creates (idempotently) the evaluation-sequence generator's venv `.venv-eval` (gitignored).
# The runtime venv `.venv` does NOT need any of this: only `python -m pose3d_ros.evalgen` does.
#   anny         parametric body (PyTorch), CC0 assets, COCO-style keypoint regressor
#   pybullet     ships the DeepMimic motion clips + humanoid.urdf (pybullet_data)
#   scikit-image, matplotlib   real background photos
#   rasteriser: our own numpy z-buffer rasteriser (pose3d_ros/evalgen/raster.py), no GL needed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VENV=.venv-eval
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
# CPU torch first (a local wheel where the machine has one), so that anny does not pull the CUDA build.
"$VENV/bin/python" -m pip install -q "torch==2.13.0" || "$VENV/bin/python" -m pip install -q torch
"$VENV/bin/python" -m pip install -q \
    "anny==0.6.2" "pybullet==3.2.7" "scikit-image" "matplotlib" \
    "numpy" "scipy" "opencv-python-headless<5" "pillow"
# pose3d_ros itself (pure numpy parts) is imported from the source tree via PYTHONPATH or `pip -e`.
"$VENV/bin/python" -m pip install -q --no-deps -e . >/dev/null 2>&1 || true
"$VENV/bin/python" - <<'PY'
import anny, pybullet_data, skimage, torch  # noqa: F401  (import check)
print("eval venv ok: torch", torch.__version__)
PY
