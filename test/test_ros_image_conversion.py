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

"""Image message conversion: every supported encoding, step padding, endianness, bad input."""

from types import SimpleNamespace

import cv2
import numpy as np
from pose3d_ros.ros.image_conversion import compressed_to_rgb, image_to_rgb, ImageConversionError
import pytest

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 5, 3), dtype=np.uint8)


def make_msg(array: np.ndarray, encoding: str, pad: int = 0, bigendian: bool = False):
    array = np.ascontiguousarray(array)
    if array.dtype == np.uint16:
        array = array.astype('>u2' if bigendian else '<u2')
    rows = array.reshape(array.shape[0], -1).view(np.uint8)
    rows = np.concatenate([rows, np.full((rows.shape[0], pad), 77, np.uint8)], axis=1)
    return SimpleNamespace(
        height=array.shape[0],
        width=array.shape[1],
        encoding=encoding,
        is_bigendian=int(bigendian),
        step=rows.shape[1],
        data=rows.tobytes(),
    )


@pytest.mark.parametrize('pad', [0, 3, 16])
def test_rgb8_with_step_padding_is_a_view(pad):
    msg = make_msg(RGB, 'rgb8', pad)
    out = image_to_rgb(msg)
    np.testing.assert_array_equal(out, RGB)
    assert not out.flags.owndata  # zero-copy view of the message buffer


@pytest.mark.parametrize(
    'encoding,convert',
    [('bgr8', cv2.COLOR_RGB2BGR), ('rgba8', cv2.COLOR_RGB2RGBA), ('bgra8', cv2.COLOR_RGB2BGRA)],
)
def test_colour_encodings(encoding, convert):
    np.testing.assert_array_equal(
        image_to_rgb(make_msg(cv2.cvtColor(RGB, convert), encoding, pad=2)), RGB
    )


def test_mono8_and_mono16_both_endians():
    gray = RGB[:, :, 0]
    np.testing.assert_array_equal(
        image_to_rgb(make_msg(gray, 'mono8', 1)), np.repeat(gray[:, :, None], 3, 2)
    )
    g16 = gray.astype(np.uint16) * 16  # 12-bit data
    little = image_to_rgb(make_msg(g16, 'mono16', 2, bigendian=False))
    big = image_to_rgb(make_msg(g16, '16UC1', 2, bigendian=True))
    np.testing.assert_array_equal(little, big)
    # Stretched to the 99.5th percentile: ordering preserved, brightest pixel near 255.
    assert little[..., 0].max() >= 250
    assert np.corrcoef(little[..., 0].ravel(), gray.ravel())[0, 1] > 0.99


@pytest.mark.parametrize('encoding', ['bayer_rggb8', 'bayer_bggr8', 'bayer_gbrg8', 'bayer_grbg8'])
def test_bayer_patterns_recover_a_flat_colour(encoding):
    colour = np.array([200, 120, 40], np.uint8)  # R, G, B
    h, w = 8, 8
    pattern = {
        'bayer_rggb8': 'RGGB',
        'bayer_bggr8': 'BGGR',
        'bayer_gbrg8': 'GBRG',
        'bayer_grbg8': 'GRBG',
    }[encoding]
    index = {'R': 0, 'G': 1, 'B': 2}
    mosaic = np.zeros((h, w), np.uint8)
    for dy in range(2):
        for dx in range(2):
            mosaic[dy::2, dx::2] = colour[index[pattern[2 * dy + dx]]]
    out = image_to_rgb(make_msg(mosaic, encoding))
    np.testing.assert_allclose(out[2:-2, 2:-2].reshape(-1, 3).mean(0), colour, atol=3)


@pytest.mark.parametrize(
    'mutate,message',
    [
        ({'encoding': '32FC1'}, "unsupported image encoding '32FC1'"),
        ({'width': 0}, 'empty image'),
        ({'step': 10}, 'step 10 is smaller'),
        ({'data': b'\x00' * 20}, 'truncated image data'),
    ],
)
def test_bad_images_rejected_with_reason(mutate, message):
    msg = make_msg(RGB, 'rgb8')
    for key, value in mutate.items():
        setattr(msg, key, value)
    with pytest.raises(ImageConversionError, match=message):
        image_to_rgb(msg)


def test_compressed_jpeg_png_and_corrupt():
    ok, png = cv2.imencode('.png', cv2.cvtColor(RGB, cv2.COLOR_RGB2BGR))
    np.testing.assert_array_equal(
        compressed_to_rgb(SimpleNamespace(format='png', data=png.tobytes())), RGB
    )
    # smooth: JPEG keeps it within a few levels
    big = cv2.resize(RGB, (64, 64), interpolation=cv2.INTER_CUBIC)
    ok, jpg = cv2.imencode(
        '.jpg', cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95]
    )
    assert (
        np.abs(
            compressed_to_rgb(SimpleNamespace(format='jpeg', data=jpg.tobytes())).astype(int) - big
        ).mean()
        < 6
    )
    with pytest.raises(ImageConversionError, match='corrupt compressed image'):
        compressed_to_rgb(SimpleNamespace(format='jpeg', data=jpg.tobytes()[:40]))
    with pytest.raises(ImageConversionError, match='empty'):
        compressed_to_rgb(SimpleNamespace(format='jpeg', data=b''))
