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

"""Tiny ONNX models written by tests (no weights needed)."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto


def write_yolo_stub(path, raw: np.ndarray, size: int) -> None:
    """ONNX model with input 'images' (1, 3, size, size) whose output 'output0' is always `raw`."""
    const = numpy_helper.from_array(raw.astype(np.float32), 'raw')
    nodes = [
        helper.make_node('ReduceMean', ['images'], ['m'], axes=[1, 2, 3], keepdims=0),  # (1,)
        helper.make_node('Mul', ['m', 'zero'], ['z']),
        helper.make_node('Add', ['raw', 'z'], ['output0']),
    ]
    graph = helper.make_graph(
        nodes,
        'yolo_stub',
        [helper.make_tensor_value_info('images', TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info('output0', TensorProto.FLOAT, list(raw.shape))],
        initializer=[const, numpy_helper.from_array(np.zeros(1, np.float32), 'zero')],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
