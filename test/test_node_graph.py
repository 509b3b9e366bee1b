"""pose3d_node in a real rclpy graph across processes: real photos in, skeletons/markers/diagnostics out,
malformed input interleaved, the node stays alive and processes the next good frame."""
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from pose3d_ros import rosenv

HERE = Path(__file__).resolve().parent
PHOTO = HERE / "fixtures" / "images" / "messi5.jpg"


def start_node(*params: str, log=None) -> subprocess.Popen:
    args = [sys.executable, "-m", "pose3d_ros.ros.node", "--ros-args"]
    for p in params:
        args += ["-p", p]
    return subprocess.Popen(args, env=rosenv.loopback_env(), stdout=log or subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def log_tail(process) -> str:
    process.log.flush()
    return Path(process.log.name).read_text()[-3000:]


class Harness:
    """Publishes Image + CameraInfo like a camera driver and collects the node's outputs."""

    def __init__(self, context):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image
        from visualization_msgs.msg import MarkerArray

        from pose3d_msgs.msg import Skeleton3DArray, SkeletonInfo

        self.node = rclpy.create_node("graph_test", context=context)
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.pub_image = self.node.create_publisher(Image, "image", qos)
        self.pub_info = self.node.create_publisher(CameraInfo, "camera_info", qos)
        self.skeletons, self.markers, self.info, self.diagnostics = [], [], [], []
        self.node.create_subscription(Skeleton3DArray, "/pose3d_node/skeletons", self.skeletons.append, 50)
        self.node.create_subscription(MarkerArray, "/pose3d_node/markers", self.markers.append, 50)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.node.create_subscription(SkeletonInfo, "/pose3d_node/skeleton_info", self.info.append, latched)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self.diagnostics.append, 50)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.Image, self.CameraInfo = Image, CameraInfo

    def spin_until(self, predicate, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.executor.spin_once(timeout_sec=0.05)
        return predicate()

    def camera_info(self, width, height, stamp, fov=55.0, k=None, model="plumb_bob"):
        from pose3d_ros.tools.player import camera_info_fields

        info = self.CameraInfo(**camera_info_fields(width, height, fov))
        if k is not None:
            info.k = k
        info.distortion_model = model
        info.header.stamp.sec, info.header.stamp.nanosec = stamp
        info.header.frame_id = "test_camera_optical"
        return info

    def image(self, rgb, stamp, **override):
        from pose3d_ros.ros.image_conversion import rgb_to_image_fields

        msg = self.Image(**rgb_to_image_fields(rgb, "rgb8"))
        for key, value in override.items():
            setattr(msg, key, value)
        msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
        msg.header.frame_id = "test_camera_optical"
        return msg

    def send(self, image, info=None):
        if info is not None:
            self.pub_info.publish(info)
            self.spin_until(lambda: False, 0.05)
        self.pub_image.publish(image)

    def output_for(self, stamp, timeout_s=20.0):
        def find():
            return next((m for m in self.skeletons if (m.header.stamp.sec, m.header.stamp.nanosec) == stamp), None)
        self.spin_until(lambda: find() is not None, timeout_s)
        return find()

    def diagnostic_messages(self):
        return [(s.level, s.message) for d in self.diagnostics for s in d.status]


@pytest.fixture
def node_process(tmp_path):
    log = open(tmp_path / "node.log", "w")
    process = start_node("track_min_hits:=2", "max_image_side:=1000", log=log)
    process.log = log
    yield process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_node_processes_photos_and_survives_bad_input(node_process, ros_context):
    h = Harness(ros_context)
    assert h.spin_until(lambda: h.pub_image.get_subscription_count() > 0 or node_process.poll() is not None, 120), \
        "node never subscribed to image"
    assert node_process.poll() is None, log_tail(node_process)
    rgb = cv2.cvtColor(cv2.imread(str(PHOTO)), cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    tick = [1000]

    def stamp():  # 10 Hz camera, stamps from 100 s on
        tick[0] += 1
        return (tick[0] // 10, (tick[0] % 10) * 100_000_000)

    def good_frame(image=rgb):
        s = stamp()
        h.send(h.image(image, s), h.camera_info(image.shape[1], image.shape[0], s))
        out = h.output_for(s)
        assert out is not None, f"no output for good frame {s}"
        return out

    for _ in range(3):  # a camera driver publishes CameraInfo continuously; the first image may not wait for it
        h.pub_info.publish(h.camera_info(width, height, stamp()))
        h.spin_until(lambda: False, 0.2)
    outputs = [good_frame() for _ in range(4)]
    for out in outputs:
        assert out.header.frame_id == "test_camera_optical"
    assert h.info and h.info[0].skeleton_type == outputs[0].skeleton_type == "blazepose_33"
    confirmed = [o for o in outputs if o.skeletons]
    assert len(confirmed) >= 2, "person not tracked on repeated frames"
    ids = {s.id for o in confirmed for s in o.skeletons}
    assert len(ids) == 1, f"id not stable across frames: {ids}"
    person = confirmed[-1].skeletons[0]
    joints = np.array([[p.x, p.y, p.z] for p in person.joints])
    assert len(joints) == 33 and np.isfinite(joints).all()
    assert 1.0 < np.median(joints[:, 2]) < 10.0, "depth not in metres in front of the camera"
    shoulders, torso = np.linalg.norm(joints[11] - joints[12]), np.linalg.norm(joints[11] - joints[23])
    assert 0.25 < shoulders < 0.55 and 0.35 < torso < 0.75, f"not metres: shoulders {shoulders:.2f}, torso {torso:.2f}"
    assert h.spin_until(lambda: any(m.markers for m in h.markers), 5)

    # Malformed input, each followed by a good frame that must be processed normally.
    # name -> (send the bad frame, what /diagnostics must say)
    bad_inputs = {
        "unknown encoding": (lambda s: h.send(h.image(rgb, s, encoding="32FC4")), "unsupported image encoding"),
        "truncated data": (lambda s: h.send(h.image(rgb, s, data=h.image(rgb, s).data[:1000])), "truncated image data"),
        "step mismatch": (lambda s: h.send(h.image(rgb, s, step=width)), "step"),
        "empty image": (lambda s: h.send(h.image(rgb, s, width=0, height=0, data=b"", step=0)), "empty image"),
        "zero K": (lambda s: h.send(h.image(rgb, s), h.camera_info(width, height, s, k=[0.0] * 9)), "invalid CameraInfo"),
        "size mismatch": (lambda s: h.send(h.image(rgb[:, : width // 2].copy(), s), h.camera_info(width, height, s)),
                          "does not match CameraInfo"),
        "unknown distortion": (lambda s: h.send(h.image(rgb, s), h.camera_info(width, height, s, model="weird_model")),
                               "invalid CameraInfo"),
    }
    for name, (send_bad, needle) in bad_inputs.items():
        bad_stamp = stamp()
        h.diagnostics.clear()
        send_bad(bad_stamp)
        reported = h.spin_until(lambda: any(level == b"\x02" and needle in m for level, m in h.diagnostic_messages()), 4)
        assert reported, f"{name}: no ERROR diagnostics with '{needle}': {h.diagnostic_messages()}"
        after = good_frame()
        assert node_process.poll() is None, f"node died after {name}"
        assert h.output_for(bad_stamp, timeout_s=0.2) is None, f"{name}: output published for a bad frame"
        assert after.skeletons, f"good frame after '{name}' not processed"

    # Stamps going backwards: the node keeps publishing with the source stamp (tracks restart).
    back = (50, 0)
    h.send(h.image(rgb, back), h.camera_info(width, height, back))
    assert h.output_for(back) is not None, log_tail(node_process)
    # A huge image is downscaled (max_image_side 1000) and still processed, 2D back in source pixels.
    huge = cv2.resize(rgb, (width * 3, height * 3))
    out = good_frame(huge)
    for _ in range(2):
        out = good_frame(huge)
    assert out.skeletons, "huge image not processed"
    kp = np.array([[p.x, p.y] for p in out.skeletons[0].keypoints_2d])
    assert np.nanmax(kp[:, 0]) > width, "2D keypoints not in source-image pixels"

    log = log_tail(node_process)
    assert "stamp went backwards" in log and "downscaled" in log
    assert node_process.poll() is None


def test_dynamic_parameters_validated(node_process, ros_context):
    from rclpy.parameter import Parameter
    from rclpy.parameter_client import AsyncParameterClient

    h = Harness(ros_context)
    assert h.spin_until(lambda: h.pub_image.get_subscription_count() > 0, 120)
    client = AsyncParameterClient(h.node, "pose3d_node")
    assert client.wait_for_services(timeout_sec=10.0)
    future = client.set_parameters([Parameter("max_people", value=0)])
    h.spin_until(future.done, 10)
    result = future.result().results[0]
    assert not result.successful and "max_people out of range. Min: 1, Max: 100" in result.reason
    future = client.set_parameters([Parameter("detection_threshold", value=0.35)])
    h.spin_until(future.done, 10)
    assert future.result().results[0].successful
    future = client.set_parameters([Parameter("engine", value="torch")])  # read-only after start
    h.spin_until(future.done, 10)
    assert not future.result().results[0].successful


@pytest.mark.parametrize("param,needle", [("crop_model:=/nonexistent/model.onnx", "/nonexistent/model.onnx"),
                                          ("max_people:=0", "max_people out of range. Min: 1, Max: 100"),
                                          ("engine:=tensorrtt", "engine must be one of auto, tensorrt")])
def test_bad_start_exits_non_zero_with_reason(param, needle):
    process = start_node(param)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 1, out
    assert needle in out and "Traceback" not in out, out
