#!/usr/bin/env python3
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
Reference outputs of MediaPipe Pose 0.10.21 on small photos, committed as test fixtures.

Runs in the separate MediaPipe environment (mediapipe 0.10.21 pins numpy<2), never in the main
venv:

    python3.11 -m venv .venv-mediapipe
    .venv-mediapipe/bin/pip install mediapipe==0.10.21 "numpy<2" scikit-image==0.24.0
    apt-get install -y opencv-doc          # messi5.jpg, basketball1/2.png
    .venv-mediapipe/bin/python scripts/make_mediapipe_fixtures.py

Step 1 copies the source photos (scikit-image, matplotlib, Debian opencv-doc) into
test/fixtures/images/ as small JPEGs (tests never need those packages). Step 2 decodes exactly
those committed files and runs the legacy `mediapipe.solutions.pose` (static_image_mode,
model_complexity=1 = BlazePose GHUM full, single person) on each, writing
test/fixtures/mediapipe_reference.json:

    {"mediapipe_version", "model_complexity", "images": {name: {"file", "width", "height",
     "detected", "landmarks_px" (33, 2) image pixels, "landmarks_z" (33,) MediaPipe relative depth,
     "visibility" (33,), "presence" (33,), "world_landmarks_m" (33, 3) metres hip-centred}}}
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
from pathlib import Path

import cv2
import numpy as np

OPENCV_DOC = Path('/usr/share/doc/opencv-doc/examples/data')


def _opencv_doc(name: str) -> np.ndarray | None:
    """Read an opencv-doc sample (maybe gzipped) as (H, W, 3) uint8 RGB, None if absent."""
    for path in (OPENCV_DOC / name, OPENCV_DOC / f'{name}.gz'):
        if path.exists():
            data = path.read_bytes()
            if path.suffix == '.gz':
                data = gzip.decompress(data)
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return None


def collect_sources() -> dict[str, tuple[np.ndarray, str]]:
    """Name -> ((H, W, 3) uint8 RGB, source note)."""
    import matplotlib
    import skimage
    import skimage.data

    out: dict[str, tuple[np.ndarray, str]] = {}
    out['astronaut'] = (
        skimage.data.astronaut(),
        f'scikit-image {skimage.__version__} data.astronaut()',
    )
    gray = skimage.data.camera()
    out['camera'] = (
        np.repeat(gray[..., None], 3, axis=2),
        f'scikit-image {skimage.__version__} data.camera()',
    )
    hopper = Path(matplotlib.get_data_path()) / 'sample_data' / 'grace_hopper.jpg'
    out['grace_hopper'] = (
        cv2.cvtColor(cv2.imread(str(hopper)), cv2.COLOR_BGR2RGB),
        f'matplotlib {matplotlib.__version__} mpl-data/sample_data/grace_hopper.jpg',
    )
    for name in ('messi5.jpg', 'basketball1.png', 'basketball2.png'):
        rgb = _opencv_doc(name)
        if rgb is not None:
            out[name.split('.')[0]] = (rgb, f'Debian opencv-doc {OPENCV_DOC}/{name}')
    return out


def write_images(
    sources: dict[str, tuple[np.ndarray, str]], image_dir: Path, quality: int
) -> dict[str, str]:
    """Write each photo as <name>.jpg (gray ones as 1-channel JPEG); returns name -> file name."""
    image_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (rgb, _) in sources.items():
        gray = bool(np.all(rgb[..., 0] == rgb[..., 1]) and np.all(rgb[..., 1] == rgb[..., 2]))
        pixels = rgb[..., 0] if gray else cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        fname = f'{name}.jpg'
        cv2.imwrite(str(image_dir / fname), pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        files[name] = fname
    return files


def run_mediapipe(image_rgb: np.ndarray) -> dict:
    """
    One static-image MediaPipe Pose run (model_complexity=1).

    Landmarks in pixels of this image
    """
    import mediapipe as mp

    h, w = image_rgb.shape[:2]
    with mp.solutions.pose.Pose(
        static_image_mode=True, model_complexity=1, enable_segmentation=False
    ) as pose:
        res = pose.process(image_rgb)
    if res.pose_landmarks is None:
        return {'detected': False}
    lm = res.pose_landmarks.landmark
    wl = res.pose_world_landmarks.landmark
    return {
        'detected': True,
        # MediaPipe normalises by width/height of the image; pixel centres follow its x * W
        # convention.
        'landmarks_px': [[p.x * w, p.y * h] for p in lm],
        'landmarks_z': [p.z for p in lm],
        'visibility': [p.visibility for p in lm],
        'presence': [p.presence for p in lm],
        'world_landmarks_m': [[p.x, p.y, p.z] for p in wl],
    }


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--image-dir', type=Path, default=root / 'test' / 'fixtures' / 'images')
    parser.add_argument(
        '--output', type=Path, default=root / 'test' / 'fixtures' / 'mediapipe_reference.json'
    )
    parser.add_argument('--jpeg-quality', type=int, default=90)
    args = parser.parse_args(argv)

    import mediapipe as mp

    sources = collect_sources()
    files = write_images(sources, args.image_dir, args.jpeg_quality)
    result = {
        'mediapipe_version': mp.__version__,
        'solution': 'mediapipe.solutions.pose static_image_mode=True model_complexity=1',
        'images': {},
    }
    for name, fname in files.items():
        bgr = cv2.imread(str(args.image_dir / fname), cv2.IMREAD_COLOR)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        entry = {
            'file': fname,
            'source': sources[name][1],
            'width': rgb.shape[1],
            'height': rgb.shape[0],
        }
        entry.update(run_mediapipe(rgb))
        result['images'][name] = entry
        print(
            f"{name}: {rgb.shape[1]}x{rgb.shape[0]} detected={entry['detected']} "
            f'{os.path.getsize(args.image_dir / fname) // 1024} KB'
        )
    args.output.write_text(json.dumps(result, indent=1))
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
