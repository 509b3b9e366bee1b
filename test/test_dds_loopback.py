"""DDS traffic of a pose3d_ros ROS graph never leaves loopback: every interface is captured while a publisher and
a subscriber talk, with a raw packet socket (AF_PACKET, Linux, root; no tcpdump needed).

The capture is shown to work on `lo` itself: the same run's RTPS packets of this test's domain must be seen
there, while none at all (no RTPS port, no multicast, no IGMP join) may appear on any other interface.
"""
import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

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
ETH_P_ALL = 0x0003


def _udp(packet: bytes, offset: int) -> tuple[str, int]:
    """('rtps', port) when the UDP payload is an RTPS message (magic 'RTPS'), else ('udp', port)."""
    port = int.from_bytes(packet[offset + 2:offset + 4], "big")
    return ("rtps" if packet[offset + 8:offset + 12] == b"RTPS" else "udp"), port


def classify(proto: int, packet: bytes) -> tuple[str, int] | None:
    """('rtps' | 'udp', destination port), ('multicast', 0), ('igmp', 0) or ('ip', 0) (anything else) for an
    IPv4/IPv6 packet without link header; None for other protocols (ARP). Other traffic of the machine (DNS
    answers to ephemeral ports, package downloads) is 'udp' / 'ip' and is not DDS."""
    if proto == 0x0800 and len(packet) >= 20:  # IPv4
        ihl, kind, dst = (packet[0] & 0x0F) * 4, packet[9], packet[16:20]
        if kind == 2:
            return "igmp", 0
        if 224 <= dst[0] <= 239:
            return "multicast", 0
        if kind == 17 and len(packet) >= ihl + 4:
            return _udp(packet, ihl)
        return "ip", 0
    elif proto == 0x86DD and len(packet) >= 40:  # IPv6 (extension headers not followed)
        if packet[24] == 0xFF:
            return "multicast", 0
        if packet[6] == 17 and len(packet) >= 44:
            return _udp(packet, 40)
        return "ip", 0
    return None


def capture(interfaces: list[str], stop: threading.Event, seen: dict) -> None:
    """Append (kind, port) of every IP packet on each interface to seen[interface] until `stop` is set."""
    socks = {}
    for iface in interfaces:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))  # no link header
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
    if not hasattr(socket, "AF_PACKET"):
        return "no AF_PACKET sockets on this OS (Linux only)"
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL)).close()
    except PermissionError:
        return "raw packet sockets need root (CAP_NET_RAW)"
    return ""


@pytest.mark.skipif(bool(_can_capture()), reason=_can_capture() or "capture available")
def test_no_dds_packet_leaves_loopback():
    # Interfaces that are up (IFF_UP); one that is down carries nothing and cannot be read.
    interfaces = sorted(p.name for p in Path("/sys/class/net").iterdir()
                        if int((p / "flags").read_text(), 16) & 0x1)
    assert "lo" in interfaces
    seen = {iface: [] for iface in interfaces}
    stop = threading.Event()
    sniffer = threading.Thread(target=capture, args=(interfaces, stop, seen), daemon=True)
    sniffer.start()
    env = rosenv.loopback_env()
    domain = int(env["ROS_DOMAIN_ID"])
    try:
        time.sleep(0.5)  # sockets bound
        subprocess.run([sys.executable, "-c", CHILD], env=env, check=True, timeout=60)
        time.sleep(0.5)
    finally:
        stop.set()
        sniffer.join(timeout=10)
    ours = range(7400 + 250 * domain, 7400 + 250 * (domain + 1))  # this domain's RTPS ports
    on_lo = [port for kind, port in seen["lo"] if kind == "rtps" and port in ours]
    print(f"domain {domain}: {len(on_lo)} RTPS packets on lo; IP packets on the other interfaces: "
          f"{ {i: len(v) for i, v in seen.items() if i != 'lo'} }")
    assert len(on_lo) >= 10, "the capture saw none of this run's DDS packets on lo: it does not work"
    leaked = {iface: [k for k in kinds if k[0] in ("igmp", "multicast", "rtps")
                      or (k[0] == "udp" and k[1] in ours)]
              for iface, kinds in seen.items() if iface != "lo"}
    assert not any(leaked.values()), f"DDS packets left loopback: { {i: v[:5] for i, v in leaked.items() if v} }"


def test_classify_packets():
    udp = bytes([0x45]) + bytes(8) + bytes([17]) + bytes(6) + bytes([127, 0, 0, 1]) + (1234).to_bytes(2, "big") + \
        (7412).to_bytes(2, "big")
    assert classify(0x0800, udp) == ("udp", 7412)
    assert classify(0x0800, udp + bytes(4) + b"RTPS" + bytes(16)) == ("rtps", 7412)
    mcast = bytearray(udp)
    mcast[16:20] = bytes([239, 255, 0, 1])
    assert classify(0x0800, bytes(mcast)) == ("multicast", 0)
    igmp = bytearray(udp)
    igmp[9] = 2
    assert classify(0x0800, bytes(igmp)) == ("igmp", 0)
    assert classify(0x0806, bytes(28)) is None  # ARP
    assert os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"  # conftest keeps this process on loopback
