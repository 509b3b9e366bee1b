"""pose3d_node with a known synthetic person instead of the models (child process of the node graph tests).

The frame processor places one template adult (core.skeletons.template_pose, blazepose_33) with its hip
midpoint on the viewing ray of pixel ORACLE_PIXEL of the camera the node passes in, at depth ORACLE_DEPTH_M,
turned by ORACLE_YAW_DEG about its vertical (0 = facing the camera), and runs the real Tracker. Everything
ROS (lifecycle, camera model, stamps, TF, publishing) is the node's own code.
"""
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from pose3d_ros import rosenv  # noqa: E402

rosenv.require_loopback_dds()  # the parent test passes the loopback environment

import numpy as np  # noqa: E402
from scipy.spatial.transform import Rotation  # noqa: E402

from pose3d_ros.core.skeletons import get_skeleton, template_pose  # noqa: E402
from pose3d_ros.ros import node  # noqa: E402
from pose3d_ros.tracking import Tracker  # noqa: E402

ORACLE_PIXEL = (400.0, 260.0)  # image pixel on whose ray the hip midpoint lies
ORACLE_DEPTH_M = 3.0  # z of the hip midpoint, metres
ORACLE_YAW_DEG = 30.0  # turn about the body's vertical; 0 = facing the camera
BODY_TO_CAMERA = np.diag([1.0, -1.0, -1.0])  # body (x left, y up, z forward) facing the camera -> optical


def oracle_person(camera) -> tuple[np.ndarray, np.ndarray]:
    """(J, 3) metres in the camera frame and the (3, 3) body-to-camera rotation (columns: left, up, forward)."""
    skeleton = get_skeleton("blazepose_33")
    body = template_pose(skeleton)  # (J, 3) x left, y up, z forward, pelvis at 0
    rotation = BODY_TO_CAMERA @ Rotation.from_euler("y", ORACLE_YAW_DEG, degrees=True).as_matrix()
    hips = 0.5 * (body[skeleton.keys.index("lhip")] + body[skeleton.keys.index("rhip")])
    ray = camera.backproject(np.asarray(ORACLE_PIXEL))  # (3,) unit ray
    return (body - hips) @ rotation.T + ray / ray[2] * ORACLE_DEPTH_M, rotation


class OracleProcessor:
    """The FrameProcessor interface with a known person instead of detector and crop model."""

    def __init__(self, config):
        self.skeleton = get_skeleton("blazepose_33")
        self.engines = "oracle"
        self.tracker = Tracker(node.tracker_config(config, self.skeleton.root))

    def process(self, rgb, camera, stamp_s):
        joints, _ = oracle_person(camera)
        uv = camera.project(joints)  # (J, 2) pixels
        box = np.concatenate([uv.min(0), uv.max(0) - uv.min(0)])[None]  # (1, 4) x, y, w, h
        tracks = self.tracker.update(stamp_s, joints[None], box, np.array([0.9]), np.ones((1, len(joints))), uv[None])
        return SimpleNamespace(poses=SimpleNamespace(scores=np.array([0.9])), tracks=tracks, factor=1.0)

    def apply(self, config):
        self.tracker.config = node.tracker_config(config, self.skeleton.root)

    def reset(self):
        self.tracker.reset()

    def close(self):
        self.tracker = None


if __name__ == "__main__":
    sys.exit(node.main(processor_factory=OracleProcessor))
