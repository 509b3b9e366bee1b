#!/usr/bin/env bash
# The metric-depth evaluation sequences (issue 13, benchmarks/depth.md). Usage: bash scripts/make_depth_sequences.sh [OUT_DIR]  (default out/depth)
# Needs the eval venv with anny (scripts/setup_eval.sh; PY=path/to/its/python), run from the repository root.
# 60 frames at 10 Hz each, walkers only: one at 4-7 m; two crossing at 3-8 m; a tall one walking towards the
# camera until the feet leave the image (1.4-2.6 m); two crossing through a barrel-distorted lens.
set -euo pipefail
OUT="${1:-out/depth}"; PY="${PY:-.venv-eval/bin/python}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
G="nice $PY -m pose3d_ros.evalgen"
C="--frames 60 --fps 10 --motions walk --edge-fraction 0"
[ -f "$OUT/d0_walk1/gt.npz" ]   || $G "$OUT/d0_walk1"   --seed 6  --people 1 $C --cam-height 1.2 --tilt-deg 10 --hfov-deg 60 --dist-min 1.5 --dist-max 9  --distortion none
[ -f "$OUT/d1_cross2/gt.npz" ]  || $G "$OUT/d1_cross2"  --seed 0  --people 2 $C --cam-height 1.6 --tilt-deg 15 --hfov-deg 70 --dist-min 1.5 --dist-max 10 --distortion none
[ -f "$OUT/d2_near1/gt.npz" ]   || $G "$OUT/d2_near1"   --seed 25 --people 1 $C --cam-height 1.2 --tilt-deg 0  --hfov-deg 80 --dist-min 1.5 --dist-max 4.5 --distortion none
[ -f "$OUT/d3_barrel2/gt.npz" ] || $G "$OUT/d3_barrel2" --seed 2  --people 2 $C --cam-height 1.0 --tilt-deg 5  --hfov-deg 80 --dist-min 1.5 --dist-max 8  --distortion barrel
