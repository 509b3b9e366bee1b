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
Ground-truth motion.

DeepMimic clips (pybullet_data) through forward kinematics, plus scripted walks.

A DeepMimic frame (44 values) is ``[dt, root_pos(3), root_quat(4), chest(4), neck(4), r_hip(4),
r_knee(1), r_ankle(4), r_shoulder(4), r_elbow(1), l_hip(4), l_knee(1), l_ankle(4), l_shoulder(4),
l_elbow(1)]`` with quaternions ``(w, x, y, z)``, y up, the character facing +x with its right side
towards +z.  Forward kinematics runs through pybullet's ``humanoid/humanoid.urdf`` (scale 0.25, as
DeepMimic uses it), giving each segment's world rotation; the body module then turns those
rotations into Anny bone orientations.

World frame used by the generator: z up, ground at z = 0, metres.  ``DM_TO_WORLD`` maps DeepMimic
axes to it (DeepMimic +x forward -> world -y, the direction Anny faces in its rest pose; +y up ->
+z; +z right -> -x).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

# Segments whose world rotation drives the body, in pybullet link order of humanoid.urdf.
SEGMENTS = (
    'root',
    'chest',
    'neck',
    'right_hip',
    'right_knee',
    'right_ankle',
    'right_shoulder',
    'right_elbow',
    'left_hip',
    'left_knee',
    'left_ankle',
    'left_shoulder',
    'left_elbow',
)
# (urdf joint index, number of DeepMimic values) for each non-root segment, in frame order.
_DM_LAYOUT = (
    (1, 4),
    (2, 4),
    (3, 4),
    (4, 1),
    (5, 4),
    (6, 4),
    (7, 1),
    (9, 4),
    (10, 1),
    (11, 4),
    (12, 4),
    (13, 1),
)
_URDF_TO_SEGMENT = {
    1: 'chest',
    2: 'neck',
    3: 'right_hip',
    4: 'right_knee',
    5: 'right_ankle',
    6: 'right_shoulder',
    7: 'right_elbow',
    9: 'left_hip',
    10: 'left_knee',
    11: 'left_ankle',
    12: 'left_shoulder',
    13: 'left_elbow',
}
# (3, 3) world <- DeepMimic
DM_TO_WORLD = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
DM_PELVIS_HEIGHT = 0.8895  # m, DeepMimic humanoid's standing root height (its spawn height)
CLIPS = (
    'walk',
    'run',
    'jump',
    'kick',
    'punch',
    'dance_a',
    'dance_b',
    'spin',
    'spinkick',
    'cartwheel',
    'backflip',
    'roll',
    'crawl',
    'getup_faceup',
    'getup_facedown',
)


@dataclasses.dataclass
class MotionClip:
    """
    A motion as segment world rotations, in the generator's world frame (z up).

    Attributes
    ----------
        name: clip name (e.g. ``"walk"``). dt: seconds between frames. root: (F, 3) metres, pelvis
        position of the DeepMimic character (its own scale), world frame. rotations: segment name
        -> (F, 4) quaternions ``(x, y, z, w)`` of the segment's world rotation
            relative to the DeepMimic rest pose (standing, arms down, facing world -y).

    """

    name: str
    dt: float
    root: np.ndarray
    rotations: dict[str, np.ndarray]

    @property
    def duration(self) -> float:
        return self.dt * (len(self.root) - 1)


def motions_dir() -> Path:
    """Folder of the DeepMimic motion files shipped in pybullet_data."""
    import pybullet_data

    return Path(pybullet_data.getDataPath()) / 'data' / 'motions'


def load_clip(name: str) -> MotionClip:
    """
    Read ``humanoid3d_<name>.txt`` and run forward kinematics.

    Through humanoid.urdf in pybullet (DIRECT mode).
    """
    import pybullet
    import pybullet_data

    frames = np.asarray(
        json.loads((motions_dir() / f'humanoid3d_{name}.txt').read_text())['Frames']
    )
    client = pybullet.connect(pybullet.DIRECT)
    try:
        pybullet.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=client)
        body = pybullet.loadURDF(
            'humanoid/humanoid.urdf',
            [0, 0, 0],
            globalScaling=0.25,
            flags=pybullet.URDF_MAINTAIN_LINK_ORDER,
            physicsClientId=client,
        )
        rots = {s: np.zeros((len(frames), 4)) for s in SEGMENTS}
        for f, row in enumerate(frames):
            w, x, y, z = row[4:8]
            pybullet.resetBasePositionAndOrientation(
                body, row[1:4].tolist(), [x, y, z, w], physicsClientId=client
            )
            rots['root'][f] = [x, y, z, w]
            k = 8
            for joint, n in _DM_LAYOUT:
                if n == 4:
                    w, x, y, z = row[k: k + 4]
                    pybullet.resetJointStateMultiDof(
                        body, joint, [x, y, z, w], physicsClientId=client
                    )
                else:
                    pybullet.resetJointState(body, joint, row[k], physicsClientId=client)
                k += n
            for joint, seg in _URDF_TO_SEGMENT.items():
                rots[seg][f] = pybullet.getLinkState(
                    body, joint, computeForwardKinematics=True, physicsClientId=client
                )[5]
    finally:
        pybullet.disconnect(client)
    conj = Rotation.from_matrix(DM_TO_WORLD)
    world_rots = {
        s: (conj * Rotation.from_quat(q) * conj.inv()).as_quat() for s, q in rots.items()
    }
    root = frames[:, 1:4] @ DM_TO_WORLD.T  # (F, 3) m, world frame, DeepMimic scale
    return MotionClip(name=name, dt=float(frames[0, 0]), root=root, rotations=world_rots)


@dataclasses.dataclass
class PoseSample:
    """
    One sampled body pose: segment world rotations (relative to rest) and the pelvis position.

    ``rotations``: segment -> Rotation; ``root``: (3,) metres, world frame, DeepMimic scale.
    """

    rotations: dict[str, Rotation]
    root: np.ndarray


def sample_clip(clip: MotionClip, t: float, in_place: bool) -> PoseSample:
    """
    Pose at time ``t`` seconds, looping the clip; slerp between frames.

    With ``in_place`` the clip's mean horizontal drift per loop is removed (a walk then treads on
    the spot, and the scene moves it along a scripted path); otherwise loops are chained by adding
    that drift.
    """
    n = len(clip.root)
    period = clip.duration
    loop, phase = divmod(t, period)
    u = phase / clip.dt
    i0 = min(int(np.floor(u)), n - 2)
    a = u - i0
    drift = clip.root[-1] - clip.root[0]
    drift[2] = 0.0
    root = (1 - a) * clip.root[i0] + a * clip.root[i0 + 1]
    if in_place:
        root = root - drift * (phase / period) - np.r_[clip.root[0, :2], 0.0]
    else:
        root = root + drift * loop
    rots = {}
    for seg, q in clip.rotations.items():
        slerp = Slerp([0.0, 1.0], Rotation.from_quat(q[i0: i0 + 2]))
        rots[seg] = slerp([a])[0]
    return PoseSample(rotations=rots, root=root)


def clip_speed(clip: MotionClip) -> float:
    """Mean horizontal speed of the clip's root (m/s, DeepMimic scale)."""
    drift = clip.root[-1, :2] - clip.root[0, :2]
    return float(np.linalg.norm(drift) / clip.duration)


def heading_of_clip(clip: MotionClip) -> float:
    """Yaw (radians about world z) of the clip's mean travel direction; 0 when it barely moves."""
    drift = clip.root[-1, :2] - clip.root[0, :2]
    if np.linalg.norm(drift) < 0.2:
        return 0.0
    facing = np.array([0.0, -1.0])  # rest facing in the world frame
    return float(np.arctan2(facing[0] * drift[1] - facing[1] * drift[0], facing @ drift))


@dataclasses.dataclass
class Trajectory:
    """
    Where one person is: a straight path walked at constant speed, or a fixed spot.

    Attributes
    ----------
        start: (2,) metres, world x/y where the motion starts. velocity: (2,) m/s, world x/y; zero
        for motions in place. yaw: radians about world z applied to the whole clip (facing; for a
        walk, the path direction). t0: seconds, clip time at sequence frame 0 (desynchronises
        people).

    """

    start: np.ndarray
    velocity: np.ndarray
    yaw: float
    t0: float
