"""``python -m pose3d_ros.evalgen OUT_DIR [options]``: generate one evaluation sequence (see ``scene.SceneConfig``)."""
from __future__ import annotations

import argparse
import dataclasses
import sys

from pose3d_ros.evalgen.scene import DEFAULT_MOTIONS, SceneConfig, generate


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pose3d_ros.evalgen", description=__doc__)
    p.add_argument("out_dir", help="output folder (frames/, gt.npz, meta.json)")
    defaults = SceneConfig()
    for field in dataclasses.fields(SceneConfig):
        if field.name == "motions":
            p.add_argument("--motions", default=",".join(DEFAULT_MOTIONS),
                           help="comma-separated pool of motions drawn per person (walk and run follow "
                                "scripted paths; others: DeepMimic clip names such as dance_a, kick, jump)")
            continue
        kind = {int: int, float: float, str: str}.get(type(getattr(defaults, field.name)), float)
        if field.name in ("wall", "ground", "distortion"):
            kind = str
        p.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=getattr(defaults, field.name),
                       help=f"default: {getattr(defaults, field.name)}")
    return p


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    out_dir = args.pop("out_dir")
    args["motions"] = tuple(m.strip() for m in args["motions"].split(",") if m.strip())
    path = generate(SceneConfig(**args), out_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
