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
The stamp of every benchmark table.

Commit, command, machine, date and a hash of the measured sources.

Every `pose3d-bench <area>` writes its table through `publish`, which puts a stamp under the
table's first heading: a machine-readable comment `<!-- pose3d-bench area=AREA sources=HASH -->`
and a line a person reads. `pose3d-bench check` (`check_tables`) recomputes the hash of each area's
SOURCES and fails on a table made from sources that have changed since, on a table without a stamp
and on a BENCHMARKS.md that does not hold the current tables.

The hash covers the code, not its layout: Python files are hashed as their syntax tree without
docstrings (reformatting, comments and docstrings do not make a table stale); other files (models)
by their bytes.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import os
from pathlib import Path
import platform
import re
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[2]  # repository root
BENCH_DIR = ROOT / 'benchmarks'

# What each area measures (files or folders, relative to the repository root). A new file in a
# listed folder
# changes the hash as well.
_MODELS = (
    'pose3d_ros/pipeline.py',
    'pose3d_ros/processor.py',
    'pose3d_ros/config.py',
    'pose3d_ros/models',
    'pose3d_ros/core',
    'pose3d_ros/engines',
    'pose3d_ros/tracking',
    'models',
)
_NODE = _MODELS + (
    'pose3d_ros/ros',
    'pose3d_ros/rosenv.py',
    'pose3d_ros/media.py',
    'pose3d_ros/bags.py',
    'pose3d_ros/tools/demo.py',
    'pose3d_ros/tools/player.py',
    'pose3d_ros/tools/recorder.py',
    'pose3d_ros/tools/render.py',
    'config/pose3d.yaml',
)
SOURCES: dict[str, tuple[str, ...]] = {
    'core': (
        'pose3d_ros/core/camera.py',
        'pose3d_ros/core/crops.py',
        'pose3d_ros/core/decode.py',
        'pose3d_ros/core/reconstruct.py',
        'pose3d_ros/tools/bench_core.py',
    ),
    'engines': (
        'pose3d_ros/engines',
        'pose3d_ros/core/metrabs_model.py',
        'pose3d_ros/core/backbones.py',
        'pose3d_ros/tools/bench_engines.py',
    ),
    'tracking': (
        'pose3d_ros/tracking',
        'pose3d_ros/processor.py',
        'pose3d_ros/config.py',
        'pose3d_ros/tools/bench_tracking.py',
    ),
    'models': _MODELS + ('pose3d_ros/tools/bench_models.py',),
    'pipeline': _MODELS + ('pose3d_ros/tools/bench_pipeline.py',),
    'node': _NODE + ('pose3d_ros/tools/bench_node.py',),
    'accuracy': (
        _MODELS
        + (
            'pose3d_ros/eval',
            'pose3d_ros/evalgen',
            'pose3d_ros/tools/eval.py',
            'pose3d_ros/tools/bench_accuracy.py',
            'pose3d_ros/tools/bench_sequences.py',
        )
    ),
    'soak': _NODE + ('pose3d_ros/tools/bench_soak.py',),
    'parity': (
        'pose3d_ros/core',
        'pose3d_ros/models/metrabs.py',
        'pose3d_ros/models/metrabs_estimator.py',
        'pose3d_ros/tools/export.py',
        'pose3d_ros/tools/metrabs_parity.py',
        'pose3d_ros/tools/parity_stages.py',
        'pose3d_ros/tools/bench_parity.py',
    ),
    'depth': (
        _MODELS
        + (
            'pose3d_ros/eval',
            'pose3d_ros/tools/eval.py',
            'pose3d_ros/tools/run.py',
            'pose3d_ros/tools/render.py',
            'pose3d_ros/tools/bench_depth.py',
            'scripts/make_depth_sequences.sh',
        )
    ),
    'detectors': (
        'pose3d_ros/models',
        'models/ssdlite_person.onnx',
        'models/movenet_multipose.onnx',
        'models/nanodet.onnx',
        'models/blazepose_detector.onnx',
        'pose3d_ros/config.py',
        'pose3d_ros/eval/metrics.py',
        'pose3d_ros/tools/bench_detectors.py',
        'data/vtest_people.json',
        'data/photo_people.json',
        'scripts/make_detector_sequences.sh',
        # the system row: the default FrameProcessor over the video
        'pose3d_ros/processor.py',
        'pose3d_ros/pipeline.py',
        'pose3d_ros/tracking',
        'models/blazepose_full.onnx',
        'data/vtest_200.mp4',
    ),
}

STAMP_RE = re.compile(r'<!-- pose3d-bench area=(\w+) sources=([0-9a-f]+) -->')


def machine_line() -> str:
    """CPU model, logical cores, Python and OS of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f'{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()},'
        f' {platform.system()}'
    )


def _tracked() -> set[Path] | None:
    """Files git tracks in the repository (None outside a git checkout)."""
    try:
        names = subprocess.run(
            ['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {ROOT / n for n in names.decode().split('\0') if n}


def _files(area: str) -> list[Path]:
    """
    Return the area's source files that the repository holds.

    Files git does not track (a locally converted model that is not shipped, caches) do not count,
    so a fresh clone computes the same hash.
    """
    out = []
    for rel in SOURCES[area]:
        path = ROOT / rel
        if path.is_dir():
            out += [p for p in path.rglob('*') if p.is_file() and '__pycache__' not in p.parts]
        elif path.is_file():
            out.append(path)
    tracked = _tracked()
    return sorted(p for p in set(out) if tracked is None or p in tracked)


def _code_bytes(path: Path) -> bytes:
    """Return a Python file's syntax tree without docstrings; any other file's bytes."""
    if path.suffix != '.py':
        return path.read_bytes()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False).encode()


def sources_hash(area: str) -> str:
    """12 hex digits over the names and code of the area's source files."""
    digest = hashlib.sha256()
    for path in _files(area):
        digest.update(str(path.relative_to(ROOT)).encode() + b'\0')
        digest.update(hashlib.sha256(_code_bytes(path)).digest())
    return digest.hexdigest()[:12]


def commit_line(area: str) -> str:
    """'commit abc1234' (+ a note when the measured sources differ from that commit)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ['git', '-C', str(ROOT), *args], capture_output=True, text=True, timeout=30
        ).stdout.strip()

    try:
        commit = git('rev-parse', '--short=10', 'HEAD')
        dirty = git('status', '--porcelain', '--', *SOURCES[area])
    except (OSError, subprocess.SubprocessError):
        return 'commit unknown (no git)'
    return f"commit {commit or 'unknown'}" + (
        ' with uncommitted changes to the measured sources' if dirty else ''
    )


def stamp(area: str, argv: list[str] | None) -> str:
    """Return the two stamp lines of a table of `area` made by `pose3d-bench area *argv` now."""
    command = ' '.join(['pose3d-bench', area, *(argv if argv is not None else sys.argv[1:])])
    when = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    digest = sources_hash(area)
    return (
        f'<!-- pose3d-bench area={area} sources={digest} -->\n'
        f'*Made by `{command}` at {commit_line(area)} on {machine_line()} (1-min load average '
        f'{os.getloadavg()[0]:.1f} when written), {when}; measured sources '
        f"(hash {digest}): {', '.join(SOURCES[area])}.*\n"
    )


def publish(area: str, text: str, argv: list[str] | None, path: Path | str | None = None) -> str:
    """
    Stamp `text` (a Markdown table starting with a heading).

    Print it and write it (default benchmarks/<area>.md). Returns the stamped text.
    """
    lines = text.rstrip('\n').split('\n')
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith('#')), 0)
    stamped = '\n'.join(lines[:at] + ['', stamp(area, argv).rstrip('\n')] + lines[at:]) + '\n'
    stamped = re.sub(r'\n{3,}', '\n\n', stamped)
    out = Path(path) if path is not None else BENCH_DIR / f'{area}.md'
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(stamped)
    print(stamped, flush=True)
    return stamped


def check_tables(areas: tuple[str, ...], collected: Path | None) -> list[str]:
    """
    Problems of the committed tables (empty: all current).

    `collected`: BENCHMARKS.md, which must hold every benchmarks/<area>.md as it is.
    """
    problems = []
    whole = collected.read_text() if collected is not None and collected.is_file() else None
    if collected is not None and whole is None:
        problems.append(f'{collected} is missing (pose3d-bench collect --output {collected.name})')
    for area in areas:
        table = BENCH_DIR / f'{area}.md'
        if not table.is_file():
            problems.append(
                f'{area}: no table {table.relative_to(ROOT)} (run `pose3d-bench {area}`)'
            )
            continue
        text = table.read_text()
        stamps = [m for m in STAMP_RE.finditer(text) if m.group(1) == area]
        now = sources_hash(area)
        if not stamps:
            problems.append(
                f'{area}: {table.relative_to(ROOT)} has no stamp (re-run `pose3d-bench {area}`)'
            )
        elif any(m.group(2) != now for m in stamps):
            problems.append(
                f'{area}: {table.relative_to(ROOT)} was made from other sources (stamp '
                f'{stamps[0].group(2)}, now {now}): re-run `pose3d-bench {area}`'
            )
        if whole is not None and text.strip() not in whole:
            problems.append(
                f'{area}: {collected.name} does not hold the current {table.name} '
                f'(pose3d-bench collect --output {collected.name})'
            )
    return problems
