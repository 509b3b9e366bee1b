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
`pose3d-run INPUT -o OUTPUT`.

Absolute 3D skeletons from a video, an image folder or a rosbag2, no ROS graph.

INPUT: a video file, a folder of images, an image, or a rosbag2 folder (Image or CompressedImage +
CameraInfo topics; chosen with --image-topic / --camera-info-topic, else found by type).
Intrinsics: from the bag's CameraInfo, --intrinsics FILE (ROS camera_calibration YAML, or JSON with
K, D, width, height), or the default field of view (--fov). The floor for metric depth:
--camera-height / --camera-pitch / --camera-roll, else estimated from people's feet. OUTPUT by
extension: .json (per frame: index, stamp, people with id, joints [[x, y, z]] metres, joints_2d,
box, confidence, root_covariance: 9 values row-major, m^2), .mcap (the node's messages) or .mp4
(annotated video). Exits non-zero when nothing could be processed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
import json
from pathlib import Path
import shutil
import sys
import tempfile

import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.core.camera import Camera, InvalidCameraError
from pose3d_ros.media import MediaError, read_frames, video_fps

DEFAULTS = Pose3DConfig()  # the node's parameter defaults

OUTPUT_KINDS = ('.json', '.mcap', '.mp4')


class InputError(ValueError):
    """The input or the intrinsics cannot be used; the message says why."""


def load_intrinsics(path: Path) -> dict:
    """
    Read camera intrinsics from a camera_calibration YAML or a JSON file.

    Returns {'k', 'd', 'distortion_model', 'width', 'height'}.
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text())  # JSON is YAML too
    except (OSError, yaml.YAMLError) as err:
        raise InputError(f'cannot read intrinsics file {path}: {err}') from err
    try:
        if 'camera_matrix' in data:  # ROS camera_calibration format
            return {
                'k': data['camera_matrix']['data'],
                'd': data.get('distortion_coefficients', {}).get('data', []),
                'distortion_model': data.get('distortion_model', 'plumb_bob'),
                'width': data['image_width'],
                'height': data['image_height'],
            }
        return {
            'k': np.asarray(data['K'], float).ravel().tolist(),
            'd': data.get('D', []),
            'distortion_model': data.get(
                'distortion_model', 'plumb_bob' if data.get('D') else 'none'
            ),
            'width': data['width'],
            'height': data['height'],
        }
    except (KeyError, TypeError) as err:
        raise InputError(
            f'intrinsics file {path} lacks {err} (need camera_matrix/image_width/image_height, '
            'or K/width/height)'
        ) from err


def frames_from_bag(
    bag: Path, image_topic: str | None, info_topic: str | None, max_frames: int | None
) -> Iterator[tuple[int, float, np.ndarray, dict | None]]:
    """Yield (index, stamp_s, rgb, camera_info fields or None) from a rosbag2 folder."""
    from pose3d_ros.bags import pose3d_typestore
    from pose3d_ros.ros.image_conversion import (
        compressed_to_rgb,
        image_to_rgb,
        ImageConversionError,
    )
    from rosbags.rosbag2 import Reader

    if bag.suffix == '.mcap' and (bag.parent / 'metadata.yaml').is_file():
        bag = bag.parent
    try:
        reader = Reader(bag)
        reader.open()
    except Exception as err:  # noqa: BLE001 - rosbags raises several types for unreadable bags
        raise InputError(
            f'cannot open rosbag2 {bag}: {err} (pass the bag folder with metadata.yaml)'
        ) from err
    store = pose3d_typestore()
    images = [
        c
        for c in reader.connections
        if c.msgtype in ('sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage')
        and (image_topic is None or c.topic == image_topic)
    ]
    infos = [
        c
        for c in reader.connections
        if c.msgtype == 'sensor_msgs/msg/CameraInfo'
        and (info_topic is None or c.topic == info_topic)
    ]
    if not images:
        topics = sorted(f'{c.topic} ({c.msgtype})' for c in reader.connections)
        reader.close()
        raise InputError(
            f"no Image/CompressedImage topic {image_topic or ''} in {bag}; topics: {topics}"
        )
    info = None
    index = 0
    try:
        for connection, _, data in reader.messages(connections=[images[0]] + infos[:1]):
            msg = store.deserialize_cdr(data, connection.msgtype)
            if connection.msgtype.endswith('CameraInfo'):
                info = {
                    'k': list(msg.k),
                    'd': list(msg.d),
                    'distortion_model': msg.distortion_model,
                    'width': msg.width,
                    'height': msg.height,
                }
                continue
            try:
                rgb = (
                    compressed_to_rgb(msg)
                    if connection.msgtype.endswith('CompressedImage')
                    else image_to_rgb(msg)
                )
            except ImageConversionError as err:
                print(f'pose3d-run: skipping frame {index}: {err}', file=sys.stderr)
                continue
            yield index, msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9, rgb, info
            index += 1
            if max_frames is not None and index >= max_frames:
                break
    finally:
        reader.close()


def camera_for(rgb: np.ndarray, info: dict | None, fov_deg: float) -> Camera:
    if info is None:
        return Camera.from_fov(rgb.shape[1], rgb.shape[0], fov_deg)
    camera = Camera.from_camera_info(
        info['k'], info['d'], info['distortion_model'], info['width'], info['height']
    )
    # InvalidCameraError on mismatch
    return camera.fit_to_image(rgb.shape[1], rgb.shape[0], tolerance_px=1.0)


def person_json(track) -> dict:
    def nan_to_none(a):
        return [
            [None if not np.isfinite(v) else round(float(v), 4) for v in row] for row in a
        ]  # noqa: E731

    return {
        'id': track.id,
        'state': int(track.state),
        'confidence': round(float(track.confidence), 4),
        'joints': nan_to_none(track.joints),
        'joints_2d': nan_to_none(track.keypoints2d) if track.keypoints2d is not None else None,
        'box': [round(float(v), 2) for v in track.box],
        'root_covariance': (
            None
            if track.root_covariance is None
            else [round(float(v), 6) for v in np.asarray(track.root_covariance).reshape(9)]
        ),
    }


class McapOutput:
    """
    Write the node's messages to one .mcap file.

    Skeletons, markers, skeleton_info and camera_info.
    """

    def __init__(self, path: Path, skeleton):
        from pose3d_ros.bags import pose3d_typestore
        from pose3d_ros.ros import conversions
        from pose3d_ros.ros.markers import MarkerBuilder
        from rclpy.serialization import serialize_message
        from rosbags.rosbag2 import StoragePlugin, Writer

        self._serialize, self._conversions = serialize_message, conversions
        self.path, self.skeleton = path, skeleton
        self._tmp = Path(tempfile.mkdtemp(prefix='pose3d_run_'))
        self._writer = Writer(self._tmp / 'bag', version=9, storage_plugin=StoragePlugin.MCAP)
        self._writer.open()
        store = pose3d_typestore()
        topics = {
            'skeletons': ('/pose3d_node/skeletons', 'pose3d_msgs/msg/Skeleton3DArray'),
            'markers': ('/pose3d_node/markers', 'visualization_msgs/msg/MarkerArray'),
            'info': ('/pose3d_node/skeleton_info', 'pose3d_msgs/msg/SkeletonInfo'),
            'camera_info': ('/camera_info', 'sensor_msgs/msg/CameraInfo'),
        }
        self._conn = {
            k: self._writer.add_connection(t, m, typestore=store) for k, (t, m) in topics.items()
        }
        self._markers = MarkerBuilder(skeleton)
        self._writer.write(
            self._conn['info'], 0, serialize_message(conversions.skeleton_info_msg(skeleton))
        )

    def write(self, stamp: float, tracks, camera: Camera, period_s: float) -> None:
        from builtin_interfaces.msg import Time
        from sensor_msgs.msg import CameraInfo
        from std_msgs.msg import Header

        ns = int(round(stamp * 1e9))
        header = Header(
            stamp=Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000),
            frame_id='camera_optical_frame',
        )
        info = CameraInfo(
            header=header,
            width=camera.width,
            height=camera.height,
            k=camera.K.ravel().tolist(),
            d=np.asarray(camera.dist, float).tolist(),
            distortion_model='plumb_bob' if camera.dist_model == 'none' else camera.dist_model,
        )
        msgs = {
            'camera_info': info,
            'skeletons': self._conversions.tracks_to_msg(tracks, header, self.skeleton.name),
            'markers': self._markers.build(tracks, header, period_s),
        }
        for key, msg in msgs.items():
            self._writer.write(self._conn[key], max(ns, 1), self._serialize(msg))

    def close(self) -> None:
        self._writer.close()
        shutil.move(str(next((self._tmp / 'bag').glob('*.mcap'))), self.path)
        shutil.rmtree(self._tmp, ignore_errors=True)


def build_parser() -> argparse.ArgumentParser:
    """pose3d-run's command line."""
    parser = argparse.ArgumentParser(prog='pose3d-run', description=__doc__.split('\n\n')[0])
    parser.add_argument('input', type=Path)
    parser.add_argument(
        '-o', '--output', type=Path, required=True, help='output .json, .mcap or .mp4'
    )
    parser.add_argument(
        '--image-topic', default=None, help='bag input: Image or CompressedImage topic'
    )
    parser.add_argument('--camera-info-topic', default=None, help='bag input: CameraInfo topic')
    parser.add_argument(
        '--fov',
        type=float,
        default=55.0,
        help='field of view over the longer side when no intrinsics',
    )
    parser.add_argument(
        '--intrinsics',
        type=Path,
        default=None,
        help='camera_calibration YAML or JSON (K, D, width, height)',
    )
    parser.add_argument('--detector', default=DEFAULTS.detector_model)
    parser.add_argument('--crop-model', default=DEFAULTS.crop_model)
    parser.add_argument('--skeleton-type', default='')
    parser.add_argument('--engine', default=DEFAULTS.engine)
    parser.add_argument('--device', default=DEFAULTS.device)
    parser.add_argument(
        '--camera-height',
        type=float,
        default=0.0,
        help=(
            'camera optical centre above the floor, metres (default 0: unknown, the floor is '
            "estimated from people's feet and scaled by the height prior)"
        ),
    )
    parser.add_argument(
        '--camera-pitch',
        type=float,
        default=0.0,
        help='with --camera-height: optical axis below the horizontal, degrees (positive down)',
    )
    parser.add_argument(
        '--camera-roll',
        type=float,
        default=0.0,
        help=(
            'with --camera-height: about the optical axis, degrees (positive = the world appears '
            'turned clockwise)'
        ),
    )
    parser.add_argument(
        '--ground-plane-source',
        default=DEFAULTS.ground_plane_source,
        choices=('auto', 'params', 'estimate', 'off'),
        help='auto: the parameters when --camera-height is given, else the estimate',
    )
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument('--no-progress', action='store_true')
    return parser


def config_from_args(args: argparse.Namespace):
    """
    Return the Pose3DConfig of a pose3d-run command line.

    The node's defaults with the given options
    """
    return Pose3DConfig(
        detector_model=args.detector,
        crop_model=args.crop_model,
        skeleton_type=args.skeleton_type,
        engine=args.engine,
        device=args.device,
        ground_plane_source=args.ground_plane_source,
        camera_height_m=args.camera_height,
        camera_pitch_deg=args.camera_pitch,
        camera_roll_deg=args.camera_roll,
    )


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    kind = args.output.suffix.lower()
    if kind not in OUTPUT_KINDS:
        parser.error(
            f"output must end in one of {', '.join(OUTPUT_KINDS)}, got '{args.output.name}'"
        )

    from pose3d_ros.processor import FrameProcessor, ModelLoadError
    from tqdm import tqdm

    try:
        processor = FrameProcessor(config_from_args(args))
        skeleton = processor.skeleton
        fixed_info = load_intrinsics(args.intrinsics) if args.intrinsics else None
        if not args.input.exists():
            raise InputError(f'input not found: {args.input}')
        is_bag = (
            args.input.is_dir()
            and (args.input / 'metadata.yaml').is_file()
            or args.input.suffix == '.mcap'
        )
        if is_bag:
            source = frames_from_bag(
                args.input, args.image_topic, args.camera_info_topic, args.max_frames
            )
            fps = 0.0
        else:
            fps = video_fps(args.input)
            source = ((i, t, rgb, None) for i, t, rgb in read_frames(args.input, args.max_frames))
        frames_out, processed, writer = [], 0, None
        mcap = McapOutput(args.output, skeleton) if kind == '.mcap' else None
        last_stamp = None
        for index, stamp, rgb, info in tqdm(
            source, desc='pose3d-run', unit='frame', disable=args.no_progress
        ):
            camera = camera_for(rgb, fixed_info or info, args.fov)
            tracks = processor.process(rgb, camera, stamp).tracks
            period = (
                (stamp - last_stamp)
                if last_stamp is not None and stamp > last_stamp
                else 1 / (fps or 10.0)
            )
            last_stamp = stamp
            if kind == '.json':
                frames_out.append(
                    {'index': index, 'stamp': stamp, 'people': [person_json(t) for t in tracks]}
                )
            elif kind == '.mcap':
                mcap.write(stamp, tracks, camera, period)
            else:
                writer = _write_video_frame(
                    writer, args.output, rgb, tracks, skeleton, fps or 10.0
                )
            processed += 1
    except (InputError, MediaError, InvalidCameraError, ModelLoadError) as err:
        print(f'pose3d-run: error: {err}', file=sys.stderr)
        return 2
    if mcap is not None:
        mcap.close()
    if writer is not None:
        writer.release()
    if not processed:
        print(f'pose3d-run: error: no frame could be processed from {args.input}', file=sys.stderr)
        return 1
    if kind == '.json':
        args.output.write_text(
            json.dumps(
                {
                    'skeleton_type': skeleton.name,
                    'joint_names': list(skeleton.joint_names),
                    'edges': [list(e) for e in skeleton.edges],
                    'units': 'metres',
                    'frame': 'camera optical frame (x right, y down, z forward)',
                    'frames': frames_out,
                }
            )
        )
    print(f'pose3d-run: {processed} frames -> {args.output}', file=sys.stderr)
    return 0


def _write_video_frame(writer, path: Path, rgb, tracks, skeleton, fps: float):
    import cv2
    from pose3d_ros.tracking import TrackState
    from pose3d_ros.visualize import draw_people

    if writer is None:
        writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (rgb.shape[1], rgb.shape[0])
        )
    live = [t for t in tracks if t.state != TrackState.LOST]
    writer.write(cv2.cvtColor(draw_people(rgb, live, skeleton.edges), cv2.COLOR_RGB2BGR))
    return writer


if __name__ == '__main__':
    sys.exit(main())
