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
pose3d_node in a real rclpy graph across processes.

Real photos in, skeletons/markers/diagnostics out, malformed input interleaved, the node stays
alive and processes the next good frame.
"""

import importlib.util

import cv2
import numpy as np
import pytest
from ros_helpers.graph import Harness, HERE, log_tail, start_node, stop

HAVE_TF2_ROS = importlib.util.find_spec('tf2_ros') is not None
PHOTO = HERE.parent / 'fixtures' / 'images' / 'messi5.jpg'


@pytest.fixture
def node_process(tmp_path):
    log = open(tmp_path / 'node.log', 'w')
    process = start_node('track_min_hits:=2', 'max_image_side:=1000', log=log)
    yield process
    stop(process)


def test_node_processes_photos_and_survives_bad_input(node_process, ros_context):
    h = Harness(ros_context)
    h.wait_for_node(node_process)
    assert h.lifecycle_state() == 'active'  # autostart (default true)
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
        assert out is not None, f'no output for good frame {s}'
        return out

    # a camera driver publishes CameraInfo continuously; the first image may not wait for it
    for _ in range(3):
        h.pub_info.publish(h.camera_info(width, height, stamp()))
        h.spin_until(lambda: False, 0.2)
    outputs = [good_frame() for _ in range(4)]
    for out in outputs:
        assert out.header.frame_id == 'test_camera_optical'
    assert h.info and h.info[0].skeleton_type == outputs[0].skeleton_type == 'blazepose_33'
    confirmed = [o for o in outputs if o.skeletons]
    assert len(confirmed) >= 2, 'person not tracked on repeated frames'
    ids = {s.id for o in confirmed for s in o.skeletons}
    assert len(ids) == 1, f'id not stable across frames: {ids}'
    person = confirmed[-1].skeletons[0]
    joints = np.array([[p.x, p.y, p.z] for p in person.joints])
    assert len(joints) == 33 and np.isfinite(joints).all()
    assert 1.0 < np.median(joints[:, 2]) < 10.0, 'depth not in metres in front of the camera'
    shoulders, torso = np.linalg.norm(joints[11] - joints[12]), np.linalg.norm(
        joints[11] - joints[23]
    )
    assert (
        0.25 < shoulders < 0.55 and 0.35 < torso < 0.75
    ), f'not metres: shoulders {shoulders:.2f}, torso {torso:.2f}'
    assert h.spin_until(lambda: any(m.markers for m in h.markers), 5)

    # Malformed input, each followed by a good frame that must be processed normally.
    # name -> (send the bad frame, what /diagnostics must say)
    long_encoding = 'x' * 65536
    bad_inputs = {
        'unknown encoding': (
            lambda s: h.send(h.image(rgb, s, encoding='32FC4')),
            'unsupported image encoding',
        ),
        '65536-char encoding': (
            lambda s: h.send(h.image(rgb, s, encoding=long_encoding)),
            'unsupported image encoding',
        ),
        'truncated data': (
            lambda s: h.send(h.image(rgb, s, data=h.image(rgb, s).data[:1000])),
            'truncated image data',
        ),
        'step mismatch': (lambda s: h.send(h.image(rgb, s, step=width)), 'step'),
        'empty image': (
            lambda s: h.send(h.image(rgb, s, width=0, height=0, data=b'', step=0)),
            'empty image',
        ),
        'size mismatch': (
            lambda s: h.send(
                h.image(rgb[:, : width // 2].copy(), s), h.camera_info(width, height, s)
            ),
            'does not match CameraInfo',
        ),
    }
    for name, (send_bad, needle) in bad_inputs.items():
        bad_stamp = stamp()
        h.diagnostics.clear()
        send_bad(bad_stamp)
        assert h.diagnosed(
            needle, b'\x02'
        ), f"{name}: no ERROR diagnostics with '{needle}': {h.diagnostic_messages()}"
        after = good_frame()
        assert node_process.poll() is None, f'node died after {name}'
        assert (
            h.output_for(bad_stamp, timeout_s=0.2) is None
        ), f'{name}: output published for a bad frame'
        assert after.skeletons, f"good frame after '{name}' not processed"
    longest = max(
        len(m)
        for d in h.diagnostics
        for s in d.status
        for m in [s.message, *(v.value for v in s.values)]
    )
    assert longest < 2000, 'diagnostics not capped'  # cap: 400 per problem, 1200 per status
    assert long_encoding not in log_tail(node_process, 200_000)

    # Refused CameraInfo (the image comes with it): the last good CameraInfo is kept and the frame
    # processed
    # with it, at the same depth. Plausibility: fx = 1e9 would put the person at 10^6 m, k1 = 1e6
    # at ~170 m,
    # k1 = -1.5 folds the image at 0.47 of the normalised radius (inside the frame).
    good_depth = np.median([p.z for p in good_frame().skeletons[0].joints])
    fx_huge = h.camera_info(width, height, (0, 0)).k
    fx_huge[0] = fx_huge[4] = 1e9
    refused = {
        'zero K': ({'k': [0.0] * 9}, 'K is all zeros'),
        'unknown distortion': ({'model': 'weird_model'}, 'unknown distortion model'),
        'fx 1e9': ({'k': list(fx_huge)}, 'focal length fx=1e+09 px is implausible'),
        'k1 1e6': ({'d': [1e6, 0.0, 0.0, 0.0, 0.0]}, 'shrinks the view'),
        'folding k1': ({'d': [-1.5, 0.0, 0.0, 0.0, 0.0]}, 'folds the image'),
    }
    for name, (fields, needle) in refused.items():
        s = stamp()
        h.diagnostics.clear()
        h.send(h.image(rgb, s), h.camera_info(width, height, s, **fields))
        assert h.diagnosed(needle, b'\x02') and h.diagnosed(
            'keeping the last good one', b'\x02'
        ), f'{name}: {h.diagnostic_messages()}'
        out = h.output_for(s)
        assert (
            out is not None and out.skeletons
        ), f'{name}: frame not processed with the last good CameraInfo'
        depth = np.median([p.z for p in out.skeletons[0].joints])
        assert (
            abs(depth - good_depth) < 0.1 * good_depth
        ), f'{name}: depth {depth:.2f} m vs {good_depth:.2f} m'

    # Images with an empty frame_id: published in the CameraInfo's frame, warned once (log) and on
    # /diagnostics.
    for _ in range(2):
        s = stamp()
        h.diagnostics.clear()
        h.send(h.image(rgb, s, frame=''), h.camera_info(width, height, s))
        out = h.output_for(s)
        assert out is not None and out.header.frame_id == 'test_camera_optical'
        assert h.diagnosed('empty frame_id')
    assert log_tail(node_process, 200_000).count('have an empty frame_id') == 1

    # Stamps jumping back by more than backward_jump_reset_s (1 s): processed, tracks restart.
    back = (50, 0)
    h.send(h.image(rgb, back), h.camera_info(width, height, back))
    assert h.output_for(back) is not None, log_tail(node_process)
    # A huge image is downscaled (max_image_side 1000) and still processed, 2D back in source
    # pixels.
    huge = cv2.resize(rgb, (width * 3, height * 3))
    out = good_frame(huge)
    for _ in range(2):
        out = good_frame(huge)
    assert out.skeletons, 'huge image not processed'
    # another image size restarts the tracks: the old ones end (LOST) in old pixels
    live = [k for k in out.skeletons if k.tracking_state != k.STATE_LOST]
    kp = np.array([[p.x, p.y] for p in live[0].keypoints_2d])
    assert np.nanmax(kp[:, 0]) > width, '2D keypoints not in source-image pixels'

    log = log_tail(node_process)
    assert 'stamp went backwards' in log and 'tracks restarted' in log and 'downscaled' in log
    assert node_process.poll() is None


def test_dynamic_parameters_validated(node_process, ros_context):
    from rcl_interfaces.msg import Parameter as ParameterMsg
    from rcl_interfaces.msg import ParameterValue
    from rcl_interfaces.srv import SetParameters, SetParametersAtomically
    from rclpy.parameter import Parameter
    from rclpy.parameter_client import AsyncParameterClient

    h = Harness(ros_context)
    h.wait_for_node(node_process)
    client = AsyncParameterClient(h.node, 'pose3d_node')
    assert client.wait_for_services(timeout_sec=10.0)

    def set_one(param):
        future = client.set_parameters([param])
        h.spin_until(future.done, 10)
        return future.result().results[0]

    result = set_one(Parameter('max_people', value=0))
    assert not result.successful and 'max_people out of range. Min: 1, Max: 100' in result.reason
    assert set_one(Parameter('detection_threshold', value=0.35)).successful
    assert not set_one(Parameter('engine', value='torch')).successful  # read-only after start
    # rclpy's own parameter, at run time
    assert set_one(Parameter('use_sim_time', value=True)).successful
    assert set_one(Parameter('use_sim_time', value=False)).successful

    # Hostile requests (issue 16): an unknown ParameterValue type, undeclared names, a 65536-char
    # string.
    bad_type = ParameterMsg(name='max_people', value=ParameterValue(type=99, integer_value=3))
    response = h.call(
        SetParameters, '/pose3d_node/set_parameters', SetParameters.Request(parameters=[bad_type])
    )
    assert response is not None and not response.results[0].successful
    assert 'invalid parameter value' in response.results[0].reason
    response = h.call(
        SetParametersAtomically,
        '/pose3d_node/set_parameters_atomically',
        SetParametersAtomically.Request(parameters=[bad_type]),
    )
    assert response is not None and not response.result.successful and response.result.reason
    huge = ParameterMsg(name='x' * 65536, value=ParameterValue(type=4, string_value='y' * 65536))
    response = h.call(
        SetParameters, '/pose3d_node/set_parameters', SetParameters.Request(parameters=[huge])
    )
    assert (
        response is not None
        and not response.results[0].successful
        and len(response.results[0].reason) < 1000
    )
    assert node_process.poll() is None, log_tail(node_process)
    assert set_one(Parameter('max_people', value=5)).successful  # the service still answers


@pytest.mark.parametrize(
    'param,needle',
    [
        ('crop_model:=/nonexistent/model.onnx', '/nonexistent/model.onnx'),
        ('max_people:=0', 'max_people out of range. Min: 1, Max: 100'),
        ('engine:=tensorrtt', 'engine must be one of auto, tensorrt'),
        pytest.param(
            'target_frame:=map',
            "target_frame 'map' needs tf2_ros",
            marks=pytest.mark.skipif(HAVE_TF2_ROS, reason='tf2_ros here'),
        ),
    ],
)
def test_bad_start_exits_non_zero_with_reason(param, needle):
    process = start_node(param)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 1, out
    assert needle in out and 'Traceback' not in out, out
