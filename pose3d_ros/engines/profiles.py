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
Engine options per model role.

Shared by the node (pipeline.build_default_pipeline) and pose3d-build-engines, so that an engine
built ahead of time has exactly the cache key the node asks for.

Detectors run one image per call (batch 1/1/1); crop models run every crop of a frame in one call
(batch 1/8/16: typical / largest batch; larger batches are chunked). Workspace 1024 MiB for both.
A detector whose ONNX input takes any height and width (MoveNet MultiPose: the image scaled to a
longer side of 384 px, padded to multiples of 32) gets a TensorRT profile of 32 to 640 px per side,
tuned for 384; crop models have fixed sizes.
"""

from __future__ import annotations

from typing import Any

ROLES = ('detector', 'crop_model')
WORKSPACE_MB = 1024
BATCH_PROFILES = {'detector': (1, 1, 1), 'crop_model': (1, 8, 16)}
# (min, opt, max) size of dynamic height/width dimensions, pixels; (0, 0, 0) = refused
SPATIAL_PROFILES = {'detector': (32, 384, 640), 'crop_model': (0, 0, 0)}


def engine_role_options(role: str) -> dict[str, Any]:
    """
    `EngineConfig` options (batch and spatial profiles, workspace) of a model role.

    role: 'detector' or 'crop_model'.
    """
    if role not in ROLES:
        raise ValueError(f'unknown model role {role!r}; expected one of {ROLES}')
    b_min, b_opt, b_max = BATCH_PROFILES[role]
    s_min, s_opt, s_max = SPATIAL_PROFILES[role]
    return {
        'batch_min': b_min,
        'batch_opt': b_opt,
        'batch_max': b_max,
        'spatial_min': s_min,
        'spatial_opt': s_opt,
        'spatial_max': s_max,
        'workspace_mb': WORKSPACE_MB,
    }


def resolve_model(name_or_path: str, models_dir: str | None = None) -> str:
    """
    Resolve a registry name (models/registry.py) to its file path.

    Anything else is returned as a path.
    """
    from pose3d_ros.models import registry

    if name_or_path in registry.MODELS:
        return str(registry.model_path(name_or_path, models_dir))
    return str(name_or_path)
