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
The floor in the camera optical frame.

A plane from parameters, from a transform, or estimated from feet.

Convention: `GroundPlane(normal, offset)` with `normal` (3,) the unit world-up direction in the
camera optical frame (x right, y down, z forward) and `offset` the camera's height above the floor,
metres, so that the height of a camera-frame point X above the floor is `normal . X + offset` (0 on
the floor, `offset` at the optical centre). No ROS here; the ROS layer turns a TF lookup into the
4x4 matrix `plane_from_transform` takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroundPlane:
    """
    Floor plane in the camera optical frame (see module docstring).

    normal: (3,) unit up vector, camera frame. offset: camera height above the floor, metres (> 0
    when the camera is above it). normal_std_rad / offset_std_m: 1-sigma uncertainty (0 for a plane
    given exactly).
    """

    normal: np.ndarray  # (3,) unit, camera optical frame
    offset: float  # metres: height of the optical centre above the floor
    normal_std_rad: float = 0.0  # 1-sigma tilt uncertainty of the normal, radians
    offset_std_m: float = 0.0  # 1-sigma uncertainty of the offset, metres
    source: str = 'params'  # where it came from: 'tf' | 'params' | 'estimate'
    # True when the offset comes from the population height prior (estimated, camera height
    # unknown): then the plane says nothing about one person's stature
    scale_from_prior: bool = False

    def height(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame metres -> (...,) height above the floor, metres."""
        return np.asarray(points, np.float64) @ self.normal + self.offset

    def ray_scale(self, points: np.ndarray, height: float | np.ndarray = 0.0) -> np.ndarray:
        """
        Scale rays onto the plane `height` metres above the floor.

        Returns the factor s such that s * point lies there (the ray through the camera centre and
        the point meets that plane). (..., 3) -> (...,); NaN where the ray does not descend to it.
        """
        down = np.asarray(points, np.float64) @ self.normal  # (...,) metres, < 0 below the camera
        with np.errstate(divide='ignore', invalid='ignore'):
            s = (np.asarray(height, np.float64) - self.offset) / down
        return np.where((down < -1e-9) & (s > 0), s, np.nan)

    def tilt_deg(self) -> tuple[float, float]:
        """(pitch, roll) in degrees in the parameter convention of `plane_from_params`."""
        n = self.normal
        pitch = np.degrees(np.arcsin(np.clip(-n[2], -1.0, 1.0)))
        roll = np.degrees(np.arctan2(n[0], -n[1]))
        return float(pitch), float(roll)

    def describe(self) -> str:
        """One line for diagnostics: source, height, pitch, roll, normal."""
        pitch, roll = self.tilt_deg()
        n = self.normal
        return (
            f'{self.source}: height {self.offset:.3f} m, pitch {pitch:.2f} deg, roll {roll:.2f}'
            f' deg, normal ({n[0]:.4f}, {n[1]:.4f}, {n[2]:.4f})'
        )


def plane_from_params(
    camera_height_m: float, camera_pitch_deg: float = 0.0, camera_roll_deg: float = 0.0
) -> GroundPlane:
    """
    Plane of a camera `camera_height_m` above the floor.

    Its optical axis `camera_pitch_deg` below the horizontal (positive = looking down) and rolled
    about the optical axis so that the world's up direction appears turned `camera_roll_deg`
    clockwise in the image (positive = clockwise).
    """
    if not camera_height_m > 0:
        raise ValueError(f'camera_height_m must be > 0, got {camera_height_m}')
    th, ph = np.radians(camera_pitch_deg), np.radians(camera_roll_deg)
    # (3,) camera frame
    normal = np.array([np.sin(ph) * np.cos(th), -np.cos(ph) * np.cos(th), -np.sin(th)])
    return GroundPlane(normal, float(camera_height_m), source='params')


def plane_from_transform(image_to_ground: np.ndarray) -> GroundPlane:
    """
    Plane from the 4x4 transform taking image (optical) frame points into a ground frame whose.

    Floor is z = 0 with z up (what a TF lookup of target=ground_frame, source=image frame gives).
    """
    T = np.asarray(image_to_ground, np.float64).reshape(4, 4)
    row = T[2, :3]  # (3,) ground-z axis in camera coordinates (row of the rotation)
    norm = np.linalg.norm(row)
    if not norm > 1e-9:
        raise ValueError('transform has no rotation')
    return GroundPlane(row / norm, float(T[2, 3]) / norm, source='tf')


def _group_median(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """(n,) median of `values` (K,) in each group 0..n-1 of `groups` (K,); NaN for empty groups."""
    order = np.lexsort((values, groups))
    v, g = values[order], groups[order]
    cnt = np.bincount(g, minlength=n)  # (n,)
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]])  # (n,) first index of each group
    out = np.full(n, np.nan)
    has = cnt > 0
    lo = start[has] + (cnt[has] - 1) // 2
    hi = start[has] + cnt[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


class GroundPlaneEstimator:
    """
    Robust plane fit over the foot points of standing/walking people, accumulated over time.

    Each sample is one tracked person's lowest foot point in one frame (camera frame, metres, put
    to a roughly metric scale by the height prior), that person's body up direction (mid-ankle ->
    mid-shoulder, unit) and a key (the track id). A person's own scale error moves all of their
    points along the camera rays by one factor, which keeps them on a plane of the true normal, so
    the normal minimises the spread of each person's points about their own mean along it,
    regularised towards the mean body-up direction (a single walker's straight path alone leaves
    one tilt free); points farther than `inlier_m` (or 3 robust sigma) from their person's plane
    are dropped and the fit repeated. The offset is `camera_height_m` when given, else the mean
    over people of each person's median height of the camera (its error is that of the height
    prior, shrinking with the number of people).

    Args:
    ----
        camera_height_m: known camera height, metres (0 = unknown). window: number of most recent
        samples kept. min_samples: samples needed before an estimate is given. min_span_s: time the
        samples must span before an estimate is given, seconds. foot_std_m: assumed 1-sigma noise
        of a foot point across the plane, metres. up_std_rad: assumed 1-sigma noise of one body-up
        direction, radians. inlier_m: maximum distance of an inlier from the plane, metres.
        prior_size_std: relative 1-sigma error of one person's scale from the height prior and the
        network (1 / sqrt(1 / 0.053^2 + 1 / 0.5^2); `DepthFusion` passes its config's value).

    """

    def __init__(
        self,
        camera_height_m: float = 0.0,
        window: int = 600,
        min_samples: int = 15,
        min_span_s: float = 1.5,
        foot_std_m: float = 0.05,
        up_std_rad: float = 0.15,
        inlier_m: float = 0.25,
        prior_size_std: float = 0.053,
    ):
        self.camera_height_m = float(camera_height_m)
        self.window, self.min_samples, self.min_span_s = (
            int(window),
            int(min_samples),
            float(min_span_s),
        )
        self.foot_std_m, self.up_std_rad, self.inlier_m = (
            float(foot_std_m),
            float(up_std_rad),
            float(inlier_m),
        )
        self.prior_size_std = float(prior_size_std)
        self._feet: list[np.ndarray] = []  # (3,) metres each
        self._ups: list[np.ndarray] = []  # (3,) unit each
        self._keys: list[str] = []  # person (track id) of each sample
        self._stamps: list[float] = []  # seconds
        self.plane: GroundPlane | None = None

    def reset(self) -> None:
        """Forget every sample and the estimate."""
        self._feet, self._ups, self._keys, self._stamps, self.plane = [], [], [], [], None

    @property
    def num_samples(self) -> int:
        return len(self._feet)

    def add(
        self, stamp_s: float, feet: np.ndarray, ups: np.ndarray, keys=None
    ) -> GroundPlane | None:
        """
        Add one frame's samples.

        (K, 3) foot points, (K, 3) up directions, K person keys (None = all one person); returns
        the current estimate (None until enough samples).
        """
        feet = np.asarray(feet, np.float64).reshape(-1, 3)
        ups = np.asarray(ups, np.float64).reshape(-1, 3)
        keys = [''] * len(feet) if keys is None else [str(k) for k in keys]
        for f, u, k in zip(feet, ups, keys):
            nu = np.linalg.norm(u)
            if np.isfinite(f).all() and np.isfinite(u).all() and nu > 1e-9:
                self._feet.append(f)
                self._ups.append(u / nu)
                self._keys.append(k)
                self._stamps.append(float(stamp_s))
        for lst in (self._feet, self._ups, self._keys, self._stamps):
            del lst[: -self.window]
        if (
            len(self._feet) >= self.min_samples
            and self._stamps[-1] - self._stamps[0] >= self.min_span_s
        ):
            self.plane = self.fit(np.array(self._feet), np.array(self._ups), np.array(self._keys))
        return self.plane

    def fit(
        self, feet: np.ndarray, ups: np.ndarray, keys: np.ndarray | None = None
    ) -> GroundPlane | None:
        """
        Fit the plane to (K, 3) foot points, (K, 3) unit up directions and (K,) person keys.

        See the class docstring.
        """
        keys = np.zeros(len(feet), int) if keys is None else np.asarray(keys)
        _, person = np.unique(keys, return_inverse=True)  # (K,) person index
        npers = int(person.max()) + 1 if len(person) else 0
        up = ups.mean(axis=0)
        up /= np.linalg.norm(up)  # (3,) mean body-up
        keep = np.ones(len(feet), bool)
        normal, lam, h, per = up, np.zeros(3), np.zeros(len(feet)), np.zeros(npers)
        for _ in range(3):  # fit, drop far points, refit
            if keep.sum() < 3:
                return None
            cnt = np.bincount(person[keep], minlength=npers)  # (P,)
            mean = np.stack([np.bincount(person[keep], feet[keep, i], npers) for i in range(3)], 1)
            mean /= np.maximum(cnt, 1)[:, None]  # (P, 3) each person's mean foot point
            c = feet[keep] - mean[person[keep]]  # (k, 3) metres, centred per person
            A = c.T @ c / self.foot_std_m**2 + (keep.sum() / self.up_std_rad**2) * (
                np.eye(3) - np.outer(up, up)
            )
            lam, vec = np.linalg.eigh(A)  # ascending
            normal = vec[:, 0] * np.sign(vec[:, 0] @ up)  # (3,) pointing up
            h = -(feet @ normal)  # (K,) camera height above each foot point, metres
            per = _group_median(h[keep], person[keep], npers)
            r = h - per[person]
            mad = 1.4826 * np.median(np.abs(r[keep]))
            keep = np.abs(r) <= min(self.inlier_m, max(3.0 * mad, 2.0 * self.foot_std_m))
        tilt_std = float(1.0 / np.sqrt(max(lam[1] - lam[0], 1e-12)))  # radians
        if self.camera_height_m > 0:
            return GroundPlane(normal, self.camera_height_m, tilt_std, 0.0, source='estimate')
        cnt = np.bincount(person[keep], minlength=npers)
        w = cnt / (cnt + 10.0)  # people seen in few frames count less
        ok = np.isfinite(per) & (w > 0)
        if not ok.any():
            return None
        offset = float(np.sum(w[ok] * per[ok]) / np.sum(w[ok]))
        off_std = float(self.prior_size_std * offset / np.sqrt(np.sum(w[ok])))
        return GroundPlane(
            normal, offset, tilt_std, off_std, source='estimate', scale_from_prior=True
        )


__all__ = ['GroundPlane', 'GroundPlaneEstimator', 'plane_from_params', 'plane_from_transform']
