"""pose3d-bench parity [DIR]: `pose3d-metrabs-parity DIR` (default ../shared/metrabs_parity) -> benchmarks/parity.md.

Every crop of every set, stage by stage and end to end (the L-384 network takes minutes on a CPU). The
table is stamped like every benchmark table (bench_stamp.publish); the exit status is the parity command's.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pose3d_ros.tools import metrabs_parity
from pose3d_ros.tools.bench_stamp import publish

DEFAULT_FOLDER = "../shared/metrabs_parity"


def main(argv: list[str] | None = None) -> int:
    args = list(argv or [])
    folder = args.pop(0) if args and not args[0].startswith("-") else DEFAULT_FOLDER
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "parity.md"
        code = metrabs_parity.main([folder, "--output", str(out), *args])
        if out.is_file():
            publish("parity", out.read_text(), argv)
    return code


if __name__ == "__main__":
    sys.exit(main())
