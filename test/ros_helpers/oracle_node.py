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
pose3d_node with a known synthetic person instead of the models.

A child process of the node graph tests.

The pipeline under the real FrameProcessor places one template adult (core.skeletons.template_pose,
blazepose_33) with its hip midpoint on the viewing ray of pixel ORACLE_PIXEL of the camera the node
passes in, at depth ORACLE_DEPTH_M, turned by ORACLE_YAW_DEG about its vertical (0 = facing the
camera). Everything else (FrameProcessor, Tracker, and all of ROS: lifecycle, camera model, stamps,
TF, publishing) is the node's own code.
"""

from pathlib import Path
import sys
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from pose3d_ros import rosenv  # noqa: E402

rosenv.require_loopback_dds()  # the parent test passes the loopback environment

import numpy as np  # noqa: E402, I100
from pose3d_ros.core.skeletons import get_skeleton, template_pose  # noqa: E402
from pose3d_ros.pipeline import FramePoses  # noqa: E402
from pose3d_ros.processor import FrameProcessor  # noqa: E402
from pose3d_ros.ros import node  # noqa: E402
from scipy.spatial.transform import Rotation  # noqa: E402

ORACLE_PIXEL = (400.0, 260.0)  # image pixel on whose ray the hip midpoint lies
ORACLE_DEPTH_M = 3.0  # z of the hip midpoint, metres
ORACLE_YAW_DEG = 30.0  # turn about the body's vertical; 0 = facing the camera
# body (x left, y up, z forward) facing the camera -> optical
BODY_TO_CAMERA = np.diag([1.0, -1.0, -1.0])


def oracle_person(camera) -> tuple[np.ndarray, np.ndarray]:
    """
    Pose the oracle person.

    Returns (J, 3) metres in the camera frame and the (3, 3) body-to-camera rotation (columns:
    left, up, forward).
    """
    skeleton = get_skeleton('blazepose_33')
    body = template_pose(skeleton)  # (J, 3) x left, y up, z forward, pelvis at 0
    rotation = BODY_TO_CAMERA @ Rotation.from_euler('y', ORACLE_YAW_DEG, degrees=True).as_matrix()
    hips = 0.5 * (body[skeleton.keys.index('lhip')] + body[skeleton.keys.index('rhip')])
    ray = camera.backproject(np.asarray(ORACLE_PIXEL))  # (3,) unit ray
    return (body - hips) @ rotation.T + ray / ray[2] * ORACLE_DEPTH_M, rotation


class _OracleDetector:
    """
    Detector interface.

    The oracle person's box (settable thresholds, as FrameProcessor.apply expects)
    """

    def __init__(self, pipeline):
        self._pipeline = pipeline
        self.score_threshold, self.max_detections, self.min_box_size = 0.5, 10, 0.0

    def detect(self, rgb):
        return SimpleNamespace(
            boxes=self._pipeline.last_box[None], scores=np.array([0.9], np.float32)
        )


class OraclePipeline:
    """
    The Pose3DPipeline interface with a known person instead of detector and crop model.

    The node runs the real FrameProcessor (downscaling, pose-ROI following, Tracker) around it.
    """

    skeleton = 'blazepose_33'

    def __init__(self):
        self.detector = _OracleDetector(self)
        self.crop_model = SimpleNamespace()
        self.last_box = np.array([0.0, 0.0, 1.0, 1.0])

    def process(self, rgb, camera, boxes=None, scores=None, from_tracks=None):
        joints, _ = oracle_person(camera)
        uv = camera.project(joints)  # (J, 2) pixels
        self.last_box = np.concatenate([uv.min(0), uv.max(0) - uv.min(0)])  # (4,) x, y, w, h
        n = 1 if boxes is None or len(boxes) else 0
        f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
        return FramePoses(
            f32([self.last_box] * n).reshape(n, 4),
            f32([0.9] * n),
            f32([joints] * n).reshape(n, -1, 3),
            f32([uv] * n).reshape(n, -1, 2),
            np.ones((n, len(joints)), np.float32),
            self.skeleton,
            {},
        )


if __name__ == '__main__':
    sys.exit(
        node.main(
            processor_factory=lambda config: FrameProcessor(config, pipeline=OraclePipeline())
        )
    )
