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
Multi-person 3D tracker: stable string ids, per-joint smoothing, root position and velocity.

Per update (time from the message stamp, seconds):
1. A stamp earlier than the previous one (bag loop, clock reset), or another image size, ends every
   track (LOST) and starts afresh.
2. Tracks not matched for longer than their coast time end (LOST once if they were published).
3. Each track's root is predicted to the stamp by a constant-velocity Kalman filter; its pose is
   the predicted
   root plus its smoothed root-relative pose.
4. Confirmed tracks, then tentative ones, are matched to detections with the Hungarian method on
   `w_root * root distance + w_pose * mean joint distance + w_iou * (1 - box IoU)`, gated in metres
   (with depth cues: on the roots' Mahalanobis distance under both covariances and the box heights'
   ratio, see `_match_uncertain`); tracks and detections left over are then matched on box overlap
   alone (IoU >= `iou_match_min`: monocular depth can jump by more than the 3D gates for far
   people, their image box does not).
5. Matched tracks update their filters; unmatched confirmed ones coast (PREDICTED); unmatched
   confident
   detections start new tracks, published from this first detection with state NEW. A track stays
   NEW until it is confirmed by `min_hits` matches. A NEW track not matched in a frame is not
   published (a false detection shows for one frame); it may be re-detected within
   `tentative_coast_frames` measured frame periods (one missed detection), else it ends (LOST).
   Confirmed tracks coast at least `coast_frames` measured frame periods, so slow cameras (1 Hz)
   keep their tracks. With `reid_s` > 0 a confirmed track that coasted out is hidden (not
   published) for `reid_s` more seconds and matched after the published ones: the same person
   re-detected gets their id back (ids are never reused after LOST, which comes at the end).
Smoothing: the root goes through the Kalman filter (no lag at constant velocity), the root-relative
pose through a One-Euro filter per joint; output joints = filtered root + filtered relative pose.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from pose3d_ros.core.boxes import border_sides, box_centre, box_iou
from pose3d_ros.tracking.association import assign, pose_distances
from pose3d_ros.tracking.filters import ConstantVelocityKalman, OneEuroFilter
from pose3d_ros.tracking.metric_scale import (
    FrameDepth,
    ray_covariance,
    root_covariance,
    TrackScale,
)


class TrackState(IntEnum):
    """Tracking state; values equal pose3d_msgs/Skeleton3D STATE_* constants."""

    # not yet confirmed: fewer than min_hits matched detections (published from the first one)
    NEW = 0
    TRACKED = 1  # matched to a detection in this frame
    PREDICTED = 2  # not detected in this frame; pose extrapolated by the motion model
    LOST = 3  # track ended in this frame; reported once, then gone


@dataclass
class TrackerConfig:
    """
    Tracker settings..

    Distances in metres, times in seconds, frequencies in Hz, boxes in pixels
    """

    # --- association ---
    w_root: float = 1.0  # cost per metre of root (mean-displacement) distance
    w_pose: float = 1.0  # cost per metre of mean per-joint distance
    w_iou: float = 0.5  # cost of zero box overlap (cost term is w_iou * (1 - IoU)), unitless
    # factor on camera-z differences in the 3D distances (depth is noisier)
    cost_depth_scale: float = 1.0
    # beyond this distance z differences also shrink by depth_ref_m / z (monocular
    depth_ref_m: float = 4.0
    #                           depth error grows with distance), metres; inf = never
    gate_root_m: float = 0.35  # max root distance for a match, metres (after depth scaling)
    # max mean per-joint distance for a match, metres (after depth scaling)
    gate_pose_m: float = 0.5
    gate_growth_mps: float = 1.0  # both gates grow by this many metres per second of coasting
    # with depth cues (root covariances): gate on the roots' Mahalanobis distance instead, sigmas
    # (0 = the metric gates above also then)
    gate_sigma: float = 4.0
    # ... with this much added to every axis of the innovation covariance (what the covariances
    # leave out: the crop's own jitter, a person turning), metres
    gate_floor_m: float = 0.1
    # ... and on the box height: 1-sigma of log(detected / predicted height) from frame to frame
    box_height_std: float = 0.15
    # a coasting track is not published in a frame where its predicted box overlaps the box of a
    # track measured in that frame by this IoU or more, their roots within gate_sigma of each
    # other and not told apart in depth (see the next); it coasts on unpublished, [0, 1]; > 1 = off
    shadow_iou: float = 0.4
    # ... "not told apart": the two filters' 1-sigma along the line between the roots at least
    # this (a far person's monocular depth, not a person standing behind another), metres
    shadow_min_std_m: float = 0.5
    det_min_score: float = 0.1  # detections below this score are ignored, [0, 1]
    new_track_min_score: float = 0.3  # min detector score to start a track, [0, 1]
    # no new track within this root distance of a live track, metres
    new_track_min_separation_m: float = 0.3
    # second stage: leftover tracks and detections match on box IoU >= this ...
    iou_match_min: float = 0.5
    # ... and root depths within this fraction of the track's depth
    iou_match_max_depth_ratio: float = 0.2
    # no new track from a detection whose box overlaps a live track's this much
    new_track_max_iou: float = 0.8
    min_joints: int = 3  # detections with fewer finite joints are ignored
    # --- life cycle ---
    min_hits: int = 3  # matched detections before a track is confirmed (state NEW until then)
    # a confirmed track coasts (PREDICTED) this long without a match, then LOST, s
    max_coast_s: float = 0.8
    # ... unless reid_s > 0: then it is hidden (not published) for reid_s more seconds, in which a
    # detection of the same person (matched as any other, after the published tracks) continues it
    # under its id; LOST when that time has passed without one, s
    reid_s: float = 0.0
    # ... but at least this many measured frame periods (slow cameras), frames
    coast_frames: float = 2.5
    # an unconfirmed track unmatched this many frame periods ends, frames
    tentative_coast_frames: float = 4.5
    # weight of the newest frame interval in the frame-period EMA, [0, 1]
    frame_period_smoothing: float = 0.2
    # with image_size given, a coasting track whose predicted box centre is more
    exit_margin_px: float = 0.0
    #                              than this outside the image ends at once, pixels
    # with image_size given, a track whose last matched box reached within this of the left or
    # right image border, moving out, is published for one missed frame, then not while it
    # coasts on: the person most likely left the view; if not, their next detection shows them
    # again under their id. Pixels; < 0 = off
    exit_border_px: float = 4.0
    # ... "moving out": the box centre moving towards that border faster than this many box
    # widths per second (a standing person's detector boxes jitter by less), 1/s
    exit_min_speed: float = 0.5
    # a stamp earlier than the previous one by more than this resets, s
    backwards_tolerance_s: float = 1e-6
    min_dt_s: float = 1e-3  # time steps are clamped to at least this (duplicate stamps), s
    # weight of the new detector score in the track confidence EMA, [0, 1]
    score_smoothing: float = 0.3
    # prefix of track ids (e.g. a camera name); ids are prefix + running number
    id_prefix: str = ''
    # --- root motion model (constant-velocity Kalman filter, camera frame) ---
    # index of the root joint (pelvis); None = centroid of the known joints
    root_joint: int | None = None
    # root measurement noise x, y, z, metres
    root_meas_std_m: tuple[float, float, float] = (0.03, 0.03, 0.08)
    # process noise: white acceleration std, m/s^2 (higher = less smoothing)
    root_accel_std: float = 1.0
    root_init_velocity_std: float = 1.5  # prior std of a new track's velocity, m/s
    # without depth cues (ground_plane_source off): relative 1-sigma of a person's distance from
    # the network alone, a size bias shared by all the track's frames (not averaged away by the
    # filter), added along the ray to the published covariance. Monocular roots are ~11 % of the
    # distance off on held-out generated sequences (2-24 % per sequence, benchmarks/depth.md)
    root_depth_rel_std: float = 0.11
    # what the filter cannot average away, added to the published covariance only (association
    # unchanged): the network's pelvis against the true one across the ray, an offset a track's
    # frames share (1.5-6.5 cm per person on the accuracy sequences s0-s4, GT boxes, true floor),
    # metres; with depth cues a pose the network is unsure of adds more (_shared_error_cov,
    # DepthConfig.wobble_floor_std). 3 cm and no such term: 100/64/42/37/28 % of s0-s4's roots
    # inside 2 sigma; 4 cm with it: 100/68/73/78/100 % (held-out v7-v10: 83/86/82/53 %) ...
    root_lateral_sys_std_m: float = 0.04
    # ... and along the ray the part of the network's per-frame depth noise that consecutive
    # frames share (the filter takes them as independent), over the distance
    root_depth_sys_rel_std: float = 0.02
    # --- per-joint smoothing of the root-relative pose (One-Euro filter) ---
    one_euro_min_cutoff_hz: float = 1.5  # cutoff at rest, Hz (lower = smoother, more lag)
    # cutoff increase per m/s of joint speed, Hz/(m/s) (higher = less lag)
    one_euro_beta: float = 4.0
    one_euro_d_cutoff_hz: float = 1.0  # cutoff of the joint-speed estimate, Hz
    # weight of the newest box-centre velocity in its EMA, [0, 1]
    box_velocity_smoothing: float = 0.3


@dataclass
class Track:
    """
    One person's track as published for one frame.

    A snapshot: later updates do not change it.
    """

    # unique for the life of the tracker (never reused, also not after reset())
    id: str  # noqa: A003
    state: TrackState
    age: int  # frames since creation, 1 on the first frame
    hits: int  # frames matched to a detection
    confidence: float  # [0, 1]: smoothed detector score, decaying while coasting
    joints: np.ndarray  # (J, 3) float64 metres, camera frame, smoothed; NaN = never seen
    joint_confidence: np.ndarray  # (J,) float64 [0, 1]; NaN where the joint is unknown
    root: np.ndarray  # (3,) metres, camera frame (filtered)
    root_velocity: np.ndarray  # (3,) m/s, camera frame (filtered)
    # (4,) x, y, width, height, pixels (last detection, extrapolated while coasting)
    box: np.ndarray
    keypoints2d: np.ndarray | None  # (J, 2) pixels, or None if never given
    last_stamp: float  # stamp of this snapshot, seconds
    time_since_update_s: float = 0.0  # seconds since the last matched detection
    # (3, 3) m^2, camera frame: Kalman + the track's scale uncertainty
    root_covariance: np.ndarray | None = None


@dataclass
class _Tracklet:
    """Internal mutable track state."""

    id: str  # noqa: A003
    kf: ConstantVelocityKalman  # root position (m) and velocity (m/s)
    rel_filter: OneEuroFilter  # root-relative pose
    rel: np.ndarray  # (J, 3) metres, filtered root-relative pose
    joint_conf: np.ndarray  # (J,) [0, 1], NaN = unknown
    box_at_match: np.ndarray  # (4,) px, box of the last matched detection
    centre_vel: np.ndarray  # (2,) px/s, image velocity of the box centre
    keypoints2d: np.ndarray | None  # (J, 2) px
    score: float  # smoothed detector score
    last_match_stamp: float  # s
    kf_stamp: float  # stamp the Kalman state refers to, s
    hits: int = 1
    age: int = 1
    confirmed: bool = False
    matched_now: bool = True
    scale: TrackScale | None = None  # the person's metric size over time (with depth cues)
    # variance of the track's log scale (shared by all its frames), log units^2
    scale_var: float = 0.0
    scale_now: float = 1.0  # the track's scale over the network's at its last update
    # (3, 3) m^2: root covariance at the end of the coast (the match gate of a hidden track)
    gate_cov: np.ndarray | None = None
    gate_pos: np.ndarray | None = None  # (3,) metres: the root at the end of the coast


class Tracker:
    """Multi-person tracker over absolute 3D poses (see module docstring)."""

    def __init__(self, config: TrackerConfig | None = None):
        self.config = config if config is not None else TrackerConfig()
        self._next_id = 1  # running id number, never reset
        self._tracks: list[_Tracklet] = []
        self._last_stamp: float | None = None
        self._num_joints: int | None = None
        self.frame_period_s: float | None = None  # EMA of the interval between updates, seconds
        self._image_size: tuple[int, int] | None = None  # (width, height) px of the last update

    # ------------------------------------------------------------------ public API
    def reset(self) -> list[Track]:
        """End every track. Returns the LOST snapshots of published tracks; ids keep counting."""
        lost = [self._snapshot(t, TrackState.LOST, self._last_stamp or 0.0) for t in self._tracks]
        self._tracks = []
        self._last_stamp = None
        self._num_joints = None
        self._image_size = None
        self.frame_period_s = None
        return lost

    def update(
        self,
        stamp_s: float,
        joints: np.ndarray,
        boxes: np.ndarray,
        scores: np.ndarray,
        joint_conf: np.ndarray | None = None,
        keypoints2d: np.ndarray | None = None,
        image_size: tuple[int, int] | None = None,
        depth: FrameDepth | None = None,
    ) -> list[Track]:
        """
        Advance the tracker to stamp_s with one frame's detections.

        Args:
        ----
            stamp_s: stamp of the source image, seconds. joints: (N, J, 3) metres, camera frame;
            NaN = unknown joint. boxes: (N, 4) x, y, width, height, pixels. scores: (N,) detector
            scores in [0, 1]. joint_conf: (N, J) per-joint confidence in [0, 1], or None (known
            joints get 1). keypoints2d: (N, J, 2) pixels, or None. image_size: (width, height)
            pixels, or None; lets tracks that coast out of the image end at once (another size
            restarts the tracks). depth: depth cues of the N detections
            (tracking.metric_scale.frame_depth, already applied to
                `joints`), or None. With them each track keeps its person's metric scale and the
                Kalman filter takes each root's covariance as its measurement noise.

        Returns
        -------
            Published tracks of this frame: NEW (unconfirmed), TRACKED and PREDICTED ones, plus
            LOST ones (each reported once).

        """
        cfg = self.config
        stamp_s = float(stamp_s)
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)  # (N,)
        n = len(scores)
        joints = np.asarray(joints, dtype=np.float64)
        joints = (
            joints.reshape(n, joints.shape[1] if joints.ndim == 3 else 0, 3)
            if n == 0
            else (joints.reshape(n, -1, 3))
        )  # (N, J, 3) metres
        boxes = np.asarray(boxes, dtype=np.float64).reshape(n, 4)  # (N, 4) px
        out: list[Track] = []
        if self._last_stamp is not None and stamp_s < self._last_stamp - cfg.backwards_tolerance_s:
            out += self.reset()  # time went backwards: clean restart, new ids from now on
        if image_size is not None and self._image_size not in (None, tuple(image_size)):
            out += self.reset()  # another image size: the boxes are in other pixels
        if image_size is not None:
            self._image_size = tuple(image_size)
        if n and self._num_joints is not None and joints.shape[1] != self._num_joints:
            raise ValueError(
                f'got {joints.shape[1]} joints per person, tracks have {self._num_joints}; reset()'
            )
        if n and self._num_joints is None:
            self._num_joints = joints.shape[1]
        if self._last_stamp is not None and stamp_s > self._last_stamp:
            dt, a = stamp_s - self._last_stamp, cfg.frame_period_smoothing
            self.frame_period_s = (
                dt if self.frame_period_s is None else a * dt + (1 - a) * self.frame_period_s
            )
        self._last_stamp = stamp_s
        max_coast = self.max_coast_s  # s

        # End confirmed tracks that coasted too long (also covers long gaps between frames).
        alive = []
        for t in self._tracks:
            if t.confirmed and stamp_s - t.last_match_stamp > max_coast + cfg.reid_s:
                out.append(self._snapshot(t, TrackState.LOST, t.kf_stamp))
            else:
                t.matched_now = False
                alive.append(t)
        self._tracks = alive

        # Usable detections.
        finite = np.isfinite(joints).all(axis=-1)  # (N, J)
        keep = np.flatnonzero(
            (scores >= cfg.det_min_score) & (finite.sum(axis=1) >= cfg.min_joints)
        )
        unmatched = set(keep.tolist())
        if self._tracks and keep.size:
            hidden = [i for i, t in enumerate(self._tracks) if self._hidden(t, stamp_s)]
            confirmed = [
                i
                for i, t in enumerate(self._tracks)
                if t.confirmed and not self._hidden(t, stamp_s)
            ]
            tentative = [i for i, t in enumerate(self._tracks) if not t.confirmed]
            # a person lost for a moment gets their old id back before anyone new is started
            for group in (confirmed, hidden, tentative):
                dets = np.array(sorted(unmatched), dtype=int)
                if not group or not dets.size:
                    continue
                det_scale = None if depth is None else depth.scale[dets]
                det_cov = None if depth is None or not cfg.gate_sigma else depth.cov[dets]
                for ti, di in self._match(
                    [self._tracks[i] for i in group],
                    joints[dets],
                    boxes[dets],
                    stamp_s,
                    det_scale,
                    det_cov,
                ):
                    t, d = self._tracks[group[ti]], int(dets[di])
                    self._correct(
                        t,
                        stamp_s,
                        joints[d],
                        boxes[d],
                        scores[d],
                        None if joint_conf is None else joint_conf[d],
                        None if keypoints2d is None else keypoints2d[d],
                        depth,
                        d,
                    )
                    unmatched.discard(d)
            left = [t for t in self._tracks if not t.matched_now]
            dets = np.array(sorted(unmatched), dtype=int)
            if left and dets.size:
                pred_box = np.stack([self._predicted_box(t, stamp_s) for t in left])  # (T, 4) px
                iou = box_iou(pred_box, boxes[dets])  # (T, D)
                z_t = np.array([t.kf.predicted(stamp_s - t.kf_stamp)[2] for t in left])  # (T,) m
                z_d = np.array([self._centroid_root(joints[d])[2] for d in dets])  # (D,) m
                near = np.abs(z_d[None] - z_t[:, None]) <= cfg.iou_match_max_depth_ratio * np.abs(
                    z_t[:, None]
                )
                for ti, di in assign(1.0 - iou, (iou >= cfg.iou_match_min) & near):
                    d = int(dets[di])
                    # without the depth cues: the detection's single-frame scale and the filter's
                    # default noise re-sync the track to a depth that jumped beyond the 3D gates,
                    # so the next frames match in 3D again (street clip, with the cues passed here:
                    # confirmed ids 16 -> 20, precision 0.929 -> 0.910, root jump 17.7 -> 18.8 cm)
                    self._correct(
                        left[ti],
                        stamp_s,
                        joints[d],
                        boxes[d],
                        scores[d],
                        None if joint_conf is None else joint_conf[d],
                        None if keypoints2d is None else keypoints2d[d],
                    )
                    unmatched.discard(d)

        # Unconfirmed tracks not re-detected are hidden, and end after tentative_coast_frames;
        # confirmed ones coast.
        alive = []
        tentative_coast = cfg.tentative_coast_frames * (self.frame_period_s or 0.0)  # s
        for t in self._tracks:
            if (
                not t.matched_now
                and not t.confirmed
                and stamp_s - t.last_match_stamp > tentative_coast
            ):
                out.append(self._snapshot(t, TrackState.LOST, t.kf_stamp))
                continue
            if not t.matched_now:
                t.kf.predict(max(stamp_s - t.kf_stamp, 0.0))
                t.kf_stamp = stamp_s
                t.age += 1
                if not self._hidden(t, stamp_s):  # the gate stops growing at the coast time
                    t.gate_cov = t.kf.pos_cov.copy()
                    t.gate_pos = t.kf.pos.copy()
            alive.append(t)
        self._tracks = alive
        if image_size is not None:
            self._end_outside(image_size, out)

        # Start tentative tracks from confident, unmatched detections away from live tracks (in 3D
        # and in the image).
        shown = [t for t in self._tracks if not self._hidden(t, stamp_s)]
        roots = [t.kf.pos for t in shown]
        live_boxes = [self._predicted_box(t, stamp_s) for t in shown]
        for d in sorted(unmatched, key=lambda i: -scores[i]):
            if scores[d] < cfg.new_track_min_score:
                continue
            root = self._centroid_root(joints[d])
            if any(np.linalg.norm(root - r) < cfg.new_track_min_separation_m for r in roots):
                continue
            if (
                live_boxes
                and box_iou(boxes[d][None], np.array(live_boxes)).max() > cfg.new_track_max_iou
            ):
                continue
            t = self._spawn(
                stamp_s,
                joints[d],
                root,
                boxes[d],
                scores[d],
                None if joint_conf is None else joint_conf[d],
                None if keypoints2d is None else keypoints2d[d],
                depth,
                d,
            )
            roots.append(root)
            live_boxes.append(boxes[d])
            self._tracks.append(t)

        for t in self._tracks:
            if not t.confirmed and not t.matched_now:
                continue  # an unconfirmed track is only shown in frames where it was detected
            if self._hidden(t, stamp_s):
                continue  # coasted out; kept (unpublished) for re-finding
            if not t.matched_now and self._shadowed(t, stamp_s):
                continue  # coasting on a person another track measures now: not shown twice
            if not t.matched_now and self._leaving(t, stamp_s):
                continue  # last seen cut by the image border, not coming back in
            state = (
                TrackState.NEW
                if not t.confirmed or t.age == 1
                else (TrackState.TRACKED if t.matched_now else TrackState.PREDICTED)
            )
            out.append(self._snapshot(t, state, stamp_s))
        return out

    @property
    def max_coast_s(self) -> float:
        """
        How long a confirmed track coasts without a match.

        Max_coast_s, at least coast_frames periods, s
        """
        return max(
            self.config.max_coast_s, self.config.coast_frames * (self.frame_period_s or 0.0)
        )

    # ------------------------------------------------------------------ internals
    def _shadowed(self, t: _Tracklet, stamp_s: float) -> bool:
        """
        Whether coasting track t lies on a person another track measures in this frame.

        Its predicted box overlaps that track's box by `shadow_iou` or more, and the two roots
        cannot be told apart: within `gate_sigma` of each other under the two Kalman filters'
        covariances, which are at least `shadow_min_std_m` along the line between them. A far
        person's monocular depth wanders by metres (a second track started on them a few metres
        off would otherwise stay beside them as a phantom); a person standing behind another
        one, whose depth the filters know to decimetres, is still shown.
        """
        cfg = self.config
        if not cfg.gate_sigma:
            return False
        dt = max(stamp_s - t.kf_stamp, 0.0)
        root, cov_t = t.kf.predicted(dt), t.kf.predicted_pos_cov(dt)  # (3,) m, (3, 3) m^2
        box = self._predicted_box(t, stamp_s)[None]  # (1, 4) px
        for o in self._tracks:
            if o is t or not o.matched_now:
                continue
            if box_iou(box, o.box_at_match[None])[0, 0] < cfg.shadow_iou:
                continue
            d = o.kf.pos - root  # (3,) metres
            cov = cov_t + o.kf.pos_cov + cfg.gate_floor_m**2 * np.eye(3)  # (3, 3) m^2
            dd = float(d @ d)
            spread = float(d @ cov @ d) / dd if dd > 0 else float(np.trace(cov)) / 3  # m^2
            if (
                spread >= cfg.shadow_min_std_m**2
                and float(d @ np.linalg.solve(cov, d)) <= cfg.gate_sigma**2
            ):
                return True
        return False

    def _leaving(self, t: _Tracklet, stamp_s: float) -> bool:
        """Whether coasting track t was last matched at a side of the image, moving out."""
        m = self.config.exit_border_px
        missed = stamp_s - t.last_match_stamp  # s
        if m < 0 or self._image_size is None or missed <= 1.5 * (self.frame_period_s or 0.0):
            return False
        left, _, right, _ = border_sides(t.box_at_match, self._image_size, m)
        # px/s: slower is a standing person's box jitter
        out, vx = self.config.exit_min_speed * t.box_at_match[2], t.centre_vel[0]
        # left and right only: a near person's box is cut at the bottom while they stay
        return bool((left and vx < -out) or (right and vx > out))

    def _hidden(self, t: _Tracklet, stamp_s: float) -> bool:
        """Whether t is a confirmed track past its coast time, kept unpublished for re-finding."""
        return (
            t.confirmed and not t.matched_now and stamp_s - t.last_match_stamp > self.max_coast_s
        )

    def _match(
        self,
        tracks: list[_Tracklet],
        joints: np.ndarray,
        boxes: np.ndarray,
        stamp_s: float,
        det_scale: np.ndarray | None = None,
        det_cov: np.ndarray | None = None,
    ) -> list[tuple[int, int]]:
        """
        Gated Hungarian assignment of tracks to detections (indices into the given lists).

        det_scale: (N,) depth-fusion scales applied to the detections, or None; with them both
        sides are compared at the network's own scale (steady from frame to frame, unlike a single
        frame's fusion).
        """
        cfg = self.config
        if det_cov is not None:
            return self._match_uncertain(tracks, joints, boxes, stamp_s, det_cov)
        # (T, J, 3) metres
        pred = np.stack([t.kf.predicted(stamp_s - t.kf_stamp) + t.rel for t in tracks])
        if det_scale is not None:
            pred = pred / np.array([t.scale_now for t in tracks])[:, None, None]
            joints = joints / det_scale[:, None, None]
        pred_box = np.stack([self._predicted_box(t, stamp_s) for t in tracks])  # (T, 4) px
        # (T, N) metres
        root_d, pose_d = pose_distances(pred, joints, cfg.cost_depth_scale, cfg.depth_ref_m)
        iou = box_iou(pred_box, boxes)  # (T, N)
        # (T, 1) s; the gates stop growing at the coast time (hidden tracks: a re-found person is
        # where the motion model put them, not anywhere within metres)
        coast = np.minimum(
            np.array([stamp_s - t.last_match_stamp for t in tracks])[:, None], self.max_coast_s
        )
        growth = cfg.gate_growth_mps * coast  # (T, 1) metres
        allowed = (root_d <= cfg.gate_root_m + growth) & (pose_d <= cfg.gate_pose_m + growth)
        cost = cfg.w_root * root_d + cfg.w_pose * pose_d + cfg.w_iou * (1.0 - iou)
        return assign(np.where(allowed, cost, 0.0), allowed)

    def _match_uncertain(self, tracks, joints, boxes, stamp_s, det_cov) -> list[tuple[int, int]]:
        """
        Gated Hungarian assignment on the roots' Mahalanobis distance (detections with depth).

        The innovation covariance is the track's predicted root covariance (Kalman + its scale
        uncertainty along the ray) plus the detection's root covariance (long along the ray: a far
        person's depth may differ by metres, their bearing hardly) plus `gate_floor_m`^2 per axis.
        The box heights' log ratio over `box_height_std` is one more dimension of the distance.
        Gate: distance <= `gate_sigma`, root-relative pose distance <= `gate_pose_m`. Cost: the
        distance over `gate_sigma` + `w_pose` x pose distance + `w_iou` x (1 - box IoU).
        """
        cfg = self.config
        gates = [self._gate_prediction(t, stamp_s) for t in tracks]
        r_t = np.stack([g[0] for g in gates])  # (T, 3) metres
        s_t = np.stack([g[1] for g in gates])  # (T, 3, 3) m^2
        r_d = np.stack([self._centroid_root(j) for j in joints])  # (N, 3) metres
        diff = r_d[None] - r_t[:, None]  # (T, N, 3) metres
        cov = s_t[:, None] + det_cov[None] + cfg.gate_floor_m**2 * np.eye(3)  # (T, N, 3, 3) m^2
        ok = np.isfinite(diff).all(axis=-1) & np.isfinite(cov).all(axis=(-2, -1))
        diff = np.where(ok[..., None], diff, 0.0)
        cov = np.where(ok[..., None, None], cov, np.eye(3))
        maha = np.sqrt(
            np.einsum('tni,tni->tn', diff, np.linalg.solve(cov, diff[..., None])[..., 0])
        )
        pred_box = np.stack([self._predicted_box(t, stamp_s) for t in tracks])  # (T, 4) px
        with np.errstate(divide='ignore', invalid='ignore'):
            size = np.log(
                np.maximum(boxes[None, :, 3], 1.0) / np.maximum(pred_box[:, None, 3], 1.0)
            )
        # (T, N) sigmas: the roots and the box heights (two people on one bearing differ in size)
        maha = np.where(ok, np.sqrt(maha**2 + (size / cfg.box_height_std) ** 2), np.inf)
        rel_t = np.stack([t.rel for t in tracks])  # (T, J, 3) metres, root-relative
        rel_d = joints - r_d[:, None]  # (N, J, 3)
        _, pose_d = pose_distances(rel_t, rel_d, 1.0)  # (T, N) metres, mean joint distance
        iou = box_iou(pred_box, boxes)
        allowed = (maha <= cfg.gate_sigma) & (pose_d <= cfg.gate_pose_m)
        cost = maha / cfg.gate_sigma + cfg.w_pose * pose_d + cfg.w_iou * (1.0 - iou)
        return assign(np.where(allowed, cost, 0.0), allowed)

    def _gate_prediction(self, t: _Tracklet, stamp_s: float) -> tuple[np.ndarray, np.ndarray]:
        """
        Root (3,) metres and its covariance (3, 3) m^2 that track t is matched against.

        Predicted to the stamp; a hidden track's stay where its coast ended (the gate stops
        growing there).
        """
        if t.gate_cov is not None and self._hidden(t, stamp_s):
            return t.gate_pos, t.gate_cov + t.scale_var * np.outer(t.gate_pos, t.gate_pos)
        dt = max(stamp_s - t.kf_stamp, 0.0)
        return t.kf.predicted(dt), self._predicted_cov(t, dt)

    @staticmethod
    def _predicted_cov(t: _Tracklet, dt: float) -> np.ndarray:
        """
        (3, 3) covariance of track t's root dt seconds ahead, m^2.

        The Kalman filter's, plus the track's scale uncertainty along the ray (shared by all its
        frames, so not in the filter).
        """
        r = t.kf.predicted(dt)  # (3,) metres
        return t.kf.predicted_pos_cov(dt) + t.scale_var * np.outer(r, r)

    def _shared_error_cov(self, t: _Tracklet) -> np.ndarray:
        """
        (3, 3) covariance of the root error track t's frames share, m^2.

        root_lateral_sys_std_m across the ray, root_depth_sys_rel_std x the distance along it;
        with depth cues plus what the spread of the network's body size over the track says
        (metric_scale.DepthConfig.wobble_floor_std): a pose the network is unsure of
        """
        cfg, root = self.config, t.kf.pos
        rel_var, across_var = cfg.root_depth_sys_rel_std**2, cfg.root_lateral_sys_std_m**2
        if t.scale is not None:
            dc, wob = t.scale.cfg, t.scale.wobble_var()  # log units^2
            if wob > 0:
                rel_var += dc.wobble_depth_gain**2 * wob
                across_var += wob * (dc.wobble_lateral_gain * t.scale.stature_m()) ** 2
        return ray_covariance(root, rel_var, across_var)

    @staticmethod
    def _predicted_box(t: _Tracklet, stamp_s: float) -> np.ndarray:
        """
        (4,) box extrapolated from the last match, pixels.

        Its centre moves on at the box's image velocity; its size stays that of the last match
        (the detector boxes' size velocity is mostly their jitter: extrapolated over a coast it
        made boxes that fit nobody).
        """
        shift = t.centre_vel * (stamp_s - t.last_match_stamp)  # (2,) px: centre motion
        return t.box_at_match + np.concatenate([shift, np.zeros(2)])

    def _centroid_root(self, joints: np.ndarray) -> np.ndarray:
        """
        (3,) root of one detected pose (J, 3).

        The root joint if set and known, else the known joints' mean
        """
        rj = self.config.root_joint
        if rj is not None and np.isfinite(joints[rj]).all():
            return joints[rj].copy()
        return np.nanmean(joints, axis=0)

    def _measured_root(self, t: _Tracklet, joints: np.ndarray) -> np.ndarray:
        """
        (3,) root of a detection matched to track t, metres.

        The root joint when set and known; otherwise the translation that best aligns the track's
        smoothed relative pose with the known joints (robust to joints missing in this frame).
        """
        rj = self.config.root_joint
        if rj is not None and np.isfinite(joints[rj]).all():
            return joints[rj].copy()
        diff = joints - t.rel  # (J, 3) metres: each joint's vote for the root
        if np.isfinite(diff).all():
            return diff.mean(axis=0)
        both = np.isfinite(diff).all(axis=1)  # (J,)
        if both.any():
            return (joints[both] - t.rel[both]).mean(axis=0)
        return np.nanmean(joints, axis=0)

    def _spawn(self, stamp_s, joints, root, box, score, jconf, kp2d, depth=None, d=0) -> _Tracklet:
        """Return a new tentative track from one detection (d: its index in `depth`)."""
        cfg = self.config
        scale, meas_cov, scale_now = None, None, 1.0
        scale_var = cfg.root_depth_rel_std**2  # log units^2; the depth fusion's when it runs
        if depth is not None:
            scale = TrackScale(depth.log_prior, depth.config)
            joints, meas_cov, scale_var, scale_now = self._rescale(
                scale, stamp_s, joints, depth, d
            )
            root = self._centroid_root(joints)
        kf = ConstantVelocityKalman(
            root,
            np.asarray(cfg.root_meas_std_m),
            cfg.root_accel_std,
            cfg.root_init_velocity_std,
            meas_cov,
        )
        rel_filter = OneEuroFilter(
            cfg.one_euro_min_cutoff_hz, cfg.one_euro_beta, cfg.one_euro_d_cutoff_hz
        )
        rel = rel_filter(joints - root, 1.0).copy()  # (J, 3) metres
        t = _Tracklet(
            id=f'{cfg.id_prefix}{self._next_id}',
            kf=kf,
            rel_filter=rel_filter,
            rel=rel,
            joint_conf=self._joint_conf(joints, jconf, None),
            box_at_match=np.array(box, np.float64),
            centre_vel=np.zeros(2),
            keypoints2d=None if kp2d is None else np.array(kp2d, np.float64),
            score=float(score),
            last_match_stamp=stamp_s,
            kf_stamp=stamp_s,
            scale=scale,
            scale_var=scale_var,
            scale_now=scale_now,
        )
        self._next_id += 1
        t.confirmed = cfg.min_hits <= 1
        return t

    @staticmethod
    def _rescale(scale: TrackScale, stamp_s, joints, depth: FrameDepth, d: int):
        """
        Detect d's joints (J, 3) at its track's scale (about the camera centre).

        The root's per-frame measurement covariance (3, 3) m^2, the track's shared log-scale
        variance and its scale over the network's.
        """
        s, var = scale.update(stamp_s, depth, d)
        cut = len(depth.whole) > d and not depth.whole[d]
        # log units^2
        s, frame_var = scale.frame_scale(s, scale.frame_var(float(depth.frame_var[d])), cut)
        joints = joints * (s / depth.scale[d])  # (J, 3) metres: the image projection stays put
        # (3,) only sets the ray direction and distance of the noise
        root = np.nanmean(joints, axis=0)
        px = depth.lateral_px[d] if len(depth.lateral_px) > d else None  # across the ray, px
        return joints, root_covariance(root, frame_var, depth.fx, depth.config, px), var, s

    def _correct(
        self, t: _Tracklet, stamp_s, joints, box, score, jconf, kp2d, depth=None, d=0
    ) -> None:
        """Update track t with its matched detection (d: its index in `depth`)."""
        cfg = self.config
        dt_match = max(stamp_s - t.last_match_stamp, cfg.min_dt_s)  # s since the previous match
        meas_cov = None
        if depth is not None:
            if t.scale is None:
                t.scale = TrackScale(depth.log_prior, depth.config)
            joints, meas_cov, t.scale_var, t.scale_now = self._rescale(
                t.scale, stamp_s, joints, depth, d
            )
        root = self._measured_root(t, joints)  # (3,) metres
        t.kf.predict(max(stamp_s - t.kf_stamp, 0.0))
        t.kf.update(root, meas_cov)
        t.kf_stamp = stamp_s
        t.rel = t.rel_filter(joints - root, dt_match).copy()  # (J, 3) metres
        t.joint_conf = self._joint_conf(joints, jconf, t.joint_conf)
        box = np.array(box, dtype=np.float64)  # (4,) px
        a = cfg.box_velocity_smoothing
        moved = box_centre(box) - box_centre(t.box_at_match)  # (2,) px
        t.centre_vel = a * moved / dt_match + (1.0 - a) * t.centre_vel  # (2,) px/s
        t.box_at_match = box
        if kp2d is not None:
            t.keypoints2d = np.array(kp2d, dtype=np.float64)
        t.score = cfg.score_smoothing * float(score) + (1.0 - cfg.score_smoothing) * t.score
        t.last_match_stamp = stamp_s
        t.hits += 1
        t.age += 1
        t.matched_now = True
        if t.hits >= cfg.min_hits:
            t.confirmed = True

    @staticmethod
    def _joint_conf(
        joints: np.ndarray, jconf: np.ndarray | None, prev: np.ndarray | None
    ) -> np.ndarray:
        """
        (J,) joint confidence.

        This frame's where the joint is known, else the previous value (NaN if none)
        """
        known = np.isfinite(joints).all(axis=1)  # (J,)
        new = np.ones(len(known)) if jconf is None else np.asarray(jconf, dtype=np.float64)
        old = np.full(len(known), np.nan) if prev is None else prev
        return np.where(known, new, old)

    def _end_outside(self, image_size: tuple[int, int], out: list[Track]) -> None:
        """
        End coasting tracks whose predicted box centre left the image.

        They are reported LOST if they were published.
        """
        w, h, m = float(image_size[0]), float(image_size[1]), self.config.exit_margin_px
        alive = []
        for t in self._tracks:
            if not t.matched_now:
                b = self._predicted_box(t, t.kf_stamp)
                cx, cy = box_centre(b)
                if not (-m <= cx <= w + m and -m <= cy <= h + m):
                    out.append(self._snapshot(t, TrackState.LOST, t.kf_stamp))
                    continue
            alive.append(t)
        self._tracks = alive

    def _snapshot(self, t: _Tracklet, state: TrackState, stamp_s: float) -> Track:
        """Immutable copy of track t for publishing."""
        since = max(stamp_s - t.last_match_stamp, 0.0)  # s
        fade = 1.0 if since <= 0 else max(0.0, 1.0 - since / max(self.max_coast_s, 1e-9))
        box = self._predicted_box(t, stamp_s)  # (4,) px
        kp = None
        if t.keypoints2d is not None:
            # (2,) px
            shift = box_centre(box) - box_centre(t.box_at_match)
            kp = t.keypoints2d + shift
        cov = self._predicted_cov(t, 0.0) + self._shared_error_cov(t)  # (3, 3) m^2
        return Track(
            id=t.id,
            state=state,
            age=t.age,
            hits=t.hits,
            confidence=min(max(t.score * fade, 0.0), 1.0),
            joints=t.kf.pos + t.rel,
            joint_confidence=t.joint_conf * fade,
            root=t.kf.pos.copy(),
            root_velocity=t.kf.vel.copy(),
            box=box,
            keypoints2d=kp,
            last_stamp=stamp_s,
            time_since_update_s=since,
            root_covariance=cov,
        )


__all__ = ['Track', 'TrackState', 'Tracker', 'TrackerConfig']
