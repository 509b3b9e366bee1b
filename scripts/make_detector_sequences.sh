#!/usr/bin/env bash
# Generates the synthetic sequences of the detector benchmark (`pose3d-bench detectors --sequences DIR`).
#
#   bash scripts/make_detector_sequences.sh [OUT_DIR]      # default OUT_DIR = out/detector_sequences
#
# Needs the eval venv with `anny` (bash scripts/setup_eval.sh; POSE3D_EVAL_PYTHON overrides its python).
# Seeds and parameters are fixed here, so the same command re-makes the same frames (same library versions).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/out/detector_sequences}"
PY="${POSE3D_EVAL_PYTHON:-$ROOT/.venv-eval/bin/python}"
COMMON=(--frames 30 --width 640 --height 480)

gen() {  # name, then evalgen options
  local name="$1"; shift
  PYTHONPATH="$ROOT" nice "$PY" -m pose3d_ros.evalgen "$OUT/$name" "${COMMON[@]}" "$@"
}
# near: two people 1.5-4 m away, fully inside the image.
gen near --seed 1201 --people 2 --dist-min 1.5 --dist-max 4 --edge-fraction 0
# far: three people 8-16 m away (small, 40-110 px tall).
gen far --seed 1202 --people 3 --dist-min 8 --dist-max 16 --edge-fraction 0
# crossing: four walkers/runners crossing each other at 2.5-8 m (mutual occlusion).
gen crossing --seed 1203 --people 4 --motions walk,run --dist-min 2.5 --dist-max 8 --edge-fraction 0
# truncated: two people acting on the spot, cut by the image border, 1.5-5 m.
gen truncated --seed 1204 --people 2 --motions dance_a,kick,punch,jump --dist-min 1.5 --dist-max 5 --edge-fraction 1
