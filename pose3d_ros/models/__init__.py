"""pose3d_ros.models"""
