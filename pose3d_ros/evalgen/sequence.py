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
On-disk format of an evaluation sequence.

And its reader (numpy + OpenCV only: runs in the main venv).

A sequence is a folder::

    frames/000000.png ...   RGB frames (8-bit PNG), one per time step
    gt.npz                  ground truth arrays (below)
    meta.json               camera, scene parameters, people, joint names, generator version

``gt.npz`` (F frames, P people slots, J = 23 joints, float32 unless noted; NaN where undefined):

============================  ==================
============================================================ key                           shape
meaning ============================  ==================
============================================================ ``stamps``                    (F,)
float64        seconds from the first frame ``ids``                       (P,) int32
person id of each slot (stable over the sequence) ``present``                   (F, P) bool
person in front of the camera and projecting into the image ``joints3d``                  (F, P, J,
3)        joints in metres, camera optical frame (x right, y down,
                                                  z forward); NaN when not present
``joints2d``                  (F, P, J, 2)        their projection in pixels through K and dist
                                                  (OpenCV
                                                  convention, pixel centres at integers)
``joint_in_image``            (F, P, J) bool      projection inside the image ``joint_occluded``
(F, P, J) bool      another person's surface is nearer at that pixel ``boxes``
(F, P, 4)           amodal box x, y, w, h (px) of the projected mesh, clipped
                                                  to the image
``boxes_visible``             (F, P, 4)           box of the person's visible pixels (after mutual
occlusion) ``visible_fraction``          (F, P)              visible pixels / pixels of the person
rendered alone ``ignore``                    (F, P) bool         too small or hidden to be required
of a detector (visible box
                                                  < 32 px high, or < 25 % visible, or < 6 COCO
                                                  joints seen); matches to it count neither as hits
                                                  nor as false positives
``K``                         (3, 3) float64      intrinsics ``dist``                      (5,)
float64        k1 k2 p1 p2 k3 (OpenCV plumb-bob); zeros when undistorted ``image_size``
(2,) int32          width, height ============================  ==================
============================================================

Joints (``meta["joint_names"]``): Anny's COCO regressor -- the 17 COCO keypoints (nose, eyes, ears,
shoulders, elbows, wrists, hips, knees, ankles) then big toes, small toes, heels -- each a fixed
linear blend of mesh vertices.  The root used for absolute errors is the midpoint of the two hips
(``root_of``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np

FORMAT_VERSION = 1
GT_KEYS = (
    'stamps',
    'ids',
    'present',
    'joints3d',
    'joints2d',
    'joint_in_image',
    'joint_occluded',
    'boxes',
    'boxes_visible',
    'visible_fraction',
    'ignore',
    'K',
    'dist',
    'image_size',
)


@dataclasses.dataclass
class EvalSequence:
    """
    A loaded sequence: ``gt`` maps the keys above to arrays.

    ``meta`` is the parsed meta.json
    """

    path: Path
    gt: dict[str, np.ndarray]
    meta: dict

    @property
    def num_frames(self) -> int:
        return len(self.gt['stamps'])

    @property
    def joint_names(self) -> list[str]:
        return list(self.meta['joint_names'])

    def frame_path(self, index: int) -> Path:
        return self.path / 'frames' / f'{index:06d}.png'

    def frame(self, index: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB frame."""
        bgr = cv2.imread(str(self.frame_path(index)), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(self.frame_path(index))
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_sequence(path: str | Path) -> EvalSequence:
    """Read a sequence folder written by ``write_sequence``."""
    path = Path(path)
    meta = json.loads((path / 'meta.json').read_text())
    if meta.get('format_version') != FORMAT_VERSION:
        raise ValueError(
            f"{path}: format_version {meta.get('format_version')} != {FORMAT_VERSION}"
        )
    with np.load(path / 'gt.npz') as data:
        gt = {k: data[k] for k in data.files}
    missing = set(GT_KEYS) - set(gt)
    if missing:
        raise ValueError(f'{path}/gt.npz lacks {sorted(missing)}')
    return EvalSequence(path=path, gt=gt, meta=meta)


def write_sequence(
    path: str | Path, frames: list[np.ndarray], gt: dict[str, np.ndarray], meta: dict
) -> Path:
    """Write frames (list of (H, W, 3) uint8 RGB), gt.npz and meta.json into ``path``."""
    path = Path(path)
    (path / 'frames').mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(frames):
        cv2.imwrite(
            str(path / 'frames' / f'{i:06d}.png'),
            cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
            [cv2.IMWRITE_PNG_COMPRESSION, 9],
        )
    np.savez_compressed(path / 'gt.npz', **{k: gt[k] for k in GT_KEYS})
    meta = dict(meta, format_version=FORMAT_VERSION, num_frames=len(frames))
    (path / 'meta.json').write_text(json.dumps(meta, indent=1, sort_keys=True))
    return path


def root_of(joints: np.ndarray, names: list[str]) -> np.ndarray:
    """(..., J, 3) -> (..., 3) root = midpoint of ``left_hip`` and ``right_hip``."""
    return 0.5 * (
        joints[..., names.index('left_hip'), :] + joints[..., names.index('right_hip'), :]
    )
