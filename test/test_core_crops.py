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

"""Perspective crop geometry and warps (OpenCV and torch)."""

from core_synth import boxes_of, random_people
import cv2
import numpy as np
from pose3d_ros.core.camera import Camera
from pose3d_ros.core.crops import (
    camera_to_crop,
    crop_geometry,
    crop_points_to_image,
    crop_to_camera,
    project_to_crop,
    sampling_grid,
    warp_crops,
    warp_crops_torch,
)
import pytest
import torch

K = [600.0, 0, 330, 0, 610, 235, 0, 0, 1]
CAMERAS = {
    'none': Camera.from_camera_info(K, [], 'none', 640, 480),
    'plumb_bob': Camera.from_camera_info(
        K, [-0.3, 0.1, 0.001, -0.002, -0.02], 'plumb_bob', 640, 480
    ),
    'equidistant': Camera.from_camera_info(
        K, [-0.02, 0.01, -0.003, 0.001], 'equidistant', 640, 480
    ),
}


@pytest.mark.parametrize('name', list(CAMERAS))
def test_geometry_centres_and_fits_the_box(name):
    cam = CAMERAS[name]
    boxes = np.array([[100, 50, 100, 300], [400, 100, 200, 150], [0, 0, 40, 40]], np.float64)
    geom = crop_geometry(cam, boxes, res=256)
    assert geom.K.shape == (3, 3, 3) and geom.R.shape == (3, 3, 3) and geom.res == 256
    assert np.allclose(geom.R @ np.transpose(geom.R, (0, 2, 1)), np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(geom.R), 1.0)
    centre = boxes[:, :2] + boxes[:, 2:] / 2
    # the box centre lands on the crop's principal point
    c = project_to_crop(cam.backproject(centre)[:, None], geom)[:, 0]
    assert np.abs(c - 128).max() < 1e-9
    # the larger reprojected side of the box spans the crop
    x, y, w, h = boxes.T
    sides = np.stack(
        [
            np.stack([x, y + h / 2], -1),
            np.stack([x + w, y + h / 2], -1),
            np.stack([x + w / 2, y], -1),
            np.stack([x + w / 2, y + h], -1),
        ],
        1,
    )
    s = project_to_crop(cam.backproject(sides), geom)  # (3, 4, 2)
    span = np.maximum(
        np.linalg.norm(s[:, 1] - s[:, 0], axis=-1), np.linalg.norm(s[:, 3] - s[:, 2], axis=-1)
    )
    assert np.allclose(span, 256)
    # image-up stays crop-up: the virtual y axis has no component along the camera's x axis
    assert np.all(geom.R[:, 1, 1] > 0.8)
    # crop pixels map back to the image exactly
    assert np.abs(crop_points_to_image(s, cam, geom) - sides).max() < 1e-6


def test_point_mappings_roundtrip_and_batch():
    cam = CAMERAS['plumb_bob']
    people = random_people(np.random.default_rng(0), cam, 6)  # (6, 24, 3)
    boxes = boxes_of(cam.project(people))
    geom = crop_geometry(cam, boxes, res=384, box_scale=1.2)
    assert np.allclose(crop_to_camera(camera_to_crop(people, geom), geom), people)
    one = [crop_geometry(cam, b[None], res=384, box_scale=1.2) for b in boxes]
    assert np.allclose(np.concatenate([g.K for g in one]), geom.K)
    assert np.allclose(np.concatenate([g.R for g in one]), geom.R)
    # 2D of the joints in the crop -> image equals direct projection
    p2 = project_to_crop(people, geom)
    assert np.abs(crop_points_to_image(p2, cam, geom) - cam.project(people)).max() < 1e-6


def _dots_image(cam, pts2d, sigma=2.5):
    """Gaussian blobs centred exactly (sub-pixel) on pts2d."""
    yy, xx = np.mgrid[0: cam.height, 0: cam.width].astype(np.float64)
    g = sum(np.exp(-((xx - u) ** 2 + (yy - v) ** 2) / (2 * sigma**2)) for u, v in pts2d)
    return np.repeat((np.clip(g, 0, 1) * 255).round().astype(np.uint8)[..., None], 3, axis=2)


@pytest.mark.parametrize('name', list(CAMERAS))
def test_warp_puts_image_content_where_the_geometry_says(name):
    cam = CAMERAS[name]
    grid = np.array(
        [
            [120.3, 100.7],
            [320.6, 110.2],
            [520.1, 90.9],
            [130.8, 380.4],
            [333.3, 370.5],
            [500.5, 390.1],
        ]
    )  # well separated (sub-pixel) image points
    pts3d = cam.backproject(grid) * 3.5
    img = _dots_image(cam, cam.project(pts3d))
    # one crop per dot, a 60 px box around it (shrinks nothing) and a 400 px box (shrinks ~3x)
    uv = cam.project(pts3d)
    for size in (60.0, 400.0):
        boxes = np.concatenate([uv - size / 2, np.full((6, 2), size)], axis=1)
        geom = crop_geometry(cam, boxes, res=128)
        crops = warp_crops(img, cam, geom)  # (6, 128, 128, 3)
        expected = project_to_crop(pts3d[:, None], geom)[:, 0]  # (6, 2) crop pixels
        for crop, e in zip(crops, expected):
            x0, y0 = np.round(e).astype(int) - 10  # window around the expected blob
            g = crop[y0: y0 + 21, x0: x0 + 21, 0].astype(np.float64)
            m = g > 0.3 * g.max()
            yy, xx = np.nonzero(m)
            centroid = np.average(np.stack([xx + x0, yy + y0], -1), axis=0, weights=g[m])
            assert np.linalg.norm(centroid - e) < 0.25, (size, centroid, e)


@pytest.mark.parametrize('name', ['none', 'plumb_bob'])
def test_torch_warp_matches_opencv(name):
    cam = CAMERAS[name]
    rng = np.random.default_rng(4)
    img = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), np.uint8), (0, 0), 1.5)
    img = cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX)
    # small, medium and large boxes: no pyramid, level 1 and level 2 (antialias path)
    boxes = np.array([[300, 200, 60, 90], [50, 40, 300, 400], [0, 0, 639, 479]], np.float64)
    geom = crop_geometry(cam, boxes, res=256)
    ref = warp_crops(img, cam, geom).astype(np.float64)
    out = warp_crops_torch(torch.from_numpy(img), cam, geom).numpy().astype(np.float64)
    diff = np.abs(out - ref)
    assert diff.mean() < 0.5 and np.percentile(diff, 99.9) <= 2, (diff.mean(), diff.max())
    # a precomputed grid gives the same result
    grid = sampling_grid(cam, geom)
    out2 = warp_crops_torch(torch.from_numpy(img), cam, geom, grid=grid).numpy()
    assert np.abs(out2.astype(np.float64) - out).max() <= 1


def test_antialias_reduces_aliasing():
    cam = CAMERAS['none']
    yy, xx = np.mgrid[0:480, 0:640]
    img = np.repeat((((xx // 1) % 2) * 255).astype(np.uint8)[..., None], 3, axis=2)  # 1 px stripes
    geom = crop_geometry(cam, np.array([[0, 0, 639, 479]], np.float64), res=128)
    aa = warp_crops(img, cam, geom, antialias=True)[0, 20:-20, 20:-20, 0].astype(float)
    raw = warp_crops(img, cam, geom, antialias=False)[0, 20:-20, 20:-20, 0].astype(float)
    assert aa.std() < 0.3 * raw.std()  # the stripes average to flat grey instead of moire
    assert abs(aa.mean() - 127.5) < 10


def test_empty_batch():
    cam = CAMERAS['none']
    geom = crop_geometry(cam, np.zeros((0, 4)))
    assert len(geom) == 0
    assert warp_crops(np.zeros((480, 640, 3), np.uint8), cam, geom).shape == (0, 256, 256, 3)


@pytest.mark.parametrize('name', list(CAMERAS))
def test_sampling_grid_matches_the_camera_model(name):
    cam = CAMERAS[name]
    boxes = np.array(
        [[100, 50, 100, 300], [400, 100, 200, 150], [-250, -250, 400, 400]], np.float64
    )
    geom = crop_geometry(cam, boxes, res=64)
    grid = sampling_grid(cam, geom)  # (3, 64, 64, 2), OpenCV maps
    r = np.arange(64.0)
    pix = np.broadcast_to(np.stack(np.meshgrid(r, r), -1).reshape(1, -1, 2), (3, 64 * 64, 2))
    ref = crop_points_to_image(pix, cam, geom).reshape(3, 64, 64, 2)  # numpy model, float64
    valid = grid[..., 0] > -1e4
    assert valid[:2].all()
    assert np.abs(grid - ref)[valid].max() < 2e-3
    if name != 'none':
        # the crop reaching far beyond the image corner is masked where the lens model folds over
        assert 0 < (~valid[2]).sum() < valid[2].size
        img = np.full((480, 640, 3), 200, np.uint8)
        crop = warp_crops(img, cam, geom)[2]
        assert np.all(crop[~valid[2]] == 0)


def test_up_vector_rolls_the_crop():
    cam = CAMERAS['none']
    box = np.array([[280.0, 180.0, 100.0, 100.0]])  # around the principal point
    # camera rolled 90 degrees: world-up is the camera's +x axis; crop-down must be camera -x
    geom = crop_geometry(cam, box, up=(1.0, 0.0, 0.0))
    assert np.allclose(geom.R[0, 1], [-1.0, 0.0, 0.0], atol=0.02)
    assert np.allclose(geom.R[0, 2], cam.backproject(box[:, :2] + 50)[0], atol=1e-9)
