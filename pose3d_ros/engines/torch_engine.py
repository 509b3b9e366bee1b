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
`PyTorch` engine.

A torch.nn.Module (given, or loaded from torch.export .pt2 / TorchScript), CPU or CUDA.

fp16 on CUDA (weights and floating inputs in half, outputs returned as float32), optional CUDA
graphs (one captured graph per input shape: for fixed batch sizes) and optional torch.compile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import (
    BackendUnavailableError,
    DeviceUnavailableError,
    Engine,
    EngineConfig,
    EngineConfigError,
    EngineError,
    ModelFileError,
)


def load_module(model: Any) -> tuple[Any, str]:
    """
    torch.nn.Module.

    Or a .pt2 (torch.export) / .pt .ts .torchscript (TorchScript) file -> (module, source)
    """
    import torch

    if isinstance(model, torch.nn.Module):
        return model, type(model).__name__
    if not isinstance(model, (str, Path)):
        raise EngineConfigError(
            f"engine='torch' takes a torch.nn.Module or a model file, got {type(model).__name__}"
        )
    path = Path(model)
    if path.suffix.lower() == '.onnx':
        raise ModelFileError(
            f"engine='torch' cannot run the ONNX file {str(path)!r} (no ONNX-to-torch converter is"
            " used): use engine='onnxruntime' or 'tensorrt', or give the torch.nn.Module / a"
            ' torch.export .pt2 file'
        )
    if not path.is_file() or path.stat().st_size == 0:
        raise ModelFileError(f'model file {str(path)!r} does not exist or is empty')
    try:
        if path.suffix.lower() == '.pt2':
            return torch.export.load(str(path)).module(), str(path)
        if path.suffix.lower() in ('.pt', '.ts', '.torchscript'):
            return torch.jit.load(str(path), map_location='cpu'), str(path)
    except Exception as exc:
        raise ModelFileError(
            f'cannot load {str(path)!r} as a torch.export (.pt2) or TorchScript program (a plain'
            f' state_dict needs its model class): {type(exc).__name__}: {str(exc)[:300]}'
        ) from exc
    raise ModelFileError(
        f"model file {str(path)!r}: engine='torch' reads .pt2, .pt, .ts or .torchscript"
    )


class TorchEngine(Engine):
    """A torch module run on numpy batches."""

    name = 'torch'

    def __init__(self, model: Any, device: str, cfg: EngineConfig) -> None:
        """
        model: module or file (see load_module); device: 'cpu' | 'cuda:N' (resolved); cfg.

        See EngineConfig
        """
        try:
            import torch
        except ImportError as exc:
            raise BackendUnavailableError(
                "engine='torch' needs PyTorch: pip install torch"
            ) from exc
        self._torch = torch
        module, self.source = load_module(model)
        if device.startswith('cuda') and not torch.cuda.is_available():
            raise DeviceUnavailableError(
                f"device={device!r} with engine='torch' needs a CUDA build of PyTorch"
            )
        if cfg.cuda_graphs and device == 'cpu':
            raise DeviceUnavailableError(
                'cuda_graphs=True needs a CUDA device, the device is the CPU'
            )
        if cfg.threads and device == 'cpu':
            torch.set_num_threads(cfg.threads)  # process-wide in PyTorch
        self.device, self.precision, self.cfg = torch.device(device), cfg.precision, cfg
        self.input_names = list(cfg.input_names) or ['input']
        self.output_names = list(cfg.output_names) or ['output']
        shapes = cfg.input_shapes or {}
        self.input_shapes = {
            n: tuple(shapes[n]) if n in shapes else None for n in self.input_names
        }
        self.input_dtypes = dict.fromkeys(self.input_names)
        if isinstance(module, torch.nn.Module) and not isinstance(module, torch.fx.GraphModule):
            # exported GraphModules refuse eval(); they are already inference graphs
            module = module.eval()
        module = module.to(self.device)
        if self.precision == 'fp16':
            module = module.half()
        self.module = module
        self.forward = (
            torch.compile(module, backend=cfg.torch_compile, dynamic=False)
            if cfg.torch_compile
            else module
        )
        # input signature -> (graph, inputs, outputs)
        self._graphs: dict[tuple, tuple[Any, list, Any]] = {}

    @property
    def description(self) -> str:
        extras = ' cuda_graphs' * self.cfg.cuda_graphs + (
            f' compile={self.cfg.torch_compile}' if self.cfg.torch_compile else ''
        )
        return (
            f'torch {self._torch.__version__} {self.device} {self.precision}{extras} {self.source}'
        )

    def _to_device(self, arr: np.ndarray) -> Any:
        tensor = self._torch.from_numpy(arr).to(self.device, non_blocking=True)
        if self.precision == 'fp16' and tensor.is_floating_point():
            tensor = tensor.half()
        return tensor

    def _graph_call(self, tensors: list) -> Any:
        """Replay (capturing on first use) the CUDA graph of this input signature."""
        torch = self._torch
        key = tuple((tuple(t.shape), t.dtype) for t in tensors)
        if key not in self._graphs:
            static_in = [t.clone() for t in tensors]
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                for _ in range(2):  # warm up lazy initialisation outside the capture
                    self.forward(*static_in)
            torch.cuda.current_stream(self.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                static_out = self.forward(*static_in)
            self._graphs[key] = (graph, static_in, static_out)
        graph, static_in, static_out = self._graphs[key]
        for dst, src in zip(static_in, tensors):
            dst.copy_(src)
        graph.replay()
        return static_out

    def _named_outputs(self, outputs: Any) -> dict[str, np.ndarray]:
        torch = self._torch
        if isinstance(outputs, dict):
            items = list(outputs.items())
        elif isinstance(outputs, torch.Tensor):
            items = [(self.output_names[0], outputs)]
        else:
            outputs = list(outputs)
            if len(self.output_names) != len(outputs):
                self.output_names = [f'output_{i}' for i in range(len(outputs))]
            items = list(zip(self.output_names, outputs))
        result = {}
        for name, tensor in items:
            tensor = tensor.detach()
            result[name] = (tensor.float() if tensor.is_floating_point() else tensor).cpu().numpy()
        return result

    def _run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        torch = self._torch
        try:
            with torch.no_grad():
                tensors = [self._to_device(inputs[n]) for n in self.input_names]
                outputs = (
                    self._graph_call(tensors) if self.cfg.cuda_graphs else self.forward(*tensors)
                )
                return self._named_outputs(outputs)
        except EngineError:
            raise
        except Exception as exc:
            shapes = {k: (v.shape, v.dtype.name) for k, v in inputs.items()}
            raise EngineError(
                f'torch failed on {self.source} with inputs {shapes}: '
                f'{type(exc).__name__}: {str(exc)[:400]}'
            ) from exc

    def close(self) -> None:
        self._graphs.clear()
        self.module = self.forward = None
