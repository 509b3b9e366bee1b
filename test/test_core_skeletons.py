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

"""Joint sets as data and mappings between them."""

import numpy as np
from pose3d_ros.core.skeletons import (
    BLAZEPOSE_33,
    COCO_19,
    convert,
    get_skeleton,
    H36M_17,
    mapping,
    mapping_matrix,
    reference_bone_lengths,
    root_position,
    SKELETONS,
    SMPL_24,
    template_pose,
)
import pytest


@pytest.mark.parametrize(
    'name, n, n_edges',
    [('smpl_24', 24, 23), ('h36m_17', 17, 16), ('coco_19', 19, 18), ('blazepose_33', 33, 35)],
)
def test_definitions(name, n, n_edges):
    s = get_skeleton(name)
    assert s.n_joints == n == len(s.keys) == len(set(s.joint_names)) and len(s.edges) == n_edges
    assert all(0 <= a < n and 0 <= b < n and a != b for a, b in s.edges)
    # every joint is on a bone and all bones have a sensible template length
    assert set(np.ravel(s.edges)) == set(range(n))
    lengths = reference_bone_lengths(s)
    assert np.all((lengths > 0.01) & (lengths < 0.6))
    t = template_pose(s)
    assert 1.5 < np.ptp(t[:, 1]) < 1.9  # an adult's height (top joint to sole/ankle)


def test_official_orders():
    assert COCO_19.joint_names[:3] == ('neck', 'nose', 'pelv') and COCO_19.root == 2
    assert SMPL_24.joint_names[:3] == ('pelv', 'lhip', 'rhip') and SMPL_24.root == 0
    assert H36M_17.joint_names[1] == 'rhip' and H36M_17.joint_names[10] == 'htop'
    assert BLAZEPOSE_33.joint_names[11] == 'left_shoulder' and BLAZEPOSE_33.root is None
    with pytest.raises(KeyError, match='unknown skeleton'):
        get_skeleton('smpl_25')


def test_mapping_by_anatomy():
    idx, valid = mapping('coco_19', 'blazepose_33')
    assert valid.sum() == 17  # COCO's 17 keypoints
    assert COCO_19.joint_names[idx[BLAZEPOSE_33.index('left_wrist')]] == 'lwri'
    assert not valid[BLAZEPOSE_33.index('left_heel')]
    idx, valid = mapping(SMPL_24, H36M_17)
    # spine and head-top have no SMPL counterpart; never invented
    assert [H36M_17.joint_names[i] for i in np.nonzero(~valid)[0]] == ['spin', 'htop']


def test_convert_gives_nan_and_optional_pelvis():
    pts = template_pose(BLAZEPOSE_33)  # (33, 3)
    out = convert(pts, BLAZEPOSE_33, COCO_19)
    assert (
        np.isnan(out[COCO_19.index('pelv')]).all() and np.isnan(out[COCO_19.index('neck')]).all()
    )
    assert np.allclose(out[COCO_19.index('rank')], pts[BLAZEPOSE_33.index('right_ankle')])
    out = convert(pts[None], BLAZEPOSE_33, COCO_19, derive_pelvis=True)[0]
    hips = pts[[BLAZEPOSE_33.index('left_hip'), BLAZEPOSE_33.index('right_hip')]].mean(axis=0)
    assert np.allclose(out[COCO_19.index('pelv')], hips)
    M = mapping_matrix(SMPL_24, COCO_19)
    assert M.shape == (19, 24) and np.isnan(M[COCO_19.index('nose')]).all()
    assert np.allclose(root_position(pts, BLAZEPOSE_33), hips)
    assert np.allclose(root_position(template_pose(SMPL_24), SMPL_24), 0.0)


def test_all_registered():
    assert set(SKELETONS) == {'smpl_24', 'h36m_17', 'coco_19', 'blazepose_33'}
