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
Test harness: every test run keeps DDS on loopback with a random ROS_DOMAIN_ID.

This runs before any test module imports rclpy, so both this process and every child process it
starts inherit the loopback-only settings (see pose3d_ros.rosenv).
"""

import os
from pathlib import Path
import random
import sys

from pose3d_ros import rosenv
import pytest

# A domain id per test session, shared with child processes through the environment.
rosenv.configure_loopback_dds(
    domain_id=int(os.environ.get('POSE3D_TEST_DOMAIN_ID', random.randint(1, 101)))
)

TEST_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TEST_DIR))  # test helper modules (synthetic data, ROS helpers)


@pytest.fixture
def ros_context():
    """Return a fresh rclpy context on loopback DDS; refuses to start otherwise."""
    rosenv.require_loopback_dds()
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    try:
        yield context
    finally:
        context.try_shutdown()
