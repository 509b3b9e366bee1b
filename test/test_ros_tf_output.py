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
`TfOutput's` target_frame path.

A failed lookup skips the frame with a diagnostic (never camera-frame points under the target's
name), a found one re-expresses the tracks. tf2_ros is not installable in this venv, so a stand-in
module provides Buffer/TransformListener with tf2_ros's lookup_transform signature; what is tested
is TfOutput's own handling of both outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass
import sys
import types
from types import SimpleNamespace as NS

from geometry_msgs.msg import TransformStamped
import numpy as np
from pose3d_ros.ros.tf_output import TfOutput
from pose3d_ros.tracking import TrackState
import pytest
from std_msgs.msg import Header


class _Buffer:

    transform = None  # TransformStamped to return, or None to fail like tf2 does

    def lookup_transform(self, target_frame, source_frame, time, timeout=None):
        self.asked = (target_frame, source_frame, timeout)
        if self.transform is None:
            raise RuntimeError(
                f'"{target_frame}" passed to lookupTransform argument target_frame does not exist'
            )
        return self.transform


@pytest.fixture
def tf_output(monkeypatch):
    monkeypatch.setitem(
        sys.modules,
        'tf2_ros',
        types.SimpleNamespace(
            Buffer=_Buffer, TransformListener=lambda buffer, node: None, TransformBroadcaster=None
        ),
    )
    reports = []
    out = TfOutput(
        NS(),
        publish_tf=False,
        target_frame='map',
        timeout_s=0.05,
        report=lambda key, level, message: reports.append((key, level, message)),
    )
    return out, reports


@dataclass
class _Track:  # the fields of tracking.Track that TfOutput reads

    id: str  # noqa: A003
    state: int
    joints: np.ndarray  # (J, 3) metres
    root: np.ndarray  # (3,) metres
    root_velocity: np.ndarray  # (3,) m/s


def _track():
    joints = np.array([[0.0, 0.0, 2.0], [1.0, 0.0, 2.0]])
    return _Track('1', TrackState.TRACKED, joints, joints[0], np.zeros(3))


def test_failed_lookup_skips_the_frame(tf_output):
    out, reports = tf_output
    header = Header(frame_id='camera_optical')
    assert out.to_target(header, [_track()]) is None
    assert out._buffer.asked[:2] == ('map', 'camera_optical')
    assert out._buffer.asked[2].nanoseconds == 50_000_000  # tf_timeout_s
    key, level, message = reports[-1]
    assert key == 'target_frame' and level == 2 and 'frame not published' in message


def test_found_transform_re_expresses_the_tracks(tf_output):
    out, _ = tf_output
    tf = TransformStamped()
    tf.transform.translation.x = 5.0
    # 90 deg about z
    tf.transform.rotation.z, tf.transform.rotation.w = np.sin(np.pi / 4), np.cos(np.pi / 4)
    out._buffer.transform = tf
    header, tracks = out.to_target(Header(frame_id='camera_optical'), [_track()])
    assert header.frame_id == 'map'
    np.testing.assert_allclose(tracks[0].joints, [[5.0, 0.0, 2.0], [5.0, 1.0, 2.0]], atol=1e-12)
