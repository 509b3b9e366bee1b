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
pose3d_node's lifecycle in a real rclpy graph.

The standard ~/get_state and ~/change_state services drive it through configure, activate,
deactivate, activate, cleanup and shutdown with the shipped models.
"""

from __future__ import annotations

from pathlib import Path

import cv2
from ros_helpers.graph import Harness, HERE, log_tail, start_node, stop

PHOTO = HERE.parent / 'fixtures' / 'images' / 'messi5.jpg'


def _rss_mb(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024.0
    raise AssertionError('no VmRSS')


def test_lifecycle_transitions(tmp_path, ros_context):
    log = open(tmp_path / 'node.log', 'w')
    node = start_node('autostart:=false', 'track_min_hits:=1', 'max_image_side:=640', log=log)
    try:
        h = Harness(ros_context)
        assert h.spin_until(lambda: h.lifecycle_state() == 'unconfigured', 60), log_tail(node)
        assert h.pub_image.get_subscription_count() == 0  # interfaces are created on configure
        rgb = cv2.cvtColor(cv2.imread(str(PHOTO)), cv2.COLOR_BGR2RGB)
        height, width = rgb.shape[:2]
        tick = [0]

        def frame():
            tick[0] += 1
            s = (100 + tick[0] // 10, (tick[0] % 10) * 100_000_000)
            h.send(h.image(rgb, s), h.camera_info(width, height, s))
            return s

        assert h.change_state('configure') and h.lifecycle_state() == 'inactive'
        h.wait_for_node(node)
        h.prime(h.camera_info(width, height, (99, 0)))
        rss_configured = _rss_mb(node.pid)
        assert h.change_state('activate') and h.lifecycle_state() == 'active'
        assert h.output_for(frame()) is not None, log_tail(node)  # answering
        rss_active = _rss_mb(node.pid)

        assert h.change_state('deactivate') and h.lifecycle_state() == 'inactive'
        silent = [frame() for _ in range(3)]
        h.spin_until(lambda: False, 2.0)
        assert all(
            h.output_for(s, timeout_s=0.1) is None for s in silent
        ), 'skeletons while inactive'
        assert h.diagnosed('inactive (lifecycle)')

        assert h.change_state('activate') and h.lifecycle_state() == 'active'
        out = h.output_for(frame())
        assert out is not None and out.skeletons, log_tail(node)  # answering again
        assert all(
            h.output_for(s, timeout_s=0.1) is None for s in silent
        ), 'frames from the inactive time processed'

        assert h.change_state('deactivate') and h.change_state('cleanup')
        assert h.lifecycle_state() == 'unconfigured'
        assert h.spin_until(lambda: 'engines freed' in log_tail(node), 5)
        rss_cleaned = _rss_mb(node.pid)
        # Activation loads torch (~190 MB, stays imported) and the two ONNX Runtime sessions (~76
        # MB, measured
        # in one process: 252 -> 328 MB); cleanup frees the sessions (measured: RSS -55 MB after
        # malloc_trim).
        print(
            f'RSS MB: configured {rss_configured:.0f}, active {rss_active:.0f}, cleaned up'
            f' {rss_cleaned:.0f}'
        )
        assert rss_active - rss_cleaned > 25.0

        assert h.change_state('shutdown')
        assert node.wait(timeout=15) == 0  # finalized: the process ends by itself, cleanly
        assert 'Traceback' not in log_tail(node, 100_000)
    finally:
        stop(node)


def test_autostart_and_external_shutdown(tmp_path, ros_context):
    """Autostart (default) -> active; SIGINT -> engines freed, exit 0."""
    import signal

    log = open(tmp_path / 'node.log', 'w')
    node = start_node(log=log)
    try:
        h = Harness(ros_context)
        h.wait_for_node(node)
        assert h.lifecycle_state() == 'active'
        node.send_signal(signal.SIGINT)
        assert node.wait(timeout=15) == 0
        text = log_tail(node, 100_000)
        assert 'engines freed' in text and 'Traceback' not in text
    finally:
        stop(node)


def test_node_keeps_the_users_domain(monkeypatch):
    """
    In a venv the node keeps DDS on loopback but never picks a ROS_DOMAIN_ID.

    Domain 0 stays 0.
    """
    import os

    from pose3d_ros.ros import node as node_module

    for name in ('ROS_DOMAIN_ID', 'ROS_AUTOMATIC_DISCOVERY_RANGE', 'ROS_DISTRO'):
        monkeypatch.delenv(name, raising=False)
    node_module._developer_dds_defaults()
    assert os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
    assert 'ROS_DOMAIN_ID' not in os.environ
    monkeypatch.setenv('ROS_DOMAIN_ID', '7')
    monkeypatch.delenv('ROS_AUTOMATIC_DISCOVERY_RANGE')
    node_module._developer_dds_defaults()
    assert os.environ['ROS_DOMAIN_ID'] == '7'
