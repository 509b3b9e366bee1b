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
pose3d-run without a ROS graph.

Video -> JSON, rosbag2 (Image / CompressedImage + CameraInfo) -> MCAP/JSON, intrinsics files, and
clear errors with non-zero exits.
"""

import json
from pathlib import Path

import cv2
import numpy as np
from pose3d_ros.media import read_frames
from pose3d_ros.tools.player import camera_info_fields
from pose3d_ros.tools.run import main
import pytest

CLIP = Path(__file__).resolve().parent.parent / 'data' / 'vtest_200.mp4'


def write_bag(path: Path, frames: int, compressed: bool) -> None:
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import get_typestore, Stores

    store = get_typestore(Stores.LATEST)
    T = store.types
    with Writer(path, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        kind = 'sensor_msgs/msg/CompressedImage' if compressed else 'sensor_msgs/msg/Image'
        image_conn = writer.add_connection('/cam/image', kind, typestore=store)
        info_conn = writer.add_connection(
            '/cam/camera_info', 'sensor_msgs/msg/CameraInfo', typestore=store
        )
        for i, _, rgb in read_frames(CLIP, frames):
            ns = 1_000_000_000 + i * 100_000_000
            header = T['std_msgs/msg/Header'](
                stamp=T['builtin_interfaces/msg/Time'](sec=ns // 10**9, nanosec=ns % 10**9),
                frame_id='cam',
            )
            f = camera_info_fields(rgb.shape[1], rgb.shape[0], 60.0)
            roi = T['sensor_msgs/msg/RegionOfInterest'](
                x_offset=0, y_offset=0, height=0, width=0, do_rectify=False
            )
            info = T['sensor_msgs/msg/CameraInfo'](
                header=header,
                height=f['height'],
                width=f['width'],
                distortion_model='plumb_bob',
                d=np.zeros(5),
                k=np.array(f['k']),
                r=np.array(f['r']),
                p=np.array(f['p']),
                binning_x=0,
                binning_y=0,
                roi=roi,
            )
            writer.write(info_conn, ns, store.serialize_cdr(info, info_conn.msgtype))
            if compressed:
                data = cv2.imencode('.jpg', cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].reshape(-1)
                msg = T[kind](header=header, format='jpeg', data=data)
            else:
                msg = T[kind](
                    header=header,
                    height=rgb.shape[0],
                    width=rgb.shape[1],
                    encoding='rgb8',
                    is_bigendian=0,
                    step=rgb.shape[1] * 3,
                    data=rgb.reshape(-1),
                )
            writer.write(image_conn, ns, store.serialize_cdr(msg, kind))


def test_video_to_json(tmp_path):
    out = tmp_path / 'out.json'
    assert main([str(CLIP), '-o', str(out), '--max-frames', '6', '--no-progress']) == 0
    data = json.loads(out.read_text())
    assert data['skeleton_type'] == 'blazepose_33' and len(data['frames']) == 6
    assert [f['index'] for f in data['frames']] == list(range(6))
    people = [p for f in data['frames'] for p in f['people']]
    assert people, 'nobody found in 6 frames of a street with pedestrians'
    z = [j[2] for p in people for j in p['joints'] if j[2] is not None]
    assert 3.0 < np.median(z) < 40.0  # metres, people across the street
    assert all(len(p['joints_2d']) == 33 and len(p['box']) == 4 for p in people)


@pytest.mark.parametrize('compressed', [False, True])
def test_bag_to_mcap_and_json(tmp_path, compressed):
    bag = tmp_path / 'in_bag'
    write_bag(bag, 5, compressed)
    out = tmp_path / 'out.mcap'
    assert main([str(bag), '-o', str(out), '--no-progress']) == 0
    assert out.is_file()
    _check_mcap(out, expected_frames=5)
    out_json = tmp_path / 'out.json'
    assert main([str(bag), '-o', str(out_json), '--no-progress']) == 0
    frames = json.loads(out_json.read_text())['frames']
    assert [round(f['stamp'], 3) for f in frames] == [1.0, 1.1, 1.2, 1.3, 1.4]


def _check_mcap(path: Path, expected_frames: int) -> None:
    """
    Read the single .mcap with the mcap library.

    The node's topics, ros2msg schemas, 5 skeleton messages
    """
    from mcap.reader import make_reader

    with open(path, 'rb') as f:
        reader = make_reader(f)
        summary = reader.get_summary()
        topics = {c.topic: summary.schemas[c.schema_id].name for c in summary.channels.values()}
        counts = summary.statistics.channel_message_counts
        by_topic = {summary.channels[cid].topic: n for cid, n in counts.items()}
    assert topics['/pose3d_node/skeletons'] == 'pose3d_msgs/msg/Skeleton3DArray'
    assert {'/pose3d_node/markers', '/pose3d_node/skeleton_info', '/camera_info'} <= set(topics)
    assert (
        by_topic['/pose3d_node/skeletons'] == expected_frames
        and by_topic['/pose3d_node/skeleton_info'] == 1
    )


def test_intrinsics_file_changes_depth(tmp_path):
    wide, narrow = tmp_path / 'wide.json', tmp_path / 'narrow.yaml'
    for path, fov in ((wide, 70.0), (narrow, 40.0)):
        f = camera_info_fields(768, 576, fov)
        if path.suffix == '.json':
            path.write_text(json.dumps({'K': f['k'], 'width': 768, 'height': 576}))
        else:
            path.write_text(
                'image_width: 768\nimage_height: 576\ncamera_matrix:\n  rows: 3\n  cols: 3\n '
                f" data: {f['k']}\ndistortion_model: plumb_bob\ndistortion_coefficients:\n  data:"
                ' [0, 0, 0, 0, 0]\n'
            )
    depths = {}
    for path in (wide, narrow):
        out = tmp_path / f'{path.stem}.json'
        assert (
            main(
                [
                    str(CLIP),
                    '-o',
                    str(out),
                    '--max-frames',
                    '4',
                    '--intrinsics',
                    str(path),
                    '--no-progress',
                ]
            )
            == 0
        )
        frames = json.loads(out.read_text())['frames']
        depths[path.stem] = np.median(
            [j[2] for f in frames for p in f['people'] for j in p['joints'] if j[2] is not None]
        )
    # A longer focal length (narrower field of view) puts the same pixels farther away, roughly by
    # the ratio of f.
    ratio = np.tan(np.radians(35)) / np.tan(np.radians(20))
    assert depths['narrow'] / depths['wide'] == pytest.approx(ratio, rel=0.15)


def test_errors_exit_non_zero(tmp_path, capsys):
    assert main([str(tmp_path / 'missing.mp4'), '-o', str(tmp_path / 'o.json')]) == 2
    assert 'input not found' in capsys.readouterr().err
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'not a video')
    assert main([str(broken), '-o', str(tmp_path / 'o.json')]) == 2
    # read once: a second readouterr() returns only what came after the first
    err = capsys.readouterr().err
    assert 'cannot open video' in err or 'no frame' in err, err
    empty_bag = tmp_path / 'no_images'
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import get_typestore, Stores

    with Writer(empty_bag, version=9, storage_plugin=StoragePlugin.MCAP) as writer:
        writer.add_connection(
            '/chatter', 'std_msgs/msg/String', typestore=get_typestore(Stores.LATEST)
        )
    assert main([str(empty_bag), '-o', str(tmp_path / 'o.json')]) == 2
    assert 'no Image/CompressedImage topic' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(CLIP), '-o', str(tmp_path / 'o.txt')])
