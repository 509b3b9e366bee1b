"""pose3d_ros.tracking"""
