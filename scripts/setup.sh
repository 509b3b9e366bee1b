#!/usr/bin/env bash
# One idempotent setup for pose3d_ros in a Python 3.11 virtual environment (.venv):
# pinned requirements (ROS 2 Kilted wheels, torch CPU, onnxruntime, opencv<5, ...), the pose3d_msgs
# interface package (and a minimal tf2_msgs where none imports) built with rosidl into the venv, and
# pose3d_ros installed editable.
# A second run only compares stamps and takes a few seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${POSE3D_VENV:-$ROOT/.venv}"
STAMPS="$VENV/.pose3d_stamps"
TORCH_VERSION="2.13.0"

die() { printf '\nsetup: ERROR: %s\n' "$*" >&2; exit 1; }
note() { printf 'setup: %s\n' "$*"; }

# --- 1. toolchain checks (clear messages instead of tracebacks) ---
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$(command -v "$candidate")"; break; fi
  done
fi
[ -n "$PYTHON" ] || die "no python3 found. Install Python 3.11 (the ROS 2 Kilted wheels are built for CPython 3.11)."
PYVER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[ "$PYVER" = "3.11" ] || die "Python 3.11 is required (found $PYVER at $PYTHON): the ROS 2 Kilted wheels are cp311 only. Set PYTHON=/path/to/python3.11."
CC_BIN="$(command -v cc || command -v gcc || command -v clang || true)"
CXX_BIN="$(command -v c++ || command -v g++ || command -v clang++ || true)"
[ -n "$CC_BIN" ] && [ -n "$CXX_BIN" ] || die "a C and C++ compiler is required to build the pose3d_msgs messages (rosidl). Install one, e.g. 'apt-get install build-essential'."
command -v cmake >/dev/null 2>&1 || note "no system cmake; the cmake wheel from PyPI will be used"

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; printf '%s' "$2" > "$STAMPS/$1"; }

# --- 2. virtual environment ---
if [ ! -x "$VENV/bin/python" ]; then
  note "creating $VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create the virtual environment $VENV ('apt-get install python3.11-venv'?)"
  rm -rf "$STAMPS"
fi
VPY="$VENV/bin/python"
PIP=("$VPY" -m pip --disable-pip-version-check -q)

# --- 3. requirements ---
REQ_HASH="$(hash_of "$ROOT/requirements.txt")"
if ! stamp_ok requirements "$REQ_HASH"; then
  note "installing pinned requirements (first run: about a minute)"
  if ! "$VPY" -c "import torch" >/dev/null 2>&1; then
    # On these machines torch==2.13.0 resolves to a CPU wheel already on disk; on a robot keep the user's torch.
    "${PIP[@]}" install "torch==$TORCH_VERSION" || die "pip could not install torch==$TORCH_VERSION"
  fi
  "${PIP[@]}" install -r "$ROOT/requirements.txt" || die "pip could not install requirements.txt (see the pip output above)"
  command -v cmake >/dev/null 2>&1 || "${PIP[@]}" install cmake || die "no cmake available"
  stamp_set requirements "$REQ_HASH"
fi

# --- 4. interface packages, built with rosidl into the venv prefix ---
# build_interfaces NAME DIR IMPORT_CHECK: pip-builds the package in DIR (scikit-build-core + rosidl), then checks
# that IMPORT_CHECK (a Python statement) runs; on failure the tail of the build log and a clear error.
build_interfaces() {
  local name="$1" dir="$2" check="$3" log="$VENV/$1_build.log"
  note "building $name (rosidl, about 10 s)"
  if ! AMENT_PREFIX_PATH="$VENV" CMAKE_PREFIX_PATH="$VENV" \
      "${PIP[@]}" install --no-build-isolation --force-reinstall --no-deps "$dir" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "building the $name messages failed (full log: $log). Check the compiler and the .msg files."
  fi
  "$VPY" -c "$check" || die "$name was built but does not import; full log: $log"
}

# 4a. pose3d_msgs, the node's own messages.
MSG_HASH="$(hash_of "$ROOT"/pose3d_msgs/msg/*.msg "$ROOT/pose3d_msgs/CMakeLists.txt" "$ROOT/pose3d_msgs/package.xml" "$ROOT/pose3d_msgs/pyproject.toml")"
if ! stamp_ok msgs "$MSG_HASH" || ! "$VPY" -c "import pose3d_msgs.msg" >/dev/null 2>&1; then
  build_interfaces pose3d_msgs "$ROOT/pose3d_msgs" "from pose3d_msgs.msg import Skeleton3DArray, Skeleton3D, SkeletonInfo"
  stamp_set msgs "$MSG_HASH"
fi

# 4b. tf2_msgs: the ROS wheels have none; a minimal TFMessage-only build lets the node publish /tf and
#     the tests subscribe to it. Skipped where a real tf2_msgs imports (a sourced ROS distro).
TF_HASH="$(hash_of "$ROOT"/interfaces/tf2_msgs/msg/*.msg "$ROOT"/interfaces/tf2_msgs/CMakeLists.txt "$ROOT"/interfaces/tf2_msgs/pyproject.toml)"
if ! "$VPY" -c "import tf2_msgs.msg" >/dev/null 2>&1 || { [ -f "$STAMPS/tf2_msgs" ] && ! stamp_ok tf2_msgs "$TF_HASH"; }; then
  build_interfaces tf2_msgs "$ROOT/interfaces/tf2_msgs" "from tf2_msgs.msg import TFMessage"
  stamp_set tf2_msgs "$TF_HASH"
fi

# --- 5. pose3d_ros itself (editable, with its console scripts) ---
PKG_HASH="$(hash_of "$ROOT/setup.py" "$ROOT/setup.cfg" "$ROOT/package.xml")"
if ! stamp_ok package "$PKG_HASH" || [ ! -x "$VENV/bin/pose3d_node" ]; then
  note "installing pose3d_ros (editable)"
  "${PIP[@]}" install --no-build-isolation --no-deps -e "$ROOT" >/dev/null 2>&1 \
    || "${PIP[@]}" install --no-build-isolation --no-deps -e "$ROOT" || die "pip install -e . failed"
  stamp_set package "$PKG_HASH"
fi
note "ready: $VENV"
