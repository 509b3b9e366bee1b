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
Round trip with exact ground truth.

People -> camera -> crops -> MeTRAbs head -> decode -> absolute reconstruction; noise growth,
truncation, box jitter, batching, torch twins.
"""

from core_synth import boxes_of, crop_truth, random_people, render_head_logits
import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import crop_geometry
from pose3d_ros.core.decode import decode_metrabs_head, decode_metrabs_head_torch, soft_argmax_2d
from pose3d_ros.core.reconstruct import reconstruct_absolute, reconstruct_in_camera
import pytest
import torch

K = [600.0, 0, 330, 0, 610, 235, 0, 0, 1]
CAMERAS = {
    'none': Camera.from_camera_info(K, [], 'none', 640, 480),
    'plumb_bob': Camera.from_camera_info(
        K, [-0.3, 0.1, 0.001, -0.002, -0.02], 'plumb_bob', 640, 480
    ),
    'rational_polynomial': Camera.from_camera_info(
        K, [0.5, -0.2, 0.001, 0.002, 0.01, 0.8, -0.1, 0.02], 'rational_polynomial', 640, 480
    ),
    'equidistant': Camera.from_camera_info(
        K, [-0.02, 0.01, -0.003, 0.001], 'equidistant', 640, 480
    ),
    'default_fov_hd': Camera.from_fov(1280, 720),
}
J = 24


def _pipeline(cam, people, res=256, boxes=None, noise2d_px=0.0, noise3d_m=0.0, rng=None, **kw):
    """People (N, J, 3) -> reconstructed (N, J, 3) through heatmaps rendered from the truth."""
    if boxes is None:
        boxes = boxes_of(cam.project(people), clip_to=(cam.width, cam.height))
    geom = crop_geometry(cam, boxes, res=res)
    c2, c3 = crop_truth(people, geom)
    if noise2d_px or noise3d_m:
        c2 = c2 + rng.normal(scale=noise2d_px, size=c2.shape) if noise2d_px else c2
        c3 = c3 + rng.normal(scale=noise3d_m, size=c3.shape) if noise3d_m else c3
    d2, d3 = decode_metrabs_head(render_head_logits(c2, c3, res), J, res=res)
    return reconstruct_in_camera(d2, d3, geom, **kw)


@pytest.mark.parametrize('name', list(CAMERAS))
@pytest.mark.parametrize('mix', [0.5, 1.0])
def test_roundtrip_exact_1_to_10_m(name, mix):
    cam = CAMERAS[name]
    people = random_people(np.random.default_rng(10), cam, 40, depth_range=(1.0, 10.0))
    out = _pipeline(cam, people, mix_3d_inside_fov=mix)
    err = np.linalg.norm(out - people, axis=-1)  # (N, J) metres
    assert err.max() < 1e-3, err.max()


def test_roundtrip_384px_volume_12x12():
    cam = CAMERAS['plumb_bob']
    people = random_people(np.random.default_rng(11), cam, 10)
    out = _pipeline(cam, people, res=384)
    assert np.linalg.norm(out - people, axis=-1).max() < 1e-3


def test_people_partly_outside_the_image():
    cam = CAMERAS['none']
    rng = np.random.default_rng(12)
    # pelvis placed near or beyond the border, depth 2-6 m: limbs leave the image, boxes are
    # clipped
    people = random_people(rng, cam, 30, depth_range=(2.0, 6.0), margin=-0.05)
    uv = cam.project(people)
    outside = (uv[..., 0] < 0) | (uv[..., 0] > 639) | (uv[..., 1] < 0) | (uv[..., 1] > 479)
    assert outside.any(axis=1).sum() >= 10  # many people are really truncated
    out = _pipeline(cam, people)
    err = np.linalg.norm(out - people, axis=-1)
    # the truncated joints are clamped by the soft-argmax and down-weighted: still exact
    assert err.max() < 1e-3, err.max()


def test_jittered_boxes_give_the_same_answer():
    cam = CAMERAS['plumb_bob']
    rng = np.random.default_rng(13)
    people = random_people(rng, cam, 10, depth_range=(2.0, 8.0))
    base = boxes_of(cam.project(people), pad=0.15)
    results = []
    for _ in range(5):
        jit = base.copy()
        jit[:, :2] += rng.uniform(-0.05, 0.05, (10, 2)) * base[:, 2:]  # shift by up to 5 %
        jit[:, 2:] *= rng.uniform(0.95, 1.05, (10, 2))  # resize by up to 5 %
        results.append(_pipeline(cam, people, boxes=jit))
    spread = np.linalg.norm(np.stack(results) - people, axis=-1)
    assert spread.max() < 1e-3


def test_graceful_error_growth_under_noise():
    cam = CAMERAS['plumb_bob']
    rng = np.random.default_rng(14)
    people = random_people(rng, cam, 60, depth_range=(1.0, 10.0))
    depth = people[:, :, 2].mean(axis=1)  # (N,) metres
    errors = {}
    for n2, n3 in [(0.5, 0.0), (2.0, 0.0), (0.0, 0.01), (0.0, 0.04), (2.0, 0.04)]:
        out = _pipeline(cam, people, noise2d_px=n2, noise3d_m=n3, rng=rng)
        errors[(n2, n3)] = np.linalg.norm(out - people, axis=-1).mean(axis=1) / depth  # (N,) per m
    mean = {k: float(v.mean()) for k, v in errors.items()}
    # mean absolute joint error per metre of distance (2D noise in 256-px crop pixels, 3D in
    # metres)
    # measured (seed 14): 0.15 %, 0.64 %, 0.50 %, 2.0 %, 2.2 %; 3D noise acts through the scale,
    # so the depth error is proportional to the distance (inherent to the method)
    assert mean[(0.5, 0.0)] < 0.0025 and mean[(2.0, 0.0)] < 0.01
    assert mean[(0.0, 0.01)] < 0.0075 and mean[(0.0, 0.04)] < 0.03
    assert mean[(2.0, 0.04)] < 0.035
    # error grows with the noise, roughly in proportion (no blow-up, no collapse)
    assert mean[(0.5, 0.0)] < mean[(2.0, 0.0)] < 8 * mean[(0.5, 0.0)]
    assert mean[(0.0, 0.01)] < mean[(0.0, 0.04)] < 8 * mean[(0.0, 0.01)]
    assert max(np.percentile(v, 95) for v in errors.values()) < 0.09


def test_batch_equals_one_by_one_and_leading_dims():
    cam = CAMERAS['equidistant']
    people = random_people(np.random.default_rng(15), cam, 8)
    boxes = boxes_of(cam.project(people))
    geom = crop_geometry(cam, boxes)
    c2, c3 = crop_truth(people, geom)
    c2 = c2 + np.random.default_rng(0).normal(scale=3.0, size=c2.shape)  # make the LSQ non-trivial
    batch = reconstruct_absolute(c2, c3, geom.K, res=256)
    single = np.stack([reconstruct_absolute(c2[i], c3[i], geom.K[i], res=256) for i in range(8)])
    assert np.allclose(batch, single, atol=1e-12)
    nested = reconstruct_absolute(
        c2.reshape(2, 4, J, 2), c3.reshape(2, 4, J, 3), geom.K.reshape(2, 4, 3, 3), res=256
    )
    assert np.allclose(nested.reshape(8, J, 3), batch, atol=1e-12)
    # torch twin gives the same numbers
    tt = reconstruct_absolute(
        torch.from_numpy(c2), torch.from_numpy(c3), torch.from_numpy(geom.K), res=256
    )
    assert np.allclose(tt.numpy(), batch, atol=1e-9)


def test_invalid_joints_are_nan_and_ignored():
    cam = CAMERAS['none']
    people = random_people(np.random.default_rng(16), cam, 3)
    geom = crop_geometry(cam, boxes_of(cam.project(people)))
    c2, c3 = crop_truth(people, geom)
    c2[0, 5] = np.nan
    c3[1, :, :] = np.nan  # nothing valid: all NaN
    out = reconstruct_in_camera(c2, c3, geom)
    assert np.isnan(out[0, 5]).all() and np.isnan(out[1]).all()
    assert (
        np.linalg.norm(np.delete(out[0], 5, 0) - np.delete(people[0], 5, 0), axis=-1).max() < 1e-4
    )
    assert np.linalg.norm(out[2] - people[2], axis=-1).max() < 1e-4


def test_joints_left_out_of_the_fit_are_still_placed():
    """
    Valid=False (fit_min_confidence) only removes a joint from the translation fit.

    Issue 15 item 7.
    """
    cam = CAMERAS['plumb_bob']
    people = random_people(np.random.default_rng(17), cam, 2)
    geom = crop_geometry(cam, boxes_of(cam.project(people)))
    c2, c3 = crop_truth(people, geom)
    valid = np.ones(c2.shape[:2], bool)
    valid[0, :10] = False  # 10 of 24 joints not confident
    # ... and their 2D is wrong by 40 px: left out, it cannot pull the translation
    c2[0, :10] += 40.0
    out = reconstruct_in_camera(c2, c3, geom, valid=valid, mix_3d_inside_fov=1.0)
    assert np.isfinite(out).all()
    assert np.linalg.norm(out - people, axis=-1).max() < 1e-4  # exact 3D, every joint
    valid[1] = False  # no joint to fit: that person is NaN
    assert np.isnan(reconstruct_in_camera(c2, c3, geom, valid=valid)[1]).all()


def test_decode_numpy_equals_torch_and_shapes():
    rng = np.random.default_rng(17)
    logits = rng.normal(scale=3.0, size=(5, J * 9, 8, 8)).astype(np.float32)
    n2, n3 = decode_metrabs_head(logits, J, res=256, root_index=0)
    t2, t3 = decode_metrabs_head_torch(torch.from_numpy(logits), J, res=256, root_index=0)
    assert n2.shape == (5, J, 2) and n3.shape == (5, J, 3)
    # float32 soft-argmax summed in other orders: 1e-4 m in the 2.2 m cube, the same fraction of
    # 256 px
    assert np.allclose(n2, t2.numpy(), atol=1e-4 * 256 / 2.2) and np.allclose(
        n3, t3.numpy(), atol=1e-4
    )
    assert np.allclose(n3[:, 0], 0.0)
    with pytest.raises(ValueError, match='channels'):
        decode_metrabs_head(logits[:, :-1], J, res=256)


def test_soft_argmax_conventions():
    # one-hot at cell (x=2, y=5) -> crop pixel 2*32+16, 5*32+16 at 256 px
    lg = np.full((1, 1, 8, 8), -50.0)
    lg[0, 0, 5, 2] = 50.0
    assert np.allclose(soft_argmax_2d(lg), [[[2.0, 5.0]]], atol=1e-6)
    logits = np.full((1, 9, 8, 8), -50.0, np.float32)
    logits[0, 0, 5, 2] = 50.0  # 2D channel of joint 0
    logits[0, 1 + 7 * 1 + 0, 0, 7] = 50.0  # 3D: joint 0, depth bin 7, row 0, column 7
    c2, c3 = decode_metrabs_head(logits, 1, res=256)
    assert np.allclose(c2, [[[80.0, 176.0]]], atol=1e-3)
    # x: (7*32+16)*2.2/256 - 1.1; y: 16*2.2/256 - 1.1; z: 7/7*2.2 - 1.1
    assert np.allclose(c3, [[[240 * 2.2 / 256 - 1.1, 16 * 2.2 / 256 - 1.1, 1.1]]], atol=1e-5)


@pytest.mark.filterwarnings('ignore::DeprecationWarning')  # the TorchScript exporter (still fine)
@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')  # constant channel-count check
def test_torch_decode_exports_to_onnx(tmp_path):
    ort = pytest.importorskip('onnxruntime')

    class Decode(torch.nn.Module):

        def forward(self, logits):
            return decode_metrabs_head_torch(logits, J, res=384)

    path = tmp_path / 'decode.onnx'
    torch.onnx.export(
        Decode(),
        (torch.randn(2, J * 9, 12, 12),),
        str(path),
        input_names=['logits'],
        output_names=['coords2d', 'coords3d'],
        dynamic_axes={'logits': {0: 'n'}},
        dynamo=False,
    )
    x = np.random.default_rng(18).normal(scale=2.0, size=(5, J * 9, 12, 12)).astype(np.float32)
    c2, c3 = ort.InferenceSession(str(path)).run(None, {'logits': x})
    r2, r3 = decode_metrabs_head(x, J, res=384)
    # ONNX Runtime vs numpy, float32 soft-argmax: 1e-4 m in the 2.2 m cube, the same fraction of
    # 384 px
    assert (
        c2.shape == (5, J, 2)
        and np.allclose(c2, r2, atol=1e-4 * 384 / 2.2)
        and np.allclose(c3, r3, atol=1e-4)
    )
