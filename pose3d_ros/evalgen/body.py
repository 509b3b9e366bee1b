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
Anny bodies posed by DeepMimic segment rotations; mesh vertices and regressed keypoints.

Retargeting (our own mapping): every Anny bone follows one DeepMimic segment.  Its world rotation
is ``G_bone = S(t) · A_bone`` where ``S(t)`` is the segment's world rotation relative to the
DeepMimic rest pose (standing, arms hanging, facing world -y) and ``A_bone`` is a fixed calibration
that first turns the Anny rest bone onto the DeepMimic rest direction (Anny rests in an A-pose:
upper arms are swung down to vertical, legs straightened) by the minimal rotation.  Bones not
listed (fingers, toes, eyes) follow their parent rigidly. Anny's ``world-orient`` pose
parameterisation takes ``D_bone = G_bone · R_rest`` and chains the heads.

Keypoints: Anny's COCO regressor (fixed linear blend of mesh vertices,
``anny.KeypointsRegressor.coco``), applied to the posed mesh, gives the 23 GT joints (17 COCO + 6
foot points); the same weights for every body, frame and shape, so GT is consistent with the
rendered surface.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pose3d_ros.evalgen.motion import DM_PELVIS_HEIGHT, PoseSample
from scipy.spatial.transform import Rotation

# Anny bone -> DeepMimic segment that drives it.
BONE_SEGMENT = {
    'root': 'root',
    'pelvis.L': 'root',
    'pelvis.R': 'root',
    'spine05': 'root',
    'spine04': 'root',
    'spine03': 'chest',
    'spine02': 'chest',
    'spine01': 'chest',
    'clavicle.L': 'chest',
    'shoulder01.L': 'chest',
    'clavicle.R': 'chest',
    'shoulder01.R': 'chest',
    'neck01': 'neck',
    'neck02': 'neck',
    'neck03': 'neck',
    'head': 'neck',
    'upperarm01.L': 'left_shoulder',
    'upperarm02.L': 'left_shoulder',
    'lowerarm01.L': 'left_elbow',
    'lowerarm02.L': 'left_elbow',
    'wrist.L': 'left_elbow',
    'upperarm01.R': 'right_shoulder',
    'upperarm02.R': 'right_shoulder',
    'lowerarm01.R': 'right_elbow',
    'lowerarm02.R': 'right_elbow',
    'wrist.R': 'right_elbow',
    'upperleg01.L': 'left_hip',
    'upperleg02.L': 'left_hip',
    'lowerleg01.L': 'left_knee',
    'lowerleg02.L': 'left_knee',
    'foot.L': 'left_ankle',
    'upperleg01.R': 'right_hip',
    'upperleg02.R': 'right_hip',
    'lowerleg01.R': 'right_knee',
    'lowerleg02.R': 'right_knee',
    'foot.R': 'right_ankle',
}
# Bones calibrated to hang vertically: bone -> (from bone head, to bone head) defining its rest
# direction.
_VERTICAL = {
    'upperarm01.{s}': ('upperarm01.{s}', 'lowerarm01.{s}'),
    'upperarm02.{s}': ('upperarm01.{s}', 'lowerarm01.{s}'),
    'lowerarm01.{s}': ('lowerarm01.{s}', 'wrist.{s}'),
    'lowerarm02.{s}': ('lowerarm01.{s}', 'wrist.{s}'),
    'wrist.{s}': ('lowerarm01.{s}', 'wrist.{s}'),
    'upperleg01.{s}': ('upperleg01.{s}', 'lowerleg01.{s}'),
    'upperleg02.{s}': ('upperleg01.{s}', 'lowerleg01.{s}'),
    'lowerleg01.{s}': ('lowerleg01.{s}', 'foot.{s}'),
    'lowerleg02.{s}': ('lowerleg01.{s}', 'foot.{s}'),
}
# Clothing regions by bone-name prefix, for colours.
REGIONS = ('skin', 'shirt', 'trousers', 'shoes', 'hair')


@dataclasses.dataclass(frozen=True)
class BodyShape:
    """Anny phenotype in [0, 1] each (0.5 = average); see ``anny.Anny.phenotype_labels``."""

    gender: float = 0.5
    age: float = 0.5
    muscle: float = 0.5
    weight: float = 0.5
    height: float = 0.5
    proportions: float = 0.5

    @staticmethod
    def random(rng: np.random.Generator) -> 'BodyShape':
        """
        Return a varied adult.

        Any gender, age 0.4-0.9 (young to older adult), weight/muscle/height spread
        """
        return BodyShape(
            gender=rng.uniform(0, 1),
            age=rng.uniform(0.4, 0.9),
            muscle=rng.uniform(0.2, 0.8),
            weight=rng.uniform(0.2, 0.8),
            height=rng.uniform(0.2, 0.9),
            proportions=rng.uniform(0.3, 0.7),
        )


def _min_rotation(a: np.ndarray, b: np.ndarray) -> Rotation:
    """Smallest rotation taking direction ``a`` (3,) onto ``b`` (3,)."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis)
    if s < 1e-9:
        return Rotation.identity()
    return Rotation.from_rotvec(axis / s * np.arctan2(s, float(a @ b)))


class AnnyBody:
    """
    One Anny body of a fixed shape, posed frame by frame.

    Args:
    ----
        model: a shared ``anny.Anny()`` instance (float64, CPU).
        shape: phenotype of this person.

    """

    def __init__(self, model, shape: BodyShape):
        import anny
        import torch

        self._torch = torch
        self.model = model
        self.labels = list(model.bone_labels)
        self.parents = [int(p) for p in model.bone_parents]
        self.pheno = {
            k: torch.tensor([getattr(shape, k)], dtype=model.dtype) for k in model.phenotype_labels
        }
        self.regressor = anny.KeypointsRegressor.coco(model)
        self.keypoint_names = list(self.regressor.labels)
        with torch.no_grad():
            rest = model(phenotype_kwargs=self.pheno)
        self.rest_poses = rest['rest_bone_poses'][0].numpy()  # (B, 4, 4) world, rest
        heads = {l: self.rest_poses[i, :3, 3] for i, l in enumerate(self.labels)}
        rest_verts = rest['rest_vertices'][0].numpy()
        # Standing pelvis height over the soles, m: scales DeepMimic root motion to this body.
        self.pelvis_height = float(heads['root'][2] - rest_verts[:, 2].min())
        self.calib = {}
        for side in ('L', 'R'):
            for bone, (a, b) in _VERTICAL.items():
                d = heads[b.format(s=side)] - heads[a.format(s=side)]
                self.calib[bone.format(s=side)] = _min_rotation(d, np.array([0.0, 0.0, -1.0]))
        self.faces = model.get_triangular_faces().numpy()  # (T, 3) vertex indices
        self.face_region = self._face_regions(heads)

    def _face_regions(self, heads: dict[str, np.ndarray]) -> np.ndarray:
        """
        (T,) index into ``REGIONS`` from each face's dominant bone and, for the head.

        The vertex height
        """
        w = self.model.vertex_bone_weights.numpy()
        idx = self.model.vertex_bone_indices.numpy()
        dominant = idx[np.arange(len(idx)), w.argmax(1)]
        names = np.array(self.labels)[dominant]
        region = np.full(len(names), REGIONS.index('shirt'))
        for i, n in enumerate(names):
            if n.startswith(('upperleg', 'lowerleg', 'pelvis')):
                region[i] = REGIONS.index('trousers')
            elif n.startswith(('foot', 'toe')):
                region[i] = REGIONS.index('shoes')
            elif n.startswith(
                ('lowerarm', 'wrist', 'finger', 'metacarpal', 'neck', 'head', 'eye')
            ):
                region[i] = REGIONS.index('skin')
        rest_v = self.model.template_vertices.numpy()
        head_top = rest_v[:, 2] > np.percentile(rest_v[:, 2], 97.5)
        back = rest_v[:, 1] > np.percentile(rest_v[:, 1], 60)
        hair = head_top | ((names == 'head') & back)
        region[hair & (region == REGIONS.index('skin'))] = REGIONS.index('hair')
        return region[self.faces[:, 0]]

    def pose(
        self, sample: PoseSample, yaw: float, offset: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        Posed mesh and keypoints in the world frame (z up, ground z = 0).

        Args:
        ----
            sample: segment rotations and DeepMimic root position.
            yaw: radians about world z applied to the whole body.
            offset: (2,) metres, world x/y added to the scaled root position.

        Returns
        -------
            vertices (V, 3) metres, keypoints (23, 3) metres (``self.keypoint_names``), world
                frame.

        """
        torch = self._torch
        turn = Rotation.from_euler('z', yaw)
        scale = self.pelvis_height / DM_PELVIS_HEIGHT
        world_g: list[Rotation] = []
        deltas = np.tile(np.eye(4), (len(self.labels), 1, 1))
        for i, label in enumerate(self.labels):
            seg = BONE_SEGMENT.get(label)
            if seg is None:
                g = world_g[self.parents[i]]
            else:
                g = turn * sample.rotations[seg]
                if label in self.calib:
                    g = g * self.calib[label]
            world_g.append(g)
            deltas[i, :3, :3] = g.as_matrix() @ self.rest_poses[i, :3, :3]
        root = turn.apply(sample.root * scale)
        deltas[0, :3, 3] = root + np.r_[offset, 0.0]  # pelvis head; DeepMimic ground is z = 0 too
        with torch.no_grad():
            out = self.model(
                pose_parameters=torch.from_numpy(deltas[None]),
                phenotype_kwargs=self.pheno,
                pose_parameterization='world-orient',
            )
            kp = self.regressor(out)[0].numpy()
        return out['vertices'][0].numpy(), kp
