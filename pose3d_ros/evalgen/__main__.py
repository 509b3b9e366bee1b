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
``python -m pose3d_ros.evalgen OUT_DIR [options]``.

Generate one evaluation sequence (see ``scene.SceneConfig``)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from pose3d_ros.evalgen.scene import DEFAULT_MOTIONS, generate, SceneConfig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='python -m pose3d_ros.evalgen', description=__doc__)
    p.add_argument('out_dir', help='output folder (frames/, gt.npz, meta.json)')
    defaults = SceneConfig()
    for field in dataclasses.fields(SceneConfig):
        if field.name == 'motions':
            p.add_argument(
                '--motions',
                default=','.join(DEFAULT_MOTIONS),
                help=(
                    'comma-separated pool of motions drawn per person (walk and run follow '
                    'scripted paths; others: DeepMimic clip names such as dance_a, kick, jump)'
                ),
            )
            continue
        kind = {int: int, float: float, str: str}.get(type(getattr(defaults, field.name)), float)
        if field.name in ('wall', 'ground', 'distortion'):
            kind = str
        p.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=kind,
            default=getattr(defaults, field.name),
            help=f'default: {getattr(defaults, field.name)}',
        )
    return p


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    out_dir = args.pop('out_dir')
    args['motions'] = tuple(m.strip() for m in args['motions'].split(',') if m.strip())
    path = generate(SceneConfig(**args), out_dir)
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
