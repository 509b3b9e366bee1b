"""pose3d-bench parity [DIR]: `pose3d-metrabs-parity DIR` (default ../shared/metrabs_parity) -> benchmarks/parity.md.

Every crop of every set, stage by stage and end to end (the L-384 network takes minutes on a CPU).
"""
from __future__ import annotations

import sys

from pose3d_ros.tools import metrabs_parity

DEFAULT_FOLDER = "../shared/metrabs_parity"


def main(argv: list[str] | None = None) -> int:
    args = list(argv or [])
    folder = args.pop(0) if args and not args[0].startswith("-") else DEFAULT_FOLDER
    return metrabs_parity.main([folder, "--output", "benchmarks/parity.md", *args])


if __name__ == "__main__":
    sys.exit(main())
