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
`pose3d-bench AREA|all|collect|check|sequences [--output BENCHMARKS.md]`.

Run benchmarks, collect, check.

Each area is a module `pose3d_ros.tools.bench_<area>` whose `main(argv)` writes its Markdown table
to benchmarks/<area>.md through `bench_stamp.publish` (commit, command, machine, date, hash of the
measured sources). `all` runs every area in turn and collects the tables into --output; `collect`
only collects; `check` fails when a committed table is missing, unstamped or made from sources
changed since, or when BENCHMARKS.md does not hold the current tables; `sequences` re-makes the
generated evaluation sequences the accuracy table uses (`bench_sequences`).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
import sys

from pose3d_ros.tools.bench_stamp import BENCH_DIR, check_tables, commit_line, machine_line, ROOT

AREAS = (
    'core',
    'engines',
    'tracking',
    'models',
    'detectors',
    'pipeline',
    'node',
    'accuracy',
    'soak',
    'parity',
    'depth',
)
__all__ = ['AREAS', 'machine_line', 'main']


def collect(areas: tuple[str, ...], output: Path, how: str) -> None:
    """Concatenate benchmarks/<area>.md under one header into `output`."""
    parts = [
        f"# pose3d_ros benchmarks\n\n{how} Collected at {commit_line('core').split(' with ')[0]}."
        ' Each table states the command, commit, machine and date it was made with, and a hash of'
        ' the sources it measures (`pose3d-bench check` compares it with the code). Numbers are'
        ' medians over repeats; ratios are measured side by side within one run.\n'
    ]
    for area in areas:
        table = BENCH_DIR / f'{area}.md'
        parts.append(
            table.read_text()
            if table.is_file()
            else f'## {area}\n\n(not measured: benchmark failed)\n'
        )
    output.write_text('\n'.join(parts))
    print(f'\nwrote {output}')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='pose3d-bench', description=__doc__.splitlines()[0])
    parser.add_argument(
        'area',
        choices=AREAS + ('all', 'collect', 'check', 'sequences'),
        help=(
            "one area, all of them, 'collect' (gather the tables into --output), 'check' "
            "(committed tables current?) or 'sequences' (re-make the evaluation sequences)"
        ),
    )
    parser.add_argument(
        '--output',
        type=Path,
        default=None,
        help=(
            'with all/collect: write the collected tables here; with check: the collected '
            'file to check (default BENCHMARKS.md); with one area: its table (default'
            ' benchmarks/AREA.md)'
        ),
    )
    args, rest = parser.parse_known_args(argv)  # unknown arguments go to a single area's benchmark
    if args.area == 'check':
        problems = check_tables(AREAS, args.output or ROOT / 'BENCHMARKS.md')
        for problem in problems:
            print(f'stale: {problem}', file=sys.stderr)
        print(f'pose3d-bench check: {len(AREAS)} tables, {len(problems)} problems')
        return 1 if problems else 0
    if args.area == 'sequences':
        return importlib.import_module('pose3d_ros.tools.bench_sequences').main(rest)
    areas = AREAS if args.area in ('all', 'collect') else (args.area,)
    if args.area not in ('all', 'collect') and args.output is not None:
        rest = rest + ['--output', str(args.output)]  # a single area's table goes there
    failed = []
    for area in (() if args.area == 'collect' else areas):
        print(f'\n## {area}\n', flush=True)
        try:
            code = importlib.import_module(f'pose3d_ros.tools.bench_{area}').main(
                rest if args.area != 'all' else []
            )
        except Exception as err:  # noqa: BLE001 - report and go on with the other areas
            print(f"benchmark '{area}' failed: {type(err).__name__}: {err}", file=sys.stderr)
            code = 1
        if code:
            failed.append(area)
    if args.area in ('all', 'collect') and args.output:
        collect(
            areas,
            args.output,
            (
                'All tables measured in this run of `pose3d-bench all`.'
                if args.area == 'all'
                else (
                    'Tables collected from benchmarks/*.md, each written by its own `pose3d-bench'
                    ' <area>` run.'
                )
            ),
        )
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
