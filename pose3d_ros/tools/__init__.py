"""pose3d_ros.tools"""
