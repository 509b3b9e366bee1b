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
pose3d_node: a managed (lifecycle) node.

Camera images in; skeletons, markers, TF and diagnostics out.

Lifecycle (rclpy.lifecycle; standard ~/get_state, ~/change_state):
- construction: every parameter declared (config.PARAMETERS);
- configure: parameters validated into a NodeConfig; subscriptions, publishers, TF output and the
  diagnostics timer created;
- activate: models and engines loaded (the first time), the worker thread started, publishers
  enabled;
- deactivate: the worker stopped; frames received while inactive are dropped (no skeletons for
  them);
- cleanup / shutdown: engines freed, interfaces destroyed.
`autostart` (default true) configures and activates right after start (console script, launch).

A frame's path: `_on_image` keeps only the newest message -> worker `_process`: stamp order check,
`image_conversion`, the camera (`inputs.CameraInput`, `camera_info.py`), `FrameProcessor.process`
(processor.py: detector / pose ROIs, crop model, reconstruction, tracker), then `_publish`
(conversions, markers, tf_output). Output headers carry the source image's stamp and frame. Bad
input never stops the stream: each problem gets a throttled log line and a /diagnostics status, and
the next good frame is processed normally.
"""

from __future__ import annotations

import ctypes
from dataclasses import replace
import gc
import os
import sys
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
from pose3d_msgs.msg import Skeleton3DArray, SkeletonInfo
from pose3d_ros.processor import FrameProcessor, ModelLoadError
from pose3d_ros.ros import conversions
from pose3d_ros.ros.camera_info import CameraModel
from pose3d_ros.ros.config import config_from_values, NodeConfig, PARAMETERS, validate
from pose3d_ros.ros.diagnostics import cap, diagnostic_array, ERROR, NodeStats, WARN
from pose3d_ros.ros.ground_tf import GroundTf
from pose3d_ros.ros.image_conversion import (
    decode_compressed,
    image_to_rgb,
    ImageConversionError,
    max_decode_pixels,
    rgb_to_image_fields,
)
from pose3d_ros.ros.inputs import CameraInput, StampGate
from pose3d_ros.ros.markers import MarkerBuilder
from pose3d_ros.ros.parameters import declare_parameters, SafeParameterService
from pose3d_ros.ros.tf_output import TfOutput, transform_track
from pose3d_ros.visualize import draw_people
from rcl_interfaces.msg import SetParametersResult
import rclpy
from rclpy.exceptions import InvalidParameterValueException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from visualization_msgs.msg import MarkerArray

LOG_THROTTLE_S = 5.0
SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


class Pose3DNode(LifecycleNode):
    """
    The pose3d lifecycle node: images and CameraInfo in, tracked 3D skeletons out.

    `processor_factory(config)` builds the frame processor on activate (default: the models named
    by the parameters); tests pass one with known output.
    """

    def __init__(self, processor_factory=None, **kwargs):
        super().__init__('pose3d_node', start_parameter_services=False, **kwargs)
        self._processor_factory = processor_factory or FrameProcessor
        # answers malformed requests with a reason
        self._parameter_service = SafeParameterService(self)
        declare_parameters(self, NodeConfig())
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.autostart = bool(self.get_parameter('autostart').value)
        # set on configure; replaced (never mutated) on updates
        self.config: NodeConfig | None = None
        self.processor = None  # frame processor, loaded on activate, freed on cleanup/shutdown
        self.failure = ''  # why the last transition failed
        self.finished = False  # shutdown transition done: main() returns
        self.stats = NodeStats()
        self.stats.state = 'unconfigured'
        self._active = False
        self._cond = threading.Condition()
        self._slot = None  # newest unprocessed (message, is_compressed)
        self._worker: threading.Thread | None = None
        self._stop = False
        self._subs, self._pubs, self._timer, self._diag_pub, self.tf = [], [], None, None, None
        # floor from TF, created with the other interfaces on configure
        self.ground_tf: GroundTf | None = None
        self.camera: CameraInput | None = None  # CameraInfo (last good one), created on configure
        self.stamps = StampGate(self._report)
        # problem kind -> monotonic time of its last log line
        self._last_log: dict[str, float] = {}
        self._warned: set[str] = set()  # warnings given once

    # ---------------------------------------------------------------- lifecycle
    def bring_up(self) -> bool:
        """Configure + activate (autostart). False with `failure` set when either fails."""
        self.trigger_configure()
        if self.stats.state == 'inactive':
            self.trigger_activate()
        return self.stats.state == 'active'

    def _fail(self, reason: str) -> TransitionCallbackReturn:
        self.failure = cap(reason, 2000)
        self.get_logger().error(self.failure)
        return FAILURE

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self.config = config_from_values(
                {name: self.get_parameter(name).value for name in PARAMETERS}
            )
            self._create_io(self.config)
        except (
            Exception
        ) as err:  # noqa: BLE001 - rclpy would turn it into a silent ERROR transition
            self._destroy_io()
            return self._fail(
                f'cannot configure: {err}'
                if isinstance(err, ValueError)
                else f'cannot configure: {type(err).__name__}: {err}'
            )
        self.stats.state = 'inactive'
        self.get_logger().info(f'configured; images on {self._image_topic}')
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.processor is None:
            try:
                self.processor = self._processor_factory(self.config)
            except ModelLoadError as err:
                return self._fail(str(err))
            except (
                Exception
            ) as err:  # noqa: BLE001 - an engine error not wrapped as ModelLoadError
                return self._fail(f'cannot load the models: {type(err).__name__}: {err}')
            self.skeleton = self.processor.skeleton
            self.markers = MarkerBuilder(self.skeleton, self.config.marker_lifetime_frames)
            self.stats.engine = self.processor.engines
            self.stats.models = (
                f'{self.config.detector_model} + {self.config.crop_model} -> {self.skeleton.name}'
            )
        self.processor.reset()
        self.stamps = StampGate(self._report)  # frames missed while inactive: start afresh
        result = super().on_activate(state)  # enables the lifecycle publishers
        self.pub_info.publish(conversions.skeleton_info_msg(self.skeleton))
        self._start_worker()
        self._active = True
        self.stats.state = 'active'
        self.get_logger().info(
            f'ready: {self.stats.models}, engine {self.stats.engine}; active, waiting for '
            f'images on {self._image_topic}'
        )
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._active = False
        self._stop_worker()
        self.stats.state = 'inactive'
        self.get_logger().info('inactive: frames are ignored until activated again')
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release()
        self._destroy_io()
        self.stats.state = 'unconfigured'
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release()
        self._destroy_io()
        self.stats.state = 'finalized'
        self.finished = True
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release()
        self._destroy_io()
        self.stats.state = 'unconfigured'
        return SUCCESS

    def release(self) -> None:
        """Stop processing and free the engines (idempotent)."""
        self._active = False
        self._stop_worker()
        if self.processor is not None:
            self.processor.close()
            self.processor = None
            gc.collect()
            _return_heap_to_os()
            self.get_logger().info('engines freed')

    # ---------------------------------------------------------------- parameters
    def _on_set_parameters(self, params) -> SetParametersResult:
        # others (use_sim_time, ...) are rclpy's
        ours = [p for p in params if p.name in PARAMETERS]
        problems = [m for p in ours if (m := validate(p.name, p.value))]
        if problems:
            return SetParametersResult(successful=False, reason=cap('; '.join(problems)))
        if self.config is not None and ours:
            self.config = replace(self.config, **{p.name: p.value for p in ours})
            if self.processor is not None:
                self.processor.apply(self.config)  # under the processor's lock
                self.markers.lifetime_frames = self.config.marker_lifetime_frames
        return SetParametersResult(successful=True)

    # ---------------------------------------------------------------- topics
    def _create_io(self, c: NodeConfig) -> None:
        reliability = (
            ReliabilityPolicy.BEST_EFFORT
            if c.qos_reliability == 'best_effort'
            else ReliabilityPolicy.RELIABLE
        )
        qos = QoSProfile(
            depth=c.qos_depth,
            reliability=reliability,
            history=HistoryPolicy.KEEP_LAST,
            durability=DurabilityPolicy.VOLATILE,
        )
        image = self.resolve_topic_name('image')  # after remapping (-r image:=/cam/image_raw)
        if c.use_compressed:  # image_transport's name: <image>/compressed
            self._image_topic = image + '/compressed'
            self._subs.append(
                self.create_subscription(
                    CompressedImage, self._image_topic, lambda m: self._on_image(m, True), qos
                )
            )
        else:
            self._image_topic = image
            self._subs.append(
                self.create_subscription(Image, image, lambda m: self._on_image(m, False), qos)
            )
        self.camera = CameraInput(
            self.resolve_topic_name('camera_info'),
            c.rectified_input,
            self._report,
            self.stats.clear,
        )
        self._subs.append(
            self.create_subscription(CameraInfo, 'camera_info', self.camera.on_camera_info, qos)
        )
        latched = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.TRANSIENT_LOCAL,
        )
        self.pub_skeletons = self.create_lifecycle_publisher(Skeleton3DArray, '~/skeletons', 10)
        self.pub_info = self.create_lifecycle_publisher(SkeletonInfo, '~/skeleton_info', latched)
        self.pub_markers = self.create_lifecycle_publisher(MarkerArray, '~/markers', 10)
        self.pub_debug = self.create_lifecycle_publisher(Image, '~/debug_image', 2)
        self._pubs = [self.pub_skeletons, self.pub_info, self.pub_markers, self.pub_debug]
        self._diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self._timer = self.create_timer(c.diagnostics_period_s, self._publish_diagnostics)
        self.tf = TfOutput(
            self,
            publish_tf=c.publish_tf,
            target_frame=c.target_frame,
            timeout_s=c.tf_timeout_s,
            report=self._report,
        )
        self.ground_tf = GroundTf(self, c.ground_plane_source)  # the floor from TF (needs tf2_ros)

    def _destroy_io(self) -> None:
        for sub in self._subs:
            self.destroy_subscription(sub)
        for pub in self._pubs:
            self.destroy_lifecycle_publisher(pub)
        if self._timer is not None:
            self.destroy_timer(self._timer)
        if self._diag_pub is not None:
            self.destroy_publisher(self._diag_pub)
        if self.tf is not None:
            self.tf.destroy()
        self._subs, self._pubs, self._timer, self._diag_pub, self.tf = [], [], None, None, None
        self.ground_tf = None
        self.camera = None

    def _on_image(self, msg, compressed: bool) -> None:
        if not self._active:
            return  # inactive: no skeletons for frames received now, also not after activation
        self.stats.on_received()
        with self._cond:
            if self._slot is not None:
                self.stats.on_dropped()  # the worker is busy: keep only the newest frame
            self._slot = (msg, compressed)
            self._cond.notify()

    # ---------------------------------------------------------------- worker
    def _start_worker(self) -> None:
        self._stop = False
        self._worker = threading.Thread(target=self._work, name='pose3d_worker', daemon=True)
        self._worker.start()

    def _stop_worker(self) -> None:
        with self._cond:
            self._stop = True
            self._slot = None
            self._cond.notify()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=10.0)
        self._worker = None

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
                self._report('pipeline', ERROR, f'frame failed: {type(err).__name__}: {err}')

    def _anyone_listening(self, c: NodeConfig) -> bool:
        return (
            c.process_when_unsubscribed
            or self.tf.active
            or any(
                p.get_subscription_count() > 0
                for p in (self.pub_skeletons, self.pub_markers, self.pub_debug)
            )
        )

    def _process(self, msg, compressed: bool) -> None:
        c = self.config  # one configuration for the whole frame
        if not self._anyone_listening(c):
            self.stats.on_skipped()
            return
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        verdict = self.stamps.check(stamp, c.backward_jump_reset_s)
        if verdict == 'drop':
            return
        if verdict == 'reset':
            self.processor.reset()
        try:
            rgb, reduced = (
                decode_compressed(msg, max_decode_pixels(c.max_image_side))
                if compressed
                else (image_to_rgb(msg), 1)
            )
        except ImageConversionError as err:
            self._report('image', ERROR, f'dropped image: {err}')
            return
        model = self.camera.model
        camera = self.camera.camera_for(
            rgb.shape[1], rgb.shape[0], c.allow_default_fov, c.default_fov_deg
        )
        if camera is None:
            return
        if self.ground_tf is not None:
            self.processor.depth.set_tf_plane(
                self.ground_tf.lookup(msg.header, self.config.ground_frame)
            )
        result = self.processor.process(rgb, camera, stamp)
        self.stats.ground_plane = self.processor.depth.describe()
        if result.factor != 1.0:
            self._report(
                'downscale',
                WARN,
                f'images of {camera.width}x{camera.height} downscaled by '
                f'{result.factor:.2f} (max_image_side {c.max_image_side})',
            )
        tracks = result.tracks
        if reduced != 1:  # JPEG decoded at 1/reduced: 2D back to the source image's pixels
            self._report(
                'decode_reduced',
                WARN,
                f'compressed images decoded at 1/{reduced} size '
                f'(max_image_side {c.max_image_side})',
            )
            tracks = [
                replace(
                    t,
                    box=t.box * reduced,
                    keypoints2d=None if t.keypoints2d is None else t.keypoints2d * reduced,
                )
                for t in tracks
            ]
        # rectified frame -> the header's frame
        if model is not None and model.rotation is not None:
            tracks = [transform_track(t, model.rotation, np.zeros(3)) for t in tracks]
        self._publish(self._output_header(msg.header, model), tracks, (rgb, result.tracks), c)
        now = self.get_clock().now().nanoseconds * 1e-9
        self.stats.on_processed(max(0.0, now - stamp), len(result.poses.scores), len(tracks))

    def _output_header(self, header, model: CameraModel | None):
        """Return the image's header; an empty frame_id takes the CameraInfo's (warned once)."""
        if header.frame_id:
            return header
        fallback = model.frame_id if model is not None else ''
        self._warn_once(
            'frame_id',
            f"images on {self._image_topic} have an empty frame_id; output frame '{fallback}'"
            + (' (from CameraInfo)' if fallback else ''),
        )
        header.frame_id = fallback
        return header

    def _publish(self, header, tracks, debug, c: NodeConfig) -> None:
        """
        tracks: in the header's frame, 2D in source pixels; debug.

        (rgb as processed, its tracks)
        """
        # body_<id> in the image's frame (REP-155)
        self.tf.broadcast(header, tracks, self.skeleton)
        target = self.tf.to_target(header, tracks)
        if target is None:
            return  # no transform to target_frame: skipped, never published under the wrong frame
        out_header, out_tracks = target
        self.pub_skeletons.publish(
            conversions.tracks_to_msg(out_tracks, out_header, self.skeleton.name)
        )
        if c.publish_markers:
            self.pub_markers.publish(
                self.markers.build(out_tracks, out_header, self.stamps.frame_period_s)
            )
        if c.publish_debug_image and self.pub_debug.get_subscription_count():
            rgb, drawn = debug
            people = [{'id': t.id, 'box': t.box, 'keypoints2d': t.keypoints2d} for t in drawn]
            image = Image(
                header=header, **rgb_to_image_fields(draw_people(rgb, people, self.skeleton.edges))
            )
            self.pub_debug.publish(image)

    # ---------------------------------------------------------------- health
    def _report(self, key: str, level: int, message: str) -> None:
        """
        Record a problem for /diagnostics and log it.

        At most once per LOG_THROTTLE_S for each kind
        """
        message = cap(message)
        self.stats.problem(key, level, message)
        now = time.monotonic()
        if now - self._last_log.get(key, -LOG_THROTTLE_S) >= LOG_THROTTLE_S:
            self._last_log[key] = now
            if level >= ERROR:  # rclpy requires one severity per call site
                self.get_logger().error(message)
            else:
                self.get_logger().warning(message)

    def _warn_once(self, key: str, message: str) -> None:
        self.stats.problem(key, WARN, cap(message))
        if key not in self._warned:
            self._warned.add(key)
            self.get_logger().warning(cap(message))

    def _publish_diagnostics(self) -> None:
        frame = (
            self.camera.model.frame_id
            if self.camera is not None and self.camera.model is not None
            else ''
        )
        self._diag_pub.publish(
            diagnostic_array(
                self.stats.snapshot(),
                self.get_name(),
                frame or 'camera',
                self.get_clock().now().to_msg(),
            )
        )


def _return_heap_to_os() -> None:
    """
    Glibc keeps freed heap pages mapped.

    Malloc_trim hands them back (the engines' memory on cleanup)
    """
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _developer_dds_defaults() -> None:
    """
    In a pip venv without a sourced ROS distro.

    Keep DDS on loopback unless the user chose otherwise.

    The domain is never chosen here (ROS_DOMAIN_ID stays the user's, default 0). On a robot
    (ROS_DISTRO set by setup.bash) the user's DDS settings are left alone.
    """
    if 'ROS_DISTRO' not in os.environ and 'ROS_AUTOMATIC_DISCOVERY_RANGE' not in os.environ:
        from pose3d_ros import rosenv

        rosenv.configure_loopback_dds(choose_domain=False)


def main(args=None, processor_factory=None) -> int:
    _developer_dds_defaults()
    with rclpy.init(args=args):
        node = None
        try:
            node = Pose3DNode(processor_factory)
            if node.autostart and not node.bring_up():
                print(f'pose3d_node: cannot start: {node.failure}', file=sys.stderr)
                return 1
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            # until Ctrl-C, SIGTERM or the shutdown transition
            while rclpy.ok() and not node.finished:
                executor.spin_once(timeout_sec=0.2)
        # a parameter given at start is refused
        except (ValueError, InvalidParameterValueException) as err:
            print(f'pose3d_node: cannot start: {err}', file=sys.stderr)
            return 1
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        finally:
            if node is not None:
                node.release()
                node.destroy_node()
    return 0


if __name__ == '__main__':
    sys.exit(main())
