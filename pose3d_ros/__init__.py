"""pose3d_ros: absolute 3D human skeletons from one RGB camera, for ROS 2.

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

__version__ = "0.1.0"
