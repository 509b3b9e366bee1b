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
pose3d_ros: absolute 3D human skeletons from one RGB camera, for ROS 2.

Layout (a frame travels top to bottom):
  ros/       thin ROS layer: node, image/message conversion, markers, diagnostics (imports rclpy)
  pipeline   detector -> perspective crops -> crop model -> absolute reconstruction -> tracker
  models/    detector and crop-model adapters (default embedded models, MeTRAbs)
  engines/   one interface over TensorRT, ONNX Runtime and PyTorch
  core/      ROS-free geometry: camera, crops, decoding, reconstruction, skeletons, filtering
  tracking/  multi-person 3D tracker and temporal filters
  tools/     command-line tools (export, build engines, offline runner, eval, benchmarks)
Units: metres and seconds everywhere (REP-103).
"""

__version__ = '0.1.0'
