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
pose3d_node on compressed images in a real rclpy graph.

The subscription follows the remapped image topic as image_transport does (`<image>/compressed`),
decompression bombs are refused from their header before any pixel is allocated, and big JPEGs are
decoded reduced with 2D output still in source pixels.
"""

from __future__ import annotations

from pathlib import Path
import struct
import zlib

import cv2
import numpy as np
from ros_helpers.graph import Harness, HERE, log_tail, start_node, stop

PHOTO = HERE.parent / 'fixtures' / 'images' / 'messi5.jpg'


def png_of_zeros(side: int) -> bytes:
    """
    Return a valid 8-bit grey PNG of side x side zeros.

    Written without ever holding the pixels (~1 MB at 16384)
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack('>I', len(data))
            + kind
            + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    compressor = zlib.compressobj(1)
    rows = (b'\x00' + bytes(side)) * 256  # filter byte + row, 256 rows at a time
    body = b''.join(compressor.compress(rows) for _ in range(side // 256)) + compressor.flush()
    header = struct.pack('>IIBBBBB', side, side, 8, 0, 0, 0, 0)
    return (
        b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', body) + chunk(b'IEND', b'')
    )


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024.0
    raise AssertionError('no VmHWM')


def test_compressed_follows_remap_and_refuses_bombs(tmp_path, ros_context):
    log = open(tmp_path / 'node.log', 'w')
    node = start_node(
        'use_compressed:=true',
        'track_min_hits:=1',
        'max_image_side:=1000',
        remaps=['image:=/cam/image_raw', 'camera_info:=/cam/camera_info'],
        log=log,
    )
    try:
        h = Harness(ros_context, image_topic='/cam/image_raw/compressed', compressed=True)
        h.pub_info = h.node.create_publisher(h.CameraInfo, '/cam/camera_info', 10)
        h.wait_for_node(node)
        assert h.node.count_subscribers('/image/compressed') == 0
        assert h.node.count_subscribers('/cam/image_raw/compressed') == 1
        bgr = cv2.imread(str(PHOTO))
        height, width = bgr.shape[:2]
        h.prime(h.camera_info(width, height, (99, 0)))
        tick = [0]

        def send(data: bytes, fmt: str, size=(width, height)):
            tick[0] += 1
            stamp = (100 + tick[0] // 10, (tick[0] % 10) * 100_000_000)
            msg = h.CompressedImage(format=fmt, data=data)
            msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
            msg.header.frame_id = 'test_camera_optical'
            h.send(msg, h.camera_info(*size, stamp))
            return stamp

        jpeg = cv2.imencode('.jpg', bgr)[1].tobytes()
        assert h.output_for(send(jpeg, 'jpeg')) is not None, log_tail(node)
        peak_before = _peak_rss_mb(node.pid)

        # 8192^2 PNG: above the node's budget (4 x max_image_side^2 = 4 Mpx), below Pillow's own
        # bomb limit.
        # Decoding it would allocate 8192^2 x 3 B = 201 MB for BGR and as much again for RGB.
        for side, needle in (
            (8192, 'larger than the node decodes'),
            (16384, 'rejected before decoding'),
        ):
            h.diagnostics.clear()
            stamp = send(png_of_zeros(side), 'png', (side, side))
            assert h.diagnosed(needle, b'\x02'), h.diagnostic_messages()
            assert h.output_for(stamp, timeout_s=0.2) is None
        assert _peak_rss_mb(node.pid) - peak_before < 100.0, 'a bomb was decoded'
        assert node.poll() is None

        # A 5x JPEG (2740 x 1710 = 4.7 Mpx > 4 Mpx): decoded at 1/2 while decompressing.
        big = cv2.resize(bgr, (width * 5, height * 5))
        stamp = send(cv2.imencode('.jpg', big)[1].tobytes(), 'jpeg', (width * 5, height * 5))
        out = h.output_for(stamp)
        assert out is not None and out.skeletons, log_tail(node)
        # another image size restarts the tracks: the old ones end (LOST) in old pixels
        live = [k for k in out.skeletons if k.tracking_state != k.STATE_LOST]
        kp = np.array([[p.x, p.y] for p in live[0].keypoints_2d])
        assert np.nanmax(kp[:, 0]) > 2.5 * width, '2D keypoints not in source-image pixels'
        assert 'decoded at 1/2' in log_tail(node)
    finally:
        stop(node)
