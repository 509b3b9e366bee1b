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
`pose3d-bench detectors`: recall, precision and ms/frame of every person-detector candidate.

    pose3d-bench detectors [--sequences DIR] [--candidates NAME[@SIZE],...] [--fixed NAME:THR,...]

Data sets:
  (a) generated sequences with exact boxes: every sub-folder of --sequences holding a gt.npz (made
      by
      `bash scripts/make_detector_sequences.sh DIR`: near, far, crossing, truncated; seeds in the
      script);
  (b) the hand-boxed frames of data/vtest_200.mp4 (data/vtest_people.json);
  (c) the test photos (test/fixtures/images, boxes in data/photo_people.json).
Matching: a detection and a ground-truth person match when their boxes (x, y, w, h px) overlap with
IoU >= 0.5, one to one (Hungarian, `eval.metrics.match_boxes`). Generated sequences: the amodal box
of every person present, people marked `ignore` (visible box < 32 px high, < 25 % visible or < 6
COCO joints seen) count neither as hits nor as false positives. recall = matched / required people;
precision = matched / detections (1 - precision is the phantom rate). Every candidate runs at its
own score threshold, chosen once as the one with the best F1 on the generated sequences (the other
sets never tune anything); `--fixed NAME:THR` adds a row at a given threshold from the same
detections (by default SSDLite at 0.5, the node's former setting, and the default detector at the
node's detection_threshold). ms/frame: median wall time of detect() per frame, candidates
interleaved frame by frame so that machine load affects all alike.
System row (`run_system`, skipped with --no-system): what the node publishes, i.e. the default
FrameProcessor (detector + pose-ROI following + tracker) over data/vtest_200.mp4 up to the last
hand-boxed frame, its published tracks' boxes matched to the hand boxes by the same rule.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import statistics
import sys
import time

import cv2
import numpy as np
from pose3d_ros.eval.metrics import match_boxes
from pose3d_ros.tools.bench_stamp import publish
from pose3d_ros.tracking.tracker import TrackState

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (
    'ssdlite_person',
    'centernet',
    'nanodet',
    'blazepose_detector',
    'movenet_multipose@256',
    'movenet_multipose',
    'movenet_multipose@512',
    'movenet_multipose_tiled',
)
# score thresholds tried on the generated sequences
THRESHOLDS = np.round(np.arange(0.05, 0.96, 0.05), 2)
IOU = 0.5


def vtest_index(frame: int) -> int:
    """Position of hand-boxed frame number `frame` of data/vtest_200.mp4 in load_sets' list."""
    vt = json.loads((ROOT / 'data' / 'vtest_people.json').read_text())
    return sorted(int(k) for k in vt['frames']).index(frame)


def load_sets(
    sequences: Path | None, max_frames: int
) -> dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """
    Load the data sets: name -> frames.

    Each frame is (image (H, W, 3) uint8 RGB, GT boxes (P, 4) x, y, w, h px, ignore (P,) bool).
    """
    sets: dict[str, list] = {}
    if sequences is not None:
        from pose3d_ros.evalgen.sequence import load_sequence

        for folder in sorted(p for p in sequences.iterdir() if (p / 'gt.npz').is_file()):
            seq = load_sequence(folder)
            gt = seq.gt
            frames = []
            for f in range(min(seq.num_frames, max_frames)):
                present = gt['present'][f]
                frames.append((seq.frame(f), gt['boxes'][f][present], gt['ignore'][f][present]))
            sets[f'gen/{folder.name}'] = frames
    vt = json.loads((ROOT / 'data' / 'vtest_people.json').read_text())
    cap = cv2.VideoCapture(str(ROOT / vt['video']))
    frames, index = [], 0
    want = {int(k): np.asarray(v, np.float64) for k, v in vt['frames'].items()}
    while want:
        ok, bgr = cap.read()
        if not ok:
            raise RuntimeError(f"{vt['video']} ended before frames {sorted(want)}")
        if index in want:
            b = want.pop(index)
            frames.append(
                (
                    cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                    np.c_[b[:, :2], b[:, 2:] - b[:, :2]],
                    np.zeros(len(b), bool),
                )
            )
        index += 1
    sets['vtest (hand-boxed)'] = frames
    photos = json.loads((ROOT / 'data' / 'photo_people.json').read_text())
    frames = []
    for name, boxes in photos['boxes'].items():
        bgr = cv2.imread(str(ROOT / photos['images'] / f'{name}.jpg'), cv2.IMREAD_COLOR)
        b = np.asarray(boxes, np.float64)
        frames.append(
            (
                cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                np.c_[b[:, :2], b[:, 2:] - b[:, :2]],
                np.zeros(len(b), bool),
            )
        )
    sets['test photos'] = frames
    return sets


def build(candidate: str, threads: int):
    """
    Detector of 'NAME' or 'NAME@SIZE' (SIZE: network input side) keeping every box scored >= 0.05.

    With the node's default max_people and min_box_size.
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.engines import create_engine
    from pose3d_ros.models.detector_factory import build_detector

    name, _, size = candidate.partition('@')
    cfg = Pose3DConfig()
    opts = {
        'score_threshold': 0.05,
        'max_detections': cfg.max_people,
        'min_box_size': cfg.min_box_size,
    }
    if size:
        opts['input_size'] = int(size)

    def make(p):
        return create_engine(
            str(p), engine='onnxruntime', device='cpu', threads=threads
        )  # noqa: E731

    return build_detector(name, make, **opts)


def counts(dets: list, frames: list, threshold: float) -> tuple[int, int, int]:
    """Count (matched, required GT, detections) over frames at a score threshold."""
    tp = req = nd = 0
    for (boxes, scores), (_, gt, ignore) in zip(dets, frames):
        keep = scores >= threshold
        pairs, fp, fn = match_boxes(boxes[keep], gt, ignore, IOU)
        tp += len(pairs)
        req += int((~ignore).sum())
        nd += len(pairs) + int(fp.sum())
    return tp, req, nd


def rows_at(dets: dict, sets: dict, gen: list[str], threshold: float, times: dict) -> dict:
    """
    Per data set (and 'gen (all)').

    Recall, precision, median ms, people required, detections kept
    """
    rows = {}
    for s, names in [(s, [s]) for s in sets] + [('gen (all)', gen)]:
        tp, req, nd = map(sum, zip(*(counts(dets[n], sets[n], threshold) for n in names)))
        rows[s] = {
            'recall': tp / max(req, 1),
            'precision': tp / nd if nd else 1.0,
            'ms': 1000 * statistics.median(sum((times[n] for n in names), [])),
            'people': req,
            'detections': nd,
        }
    return rows


def run(
    candidates: list[str],
    sets: dict,
    threads: int,
    fixed: dict[str, float] | None = None,
    log=print,
) -> dict:
    """
    Run every candidate on every frame; returns name -> {threshold, rows}.

    `fixed`: candidate -> an extra row at that threshold (e.g. today's node setting), from the same
    detections.
    """
    dets = {c: {s: [] for s in sets} for c in candidates}
    times = {c: {s: [] for s in sets} for c in candidates}
    detectors = {c: build(c, threads) for c in candidates}
    for det in detectors.values():  # warm-up (allocations) outside the timing
        det.detect(next(iter(sets.values()))[0][0])
    for s, frames in sets.items():
        log(f'{s}: {len(frames)} frames')
        for image, _, _ in frames:
            for c, det in detectors.items():
                t = time.perf_counter()
                d = det.detect(image)
                times[c][s].append(time.perf_counter() - t)
                dets[c][s].append((d.boxes.astype(np.float64), d.scores))
    gen = [s for s in sets if s.startswith('gen/')] or list(sets)
    result = {}
    for c in candidates:

        def f1(th):
            tp, req, nd = map(sum, zip(*(counts(dets[c][s], sets[s], th) for s in gen)))
            return 2 * tp / max(req + nd, 1)

        th = float(max(THRESHOLDS, key=lambda t: (f1(t), -t)))
        result[c] = {'threshold': th, 'rows': rows_at(dets[c], sets, gen, th, times[c])}
        if c in (fixed or {}):
            result[f'{c} (fixed thr)'] = {
                'threshold': fixed[c],
                'rows': rows_at(dets[c], sets, gen, fixed[c], times[c]),
            }
    return result


def run_system(config=None, log=print) -> dict:
    """
    Return the node's output on data/vtest_200.mp4.

    A FrameProcessor (detector + pose ROIs + tracker).

    Runs every frame from 0 to the last hand-boxed one (stamps frame / fps, a camera of the
    config's default_fov_deg) and matches, at the hand-boxed frames, the 2D boxes of the published
    tracks (Track.box) to the hand boxes with the IoU rule of the detector rows. 'published': NEW,
    TRACKED and PREDICTED tracks (LOST ones are end notices); 'confirmed': TRACKED and PREDICTED.
    Returns recall / precision per kind, people, frames run and the median ms per frame (whole
    pipeline, FrameResult.timings['total']).
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.core.camera import Camera
    from pose3d_ros.media import read_frames
    from pose3d_ros.processor import FrameProcessor

    cfg = config if config is not None else Pose3DConfig()
    vt = json.loads((ROOT / 'data' / 'vtest_people.json').read_text())
    want = {int(k): np.asarray(v, np.float64) for k, v in vt['frames'].items()}
    processor = FrameProcessor(cfg)
    tally = _new_tally()
    times = []
    last = max(want)
    log(f'vtest through FrameProcessor: frames 0-{last}')
    index = -1
    for index, stamp, rgb in read_frames(ROOT / vt['video'], last + 1):
        cam = Camera.from_fov(rgb.shape[1], rgb.shape[0], cfg.default_fov_deg)
        result = processor.process(rgb, cam, stamp)
        times.append(result.timings['total'])
        if index not in want:
            continue
        b = want[index]
        gt = np.c_[b[:, :2], b[:, 2:] - b[:, :2]]
        _count(tally, result.tracks, gt, np.zeros(len(gt), bool))
    if index < last:
        raise RuntimeError(f"{vt['video']} ended at frame {index + 1}, before {last}")
    processor.close()
    return {
        'frames': last + 1,
        'ms': 1000 * statistics.median(times),
        'detector': cfg.detector_model,
    } | _rates(tally)


def run_system_generated(sequences: Path, max_frames: int, config=None, log=print) -> dict:
    """
    Return what the node publishes on the generated sequences: name -> rates (and 'gen (all)').

    A FrameProcessor of `config` (fresh tracks per sequence, the sequence's own camera and
    stamps) over the first `max_frames` frames of each sequence; every frame's published track
    boxes matched to the exact GT boxes like the detector rows (ignored people neither required
    nor false).
    """
    from pose3d_ros.config import Pose3DConfig
    from pose3d_ros.evalgen.sequence import load_sequence
    from pose3d_ros.processor import FrameProcessor
    from pose3d_ros.tools.eval import camera_of

    processor = FrameProcessor(config if config is not None else Pose3DConfig())
    out, total = {}, _new_tally()
    for folder in sorted(p for p in sequences.iterdir() if (p / 'gt.npz').is_file()):
        seq = load_sequence(folder)
        log(f'generated {folder.name} through FrameProcessor')
        processor.reset()
        cam, tally = camera_of(seq), _new_tally()
        for f in range(min(seq.num_frames, max_frames)):
            result = processor.process(seq.frame(f), cam, float(seq.gt['stamps'][f]))
            present = seq.gt['present'][f]
            _count(tally, result.tracks, seq.gt['boxes'][f][present], seq.gt['ignore'][f][present])
        out[f'gen/{folder.name}'] = _rates(tally)
        for kind, counts in tally.items():
            total[kind] = [a + b for a, b in zip(total[kind], counts)]
    processor.close()
    out['gen (all)'] = _rates(total)
    return out


# the track states each system row counts ('published': NEW, TRACKED, PREDICTED; LOST ones are
# end notices, not people)
SYSTEM_KINDS = {
    'published': (TrackState.NEW, TrackState.TRACKED, TrackState.PREDICTED),
    'confirmed': (TrackState.TRACKED, TrackState.PREDICTED),
}


def _new_tally() -> dict:
    return {k: [0, 0, 0] for k in SYSTEM_KINDS}  # matched, required, published


def _count(tally: dict, tracks, gt: np.ndarray, ignore: np.ndarray) -> None:
    """Add one frame: the tracks' boxes of each kind matched to GT boxes (P, 4), ignore (P,)."""
    for kind, states in SYSTEM_KINDS.items():
        boxes = np.array([t.box for t in tracks if t.state in states], np.float64)
        pairs, fp, _ = match_boxes(boxes.reshape(-1, 4), gt, ignore, IOU)
        tally[kind][0] += len(pairs)
        tally[kind][1] += int((~np.asarray(ignore, bool)).sum())
        tally[kind][2] += len(pairs) + int(fp.sum())


def _rates(tally: dict) -> dict:
    return {
        kind: {
            'recall': tp / max(req, 1),
            'precision': tp / nd if nd else 1.0,
            'people': req,
            'detections': nd,
        }
        for kind, (tp, req, nd) in tally.items()
    }


def system_markdown(system: dict, generated: dict | None = None) -> str:
    """Return the system-level rows (run_system, run_system_generated) as markdown tables."""
    out = [
        '### What the node publishes (vtest)',
        '',
        (
            "The default configuration's FrameProcessor (detector + pose-ROI following + tracker,"
            f" as the node runs it) over frames 0-{system['frames'] - 1} of data/vtest_200.mp4; at"
            ' the hand-boxed frames the 2D boxes of the published tracks (`Track.box`) are matched'
            ' to the hand boxes like the detector rows above (IoU >= 0.5, one to one). Published ='
            ' NEW, TRACKED and PREDICTED tracks; confirmed = TRACKED and PREDICTED. ms: median'
            ' whole-pipeline time per frame (`FrameResult.timings`).'
        ),
        '',
        (
            '| system | vtest published: recall / precision | vtest confirmed: recall / precision'
            ' | people / published / confirmed | ms per frame (pipeline) |'
        ),
        '|---|---|---|---|---|',
    ]
    pub, conf = system['published'], system['confirmed']
    out.append(
        f"| `{system['detector']}` + pose ROIs (FrameProcessor) |"
        f" {pub['recall']:.3f} / {pub['precision']:.3f} |"
        f" {conf['recall']:.3f} / {conf['precision']:.3f} |"
        f" {pub['people']} / {pub['detections']} / {conf['detections']} | {system['ms']:.0f} |"
    )
    if generated:
        out += [
            '',
            (
                'The same FrameProcessor on the generated sequences (each from a fresh start, its'
                ' own camera and stamps, every frame; published boxes matched to the exact GT'
                ' boxes, ignored people neither required nor counted false), next to the default'
                ' detector alone (the rows above):'
            ),
            '',
            (
                '| sequence | published: recall / precision | confirmed: recall / precision'
                ' | people / published / confirmed |'
            ),
            '|---|---|---|---|',
        ]
        for name, r in generated.items():
            pub, conf = r['published'], r['confirmed']
            out.append(
                f"| {name} | {pub['recall']:.3f} / {pub['precision']:.3f} |"
                f" {conf['recall']:.3f} / {conf['precision']:.3f} |"
                f" {pub['people']} / {pub['detections']} / {conf['detections']} |"
            )
    return '\n'.join(out + [''])


def markdown(result: dict, sets: dict, default: str) -> str:
    names = (
        [s for s in sets if s.startswith('gen/')]
        + (['gen (all)'] if any(s.startswith('gen/') for s in sets) else [])
        + [s for s in sets if not s.startswith('gen/')]
    )
    sizes = {s: len(f) for s, f in sets.items()}
    sizes['gen (all)'] = sum(v for k, v in sizes.items() if k.startswith('gen/'))
    out = [
        '## Person detectors',
        '',
        (
            'ONNX Runtime on the CPU. Generated sequences: `bash'
            ' scripts/make_detector_sequences.sh DIR` (seeds and parameters in the script).'
            ' Cells: recall / precision / ms per frame (median). IoU >= 0.5 one-to-one matching;'
            ' each candidate at the score threshold with the best F1 on the generated sequences'
            ' (column `thr`); rows marked *fixed threshold* use the same detections at a given'
            ' threshold (SSDLite at 0.5 = the former node default; the default detector at the'
            " node's detection_threshold). Last column: median ms relative to SSDLite measured in"
            ' the same run on the vtest frames / the photos (machine load cancels out). Default'
            f' detector: `{default}`.'
        ),
        '',
        '| candidate | thr | '
        + ' | '.join(f'{s} ({sizes[s]} fr)' for s in names)
        + ' | ms / SSDLite ms |',
        '|---|---|' + '---|' * len(names) + '---|',
    ]
    ref = next((r['rows'] for c, r in result.items() if c == 'ssdlite_person'), None)
    # real frames: vtest 768x576 and the photos
    timed = [s for s in names if not s.startswith('gen')]
    for c, r in result.items():
        cells = [
            f"{r['rows'][s]['recall']:.3f} / {r['rows'][s]['precision']:.3f} /"
            f" {r['rows'][s]['ms']:.0f}"
            for s in names
        ]
        mark = ' **(default)**' if c == default else ''
        if c.endswith(' (fixed thr)'):
            c, mark = c[: -len(' (fixed thr)')], ' (fixed threshold)'
        ratio = (
            ' / '.join(f"{r['rows'][s]['ms'] / ref[s]['ms']:.1f}" for s in timed) if ref else '-'
        )
        out.append(
            f"| `{c}`{mark} | {r['threshold']:.2f} | " + ' | '.join(cells) + f' | {ratio} |'
        )
    out += [
        '',
        'People required / detections kept per set: '
        + '; '.join(
            f'`{c}`: '
            + ', '.join(
                f"{s} {r['rows'][s]['people']}/{r['rows'][s]['detections']}" for s in names
            )
            for c, r in result.items()
        ),
        '',
    ]
    return '\n'.join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog='pose3d-bench detectors', description=__doc__.splitlines()[0])
    p.add_argument(
        '--sequences',
        type=Path,
        default=None,
        help=(
            'folder of generated sequences (scripts/make_detector_sequences.sh); none: real data'
            ' only'
        ),
    )
    p.add_argument(
        '--candidates',
        default=','.join(CANDIDATES),
        help='comma-separated NAME or NAME@INPUT_SIZE',
    )
    p.add_argument('--max-frames', type=int, default=30, help='frames used per generated sequence')
    p.add_argument(
        '--threads', type=int, default=0, help='ONNX Runtime threads (0 = library default)'
    )
    p.add_argument(
        '--default',
        default=None,
        help="candidate marked as the shipped default (default: Pose3DConfig's)",
    )
    p.add_argument(
        '--fixed',
        default=None,
        help=(
            'comma-separated NAME:THRESHOLD rows added at a fixed threshold (default: SSDLite at'
            " 0.5, the former node setting, and the default detector at the node's"
            ' detection_threshold)'
        ),
    )
    p.add_argument('--output', type=Path, default=None, help='default: benchmarks/detectors.md')
    p.add_argument('--json', type=Path, default=None, help='also write the raw numbers here')
    p.add_argument(
        '--no-system',
        action='store_true',
        help=(
            'skip the system-level rows (the default FrameProcessor over the video and the'
            ' generated sequences)'
        ),
    )
    args = p.parse_args(argv)
    sets = load_sets(args.sequences, args.max_frames)
    from pose3d_ros.config import Pose3DConfig

    cfg = Pose3DConfig()
    args.default = args.default or cfg.detector_model
    if args.fixed is None:
        args.fixed = f'ssdlite_person:0.5,{cfg.detector_model}:{cfg.detection_threshold}'
    fixed = {k: float(v) for k, v in (item.split(':') for item in args.fixed.split(',') if item)}
    result = run(
        [c.strip() for c in args.candidates.split(',') if c.strip()], sets, args.threads, fixed
    )
    text = markdown(result, sets, args.default)
    system = None if args.no_system else run_system(cfg)
    generated = (
        None
        if args.no_system or args.sequences is None
        else run_system_generated(args.sequences, args.max_frames, cfg)
    )
    if system is not None:
        text += '\n' + system_markdown(system, generated)
    publish('detectors', text, argv, args.output)
    if args.json:
        args.json.write_text(
            json.dumps(
                dict(result, **({'system': system, 'generated': generated} if system else {})),
                indent=1,
            )
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
