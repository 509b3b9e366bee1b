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
pose3d-export: write the MeTRAbs crop network to ONNX (dynamic batch) plus a JSON sidecar.

    pose3d-export --release DIR -o metrabs_s.onnx [--with-decoding] [--input-format uint8_nhwc]
    pose3d-export --random-init --backbone efficientnetv2-s --num-joints 24 --input-size 256 -o
    x.onnx

ONNX tensors (batch axis 0 named ``batch`` is dynamic; everything else is fixed):
    input  ``image``: (N, S, S, 3) float32 in [0, 1] (``--input-format float_nhwc``, default for
           ``--release``: the official linear-light crops without loss; the graph does *2-1),
           (N, S, S, 3) uint8 RGB (``uint8_nhwc``, default for ``--random-init``: a quarter of the
           copy; the graph does /255, gamma, *2-1, and the official crops are rounded to 8 bit), or
           (N, 3, S, S) float32 in [-1, 1] (``float_nchw``).
    output ``heatmaps``: (N, (1+D)*J, S/32, S/32) float32 raw head logits (layout in core.decode);
           with ``--with-decoding`` instead ``coords2d`` (N, J, 2) crop pixels and ``coords3d``
           (N, J, 3) metres, origin at the metric cube centre (core.decode soft-argmax).
Files written: ``OUT.onnx``, ``OUT.json`` (``models.metrabs.MetrabsModelInfo``, with the official
crop / reconstruction settings of the release config in ``settings``; ``--num-aug`` stores the
test-time augmentation count) and, for a release with skeletons, ``OUT.joints.npy`` (the (P, M)
joint_transform_matrix). The crop stage applies gamma 0.8 itself, so the graph's ``--gamma`` stays
1.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
import shutil
import sys
import warnings

import numpy as np
from pose3d_ros.core.backbones import BACKBONES
from pose3d_ros.core.decode import decode_metrabs_head_torch
from pose3d_ros.core.metrabs_import import load_metrabs, ReleaseError
from pose3d_ros.core.metrabs_model import InputAdapter, MetrabsNet, STRIDE
from pose3d_ros.models.metrabs import MetrabsModelInfo, sidecar_path
import torch
from torch import nn

DEFAULT_OPSET = 17


class ExportModule(nn.Module):
    """Input adapter + network (+ optional soft-argmax decoding): the graph that is exported."""

    def __init__(
        self,
        net: MetrabsNet,
        input_format: str = 'uint8_nhwc',
        gamma: float = 1.0,
        with_decoding: bool = False,
        box_size_m: float = 2.2,
        heatmap_offset_px: float = STRIDE / 2,
    ):
        super().__init__()
        self.adapter = InputAdapter(input_format, gamma)
        self.net = net
        self.with_decoding = with_decoding
        self.box_size_m = box_size_m
        self.heatmap_offset_px = heatmap_offset_px

    @property
    def output_names(self) -> list[str]:
        return ['coords2d', 'coords3d'] if self.with_decoding else ['heatmaps']

    def example_input(self, batch: int, seed: int = 0) -> torch.Tensor:
        """Return a random input of the exported layout and dtype."""
        s, g = self.net.input_size, torch.Generator().manual_seed(seed)
        if self.adapter.input_format == 'uint8_nhwc':
            return torch.randint(0, 256, (batch, s, s, 3), generator=g, dtype=torch.uint8)
        if self.adapter.input_format == 'float_nhwc':
            return torch.rand((batch, s, s, 3), generator=g)
        return torch.rand((batch, 3, s, s), generator=g) * 2 - 1

    def forward(self, image: torch.Tensor):
        logits = self.net(self.adapter(image))  # (N, (1+D)*J, h, w)
        if not self.with_decoding:
            return logits
        return decode_metrabs_head_torch(  # (N, J, 2) px, (N, J, 3) m
            logits,
            self.net.num_points,
            res=self.net.input_size,
            depth=self.net.depth,
            box_size_m=self.box_size_m,
            pixel_offset=self.heatmap_offset_px,
        )


def export_onnx(module: ExportModule, path: str | Path, opset: int = DEFAULT_OPSET) -> Path:
    """Trace ``module`` (eval mode) to ONNX with a dynamic batch axis and fixed tensor names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module.eval()
    names = module.output_names
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's deprecation notices
        torch.onnx.export(
            module,
            (module.example_input(2),),
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=['image'],
            output_names=names,
            dynamic_axes={n: {0: 'batch'} for n in ['image', *names]},
        )
    return path


def verify_onnx(
    module: ExportModule, path: str | Path, batches=(1, 4), session=None
) -> dict[str, float]:
    """
    Max |onnxruntime - torch| per output name over random inputs of the given batch sizes.

    ``session``: an existing onnxruntime.InferenceSession of ``path`` (one is made otherwise).
    """
    if session is None:
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    worst: dict[str, float] = {}
    module.eval()
    for i, batch in enumerate(batches):
        x = module.example_input(batch, seed=100 + i)
        with torch.no_grad():
            ref = module(x)
        ref = [ref] if isinstance(ref, torch.Tensor) else list(ref)
        got = session.run(module.output_names, {'image': x.numpy()})
        for name, r, o in zip(module.output_names, ref, got):
            if o.shape != tuple(r.shape):
                raise RuntimeError(
                    f'{path}: output {name} has shape {o.shape}, torch {tuple(r.shape)}'
                )
            worst[name] = max(worst.get(name, 0.0), float(np.abs(o - r.numpy()).max()))
    return worst


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='pose3d-export', description=__doc__.split('\n\n')[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--release', type=Path, help='official MeTRAbs PyTorch release folder')
    src.add_argument(
        '--random-init',
        action='store_true',
        help='random weights (tests, benchmarks, engine builds without the weights)',
    )
    p.add_argument('-o', '--output', type=Path, required=True, help='output .onnx path')
    p.add_argument(
        '--with-decoding',
        action='store_true',
        help='include soft-argmax decoding: outputs coords2d (px), coords3d (m)',
    )
    p.add_argument(
        '--input-format',
        choices=InputAdapter.FORMATS,
        default=None,
        help=(
            'default: float_nhwc for --release (the official crops without loss), '
            'uint8_nhwc for --random-init (a quarter of the copy; crops rounded to 8 bit)'
        ),
    )
    p.add_argument(
        '--gamma', type=float, default=1.0, help='x**gamma on [0,1] pixels (uint8 input)'
    )
    p.add_argument(
        '--num-aug',
        type=int,
        default=1,
        help='test-time augmentations stored in the sidecar (1; 5 = the official API default)',
    )
    p.add_argument('--opset', type=int, default=DEFAULT_OPSET)
    p.add_argument(
        '--verify',
        action='store_true',
        help='compare onnxruntime with torch at batch 1 and 4 and print max abs diff',
    )
    g = p.add_argument_group('--random-init network')
    g.add_argument('--backbone', choices=BACKBONES, default='efficientnetv2-s')
    g.add_argument('--num-joints', type=int, default=24)
    g.add_argument('--input-size', type=int, default=256)
    g.add_argument('--depth', type=int, default=8)
    g.add_argument('--box-size-m', type=float, default=2.2)
    g.add_argument('--seed', type=int, default=0)
    return p


def _random_net(args) -> tuple[MetrabsNet, MetrabsModelInfo]:
    torch.manual_seed(args.seed)
    net = MetrabsNet(args.backbone, args.num_joints, args.depth, args.input_size).eval()
    info = MetrabsModelInfo(
        backbone=args.backbone,
        input_size=args.input_size,
        num_points=args.num_joints,
        depth=args.depth,
        box_size_m=args.box_size_m,
        heatmap_offset_px=STRIDE / 2,
        joint_names=[f'joint_{i}' for i in range(args.num_joints)],
        source='random-init',
    )
    return net, info


def _release_net(folder: Path, out: Path) -> tuple[MetrabsNet, MetrabsModelInfo]:
    net, rel = load_metrabs(folder)
    cfg = rel.config
    info = MetrabsModelInfo(
        backbone=cfg.backbone,
        input_size=cfg.input_size,
        num_points=rel.num_points,
        depth=cfg.depth,
        box_size_m=cfg.box_size_m,
        heatmap_offset_px=cfg.heatmap_offset_px,
        mix_3d_inside_fov=cfg.mix_3d_inside_fov,
        centered_stride=cfg.centered_stride,
        legacy_centered_stride_bug=cfg.legacy_centered_stride_bug,
        joint_names=rel.joint_names,
        joint_edges=rel.joint_edges.tolist(),
        source=str(folder.resolve()),
        skeletons={
            name: {
                'joint_names': s.names,
                'edges': s.edges.tolist(),
                'indices': s.indices.tolist(),
            }
            for name, s in rel.skeletons.items()
        },
    )
    if rel.joint_transform is not None:
        matrix_path = out.with_suffix('.joints.npy')
        np.save(matrix_path, rel.joint_transform)
        info.joint_transform_file = matrix_path.name
    return net, info


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out: Path = args.output
    if out.suffix.lower() != '.onnx':
        print(f'pose3d-export: --output must end in .onnx, got {out}', file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        net, info = _random_net(args) if args.random_init else _release_net(args.release, out)
    except ReleaseError as exc:
        print(f'pose3d-export: {exc}', file=sys.stderr)
        return 2
    except ValueError as exc:  # bad --random-init sizes
        print(f'pose3d-export: {exc}', file=sys.stderr)
        return 2
    if args.input_format is None:
        args.input_format = 'uint8_nhwc' if args.random_init else 'float_nhwc'
    module = ExportModule(
        net,
        args.input_format,
        args.gamma,
        args.with_decoding,
        info.box_size_m,
        info.heatmap_offset_px,
    )
    tmp = out.with_suffix('.onnx.partial')
    export_onnx(module, tmp, args.opset)
    shutil.move(tmp, out)  # a crashed export never leaves a half-written .onnx behind
    info.input_format, info.gamma = args.input_format, args.gamma
    info.settings = asdict(info.crop_settings().replace(num_aug=args.num_aug))
    info.with_decoding, info.output_names = args.with_decoding, module.output_names
    info.outputs_doc = (
        'coords2d (N,J,2) float32 crop pixels; coords3d (N,J,3) float32 metres, origin at the '
        'metric cube centre, crop virtual-camera axes'
        if args.with_decoding
        else (
            'heatmaps (N,(1+D)*J,S/32,S/32) float32 logits: channels [0,J) 2D heatmaps, '
            'channel J+d*J+j depth bin d of point j (decode with core.decode.decode_metrabs_head)'
        )
    )
    info.save(sidecar_path(out))
    print(f'wrote {out} ({out.stat().st_size / 1e6:.1f} MB), {sidecar_path(out)}')
    if args.verify:
        for name, diff in verify_onnx(module, out).items():
            print(f'  onnxruntime vs torch, batch 1 and 4: {name} max abs diff {diff:.3g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
