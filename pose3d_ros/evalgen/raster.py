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
Camera rig, projection with lens distortion.

And a CPU painter's-algorithm mesh rasteriser (OpenCV fills).

Rasteriser: front-facing triangles of all people are depth-sorted (far to near, by centroid depth)
and filled one by one with ``cv2.fillConvexPoly`` at ``ssaa`` times the output resolution
(sub-pixel vertices), with Lambert shading from one directional light; an id buffer is drawn in the
same order, so mutual occlusion and per-person visible masks come from the same pass.  Vertices are
projected through the full distortion model (triangles stay straight between projected vertices;
they are a few pixels long).  No GL needed.

Background: a ground plane (z = 0, tiled texture photo) and a vertical backdrop wall (a photo)
ray-cast through the same camera, so the horizon, perspective and distortion agree with the people.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np


@dataclasses.dataclass
class CameraRig:
    """
    Pinhole + OpenCV plumb-bob distortion camera placed in the world (z up, ground z = 0).

    Attributes
    ----------
        K: (3, 3) intrinsics, pixels.
        dist: (5,) ``k1, k2, p1, p2, k3`` (OpenCV order); zeros for none.
        width, height: image size, pixels.
        R: (3, 3) world -> camera rotation (camera optical frame: x right, y down, z forward).
        C: (3,) camera centre in the world, metres.

    """

    K: np.ndarray
    dist: np.ndarray
    width: int
    height: int
    R: np.ndarray
    C: np.ndarray

    @staticmethod
    def create(
        width: int,
        height: int,
        hfov_deg: float,
        cam_height: float,
        tilt_deg: float,
        dist: np.ndarray | None = None,
    ) -> 'CameraRig':
        """Camera at (0, 0, cam_height) looking along world +y, pitched down by ``tilt_deg``."""
        f = 0.5 * width / np.tan(np.radians(hfov_deg) / 2)
        K = np.array([[f, 0, (width - 1) / 2], [0, f, (height - 1) / 2], [0, 0, 1.0]])
        t = np.radians(tilt_deg)
        R = np.array([[1.0, 0, 0], [0, -np.sin(t), -np.cos(t)], [0, np.cos(t), -np.sin(t)]])
        return CameraRig(
            K=K,
            dist=np.zeros(5) if dist is None else np.asarray(dist, float),
            width=width,
            height=height,
            R=R,
            C=np.array([0.0, 0.0, cam_height]),
        )

    def to_camera(self, p_world: np.ndarray) -> np.ndarray:
        """(..., 3) world metres -> (..., 3) camera-frame metres."""
        return (p_world - self.C) @ self.R.T

    def project(self, p_cam: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points (z > 0) -> (..., 2) distorted pixel coordinates."""
        shape = p_cam.shape[:-1]
        z = np.maximum(p_cam[..., 2:3], 1e-6)
        xy = (p_cam[..., :2] / z).reshape(-1, 2)
        k1, k2, p1, p2, k3 = self.dist
        x, y = xy[:, 0], xy[:, 1]
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        u = self.K[0, 0] * xd + self.K[0, 2]
        v = self.K[1, 1] * yd + self.K[1, 2]
        return np.stack([u, v], -1).reshape(*shape, 2)

    def pixel_rays(self) -> np.ndarray:
        """(H, W, 3) unit rays in the world frame through every (distorted) pixel centre."""
        u, v = np.meshgrid(
            np.arange(self.width, dtype=np.float64), np.arange(self.height, dtype=np.float64)
        )
        pts = np.stack([u, v], -1).reshape(-1, 1, 2)
        norm = cv2.undistortPoints(pts, self.K, self.dist).reshape(self.height, self.width, 2)
        d_cam = np.concatenate([norm, np.ones((self.height, self.width, 1))], -1)
        d = d_cam @ self.R  # camera -> world
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def max_undistorted_radius(self) -> float:
        """
        Normalised radius of the image corner before distortion.

        Points far beyond it are culled.
        """
        corner = np.array([[[0.0, 0.0]]])
        return float(np.linalg.norm(cv2.undistortPoints(corner, self.K, self.dist)))


@dataclasses.dataclass
class MeshInstance:
    """
    One person's posed mesh for rendering.

    Vertices (V, 3) camera frame metres, faces (T, 3), face colours (T, 3) RGB in [0, 1], id >= 0.
    """

    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    pid: int


def render_people(
    cam: CameraRig,
    meshes: list[MeshInstance],
    ssaa: int = 2,
    light_dir: np.ndarray = np.array([0.3, 0.8, 0.5]),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    Rasterises people over an empty canvas.

    Returns
    -------
        color (H, W, 3) float32 RGB [0, 1] (premultiplied by coverage), coverage (H, W) float32 in
        [0, 1], ids (H, W) int16 person id of the nearest surface per output pixel
        (nearest-sample), -1 for none.

    """
    W, H = cam.width * ssaa, cam.height * ssaa
    light = light_dir / np.linalg.norm(light_dir)
    rmax = 1.3 * cam.max_undistorted_radius()
    tri_px, tri_col, tri_depth, tri_id = [], [], [], []
    for m in meshes:
        v = m.vertices[m.faces]  # (T, 3, 3) camera frame
        normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        centre = v.mean(1)
        front = (np.einsum('ij,ij->i', normal, centre) < 0) & (v[:, :, 2].min(1) > 0.05)
        front &= np.linalg.norm(centre[:, :2] / np.maximum(centre[:, 2:], 1e-6), axis=1) < rmax
        if not front.any():
            continue
        # Smooth shading: area-weighted vertex normals, face shade = mean of its vertices' Lambert
        # terms.
        vn = np.zeros_like(m.vertices)
        for k in range(3):
            np.add.at(vn, m.faces[:, k], normal)
        vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)
        v_shade = 0.35 + 0.65 * np.clip(vn @ (-light), 0, 1)  # (V,)
        shade = v_shade[m.faces[front]].mean(1)
        px = cam.project(v[front]) * ssaa + (ssaa - 1) / 2  # (T', 3, 2) supersampled pixels
        tri_px.append(px)
        tri_col.append(m.colors[front] * shade[:, None])
        tri_depth.append(centre[front, 2])
        tri_id.append(np.full(int(front.sum()), m.pid))
    color = np.zeros((H, W, 3), np.float32)
    ids = np.full((H, W), -1, np.int16)
    if tri_px:
        px = np.concatenate(tri_px)
        col = np.concatenate(tri_col).astype(np.float32)
        pid = np.concatenate(tri_id)
        order = np.argsort(-np.concatenate(tri_depth), kind='stable')
        inside = (
            (px[..., 0].max(1) >= 0)
            & (px[..., 0].min(1) < W)
            & (px[..., 1].max(1) >= 0)
            & (px[..., 1].min(1) < H)
        )
        fixed = np.round(px * 16).astype(np.int32)  # 4 fractional bits
        for i in order[inside[order]]:
            cv2.fillConvexPoly(color, fixed[i], col[i].tolist(), lineType=cv2.LINE_8, shift=4)
            cv2.fillConvexPoly(ids, fixed[i], int(pid[i]), lineType=cv2.LINE_8, shift=4)
    covered = (ids >= 0).astype(np.float32)
    out_color = cv2.resize(color, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
    coverage = cv2.resize(covered, (cam.width, cam.height), interpolation=cv2.INTER_AREA)
    out_ids = ids[ssaa // 2:: ssaa, ssaa // 2:: ssaa][: cam.height, : cam.width]
    return out_color, coverage, out_ids


def silhouette_area(cam: CameraRig, mesh: MeshInstance) -> int:
    """Pixels covered by one person alone inside the image (output resolution)."""
    v = mesh.vertices[mesh.faces]
    normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    front = (np.einsum('ij,ij->i', normal, v.mean(1)) < 0) & (v[:, :, 2].min(1) > 0.05)
    mask = np.zeros((cam.height, cam.width), np.uint8)
    fixed = np.round(cam.project(v[front]) * 16).astype(np.int32)
    for tri in fixed:
        cv2.fillConvexPoly(mask, tri, 1, lineType=cv2.LINE_8, shift=4)
    return int(mask.sum())


def make_background(
    cam: CameraRig,
    ground: np.ndarray,
    wall: np.ndarray,
    wall_distance: float,
    ground_tile_m: float = 2.0,
    wall_width_m: float = 30.0,
) -> np.ndarray:
    """
    Ray-casts a textured ground plane and backdrop wall (plane y = wall_distance) through ``cam``.

    Args:
    ----
        ground: (h, w, 3) uint8 RGB texture, tiled every ``ground_tile_m`` metres. wall: (h, w, 3)
        uint8 RGB photo spanning ``wall_width_m`` metres wide, bottom edge on the ground.

    Returns
    -------
        (H, W, 3) uint8 RGB background.

    """
    d = cam.pixel_rays()
    o = cam.C
    with np.errstate(divide='ignore', invalid='ignore'):
        t_ground = np.where(d[..., 2] < -1e-6, -o[2] / d[..., 2], np.inf)
        t_wall = np.where(d[..., 1] > 1e-6, (wall_distance - o[1]) / d[..., 1], np.inf)
    hit = o + d * np.minimum(t_ground, t_wall)[..., None]
    gh, gw = ground.shape[:2]
    gx = (np.mod(hit[..., 0] / ground_tile_m, 1.0) * gw).astype(np.float32)
    gy = (np.mod(hit[..., 1] / ground_tile_m, 1.0) * gh).astype(np.float32)
    g_img = cv2.remap(ground, gx, gy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    wh, ww = wall.shape[:2]
    m_per_px = wall_width_m / ww
    wx = ((hit[..., 0] + wall_width_m / 2) / m_per_px).astype(np.float32)
    wy = (wh - 1 - np.nan_to_num(hit[..., 2], posinf=1e6) / m_per_px).astype(np.float32)
    w_img = cv2.remap(wall, wx, wy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    use_ground = (t_ground <= t_wall)[..., None]
    # Distance haze towards the horizon keeps far ground texture from aliasing.
    dist = np.minimum(np.minimum(t_ground, t_wall), 200.0)
    haze = np.clip((dist - 15.0) / 60.0, 0, 0.6)[..., None]
    img = np.where(use_ground, g_img, w_img).astype(np.float32)
    img = img * (1 - haze) + 200.0 * haze
    return np.clip(img, 0, 255).astype(np.uint8)
