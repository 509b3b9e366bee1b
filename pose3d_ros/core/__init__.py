"""pose3d_ros.core"""
