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
pose3d_node with its default parameters in a real rclpy graph.

Every person of a photo is in the answer to that photo's first frame (NEW until confirmed), and a 1
Hz camera gets its people published and confirmed.
"""

from __future__ import annotations

import cv2
from pose3d_msgs.msg import Skeleton3D
from ros_helpers.graph import Harness, HERE, log_tail, start_node, stop

# people visible, counted by eye
PHOTOS = {'basketball1': 2, 'messi5': 1, 'camera': 1, 'astronaut': 1}


def _rgb(name: str):
    return cv2.cvtColor(
        cv2.imread(str(HERE.parent / 'fixtures' / 'images' / f'{name}.jpg')), cv2.COLOR_BGR2RGB
    )


def test_photos_answered_in_their_first_frame_and_one_hertz_camera(tmp_path, ros_context):
    log = open(tmp_path / 'node.log', 'w')
    node = start_node(log=log)  # default parameters: track_min_hits 3
    try:
        h = Harness(ros_context)
        h.wait_for_node(node)
        sec = 1000
        # each photo once; its stamp 20 s before the previous one, so
        for name, people in PHOTOS.items():
            rgb = _rgb(name)  # the node starts afresh (a bag loop) and this photo is a first frame
            sec -= 20
            info = h.camera_info(rgb.shape[1], rgb.shape[0], (sec, 0))
            h.prime(info)
            h.send(h.image(rgb, (sec, 0)), info)
            out = h.output_for((sec, 0))
            assert out is not None, log_tail(node)
            live = [s for s in out.skeletons if s.tracking_state != Skeleton3D.STATE_LOST]
            assert len(live) == people, (name, [(s.id, s.tracking_state) for s in out.skeletons])
            assert all(s.tracking_state == Skeleton3D.STATE_NEW for s in live)

        # a 1 Hz camera (1 s between frames, longer than track_max_coast_s)
        rgb = _rgb('basketball1')
        sec += 100
        states = []
        for k in range(5):
            sec += 1
            info = h.camera_info(rgb.shape[1], rgb.shape[0], (sec, 0))
            h.send(h.image(rgb, (sec, 0)), info)
            out = h.output_for((sec, 0))
            assert out is not None, log_tail(node)
            states.append(
                sorted(
                    (s.id, s.tracking_state)
                    for s in out.skeletons
                    if s.tracking_state != Skeleton3D.STATE_LOST
                )
            )
        assert all(len(s) == 2 for s in states), states
        ids = {i for i, _ in states[0]}
        assert all({i for i, _ in s} == ids for s in states), states  # same two people throughout
        # confirmed
        assert all(state == Skeleton3D.STATE_TRACKED for s in states[2:] for _, state in s), states
    finally:
        stop(node)
