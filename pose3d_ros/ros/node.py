"""pose3d_node: camera images in; skeletons, markers and diagnostics out.

A frame's path: `_on_image` keeps only the newest message -> the worker thread `_process` converts it
(`image_conversion`), runs `FrameProcessor.process` (processor.py: detector / pose ROIs, crop model,
reconstruction, tracker), then publishes `conversions.tracks_to_msg` on ~/skeletons and `MarkerBuilder.build` on ~/markers. Output
headers carry the source image's stamp and frame. Bad input never stops the stream: each problem gets a
throttled log line and a /diagnostics status, and the next good frame is processed normally.
"""
from __future__ import annotations

import os
import sys
import threading
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.exceptions import InvalidParameterValueException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from visualization_msgs.msg import MarkerArray

from pose3d_msgs.msg import Skeleton3DArray, SkeletonInfo
from pose3d_ros.core.camera import Camera, InvalidCameraError
from pose3d_ros.processor import FrameProcessor, ModelLoadError
from pose3d_ros.ros import conversions
from pose3d_ros.ros.config import PARAMETERS, NodeConfig, config_from_values, validate
from pose3d_ros.ros.diagnostics import ERROR, WARN, NodeStats, diagnostic_array
from pose3d_ros.ros.image_conversion import (ImageConversionError, compressed_to_rgb, image_to_rgb,
                                             rgb_to_image_fields)
from pose3d_ros.ros.markers import MarkerBuilder
from pose3d_ros.ros.tf_output import TfOutput
from pose3d_ros.visualize import draw_people

LOG_THROTTLE_S = 5.0


class Pose3DNode(Node):
    def __init__(self, **kwargs):
        super().__init__("pose3d_node", **kwargs)
        self._declare_parameters()
        self.config = config_from_values({name: self.get_parameter(name).value for name in PARAMETERS})
        self.stats = NodeStats()
        self.processor = FrameProcessor(self.config)  # ModelLoadError names the model
        self.skeleton = self.processor.skeleton
        self.markers = MarkerBuilder(self.skeleton, self.config.marker_lifetime_frames)
        self.stats.engine = self.processor.engines
        self.stats.models = f"{self.config.detector_model} + {self.config.crop_model} -> {self.skeleton.name}"
        self.tf = TfOutput(self, self.config.publish_tf, self.config.target_frame)

        self._camera: Camera | None = None
        self._camera_frame = ""
        self._last_stamp: float | None = None
        self._frame_period_s = 1.0 / 30.0
        self._slot = None  # newest unprocessed (message, is_compressed)
        self._cond = threading.Condition()
        self._stop = False
        self._last_log: dict[str, float] = {}  # problem kind -> monotonic time of its last log line

        self._create_io()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._worker = threading.Thread(target=self._work, name="pose3d_worker", daemon=True)
        self._worker.start()
        self.get_logger().info(f"ready: {self.stats.models}, engine {self.stats.engine}; waiting for images on "
                               f"{self.resolve_topic_name('image')}")

    # ---------------------------------------------------------------- parameters
    def _declare_parameters(self) -> None:
        defaults = NodeConfig()
        for name, (description, constraint, dynamic) in PARAMETERS.items():
            descriptor = ParameterDescriptor(description=description, read_only=not dynamic)
            if isinstance(constraint, tuple) and constraint and isinstance(constraint[0], str):
                descriptor.additional_constraints = "one of: " + ", ".join(constraint)
            elif isinstance(constraint, tuple) and isinstance(constraint[0], float):
                descriptor.floating_point_range = [FloatingPointRange(from_value=constraint[0], to_value=constraint[1])]
            elif isinstance(constraint, tuple):
                descriptor.integer_range = [IntegerRange(from_value=constraint[0], to_value=constraint[1], step=1)]
            self.declare_parameter(name, getattr(defaults, name), descriptor)

    def _on_set_parameters(self, params) -> SetParametersResult:
        problems = [m for p in params if (m := validate(p.name, p.value))]
        if problems:
            return SetParametersResult(successful=False, reason="; ".join(problems))
        for p in params:
            setattr(self.config, p.name, p.value)
        self.processor.apply(self.config)
        self.markers.lifetime_frames = self.config.marker_lifetime_frames
        return SetParametersResult(successful=True)

    # ---------------------------------------------------------------- topics
    def _create_io(self) -> None:
        c = self.config
        reliability = ReliabilityPolicy.BEST_EFFORT if c.qos_reliability == "best_effort" else ReliabilityPolicy.RELIABLE
        qos = QoSProfile(depth=c.qos_depth, reliability=reliability, history=HistoryPolicy.KEEP_LAST,
                         durability=DurabilityPolicy.VOLATILE)
        if c.use_compressed:
            self.create_subscription(CompressedImage, "image/compressed", lambda m: self._on_image(m, True), qos)
        else:
            self.create_subscription(Image, "image", lambda m: self._on_image(m, False), qos)
        self.create_subscription(CameraInfo, "camera_info", self._on_camera_info, qos)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.pub_skeletons = self.create_publisher(Skeleton3DArray, "~/skeletons", 10)
        self.pub_info = self.create_publisher(SkeletonInfo, "~/skeleton_info", latched)
        self.pub_markers = self.create_publisher(MarkerArray, "~/markers", 10)
        self.pub_debug = self.create_publisher(Image, "~/debug_image", 2)
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.pub_info.publish(conversions.skeleton_info_msg(self.skeleton))
        self.create_timer(c.diagnostics_period_s, self._publish_diagnostics)

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            self._camera = conversions.camera_from_info(msg, allow_default_fov=False)
            self._camera_frame = msg.header.frame_id
            self.stats.clear("camera_info")
            self.stats.clear("camera_info_invalid")
        except InvalidCameraError as err:
            self._camera = None
            self._report("camera_info_invalid", ERROR, f"invalid CameraInfo on {self.resolve_topic_name('camera_info')}: {err}")

    def _on_image(self, msg, compressed: bool) -> None:
        self.stats.on_received()
        with self._cond:
            if self._slot is not None:
                self.stats.on_dropped()  # the worker is busy: keep only the newest frame
            self._slot = (msg, compressed)
            self._cond.notify()

    # ---------------------------------------------------------------- worker
    def _work(self) -> None:
        while True:
            with self._cond:
                while self._slot is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                msg, compressed = self._slot
                self._slot = None
            try:
                self._process(msg, compressed)
            except Exception as err:  # noqa: BLE001 - a bug must not end the stream
                self._report("pipeline", ERROR, f"frame failed: {type(err).__name__}: {err}")

    def _anyone_listening(self) -> bool:
        return (self.config.process_when_unsubscribed or self.tf.active
                or self.pub_skeletons.get_subscription_count() > 0
                or self.pub_markers.get_subscription_count() > 0
                or self.pub_debug.get_subscription_count() > 0)

    def _process(self, msg, compressed: bool) -> None:
        if not self._anyone_listening():
            self.stats.on_skipped()
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        if self._last_stamp is not None:
            if stamp < self._last_stamp:
                self._report("stamp", WARN, f"image stamp went backwards by {self._last_stamp - stamp:.3f} s "
                                            "(bag loop or clock reset): tracks restarted")
            elif stamp > self._last_stamp:
                self._frame_period_s = 0.8 * self._frame_period_s + 0.2 * min(stamp - self._last_stamp, 1.0)
        self._last_stamp = stamp
        try:
            rgb = compressed_to_rgb(msg) if compressed else image_to_rgb(msg)
        except ImageConversionError as err:
            self._report("image", ERROR, f"dropped image: {err}")
            return
        camera = self._camera_for(rgb.shape[1], rgb.shape[0])
        if camera is None:
            return
        result = self.processor.process(rgb, camera, stamp)
        if result.factor != 1.0:
            self._report("downscale", WARN, f"images of {camera.width}x{camera.height} downscaled by "
                                             f"{result.factor:.2f} (max_image_side {self.config.max_image_side})")
        self._publish(msg.header, result.tracks, rgb if self.pub_debug.get_subscription_count() else None)
        now = self.get_clock().now().nanoseconds * 1e-9
        self.stats.on_processed(max(0.0, now - stamp), len(result.poses.scores), len(result.tracks))

    def _camera_for(self, width: int, height: int) -> Camera | None:
        """The cached CameraInfo camera matching this image size, the default FoV one, or None (waits)."""
        camera = self._camera
        if camera is None:
            if self.config.allow_default_fov:
                self._report("camera_info", WARN, f"no valid CameraInfo: assuming a {self.config.default_fov_deg}° "
                                                  "field of view (absolute depth is approximate)")
                return Camera.from_fov(width, height, self.config.default_fov_deg)
            self._report("camera_info", WARN, f"waiting for a valid CameraInfo on "
                                              f"{self.resolve_topic_name('camera_info')}; frames are skipped")
            return None
        try:
            fitted = camera.fit_to_image(width, height)
        except InvalidCameraError:
            self._report("image_size", ERROR, f"image {width}x{height} does not match CameraInfo "
                                              f"{camera.width}x{camera.height} (different aspect ratio): frame skipped")
            return None
        if fitted is not camera:
            self._report("image_size", WARN, f"image {width}x{height} differs from CameraInfo "
                                             f"{camera.width}x{camera.height}: intrinsics scaled by "
                                             f"{width / camera.width:.3f}")
        return fitted

    def _publish(self, header, tracks, rgb) -> None:
        out_header, tracks = self.tf.to_target(header, tracks)
        self.pub_skeletons.publish(conversions.tracks_to_msg(tracks, out_header, self.skeleton.name))
        if self.config.publish_markers:
            self.pub_markers.publish(self.markers.build(tracks, out_header, self._frame_period_s))
        self.tf.broadcast(out_header, tracks)
        if rgb is not None and self.config.publish_debug_image:
            people = [{"id": t.id, "box": t.box, "keypoints2d": t.keypoints2d} for t in tracks]
            image = Image(header=header, **rgb_to_image_fields(draw_people(rgb, people, self.skeleton.edges)))
            self.pub_debug.publish(image)

    # ---------------------------------------------------------------- health
    def _report(self, key: str, level: int, message: str) -> None:
        """Record a problem for /diagnostics and log it, at most once per LOG_THROTTLE_S for each kind."""
        self.stats.problem(key, level, message)
        now = time.monotonic()
        if now - self._last_log.get(key, -LOG_THROTTLE_S) >= LOG_THROTTLE_S:
            self._last_log[key] = now
            if level >= ERROR:  # rclpy requires one severity per call site
                self.get_logger().error(message)
            else:
                self.get_logger().warning(message)

    def _publish_diagnostics(self) -> None:
        self.pub_diag.publish(diagnostic_array(self.stats.snapshot(), self.get_name(),
                                               self._camera_frame or "camera", self.get_clock().now().to_msg()))

    def stop_worker(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._worker.join(timeout=5.0)


def _developer_dds_defaults() -> None:
    """In a pip venv without a sourced ROS distro, keep DDS on loopback unless the user chose otherwise.

    On a robot (ROS_DISTRO set by setup.bash) the user's DDS settings are left alone.
    """
    if "ROS_DISTRO" not in os.environ and "ROS_AUTOMATIC_DISCOVERY_RANGE" not in os.environ:
        from pose3d_ros import rosenv

        rosenv.configure_loopback_dds()


def main(args=None) -> int:
    _developer_dds_defaults()
    rclpy.init(args=args)
    node = None
    try:
        node = Pose3DNode()
        rclpy.spin(node)
    except (ModelLoadError, ValueError, InvalidParameterValueException) as err:
        print(f"pose3d_node: cannot start: {err}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if node is not None:
            node.stop_worker()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
