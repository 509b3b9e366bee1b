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
Write a test/fixtures/depth_crops/*.npz: the default crop model's output on one person's GT box.

    .venv/bin/python scripts/make_depth_fixture.py SEQ PERSON OUT.npz

SEQ: a sequence folder of pose3d_ros.evalgen (e.g. made by scripts/make_depth_heldout.sh); PERSON:
its GT person id. Frames where the person is absent or ignored are skipped. Arrays as described in
test/test_depth_calibration.py (joints are the network's pose before the depth fusion).
"""

import argparse
from pathlib import Path

import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.eval.depth_metrics import true_plane
from pose3d_ros.evalgen.sequence import load_sequence
from pose3d_ros.processor import build_pipeline, output_skeleton
from pose3d_ros.tools.eval import camera_of


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    p.add_argument('sequence')
    p.add_argument('person', type=int)
    p.add_argument('out')
    a = p.parse_args()
    seq = load_sequence(a.sequence)
    pipeline = build_pipeline(Pose3DConfig())
    skel = output_skeleton(pipeline)
    cam = camera_of(seq)
    g = seq.gt
    col = int(np.flatnonzero(g['ids'] == a.person)[0])
    hips = [seq.joint_names.index('left_hip'), seq.joint_names.index('right_hip')]
    rows: dict[str, list] = {k: [] for k in ('joints', 'joints2d', 'conf', 'boxes', 'gt_root')}
    stamps = []
    for f in range(seq.num_frames):
        box = g['boxes_visible'][f, col].astype(np.float64)
        if not g['present'][f, col] or g['ignore'][f, col] or not np.isfinite(box).all():
            continue
        poses = pipeline.process(seq.frame(f), cam, box[None])
        if len(poses.joints) != 1:
            continue
        rows['joints'].append(poses.joints[0])
        rows['joints2d'].append(poses.joints2d[0])
        rows['conf'].append(poses.joint_conf[0])
        rows['boxes'].append(poses.boxes[0])
        rows['gt_root'].append(g['joints3d'][f, col][hips].mean(axis=0))
        stamps.append(float(g['stamps'][f]))
    plane = true_plane(seq.meta)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        a.out,
        **{k: np.asarray(v, np.float32) for k, v in rows.items()},
        stamps=np.asarray(stamps, np.float64),
        fx=np.float64(cam.K[0, 0]),
        image_size=np.array([cam.width, cam.height], np.int64),
        normal=np.asarray(plane.normal, np.float64),
        offset=np.float64(plane.offset),
        skeleton=np.str_(skel.name),
    )
    motion = seq.meta['people'][a.person]['motion']
    print(f'{a.out}: {len(stamps)} frames of person {a.person} ({motion})')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
