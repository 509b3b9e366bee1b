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
pose3d-bench parity [DIR].

`pose3d-metrabs-parity DIR` (default ../shared/metrabs_parity) -> benchmarks/parity.md.

Every crop of every set, stage by stage and end to end (the L-384 network takes minutes on a CPU).
The table is stamped like every benchmark table (bench_stamp.publish); the exit status is the
parity command's.
"""

from __future__ import annotations

from pathlib import Path
import sys
import tempfile

from pose3d_ros.tools import metrabs_parity
from pose3d_ros.tools.bench_stamp import publish

DEFAULT_FOLDER = '../shared/metrabs_parity'


def main(argv: list[str] | None = None) -> int:
    args = list(argv or [])
    folder = args.pop(0) if args and not args[0].startswith('-') else DEFAULT_FOLDER
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / 'parity.md'
        code = metrabs_parity.main([folder, '--output', str(out), *args])
        if out.is_file():
            publish('parity', out.read_text(), argv)
    return code


if __name__ == '__main__':
    sys.exit(main())
