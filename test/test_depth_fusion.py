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

"""DepthFusion: which floor is used for each ground_plane_source, and what 'off' leaves alone."""

import numpy as np
from pose3d_ros.core import skeletons
from pose3d_ros.core.ground import GroundPlane
from pose3d_ros.tracking.depth_fusion import DepthFusion, GroundSettings
import pytest

SKEL = skeletons.get_skeleton('blazepose_33')


def one_person():
    """
    Return a template adult 4 m in front of a camera 1.2 m up looking level.

    Joints (1, J, 3), 2D (1, J, 2), conf
    """
    body = skeletons.template_pose(SKEL)  # x left, y up, z forward (body frame)
    # facing the camera
    cam = np.stack([-body[:, 0], 1.2 - 0.96 - body[:, 1], 4.0 - body[:, 2]], axis=1)
    uv = 500.0 * cam[:, :2] / cam[:, 2:] + [320.0, 240.0]
    return cam[None], uv[None], np.ones((1, len(cam)))


@pytest.mark.parametrize(
    'source,height,tf,expect',
    [
        ('auto', 1.2, True, 'tf'),
        ('auto', 1.2, False, 'params'),
        ('auto', 0.0, False, None),
        ('params', 1.2, True, 'params'),
        ('tf', 1.2, False, None),
        ('estimate', 1.2, True, None),
        ('off', 1.2, True, None),
    ],
)
def test_plane_source_order(source, height, tf, expect):
    fusion = DepthFusion(GroundSettings(source, height, 5.0, 0.0))
    if tf:
        fusion.set_tf_plane(GroundPlane(np.array([0.0, -1.0, 0.0]), 1.3, source='tf'))
    plane = fusion.plane()  # the estimate has no samples yet
    assert (plane.source if plane is not None else None) == expect
    assert fusion.describe().startswith('off' if source == 'off' else (expect or source))


def test_off_leaves_the_poses_alone_and_params_rescale_about_the_camera():
    joints, uv, conf = one_person()
    off = DepthFusion(GroundSettings('off'))
    same, depth = off.process(0.0, joints * 0.9, uv, conf, 'blazepose_33', 500.0, (640, 480))
    assert depth is None and np.allclose(same, joints * 0.9)
    fused, depth = DepthFusion(GroundSettings('params', 1.2, 0.0, 0.0)).process(
        0.0, joints * 0.9, uv, conf, 'blazepose_33', 500.0, (640, 480)
    )
    # one factor about the camera centre
    assert np.allclose(fused[0], joints[0] * 0.9 * depth.scale[0])
    assert abs(depth.scale[0] * 0.9 - 1) < 0.05  # back near the true size
    with pytest.raises(ValueError):
        DepthFusion(GroundSettings('floor'))
