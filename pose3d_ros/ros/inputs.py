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
The node's inputs besides pixels: the camera from CameraInfo, and the order of image stamps.

Helpers that take the node's `report(key, level, message)` (and `clear(key)`) rather than being
part of the node class. `CameraInput` keeps the last good CameraInfo (a refused one never replaces
it) and fits it to each image; `StampGate` drops images older than the previous one and asks for a
tracker reset on a large jump back.
"""

from __future__ import annotations

from pose3d_ros.core.camera import Camera, InvalidCameraError
from pose3d_ros.ros.camera_info import camera_model_from_info, CameraModel
from pose3d_ros.ros.diagnostics import ERROR, WARN


class CameraInput:
    """
    `CameraInfo` -> CameraModel, parsed once per distinct message content.

    The last good one is kept
    """

    def __init__(self, topic: str, rectified: bool, report, clear):
        self.topic, self.rectified, self._report, self._clear = topic, rectified, report, clear
        self.model: CameraModel | None = None  # last good CameraInfo
        self._key = None  # content of the last good CameraInfo (a driver repeats the same one)

    def on_camera_info(self, msg) -> None:
        key = (
            tuple(msg.k),
            tuple(msg.d),
            msg.distortion_model,
            msg.width,
            msg.height,
            tuple(msg.p),
            tuple(msg.r),
            msg.binning_x,
            msg.binning_y,
            msg.roi.x_offset,
            msg.roi.y_offset,
            msg.roi.width,
            msg.roi.height,
            msg.header.frame_id,
        )
        if key == self._key:
            return
        try:
            model = camera_model_from_info(msg, rectified=self.rectified)
        except InvalidCameraError as err:
            kept = (
                'keeping the last good one'
                if self.model is not None
                else 'no good one yet, frames wait'
            )
            self._report(
                'camera_info_invalid', ERROR, f'invalid CameraInfo on {self.topic}: {err}; {kept}'
            )
            return
        self.model, self._key = model, key
        self._clear('camera_info_invalid')
        self._clear('camera_info')

    def camera_for(
        self, width: int, height: int, allow_default_fov: bool, fov_deg: float
    ) -> Camera | None:
        """
        Return the last good camera fitted to a width x height image, the default-FoV one.

        Or None (wait)
        """
        if self.model is None:
            if allow_default_fov:
                self._report(
                    'camera_info',
                    WARN,
                    f'no valid CameraInfo: assuming a {fov_deg}° field of view '
                    '(absolute depth is approximate)',
                )
                return Camera.from_fov(width, height, fov_deg)
            self._report(
                'camera_info',
                WARN,
                f'waiting for a valid CameraInfo on {self.topic}; frames are skipped',
            )
            return None
        camera = self.model.camera
        try:
            fitted = camera.fit_to_image(width, height)
        except InvalidCameraError:
            self._report(
                'image_size',
                ERROR,
                f'image {width}x{height} does not match CameraInfo '
                f'{camera.width}x{camera.height} (different aspect ratio): '
                'frame skipped',
            )
            return None
        if fitted is not camera:
            self._report(
                'image_size',
                WARN,
                f'image {width}x{height} differs from CameraInfo '
                f'{camera.width}x{camera.height}: intrinsics scaled by '
                f'{width / camera.width:.3f}',
            )
        return fitted


class StampGate:
    """
    Image stamps in order: older ones dropped.

    A jump back by more than reset_s restarts tracking
    """

    def __init__(self, report):
        self._report = report
        self.last: float | None = None  # stamp of the last accepted image, s
        self.frame_period_s = 1.0 / 30.0  # smoothed period of accepted images, s

    def check(self, stamp: float, reset_s: float) -> str:
        """
        Judge an image's stamp against the last accepted one.

        Returns 'ok', 'drop' (out of order) or 'reset' (large jump back: restart the tracks, then
        process).
        """
        last = self.last
        verdict = 'ok'
        if last is not None and stamp < last:
            if last - stamp <= reset_s:
                self._report(
                    'stamp_order',
                    WARN,
                    f'image {last - stamp:.3f} s older than the previous one '
                    '(out of order): dropped',
                )
                return 'drop'
            self._report(
                'stamp',
                WARN,
                f'image stamp went backwards by {last - stamp:.3f} s (bag loop or '
                'clock reset): tracks restarted',
            )
            verdict = 'reset'
        elif last is not None and stamp > last:
            self.frame_period_s = 0.8 * self.frame_period_s + 0.2 * min(stamp - last, 1.0)
        self.last = stamp
        return verdict
