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
DDS traffic of a pose3d_ros ROS graph never leaves loopback.

Every interface is captured while a publisher and a subscriber talk, with a raw packet socket
(AF_PACKET, Linux, root; no tcpdump needed).

The capture is shown to work on `lo` itself: the same run's RTPS packets of this test's domain must
be seen there, while no RTPS message (UDP payload starting with b'RTPS', any domain or port) may
appear elsewhere.
"""

import os
from pathlib import Path
import select
import socket
import subprocess
import sys
import threading
import time

from pose3d_ros import rosenv
import pytest

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
ETH_P_ALL = 0x0003


def classify(proto: int, packet: bytes) -> tuple[str, int] | None:
    """
    Classify an IPv4/IPv6 packet without link header.

    ('rtps', destination port) for UDP carrying an RTPS message (payload starts with the protocol
    id b'RTPS'), ('udp', port) for other UDP, else ('igmp', 0), ('multicast', 0) or ('ip', 0); None
    for other protocols (ARP).
    """
    if proto == 0x0800 and len(packet) >= 20:  # IPv4
        ihl, kind, dst = (packet[0] & 0x0F) * 4, packet[9], packet[16:20]
        if kind == 17 and len(packet) >= ihl + 4:
            port = int.from_bytes(packet[ihl + 2: ihl + 4], 'big')
            return ('rtps' if packet[ihl + 8: ihl + 12] == b'RTPS' else 'udp'), port
        if kind == 2:
            return 'igmp', 0
        return ('multicast', 0) if 224 <= dst[0] <= 239 else ('ip', 0)
    elif proto == 0x86DD and len(packet) >= 40:  # IPv6 (extension headers not followed)
        if packet[6] == 17 and len(packet) >= 44:
            port = int.from_bytes(packet[42:44], 'big')
            return ('rtps' if packet[48:52] == b'RTPS' else 'udp'), port
        return ('multicast', 0) if packet[24] == 0xFF else ('ip', 0)
    return None


def capture(interfaces: list[str], stop: threading.Event, seen: dict) -> None:
    """
    Record every IP packet on each interface until `stop` is set.

    Appends (kind, port) to seen[interface].
    """
    socks = {}
    for iface in interfaces:
        # no link header
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        s.bind((iface, 0))
        socks[s] = iface
    try:
        while not stop.is_set():
            ready, _, _ = select.select(list(socks), [], [], 0.05)
            for s in ready:
                packet, addr = s.recvfrom(65535)
                kind = classify(addr[1], packet)
                if kind:
                    seen[socks[s]].append(kind)
    finally:
        for s in socks:
            s.close()


def _can_capture() -> str:
    if not hasattr(socket, 'AF_PACKET'):
        return 'no AF_PACKET sockets on this OS (Linux only)'
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL)).close()
    except PermissionError:
        return 'raw packet sockets need root (CAP_NET_RAW)'
    return ''


@pytest.mark.skipif(bool(_can_capture()), reason=_can_capture() or 'capture available')
def test_no_dds_packet_leaves_loopback():
    # Interfaces that are up (IFF_UP); one that is down carries nothing and cannot be read.
    interfaces = sorted(
        p.name
        for p in Path('/sys/class/net').iterdir()
        if int((p / 'flags').read_text(), 16) & 0x1
    )
    assert 'lo' in interfaces
    seen = {iface: [] for iface in interfaces}
    stop = threading.Event()
    sniffer = threading.Thread(target=capture, args=(interfaces, stop, seen), daemon=True)
    sniffer.start()
    env = rosenv.loopback_env()
    domain = int(env['ROS_DOMAIN_ID'])
    try:
        time.sleep(0.5)  # sockets bound
        subprocess.run([sys.executable, '-c', CHILD], env=env, check=True, timeout=60)
        time.sleep(0.5)
    finally:
        stop.set()
        sniffer.join(timeout=10)
    ours = range(7400 + 250 * domain, 7400 + 250 * (domain + 1))  # this domain's RTPS ports
    on_lo = [port for kind, port in seen['lo'] if kind == 'rtps' and port in ours]
    print(
        f'domain {domain}: {len(on_lo)} RTPS packets on lo; IP packets on the other interfaces: '
        f"{ {i: len(v) for i, v in seen.items() if i != 'lo'} }"
    )
    assert (
        len(on_lo) >= 10
    ), "the capture saw none of this run's DDS packets on lo: it does not work"
    # A leak is any RTPS message (any domain, unicast or multicast). Other traffic of the machine
    # (DNS, IPv6
    # neighbour discovery, mDNS) is not DDS.
    leaked = {
        iface: [k for k in kinds if k[0] == 'rtps']
        for iface, kinds in seen.items()
        if iface != 'lo'
    }
    assert not any(
        leaked.values()
    ), f'DDS packets left loopback: { {i: v[:5] for i, v in leaked.items() if v} }'


def test_classify_packets():
    udp = (
        bytes([0x45])
        + bytes(8)
        + bytes([17])
        + bytes(6)
        + bytes([127, 0, 0, 1])
        + (1234).to_bytes(2, 'big')
        + (7412).to_bytes(2, 'big')
        + bytes(4)
        + b'RTPS'
        + bytes(16)
    )
    assert classify(0x0800, udp) == ('rtps', 7412)
    assert classify(0x0800, udp[:28] + b'DNS?' + bytes(16)) == ('udp', 7412)
    mcast = bytearray(udp)
    mcast[16:20] = bytes([239, 255, 0, 1])
    assert classify(0x0800, bytes(mcast)) == ('rtps', 7412)  # DDS discovery multicast
    igmp = bytearray(mcast)
    igmp[9] = 2
    assert classify(0x0800, bytes(igmp)) == ('igmp', 0)
    assert classify(0x0806, bytes(28)) is None  # ARP
    # conftest keeps this process on loopback
    assert os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'
