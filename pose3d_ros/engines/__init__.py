"""pose3d_ros.engines"""
