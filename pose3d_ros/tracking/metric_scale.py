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
Metric depth from three cues, fused by their variances.

The network's own size, a population height prior, and floor contact; per person over time; with a
3x3 root covariance.

A monocular pose is known up to one factor: scaling every joint about the camera centre keeps the
image projection. So each cue is an estimate of the person's true body size L (metres, a bone
chain: mean leg hip-knee-ankle + mid-hip to mid-shoulder + mid-shoulder to nose/head), in log
units, and the published pose is the network's pose times `s = L / L_model`, where L_model is the
same chain measured on the network's pose:
- network: L = L_model (its own metric scale); relative 1-sigma `network_size_std`, a per-person
  bias. BlazePose gives nearly everyone the same size, so this cue is weak (0.5) by default.
- height prior: L = the template chain of an adult of `prior_stature_m` (RootNet-style pinhole:
  distance is
  proportional to the assumed size over the image size); relative sigma prior_stature_std_m /
  prior_stature_m.
- floor contact: the ray through the lowest ankle meets the plane at the ankle's height above the
  floor; the factor
  that puts the ankle there times L_model (the ankle height scales with the person:
  ankle_height_ratio x L, the network's ankle keypoint, not the anatomical ankle). Relative
  variance (REFERENCE §7, z = distance, H' = camera height above the ankle plane, sigma_v the
  ankle keypoint error, which grows with the person's size in the image):
  (z sigma_v / (f H'))^2 + (jitter_h / H')^2 per frame (independent between
  frames), plus (sigma_h / H')^2 for where this person's ankle keypoint sits and (z sigma_tilt /
  H')^2 + (sigma_offset / H')^2 from the plane (shared by all of a person's frames: not averaged
  away).
A track (`TrackScale`) keeps all three: the prior, the mean of the network's log size, and the
gated floor measurements (jumps, stairs, wrong floors: residual and foot-speed gates); the scale is
used while the feet are out of the image. Shapes next to the code; metres, seconds, camera optical
frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import warnings

import numpy as np
from pose3d_ros.core import skeletons
from pose3d_ros.core.ground import GroundPlane

TEMPLATE_STATURE_M = 1.72  # stature of core.skeletons' template adult (head top to sole), metres


@dataclass
class DepthConfig:
    """
    Settings of the depth fusion..

    Metres, pixels, seconds; relative sigmas are of the scale (log units)
    """

    prior_stature_m: float = 1.70  # population mean stature of adults, m
    prior_stature_std_m: float = 0.09  # its 1-sigma spread, m
    # a track's floor contacts farther than this many sigmas from the prior widen it (see
    # TrackScale.estimate): Gaussian in the bulk, heavy tails for children and very tall people
    prior_outlier_sigma: float = 2.0
    # relative 1-sigma error of the network's own body size (per person). BlazePose's metric pose
    # has about the same size for everyone (bone chain 1.41-1.45 m for 12 generated people of
    # 1.34-2.01 m: slope 0.01), so it is a second population prior, not a measurement: 0.5 keeps
    # it from being counted as one
    network_size_std: float = 0.5
    # relative 1-sigma per-frame noise of the network's depth (feet seen)
    frame_size_std: float = 0.03
    # the same when the body is cut by the image border (legs, a side or the soles outside: see
    # _whole_body)
    truncated_size_std: float = 0.06
    # the network's ankle keypoint above the floor (lowest foot, walking) over the network pose's
    # body size at the true scale: 0.075-0.087 on held-out generated sequences (the ankles of the
    # network pose sit 1.5-2.5 cm above the GT ankles, which are at ~0.058 of the chain). 0.055
    # (the GT ankles) put every floor-contact root 3-4 % too far
    ankle_height_ratio: float = 0.078
    # its 1-sigma per person (shoes, where the model puts the ankle), m: the per-person floor
    # bias on held-out undistorted sequences is 0.5-2.2 cm (rms 1.4 cm)
    ankle_height_std_m: float = 0.015
    ankle_jitter_std_m: float = 0.01  # its 1-sigma from frame to frame (foot rolling), m
    # 1-sigma error of the ankle keypoint in the image: foot_px_frac x the person's image size (the
    # extent of the 2D keypoints), at least foot_px_std px. Held-out sequences: 0.8-1.9 % for
    # people 90-140 px tall, 2.5-3.8 % for 270-310 px (near the camera), i.e. not a constant 3 px
    foot_px_std: float = 1.5
    foot_px_frac: float = 0.025
    # 1-sigma error of the root across the ray: lateral_px_frac x the image size, at least
    # lateral_px_std px (held-out: 1.1-2.2 %, median 1.5 %)
    lateral_px_std: float = 1.5
    lateral_px_frac: float = 0.015
    # minimum 1-sigma across the ray, m: the hip midpoints of the network and of the GT differ
    # by 2-2.5 cm per axis (rms) on held-out sequences at 1.5-4 m, more than 3 px there
    lateral_floor_m: float = 0.025
    min_foot_conf: float = 0.5  # ankles below this joint confidence give no floor contact
    # ankles this close to the image border (or outside) give no floor contact
    edge_margin_px: float = 2.0
    # floor measurements farther than this many sigma from the track's floor-based size
    gate_sigma: float = 3.0
    #                          are rejected (once it has `gate_after` of them)
    # floor measurements before the gate applies; until then only `plausible_size_range`
    gate_after: int = 3
    # floor sizes outside prior x (low, high) are rejected (not a standing person). The low end
    # lets children in (0.6: a stature of about 1.0 m; s3_far4's 1.3 m child measures 0.70 of
    # the prior), the high end stays wide for the network's own size bias
    plausible_size_range: tuple[float, float] = (0.6, 1.45)
    # floor contact rejected while the lowest ankle moves up/down faster than this, m/s, beyond
    # what its keypoint noise explains (3 sigma of the height difference of two frames: at 30 fps
    # the noise alone of a far person's ankle is ~1 m/s, so a bare speed limit rejects walkers)
    max_foot_speed_mps: float = 0.6
    # floor cues gated out without a break, agreeing with each other, for at least this long and
    # at least as many as the track's floor history holds, replace that history: the track now
    # follows someone else (an id switch) or its first floor was wrong. A jump or a step onto a
    # stair and back is shorter than the walking before it, s
    relock_s: float = 0.5
    # How much the network's own body size wobbles from frame to frame (the spread of its log size
    # over a track) says how far its pose is from what it knows. For walkers the spread is
    # 0.010-0.019; for runs, dances, kicks, punches and jumps 0.03-0.11, and those roots are off by
    # 1.5-3x that spread along the ray (a bias shared by the track's frames, not noise the filter
    # averages away) and by 0.6-3x it times the body's stature across it (held-out mixed-motion
    # sequences, GT boxes, true floor). Only the spread beyond `wobble_floor_std` counts; the
    # estimate starts from that floor, worth `wobble_prior_n` frames. Published covariance only.
    wobble_floor_std: float = 0.015  # log units
    wobble_prior_n: int = 3
    wobble_depth_gain: float = 2.0  # along the ray: gain x spread x distance, 1-sigma
    wobble_lateral_gain: float = 1.5  # across it: gain x spread x stature, 1-sigma
    min_scale: float = 0.5  # published scale clamped to [min_scale, max_scale] x the network's
    max_scale: float = 2.0


def _head_key(keys: tuple[str, ...]) -> str:
    for k in ('nose', 'head', 'htop'):
        if k in keys:
            return k
    raise KeyError('skeleton has no nose/head joint')


def body_size(joints: np.ndarray, skeleton) -> np.ndarray:
    """
    (..., J, 3) metres -> (...,) bone-chain size (see module docstring), metres.

    NaN if a joint is missing
    """
    s = skeletons.get_skeleton(skeleton) if isinstance(skeleton, str) else skeleton
    j = {
        k: joints[..., s.index(k), :]
        for k in ('lhip', 'rhip', 'lkne', 'rkne', 'lank', 'rank', 'lsho', 'rsho')
    }
    head = joints[..., s.index(_head_key(s.keys)), :]
    d = lambda a, b: np.linalg.norm(a - b, axis=-1)  # noqa: E731
    legs = 0.5 * (
        d(j['lhip'], j['lkne'])
        + d(j['lkne'], j['lank'])
        + d(j['rhip'], j['rkne'])
        + d(j['rkne'], j['rank'])
    )
    hip, sho = 0.5 * (j['lhip'] + j['rhip']), 0.5 * (j['lsho'] + j['rsho'])
    return legs + d(hip, sho) + d(sho, head)


def prior_size(skeleton, cfg: DepthConfig) -> float:
    """Bone-chain size of an adult of the prior stature, metres (the template adult, scaled)."""
    s = skeletons.get_skeleton(skeleton) if isinstance(skeleton, str) else skeleton
    return (
        float(body_size(skeletons.template_pose(s), s)) * cfg.prior_stature_m / TEMPLATE_STATURE_M
    )


@dataclass
class FrameDepth:
    """
    Per-detection depth cues of one frame (N detections) and the single-frame fusion applied to.

    Them
    """

    log_size_model: np.ndarray  # (N,) log of the network pose's size (metres)
    # (N,) log size implied by floor contact; NaN = no contact this frame
    floor_log_size: np.ndarray
    floor_var: np.ndarray  # (N,) its per-frame (independent) variance, log units^2
    floor_sys_var: np.ndarray  # (N,) its plane-shared (systematic) variance, log units^2
    # (N,) plane normal . lowest ankle of the network pose, metres (NaN = none)
    foot_down: np.ndarray
    plane_offset: float  # plane offset the floor cue used, metres (NaN = no plane)
    scale: np.ndarray  # (N,) single-frame fused scale already applied to the poses
    log_var: np.ndarray  # (N,) variance of log(scale), log units^2
    # (N,) per-frame (independent) variance of the network's log depth, log units^2
    frame_var: np.ndarray
    cov: np.ndarray  # (N, 3, 3) root covariance of the single-frame result, m^2, camera frame
    fx: float  # focal length of the camera, px
    log_prior: float  # log of the height prior's size, log metres
    config: DepthConfig  # settings used
    # (N, 3) floor points at the prior's
    feet: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    # scale for the plane estimate; NaN = none
    # (N, 3) body-up directions; NaN = none
    ups: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    # (N,) 1-sigma error of the root across the ray, px (lateral_px_std / _frac); empty = the
    # config's lateral_px_std
    lateral_px: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # the plane's metric scale is its own (TF, parameters, a given camera height), not the height
    # prior's: then a floor contact far from the prior is the person's stature (heavy-tailed prior)
    floor_scale_known: bool = False
    # (N,) the whole body is in the image (see _whole_body); empty = all
    whole: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def prior_var(var_prior: float, log_prior: float, y, var_y, cfg: DepthConfig) -> np.ndarray:
    """
    Variance of the height prior (log units^2) against floor cues y (...,) of variances var_y.

    Heavy-tailed: a cue farther than `prior_outlier_sigma` sigmas of the two together (a child, a
    very tall adult) widens it by the square of that distance; NaN cues leave it as it is.
    """
    with np.errstate(invalid='ignore'):
        z2 = np.nan_to_num((np.asarray(y) - log_prior) ** 2 / (var_prior + var_y), nan=0.0)
    return var_prior * np.maximum(1.0, z2 / cfg.prior_outlier_sigma**2)


def fuse(means: list[np.ndarray], variances: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Inverse-variance fusion of estimates (each (...,), NaN = absent) -> (mean, variance)."""
    w = [
        np.where(np.isfinite(m) & np.isfinite(v) & (v > 0), 1.0 / np.where(v > 0, v, 1.0), 0.0)
        for m, v in zip(means, variances)
    ]
    sw = sum(w)
    mean = sum(wi * np.nan_to_num(m) for wi, m in zip(w, means)) / np.where(sw > 0, sw, 1.0)
    return np.where(sw > 0, mean, np.nan), np.where(
        sw > 0, 1.0 / np.where(sw > 0, sw, 1.0), np.inf
    )


def root_covariance(
    root: np.ndarray,
    log_var: np.ndarray,
    fx: float,
    cfg: DepthConfig,
    lateral_px: np.ndarray | float | None = None,
) -> np.ndarray:
    """
    (..., 3) roots and (...,) variance of log scale -> (..., 3, 3) covariance, m^2.

    Along the ray |root|^2 var, across it (|root| lateral_px / fx)^2 (at least
    lateral_floor_m^2); lateral_px: (...,) px, default cfg.lateral_px_std.
    """
    dist = np.linalg.norm(np.asarray(root, np.float64), axis=-1)  # (...,) metres
    px = cfg.lateral_px_std if lateral_px is None else np.asarray(lateral_px, np.float64)
    across = np.maximum(dist * px / fx, cfg.lateral_floor_m) ** 2  # (...,) m^2
    return ray_covariance(root, log_var, across)


def ray_covariance(root: np.ndarray, rel_var, across_var) -> np.ndarray:
    """
    (..., 3) roots -> (..., 3, 3) covariance, m^2, split along and across the camera ray.

    rel_var (...,): variance along the ray over the squared distance (log units^2); across_var
    (...,): variance of each axis across the ray, m^2. A root at the camera centre has none along.
    """
    r = np.asarray(root, np.float64)
    dist = np.linalg.norm(r, axis=-1)  # (...,) metres
    u = r / np.where(dist > 1e-9, dist, 1.0)[..., None]  # (..., 3) unit ray
    along = dist**2 * np.asarray(rel_var)  # (...,) m^2
    uu = u[..., :, None] * u[..., None, :]
    return along[..., None, None] * uu + np.asarray(across_var)[..., None, None] * (np.eye(3) - uu)


def image_extent(joints2d: np.ndarray) -> np.ndarray:
    """
    (N, J, 2) px keypoints -> (N,) the person's size in the image.

    The larger side of their box, px
    """
    j = np.asarray(joints2d, np.float64)
    if not len(j):
        return np.zeros(0)
    with np.errstate(invalid='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # all-NaN people
        span = np.nanmax(j, axis=1) - np.nanmin(j, axis=1)  # (N, 2) px
        return np.nanmax(span, axis=1)


def frame_depth(
    joints: np.ndarray,
    joints2d: np.ndarray,
    joint_conf: np.ndarray,
    skeleton,
    fx: float,
    image_size: tuple[int, int],
    plane: GroundPlane | None,
    root: np.ndarray,
    cfg: DepthConfig,
) -> FrameDepth:
    """
    Depth cues of N detections and their single-frame fusion.

    joints: (N, J, 3) network poses, metres, camera frame. joints2d: (N, J, 2) px. joint_conf: (N,
    J). fx: focal length, px. image_size: (width, height) px. plane: the floor or None. root: (N,
    3) metres.
    """
    s = skeletons.get_skeleton(skeleton) if isinstance(skeleton, str) else skeleton
    n = len(joints)
    size = body_size(joints, s)  # (N,) metres
    log_m = np.log(np.where(size > 1e-3, size, np.nan))  # (N,)
    lp = np.log(prior_size(s, cfg))
    var_p, var_n = (cfg.prior_stature_std_m / cfg.prior_stature_m) ** 2, cfg.network_size_std**2
    ank = [s.index('lank'), s.index('rank')]
    w, h = image_size
    extent = image_extent(joints2d)  # (N,) px
    foot_px = np.maximum(cfg.foot_px_std, cfg.foot_px_frac * np.nan_to_num(extent))  # (N,) px
    lateral_px = np.maximum(cfg.lateral_px_std, cfg.lateral_px_frac * np.nan_to_num(extent))
    a2 = joints2d[:, ank]  # (N, 2, 2) px
    inside = (
        (a2 >= cfg.edge_margin_px) & (a2 <= np.array([w - 1, h - 1]) - cfg.edge_margin_px)
    ).all(-1)
    ok = inside & (np.nan_to_num(joint_conf[:, ank]) >= cfg.min_foot_conf)  # (N, 2)
    floor_y = np.full(n, np.nan)
    floor_var = np.full(n, np.nan)
    sys_var = np.full(n, np.nan)
    foot_down = np.full(n, np.nan)
    if plane is not None and n:
        # The ankle sits ankle_height_ratio x the true size s L_model above the floor: s (n.P) + d
        # = r s L_model,
        # so s = d / (r L_model - n.P) for each ankle P of the network pose.
        down = joints[:, ank] @ plane.normal  # (N, 2) metres, < 0 below the camera
        denom = cfg.ankle_height_ratio * size[:, None] - down  # (N, 2) metres
        with np.errstate(divide='ignore', invalid='ignore'):
            sa = np.where(ok & (denom > 1e-6) & (down < 0), plane.offset / denom, np.nan)  # (N, 2)
        has = np.isfinite(sa).any(axis=1)
        low = np.argmin(np.where(np.isfinite(sa), sa, np.inf), axis=1)  # (N,) the lowest foot
        s_floor = np.where(has, sa[np.arange(n), low], np.nan)  # (N,)
        p_foot = joints[np.arange(n), np.array(ank)[low]]  # (N, 3) network ankle
        foot_down = np.where(has, p_foot @ plane.normal, np.nan)
        ankle_h = cfg.ankle_height_ratio * np.nan_to_num(s_floor * size, nan=1.5)  # (N,) metres
        hp = np.maximum(plane.offset - ankle_h, 0.1)  # (N,) metres, camera above the ankle plane
        dist = s_floor * np.linalg.norm(p_foot, axis=-1)  # (N,) metres
        # (N,) keypoint part, independent per foot
        px_var = (dist * foot_px / (fx * hp)) ** 2
        # Both feet down (agree within the noise): their mean; the minimum of two noisy feet is
        # biased low.
        both = np.isfinite(sa).all(axis=1) & (
            np.abs(np.log(sa[:, 0] / sa[:, 1])) < 2.0 * np.sqrt(2 * px_var)
        )
        s_floor = np.where(both, np.sqrt(sa[:, 0] * sa[:, 1]), s_floor)
        floor_var = np.where(both, 0.5, 1.0) * px_var + (cfg.ankle_jitter_std_m / hp) ** 2
        sys_var = (
            (dist * plane.normal_std_rad / hp) ** 2
            + (plane.offset_std_m / hp) ** 2
            + (cfg.ankle_height_std_m / hp) ** 2
        )  # (N,) shared by a person's frames
        floor_y = np.log(s_floor) + log_m
    # the height prior, heavy-tailed on a floor of known metric scale (see TrackScale.estimate)
    scale_known = plane is not None and not plane.scale_from_prior
    var_pf = prior_var(var_p, lp, floor_y, floor_var + sys_var, cfg) if scale_known else var_p
    mean, var = fuse(
        [np.full(n, lp), log_m, floor_y],
        [np.broadcast_to(var_pf, (n,)), np.full(n, var_n), floor_var + sys_var],
    )
    # (N,)
    scale = np.clip(np.nan_to_num(np.exp(mean - log_m), nan=1.0), cfg.min_scale, cfg.max_scale)
    # (N,)
    whole = _whole_body(joints2d, ank, extent, image_size, cfg)  # (N,)
    frame_var = np.where(whole, cfg.frame_size_std, cfg.truncated_size_std) ** 2
    log_var = np.where(np.isfinite(var), var, var_n) + frame_var
    cov = root_covariance(root * scale[:, None], log_var, fx, cfg, lateral_px)
    # without the floor
    mean_pn, _ = fuse([np.full(n, lp), log_m], [np.full(n, var_p), np.full(n, var_n)])
    feet, ups = _floor_samples(joints, joint_conf, ok.all(axis=1), s, np.exp(mean_pn - log_m), cfg)
    offset = float(plane.offset) if plane is not None else float('nan')
    return FrameDepth(
        log_m,
        floor_y,
        floor_var,
        sys_var,
        foot_down,
        offset,
        scale,
        log_var,
        frame_var,
        cov,
        float(fx),
        float(lp),
        cfg,
        feet,
        ups,
        lateral_px,
        scale_known,
        whole,
    )


def _whole_body(joints2d, ank, extent, image_size, cfg: DepthConfig) -> np.ndarray:
    """
    (N,) whether each person's whole body is in the image, as the crop model saw it.

    Every keypoint inside, and the sole of a foot too: an ankle at least a foot height
    (ankle_height_ratio of the person's image size) above the bottom edge. A body cut by the
    border gives a less reliable pose, so its depth gets the truncated per-frame noise.
    joints2d (N, J, 2) px; ank: the two ankle indices; extent (N,) px.
    """
    w, h = image_size
    j = np.asarray(joints2d, np.float64)  # (N, J, 2) px
    with np.errstate(invalid='ignore'):
        inside = ((j >= 0) & (j <= np.array([w - 1, h - 1]))).all(-1)  # (N, J)
        body = np.where(np.isfinite(j).all(-1), inside, True).all(-1)  # (N,)
        sole = j[:, ank, 1] <= h - 1 - cfg.ankle_height_ratio * np.nan_to_num(extent)[:, None]
    return body & sole.any(axis=1)


def _floor_samples(joints, joint_conf, feet_ok, s, prior_scale, cfg: DepthConfig):
    """
    Floor point under the lowest ankle of each upright person with both feet seen.

    At the scale of the prior and the network (not the floor: no feedback), and their body-up
    directions: (N, 3), (N, 3), NaN rows for the others.
    """
    n = len(joints)
    ank = [s.index('lank'), s.index('rank')]
    sho = 0.5 * (joints[:, s.index('lsho')] + joints[:, s.index('rsho')])  # (N, 3)
    up = sho - joints[:, ank].mean(axis=1)
    # (N, 3) body-up, camera frame
    up /= np.maximum(np.linalg.norm(up, axis=-1, keepdims=True), 1e-9)
    upright = up[:, 1] < -np.cos(np.radians(40.0))  # within 40 deg of image-up
    keep = feet_ok & upright & np.isfinite(prior_scale)  # (N,)
    a = joints[:, ank] * np.where(keep, prior_scale, np.nan)[:, None, None]  # (N, 2, 3) metres
    # (N,) lower ankle
    low = np.argmin(np.nan_to_num(np.einsum('nfd,nd->nf', a, up), nan=0.0), axis=1)
    size = body_size(joints, s) * np.where(keep, prior_scale, np.nan)  # (N,) metres at that scale
    # (N, 3) floor point under it
    foot = a[np.arange(n), low] - (cfg.ankle_height_ratio * size)[:, None] * up
    return foot, np.where(keep[:, None], up, np.nan)


class TrackScale:
    """
    One person's size over time (log metres).

    Prior, mean network size and gated floor contacts
    """

    def __init__(self, log_prior: float, cfg: DepthConfig):
        self.cfg = cfg
        self.log_prior = float(log_prior)
        self.var_prior = (cfg.prior_stature_std_m / cfg.prior_stature_m) ** 2
        self.net_sum, self.net_n = 0.0, 0  # sum / count of log L_model
        # the same over the whole track for its spread (not reset by a re-lock): n, sum, sum sq
        self.wob_n, self.wob_sum, self.wob_sq = 0, 0.0, 0.0
        # floor accumulators
        self.floor_wsum, self.floor_w, self.floor_sys, self.floor_n = 0.0, 0.0, 0.0, 0
        self.rejected = 0  # floor measurements gated out
        # the current run of gated-out floor cues, a floor history for re-locking (see
        # DepthConfig.relock_s): (start s, sum of (floor size - network size) / vy, sum 1/vy, sum
        # of shared variances, count, sum of network sizes)
        self.run: tuple[float, float, float, float, int, float] | None = None
        # accepted floor cues: sum, sum of squares, sum of vars
        self.y_sum, self.y_sq, self.vy_sum = 0.0, 0.0, 0.0
        # (stamp s, lowest-ankle height m, its 1-sigma noise m)
        self.last_foot: tuple[float, float, float] | None = None
        # whether the latest frame's floor had its own metric scale (FrameDepth.floor_scale_known)
        self.floor_scale_known = False
        # the latest update's accepted floor cue as a log scale of that frame's network pose and
        # its per-frame variance; None = none that frame
        self.frame_cue: tuple[float, float] | None = None

    def estimate(self) -> tuple[float, float]:
        """
        (log size, its variance) from everything so far.

        The height prior is heavy-tailed: where the floor contacts put the person farther from it
        than `prior_outlier_sigma` sigmas of the two together (a child, a very tall adult), its
        variance grows with the square of that distance, so the contacts decide and the
        published sigma owns the disagreement. Only on a floor of known metric scale: an
        estimated floor whose height comes from the prior itself says nothing about one
        person's stature, and its contacts far from the prior are the floor's error.
        """
        var_prior = self.var_prior
        cues_m, cues_v = [np.array(self.log_prior)], []
        if self.net_n:
            cues_m.append(np.array(self.net_sum / self.net_n))
            cues_v.append(np.array(self.cfg.network_size_std**2))
        if self.floor_w > 0:
            f_mu, f_var = self.floor_wsum / self.floor_w, self._floor_var()
            cues_m.append(np.array(f_mu))
            cues_v.append(np.array(f_var))
            if self.floor_scale_known:
                var_prior = float(prior_var(var_prior, self.log_prior, f_mu, f_var, self.cfg))
        m, v = fuse(cues_m, [np.array(var_prior)] + cues_v)
        return float(m), float(v)

    def _floor_var(self) -> float:
        """
        Variance of the floor history's mean size, log units^2 (floor_w > 0).

        Its cues' own noise averaged, plus the plane's error that all of them share.
        """
        return 1.0 / self.floor_w + self.floor_sys / self.floor_n

    def wobble_var(self) -> float:
        """
        Variance of the network's log body size over the track beyond `wobble_floor_std`^2.

        Log units^2 (see DepthConfig.wobble_floor_std): the sample variance shrunk towards the
        floor by `wobble_prior_n` pseudo-frames, minus the floor; 0 for a walker.
        """
        cfg, n = self.cfg, self.wob_n
        if n < 2:
            return 0.0
        ss = max(0.0, self.wob_sq - self.wob_sum**2 / n)
        floor = cfg.wobble_floor_std**2
        return max(0.0, (cfg.wobble_prior_n * floor + ss) / (cfg.wobble_prior_n + n - 1) - floor)

    def stature_m(self) -> float:
        """Return the person's stature from the track's size estimate, metres."""
        return self.cfg.prior_stature_m * float(np.exp(self.estimate()[0] - self.log_prior))

    def frame_var(self, default: float) -> float:
        """
        Per-frame variance of the network's log depth for this person.

        It is `default`, or more when the floor cues scatter more over time than their own noise
        explains (e.g. a distorted lens, a hard pose).
        """
        if self.floor_n < 5:
            return default
        return max(default, self._excess())

    def _excess(self) -> float:
        """
        Sample variance of the accepted floor cues beyond their mean own variance.

        Log units^2
        """
        n = self.floor_n
        if n < 2:
            return 0.0
        scatter = (self.y_sq - self.y_sum**2 / n) / (n - 1)
        return max(0.0, scatter - self.vy_sum / n)

    def update(self, stamp_s: float, depth: FrameDepth, i: int) -> tuple[float, float]:
        """
        Add detection i of `depth`.

        Returns (scale for this detection's network pose, var of log scale).

        The scale is the track's size over the mean network size of the track (one factor per
        person: the network's per-frame size wobbles more than its depth does, e.g. when the legs
        leave the image).
        """
        cfg = self.cfg
        self.floor_scale_known = depth.floor_scale_known
        lm = depth.log_size_model[i]
        if np.isfinite(lm):
            self.net_sum += float(lm)
            self.net_n += 1
            self.wob_n, self.wob_sum = self.wob_n + 1, self.wob_sum + float(lm)
            self.wob_sq += float(lm) ** 2
        mu, var = self.estimate()
        # mean log network size of the track
        m_bar = self.net_sum / self.net_n if self.net_n else np.nan
        # floor cue as a size at the track's mean network size
        y = depth.floor_log_size[i] - lm + m_bar
        vy, vs = depth.floor_var[i], depth.floor_sys_var[i]
        self.frame_cue = None
        if np.isfinite(y):
            # ankle height, m
            height = float(np.exp(mu - lm) * depth.foot_down[i] + depth.plane_offset)
            # 1-sigma of that height from this frame's floor noise: the relative size error of
            # the floor cue times the camera's height above the ankle plane, m
            height_std = float(np.sqrt(vy) * max(depth.plane_offset - height, 0.1))
            fast = False
            if self.last_foot is not None and stamp_s > self.last_foot[0]:
                t0, h0, std0 = self.last_foot
                allowed = cfg.max_foot_speed_mps * (stamp_s - t0) + 3.0 * np.hypot(
                    height_std, std0
                )
                fast = abs(height - h0) > allowed
            self.last_foot = (float(stamp_s), height, height_std)
            if self.floor_n >= cfg.gate_after:  # against the person's own floor contacts so far
                f_mu, f_var = self.floor_wsum / self.floor_w, 1.0 / self.floor_w
                # cues that scatter more than their own noise widen the gate by that excess (a
                # history begun while the person was partly hidden must not lock out the rest)
                good = abs(y - f_mu) <= cfg.gate_sigma * np.sqrt(f_var + vy + self._excess())
            else:  # against what an adult's size can be
                low, high = cfg.plausible_size_range
                good = np.log(low) <= y - self.log_prior <= np.log(high)
            if good and not fast:
                self.run = None
                self._accept(float(y), float(vy), float(vs))
                mu, var = self.estimate()
                # the plane's (shared) error is in the track's scale too, in the share the floor
                # has in it; the rest of it is this cue's own
                own = float(vy) + float(vs) * max(0.0, 1.0 - var / self._floor_var())
                self.frame_cue = (float(depth.floor_log_size[i] - lm), own)
            else:
                self.rejected += 1
                if not good and self._relock(stamp_s, float(y), float(vy), float(vs), float(lm)):
                    mu, var = self.estimate()
                    m_bar = self.net_sum / self.net_n
        scale = float(
            np.clip(np.nan_to_num(np.exp(mu - m_bar), nan=1.0), cfg.min_scale, cfg.max_scale)
        )
        return scale, var

    def frame_scale(self, scale: float, frame_var: float, cut: bool) -> tuple[float, float]:
        """
        Return this frame's scale and per-frame log variance (a body cut by the image border).

        scale: the track's (from `update`); frame_var: the network's per-frame log variance; cut:
        the body is not all in the image (FrameDepth.whole). The crop model's pose of a cut body
        wobbles in depth (DepthConfig.truncated_size_std), so a floor contact of the same frame,
        accepted by `update`, is fused in by the two per-frame variances: the feet hold the
        depth. A whole body keeps the track's scale (on held-out sequences the per-frame floor
        cue, correlated from frame to frame by the gait, made whole walkers no better).
        """
        if not cut or self.frame_cue is None:
            return scale, frame_var
        y, vy = self.frame_cue
        m, v = fuse([np.array(np.log(scale)), np.array(y)], [np.array(frame_var), np.array(vy)])
        return float(np.clip(np.exp(m), self.cfg.min_scale, self.cfg.max_scale)), float(v)

    def _accept(self, y: float, vy: float, vs: float) -> None:
        """Add one floor cue (log size y, its per-frame and shared variances) to the history."""
        self.floor_wsum += y / vy
        self.floor_w += 1.0 / vy
        self.floor_sys += vs
        self.floor_n += 1
        self.y_sum, self.y_sq, self.vy_sum = self.y_sum + y, self.y_sq + y * y, self.vy_sum + vy

    def _relock(self, stamp_s: float, y: float, vy: float, vs: float, lm: float) -> bool:
        """
        Extend the run of gated-out floor cues by this one.

        y: the cue at the track's mean network size; lm: this frame's log network size. Returns
        True when the run, `relock_s` long, consistent within `gate_sigma` and holding at
        least as many cues as the history, has just replaced the floor history and the mean
        network size (both then hold the run's frames only); a cue that disagrees with the run
        starts a new run.
        """
        cfg = self.cfg
        rel = y - self.net_sum / self.net_n  # log scale over this frame's network size
        run = self.run
        if run is not None and abs(rel - run[1] / run[2]) > cfg.gate_sigma * np.sqrt(
            1.0 / run[2] + vy
        ):
            run = None
        if run is None:
            run = (stamp_s, 0.0, 0.0, 0.0, 0, 0.0)
        start, rel_wsum, w, sys_sum, n, lm_sum = run
        self.run = (
            stamp_s if n == 0 else start,
            rel_wsum + rel / vy,
            w + 1.0 / vy,
            sys_sum + vs,
            n + 1,
            lm_sum + lm,
        )
        start, rel_wsum, w, sys_sum, n, lm_sum = self.run
        if stamp_s - start < cfg.relock_s or n < max(cfg.gate_after, self.floor_n):
            return False
        self.net_sum, self.net_n = lm_sum, n
        mean = rel_wsum / w + lm_sum / n  # the run's mean floor size, log metres
        self.floor_wsum, self.floor_w, self.floor_sys, self.floor_n = mean * w, w, sys_sum, n
        self.y_sum, self.y_sq, self.vy_sum = n * mean, n * mean * mean, n / w
        self.run = None
        return True


__all__ = [
    'DepthConfig',
    'FrameDepth',
    'TrackScale',
    'body_size',
    'frame_depth',
    'fuse',
    'image_extent',
    'prior_size',
    'prior_var',
    'ray_covariance',
    'root_covariance',
]
