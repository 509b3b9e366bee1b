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
Importer of the official MeTRAbs PyTorch release folder.

On a random checkpoint in its key layout
"""

from __future__ import annotations

import pickle

from metrabs_helpers import official_effv2s_shapes, random_state_dict, write_release
import numpy as np
from pose3d_ros.core.metrabs_import import (
    CheckpointMismatchError,
    load_metrabs,
    load_release,
    load_skeleton_infos,
    read_config,
    ReleaseError,
)
import pytest
import torch

NUM_POINTS = 5


@pytest.fixture(scope='module')
def official_state_dict():
    return random_state_dict(official_effv2s_shapes(NUM_POINTS), seed=1)


@pytest.fixture(scope='module')
def release_dir(tmp_path_factory, official_state_dict):
    return write_release(tmp_path_factory.mktemp('release'), official_state_dict, NUM_POINTS)


def test_official_layout_loads_exactly(release_dir, official_state_dict):
    model, release = load_metrabs(release_dir)
    assert release.config.backbone == 'efficientnetv2-s' and release.config.input_size == 64
    assert release.config.box_size_m == pytest.approx(2.2)
    assert release.config.heatmap_offset_px == 16
    assert release.joint_names == [f'pt{i}' for i in range(NUM_POINTS)]
    ours = model.state_dict()
    assert set(ours) == set(official_state_dict)
    for key, value in official_state_dict.items():
        assert torch.equal(ours[key], value), key
    out = model(torch.zeros(2, 3, 64, 64))
    assert out.shape == (2, 9 * NUM_POINTS, 2, 2) and torch.isfinite(out).all()


def test_skeleton_mapping(release_dir):
    release = load_release(release_dir)
    assert list(release.skeletons) == ['tiny_3']
    assert release.skeletons['tiny_3'].names == ['a', 'b', 'mid_ab']
    w = release.skeleton_matrix('tiny_3')  # (P, 3)
    points = np.random.default_rng(0).normal(size=(NUM_POINTS, 3))
    mapped = np.einsum('pk,pj->jk', points, w)
    np.testing.assert_allclose(mapped[2], (points[0] + points[1]) / 2, atol=1e-6)
    with pytest.raises(ReleaseError, match='available'):
        release.skeleton_matrix('smpl_24')


def test_missing_and_misshapen_keys_listed(tmp_path, official_state_dict):
    broken = dict(official_state_dict)
    del broken['backbone.1.4.3.block.2.fc1.weight']
    broken['backbone.1.7.0.weight'] = torch.zeros(1280, 255, 1, 1)
    broken['backbone.1.9.extra'] = torch.zeros(1)
    write_release(tmp_path, broken, NUM_POINTS)
    with pytest.raises(CheckpointMismatchError) as info:
        load_metrabs(tmp_path)
    msg = str(info.value)
    assert 'missing keys (1)' in msg and 'backbone.1.4.3.block.2.fc1.weight' in msg
    assert 'unexpected keys (1)' in msg and 'backbone.1.9.extra' in msg
    assert 'shape mismatches (1)' in msg
    assert 'backbone.1.7.0.weight: checkpoint (1280, 255, 1, 1), network (1280, 256, 1, 1)' in msg
    assert 'Traceback' not in msg


def test_head_size_must_match_joint_names(tmp_path):
    sd = random_state_dict(official_effv2s_shapes(NUM_POINTS + 1))
    write_release(tmp_path, sd, NUM_POINTS, with_skeletons=False)
    with pytest.raises(CheckpointMismatchError, match='head has 54 channels'):
        load_metrabs(tmp_path)


def test_missing_folder_and_files(tmp_path, official_state_dict):
    with pytest.raises(ReleaseError, match='does not exist'):
        load_release(tmp_path / 'nowhere')
    write_release(tmp_path, official_state_dict, NUM_POINTS)
    (tmp_path / 'joint_info.npz').unlink()
    with pytest.raises(ReleaseError, match='has no joint_info.npz'):
        load_release(tmp_path)


def test_config_rejects_unsupported(tmp_path):
    path = tmp_path / 'config.yaml'
    path.write_text('proc_side: 256\nbackbone: mobilenetv3\n')
    with pytest.raises(ReleaseError, match='not supported'):
        read_config(path)
    path.write_text('proc_side: 256\nbackbone: efficientnetv2-l\ntransform_coords: true\n')
    with pytest.raises(ReleaseError, match='latent'):
        read_config(path)
    path.write_text(
        'proc_side: 256\nefficientnet_size: s\ncentered_stride: false\n'
        'legacy_centered_stride_bug: true\n'
    )  # the official s_256 config
    cfg = read_config(path)
    assert (cfg.backbone, cfg.centered_stride, cfg.heatmap_offset_px) == (
        'efficientnetv2-s',
        False,
        16,
    )


class _Evil:

    def __reduce__(self):
        return (print, ('unpickled arbitrary code',))


def test_skeleton_infos_unpickler_is_restricted(tmp_path, capsys):
    path = tmp_path / 'skeleton_infos.pkl'
    path.write_bytes(pickle.dumps({'x': {'names': ['a'], 'indices': [0], 'edges': _Evil()}}))
    with pytest.raises(ReleaseError, match='refusing to load global builtins.print'):
        load_skeleton_infos(path)
    assert 'unpickled' not in capsys.readouterr().out
    path.write_bytes(
        pickle.dumps(
            {
                'x': {
                    'names': np.array(['a', 'b']),
                    'indices': np.arange(2),
                    'edges': np.array([[0, 1]]),
                }
            },
            protocol=2,
        )
    )
    assert load_skeleton_infos(path)['x'].names == ['a', 'b']


def test_ckpt_with_code_is_refused(tmp_path, official_state_dict):
    write_release(tmp_path, official_state_dict, NUM_POINTS)
    torch.save({'w': _Evil()}, tmp_path / 'ckpt.pt')
    with pytest.raises(ReleaseError, match='tensors-only'):
        load_release(tmp_path)


def test_skeleton_infos_pickled_with_protocol_5(tmp_path):
    """
    Python 3.8+ default pickles (protocol 5) store arrays through numpy's _frombuffer.

    Accepted
    """
    path = tmp_path / 'skeleton_infos.pkl'
    infos = {
        'smpl_24': {
            'names': np.array(['pelv', 'lhip']),
            'indices': np.arange(2, dtype=np.int32),
            'edges': np.array([[0, 1]], np.int64),
        }
    }
    path.write_bytes(pickle.dumps(infos, protocol=5))
    loaded = load_skeleton_infos(path)['smpl_24']
    assert loaded.names == ['pelv', 'lhip'] and loaded.indices.tolist() == [0, 1]
    assert loaded.edges.tolist() == [[0, 1]]
