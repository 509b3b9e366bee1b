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
sensor_msgs/Image and CompressedImage -> RGB numpy arrays, without cv_bridge.

Works on any object with the message fields (height, width, encoding, is_bigendian, step, data), so
it is tested without a ROS graph. Zero-copy where the layout allows: rgb8 data with any `step`
padding is returned as a strided view of the message buffer.
"""

from __future__ import annotations

import io

import cv2
import numpy as np


class ImageConversionError(ValueError):
    """The image message cannot be turned into an RGB image; the message says why."""


# encoding -> (channels, dtype)
_LAYOUTS = {
    'rgb8': (3, np.uint8),
    'bgr8': (3, np.uint8),
    'rgba8': (4, np.uint8),
    'bgra8': (4, np.uint8),
    'mono8': (1, np.uint8),
    '8UC1': (1, np.uint8),
    '8UC3': (3, np.uint8),
    '8UC4': (4, np.uint8),
    'mono16': (1, np.uint16),
    '16UC1': (1, np.uint16),
    'bayer_rggb8': (1, np.uint8),
    'bayer_bggr8': (1, np.uint8),
    'bayer_gbrg8': (1, np.uint8),
    'bayer_grbg8': (1, np.uint8),
    'yuv422': (2, np.uint8),
    'uyvy': (2, np.uint8),
    'yuv422_yuy2': (2, np.uint8),
    'yuyv': (2, np.uint8),
}
# OpenCV names Bayer patterns by the second row's first two pixels; ROS by the first row's.
_BAYER = {
    'bayer_rggb8': cv2.COLOR_BayerBG2RGB,
    'bayer_bggr8': cv2.COLOR_BayerRG2RGB,
    'bayer_gbrg8': cv2.COLOR_BayerGR2RGB,
    'bayer_grbg8': cv2.COLOR_BayerGB2RGB,
}
SUPPORTED_ENCODINGS = tuple(_LAYOUTS)
# with max_image_side 0 (never downscale), compressed images up to 2x this side
MAX_DECODE_SIDE = 8192
DEFAULT_MAX_DECODE_PIXELS = 4 * 1920 * 1920  # max_decode_pixels(1920), the node's default


def image_to_rgb(msg) -> np.ndarray:
    """Return the image as (H, W, 3) uint8 RGB. Raises ImageConversionError with the reason."""
    encoding = msg.encoding
    if encoding not in _LAYOUTS:
        raise ImageConversionError(
            f"unsupported image encoding '{_short(encoding)}' (supported:"
            f" {', '.join(SUPPORTED_ENCODINGS)})"
        )
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    if height <= 0 or width <= 0:
        raise ImageConversionError(f'empty image ({width}x{height})')
    channels, dtype = _LAYOUTS[encoding]
    itemsize = np.dtype(dtype).itemsize
    row_bytes = width * channels * itemsize
    if step < row_bytes:
        raise ImageConversionError(
            f'step {step} is smaller than width*channels*bytes = {row_bytes} ({encoding})'
        )
    buffer = np.frombuffer(msg.data, dtype=np.uint8)
    if buffer.size < step * (height - 1) + row_bytes:
        raise ImageConversionError(
            f'truncated image data: {buffer.size} bytes for {height} rows of step {step}'
            f' ({encoding})'
        )
    rows = (
        buffer[: step * height].reshape(height, step)
        if buffer.size >= step * height
        else np.lib.stride_tricks.as_strided(buffer, (height, step), (step, 1))
    )
    pixels = rows[:, :row_bytes]  # (H, row_bytes) uint8 view, padding dropped
    if itemsize == 2:
        big = bool(msg.is_bigendian)
        pixels = np.ascontiguousarray(pixels).view('>u2' if big else '<u2').astype(np.uint16)
    image = pixels.reshape(height, width, channels)  # (H, W, C)
    return _to_rgb(image, encoding)


def _to_rgb(image: np.ndarray, encoding: str) -> np.ndarray:
    if encoding in ('rgb8', '8UC3'):
        return image  # zero-copy view (8UC3 is taken as RGB)
    if encoding == 'bgr8':
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if encoding in ('rgba8', '8UC4'):
        return cv2.cvtColor(image, cv2.COLOR_RGBA2RGB)
    if encoding == 'bgra8':
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    if encoding in ('mono8', '8UC1'):
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, 0]), cv2.COLOR_GRAY2RGB)
    if encoding in ('mono16', '16UC1'):
        return cv2.cvtColor(_mono16_to_8(image[:, :, 0]), cv2.COLOR_GRAY2RGB)
    if encoding in _BAYER:
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, 0]), _BAYER[encoding])
    if encoding in ('yuv422', 'uyvy'):
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_YUV2RGB_UYVY)
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_YUV2RGB_YUYV)  # yuv422_yuy2, yuyv


def _mono16_to_8(image: np.ndarray) -> np.ndarray:
    """
    16-bit intensity -> 8 bit.

    Stretched to the image's 99.5th percentile (works for 10/12/16-bit data)
    """
    top = float(np.percentile(image[::4, ::4], 99.5))
    if top <= 0:
        return np.zeros(image.shape, np.uint8)
    return np.clip(image.astype(np.float32) * (255.0 / top), 0, 255).astype(np.uint8)


def compressed_size(data: bytes) -> tuple[str, int, int]:
    """
    (format, width, height) from a JPEG/PNG header.

    Without decoding pixels (Pillow reads the header)
    """
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(io.BytesIO(data)) as header:
            return str(header.format), int(header.size[0]), int(header.size[1])
    except PILImage.DecompressionBombError as err:  # Pillow's own limit (~179 Mpx), far above ours
        raise ImageConversionError(
            f'compressed image rejected before decoding: {_short(str(err), 120)}'
        ) from err
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise ImageConversionError(
            f'corrupt compressed image: header not readable ({len(data)} bytes): '
            f'{_short(str(err))}'
        ) from err


def compressed_to_rgb(msg, max_pixels: int = DEFAULT_MAX_DECODE_PIXELS) -> np.ndarray:
    """sensor_msgs/CompressedImage (JPEG/PNG) -> (H, W, 3) uint8 RGB (see `decode_compressed`)."""
    return decode_compressed(msg, max_pixels)[0]


def decode_compressed(msg, max_pixels: int = DEFAULT_MAX_DECODE_PIXELS) -> tuple[np.ndarray, int]:
    """
    `CompressedImage` -> ((H, W, 3) uint8 RGB, reduction).

    Size-checked from its header before decoding.

    Images of more than max_pixels are decoded reduced by 2, 4 or 8 (the returned reduction; pixel
    coordinates x reduction = source pixels) when JPEG (libjpeg scales while decoding, so the full
    size is never allocated) and rejected otherwise; beyond 8x, always rejected.
    """
    data = bytes(msg.data) if not isinstance(msg.data, (bytes, bytearray)) else msg.data
    if len(data) == 0:
        raise ImageConversionError('empty compressed image')
    kind, width, height = compressed_size(data)
    if kind not in ('JPEG', 'PNG'):
        raise ImageConversionError(f'compressed image is {_short(kind)}, not JPEG or PNG')
    reduce = next(
        (f for f in (1, 2, 4, 8) if -(-width // f) * -(-height // f) <= max_pixels), None
    )
    if reduce is None or (reduce > 1 and kind != 'JPEG'):
        raise ImageConversionError(
            f'compressed {kind} {width}x{height} is larger than the node decodes '
            f'({max_pixels} pixels; only JPEG is decoded reduced, up to 1/8): '
            'rejected before decoding'
        )
    flag = {
        1: cv2.IMREAD_COLOR,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }[reduce]
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if image is None:
        raise ImageConversionError(
            f"corrupt compressed image (format '{_short(msg.format)}', {len(data)} bytes)"
        )
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), reduce


def max_decode_pixels(max_image_side: int) -> int:
    """
    Pixel budget of a decoded compressed image.

    4x the area the node processes (max_image_side^2).
    """
    side = max_image_side if max_image_side > 0 else MAX_DECODE_SIDE
    return 4 * side * side


def _short(text: str, limit: int = 64) -> str:
    """`text` cut to `limit` characters (hostile strings are echoed into logs and diagnostics)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f'...({len(text)} chars)'


def rgb_to_image_fields(image: np.ndarray, encoding: str = 'rgb8') -> dict:
    """
    Build the fields of a sensor_msgs/Image holding `image`, (H, W, 3) RGB.

    Encoded as rgb8 or bgr8 (for players and tests).
    """
    if encoding == 'bgr8':
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif encoding != 'rgb8':
        raise ImageConversionError(f'rgb_to_image_fields supports rgb8/bgr8, not {encoding}')
    image = np.ascontiguousarray(image)
    return {
        'height': image.shape[0],
        'width': image.shape[1],
        'encoding': encoding,
        'is_bigendian': 0,
        'step': image.shape[1] * 3,
        'data': image.tobytes(),
    }
