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
rosbag2 (MCAP / sqlite3) support through `rosbags`, including the pose3d_msgs custom types.

rosbags is pure Python: it registers our message definitions from their .msg text, so bags can be
written and read without a ROS installation, and its CDR bytes are the ones rclpy produces.
"""

from __future__ import annotations

from pathlib import Path

from rosbags.typesys import get_types_from_msg, get_typestore, Stores

MSG_NAMES = ('Skeleton3D', 'Skeleton3DArray', 'SkeletonInfo')


def msg_dir() -> Path:
    """Folder with the pose3d_msgs .msg files (repo checkout, or an installed share dir)."""
    candidates = [Path(__file__).resolve().parent.parent / 'pose3d_msgs' / 'msg']
    try:
        from ament_index_python.packages import get_package_share_directory

        candidates.append(Path(get_package_share_directory('pose3d_msgs')) / 'msg')
    except Exception:  # noqa: BLE001 - ament_index is optional
        pass
    for path in candidates:
        if (path / 'Skeleton3DArray.msg').is_file():
            return path
    raise FileNotFoundError(f'pose3d_msgs .msg files not found (looked in {candidates})')


def pose3d_typestore():
    """Return a rosbags typestore with the ROS 2 Kilted-era standard types plus pose3d_msgs."""
    store = get_typestore(Stores.LATEST)
    types = {}
    for name in MSG_NAMES:
        text = (msg_dir() / f'{name}.msg').read_text()
        types.update(get_types_from_msg(text, f'pose3d_msgs/msg/{name}'))
    store.register(types)
    return store
