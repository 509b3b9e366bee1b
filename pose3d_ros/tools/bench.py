"""`pose3d-bench AREA|all [--output BENCHMARKS.md]`: run the benchmark commands and collect their tables.

Each area is a module `pose3d_ros.tools.bench_<area>` whose `main(argv)` prints a Markdown table and
writes it to benchmarks/<area>.md. `all` runs every area in turn and concatenates the tables into one
file headed by the machine and the date.
"""
from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import sys
from pathlib import Path

AREAS = ("core", "engines", "tracking", "models", "detectors", "pipeline", "node", "accuracy")
BENCH_DIR = Path("benchmarks")


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pose3d-bench", description=__doc__.splitlines()[0])
    parser.add_argument("area", choices=AREAS + ("all", "collect"),
                        help="one area, all of them, or 'collect' (only gather the existing tables into --output)")
    parser.add_argument("--output", type=Path, default=None, help="with 'all': write the collected tables here")
    args, rest = parser.parse_known_args(argv)  # unknown arguments go to a single area's benchmark
    areas = AREAS if args.area in ("all", "collect") else (args.area,)
    failed = []
    for area in (() if args.area == "collect" else areas):
        print(f"\n## {area}\n", flush=True)
        try:
            code = importlib.import_module(f"pose3d_ros.tools.bench_{area}").main(rest if args.area != "all" else [])
        except Exception as err:  # noqa: BLE001 - report and go on with the other areas
            print(f"benchmark '{area}' failed: {type(err).__name__}: {err}", file=sys.stderr)
            code = 1
        if code:
            failed.append(area)
    if args.area in ("all", "collect") and args.output:
        how = ("All tables measured in this run of `pose3d-bench all`." if args.area == "all" else
               "Tables collected from benchmarks/*.md, each written by its own `pose3d-bench <area>` run (the machine "
               "load differed between runs).")
        parts = [f"# pose3d_ros benchmarks\n\nMachine: {machine_line()}. Date: {datetime.date.today().isoformat()}.\n"
                 f"{how} Numbers are medians over repeats; ratios are measured side by side within one run.\n"]
        for area in areas:
            table = BENCH_DIR / f"{area}.md"
            parts.append(table.read_text() if table.is_file() else f"## {area}\n\n(not measured: benchmark failed)\n")
        args.output.write_text("\n".join(parts))
        print(f"\nwrote {args.output}")
    if failed:
        print(f"failed benchmarks: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
