"""The `make demo` path on a short slice of the real clip: node + recorder + player on loopback DDS,
then the MCAP, the annotated video, the 3D picture and a summary consistent with the bag."""
import json
from pathlib import Path

import cv2
import numpy as np

from pose3d_ros.tools import demo, render


def test_demo_on_short_slice(tmp_path):
    out = tmp_path / "demo"
    summary = demo.run_demo(demo.DEFAULT_CLIP, out, max_frames=15, rate=5.0, node_args=[])
    bag = Path(summary["bag"])
    assert list(bag.glob("*.mcap")) and (bag / "metadata.yaml").is_file()
    data = render.read_skeleton_bag(bag)
    expected = {"/pose3d_node/skeletons", "/pose3d_node/markers", "/pose3d_node/skeleton_info", "/diagnostics",
                "/camera_info"}
    assert expected <= set(data["topics"]), data["topics"]
    assert data["topics"]["/camera_info"] > 0 and data["topics"]["/pose3d_node/skeleton_info"] == 1
    people = [p for f in data["frames"] for p in f["people"]]
    assert people, "no skeletons in the bag"
    joints = np.concatenate([p["joints"] for p in people])
    assert np.isfinite(joints).all() and (joints[:, 2] > 1.0).all(), "joints not in metres in front of the camera"
    # The summary agrees with the bag.
    saved = json.loads((out / "summary.json").read_text())
    assert saved["frames_processed"] == len(data["frames"]) == data["topics"]["/pose3d_node/skeletons"]
    assert saved["frames_published"] == 15 >= saved["frames_processed"] >= 10
    assert saved["tracks"] == len({p["id"] for p in people})
    assert saved["people_per_frame_max"] >= 1 and saved["latency_ms_p50"] > 0
    # What a person looks at exists and is a real video / picture.
    video = cv2.VideoCapture(summary["video"])
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    picture = cv2.imread(summary["picture"])
    assert picture is not None and picture.shape[0] > 300 and picture.std() > 5
