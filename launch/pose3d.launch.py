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
Start pose3d_node (a lifecycle node) on a robot's camera.

    ros2 launch pose3d_ros pose3d.launch.py camera:=/camera/color engine:=tensorrt

Arguments: camera (namespace of image + camera_info), image_topic / camera_info_topic (override the
two topics; with use_compressed the node subscribes to <image_topic>/compressed, as image_transport
does), params_file (YAML, default config/pose3d.yaml of this package), engine, device, precision,
use_compressed, namespace, log_level, autostart (true: this launch file configures and activates
the node; false: it waits, unconfigured, for a lifecycle manager).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, RegisterEventHandler
from launch.conditions import IfCondition
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState
from launch_ros.parameter_descriptions import ParameterValue
from lifecycle_msgs.msg import Transition


def generate_launch_description():
    share = get_package_share_directory('pose3d_ros')
    arg = LaunchConfiguration
    arguments = [
        DeclareLaunchArgument(
            'camera',
            default_value='/camera/color',
            description="namespace of the camera's image and camera_info topics",
        ),
        DeclareLaunchArgument('image_topic', default_value=[arg('camera'), '/image_raw']),
        DeclareLaunchArgument('camera_info_topic', default_value=[arg('camera'), '/camera_info']),
        DeclareLaunchArgument(
            'params_file', default_value=os.path.join(share, 'config', 'pose3d.yaml')
        ),
        DeclareLaunchArgument(
            'engine', default_value='auto', description='auto|tensorrt|onnxruntime|torch'
        ),
        DeclareLaunchArgument('device', default_value='cpu', description='cpu|cuda|cuda:N'),
        DeclareLaunchArgument('precision', default_value='fp32', description='fp32|fp16|int8'),
        DeclareLaunchArgument('use_compressed', default_value='false'),
        DeclareLaunchArgument('namespace', default_value=''),
        DeclareLaunchArgument('log_level', default_value='info'),
        DeclareLaunchArgument(
            'autostart',
            default_value='true',
            description='configure and activate the node from this launch file',
        ),
    ]
    node = LifecycleNode(
        package='pose3d_ros',
        executable='pose3d_node',
        name='pose3d_node',
        namespace=arg('namespace'),
        output='screen',
        parameters=[
            arg('params_file'),
            {
                'engine': arg('engine'),
                'device': arg('device'),
                'precision': arg('precision'),
                'use_compressed': ParameterValue(arg('use_compressed'), value_type=bool),
                'autostart': False,  # the lifecycle transitions below (or a manager) drive it
            },
        ],
        remappings=[('image', arg('image_topic')), ('camera_info', arg('camera_info_topic'))],
        arguments=['--ros-args', '--log-level', arg('log_level')],
    )
    autostart = IfCondition(arg('autostart'))
    configure = EmitEvent(
        condition=autostart,
        event=ChangeState(
            lifecycle_node_matcher=matches_action(node),
            transition_id=Transition.TRANSITION_CONFIGURE,
        ),
    )
    # not after deactivate
    activate_when_configured = RegisterEventHandler(
        condition=autostart,
        event_handler=OnStateTransition(
            target_lifecycle_node=node,
            start_state='configuring',
            goal_state='inactive',
            entities=[
                EmitEvent(
                    event=ChangeState(
                        lifecycle_node_matcher=matches_action(node),
                        transition_id=Transition.TRANSITION_ACTIVATE,
                    )
                )
            ],
        ),
    )
    return LaunchDescription(arguments + [node, activate_when_configured, configure])
