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
Person detectors by registry name or by the path of a user's YOLOv8/YOLO11 ONNX export.

A registry entry's `decoder` picks the adapter class; its `tiles` wrap it in TiledDetector.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

from pose3d_ros.models import registry

DECODERS = {  # registry decoder -> (module, class)
    'ssd': ('pose3d_ros.models.detector_ssd', 'SSDLiteDetector'),
    'centernet': ('pose3d_ros.models.detector_centernet', 'CenterNetDetector'),
    'nanodet': ('pose3d_ros.models.detector_nanodet', 'NanoDetDetector'),
    'movenet': ('pose3d_ros.models.detector_movenet', 'MoveNetDetector'),
    'blazepose': ('pose3d_ros.models.detector_blazepose', 'BlazePoseDetector'),
}


def build_detector(
    name_or_path: str,
    make_engine: Callable[[Path], Any],
    models_dir: str | None = None,
    **options: Any,
):
    """
    Build the detector of a registry name or of a YOLO ONNX path.

    Args:
    ----
        name_or_path: registry name (models/registry.py) or path of a YOLOv8/YOLO11 ONNX export.
        make_engine: path -> engine (engines.create_engine).
        models_dir: folder of the registry's model files (None = the package's models/).
        **options: keyword arguments of the detector class (score_threshold, max_detections,
            min_box_size, ...).

    Returns
    -------
        The detector (a TiledDetector around it for a tiled registry entry).

    """
    from pose3d_ros.models.detector_tiled import TiledDetector
    from pose3d_ros.models.detector_yolo import YoloDetector

    if name_or_path not in registry.MODELS:
        return YoloDetector(make_engine(Path(name_or_path)), **options)
    spec = registry.get_spec(name_or_path)
    if spec.kind != 'detector':
        raise ValueError(f'{name_or_path!r} is a {spec.kind}, not a detector')
    module, cls = DECODERS[spec.decoder]
    options.setdefault('input_size', spec.input_size)
    det = getattr(importlib.import_module(module), cls)(
        make_engine(registry.model_path(name_or_path, models_dir)), **options
    )
    return TiledDetector(det, *spec.tiles) if spec.tiles != (1, 1) else det
