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
`pose3d-bench sequences`: re-make the generated evaluation sequences the accuracy table uses.

Each sequence is `python -m pose3d_ros.evalgen out/eval/<name> <arguments>` with the fixed seed and
scene arguments below (the generator is deterministic given them; meta.json of every sequence
records its whole configuration). The generator needs the eval venv (`bash scripts/setup_eval.sh`
-> .venv-eval).

    pose3d-bench sequences [--python .venv-eval/bin/python] [--out out/eval] [--only s0_walk1 ...]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import subprocess
import sys

from pose3d_ros.tools.bench_stamp import ROOT

FRAMES = 40
# name -> evalgen arguments (seed first). Names: s<seed>_<what><people>.
SEQUENCES: dict[str, tuple[str, ...]] = {
    's0_walk1': ('--seed', '0', '--people', '1', '--motions', 'walk'),
    's1_cross2': ('--seed', '1', '--people', '2', '--motions', 'walk'),
    's2_mixed3': ('--seed', '2', '--people', '3'),
    's3_far4': ('--seed', '3', '--people', '4', '--dist-min', '5.0', '--dist-max', '10.0'),
    's4_close2': ('--seed', '4', '--people', '2', '--dist-min', '1.5', '--dist-max', '3.0'),
}
DEFAULT_DIR = ROOT / 'out' / 'eval'


def command(python: Path, name: str, out_dir: Path) -> list[str]:
    """Return the generator command of sequence `name`."""
    return [
        str(python),
        '-m',
        'pose3d_ros.evalgen',
        str(out_dir / name),
        '--frames',
        str(FRAMES),
        *SEQUENCES[name],
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='pose3d-bench sequences', description=__doc__.splitlines()[0])
    p.add_argument(
        '--python',
        type=Path,
        default=ROOT / '.venv-eval' / 'bin' / 'python',
        help="a Python with the generator's packages (scripts/setup_eval.sh)",
    )
    p.add_argument('--out', type=Path, default=DEFAULT_DIR)
    p.add_argument('--only', nargs='+', choices=sorted(SEQUENCES), default=sorted(SEQUENCES))
    args = p.parse_args(argv)
    if not args.python.is_file():
        print(
            f'no generator Python at {args.python}: run `bash scripts/setup_eval.sh` or give'
            ' --python',
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    for name in args.only:
        cmd = command(args.python, name, args.out)
        print('sequences: ' + ' '.join(cmd[1:]), flush=True)
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return 0


if __name__ == '__main__':
    sys.exit(main())
