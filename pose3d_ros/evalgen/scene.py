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
Scene sampling and the frame loop.

People (shape, motion, path) in front of a known camera -> frames + GT.

Everything random is drawn from ``numpy.random.default_rng(config.seed)`` in a fixed order, so a
seed and the command-line parameters reproduce a sequence exactly (same library versions).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
import time

import numpy as np
from pose3d_ros.evalgen import raster
from pose3d_ros.evalgen.body import AnnyBody, BodyShape, REGIONS
from pose3d_ros.evalgen.motion import clip_speed, load_clip, sample_clip, Trajectory
from pose3d_ros.evalgen.sequence import write_sequence

# clips moved along a scripted straight path (treading in place otherwise)
PATH_MOTIONS = ('walk', 'run')
DEFAULT_MOTIONS = ('walk', 'walk', 'walk', 'run', 'dance_a', 'dance_b', 'kick', 'punch', 'jump')
BARREL = (-0.25, 0.07, 0.0005, -0.0003, 0.0)  # k1 k2 p1 p2 k3, a wide-angle webcam-like lens
WALLS = ('rocket', 'coffee', 'motorcycle_left', 'brick')
GROUNDS = ('grass', 'gravel', 'brick')
_SKIN = (
    (0.95, 0.80, 0.69),
    (0.87, 0.67, 0.52),
    (0.72, 0.52, 0.37),
    (0.52, 0.36, 0.25),
    (0.36, 0.24, 0.16),
)
_SHIRTS = (
    (0.85, 0.85, 0.82),
    (0.15, 0.2, 0.35),
    (0.6, 0.1, 0.1),
    (0.2, 0.4, 0.25),
    (0.5, 0.5, 0.52),
    (0.1, 0.1, 0.1),
    (0.75, 0.6, 0.35),
    (0.3, 0.45, 0.7),
)
_TROUSERS = (
    (0.15, 0.2, 0.35),
    (0.08, 0.08, 0.1),
    (0.35, 0.35, 0.38),
    (0.55, 0.48, 0.35),
    (0.25, 0.3, 0.45),
)
_SHOES = ((0.1, 0.08, 0.07), (0.85, 0.85, 0.85), (0.35, 0.22, 0.12))
_HAIR = ((0.06, 0.05, 0.04), (0.25, 0.15, 0.08), (0.6, 0.45, 0.25), (0.55, 0.55, 0.55))
COCO17 = 17  # the first 17 GT joints are the COCO keypoints


@dataclasses.dataclass
class SceneConfig:
    """Scene parameters; ``None`` means "draw from the seed"."""

    seed: int = 0  # reproduces the whole sequence
    frames: int = 40  # number of frames
    fps: float = 30.0  # frame rate, Hz
    width: int = 640  # image width, px
    height: int = 480  # image height, px
    people: int = 2  # number of people
    hfov_deg: float | None = None  # horizontal field of view, degrees (default: 45..95)
    distortion: str = 'random'  # "none", "barrel" or "random" (half the seeds barrel)
    cam_height: float | None = None  # camera height over the ground, m (default: 0.8..2.6)
    tilt_deg: float | None = None  # downward pitch, degrees (default: 0..20)
    dist_min: float = 1.5  # nearest person distance from the camera, m
    dist_max: float = 10.0  # farthest, m
    motions: tuple[str, ...] = DEFAULT_MOTIONS  # pool of motions, drawn per person
    edge_fraction: float = 0.25  # probability that a person stands cut by the image border
    wall: str | None = None  # skimage photo for the backdrop (default: from WALLS)
    ground: str | None = None  # skimage texture for the ground (default: from GROUNDS)
    ssaa: int = 2  # supersampling factor of the rasteriser
    noise_sigma: float = 2.0  # Gaussian pixel noise, 8-bit levels


@dataclasses.dataclass
class Person:
    """
    A sampled person.

    Id, body shape, motion clip name, trajectory, face colours by region (5, 3)
    """

    pid: int
    shape: BodyShape
    motion: str
    trajectory: Trajectory
    palette: np.ndarray  # (5, 3) RGB [0, 1] per REGIONS entry


def _photo(name: str) -> np.ndarray:
    """(h, w, 3) uint8 RGB sample photo from scikit-image; grey ones are tinted."""
    import skimage.data

    img = (
        skimage.data.stereo_motorcycle()[0]
        if name == 'motorcycle_left'
        else getattr(skimage.data, name)()
    )
    if img.ndim == 2:
        tint = {'grass': (0.55, 0.75, 0.4), 'gravel': (0.8, 0.75, 0.65)}.get(
            name, (0.85, 0.7, 0.6)
        )
        img = (img[..., None] * np.array(tint)).astype(np.uint8)
    return np.ascontiguousarray(img[..., :3])


def sample_camera(cfg: SceneConfig, rng: np.random.Generator) -> raster.CameraRig:
    hfov = cfg.hfov_deg if cfg.hfov_deg is not None else rng.uniform(45, 95)
    height = cfg.cam_height if cfg.cam_height is not None else rng.uniform(0.8, 2.6)
    tilt = cfg.tilt_deg if cfg.tilt_deg is not None else rng.uniform(0, 20)
    barrel = cfg.distortion == 'barrel' or (cfg.distortion == 'random' and rng.uniform() < 0.5)
    return raster.CameraRig.create(
        cfg.width, cfg.height, hfov, height, tilt, np.array(BARREL) if barrel else None
    )


def sample_people(
    cfg: SceneConfig, cam: raster.CameraRig, rng: np.random.Generator, speeds: dict[str, float]
) -> list[Person]:
    """Walkers cross the view at different depths (crossings, occlusions); others act on a spot."""
    half_fov = np.arctan(0.5 * cam.width / cam.K[0, 0])
    duration = cfg.frames / cfg.fps
    people = []
    for pid in range(cfg.people):
        motion = str(rng.choice(cfg.motions))
        depth = rng.uniform(cfg.dist_min, cfg.dist_max)
        half_w = depth * np.tan(half_fov)
        if motion in PATH_MOTIONS:
            direction = rng.choice([-1.0, 1.0])
            # rad off the image-parallel line: some walk towards/away
            angle = rng.uniform(-0.35, 0.35)
            u = np.array([np.cos(angle) * direction, np.sin(angle)])
            speed = speeds[motion]
            mid = np.array([rng.uniform(-0.5, 0.5) * half_w, depth])
            start = mid - u * speed * duration / 2
            traj = Trajectory(
                start=start,
                velocity=u * speed,
                yaw=float(np.arctan2(u[1], u[0]) + np.pi / 2),
                t0=rng.uniform(0, 2),
            )
        else:
            x = rng.uniform(-0.7, 0.7) * half_w
            if rng.uniform() < cfg.edge_fraction:
                x = rng.choice([-1.0, 1.0]) * (half_w + rng.uniform(-0.4, 0.1))
            traj = Trajectory(
                start=np.array([x, depth]),
                velocity=np.zeros(2),
                yaw=rng.uniform(-2.0, 2.0),
                t0=rng.uniform(0, 2),
            )
        palette = np.array(
            [
                _SKIN[rng.integers(len(_SKIN))],
                _SHIRTS[rng.integers(len(_SHIRTS))],
                _TROUSERS[rng.integers(len(_TROUSERS))],
                _SHOES[rng.integers(len(_SHOES))],
                _HAIR[rng.integers(len(_HAIR))],
            ]
        ) * rng.uniform(0.85, 1.15, size=(len(REGIONS), 1))
        people.append(
            Person(
                pid=pid,
                shape=BodyShape.random(rng),
                motion=motion,
                trajectory=traj,
                palette=palette,
            )
        )
    return people


def _box(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 2) pixels -> (4,) x, y, w, h box clipped to the image; NaN when outside."""
    lo = np.clip(points.min(0), -0.5, [width - 0.5, height - 0.5])
    hi = np.clip(points.max(0), -0.5, [width - 0.5, height - 0.5])
    if np.any(hi - lo <= 0):
        return np.full(4, np.nan)
    return np.r_[lo, hi - lo]


def generate(cfg: SceneConfig, out_dir: str | Path, log=print) -> Path:
    """Generate one sequence into ``out_dir`` (format in ``pose3d_ros.evalgen.sequence``)."""
    import anny

    rng = np.random.default_rng(cfg.seed)
    cam = sample_camera(cfg, rng)
    clips = {name: load_clip(name) for name in sorted(set(cfg.motions))}
    model = anny.Anny()
    people = sample_people(cfg, cam, rng, {n: clip_speed(c) for n, c in clips.items()})
    bodies = [AnnyBody(model, p.shape) for p in people]
    for p, b in zip(people, bodies):  # path speeds are in DeepMimic scale: rescale to the body
        p.trajectory.velocity = p.trajectory.velocity * b.pelvis_height / 0.8895
    wall = cfg.wall or str(rng.choice(WALLS))
    ground = cfg.ground or str(rng.choice(GROUNDS))
    background = raster.make_background(
        cam, _photo(ground), _photo(wall), wall_distance=cfg.dist_max + 8
    )
    F, P, J = cfg.frames, len(people), len(bodies[0].keypoint_names) if bodies else 23
    gt = {
        'stamps': np.arange(F) / cfg.fps,
        'ids': np.array([p.pid for p in people], np.int32),
        'present': np.zeros((F, P), bool),
        'joints3d': np.full((F, P, J, 3), np.nan, np.float32),
        'joints2d': np.full((F, P, J, 2), np.nan, np.float32),
        'joint_in_image': np.zeros((F, P, J), bool),
        'joint_occluded': np.zeros((F, P, J), bool),
        'boxes': np.full((F, P, 4), np.nan, np.float32),
        'boxes_visible': np.full((F, P, 4), np.nan, np.float32),
        'visible_fraction': np.zeros((F, P), np.float32),
        'ignore': np.ones((F, P), bool),
        'K': cam.K,
        'dist': cam.dist,
        'image_size': np.array([cam.width, cam.height], np.int32),
    }
    frames = []
    started = time.time()
    for f in range(F):
        t = f / cfg.fps
        meshes = []
        for i, (p, b) in enumerate(zip(people, bodies)):
            tr = p.trajectory
            sample = sample_clip(clips[p.motion], tr.t0 + t, in_place=p.motion in PATH_MOTIONS)
            verts, kp = b.pose(sample, tr.yaw, tr.start + tr.velocity * t)
            v_cam, kp_cam = cam.to_camera(verts), cam.to_camera(kp)
            meshes.append(raster.MeshInstance(v_cam, b.faces, p.palette[b.face_region], p.pid))
            front = v_cam[:, 2] > 0.05
            if front.sum() < 0.5 * len(v_cam):
                continue
            box = _box(cam.project(v_cam[front]), cam.width, cam.height)
            if np.isnan(box).any():
                continue
            gt['present'][f, i] = True
            gt['boxes'][f, i] = box
            gt['joints3d'][f, i] = kp_cam
            uv = cam.project(kp_cam)
            gt['joints2d'][f, i] = uv
            gt['joint_in_image'][f, i] = (
                (uv >= -0.5) & (uv < [cam.width - 0.5, cam.height - 0.5])
            ).all(1) & (kp_cam[:, 2] > 0.05)
        color, coverage, ids = raster.render_people(cam, meshes, ssaa=cfg.ssaa)
        img = background.astype(np.float32) * (1 - coverage[..., None]) + 255.0 * color
        img += rng.normal(0, cfg.noise_sigma, img.shape)
        frames.append(np.clip(img + 0.5, 0, 255).astype(np.uint8))
        _visibility(gt, f, cam, meshes, ids)
        if log and (f % 10 == 0 or f == F - 1):
            log(f'frame {f + 1}/{F}  {time.time() - started:.1f} s')
    meta = {
        'generator': 'pose3d_ros.evalgen',
        'config': {**dataclasses.asdict(cfg), 'motions': list(cfg.motions)},
        'joint_names': bodies[0].keypoint_names if bodies else [],
        'root': 'midpoint of left_hip, right_hip',
        'camera': {
            'K': cam.K.tolist(),
            'dist': cam.dist.tolist(),
            'width': cam.width,
            'height': cam.height,
            'R_world_to_camera': cam.R.tolist(),
            'centre_world': cam.C.tolist(),
            'world': 'z up, ground z = 0, metres',
        },
        'background': {'wall': wall, 'ground': ground},
        'people': [
            {
                'id': p.pid,
                'motion': p.motion,
                'shape': dataclasses.asdict(p.shape),
                'pelvis_height_m': b.pelvis_height,
                'start_xy': p.trajectory.start.tolist(),
                'velocity_xy': p.trajectory.velocity.tolist(),
                'yaw': p.trajectory.yaw,
            }
            for p, b in zip(people, bodies)
        ],
    }
    return write_sequence(out_dir, frames, gt, meta)


def _visibility(
    gt: dict, f: int, cam: raster.CameraRig, meshes: list[raster.MeshInstance], ids: np.ndarray
) -> None:
    """
    Fill occlusion flags.

    Visible boxes/fractions and ``ignore`` for frame ``f`` from the id buffer
    """
    boxes = gt['boxes'][f]
    for i, m in enumerate(meshes):
        if not gt['present'][f, i]:
            continue
        ys, xs = np.nonzero(ids == m.pid)
        uv = np.round(gt['joints2d'][f, i]).astype(int)
        inside = gt['joint_in_image'][f, i]
        other = np.zeros(len(uv), bool)
        other[inside] = (ids[uv[inside, 1], uv[inside, 0]] >= 0) & (
            ids[uv[inside, 1], uv[inside, 0]] != m.pid
        )
        gt['joint_occluded'][f, i] = other
        if len(xs) == 0:
            continue
        gt['boxes_visible'][f, i] = [
            xs.min() - 0.5,
            ys.min() - 0.5,
            xs.max() - xs.min() + 1,
            ys.max() - ys.min() + 1,
        ]
        overlapped = any(
            gt['present'][f, k]
            and k != i
            and _overlap(boxes[i], boxes[k])
            and np.nanmedian(meshes[k].vertices[:, 2]) < np.nanmedian(m.vertices[:, 2])
            for k in range(len(meshes))
        )
        alone = raster.silhouette_area(cam, m) if overlapped else len(xs)
        gt['visible_fraction'][f, i] = len(xs) / max(alone, 1)
        seen = (inside & ~other)[:COCO17].sum()
        gt['ignore'][f, i] = (
            gt['boxes_visible'][f, i, 3] < 32 or gt['visible_fraction'][f, i] < 0.25 or seen < 6
        )


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(
        a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
    )
