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
The committed generated sequence.

Loads, its GT is self-consistent, and pose3d-eval runs end to end on it
"""

import json
from pathlib import Path

import numpy as np
from pose3d_ros.evalgen.sequence import load_sequence, root_of
import pytest

SEQ = Path(__file__).parent / 'fixtures' / 'eval_seq_small'


@pytest.fixture(scope='module')
def seq():
    return load_sequence(SEQ)


def test_sequence_loads_with_consistent_shapes(seq):
    g = seq.gt
    F, P = g['present'].shape
    J = len(seq.joint_names)
    assert F == seq.num_frames == len(list((SEQ / 'frames').glob('*.png'))) >= 3
    assert g['joints3d'].shape == (F, P, J, 3) and g['joints2d'].shape == (F, P, J, 2)
    assert seq.joint_names[:5] == ['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear']
    w, h = g['image_size']
    assert seq.frame(0).shape == (h, w, 3)
    assert g['present'].any() and np.isfinite(g['joints3d'][g['present']]).all()
    assert np.isnan(g['joints3d'][~g['present']]).all()
    # Bodies are adult-sized and in front of the camera, within the configured distances.
    root = root_of(g['joints3d'][g['present']], seq.joint_names)
    cfg = seq.meta['config']
    assert (root[:, 2] > 0.5 * cfg['dist_min']).all() and (root[:, 2] < cfg['dist_max'] + 2).all()
    head_to_ankle = np.linalg.norm(g['joints3d'][..., 0, :] - g['joints3d'][..., 15, :], axis=-1)
    assert np.nanmin(head_to_ankle) > 0.6 and np.nanmax(head_to_ankle) < 2.0


def test_gt_projects_onto_its_own_boxes_through_its_camera(seq):
    """
    Generate consistency, checked with the runtime's camera model (core.camera).

    Not the generator's
    """
    from pose3d_ros.tools.eval import camera_of

    g = seq.gt
    cam = camera_of(seq)
    assert cam.dist_model == ('plumb_bob' if np.any(g['dist'] != 0) else 'none')
    pres = g['present']
    uv = cam.project(g['joints3d'][pres].astype(np.float64))  # (M, J, 2) px
    np.testing.assert_allclose(uv, g['joints2d'][pres], atol=0.05)
    inside = g['joint_in_image'][pres]
    boxes = g['boxes'][pres]  # amodal, clipped to the image
    lo, hi = boxes[:, None, :2] - 1.0, boxes[:, None, :2] + boxes[:, None, 2:] + 1.0
    ok = ((uv >= lo) & (uv <= hi)).all(-1)
    assert ok[inside].all(), "a visible joint projects outside its person's box"
    vis = g['boxes_visible'][pres]
    has = np.isfinite(vis).all(1)
    assert (vis[has, :2] >= boxes[has, :2] - 1).all()
    assert (vis[has, :2] + vis[has, 2:] <= boxes[has, :2] + boxes[has, 2:] + 1).all()
    assert ((g['visible_fraction'][pres] >= 0) & (g['visible_fraction'][pres] <= 1.05)).all()


def _pipeline_ready() -> str:
    try:
        from pose3d_ros.models import registry
        from pose3d_ros.pipeline import build_default_pipeline  # noqa: F401

        registry.model_path('ssdlite_person')
        registry.model_path('blazepose_full')
    except (ImportError, FileNotFoundError) as e:
        return f'pipeline or its default models not available: {e}'
    return ''


@pytest.mark.skipif(bool(_pipeline_ready()), reason=_pipeline_ready() or 'ok')
@pytest.mark.parametrize('oracle', [False, True])
def test_pose3d_eval_runs_end_to_end(tmp_path, oracle):
    from pose3d_ros.tools.eval import main

    out_json, out_md = tmp_path / 'eval.json', tmp_path / 'eval.md'
    argv = [str(SEQ), '--out-json', str(out_json), '--out-md', str(out_md)] + (
        ['--oracle-boxes'] if oracle else []
    )
    assert main(argv) == 0
    report = json.loads(out_json.read_text())
    assert '| sequence |' in out_md.read_text()
    overall = report['overall']['frame']
    assert set(report['compared_joints']) >= {'lhip', 'rhip', 'lsho', 'rank'}
    assert overall['tp'] + overall['fn'] > 0
    # GT boxes in: every required person gets a pose, and the errors are finite and bounded
    if oracle:
        assert overall['recall'] >= 0.75 and overall['precision'] == 1.0
        assert 0.0 < overall['pa_mpjpe'] < 0.3 and 0.0 < overall['mrpe'] < 2.0
        assert report['sequences']['eval_seq_small']['timings_ms']['model'] > 0
