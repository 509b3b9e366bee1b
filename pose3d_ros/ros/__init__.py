"""pose3d_ros.ros"""
