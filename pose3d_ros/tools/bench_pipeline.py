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
Per-stage timing of the full pipeline on real frames; fps against number of people; peak memory.

    pose3d-bench pipeline [--video data/vtest_200.mp4] [--frames 60] [--engine auto]

Stages (medians over frames, milliseconds): decode (image bytes / video frame -> RGB), detect, crop
(perspective warps), model (crop network), reconstruct (absolute fit + 2D back-mapping), filter
(plausibility + NMS), track. Publishing to ROS is not part of this benchmark (see the node
benchmark).  Peak memory: ``tracemalloc`` peak of Python-level allocations during the timed loop
(native buffers of ONNX Runtime are not traced) and the process's maximum resident set size
(``ru_maxrss``, includes everything, models included).
"""

from __future__ import annotations

import argparse
from pathlib import Path
import resource
import time
import tracemalloc

import cv2
import numpy as np
from pose3d_ros.config import Pose3DConfig
from pose3d_ros.tools.bench_stamp import publish, ROOT

DEFAULT_DETECTOR = Pose3DConfig().detector_model

STAGES = ('decode', 'detect', 'crop', 'model', 'reconstruct', 'filter', 'track', 'total')


def load_frames(video: Path | None, images: list[Path], limit: int) -> list[tuple[str, bytes]]:
    """
    Real frames as encoded bytes (so decoding is timed).

    Video frames re-encoded as JPEG q95, and images
    """
    out: list[tuple[str, bytes]] = []
    if video is not None and video.is_file():
        cap = cv2.VideoCapture(str(video))
        while len(out) < limit:
            ok, bgr = cap.read()
            if not ok:
                break
            out.append(
                (
                    video.name,
                    cv2.imencode('.jpg', bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes(),
                )
            )
        cap.release()
    for p in images:
        out.append((p.name, p.read_bytes()))
    return out


def run(
    frames: list[tuple[str, bytes]],
    detector: str,
    crop_model: str,
    repeats: int,
    detector_interval: int = 1,
    engine: str = 'auto',
    device: str = 'auto',
) -> dict:
    """
    Time every stage per frame through the node's FrameProcessor.

    Returns per-frame records and memory peaks
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.core.camera import Camera
    from pose3d_ros.processor import FrameProcessor

    processor = FrameProcessor(
        Pose3DConfig(
            detector_model=detector,
            crop_model=crop_model,
            detector_interval=detector_interval,
            engine=engine,
            device=device,
        )
    )
    warm = cv2.cvtColor(
        cv2.imdecode(np.frombuffer(frames[0][1], np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
    )
    processor.process(warm, Camera.from_fov(warm.shape[1], warm.shape[0]), 0.0)  # warm-up
    records = []
    tracemalloc.start()
    for _ in range(repeats):
        processor.reset()
        for k, (_, data) in enumerate(frames):
            t0 = time.perf_counter()
            rgb = cv2.cvtColor(
                cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB
            )
            t_dec = time.perf_counter() - t0
            cam = Camera.from_fov(rgb.shape[1], rgb.shape[0])
            result = processor.process(rgb, cam, 1.0 + k / 25.0)
            rec = {s: result.timings.get(s, 0.0) for s in STAGES[1:-1]}
            rec.update(decode=t_dec, people=len(result.poses))
            rec['total'] = t_dec + result.timings['total']
            records.append(rec)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        'records': records,
        'tracemalloc_peak_mb': peak / 2**20,
        'engines': engines_created(processor.pipeline),
        'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def clip_identities(
    video: Path,
    identities: Path,
    detector_interval: int,
    engine: str = 'auto',
    device: str = 'auto',
    limit: int = 200,
) -> dict:
    """
    Run the node's FrameProcessor over the whole street clip at its 10 Hz; count the track ids.

    Returns published ids (any state), confirmed ids (ever TRACKED or PREDICTED), the number of
    distinct people counted by eye (identities JSON), detector frames and the mean time per frame.
    """
    import json

    from pose3d_ros.core.camera import Camera
    from pose3d_ros.media import read_frames
    from pose3d_ros.processor import FrameProcessor
    from pose3d_ros.tracking import TrackState

    meta = json.loads(identities.read_text())
    fps = 10.0
    processor = FrameProcessor(
        Pose3DConfig(detector_interval=detector_interval, engine=engine, device=device)
    )
    published, confirmed, detected, times, k = set(), set(), 0, [], 0
    for k, _, rgb in read_frames(video, limit):
        t0 = time.perf_counter()
        res = processor.process(rgb, Camera.from_fov(rgb.shape[1], rgb.shape[0]), 1.0 + k / fps)
        times.append(time.perf_counter() - t0)
        detected += res.detector_ran
        live = [t for t in res.tracks if t.state != TrackState.LOST]
        published |= {t.id for t in live}
        confirmed |= {t.id for t in live if t.state in (TrackState.TRACKED, TrackState.PREDICTED)}
    n = int(meta['distinct_people'])
    return {
        'frames': len(times),
        'people': n,
        'published': len(published),
        'confirmed': len(confirmed),
        'detector_frames': detected,
        'mean_ms': 1e3 * float(np.mean(times[1:] if len(times) > 1 else times)),
    }


def identities_markdown(ids: dict, video: Path, detector_interval: int) -> list[str]:
    """Return the Markdown lines of the street clip's identity count."""
    n = ids['people']
    return [
        (
            f'### Street clip identities (`{video}`, {ids["frames"]} frames at 10 Hz,'
            f' detector_interval {detector_interval})'
        ),
        '',
        (
            f'Distinct people visible, counted by eye: {n} (`data/vtest_identities.json`).'
            f' Detector ran on {ids["detector_frames"]} of {ids["frames"]} frames; mean'
            f' {ids["mean_ms"]:.1f} ms per frame ({1e3 / ids["mean_ms"]:.1f} fps processed).'
        ),
        '',
        '| track ids | count | ids per visible person |',
        '|---|---:|---:|',
        f'| published (any state) | {ids["published"]} | {ids["published"] / n:.2f} |',
        f'| confirmed (TRACKED at least once) | {ids["confirmed"]} | {ids["confirmed"] / n:.2f} |',
        '',
    ]


def engines_created(pipeline) -> str:
    """
    Describe what was built for the detector and the crop model.

    Engine, provider, device and precision.
    """
    parts = []
    for role, part in (('detector', pipeline.detector), ('crop model', pipeline.crop_model)):
        engine = getattr(part, 'engine', None)
        text = getattr(engine, 'description', None) or getattr(engine, 'name', type(part).__name__)
        parts.append(f"{role}: {text.replace(str(ROOT) + '/', '')}")
    return '; '.join(parts)


def markdown(res: dict, args: argparse.Namespace, n_frames: int) -> str:
    recs = res['records']
    med = {s: 1e3 * float(np.median([r[s] for r in recs])) for s in STAGES}
    lines = [
        '## Pipeline stages',
        '',
        (
            f'Detector `{args.detector}`, crop model `{args.crop_model}`, detector_interval'
            f' {args.detector_interval}, engine `{args.engine}` on device `{args.device}`, which'
            f" built: {res['engines']}; node defaults otherwise (FrameProcessor); {n_frames} real"
            f' frames x {args.repeats} repeats (`{args.video}` + test/fixtures/images).'
        ),
        '',
        '| ' + ' | '.join(STAGES) + ' |',
        '|' + '---|' * len(STAGES),
        '| ' + ' | '.join(f'{med[s]:.1f} ms' for s in STAGES) + ' |',
        '',
        '| poses out | frames | median total ms | fps | model ms | crop ms |',
        '|---|---|---|---|---|---|',
    ]
    for n in sorted({r['people'] for r in recs}):
        sub = [r for r in recs if r['people'] == n]
        tot = float(np.median([r['total'] for r in sub]))
        lines.append(
            f'| {n} | {len(sub)} | {1e3 * tot:.1f} | {1 / tot:.1f} | '
            f"{1e3 * float(np.median([r['model'] for r in sub])):.1f} | "
            f"{1e3 * float(np.median([r['crop'] for r in sub])):.1f} |"
        )
    lines += [
        '',
        (
            'Peak memory: tracemalloc (Python allocations in the loop)'
            f" {res['tracemalloc_peak_mb']:.1f} MiB; max RSS of the process {res['maxrss_mb']:.0f}"
            ' MiB.'
        ),
        '',
    ]
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='bench_pipeline', description=__doc__.splitlines()[0])
    p.add_argument('--video', type=Path, default=Path('data/vtest_200.mp4'))
    p.add_argument('--images', type=Path, default=Path('test/fixtures/images'))
    p.add_argument('--frames', type=int, default=60, help='video frames to use')
    p.add_argument('--repeats', type=int, default=1)
    p.add_argument('--detector', default=DEFAULT_DETECTOR)
    p.add_argument('--crop-model', default='blazepose_full')
    p.add_argument(
        '--detector-interval',
        type=int,
        default=Pose3DConfig().detector_interval,
        help='Pose3DConfig.detector_interval (default: the node default)',
    )
    p.add_argument(
        '--engine', default='auto', help='Pose3DConfig.engine (auto: the best available)'
    )
    p.add_argument('--device', default='auto', help='Pose3DConfig.device')
    p.add_argument(
        '--identities',
        type=Path,
        default=Path('data/vtest_identities.json'),
        help='people counted by eye in --video: the ids-per-visible-person table (missing: none)',
    )
    p.add_argument(
        '--id-frames', type=int, default=200, help='clip frames for the identity count (0: none)'
    )
    p.add_argument(
        '--output', '--out', dest='out', type=Path, default=Path('benchmarks/pipeline.md')
    )
    args = p.parse_args(argv)
    images = sorted(args.images.glob('*.jpg')) if args.images.is_dir() else []
    frames = load_frames(args.video, images, args.frames)
    if not frames:
        raise SystemExit('no frames: give --video or --images')
    result = run(
        frames,
        args.detector,
        args.crop_model,
        args.repeats,
        args.detector_interval,
        args.engine,
        args.device,
    )
    text = markdown(result, args, len(frames))
    if args.id_frames > 0 and args.identities.is_file() and args.video.is_file():
        ids = clip_identities(
            args.video,
            args.identities,
            args.detector_interval,
            args.engine,
            args.device,
            args.id_frames,
        )
        text += '\n'.join(identities_markdown(ids, args.video, args.detector_interval)) + '\n'
    publish('pipeline', text, argv, args.out)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
