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
`pose3d-bench soak`: the real node fed at 30 Hz for N minutes.

RSS, output rate and latency over time.

    pose3d-bench soak [--minutes 30] [--window-s 60] [--rate 30]

One `pose3d_node` process (default parameters, embedded models, loopback DDS, a fresh domain id).
This process publishes the clip's frames (looped) as Image + CameraInfo at --rate with the
publishing time as stamp, and subscribes to the node's skeletons. Per window: images sent, skeleton
messages received, output rate, latency (receive time - image stamp) p50 / p95, and the node's
resident set size (VmRSS of its process). RSS growth is measured from the end of the first window
(models loaded, arenas warmed) to the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import threading
import time

import numpy as np
from pose3d_ros import rosenv
from pose3d_ros.tools.bench_stamp import publish

CLIP = Path(__file__).resolve().parents[2] / 'data' / 'vtest_200.mp4'


def rss_mb(pid: int) -> float:
    """Resident set size of process `pid`, MiB (NaN when it is gone)."""
    try:
        for line in Path(f'/proc/{pid}/status').read_text().splitlines():
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float('nan')


def _start_node(env: dict, node_args: list[str]) -> tuple[subprocess.Popen, collections.deque]:
    """
    Return the node process, once it logged 'ready:'.

    Its stderr is drained by a thread into the deque
    """
    node = subprocess.Popen(
        [sys.executable, '-m', 'pose3d_ros.ros.node', '--ros-args', *node_args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    log: collections.deque = collections.deque(maxlen=200)
    ready = threading.Event()

    def drain() -> None:
        for line in node.stderr:
            log.append(line.rstrip())
            if 'ready:' in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 180.0
    while not ready.wait(0.5):
        if node.poll() is not None or time.monotonic() > deadline:
            node.kill()
            raise RuntimeError('pose3d_node did not start:\n' + '\n'.join(list(log)[-20:]))
    return node, log


def run_soak(
    seconds: float,
    window_s: float,
    rate: float = 30.0,
    clip: Path = CLIP,
    frames: int = 60,
    node_args: list[str] | None = None,
) -> dict:
    """
    Feed the node for `seconds` and measure it.

    Returns {'windows': [...], 'rss_start_mb', 'rss_end_mb', ...}.
    """
    env = rosenv.loopback_env({k: v for k, v in os.environ.items() if k != 'ROS_DOMAIN_ID'})
    env['PYTHONUNBUFFERED'] = '1'
    os.environ.update(env)  # this process joins the same domain (loopback)
    from pose3d_msgs.msg import Skeleton3DArray
    from pose3d_ros.media import read_frames
    from pose3d_ros.ros.image_conversion import rgb_to_image_fields
    from pose3d_ros.tools.player import camera_info_fields
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image

    images = [Image(**rgb_to_image_fields(rgb, 'bgr8')) for _, _, rgb in read_frames(clip, frames)]
    info = CameraInfo(**camera_info_fields(images[0].width, images[0].height, 55.0))
    node_proc, log = _start_node(env, node_args or [])
    rclpy.init()
    node = rclpy.create_node('pose3d_soak')
    try:
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        pub_image, pub_info = node.create_publisher(Image, 'image', qos), node.create_publisher(
            CameraInfo, 'camera_info', qos
        )
        # (receive time, image stamp), seconds (system clock)
        received: list[tuple[float, float]] = []
        node.create_subscription(
            Skeleton3DArray,
            '/pose3d_node/skeletons',
            lambda m: received.append(
                (time.time(), m.header.stamp.sec + m.header.stamp.nanosec * 1e-9)
            ),
            50,
        )
        deadline = time.monotonic() + 30.0
        while pub_image.get_subscription_count() == 0 and time.monotonic() < deadline:
            rclpy.spin_once(node, timeout_sec=0.1)
        sent: list[float] = []  # image stamps, seconds
        rss: list[tuple[float, float]] = []  # (time, MiB)
        start = time.time()
        next_rss = start

        def tick() -> None:
            now = node.get_clock().now().to_msg()
            image = images[len(sent) % len(images)]
            image.header.stamp = info.header.stamp = now
            image.header.frame_id = info.header.frame_id = 'camera_optical_frame'
            pub_info.publish(info)
            pub_image.publish(image)
            sent.append(now.sec + now.nanosec * 1e-9)

        node.create_timer(1.0 / rate, tick)
        while time.time() - start < seconds:
            rclpy.spin_once(node, timeout_sec=0.005)
            if time.time() >= next_rss:
                rss.append((time.time(), rss_mb(node_proc.pid)))
                next_rss += 2.0
            if node_proc.poll() is not None:
                raise RuntimeError(
                    'pose3d_node exited during the soak:\n' + '\n'.join(list(log)[-20:])
                )
        rss.append((time.time(), rss_mb(node_proc.pid)))
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        node_proc.send_signal(signal.SIGINT)
        try:
            node_proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            node_proc.kill()
            node_proc.wait()
    return summarize(
        start, seconds, window_s, np.array(sent), np.array(received).reshape(-1, 2), np.array(rss)
    )


def summarize(
    start: float,
    seconds: float,
    window_s: float,
    sent: np.ndarray,
    received: np.ndarray,
    rss: np.ndarray,
) -> dict:
    """Per-window rows from stamps (s), (receive, stamp) pairs (s) and (time, MiB) samples."""
    windows = []
    for k in range(int(round(seconds / window_s))):
        t0, t1 = start + k * window_s, start + (k + 1) * window_s
        got = received[(received[:, 1] >= t0) & (received[:, 1] < t1)]  # by image stamp
        lat = (got[:, 0] - got[:, 1]) * 1e3  # ms
        in_window = rss[(rss[:, 0] >= t0) & (rss[:, 0] < t1 + 1.0)]
        windows.append(
            {
                't_s': t0 - start,
                'sent': int(((sent >= t0) & (sent < t1)).sum()),
                'received': len(got),
                'rate_hz': len(got) / window_s,
                'p50_ms': float(np.percentile(lat, 50)) if len(lat) else float('nan'),
                'p95_ms': float(np.percentile(lat, 95)) if len(lat) else float('nan'),
                'rss_mb': float(in_window[-1, 1]) if len(in_window) else float('nan'),
            }
        )
    return {
        'windows': windows,
        'seconds': seconds,
        'window_s': window_s,
        'rss_start_mb': windows[0]['rss_mb'],
        'rss_end_mb': float(rss[-1, 1]),
        'rss_growth_mb': float(rss[-1, 1]) - windows[0]['rss_mb'],
        'sent': len(sent),
        'received': len(received),
    }


def markdown(res: dict, rate: float) -> str:
    lines = [
        '## Soak: the node at 30 Hz',
        '',
        (
            f"`pose3d_node` (default parameters and models, CPU) fed {res['sent']} images at"
            f" {rate:.0f} Hz for {res['seconds'] / 60:.1f} min (the clip's first frames, looped);"
            f" {res['received']} skeleton messages received. RSS of the node:"
            f" {res['rss_start_mb']:.0f} MiB after the first window, {res['rss_end_mb']:.0f} MiB"
            f" at the end: growth **{res['rss_growth_mb']:+.1f} MiB** (goal < 50 MiB over 30 min)."
            ' Latency = receive time - image stamp; the node processes the newest image and drops'
            " the others, so the output rate is the node's processing rate."
        ),
        '',
        (
            '| window start, s | images sent | skeletons out | output Hz | latency p50 ms |'
            ' latency p95 ms | node RSS MiB |'
        ),
        '|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for w in res['windows']:
        lines.append(
            f"| {w['t_s']:.0f} | {w['sent']} | {w['received']} | {w['rate_hz']:.1f} | "
            f"{w['p50_ms']:.0f} | {w['p95_ms']:.0f} | {w['rss_mb']:.0f} |"
        )
    return '\n'.join(lines) + '\n'


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='pose3d-bench soak', description=__doc__.splitlines()[0])
    p.add_argument('--minutes', type=float, default=30.0)
    p.add_argument('--window-s', type=float, default=60.0, help='length of one table row, seconds')
    p.add_argument('--rate', type=float, default=30.0, help='images per second')
    p.add_argument(
        '--output', '--out', dest='out', type=Path, default=None, help='default benchmarks/soak.md'
    )
    p.add_argument('--json', type=Path, default=None, help='also write the measurements here')
    args = p.parse_args(argv)
    res = run_soak(args.minutes * 60.0, args.window_s, args.rate)
    publish('soak', markdown(res, args.rate), argv, args.out)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
