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
Sample pose3d_msgs messages with awkward values, and a NaN-aware comparer.

Awkward: NaN joints, unicode ids.
"""

import math

from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Vector3
import numpy as np
from pose3d_msgs.msg import Skeleton3D, Skeleton3DArray, SkeletonInfo
from std_msgs.msg import Header

NAN = float('nan')


def sample_skeleton_array() -> Skeleton3DArray:
    people = []
    for k in range(3):
        s = Skeleton3D()
        s.id = f'{k + 7}'
        s.tracking_state = [Skeleton3D.STATE_NEW, Skeleton3D.STATE_TRACKED, Skeleton3D.STATE_LOST][
            k
        ]
        s.age = 10 * k + 1
        s.confidence = 0.25 * (k + 1)
        s.joints = [Point(x=0.1 * j + k, y=-0.05 * j, z=2.5 + k) for j in range(19)]
        s.joints[3] = Point(x=NAN, y=NAN, z=NAN)  # a joint the model cannot provide
        s.joint_confidence = [0.9 - 0.01 * j for j in range(19)]
        s.joint_confidence[3] = NAN
        s.root_position = Point(x=float(k), y=0.9, z=2.5 + k)
        s.root_velocity = Vector3(x=0.5, y=0.0, z=-0.25 * k)
        # m^2
        s.root_position_covariance = [0.01, 0.0, 0.003, 0.0, 0.01, 0.0, 0.003, 0.0, 0.04 * (k + 1)]
        s.box_x, s.box_y, s.box_width, s.box_height = 10.0 + k, 20.5, 80.25, 200.0
        s.keypoints_2d = [Point(x=100.0 + j, y=50.0 + 2 * j, z=0.0) for j in range(19)]
        s.keypoints_2d[3] = Point(x=NAN, y=NAN, z=0.0)
        people.append(s)
    msg = Skeleton3DArray()
    msg.header = Header(
        stamp=Time(sec=1_700_000_123, nanosec=456_789_000), frame_id='camera_color_optical_frame'
    )
    msg.skeleton_type = 'coco_19'
    msg.skeletons = people
    return msg


def sample_skeleton_info() -> SkeletonInfo:
    info = SkeletonInfo()
    info.skeleton_type = 'coco_19'
    info.joint_names = ['neck', 'nose', 'pelv', 'lsho']
    info.edges = [0, 1, 0, 2, 0, 3]
    return info


def assert_msg_equal(a, b, path='msg'):
    """Field-for-field equality; NaN equals NaN; floats compared exactly after the float32 cast."""
    if hasattr(a, 'get_fields_and_field_types'):
        assert type(a) is type(b), f'{path}: {type(a)} != {type(b)}'
        for field in a.get_fields_and_field_types():
            assert_msg_equal(getattr(a, field), getattr(b, field), f'{path}.{field}')
    elif isinstance(a, np.generic):  # elements of fixed-size numeric fields (numpy arrays)
        assert_msg_equal(a.item(), b.item(), path)
    elif isinstance(a, (list, tuple)) or hasattr(a, 'tolist') or type(a).__name__ == 'array':
        a, b = list(a), list(b)
        assert len(a) == len(b), f'{path}: length {len(a)} != {len(b)}'
        for i, (x, y) in enumerate(zip(a, b)):
            assert_msg_equal(x, y, f'{path}[{i}]')
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or a == b, f'{path}: {a} != {b}'
    else:
        assert a == b, f'{path}: {a!r} != {b!r}'
