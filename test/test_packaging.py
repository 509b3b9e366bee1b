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
Packaging checks.

Package.xml, console scripts, config YAML vs declared parameters, launch file
"""

import ast
from dataclasses import fields
import importlib
from pathlib import Path
import re
import sys
import types
import xml.etree.ElementTree as ET

from pose3d_ros.ros.config import NodeConfig, PARAMETERS, validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _setup_entry_points() -> dict[str, str]:
    tree = ast.parse((ROOT / 'setup.py').read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and any(
            isinstance(k, ast.Constant) and k.value == 'console_scripts' for k in node.keys
        ):
            scripts = node.values[[k.value for k in node.keys].index('console_scripts')]
            return dict(s.value.replace(' ', '').split('=', 1) for s in scripts.elts)
    raise AssertionError('no console_scripts in setup.py')


def test_package_xml_format3_with_real_dependencies():
    root = ET.parse(ROOT / 'package.xml').getroot()
    assert root.get('format') == '3' and root.findtext('name') == 'pose3d_ros'
    depends = {e.text for e in root.findall('depend')}
    assert {
        'rclpy',
        'sensor_msgs',
        'geometry_msgs',
        'visualization_msgs',
        'std_msgs',
        'diagnostic_msgs',
        'pose3d_msgs',
    } <= depends
    assert {'cv_bridge', 'tf2_ros'} <= {e.text for e in root.findall('exec_depend')}
    assert root.find('export/build_type').text == 'ament_python'
    msgs = ET.parse(ROOT / 'pose3d_msgs' / 'package.xml').getroot()
    assert msgs.find('member_of_group').text == 'rosidl_interface_packages'
    assert (ROOT / 'resource' / 'pose3d_ros').is_file()


@pytest.mark.parametrize(
    'script',
    [
        'pose3d_node',
        'pose3d-export',
        'pose3d-build-engines',
        'pose3d-run',
        'pose3d-eval',
        'pose3d-bench',
    ],
)
def test_console_scripts_resolve(script):
    target = _setup_entry_points()[script]
    module, function = target.split(':')
    assert callable(getattr(importlib.import_module(module), function)), target
    assert (Path(sys.prefix) / 'bin' / script).exists(), f'{script} not installed in the venv'


def test_config_yaml_matches_declared_parameters():
    data = yaml.safe_load((ROOT / 'config' / 'pose3d.yaml').read_text())
    params = data['pose3d_node']['ros__parameters']
    assert set(params) == set(PARAMETERS) == {f.name for f in fields(NodeConfig)}
    for name, value in params.items():
        assert validate(name, value) is None, name
        assert value == getattr(NodeConfig(), name), f'{name}: yaml {value!r} != default'


def test_invalid_values_rejected_with_reason():
    assert 'must be in [1, 100]' in validate('max_people', 0)
    assert 'one of auto, tensorrt' in validate('engine', 'tensorrtt')
    assert 'cuda:N' in validate('device', 'gpu0')
    assert 'must be a number' in validate('detection_threshold', 'high')
    assert validate('detection_threshold', 0.3) is None


class _Recorder:
    """Stands in for a launch / launch_ros class and records its arguments."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs


def test_launch_file_runs_and_names_existing_things(monkeypatch, tmp_path):
    source = (ROOT / 'launch' / 'pose3d.launch.py').read_text()
    compile(source, 'pose3d.launch.py', 'exec')
    assert 'PythonExpression' not in source  # plain substitutions only
    share = tmp_path / 'share'
    (share / 'config').mkdir(parents=True)
    fake = {
        'launch': {'LaunchDescription': _Recorder},
        'launch.actions': {
            'DeclareLaunchArgument': _Recorder,
            'EmitEvent': _Recorder,
            'RegisterEventHandler': _Recorder,
        },
        'launch.conditions': {'IfCondition': _Recorder},
        'launch.events': {'matches_action': lambda action: ('matches', action)},
        'launch.substitutions': {'LaunchConfiguration': lambda name: f'$({name})'},
        'launch_ros': {},
        'launch_ros.actions': {'LifecycleNode': _Recorder},
        'launch_ros.event_handlers': {'OnStateTransition': _Recorder},
        'launch_ros.events': {},
        'launch_ros.events.lifecycle': {'ChangeState': _Recorder},
        'launch_ros.parameter_descriptions': {
            'ParameterValue': lambda value, value_type=None: value
        },
        'ament_index_python': {},
        'ament_index_python.packages': {'get_package_share_directory': lambda p: str(share)},
    }
    for name, attrs in fake.items():
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**attrs))
    namespace = {}
    exec(compile(source, 'pose3d.launch.py', 'exec'), namespace)
    description = namespace['generate_launch_description']()
    entities = description.args[0]
    node = next(e for e in entities if 'executable' in e.kwargs)
    assert node.kwargs['package'] == 'pose3d_ros'
    assert node.kwargs['executable'] in _setup_entry_points()
    assert node.kwargs['name'] == 'pose3d_node'
    overrides = node.kwargs['parameters'][1]
    # launch drives the lifecycle
    assert set(overrides) <= set(PARAMETERS) and overrides['autostart'] is False
    declared = {e.args[0] for e in entities if e.args and isinstance(e.args[0], str)}
    assert {'camera', 'params_file', 'engine', 'autostart'} <= declared
    # image/compressed follows the image remap inside the node (image_transport's
    # <image>/compressed).
    assert {src for src, _ in node.kwargs['remappings']} == {'image', 'camera_info'}
    # configure at start, activate once configured (not again after a deactivate), both under
    # autostart.
    from lifecycle_msgs.msg import Transition

    events = [e for e in entities if 'event' in e.kwargs]
    handlers = [e for e in entities if 'event_handler' in e.kwargs]
    assert [e.kwargs['event'].kwargs['transition_id'] for e in events] == [
        Transition.TRANSITION_CONFIGURE
    ]
    handler = handlers[0].kwargs['event_handler'].kwargs
    assert (handler['start_state'], handler['goal_state']) == ('configuring', 'inactive')
    assert (
        handler['entities'][0].kwargs['event'].kwargs['transition_id']
        == Transition.TRANSITION_ACTIVATE
    )
    for e in events + handlers:
        assert e.kwargs['condition'].args == ('$(autostart)',)
    params_default = next(e for e in entities if e.args and e.args[0] == 'params_file').kwargs[
        'default_value'
    ]
    assert Path(params_default).relative_to(share) == Path('config/pose3d.yaml')
    assert (ROOT / 'config' / 'pose3d.yaml').is_file()  # installed there by setup.py data_files


def test_setup_data_files_exist():
    source = (ROOT / 'setup.py').read_text()
    assert re.search(r"""["']package\.xml["']""", source) and re.search(
        r"""f["']resource/\{PACKAGE\}["']""", source
    )
    assert (ROOT / 'package.xml').is_file() and (ROOT / 'resource' / 'pose3d_ros').is_file()
    assert list((ROOT / 'launch').glob('*.launch.py')) and list((ROOT / 'config').glob('*.yaml'))
