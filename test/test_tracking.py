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
Tracker tests on synthetic multi-person scenes with known 3D trajectories (no ROS, no GPU).

Scenes come from pose3d_ros.tracking.synthetic (people walking, crossing, occluding each other,
entering and leaving a pinhole camera's view, with per-joint noise, root-depth noise, missed
detections and false positives); identity metrics are computed with motmetrics.
"""

from __future__ import annotations

from pathlib import Path
import re

import numpy as np
from pose3d_ros.tracking import (
    ConstantVelocityKalman,
    OneEuroFilter,
    Tracker,
    TrackerConfig,
    TrackState,
)
from pose3d_ros.tracking.metrics import mot_metrics, run_tracker, smoothing_metrics
from pose3d_ros.tracking.synthetic import generate, NUM_JOINTS, SceneConfig, skeleton
import pytest

IMAGE_SIZE = (640, 480)  # px, the synthetic camera's
J = NUM_JOINTS


def node_tracker_config() -> TrackerConfig:
    """
    Return the tracker settings pose3d_node runs with.

    Pose3DConfig() through the processor's mapping
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.processor import tracker_config

    # root None: the node's default skeleton (BlazePose) has no pelvis
    return tracker_config(Pose3DConfig(), None)


CONFIGS = {'tracker defaults': TrackerConfig, 'node settings': node_tracker_config}


@pytest.fixture(params=list(CONFIGS))
def make_tracker(request):
    """Tracker factory, once with TrackerConfig() and once with the node's settings."""
    return lambda: Tracker(CONFIGS[request.param]())


def _person(x: float, z: float) -> np.ndarray:
    """(J, 3) a fixed standing pose at (x, z), metres."""
    return skeleton(np.array([x, 0.0, z]), 0.0, 0.0, 0.0, 1.0, 1.4)


def _feed(tracker: Tracker, stamp: float, poses: list[np.ndarray]) -> list:
    n = len(poses)
    joints = np.array(poses).reshape(n, J, 3)
    boxes = np.tile([100.0, 100.0, 80.0, 200.0], (n, 1))
    boxes[:, 0] += 100 * np.arange(n)
    return tracker.update(stamp, joints, boxes, np.full(n, 0.9))


def test_states_match_message_constants():
    text = (
        Path(__file__).resolve().parents[1] / 'pose3d_msgs' / 'msg' / 'Skeleton3D.msg'
    ).read_text()
    consts = {m[0]: int(m[1]) for m in re.findall(r'uint8 STATE_(\w+)\s*=\s*(\d+)', text)}
    assert consts == {s.name: int(s) for s in TrackState}


def test_life_cycle_new_tracked_predicted_lost_once():
    tr = Tracker(TrackerConfig(min_hits=3, max_coast_s=0.3))
    states = []
    for k in range(30):
        stamp = 10.0 + k / 30.0
        out = _feed(tr, stamp, [_person(0.0, 4.0)] if k < 10 else [])
        states.append([(t.id, t.state) for t in out])
    # Published from the first detection; NEW until min_hits detections confirm it.
    assert states[0] == states[1] == [('1', TrackState.NEW)]
    assert all(s == [('1', TrackState.TRACKED)] for s in states[2:10])
    coast = [s for s in states[10:] if s and s[0][1] == TrackState.PREDICTED]
    assert 8 <= len(coast) <= 10  # 0.3 s at 30 Hz
    lost = [s for s in states if s and s[0][1] == TrackState.LOST]
    assert lost == [[('1', TrackState.LOST)]]
    assert states[-1] == []


def test_track_fields_units_and_nan_joints():
    tr = Tracker(TrackerConfig(min_hits=1))
    pose = _person(0.5, 3.0)
    pose[5] = np.nan  # a joint never seen
    out = tr.update(
        1.0,
        pose[None],
        np.array([[10.0, 20.0, 50.0, 150.0]]),
        np.array([0.8]),
        joint_conf=np.full((1, J), 0.7),
        keypoints2d=np.zeros((1, J, 2)),
    )
    t = out[0]
    assert t.state == TrackState.NEW and t.age == 1 and t.hits == 1
    assert (
        t.joints.shape == (J, 3)
        and np.isnan(t.joints[5]).all()
        and np.isfinite(np.delete(t.joints, 5, 0)).all()
    )
    assert np.isnan(t.joint_confidence[5]) and t.joint_confidence[0] == pytest.approx(0.7)
    np.testing.assert_allclose(t.root, np.nanmean(pose, axis=0), atol=1e-9)
    np.testing.assert_allclose(t.root_velocity, 0.0)
    assert t.keypoints2d.shape == (J, 2) and t.box.shape == (4,) and t.last_stamp == 1.0
    # A detection without any finite joint is ignored: the track coasts.
    empty = np.full((1, J, 3), np.nan)
    assert (
        tr.update(1.033, empty, np.zeros((1, 4)), np.array([0.9]))[0].state == TrackState.PREDICTED
    )


def test_stamp_backwards_resets_with_lost_and_fresh_ids():
    tr = Tracker(TrackerConfig(min_hits=2))
    for k in range(5):
        out = _feed(tr, 50.0 + k / 30, [_person(-1.0, 4.0), _person(1.0, 5.0)])
    old = {t.id for t in out}
    assert len(old) == 2
    # bag loop: time jumps back 40 s
    out = _feed(tr, 10.0, [_person(-1.0, 4.0), _person(1.0, 5.0)])
    assert sorted((t.id, t.state) for t in out if t.id in old) == sorted(
        (i, TrackState.LOST) for i in old
    )
    # the people of this frame start new tracks at once
    new = {t.id for t in out if t.id not in old}
    assert len(new) == 2 and all(t.state == TrackState.NEW for t in out if t.id in new)
    out = _feed(tr, 10.0 + 1 / 30, [_person(-1.0, 4.0), _person(1.0, 5.0)])
    # min_hits=2
    assert {t.id for t in out} == new and all(t.state == TrackState.TRACKED for t in out)
    lost = tr.reset()  # explicit reset: same rules, ids keep counting
    assert {t.id for t in lost} == new and all(t.state == TrackState.LOST for t in lost)
    for k in range(2):
        out = _feed(tr, 11.0 + k / 30, [_person(0.0, 4.0)])
    assert len(out) == 1 and out[0].id not in old | new


def test_long_gap_ends_tracks_and_zero_detections():
    tr = Tracker(TrackerConfig(min_hits=2, max_coast_s=0.5))
    for k in range(3):
        out = _feed(tr, 1.0 + k / 30, [_person(0.0, 4.0)])
    first = out[0].id
    # 4 s without frames: the track ended, a new one starts
    out = _feed(tr, 5.0, [_person(0.0, 4.0)])
    assert sorted((t.id, t.state) for t in out) == [
        (first, TrackState.LOST),
        ('2', TrackState.NEW),
    ]
    out = _feed(tr, 5.0 + 1 / 30, [_person(0.0, 4.0)])
    assert [(t.id, t.state) for t in out] == [('2', TrackState.TRACKED)]
    for k in range(60):  # two seconds of empty frames: one LOST, then nothing
        out = tr.update(6.0 + k / 30, np.zeros((0, J, 3)), np.zeros((0, 4)), np.zeros(0))
        assert all(t.state in (TrackState.PREDICTED, TrackState.LOST) for t in out)
    assert out == []
    assert tr.update(9.0, np.zeros((0, 0, 3)), np.zeros((0, 4)), np.zeros(0)) == []


def test_coasting_box_keeps_the_person_size_and_moves_with_the_box_centre():
    """
    A coasting track's box goes on with the box centre's image velocity at the last box's size.

    The detector boxes' own size jitter (here +-15 % from frame to frame) is not extrapolated: the
    old linear extrapolation of width and height gave a box 2x too wide or too narrow after 0.5 s.
    """
    for speed in (0.0, 300.0):  # standing; walking right at 300 px/s
        tr = Tracker(TrackerConfig(min_hits=1, max_coast_s=1.0))
        for k in range(12):
            w = 80.0 * (1.15 if k % 2 else 0.85)
            cx = 140 + speed * k / 30  # px
            tr.update(
                k / 30, _person(0.0, 4.0)[None], np.array([[cx - w / 2, 100, w, 200]]), [0.9]
            )
        (t,) = tr.update(11 / 30 + 0.5, np.zeros((0, J, 3)), np.zeros((0, 4)), np.zeros(0))
        assert t.state == TrackState.PREDICTED
        x, y, w, h = t.box
        assert 0.8 * 80 <= w <= 1.2 * 80 and h == pytest.approx(200), t.box
        # the centre 0.5 s on (the velocity estimate is an EMA: within 15 % of the motion)
        want = 140 + speed * (11 / 30 + 0.5)
        assert abs(x + w / 2 - want) <= 5 + 0.15 * speed * 0.5, (t.box, want)


def test_without_depth_cues_the_covariance_owns_the_monocular_depth_error():
    """
    With no depth cues (ground_plane_source off) the root covariance is long along the ray.

    Its 1-sigma there is the network's own depth error, ~11 % of the distance, and it is not
    averaged away over the frames (a person's size bias stays); across the ray it is the filter's
    few centimetres.
    """
    tr = Tracker(TrackerConfig(min_hits=1))
    for k in range(30):
        (t,) = _feed(tr, k / 30, [_person(1.0, 6.0)])
    cov = t.root_covariance
    u = t.root / np.linalg.norm(t.root)  # along the ray
    along = np.sqrt(u @ cov @ u) / np.linalg.norm(t.root)
    assert along == pytest.approx(TrackerConfig().root_depth_rel_std, rel=0.05), along
    perp = np.eye(3) - np.outer(u, u)  # projection across the ray
    across = np.linalg.eigvalsh(perp @ cov @ perp)[-1]  # m^2
    assert np.sqrt(across) < 0.05, cov  # metres
    # a root 15 % too near (a tall person placed nearer by the network) is inside 2 sigma
    err = -0.15 * t.root
    assert np.sqrt(err @ np.linalg.solve(cov, err)) < 2.0


def test_an_offset_all_frames_share_stays_inside_the_published_covariance():
    """
    A root error every frame of a track shares is not averaged away by the filter.

    The network's pelvis is off the true one by a few centimetres across the ray, the same in
    consecutive frames (1.5-6.5 cm per person on the accuracy sequences); after 3 s at 30 Hz a
    5 cm offset is still inside the published 2-sigma ellipsoid (the Kalman filter alone had
    shrunk its sigma across the ray to ~2 cm, putting it at 2.4 sigma), while the sigma across
    the ray stays a few centimetres, not the depth's decimetres.
    """
    rng = np.random.default_rng(3)
    truth = _person(1.0, 6.0)  # (J, 3) metres
    offset = np.array([0.0, 0.05, 0.0])  # metres: across the ray, shared by every frame
    tr = Tracker(TrackerConfig(min_hits=1))
    for k in range(90):
        noise = rng.normal(0.0, 0.01, 3)  # metres, this frame's own
        (t,) = _feed(tr, k / 30, [truth + offset + noise])
    true_root = truth.mean(axis=0)  # the tracker's root without a root joint: the centroid
    err = t.root - true_root  # (3,) metres
    cov = t.root_covariance
    assert np.linalg.norm(err - offset) < 0.02  # the filter follows the (offset) measurements
    assert np.sqrt(err @ np.linalg.solve(cov, err)) < 2.0
    u = t.root / np.linalg.norm(t.root)
    perp = np.eye(3) - np.outer(u, u)
    assert np.sqrt(np.linalg.eigvalsh(perp @ cov @ perp)[-1]) < 0.05  # metres


def test_track_coasting_out_of_the_image_ends_at_once():
    tr = Tracker(TrackerConfig(min_hits=1, max_coast_s=1.0))
    for k in range(10):  # box moving right at 300 px/s towards the right edge of a 640 px image
        out = tr.update(
            k / 30,
            _person(1.0 + 0.1 * k, 4.0)[None],
            np.array([[540.0 + 10 * k, 100, 80, 200]]),
            np.array([0.9]),
        )
    assert out[0].state == TrackState.TRACKED
    states = [
        [
            t.state
            for t in tr.update(
                10 / 30 + k / 30,
                np.zeros((0, J, 3)),
                np.zeros((0, 4)),
                np.zeros(0),
                image_size=IMAGE_SIZE,
            )
        ]
        for k in range(6)
    ]
    assert TrackState.LOST in sum(states, []) and states[-1] == []
    assert sum(states, []).count(TrackState.LOST) == 1 and len(sum(states, [])) < 6


def _side_update(tr: Tracker, k: int, x: float, detected: bool) -> list:
    """One 30 Hz update: the person's 76 x 200 px box at x (640 px wide image), or no detection."""
    return tr.update(
        k / 30,
        _person(0.0, 4.0)[None] if detected else np.zeros((0, J, 3)),
        np.array([[x, 100.0, 76.0, 200.0]]) if detected else np.zeros((0, 4)),
        np.full(int(detected), 0.9),
        image_size=IMAGE_SIZE,
    )


def _walk_out_then_missed(x0: float, speed_px_s: float, missed: int, phase: int = 1) -> list:
    """
    States published for one person detected for 10 frames at 30 Hz, then missed `missed` frames.

    Box x from x0, moving at speed_px_s, alternating +-2 px of detector jitter (phase +-1: which
    sign comes first). Returns the states of the missed frames.
    """
    tr = Tracker(TrackerConfig(min_hits=1, max_coast_s=1.0))
    states = []
    for k in range(10 + missed):
        x = x0 + speed_px_s * k / 30 + phase * (2.0 if k % 2 else -2.0)
        out = _side_update(tr, k, x, k < 10)
        if k >= 10:
            states.append([t.state for t in out])
    return states


def test_a_person_walking_out_at_the_image_side_is_not_shown_coasting_inside_it():
    """
    A track last detected at the left or right image border, moving out, is shown one missed frame.

    Then not while it coasts on: the person has most likely left (the detector stops finding a
    person mostly outside the image; on the generated 'truncated' detector sequence such a track
    was published inside the image for 16 frames after the person had gone). A person standing
    at the border with jittering boxes, and one walking in, stay shown while they coast.
    """
    # walking out through the right border at 60 px/s (0.8 box widths per second)
    states = _walk_out_then_missed(560.0, 60.0, missed=8)
    assert states[0] == [TrackState.PREDICTED]
    assert all(s == [] for s in states[1:]), states
    # standing at the left border; walking in from it at 60 px/s (either jitter phase)
    for x0, speed, phase in ((0.0, 0.0, 1), (0.0, 0.0, -1), (0.0, 60.0, 1), (0.0, 60.0, -1)):
        states = _walk_out_then_missed(x0, speed, missed=8, phase=phase)
        assert all(s == [TrackState.PREDICTED] for s in states), (x0, speed, phase, states)
    # the same at the right border with the rule off: the old behaviour, shown while coasting
    tr = Tracker(TrackerConfig(min_hits=1, max_coast_s=1.0, exit_border_px=-1.0))
    shown = 0
    for k in range(18):
        out = _side_update(tr, k, 560.0 + 2.0 * k, k < 10)
        shown += k >= 10 and len(out) == 1
    assert shown == 8


def test_a_person_hidden_at_the_image_side_gets_their_id_back_when_detected_again():
    tr = Tracker(TrackerConfig(min_hits=1, max_coast_s=1.0))
    published = []
    for k in range(24):  # detected, 8 frames missed at the right border (hidden), detected again
        x = 560.0 + 2.0 * min(k, 10) - (4.0 if k >= 18 else 0.0)
        out = _side_update(tr, k, x, k < 10 or k >= 18)
        published.append({t.id for t in out if t.state != TrackState.LOST})
    assert published[12] == set()  # hidden while missed
    assert published[0] == published[18] == published[23] and len(published[0]) == 1


def test_one_euro_and_kalman_filters():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0, d_cutoff_hz=1.0)
    x = np.ones((4, 3))
    assert np.allclose(f(x, 0.033), 1.0) and np.allclose(f(x, 0.033), 1.0)
    y = [f(x + 1.0, 0.033).copy() for _ in range(90)]  # step of 1: converges, never overshoots
    assert np.all(np.diff([v[0, 0] for v in y]) > 0) and y[-1][0, 0] == pytest.approx(
        2.0, abs=0.01
    )
    x2 = x + 1.0
    x2[1] = np.nan  # unknown joint keeps its value
    held = f(x2, 0.033)[1].copy()
    assert np.allclose(held, y[-1][1])
    kf = ConstantVelocityKalman(
        np.zeros(3), np.full(3, 0.05), accel_std=1.0, init_velocity_std=2.0
    )
    rng = np.random.default_rng(0)
    v = np.array([1.0, 0.0, -0.5])
    for k in range(1, 90):
        kf.predict(1 / 30)
        kf.update(v * k / 30 + rng.normal(0, 0.05, 3))
    np.testing.assert_allclose(kf.vel, v, atol=0.15)


def test_ids_survive_crossings_without_full_occlusion(make_tracker):
    """
    IDF1 >= 0.95 and <= 4 ID switches per 1000 frames on scenes of people entering.

    Crossing and leaving (people are published from their first detection, so a person detected
    once at the image edge, then missed for longer than tentative_coast_frames, can start a second
    id; the box-overlap stage can swap two people crossing at similar depths: measured 8 in 2400
    frames).
    """
    results = []
    for seed in (2, 5):
        frames = generate(SceneConfig(kind='walk', num_people=6, duration_s=40.0, seed=seed))
        results.append(mot_metrics(frames, run_tracker(make_tracker(), frames, IMAGE_SIZE)))
    frames = sum(r.frames for r in results)
    switches = sum(r.id_switches for r in results)
    print('walk scenes:', results)
    assert frames >= 2000
    assert all(r.idf1 >= 0.95 for r in results)
    assert 1000.0 * switches / frames <= 4.0


def test_variable_frame_rate_and_dropped_frames(make_tracker):
    frames = generate(
        SceneConfig(
            kind='walk', num_people=5, duration_s=30.0, fps_jitter=0.5, drop_rate=0.15, seed=7
        )
    )
    dts = np.diff([f.stamp for f in frames])
    assert dts.max() > 2.5 * dts.min()  # really irregular
    res = mot_metrics(frames, run_tracker(make_tracker(), frames, IMAGE_SIZE))
    print('variable frame rate:', res)
    assert res.idf1 >= 0.95 and res.id_switches <= 3


def test_id_survives_half_second_full_occlusion(make_tracker):
    frames = generate(SceneConfig(kind='occlusion', duration_s=5.0, full_occlusion=True, seed=1))
    hidden = [f.stamp for f in frames if 1 in f.hidden_ids]
    assert hidden[-1] - hidden[0] >= 0.5  # the person behind is fully hidden for at least 0.5 s
    outputs = run_tracker(make_tracker(), frames, IMAGE_SIZE)
    res = mot_metrics(frames, outputs)
    assert res.id_switches == 0 and res.idf1 >= 0.95
    ids_behind = set()
    states_while_hidden = set()
    for f, out in zip(frames, outputs):
        for t in out:
            k = np.flatnonzero(f.gt_ids == 1)
            if (
                t.state != TrackState.LOST
                and k.size
                and np.linalg.norm(np.nanmean(t.joints, 0) - f.gt_joints[k[0]].mean(0)) < 0.5
            ):
                ids_behind.add(t.id)
                if 1 in f.hidden_ids:
                    states_while_hidden.add(t.state)
    assert len(ids_behind) == 1
    assert states_while_hidden == {TrackState.PREDICTED}


def test_thirty_people(make_tracker):
    frames = generate(SceneConfig(kind='crowd', num_people=30, duration_s=6.0, seed=3))
    outputs = run_tracker(make_tracker(), frames, IMAGE_SIZE)
    res = mot_metrics(frames, outputs)
    print('30 people:', res)
    assert max(len(o) for o in outputs) >= 25
    assert res.idf1 >= 0.95 and res.id_switches <= 3


def test_smoothing_reduces_acceleration_error_with_low_lag(make_tracker):
    frames = generate(SceneConfig(kind='single', duration_s=12.0, seed=4))
    m = smoothing_metrics(make_tracker(), frames)
    print('smoothing:', m)
    assert m['accel_reduction_pct'] >= 50.0
    assert abs(m['lag_frames']) <= 1.0
    assert m['mpjpe_filtered_mm'] < m['mpjpe_raw_mm']


def test_root_velocity_estimate(make_tracker):
    frames = generate(SceneConfig(kind='single', duration_s=8.0, seed=6))
    tr = make_tracker()
    errs = []
    for a, b, c in zip(frames, frames[1:], frames[2:]):
        out = tr.update(b.stamp, b.joints, b.boxes, b.scores)
        live = [t for t in out if t.state == TrackState.TRACKED]
        if live and b.stamp - frames[0].stamp > 1.0:
            gt_v = (c.gt_joints[0].mean(0) - a.gt_joints[0].mean(0)) / (c.stamp - a.stamp)  # m/s
            errs.append(np.linalg.norm(live[0].root_velocity - gt_v))
    assert np.sqrt(np.mean(np.square(errs))) < 0.3  # m/s, walking at 1.2 m/s (gait sway included)


def test_slow_camera_confirms_tracks_and_far_depth_noise_is_tolerated():
    """
    10 Hz camera and a person at 13 m whose monocular depth jitters by +-0.4 m between frames.

    The track is published from the 1st frame, confirmed on the 3rd and keeps its id.
    """
    rng = np.random.default_rng(3)
    tracker = Tracker(TrackerConfig(min_hits=3))
    base = np.stack([np.linspace(-0.2, 0.2, 17), np.linspace(-0.9, 0.8, 17), np.zeros(17)], axis=1)
    ids = []
    stamps = 1700000000.0 + np.cumsum(rng.uniform(0.100, 0.108, 30))  # real 10 Hz cameras jitter
    for k in range(30):
        root = np.array([1.0 + 0.12 * k, 0.5, 13.0 + rng.uniform(-0.4, 0.4)])
        joints = (base + root)[None]  # (1, 17, 3) metres
        tracks = tracker.update(
            stamps[k], joints, np.array([[300.0 + 7 * k, 200, 40, 90]]), np.array([0.9])
        )
        ids.append([(t.id, t.state) for t in tracks if t.state != TrackState.LOST])
    assert [s for _, s in ids[0] + ids[1]] == [TrackState.NEW, TrackState.NEW], ids[:4]
    assert all(i == [(ids[0][0][0], TrackState.TRACKED)] for i in ids[2:]), ids


def test_one_hertz_camera_publishes_people_and_keeps_them():
    """
    Return a 1 Hz camera (stamps 1 s apart, longer than track_max_coast_s).

    People are published from the first frame, confirmed on the 3rd, survive one missed detection
    and keep their ids.
    """
    tracker = Tracker(TrackerConfig(min_hits=3, max_coast_s=0.8))
    states = []
    for k in range(8):
        people = [] if k == 5 else [_person(-1.0 + 0.3 * k, 4.0), _person(1.5, 6.0)]
        out = _feed(tracker, 100.0 + k, people)
        states.append(sorted((t.id, t.state) for t in out))
    assert states[0] == [('1', TrackState.NEW), ('2', TrackState.NEW)]
    assert states[2] == [('1', TrackState.TRACKED), ('2', TrackState.TRACKED)]
    # one miss at 1 Hz
    assert states[5] == [('1', TrackState.PREDICTED), ('2', TrackState.PREDICTED)]
    assert states[7] == [('1', TrackState.TRACKED), ('2', TrackState.TRACKED)]


def test_false_detection_shows_one_frame():
    """
    Return a NEW track that is not re-detected disappears from the output at once.

    It ends (LOST, once) after tentative_coast_frames frame periods; a low-score detection never
    becomes a track.
    """
    tracker = Tracker(TrackerConfig(min_hits=3, tentative_coast_frames=2.5))
    for k in range(3):  # an established person at 30 Hz fixes the frame period
        _feed(tracker, 1.0 + k / 30, [_person(-2.0, 5.0)])
    out = _feed(tracker, 1.1, [_person(-2.0, 5.0), _person(1.0, 4.0)])  # a phantom appears once
    assert sorted((t.id, t.state) for t in out) == [
        ('1', TrackState.TRACKED),
        ('2', TrackState.NEW),
    ]
    states = [
        sorted((t.id, t.state) for t in _feed(tracker, 1.1 + k / 30, [_person(-2.0, 5.0)]))
        for k in range(1, 5)
    ]
    # hidden while it may be re-detected
    assert states[0] == states[1] == [('1', TrackState.TRACKED)]
    assert states[2] == [('1', TrackState.TRACKED), ('2', TrackState.LOST)] and states[3] == [
        ('1', TrackState.TRACKED)
    ]
    low = tracker.update(
        1.3,
        np.stack([_person(-2.0, 5.0), _person(1.0, 4.0)]),
        np.array([[100.0, 100, 80, 200], [300.0, 100, 80, 200]]),
        np.array([0.9, 0.2]),
    )
    assert [(t.id, t.state) for t in low] == [('1', TrackState.TRACKED)]


def _published_on_one_far_person(depth_std_m: float, shadow_iou: float = 0.4) -> list[list]:
    """
    (id, state) published per frame for one person 16 m away, 10 Hz, whose detection doubles once.

    Frame 15 holds a second, narrower box on the person, with a depth 4 m farther (a track starts
    from it); from then on the person's one detection comes at that depth and goes to the new
    track, the first one coasts on the same box. depth_std_m: the roots' measurement noise along
    z (a far person's monocular depth: metres; a near one's: centimetres).
    """
    tr = Tracker(
        TrackerConfig(min_hits=1, root_meas_std_m=(0.03, 0.03, depth_std_m), shadow_iou=shadow_iou)
    )
    near, far = _person(0.0, 16.0), _person(0.0, 16.0) * (20.0 / 16.0)  # one bearing
    box, narrow = [300.0, 100.0, 40.0, 90.0], [305.0, 102.0, 20.0, 86.0]  # px
    frames = []
    for k in range(25):
        if k < 15:
            poses, boxes = [near], [box]
        elif k == 15:
            poses, boxes = [near, far], [box, narrow]
        else:
            poses, boxes = [far], [box]
        out = tr.update(k / 10, np.array(poses), np.array(boxes), np.full(len(poses), 0.9))
        frames.append(sorted((t.id, t.state) for t in out if t.state != TrackState.LOST))
    return frames


def test_a_coasting_track_on_a_person_another_track_measures_is_not_shown_twice():
    """
    A far person's depth wanders by metres: a second track started on them is one person.

    After the new track takes the person's detections, the first track coasts on the same box,
    its depth within the two filters' metres of the new one: it is not published (before: the
    output held that person twice for the 0.8 s coast, a phantom beside them, as on the street
    clip). With depths known to centimetres the two tracks are two people (one standing hidden
    behind the other) and both are shown.
    """
    frames = _published_on_one_far_person(1.5)
    assert frames[15] == [('1', TrackState.TRACKED), ('2', TrackState.NEW)]
    assert all(f == [('2', TrackState.TRACKED)] for f in frames[16:24]), frames[16:24]
    before = _published_on_one_far_person(1.5, shadow_iou=1.1)  # the rule off
    assert all(len(f) == 2 for f in before[16:23]), before[16:23]
    # the same boxes with depths known to centimetres: a person behind the other one, shown
    tight = _published_on_one_far_person(0.08)
    assert all(('1', TrackState.PREDICTED) in f for f in tight[16:23]), tight[16:23]


def test_far_person_with_depth_jumps_keeps_one_id():
    """
    Monocular depth of a person 15 m away jumps by +-1.2 m between frames (beyond the 3D gates).

    The image box barely moves, so the box-overlap stage keeps measuring one id (without it: 27 of
    40 frames) and no second track starts on the same box (without the guard: 2-3 ids).
    """
    rng = np.random.default_rng(7)
    tracker = Tracker(TrackerConfig(min_hits=3))
    ids, measured = set(), 0
    for k in range(40):
        pose = _person(0.5 + 0.01 * k, 15.0 + rng.choice([-1.2, 1.2]))
        out = tracker.update(
            1.0 + k / 10, pose[None], np.array([[300.0 + k, 200, 30, 80]]), np.array([0.9])
        )
        ids |= {t.id for t in out}
        measured += sum(t.state in (TrackState.NEW, TrackState.TRACKED) for t in out)
    assert ids == {'1'} and measured >= 36


def test_node_settings_track_as_well_as_the_defaults_through_full_occlusions():
    """
    Six people walking with full occlusions.

    The scene where the node's settings once cost MOTA (0.757 vs 0.845). Both settings must keep
    MOTA >= 0.8, the node's within 0.02 of the defaults (measured 0.845 each).
    """
    frames = generate(
        SceneConfig(kind='walk', num_people=6, duration_s=40.0, full_occlusion=True, seed=2)
    )
    res = {
        name: mot_metrics(frames, run_tracker(Tracker(make()), frames, IMAGE_SIZE))
        for name, make in CONFIGS.items()
    }
    print('full occlusions:', res)
    assert min(r.mota for r in res.values()) >= 0.8
    assert res['node settings'].mota >= res['tracker defaults'].mota - 0.02


@pytest.mark.parametrize('reid_s', [0.0, 2.0])
def test_person_hidden_longer_than_the_coast_gets_their_id_back(reid_s):
    """
    Re-find a person unseen for 1.5 s (max_coast_s 0.8) under their id.

    With reid_s the coasted-out track is hidden (not published) and continued by the person's
    next detection; without it, LOST after the coast and a new id.
    """
    tracker = Tracker(TrackerConfig(max_coast_s=0.8, reid_s=reid_s))
    seen: dict[str, list[TrackState]] = {}
    for f in range(60):  # 10 Hz; walking 1 m/s along x at 5 m; unseen in frames 20-34
        stamp = 0.1 * f
        poses = [] if 20 <= f < 35 else [_person(-1.0 + 0.1 * f, 5.0)]
        for t in _feed(tracker, stamp, poses):
            seen.setdefault(t.id, []).append(t.state)
    if reid_s:
        assert list(seen) == ['1']  # one id for the whole walk
        states = seen['1']
        # published while detected, coasting 0.8 s, not at all while hidden, then TRACKED again
        assert TrackState.LOST not in states and states[-1] == TrackState.TRACKED
        assert len(states) == 60 - 15 + 8
    else:
        assert list(seen) == ['1', '2']
        assert seen['1'].count(TrackState.LOST) == 1 and seen['1'][-1] == TrackState.LOST


def test_hidden_track_ends_lost_once_after_the_reid_time():
    tracker = Tracker(TrackerConfig(max_coast_s=0.8, reid_s=2.0))
    states = []
    for f in range(50):  # seen for 1 s, then never again
        poses = [_person(0.0, 5.0)] if f < 10 else []
        states += [(f, t.state) for t in _feed(tracker, 0.1 * f, poses)]
    lost = [f for f, s in states if s == TrackState.LOST]
    # last match at frame 9: coasting to 0.8 s after it, hidden to 0.8 + 2.0 s, then LOST once
    # (frame 9 + 28 or 29: the stamps are 0.1 s multiples in floating point)
    assert len(lost) == 1 and lost[0] in (37, 38)
    assert max(f for f, s in states if s == TrackState.PREDICTED) in (16, 17)
