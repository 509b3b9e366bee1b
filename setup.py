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

"""ament_python package pose3d_ros (also pip-installable into a plain virtual environment)."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'pose3d_ros'

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(include=[PACKAGE, f'{PACKAGE}.*']),
    package_data={PACKAGE: ['py.typed']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{PACKAGE}']),
        (f'share/{PACKAGE}', ['package.xml']),
        (f'share/{PACKAGE}/launch', glob('launch/*.launch.py')),
        (f'share/{PACKAGE}/config', glob('config/*.yaml') + glob('config/*.xml')),
        (
            f'share/{PACKAGE}/models',
            glob('models/*.onnx') + glob('models/*.md') + glob('models/*.json'),
        ),
    ],
    install_requires=['setuptools'],
    zip_safe=False,
    maintainer='pose3d_ros developers',
    maintainer_email='pose3d@example.com',
    description='Absolute 3D human skeletons from one RGB camera for ROS 2.',
    license='Apache-2.0',
    python_requires='>=3.10',
    entry_points={
        'console_scripts': [
            'pose3d_node = pose3d_ros.ros.node:main',
            'pose3d-export = pose3d_ros.tools.export:main',
            'pose3d-build-engines = pose3d_ros.tools.build_engines:main',
            'pose3d-run = pose3d_ros.tools.run:main',
            'pose3d-eval = pose3d_ros.tools.eval:main',
            'pose3d-bench = pose3d_ros.tools.bench:main',
            'pose3d-metrabs-parity = pose3d_ros.tools.metrabs_parity:main',
        ],
    },
)
