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
Per-frame metric depth stage between the pipeline and the tracker.

Picks the floor plane (TF, parameters or an estimate from people's feet), computes each person's
depth cues and applies their single-frame fusion to the poses (scaling about the camera centre).
The tracker then refines the scale per person (`Tracker.update(..., depth=...)`). No ROS here; the
ROS layer hands a TF plane in with `set_tf_plane`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pose3d_ros.core import skeletons
from pose3d_ros.core.ground import GroundPlane, GroundPlaneEstimator, plane_from_params
from pose3d_ros.tracking.metric_scale import DepthConfig, frame_depth, FrameDepth

GROUND_PLANE_SOURCES = ('auto', 'tf', 'params', 'estimate', 'off')


@dataclass
class GroundSettings:
    """Where the floor comes from (the node parameters of the same names)."""

    # auto (tf, then params, then estimate) | tf | params | estimate | off
    ground_plane_source: str = 'auto'
    camera_height_m: float = 0.0  # optical centre above the floor, m; 0 = unknown
    camera_pitch_deg: float = 0.0  # optical axis below the horizontal, deg, positive looking down
    # about the optical axis, deg, positive = the world appears turned clockwise
    camera_roll_deg: float = 0.0


class DepthFusion:
    """Floor + depth cues for each frame (see module docstring)."""

    def __init__(self, ground: GroundSettings | None = None, config: DepthConfig | None = None):
        self.ground = ground or GroundSettings()
        if self.ground.ground_plane_source not in GROUND_PLANE_SOURCES:
            raise ValueError(
                f'ground_plane_source must be one of {GROUND_PLANE_SOURCES}, '
                f'got {self.ground.ground_plane_source!r}'
            )
        self.config = config or DepthConfig()
        c = self.config
        var_prior = (c.prior_stature_std_m / c.prior_stature_m) ** 2
        self.estimator = GroundPlaneEstimator(
            camera_height_m=self.ground.camera_height_m,
            prior_size_std=float(1.0 / np.sqrt(1.0 / var_prior + 1.0 / c.network_size_std**2)),
        )
        self.tf_plane: GroundPlane | None = None

    def set_tf_plane(self, plane: GroundPlane | None) -> None:
        """Return the plane from the latest TF lookup (None when the lookup failed)."""
        self.tf_plane = plane

    def reset(self) -> None:
        """Forget the estimated floor."""
        self.estimator.reset()

    @property
    def enabled(self) -> bool:
        return self.ground.ground_plane_source != 'off'

    def plane(self) -> GroundPlane | None:
        """
        Return the plane in use now.

        Or None (then only the network and the height prior are fused)
        """
        g = self.ground
        src = g.ground_plane_source
        if src in ('tf', 'auto') and self.tf_plane is not None:
            return self.tf_plane
        if src in ('params', 'auto') and g.camera_height_m > 0:
            return plane_from_params(g.camera_height_m, g.camera_pitch_deg, g.camera_roll_deg)
        if src in ('estimate', 'auto'):
            return self.estimator.plane
        return None

    def describe(self) -> str:
        """Source and plane in use, one line (for /diagnostics)."""
        if not self.enabled:
            return 'off'
        p = self.plane()
        if p is None:
            return f'{self.ground.ground_plane_source}: no plane yet (height prior only)'
        return p.describe()

    def process(
        self,
        stamp_s: float,
        joints: np.ndarray,
        joints2d: np.ndarray,
        joint_conf: np.ndarray,
        skeleton: str,
        fx: float,
        image_size: tuple[int, int],
    ) -> tuple[np.ndarray, FrameDepth | None]:
        """
        Put one frame's poses at their fused metric scale.

        Returns (poses (N, J, 3) metres, depth cues or None when off).

        joints: (N, J, 3) metres, camera frame; joints2d: (N, J, 2) px; joint_conf: (N, J); fx: px.
        """
        joints = np.asarray(joints, np.float64)
        if not self.enabled or skeleton not in skeletons.SKELETONS:
            return joints, None
        plane = self.plane()
        root = np.nanmean(joints, axis=1) if len(joints) else np.zeros((0, 3))  # (N, 3) metres
        fd = frame_depth(
            joints,
            np.asarray(joints2d, np.float64),
            np.asarray(joint_conf, np.float64),
            skeleton,
            fx,
            image_size,
            plane,
            root,
            self.config,
        )
        return joints * fd.scale[:, None, None], fd

    def observe(self, stamp_s: float, depth: FrameDepth | None, boxes: np.ndarray, tracks) -> None:
        """
        Feed the floor estimate with this frame's foot points of tracked people.

        The points are keyed by track id.

        depth: this frame's cues; boxes: (N, 4) px, the detections given to the tracker; tracks:
        its output.
        """
        p = self.plane()
        if (
            depth is None
            or self.ground.ground_plane_source not in ('estimate', 'auto')
            or (p is not None and p.source != 'estimate')
        ):
            return
        feet, ups, keys = [], [], []
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        for t in tracks:
            if t.time_since_update_s > 0 or not len(boxes):
                continue
            # a matched track's box is its detection's
            d = int(np.argmin(np.abs(boxes - t.box).sum(axis=1)))
            if np.abs(boxes[d] - t.box).sum() < 1e-3 and np.isfinite(depth.ups[d]).all():
                feet.append(depth.feet[d])
                ups.append(depth.ups[d])
                keys.append(t.id)
        if feet:
            self.estimator.add(stamp_s, np.array(feet), np.array(ups), keys)


__all__ = ['DepthFusion', 'GROUND_PLANE_SOURCES', 'GroundSettings']
