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
Crops per second versus batch size for every engine available on this machine.

The network is the MeTRAbs crop network (`core.metrabs_model.MetrabsNet`, random weights: speed
does not depend on them) or a small stand-in conv net. All engines are timed side by side in one
run, interleaved round by round so that machine load affects them alike; each cell is batch /
median time of one run() (host numpy in, host numpy out). Writes a Markdown table to
benchmarks/engines.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
from pose3d_ros.tools.bench_stamp import publish


def crop_network(backbone: str, input_size: int, joints: int = 24, depth: int = 8):
    """Return the benchmarked network: a MetrabsNet backbone or 'standin' (a small conv net)."""
    import torch

    if backbone != 'standin':
        from pose3d_ros.core.metrabs_model import MetrabsNet

        return MetrabsNet(backbone, num_points=joints, depth=depth, input_size=input_size).eval()
    layers, channels = [], 3
    for width in (16, 32, 64, 128, 256):  # five stride-2 convs: stride 32 like the real backbones
        layers += [
            torch.nn.Conv2d(channels, width, 3, stride=2, padding=1),
            torch.nn.BatchNorm2d(width),
            torch.nn.SiLU(),
        ]
        channels = width
    # the MeTRAbs head: one 1x1 conv
    layers.append(torch.nn.Conv2d(channels, joints * (1 + depth), 1))
    return torch.nn.Sequential(*layers).eval()


def export_onnx(module, input_size: int, path: Path) -> Path:
    """ONNX with a dynamic batch axis: 'crops' (B, 3, S, S) -> 'logits'."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(
            module,
            (torch.zeros(2, 3, input_size, input_size),),
            str(path),
            dynamo=False,
            input_names=['crops'],
            output_names=['logits'],
            opset_version=17,
            dynamic_axes={'crops': {0: 'batch'}, 'logits': {0: 'batch'}},
        )
    return path


def available_engines(module, onnx_path: Path, cache_dir: str, threads: int) -> dict[str, object]:
    """Label -> Engine for every backend/precision that works here (GPU ones only on a GPU)."""
    from pose3d_ros.engines import create_engine, EngineError

    torch_opts = {'engine': 'torch', 'input_names': ('crops',), 'output_names': ('logits',)}
    candidates = {
        'onnxruntime cpu fp32': lambda: create_engine(
            onnx_path, 'onnxruntime', 'cpu', threads=threads
        ),
        'torch cpu fp32': lambda: create_engine(
            module, device='cpu', threads=threads, **torch_opts
        ),
        'torch cuda fp32': lambda: create_engine(module, device='cuda', **torch_opts),
        'torch cuda fp16': lambda: create_engine(
            module, device='cuda', precision='fp16', **torch_opts
        ),
        'torch cuda fp16 + CUDA graphs': lambda: create_engine(
            module, device='cuda', precision='fp16', cuda_graphs=True, **torch_opts
        ),
        'onnxruntime cuda fp32': lambda: create_engine(onnx_path, 'onnxruntime', 'cuda'),
        'tensorrt fp16': lambda: create_engine(
            onnx_path, 'tensorrt', 'cuda', 'fp16', cache_dir=cache_dir
        ),
    }
    engines = {}
    for label, make in candidates.items():
        try:
            engines[label] = make()
        except EngineError as exc:
            print(f'skip {label}: {type(exc).__name__}: {str(exc)[:160]}', file=sys.stderr)
    return engines


def measure(
    engines: dict, batches: list[int], input_size: int, rounds: int
) -> dict[tuple[str, int], float]:
    """(label, batch) -> crops/s from the median of `rounds` interleaved timed runs."""
    rng = np.random.default_rng(0)
    result = {}
    for batch in batches:
        # (B, 3, S, S)
        feed = {'crops': rng.random((batch, 3, input_size, input_size), np.float32)}
        times: dict[str, list[float]] = {label: [] for label in engines}
        for engine in engines.values():
            engine.run(feed)  # warm-up: allocation, autotuning, CUDA graph capture
        for _ in range(rounds):
            for label, engine in engines.items():
                start = time.perf_counter()
                engine.run(feed)
                times[label].append(time.perf_counter() - start)  # seconds
        for label, t in times.items():
            result[label, batch] = batch / statistics.median(t)
    return result


def markdown(rates: dict, engines: dict, batches: list[int], header: str) -> str:
    """Table of crops/s (and the ratio to the first engine, same batch, same run)."""
    labels = list(engines)
    base = labels[0]
    lines = [
        header,
        '',
        '| engine | ' + ' | '.join(f'batch {b}' for b in batches) + ' |',
        '|---|' + '---:|' * len(batches),
    ]
    for label in labels:
        cells = []
        for b in batches:
            rate = rates[label, b]
            cells.append(
                f'{rate:.1f}' + ('' if label == base else f' ({rate / rates[base, b]:.2f}x)')
            )
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    lines += [
        '',
        (
            f'Crops/s = batch / median time of one run() (numpy in and out); (x) = ratio to {base}'
            ' in the same run, same batch.'
        ),
        '',
    ]
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='pose3d-bench engines', description=__doc__.splitlines()[0])
    p.add_argument(
        '--backbone',
        default='efficientnetv2-s',
        help='efficientnetv2-s | efficientnetv2-l | resnet50 | standin (small conv net)',
    )
    p.add_argument('--input-size', type=int, default=256, help='crop side, pixels')
    p.add_argument('--batches', default='1,2,4,8,16')
    p.add_argument(
        '--rounds', type=int, default=5, help='timed runs per engine and batch (median)'
    )
    p.add_argument('--threads', type=int, default=0, help='CPU threads (0 = library default)')
    p.add_argument('--output', default='benchmarks/engines.md')
    args = p.parse_args(argv)
    import torch

    batches = [int(b) for b in args.batches.split(',')]
    module = crop_network(args.backbone, args.input_size)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(module, args.input_size, Path(tmp) / 'crop.onnx')
        engines = available_engines(module, onnx_path, str(Path(tmp) / 'engines'), args.threads)
        rates = measure(engines, batches, args.input_size, args.rounds)
        descriptions = [
            f"- {label}: {e.description.replace(tmp, '<tmp>')}" for label, e in engines.items()
        ]
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'
    header = (
        f'## Engines: crops/s vs batch\n\nNetwork: MeTRAbs crop network, backbone {args.backbone},'
        f' {args.input_size} px crops, random weights. {torch.get_num_threads()} torch threads,'
        f' GPU {gpu}; torch {torch.__version__}. {args.rounds} timed rounds per cell, engines'
        ' interleaved.'
    )
    table = markdown(rates, engines, batches, header) + '\n'.join(descriptions) + '\n'
    publish('engines', table, argv, args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
