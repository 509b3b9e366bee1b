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
pose3d-build-engines.

Build the TensorRT engines of a configuration ahead of time (minutes on a Jetson).

Models and settings come from a ROS 2 params file (`pose3d_node: ros__parameters:` keys
detector_model, crop_model, precision, engine_cache_dir, device) and/or flags; flags win. Models
are registry names (e.g. ssdlite_person, blazepose_full) or ONNX paths. Batch profiles and
workspace sizes are the node's own (`engines.profiles.engine_role_options`: detector 1/1/1, crop
model 1/8/16, 1024 MiB), and the cache key comes from the same function as the node's, so the node
then finds the engines in the cache and starts at once; --batch-*/--workspace-mb override that for
other users of the cache (the node would then rebuild). Exit status: 0 built or already cached, 1 a
model failed, 2 TensorRT or a GPU is missing, or nothing to build.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import time
from typing import Any

NODE_NAMES = ('/**', 'pose3d_node', '/pose3d_node')  # merged in this order: node-specific keys win
# node parameters
PARAM_KEYS = ('detector_model', 'crop_model', 'precision', 'engine_cache_dir', 'device')


def read_params_file(path: str | Path) -> dict[str, Any]:
    """
    `ros__parameters` of pose3d_node (and of `/**`) in a ROS 2 YAML params file.

    {} if absent
    """
    import yaml

    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    params: dict[str, Any] = {}
    for node in NODE_NAMES:
        section = doc.get(node) if isinstance(doc, dict) else None
        if isinstance(section, dict) and isinstance(section.get('ros__parameters'), dict):
            params.update(section['ros__parameters'])
    return {k: v for k, v in params.items() if k in PARAM_KEYS}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='pose3d-build-engines', description=__doc__.splitlines()[0])
    p.add_argument('--params-file', help='ROS 2 params YAML (e.g. config/pose3d.yaml)')
    p.add_argument(
        '--model',
        action='append',
        default=[],
        help='extra crop-model ONNX or registry name to build (repeatable)',
    )
    p.add_argument(
        '--detector-model', help="detector: registry name or ONNX (the node's detector profile)"
    )
    p.add_argument(
        '--crop-model', help="crop model: registry name or ONNX (the node's crop-model profile)"
    )
    p.add_argument('--precision', choices=('fp32', 'fp16', 'int8'))
    p.add_argument('--batch-min', type=int)
    p.add_argument('--batch-opt', type=int)
    p.add_argument('--batch-max', type=int)
    p.add_argument('--workspace-mb', type=int)
    p.add_argument('--cache-dir', help='engine cache folder (params key engine_cache_dir)')
    p.add_argument('--device', help='cuda or cuda:N')
    p.add_argument('--int8-calibration-cache', help='existing INT8 calibration cache file')
    p.add_argument(
        '--no-timing-cache', action='store_true', help='do not read/write the timing cache'
    )
    p.add_argument(
        '--rebuild', action='store_true', help='rebuild even if a valid engine is cached'
    )
    return p.parse_args(argv)


def collect(args: argparse.Namespace) -> tuple[list[tuple[str, dict]], dict[str, Any]]:
    """
    (model path, per-model options) to build, and the common engine options.

    From file and flags
    """
    from pose3d_ros.engines.profiles import engine_role_options, resolve_model

    params = read_params_file(args.params_file) if args.params_file else {}
    flag = {
        'precision': args.precision,
        'batch_min': args.batch_min,
        'batch_opt': args.batch_opt,
        'batch_max': args.batch_max,
        'workspace_mb': args.workspace_mb,
        'engine_cache_dir': args.cache_dir,
        'device': args.device,
        'detector_model': args.detector_model,
        'crop_model': args.crop_model,
    }
    params.update({k: v for k, v in flag.items() if v is not None})
    common: dict[str, Any] = {'precision': params['precision']} if 'precision' in params else {}
    if params.get('engine_cache_dir'):
        common['cache_dir'] = params['engine_cache_dir']
    if args.int8_calibration_cache:
        common['int8_calibration_cache'] = args.int8_calibration_cache
    common['timing_cache'] = not args.no_timing_cache
    common['rebuild'] = args.rebuild
    common['device'] = params.get('device', 'cuda')
    if common['device'] in ('cpu', 'auto'):
        common['device'] = 'cuda'  # engines are built on the GPU even if the params file says cpu
    overrides = {
        k: params[k]
        for k in ('batch_min', 'batch_opt', 'batch_max', 'workspace_mb')
        if k in params
    }

    def options(role: str) -> dict:
        return {**engine_role_options(role), **overrides}

    models = []
    if params.get('detector_model'):
        models.append((resolve_model(str(params['detector_model'])), options('detector')))
    if params.get('crop_model'):
        models.append((resolve_model(str(params['crop_model'])), options('crop_model')))
    models += [(resolve_model(m), options('crop_model')) for m in args.model]
    return models, common


def main(argv: list[str] | None = None) -> int:
    """Build every model of the configuration; see the module docstring for exit statuses."""
    args = parse_args(argv)
    from pose3d_ros.engines import create_engine, EngineError
    from pose3d_ros.engines.tensorrt_engine import import_tensorrt

    try:
        models, common = collect(args)
    except (OSError, ValueError, KeyError) as exc:
        print(
            'pose3d-build-engines: cannot read the configuration (--params-file'
            f' {args.params_file!r}): {exc}',
            file=sys.stderr,
        )
        return 2
    if not models:
        print(
            'pose3d-build-engines: no models: give --params-file with detector_model/crop_model, '
            '--crop-model, --detector-model or --model',
            file=sys.stderr,
        )
        return 2
    try:
        trt = import_tensorrt()
    except EngineError as exc:
        print(f'pose3d-build-engines: cannot build TensorRT engines: {exc}', file=sys.stderr)
        return 2
    import torch

    if not torch.cuda.is_available():
        print(
            'pose3d-build-engines: TensorRT imports but no CUDA GPU is usable by PyTorch (needs a'
            ' CUDA build of torch and a GPU); engines must be built on the machine that runs them',
            file=sys.stderr,
        )
        return 2
    print(f'TensorRT {trt.__version__} on {torch.cuda.get_device_name()}', flush=True)
    failures = 0
    for path, extra in models:
        options = {**common, **extra}
        start = time.monotonic()
        try:
            engine = create_engine(
                path, engine='tensorrt', progress=lambda s: print('  ' + s, flush=True), **options
            )
            engine.warmup(engine.batch_min, options.get('spatial_opt', 0))
            print(f'ok   {path} -> {engine.path} ({time.monotonic() - start:.1f} s)', flush=True)
            engine.close()
        except EngineError as exc:
            failures += 1
            print(f'FAIL {path}: {exc}', file=sys.stderr, flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
