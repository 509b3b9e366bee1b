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
Temporal filters used by the tracker; time always comes from stamps (seconds), never frame counts.

- `OneEuroFilter`: adaptive low-pass filter (Casiez et al., CHI 2012) vectorised over joints. Its
  cutoff
  rises with the speed of each joint, so slow joints are smoothed hard and fast ones follow with
  little lag.
- `ConstantVelocityKalman`: constant-velocity Kalman filter for a 3D point (position, velocity,
  full 6x6
  covariance) that takes a full 3x3 measurement covariance; gives the root in metres and its
  velocity in m/s.

Both accept NaN measurements (unknown values) and then keep their previous estimate.
"""

from __future__ import annotations

import numpy as np


def smoothing_factor(dt: np.ndarray | float, cutoff_hz: np.ndarray | float) -> np.ndarray:
    """
    Exponential-smoothing factor of a first-order low-pass filter.

    Args:
    ----
        dt: time step, seconds (> 0).
        cutoff_hz: cutoff frequency, Hz (> 0); broadcast against dt.

    Returns
    -------
        alpha in (0, 1]: weight of the new sample.

    """
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff_hz, dtype=np.float64))  # seconds
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """
    One-Euro filter over an array of points of shape (J, D), e.g. (J, 3) metres.

    The derivative used to adapt the cutoff is the norm of each point's velocity (one cutoff per
    point, shared by its D coordinates), so a joint's x, y and z are smoothed alike.

    Args:
    ----
        min_cutoff_hz: cutoff at rest, Hz; lower = smoother when still, more lag.
        beta: cutoff increase per unit of speed, Hz per (unit/s) (Hz per m/s for metres); higher
            = less lag when moving.
        d_cutoff_hz: cutoff of the low-pass on the speed estimate, Hz.

    """

    def __init__(self, min_cutoff_hz: float, beta: float, d_cutoff_hz: float):
        """Set up the filter (arguments: see the class)."""
        self.min_cutoff_hz = float(min_cutoff_hz)
        self.beta = float(beta)
        self.d_cutoff_hz = float(d_cutoff_hz)
        self.value: np.ndarray | None = None  # (J, D) filtered values; NaN where never measured
        self.velocity: np.ndarray | None = None  # (J, D) filtered derivative, units per second

    def reset(self) -> None:
        """Forget the state; the next sample passes through unfiltered."""
        self.value = None
        self.velocity = None

    def __call__(self, x: np.ndarray, dt: float) -> np.ndarray:
        """
        Filter one sample.

        Args:
        ----
            x: (J, D) new sample; rows with any NaN are unknown and keep their previous estimate.
            dt: seconds since the previous sample (> 0).

        Returns
        -------
            (J, D) filtered sample (a view of the internal state; copy before mutating).

        """
        x = np.asarray(x, dtype=np.float64)
        if self.value is None:
            self.value = np.where(np.isfinite(x).all(axis=-1, keepdims=True), x, np.nan)
            self.velocity = np.zeros_like(self.value)
            return self.value
        # weight of the new derivative
        a_d = 1.0 / (1.0 + 1.0 / (2.0 * np.pi * self.d_cutoff_hz * dt))
        prev = self.value
        if np.isfinite(x).all() and np.isfinite(prev).all():  # fast path: every point known
            dx_hat = a_d * (x - prev) / dt + (1.0 - a_d) * self.velocity  # (J, D) units/s
            speed = np.sqrt(np.einsum('jd,jd->j', dx_hat, dx_hat))[:, None]  # (J, 1)
            a = smoothing_factor(dt, self.min_cutoff_hz + self.beta * speed)  # (J, 1)
            self.value = prev + a * (x - prev)
            self.velocity = dx_hat
            return self.value
        known = np.isfinite(x).all(axis=-1)  # (J,)
        fresh = known & ~np.isfinite(prev).all(axis=-1)  # (J,) first measurement of this point
        upd = known & ~fresh  # (J,) points filtered this step
        if upd.any():
            xu, pu = x[upd], prev[upd]  # (K, D)
            dx_hat = a_d * (xu - pu) / dt + (1.0 - a_d) * self.velocity[upd]  # (K, D) units/s
            speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True)  # (K, 1)
            a = smoothing_factor(dt, self.min_cutoff_hz + self.beta * speed)  # (K, 1)
            self.value[upd] = pu + a * (xu - pu)
            self.velocity[upd] = dx_hat
        if fresh.any():
            self.value[fresh] = x[fresh]
            self.velocity[fresh] = 0.0
        return self.value


class ConstantVelocityKalman:
    """
    Constant-velocity Kalman filter for one 3D point with a full covariance.

    State: position (3,) metres and velocity (3,) m/s; covariance `P` (6, 6) in that order. Process
    noise: white acceleration with standard deviation `accel_std` (m/s^2, continuous spectral
    density accel_std^2) on each axis; measurement noise: a full (3, 3) covariance per update (e.g.
    long along the camera ray, from the depth fusion) or the fixed per-axis `meas_std`.

    Args:
    ----
        position: (3,) first measurement, metres.
        meas_std: (3,) default measurement standard deviation per axis, metres.
        accel_std: process noise, m/s^2.
        init_velocity_std: prior standard deviation of the unknown initial velocity, m/s.
        position_cov: (3, 3) covariance of the first measurement, m^2 (default diag(meas_std^2)).

    """

    def __init__(
        self,
        position: np.ndarray,
        meas_std: np.ndarray,
        accel_std: float,
        init_velocity_std: float,
        position_cov: np.ndarray | None = None,
    ):
        """Start the filter at its first measurement (arguments: see the class)."""
        # (6,)
        self.x = np.concatenate([np.asarray(position, dtype=np.float64).reshape(3), np.zeros(3)])
        self.r = np.diag(np.asarray(meas_std, dtype=np.float64) ** 2)  # (3, 3) m^2
        self.q = float(accel_std) ** 2  # (m/s^2)^2 per Hz
        self.P = np.zeros((6, 6))  # (6, 6): m^2, m^2/s, m^2/s^2 blocks
        self.P[:3, :3] = self.r if position_cov is None else np.asarray(position_cov, np.float64)
        self.P[3:, 3:] = np.eye(3) * float(init_velocity_std) ** 2

    @property
    def pos(self) -> np.ndarray:
        """(3,) position, metres."""
        return self.x[:3]

    @property
    def vel(self) -> np.ndarray:
        """(3,) velocity, m/s."""
        return self.x[3:]

    @property
    def pos_cov(self) -> np.ndarray:
        """(3, 3) position covariance, m^2."""
        return self.P[:3, :3]

    def predicted(self, dt: float) -> np.ndarray:
        """(3,) position predicted dt seconds ahead, metres (state unchanged)."""
        return self.pos + self.vel * dt

    def _transition(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """State transition F (6, 6) and process noise Q (6, 6) over dt seconds."""
        F = np.eye(6)
        F[:3, 3:] = np.eye(3) * dt
        Q = np.zeros((6, 6))  # white-acceleration blocks (each times the 3x3 identity)
        i = np.arange(3)
        Q[i, i] = self.q * dt**3 / 3.0
        Q[i, i + 3] = Q[i + 3, i] = self.q * dt**2 / 2.0
        Q[i + 3, i + 3] = self.q * dt
        return F, Q

    def predicted_pos_cov(self, dt: float) -> np.ndarray:
        """(3, 3) position covariance dt seconds ahead, m^2 (state unchanged)."""
        P = self.P
        pv = P[:3, 3:] * dt  # (3, 3) m^2
        return P[:3, :3] + pv + pv.T + P[3:, 3:] * dt**2 + np.eye(3) * (self.q * dt**3 / 3.0)

    def predict(self, dt: float) -> None:
        """Advance the state by dt seconds (dt >= 0)."""
        F, Q = self._transition(dt)
        self.x = F @ self.x
        self.P = F @ self.P @ F.T + Q

    def update(self, z: np.ndarray, cov: np.ndarray | None = None) -> None:
        """
        Correct with a position measurement z (3,) metres and its (3, 3) covariance.

        The covariance is in m^2 (default: the fixed per-axis noise); NaN axes are skipped.
        """
        z = np.asarray(z, dtype=np.float64)
        ok = np.flatnonzero(np.isfinite(z))  # measured axes
        if not ok.size:
            return
        R = (self.r if cov is None else np.asarray(cov, np.float64))[np.ix_(ok, ok)]
        H = np.eye(6)[ok]  # (k, 6)
        S = H @ self.P @ H.T + R  # (k, k) innovation covariance, m^2
        K = np.linalg.solve(S, H @ self.P).T  # (6, k) gain
        self.x = self.x + K @ (z[ok] - self.x[ok])
        IKH = np.eye(6) - K @ H
        self.P = IKH @ self.P @ IKH.T + K @ R @ K.T  # Joseph form (stays symmetric positive)
