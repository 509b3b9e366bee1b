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

"""Bone-length plausibility filter and 3D pose NMS."""

from core_synth import random_people
import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.filtering import (
    bone_lengths,
    filter_poses,
    plausible_bones,
    pose_distance,
    pose_nms,
)
from pose3d_ros.core.skeletons import reference_bone_lengths, SMPL_24

REF = reference_bone_lengths(SMPL_24)
CAM = Camera.from_fov(640, 480)


def _people(n, seed=0):
    return random_people(np.random.default_rng(seed), CAM, n, depth_range=(2.0, 8.0))


def test_real_people_are_plausible():
    people = _people(50)
    assert plausible_bones(people, SMPL_24.edges, REF).all()
    assert np.allclose(
        bone_lengths(people[:1], SMPL_24.edges)[0] / REF,
        bone_lengths(people[:1], SMPL_24.edges)[0, 0] / REF[0],
    )  # one body scale


def test_implausible_bones_are_dropped():
    people = _people(4)
    knee, ankle = SMPL_24.index('lkne'), SMPL_24.index('lank')
    bad = people.copy()
    bad[0, ankle] = bad[0, knee] + (bad[0, ankle] - bad[0, knee]) * 4.0  # shin 4x: ~1.6 m
    bad[1, ankle] = bad[1, knee] + 0.001  # shin collapsed to 1 mm
    keep = plausible_bones(bad, SMPL_24.edges, REF)
    assert keep.tolist() == [False, False, True, True]
    # a short bone (5 cm reference) at 4x is off by only 0.15 m: the ratio alone does not drop it
    small = np.array([0.05])
    pose = np.array([[[0, 0, 0], [0.2, 0, 0]]], float)
    assert plausible_bones(pose, [(0, 1)], small).all()
    pose[0, 1, 0] = 0.5  # 10x and off by 0.45 m
    assert not plausible_bones(pose, [(0, 1)], small).any()
    # NaN joints are not judged
    pose[0, 1] = np.nan
    assert plausible_bones(pose, [(0, 1)], small).all()


def test_pose_distance_is_scale_normalised():
    p = _people(2)
    d = pose_distance(p, p)
    assert np.allclose(np.diag(d), 0.0) and d[0, 1] > 1.0
    # 10 cm shift of every joint ~ 0.2 of the spread of an adult
    shifted = p[:1] + np.array([0.1, 0, 0])
    assert 0.1 < pose_distance(p[:1], shifted)[0, 0] < 0.4
    assert pose_distance(p[:1], np.full_like(p[:1], np.nan))[0, 0] == np.inf


def test_nms_removes_duplicates_keeps_neighbours():
    people = _people(3, seed=1)
    rng = np.random.default_rng(2)
    dup = people[1] + rng.normal(scale=0.03, size=people[1].shape)  # same person, 3 cm noise
    side = people[0] + np.array([0.6, 0, 0])  # another person 60 cm beside person 0
    poses = np.concatenate([people, dup[None], side[None]])
    scores = np.array([0.9, 0.5, 0.8, 0.7, 0.6])
    keep = pose_nms(poses, scores, threshold=0.4)
    assert keep.tolist() == [0, 2, 3, 4]  # the lower-scored duplicate of person 1 is gone
    assert pose_nms(poses[:0], scores[:0]).shape == (0,)


def test_two_crops_of_one_far_person_are_one_person_in_the_image():
    # The network's absolute depth follows the crop: a second, narrower box around a person 15 m
    # away gives their skeleton again, 8 % farther along the same rays. In 3D the two poses are
    # 1.2 m apart (far above the threshold); their 2D skeletons coincide.
    person = _people(1, seed=4)[0]
    person = person - person.mean(axis=0) + np.array([1.0, 0.5, 15.0])
    echo = person * 1.08  # scaled about the camera centre: the same image points
    beside = person + np.array([0.5, 0.0, 0.0])  # a second person half a metre to the side
    poses = np.stack([person, echo, beside])
    poses2d = CAM.project(poses.reshape(-1, 3)).reshape(3, -1, 2)
    scores = np.array([0.9, 0.8, 0.7])
    assert pose_distance(poses[:1], poses[1:2])[0, 0] > 2.0
    assert pose_nms(poses, scores, 0.4).tolist() == [0, 1, 2]  # 3D alone keeps the echo
    assert pose_nms(poses, scores, 0.4, poses2d).tolist() == [0, 2]
    # the 2D test only for the pairs it is asked for (the pipeline: those with a track's ROI)
    apart = np.ones((3, 3), bool)
    apart[0, 1] = apart[1, 0] = False
    assert pose_nms(poses, scores, 0.4, poses2d, apart).tolist() == [0, 1, 2]


def test_filter_poses_combines_both():
    people = _people(3, seed=3)
    bad = people[2].copy()
    bad[SMPL_24.index('head')] += np.array([0, -2.0, 0])  # head 2 m above the neck
    poses = np.concatenate([people[:2], people[:1] + 0.01, bad[None]])
    keep = filter_poses(poses, [0.5, 0.6, 0.9, 0.99], SMPL_24.edges, REF)
    assert keep.tolist() == [2, 1]
