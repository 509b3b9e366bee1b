"""Tiny ONNX models written by tests (no weights needed)."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def write_yolo_stub(path, raw: np.ndarray, size: int) -> None:
    """ONNX model with input 'images' (1, 3, size, size) whose output 'output0' is always `raw`."""
    const = numpy_helper.from_array(raw.astype(np.float32), "raw")
    nodes = [helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=0),  # (1,)
             helper.make_node("Mul", ["m", "zero"], ["z"]),
             helper.make_node("Add", ["raw", "z"], ["output0"])]
    graph = helper.make_graph(
        nodes, "yolo_stub",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(raw.shape))],
        initializer=[const, numpy_helper.from_array(np.zeros(1, np.float32), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
