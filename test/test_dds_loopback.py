"""DDS traffic of a pose3d_ros ROS graph never leaves loopback (checked with tcpdump when available)."""
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from pose3d_ros import rosenv

CHILD = """
from pose3d_ros import rosenv
rosenv.require_loopback_dds()
import rclpy
from std_msgs.msg import String
rclpy.init()
node = rclpy.create_node('loopback_probe')
pub = node.create_publisher(String, 'probe', 10)
node.create_subscription(String, 'probe', lambda m: None, 10)
for _ in range(30):
    pub.publish(String(data='x' * 1000))
    rclpy.spin_once(node, timeout_sec=0.1)
"""


def _is_dds(line: str) -> bool:
    """A multicast/IGMP packet, or UDP to an RTPS port (7400 + 250 * domain + offsets)."""
    if "igmp" in line or " > 239." in line or " > 224." in line:
        return True
    match = re.search(r" > [0-9.]+\.(\d+): UDP", line)
    return bool(match) and 7400 <= int(match.group(1)) < 7400 + 250 * 233


def _external_interfaces():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]
    return [n for n in names if n != "lo"]


@pytest.mark.skipif(shutil.which("tcpdump") is None or shutil.which("ip") is None or os.geteuid() != 0,
                    reason="tcpdump/ip not installed or not root: cannot sniff the external interfaces")
def test_no_dds_packet_leaves_loopback(tmp_path):
    interfaces = _external_interfaces()
    if not interfaces:
        pytest.skip("no external interface on this machine")
    sniffers = [subprocess.Popen(["tcpdump", "-i", iface, "-n", "-l", "udp or igmp"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True) for iface in interfaces]
    try:
        time.sleep(1.0)  # let tcpdump attach
        subprocess.run([sys.executable, "-c", CHILD], env=rosenv.loopback_env(), check=True, timeout=60)
        time.sleep(0.5)
    finally:
        for s in sniffers:
            s.terminate()
    lines = [line for s in sniffers for line in s.communicate(timeout=10)[0].splitlines()]
    leaked = [line for line in lines if _is_dds(line)]
    assert not leaked, f"DDS packets left loopback: {leaked[:5]}"
