"""Start pose3d_node on a robot's camera.

    ros2 launch pose3d_ros pose3d.launch.py camera:=/camera/color engine:=tensorrt

Arguments: camera (namespace of image + camera_info), image_topic / camera_info_topic (override the
two topics), params_file (YAML, default config/pose3d.yaml of this package), engine, device,
precision, use_compressed, namespace, log_level.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    share = get_package_share_directory("pose3d_ros")
    arg = LaunchConfiguration
    arguments = [
        DeclareLaunchArgument("camera", default_value="/camera/color",
                              description="namespace of the camera's image and camera_info topics"),
        DeclareLaunchArgument("image_topic", default_value=[arg("camera"), "/image_raw"]),
        DeclareLaunchArgument("camera_info_topic", default_value=[arg("camera"), "/camera_info"]),
        DeclareLaunchArgument("params_file", default_value=os.path.join(share, "config", "pose3d.yaml")),
        DeclareLaunchArgument("engine", default_value="auto", description="auto|tensorrt|onnxruntime|torch"),
        DeclareLaunchArgument("device", default_value="cpu", description="cpu|cuda|cuda:N"),
        DeclareLaunchArgument("precision", default_value="fp32", description="fp32|fp16|int8"),
        DeclareLaunchArgument("use_compressed", default_value="false"),
        DeclareLaunchArgument("namespace", default_value=""),
        DeclareLaunchArgument("log_level", default_value="info"),
    ]
    node = Node(
        package="pose3d_ros",
        executable="pose3d_node",
        name="pose3d_node",
        namespace=arg("namespace"),
        output="screen",
        parameters=[
            arg("params_file"),
            {
                "engine": arg("engine"),
                "device": arg("device"),
                "precision": arg("precision"),
                "use_compressed": ParameterValue(arg("use_compressed"), value_type=bool),
            },
        ],
        remappings=[
            ("image", arg("image_topic")),
            ("image/compressed", PythonExpression(["'", arg("image_topic"), "' + '/compressed'"])),
            ("camera_info", arg("camera_info_topic")),
        ],
        arguments=["--ros-args", "--log-level", arg("log_level")],
    )
    return LaunchDescription(arguments + [node])
