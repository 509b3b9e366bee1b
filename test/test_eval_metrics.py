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
Harness sanity of pose3d_ros.eval.metrics.

GT scores zero, known shifts score what they should
"""

import numpy as np
from pose3d_ros.eval.metrics import (
    box_iou,
    match_boxes,
    MetricsConfig,
    pose_errors,
    procrustes_align,
    SequenceEvaluator,
)
import pytest
from scipy.spatial.transform import Rotation

J = 17
CFG = MetricsConfig(root_indices=(11, 12))  # COCO hips


def _people(rng, n=3, frames=12):
    """(F, n, J, 3) walking skeletons 2-6 m away, (F, n, 4) boxes that do not overlap, ids."""
    base = rng.normal(0, 0.3, size=(n, J, 3))
    joints, boxes = [], []
    for f in range(frames):
        off = np.stack([np.array([-2.0 + 2.0 * i + 0.02 * f, 0.0, 3.0 + i]) for i in range(n)])
        joints.append(base + off[:, None] + 0.01 * np.sin(0.5 * f))
        boxes.append(np.array([[50.0 + 200 * i + f, 100.0, 120.0, 300.0] for i in range(n)]))
    return np.array(joints), np.array(boxes), np.arange(n)


def _run(gt_j, gt_b, ids, pred_j=None, pred_ids=None):
    ev = SequenceEvaluator(CFG, fps=30.0)
    pred_j = gt_j if pred_j is None else pred_j
    for f in range(len(gt_j)):
        tid = [f't{i}' for i in ids] if pred_ids is None else pred_ids[f]
        ev.add_frame(gt_j[f], gt_b[f], ids, np.zeros(len(ids), bool), pred_j[f], gt_b[f], tid)
    return ev.summary()


def test_ground_truth_scores_zero_error_everywhere():
    gt_j, gt_b, ids = _people(np.random.default_rng(0))
    s = _run(gt_j, gt_b, ids)
    for key in (
        'mpjpe',
        'rr_mpjpe',
        'pa_mpjpe',
        'mrpe',
        'mrpe_x',
        'mrpe_y',
        'mrpe_z',
        'accel_error',
    ):
        assert s[key] == pytest.approx(0.0, abs=1e-9), key
    for key in (
        'pck_rel',
        'pck_abs',
        'recall',
        'precision',
        'idf1',
        'mota',
        'scale_ratio',
        'depth_ratio',
    ):
        assert s[key] == pytest.approx(1.0), key
    assert s['id_switches'] == 0 and s['fp'] == 0 and s['fn'] == 0 and s['missing_joints'] == 0
    assert s['accel_pred'] == pytest.approx(s['accel_gt'])


def test_shift_of_10_cm_scores_100_mm_mrpe_and_no_relative_error():
    gt_j, gt_b, ids = _people(np.random.default_rng(1))
    shift = np.array([0.06, 0.0, 0.08])  # |shift| = 0.1 m
    s = _run(gt_j, gt_b, ids, pred_j=gt_j + shift)
    assert s['mrpe'] == pytest.approx(0.1)
    assert s['mpjpe'] == pytest.approx(0.1)
    assert s['mrpe_x'] == pytest.approx(0.06) and s['mrpe_z'] == pytest.approx(0.08)
    assert s['rr_mpjpe'] == pytest.approx(0.0, abs=1e-9)
    assert s['pa_mpjpe'] == pytest.approx(0.0, abs=1e-9)
    assert s['pck_rel'] == 1.0 and s['pck_abs'] == 1.0
    assert s['accel_error'] == pytest.approx(0.0, abs=1e-6)


def test_pa_mpjpe_invariant_to_similarity_transform():
    rng = np.random.default_rng(2)
    gt = rng.normal(0, 0.4, (J, 3)) + [0, 0, 4]
    rot = Rotation.from_euler('xyz', [20, -35, 50], degrees=True).as_matrix()
    pred = 1.3 * gt @ rot.T + [0.5, -0.2, 1.0]
    np.testing.assert_allclose(procrustes_align(pred, gt), gt, atol=1e-9)
    e = pose_errors(pred, gt, CFG)
    assert e['pa'].max() < 1e-9
    assert e['rel'].mean() > 0.05  # root-relative error does see the rotation and scale
    noisy = gt + rng.normal(0, 0.02, gt.shape)
    e1 = pose_errors(noisy, gt, CFG)['pa'].mean()
    e2 = pose_errors(0.7 * noisy @ rot.T + [1, 2, 3], gt, CFG)['pa'].mean()
    assert e1 == pytest.approx(e2, rel=1e-9)


def test_nan_joints_are_excluded_and_counted_not_scored_as_zero():
    gt_j, gt_b, ids = _people(np.random.default_rng(3), n=1, frames=3)
    pred = gt_j + np.array([0.0, 0.0, 0.2])
    pred[:, :, 0] = np.nan  # nose never provided
    s = _run(gt_j, gt_b, ids, pred_j=pred)
    assert s['missing_joints'] == 3 and s['scored_joints'] == 3 * (J - 1)
    assert s['missing_joint_fraction'] == pytest.approx(1 / J)
    assert s['mpjpe'] == pytest.approx(0.2)  # a zero for the NaN joint would have lowered it
    # every scored joint is 200 mm off; the missing one is not counted a hit
    assert s['pck_abs'] == 0.0
    pred[:, :, 11] = np.nan  # a hip: no root, so no root-relative / root errors for that person
    s = _run(gt_j, gt_b, ids, pred_j=pred)
    assert np.isnan(s['mrpe']) and np.isnan(s['rr_mpjpe'])
    assert s['mpjpe'] == pytest.approx(0.2)


def test_idf1_is_one_for_perfect_ids_and_drops_with_a_swap():
    gt_j, gt_b, ids = _people(np.random.default_rng(4), n=2, frames=20)
    perfect = [['a', 'b']] * 20
    assert _run(gt_j, gt_b, ids, pred_ids=perfect)['idf1'] == pytest.approx(1.0)
    swapped = [['a', 'b']] * 10 + [['b', 'a']] * 10
    s = _run(gt_j, gt_b, ids, pred_ids=swapped)
    assert s['idf1'] < 0.75 and s['id_switches'] == 2
    # the swap is a tracking error, not a pose error
    assert s['mpjpe'] == pytest.approx(0.0, abs=1e-9)


def test_detection_matching_with_ignored_people_and_false_positives():
    gt = np.array([[0, 0, 100, 200], [300, 0, 100, 200], [600, 0, 20, 30]], float)
    ignore = np.array([False, False, True])
    pred = np.array([[5, 5, 100, 200], [600, 0, 20, 30], [900, 0, 50, 50]], float)
    pairs, fp, fn = match_boxes(pred, gt, ignore, 0.5)
    assert pairs == [(0, 0)] and fn == 1
    # the one on the ignored person is not a false positive
    assert fp.tolist() == [False, False, True]
    assert box_iou(gt[:1], gt[:1])[0, 0] == pytest.approx(1.0)
    assert box_iou(gt[:1], np.full((1, 4), np.nan))[0, 0] == 0.0
