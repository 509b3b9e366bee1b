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
The `make demo` path on a short slice of the real clip.

Node + recorder + player on loopback DDS, then the MCAP, the annotated video, the 3D picture and a
summary consistent with the bag.
"""

import json
from pathlib import Path

import cv2
import numpy as np
from pose3d_ros.tools import demo, render
import pytest


def _recount(mcap_path: Path) -> dict:
    """
    Skeleton frames, ids, most non-LOST people in a frame.

    Stamps and record latencies from the MCAP
    """
    from mcap.reader import make_reader
    from pose3d_msgs.msg import Skeleton3D, Skeleton3DArray
    from rclpy.serialization import deserialize_message

    out = {'frames': 0, 'ids': set(), 'people_max': 0, 'stamps': [], 'latency_ms': []}
    with open(mcap_path, 'rb') as f:
        for _, channel, message in make_reader(f).iter_messages(topics=['/pose3d_node/skeletons']):
            msg = deserialize_message(message.data, Skeleton3DArray)
            stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
            out['frames'] += 1
            out['stamps'].append(round(stamp, 6))
            out['latency_ms'].append((message.log_time * 1e-9 - stamp) * 1e3)
            out['ids'] |= {s.id for s in msg.skeletons}
            out['people_max'] = max(
                out['people_max'],
                sum(s.tracking_state != Skeleton3D.STATE_LOST for s in msg.skeletons),
            )
    return out


def test_demo_on_short_slice(tmp_path):
    out = tmp_path / 'demo'
    summary = demo.run_demo(demo.DEFAULT_CLIP, out, max_frames=15, rate=5.0, node_args=[])
    bag = Path(summary['bag'])
    assert list(bag.glob('*.mcap')) and (bag / 'metadata.yaml').is_file()
    data = render.read_skeleton_bag(bag)
    expected = {
        '/pose3d_node/skeletons',
        '/pose3d_node/markers',
        '/pose3d_node/skeleton_info',
        '/diagnostics',
        '/camera_info',
    }
    assert expected <= set(data['topics']), data['topics']
    assert data['topics']['/camera_info'] > 0 and data['topics']['/pose3d_node/skeleton_info'] == 1
    people = [p for f in data['frames'] for p in f['people']]
    assert people, 'no skeletons in the bag'
    joints = np.concatenate([p['joints'] for p in people])
    assert (
        np.isfinite(joints).all() and (joints[:, 2] > 1.0).all()
    ), 'joints not in metres in front of the camera'
    # The summary agrees with the bag read independently (mcap reader + rclpy's deserializer, not
    # render's
    # rosbags path) and with the player's own record of what it published.
    saved = json.loads((out / 'summary.json').read_text())
    ref = _recount(next(bag.glob('*.mcap')))
    # [[index, stamp_s], ...] from the player
    published = json.loads((out / 'stamps.json').read_text())
    assert len(published) == 15 and saved['frames_published'] == 15
    # How many of the 15 frames the node takes depends on the machine's load (it drops what arrives
    # while busy).
    assert saved['frames_processed'] == ref['frames'] and 1 <= ref['frames'] <= 15
    assert set(ref['stamps']) <= {round(s, 6) for _, s in published}  # outputs carry input stamps
    assert saved['tracks'] == len(ref['ids']) >= 1
    assert saved['people_per_frame_max'] == ref['people_max'] >= 1
    assert saved['latency_ms_p50'] == pytest.approx(np.percentile(ref['latency_ms'], 50), abs=1e-3)
    assert saved['latency_ms_p95'] == pytest.approx(np.percentile(ref['latency_ms'], 95), abs=1e-3)
    assert 0 < saved['latency_ms_p50'] < 10_000  # stamp-to-record, milliseconds
    # What a person looks at exists and is a real video / picture.
    video = cv2.VideoCapture(summary['video'])
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    picture = cv2.imread(summary['picture'])
    assert picture is not None and picture.shape[0] > 300 and picture.std() > 5
