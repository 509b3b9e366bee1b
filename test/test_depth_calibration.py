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
Metric depth of real crop-model output against ground truth (issue 13), without running a model.

fixtures/depth_crops/*.npz hold BlazePose-full output (GT boxes, 60 frames at 10 Hz, one walker)
on two generated sequences with the sequence's true floor: d0_walk1 (benchmarks/depth.md; 1.2 m
camera, person at 5-7 m) and v2_near (a held-out sequence, seed 108: 1.1 m camera, person at
2-4.5 m). Arrays: joints (F, 33, 3) m, joints2d (F, 33, 2) px, conf (F, 33), boxes (F, 4) px,
gt_root (F, 3) m (GT hip midpoint), stamps (F,) s, fx px, image_size, normal (3,), offset m,
skeleton. The constants of DepthConfig were chosen on held-out sequences (v0-v4, seeds
106-110); d0_walk1 is not one of them. m33_dance (dance_a, 3.6-4.5 m, 1.8 m camera) and
m31_run (running, 1.6-3.8 m, 0.9 m camera) are one person each of the held-out mixed-motion
sequences v9 / v7 (seeds 33 / 31, scripts/make_depth_heldout.sh), 40 frames at 30 Hz, made by
scripts/make_depth_fixture.py.
"""

from pathlib import Path

import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.core import skeletons
from pose3d_ros.core.ground import GroundPlane
from pose3d_ros.processor import tracker_config
from pose3d_ros.tracking import Tracker, TrackState
from pose3d_ros.tracking.depth_fusion import DepthFusion, GroundSettings
from pose3d_ros.tracking.metric_scale import body_size, DepthConfig, frame_depth
import pytest

FIXTURES = Path(__file__).parent / 'fixtures' / 'depth_crops'


def load(name):
    d = dict(np.load(FIXTURES / f'{name}.npz'))
    d['skeleton'] = str(d['skeleton'])
    d['plane'] = GroundPlane(d['normal'], float(d['offset']), source='params')
    return d


def track_roots(d, config=None):
    """
    Run DepthFusion + Tracker over the fixture with its true floor.

    Returns rows of (age s, relative error, Mahalanobis distance, sigma along the ray / distance).
    """
    pitch, roll = d['plane'].tilt_deg()
    fusion = DepthFusion(GroundSettings('params', d['plane'].offset, pitch, roll), config)
    skel = skeletons.get_skeleton(d['skeleton'])
    tracker = Tracker(tracker_config(Pose3DConfig(), skel.root))
    hips = [skel.index('lhip'), skel.index('rhip')]
    first, rows = None, []
    for f, stamp in enumerate(d['stamps']):
        joints, depth = fusion.process(
            float(stamp),
            d['joints'][f: f + 1],
            d['joints2d'][f: f + 1],
            d['conf'][f: f + 1],
            d['skeleton'],
            float(d['fx']),
            tuple(int(v) for v in d['image_size']),
        )
        tracks = tracker.update(
            float(stamp),
            joints.astype(np.float32),
            d['boxes'][f: f + 1],
            np.ones(1, np.float32),
            d['conf'][f: f + 1],
            d['joints2d'][f: f + 1],
            image_size=tuple(int(v) for v in d['image_size']),
            depth=depth,
        )
        live = [t for t in tracks if t.state != TrackState.LOST]
        if len(live) != 1:
            continue
        t = live[0]
        first = float(stamp) if first is None else first
        g = d['gt_root'][f].astype(np.float64)
        err = t.joints[hips].mean(axis=0) - g
        dist = float(np.linalg.norm(g))
        u = g / dist
        cov = t.root_covariance
        maha = float(np.sqrt(err @ np.linalg.solve(cov, err)))
        rows.append(
            (float(stamp) - first, np.linalg.norm(err) / dist, maha, np.sqrt(u @ cov @ u) / dist)
        )
    return np.array(rows)


@pytest.mark.parametrize('name', ['d0_walk1', 'v2_near'])
def test_floor_contact_depth_is_unbiased(name):
    """
    Return the floor-contact cue alone, frame by frame: median depth error under 1.5 %.

    With the GT ankles' height ratio (0.055) it was +3.2 % on d0_walk1 and +3.4 % on v2_near: the
    network's ankle keypoints sit higher above the floor than the GT ankles.
    """
    d = load(name)
    skel = skeletons.get_skeleton(d['skeleton'])
    hips = [skel.index('lhip'), skel.index('rhip')]
    errs = []
    for f in range(len(d['stamps'])):
        j = d['joints'][f: f + 1].astype(np.float64)
        fd = frame_depth(
            j,
            d['joints2d'][f: f + 1].astype(np.float64),
            d['conf'][f: f + 1].astype(np.float64),
            skel,
            float(d['fx']),
            tuple(int(v) for v in d['image_size']),
            d['plane'],
            j.mean(axis=1),
            DepthConfig(),
        )
        s_floor = np.exp(fd.floor_log_size[0] - fd.log_size_model[0])
        root = j[0, hips].mean(axis=0)
        if np.isfinite(s_floor):
            errs.append(np.log(s_floor * np.linalg.norm(root) / np.linalg.norm(d['gt_root'][f])))
    assert len(errs) >= 50
    assert abs(np.median(errs)) < 0.015


def test_network_size_carries_no_size_information():
    """
    Return the network's body size is about the same for people of different size.

    So it must not count as a size measurement: the d0 person (GT chain 1.44 m) and the v2 person
    (1.35 m) differ by 7 %, their network chains by under 2 %.
    """
    sizes = {}
    for name in ('d0_walk1', 'v2_near'):
        d = load(name)
        sizes[name] = np.median(body_size(d['joints'].astype(np.float64), d['skeleton']))
    assert abs(np.log(sizes['d0_walk1'] / sizes['v2_near'])) < 0.02
    assert DepthConfig().network_size_std >= 0.3


@pytest.mark.parametrize('name', ['d0_walk1', 'v2_near'])
def test_known_floor_root_error_and_honest_covariance(name):
    """
    Issue 13 with the true camera height and pitch.

    Root error <= 3 % of the distance (median; was 4.2 % on d0_walk1 and 4.6 % on v2_near),
    >= 80 % of the errors inside the published 2-sigma ellipsoid, and a sigma that shrinks as the
    track ages while staying within 1-4 % of the distance.
    """
    r = track_roots(load(name))
    assert len(r) >= 50
    assert np.median(r[:, 1]) <= 0.03
    assert np.mean(r[:, 2] <= 2.0) >= 0.8
    young, old = np.median(r[r[:, 0] < 1.0, 3]), np.median(r[r[:, 0] >= 3.0, 3])
    assert old < young
    assert 0.01 < old < 0.04


@pytest.mark.parametrize('name', ['m33_dance', 'm31_run'])
def test_a_dancer_and_a_runner_get_a_covariance_as_wide_as_their_error(name):
    """
    Dances and runs put the root 4-8 % off even on the true floor: the covariance says so.

    The spread of the network's own body size over the track (DepthConfig.wobble_floor_std) widens
    the published covariance: inside 2 sigma 0.07 -> 0.93 for the dancer, 0.66 -> 0.89 for the
    runner, with a sigma along the ray under 2.5x the actual error (not loose). Walkers are not
    widened (test_known_floor_root_error_and_honest_covariance).
    """
    d = load(name)
    off = track_roots(d, DepthConfig(wobble_depth_gain=0.0, wobble_lateral_gain=0.0))
    r = track_roots(d)
    assert len(r) >= 35
    assert np.median(r[:, 1]) > 0.03  # the error this is about
    assert np.mean(off[:, 2] <= 2.0) < 0.75  # without the spread: over-confident
    assert np.mean(r[:, 2] <= 2.0) >= 0.8
    assert np.median(r[:, 3]) < 2.5 * np.median(r[:, 1])
