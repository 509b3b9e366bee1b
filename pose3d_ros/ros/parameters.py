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
Node parameters on the ROS side.

Declaration from the table in config.py, and a parameter service that answers every request.

rclpy's own ParameterService converts each request with `Parameter.from_parameter_msg`, which
raises ValueError for a ParameterValue of unknown type (e.g. 99); the exception escapes spin and
ends the node. `SafeParameterService` answers such requests with `successful=False` and the reason
instead.
"""

from __future__ import annotations

from pose3d_ros.ros.config import PARAMETERS
from pose3d_ros.ros.diagnostics import cap
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.parameter import Parameter
from rclpy.parameter_service import ParameterService


def declare_parameters(node, defaults) -> None:
    """Declare every PARAMETERS row on `node` with its description, range and read-only flag."""
    for name, (description, constraint, dynamic) in PARAMETERS.items():
        descriptor = ParameterDescriptor(description=description, read_only=not dynamic)
        if isinstance(constraint, tuple) and constraint and isinstance(constraint[0], str):
            descriptor.additional_constraints = 'one of: ' + ', '.join(constraint)
        elif isinstance(constraint, tuple) and isinstance(constraint[0], float):
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=constraint[0], to_value=constraint[1])
            ]
        elif isinstance(constraint, tuple):
            descriptor.integer_range = [
                IntegerRange(from_value=constraint[0], to_value=constraint[1], step=1)
            ]
        node.declare_parameter(name, getattr(defaults, name), descriptor)


def _set(node, messages) -> SetParametersResult:
    """
    Apply rcl_interfaces/Parameter messages atomically.

    Any failure becomes a result with a reason
    """
    try:
        params = [Parameter.from_parameter_msg(m) for m in messages]
    except (ValueError, TypeError) as err:  # unknown ParameterValue.type, mismatched value arrays
        return SetParametersResult(successful=False, reason=cap(f'invalid parameter value: {err}'))
    try:
        return node.set_parameters_atomically(params)
    except Exception as err:  # noqa: BLE001 - a request must never end the node
        return SetParametersResult(successful=False, reason=cap(f'{type(err).__name__}: {err}'))


class SafeParameterService(ParameterService):
    """Rclpy's ParameterService whose set services answer malformed requests instead of raising."""

    def _set_parameters_callback(self, request, response):
        node = self._get_node()
        response.results = [_set(node, [p]) for p in request.parameters]
        return response

    def _set_parameters_atomically_callback(self, request, response):
        response.result = _set(self._get_node(), request.parameters)
        return response
