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
Synthetic multi-person scenes with known 3D ground truth, for tracker tests and benchmarks.

People are 17-joint stick figures (Human3.6M order, pelvis = joint 0) walking on a ground plane
with a gait (swinging legs and arms, pelvis bob), seen by a pinhole camera (optical frame: x right,
y down, z forward) mounted `camera_height_m` above the ground and looking horizontally. Detections
carry per-joint noise, a larger noise on the root along the camera ray (monocular depth), missing
joints, missed detections, false positives and, optionally, occlusion by nearer people. Everything
is seeded and deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NUM_JOINTS = 17  # pelvis, r hip/knee/ankle, l hip/knee/ankle, spine, thorax, neck, head,
#                  l shoulder/elbow/wrist, r shoulder/elbow/wrist


@dataclass
class PinholeCamera:
    """Pinhole camera without distortion; pixels, OpenCV convention."""

    fx: float = 500.0  # px
    fy: float = 500.0  # px
    cx: float = 320.0  # px
    cy: float = 240.0  # px
    width: int = 640  # px
    height: int = 480  # px

    def project(self, p: np.ndarray) -> np.ndarray:
        """(..., 3) metres, camera frame -> (..., 2) pixels."""
        z = p[..., 2]
        return np.stack(
            [self.fx * p[..., 0] / z + self.cx, self.fy * p[..., 1] / z + self.cy], axis=-1
        )


@dataclass
class SceneConfig:
    """Settings of one synthetic scene. Metres, seconds, pixels."""

    # "walk" (people enter, cross and leave), "occlusion" (one 0.5 s full occlusion),
    kind: str = 'walk'
    #                     "crowd" (many people wandering), "single" (one person walking a circle)
    num_people: int = 6  # people in view at the same time (about)
    duration_s: float = 30.0  # seconds
    fps: float = 30.0  # nominal frame rate, Hz
    fps_jitter: float = 0.0  # relative jitter of frame intervals (0.5 = +-50 %)
    drop_rate: float = 0.0  # probability that a whole frame is dropped (stamps then skip)
    joint_noise_m: float = 0.025  # per-joint noise std, metres
    root_depth_noise_m: float = 0.07  # whole-pose noise along the camera ray, std, metres
    root_lateral_noise_m: float = 0.01  # whole-pose noise across the ray, std, metres
    miss_rate: float = 0.05  # probability that a visible person is not detected
    fp_rate: float = 0.2  # false-positive detections per frame (Poisson mean)
    nan_joint_rate: float = 0.03  # probability that a joint is unknown (NaN)
    box_noise_px: float = 3.0  # box corner noise std, pixels
    full_occlusion: bool = False  # drop detections of people hidden behind nearer ones
    camera_height_m: float = 1.4  # metres above the ground
    # people's pelvises stay at least this far apart on the ground, metres
    min_separation_m: float = 0.6
    seed: int = 0
    camera: PinholeCamera = field(default_factory=PinholeCamera)


@dataclass
class Frame:
    """One frame: ground truth and detections."""

    stamp: float  # seconds
    gt_ids: np.ndarray  # (M,) int ids of people in view
    gt_joints: np.ndarray  # (M, J, 3) metres, camera frame
    joints: np.ndarray  # (N, J, 3) metres, detected, NaN = unknown
    boxes: np.ndarray  # (N, 4) x, y, w, h px
    scores: np.ndarray  # (N,)
    joint_conf: np.ndarray  # (N, J)
    keypoints2d: np.ndarray  # (N, J, 2) px
    det_gt: np.ndarray  # (N,) ground-truth id of each detection, -1 = false positive
    hidden_ids: np.ndarray  # (K,) ids of people in view but fully occluded (not detected)


def skeleton(
    pelvis: np.ndarray, heading: float, phase: float, stride: float, scale: float, ground_y: float
) -> np.ndarray:
    """
    Pose a walking person.

    Args:
    ----
        pelvis: (3,) pelvis position; its y is replaced by the standing height above ground_y.
        heading: walking direction in the x-z plane, radians (0 = +x).
        phase: gait phase, radians.
        stride: swing amplitude in [0, 1] (0 = standing).
        scale: body size factor (1 = 1.75 m tall).
        ground_y: camera-frame y of the ground, metres (y down).

    Returns
    -------
        (17, 3) joints, metres, camera frame (y down).

    """
    f = np.array([np.cos(heading), 0.0, np.sin(heading)])  # forward
    # right-hand side (seen from above, y down)
    r = np.array([np.sin(heading), 0.0, -np.cos(heading)])
    up = np.array([0.0, -1.0, 0.0])
    s = scale
    pel = np.array(
        [pelvis[0], ground_y - s * (0.95 + 0.02 * stride * np.cos(2 * phase)), pelvis[2]]
    )
    j = np.zeros((NUM_JOINTS, 3))
    j[0] = pel
    for k, side, ph in ((1, 1.0, phase), (4, -1.0, phase + np.pi)):  # right leg, left leg
        th = 0.45 * stride * np.sin(ph)  # thigh angle, radians
        kn = 0.5 * stride * max(0.0, np.sin(ph - 0.5))  # knee flexion, radians
        hip = pel + side * 0.1 * s * r
        knee = hip + 0.46 * s * (-up * np.cos(th) + f * np.sin(th))
        ankle = knee + 0.45 * s * (-up * np.cos(th - kn) + f * np.sin(th - kn))
        j[k], j[k + 1], j[k + 2] = hip, knee, ankle
    j[7] = pel + 0.25 * s * up
    j[8] = pel + 0.5 * s * up
    j[9] = pel + 0.6 * s * up + 0.03 * s * f
    j[10] = pel + 0.72 * s * up + 0.06 * s * f
    # left arm swings with the right leg
    for k, side, ph in ((11, -1.0, phase), (14, 1.0, phase + np.pi)):
        al = 0.35 * stride * np.sin(ph)
        sh = j[8] + side * 0.18 * s * r
        el = sh + 0.28 * s * (-up * np.cos(al) + f * np.sin(al))
        wr = el + 0.26 * s * (
            -up * np.cos(al + 0.4 * stride + 0.1) + f * np.sin(al + 0.4 * stride + 0.1)
        )
        j[k], j[k + 1], j[k + 2] = sh, el, wr
    return j


@dataclass
class _Person:

    id: int  # noqa: A003
    start: float  # s
    end: float  # s
    pos: np.ndarray  # (3,) metres (y unused)
    heading: float  # radians
    speed: float  # m/s
    yaw_rate: float  # rad/s
    scale: float
    phase: float = 0.0
    seen: bool = False  # has been in view; leaving the view afterwards ends the person


def _people(cfg: SceneConfig, rng: np.random.Generator) -> list[_Person]:
    """Trajectory seeds of the people of a scene."""
    people: list[_Person] = []
    if cfg.kind == 'single':
        # One person walking a circle of radius 1.5 m around (0, 5) m at 1.2 m/s.
        return [_Person(0, 0.0, cfg.duration_s, np.array([0.0, 0, 3.5]), 0.0, 1.2, 1.2 / 1.5, 1.0)]
    if cfg.kind == 'occlusion':
        # Person 0 walks left to right at 2.5 m; person 1 stands-ish at 6 m and is hidden for ~0.5
        # s.
        return [
            _Person(0, 0.0, cfg.duration_s, np.array([-2.3, 0, 2.5]), 0.0, 1.5, 0.0, 1.05),
            _Person(1, 0.0, cfg.duration_s, np.array([-0.3, 0, 6.0]), 0.0, 0.1, 0.0, 0.95),
        ]
    if cfg.kind == 'crowd':
        for i in range(cfg.num_people):
            pos = np.array([rng.uniform(-3.0, 3.0), 0, rng.uniform(3.0, 12.0)])
            people.append(
                _Person(
                    i,
                    0.0,
                    cfg.duration_s,
                    pos,
                    rng.uniform(-np.pi, np.pi),
                    rng.uniform(0.3, 1.4),
                    rng.normal(0, 0.3),
                    rng.uniform(0.9, 1.1),
                )
            )
        return people
    # walk: people enter from the left or right edge, cross the view (crossing each other) and
    # leave.
    rate = cfg.num_people * 1.3 / 8.0  # arrivals per second, to keep ~num_people in view
    t, i = -6.0, 0
    while t < cfg.duration_s:
        side = rng.choice([-1.0, 1.0])
        z = rng.uniform(3.0, 9.0)
        speed = rng.uniform(0.8, 1.6)
        pos = np.array([side * (0.75 * z + 0.8), 0, z])
        heading = (np.pi if side > 0 else 0.0) + rng.normal(0, 0.25)
        people.append(
            _Person(
                i, t, t + 40.0, pos, heading, speed, rng.normal(0, 0.05), rng.uniform(0.9, 1.1)
            )
        )
        i += 1
        t += rng.exponential(1.0 / rate)
    return people


def _stamps(cfg: SceneConfig, rng: np.random.Generator) -> np.ndarray:
    """(F,) frame stamps, seconds."""
    dt = 1.0 / cfg.fps
    n = int(cfg.duration_s * cfg.fps * 1.6) + 2
    steps = dt * (1.0 + cfg.fps_jitter * rng.uniform(-1, 1, n))
    stamps = 100.0 + np.concatenate([[0.0], np.cumsum(steps)])
    stamps = stamps[stamps < 100.0 + cfg.duration_s]
    if cfg.drop_rate > 0:
        stamps = stamps[rng.random(len(stamps)) >= cfg.drop_rate]
    return stamps


def _box(cam: PinholeCamera, joints: np.ndarray) -> np.ndarray:
    """(4,) person box from its joints (J, 3), with margins like a detector's, pixels."""
    uv = cam.project(joints)  # (J, 2) px
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    h = hi[1] - lo[1]
    lo = lo - np.array([0.12 * h, 0.12 * h])
    hi = hi + np.array([0.12 * h, 0.04 * h])
    return np.concatenate([lo, hi - lo])


def _covered(box: np.ndarray, others: list[np.ndarray]) -> float:
    """Fraction of box covered by the other boxes (their overlaps summed, clipped to 1)."""
    area = box[2] * box[3]
    tot = 0.0
    for o in others:
        w = min(box[0] + box[2], o[0] + o[2]) - max(box[0], o[0])
        h = min(box[1] + box[3], o[1] + o[3]) - max(box[1], o[1])
        tot += max(w, 0.0) * max(h, 0.0)
    return min(tot / area, 1.0) if area > 0 else 1.0


def generate(cfg: SceneConfig) -> list[Frame]:
    """Simulate a scene; returns its frames in stamp order."""
    rng = np.random.default_rng(cfg.seed)
    cam = cfg.camera
    people = _people(cfg, rng)
    stamps = _stamps(cfg, rng)
    t0 = stamps[0]
    frames: list[Frame] = []
    # Advance people from their start to the first stamp with a fine step.
    t_prev = min(p.start for p in people) + t0
    for t in np.concatenate([np.arange(t_prev, t0, 0.05), stamps]):
        dt = t - t_prev
        t_prev = t
        for p in people:
            if t - t0 < p.start:
                continue
            if cfg.kind == 'crowd':
                # Turn back towards the middle when leaving the area.
                if abs(p.pos[0]) > 3.5 or not 2.5 < p.pos[2] < 13.0:
                    target = np.arctan2(7.0 - p.pos[2], -p.pos[0])
                    p.heading += np.clip(
                        np.angle(np.exp(1j * (target - p.heading))), -1.5 * dt, 1.5 * dt
                    )
                p.yaw_rate = 0.98 * p.yaw_rate + rng.normal(0, 0.1)
            p.heading += p.yaw_rate * dt
            p.pos = p.pos + p.speed * dt * np.array([np.cos(p.heading), 0.0, np.sin(p.heading)])
            p.phase += 2 * np.pi * dt * p.speed / (1.4 * p.scale)  # stride length 1.4 m
        _keep_apart([p for p in people if p.start <= t - t0 <= p.end], cfg.min_separation_m)
        if t < t0:
            continue
        frames.append(_observe(cfg, cam, rng, t, people, t0))
    return frames


def _keep_apart(people: list[_Person], min_sep: float) -> None:
    """Push apart people closer than min_sep metres on the ground plane (bodies do not overlap)."""
    if len(people) < 2:
        return
    xz = np.array([[p.pos[0], p.pos[2]] for p in people])  # (P, 2) metres
    d = xz[:, None] - xz[None]  # (P, P, 2)
    dist = np.linalg.norm(d, axis=-1) + np.eye(len(people)) * 1e9  # (P, P)
    push = np.clip(min_sep - dist, 0.0, None) / 2.0  # (P, P) metres each side
    move = (d / np.maximum(dist, 1e-6)[..., None] * push[..., None]).sum(axis=1)  # (P, 2)
    for p, m in zip(people, move):
        p.pos = p.pos + np.array([m[0], 0.0, m[1]])


def _observe(
    cfg: SceneConfig,
    cam: PinholeCamera,
    rng: np.random.Generator,
    t: float,
    people: list[_Person],
    t0: float,
) -> Frame:
    """Ground truth and detections of one frame."""
    ids, gts, boxes = [], [], []
    for p in people:
        if not p.start <= t - t0 <= p.end or p.pos[2] < 1.0:
            continue
        stride = min(p.speed / 1.3, 1.0)
        j = skeleton(p.pos, p.heading, p.phase, stride, p.scale, cfg.camera_height_m)
        b = _box(cam, j)
        cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
        if not (0 <= cx < cam.width and 0 <= cy < cam.height):
            # left the view: gone for good (a re-entry could not keep its id without appearance)
            if p.seen:
                p.end = t - t0
            continue
        p.seen = True
        ids.append(p.id)
        gts.append(j)
        boxes.append(b)
    J = NUM_JOINTS
    dj, db, ds, dc, dk, dg, hidden = [], [], [], [], [], [], []
    depth = [g[0, 2] for g in gts]
    for k, (pid, g, b) in enumerate(zip(ids, gts, boxes)):
        nearer = [boxes[m] for m in range(len(ids)) if depth[m] < depth[k] - 0.3]
        cover = _covered(b, nearer)
        if cfg.full_occlusion and cover > 0.7:
            hidden.append(pid)
            continue
        miss = cfg.miss_rate + (0.3 if cover > 0.3 else 0.0)
        if rng.random() < miss:
            continue
        ray = g[0] / np.linalg.norm(g[0])
        shift = ray * rng.normal(0, cfg.root_depth_noise_m) + rng.normal(
            0, cfg.root_lateral_noise_m, 3
        )
        # (J, 3) metres
        noisy = g + shift + rng.normal(0, cfg.joint_noise_m * (1.0 + cover), (J, 3))
        dk.append(cam.project(noisy))
        noisy[rng.random(J) < cfg.nan_joint_rate] = np.nan
        dj.append(noisy)
        db.append(b + rng.normal(0, cfg.box_noise_px, 4))
        ds.append(rng.uniform(0.6, 1.0) * (1.0 - 0.5 * cover))
        dc.append(rng.uniform(0.5, 1.0, J))
        dg.append(pid)
    for _ in range(rng.poisson(cfg.fp_rate)):
        z = rng.uniform(2.0, 10.0)
        pos = np.array([rng.uniform(-0.4, 0.4) * z, 0, z])
        g = skeleton(
            pos,
            rng.uniform(-np.pi, np.pi),
            rng.uniform(0, 2 * np.pi),
            rng.uniform(0, 1),
            rng.uniform(0.7, 1.2),
            cfg.camera_height_m + rng.normal(0, 0.3),
        )
        g = g + rng.normal(0, 0.05, (J, 3))
        dk.append(cam.project(g))
        dj.append(g)
        db.append(_box(cam, g))
        ds.append(rng.uniform(0.1, 0.6))
        dc.append(rng.uniform(0.1, 0.6, J))
        dg.append(-1)
    n = len(dj)
    return Frame(
        stamp=float(t),
        gt_ids=np.array(ids, dtype=int),
        gt_joints=np.array(gts).reshape(len(ids), J, 3),
        joints=np.array(dj).reshape(n, J, 3),
        boxes=np.array(db).reshape(n, 4),
        scores=np.array(ds).reshape(n),
        joint_conf=np.array(dc).reshape(n, J),
        keypoints2d=np.array(dk).reshape(n, J, 2),
        det_gt=np.array(dg, dtype=int),
        hidden_ids=np.array(hidden, dtype=int),
    )
