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
Keep DDS on loopback: the environment every pose3d_ros process needs before rclpy starts.

DDS discovery in ROS 2 Kilted multicasts onto the LAN by default. Every script, test and demo of
this package calls :func:`configure_loopback_dds` before importing rclpy (or runs children with
:func:`loopback_env`), and :func:`require_loopback_dds` refuses to start a ROS graph otherwise.
On a robot, the node itself respects whatever the user configured; the restriction applies to our
tools and tests.
"""

from __future__ import annotations

import os
from pathlib import Path
import random

PROFILE_NAME = 'fastdds_loopback.xml'
_PROFILE_ENV = 'FASTDDS_DEFAULT_PROFILES_FILE'


class LoopbackDDSError(RuntimeError):
    """Raised when a ROS graph would start without the loopback-only DDS settings."""


def profile_path() -> Path:
    """Path of the loopback Fast DDS profile (repo checkout, or the installed share dir)."""
    candidates = [Path(__file__).resolve().parent.parent / 'config' / PROFILE_NAME]
    try:  # installed with colcon on a robot
        from ament_index_python.packages import get_package_share_directory

        candidates.append(
            Path(get_package_share_directory('pose3d_ros')) / 'config' / PROFILE_NAME
        )
    except Exception:  # noqa: BLE001 - ament_index is optional
        pass
    for path in candidates:
        if path.is_file():
            return path
    raise LoopbackDDSError(
        f'Fast DDS loopback profile {PROFILE_NAME} not found (looked in {candidates})'
    )


def loopback_env(
    base: dict[str, str] | None = None, domain_id: int | None = None, *, choose_domain: bool = True
) -> dict[str, str]:
    """
    Return a copy of ``base`` (default: os.environ) with loopback-only DDS settings.

    An existing ROS_DOMAIN_ID in ``base`` is kept unless ``domain_id`` is given; otherwise, with
    ``choose_domain`` (tests, tools), a random one in [1, 101] (valid for Fast DDS port arithmetic)
    is drawn so parallel runs do not meet. The node passes ``choose_domain=False``: the user's
    domain (default 0) is never changed.
    """
    env = dict(os.environ if base is None else base)
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env.pop('ROS_STATIC_PEERS', None)
    env['RMW_IMPLEMENTATION'] = 'rmw_fastrtps_cpp'
    env[_PROFILE_ENV] = str(profile_path())
    if domain_id is not None:
        env['ROS_DOMAIN_ID'] = str(domain_id)
    elif 'ROS_DOMAIN_ID' not in env and choose_domain:
        env['ROS_DOMAIN_ID'] = str(random.randint(1, 101))
    return env


def configure_loopback_dds(
    domain_id: int | None = None, *, choose_domain: bool = True
) -> dict[str, str]:
    """Apply :func:`loopback_env` to this process. Call before ``import rclpy``/``rclpy.init``."""
    env = loopback_env(domain_id=domain_id, choose_domain=choose_domain)
    os.environ.update(env)
    return env


def require_loopback_dds() -> None:
    """Raise :class:`LoopbackDDSError` unless this process is configured for loopback-only DDS."""
    problems = []
    if os.environ.get('ROS_AUTOMATIC_DISCOVERY_RANGE') != 'LOCALHOST':
        problems.append('ROS_AUTOMATIC_DISCOVERY_RANGE is not LOCALHOST')
    profile = os.environ.get(_PROFILE_ENV, '')
    if not profile or Path(profile).name != PROFILE_NAME or not Path(profile).is_file():
        problems.append(f'{_PROFILE_ENV} does not point at {PROFILE_NAME}')
    if not os.environ.get('ROS_DOMAIN_ID'):
        problems.append('ROS_DOMAIN_ID is not set')
    if problems:
        raise LoopbackDDSError(
            'refusing to start a ROS graph off loopback: '
            + '; '.join(problems)
            + '. Call pose3d_ros.rosenv.configure_loopback_dds() first.'
        )
