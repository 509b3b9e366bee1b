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
Frame sources for tools (player, offline runner): video files, image folders, single images..

ROS-free
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg')


class MediaError(ValueError):
    """The input cannot be read; the message names it and says why."""


def read_frames(
    path: str | Path, max_frames: int | None = None, default_fps: float = 10.0
) -> Iterator[tuple[int, float, np.ndarray]]:
    """
    Yield (index, time in seconds from the start, (H, W, 3) uint8 RGB) from a video.

    Folder or image
    """
    path = Path(path)
    if not path.exists():
        raise MediaError(f'input not found: {path}')
    count = 0
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise MediaError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in folder {path}")
        for i, file in enumerate(files[:max_frames]):
            yield i, i / default_fps, _read_image(file)
        return
    if path.suffix.lower() in IMAGE_SUFFIXES:
        yield 0, 0.0, _read_image(path)
        return
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise MediaError(f'cannot open video {path} (unknown format or corrupt file)')
    fps = capture.get(cv2.CAP_PROP_FPS) or default_fps
    fps = fps if 1.0 <= fps <= 1000.0 else default_fps
    try:
        while max_frames is None or count < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            yield count, count / fps, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise MediaError(f'no frame could be decoded from {path}')


def video_fps(path: str | Path, default_fps: float = 10.0) -> float:
    """Frame rate of a video file (default_fps for folders, images or unknown rates)."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return default_fps
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.0
    capture.release()
    return fps if 1.0 <= fps <= 1000.0 else default_fps


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MediaError(f'cannot decode image {path}')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
