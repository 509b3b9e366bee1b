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
Evaluation-sequence generator.

Synthetic people with exact absolute 3D ground truth (dev tool, ROS-free).

Anny bodies (varied phenotypes) driven by DeepMimic motion clips from pybullet_data (retargeted)
and by scripted straight walks, rasterised on the CPU over ray-cast real photos through known
cameras (field of view, height, tilt, optional barrel distortion).  Needs the eval venv
(``scripts/setup_eval.sh``); reading a generated sequence (``sequence.load_sequence``) needs only
numpy and OpenCV.

    .venv-eval/bin/python -m pose3d_ros.evalgen OUT_DIR --seed 3 --people 3 --frames 40

Modules: ``motion`` (clips, FK), ``body`` (Anny + retargeting + keypoints), ``raster`` (camera,
rasteriser, background), ``scene`` (sampling, frame loop), ``sequence`` (on-disk format and
reader).
"""
