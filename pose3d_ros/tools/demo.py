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
`make demo`: the real ROS path on a real multi-person clip, then pictures and a summary.

Processes (all on loopback DDS, one random domain id): the node `pose3d_node` with default
parameters (embedded models), a recorder writing the node's outputs and the input CameraInfo to an
MCAP bag, and a player publishing the clip as Image + CameraInfo at its frame rate. Afterwards: an
annotated video, a picture of the 3D tracks from above and from the side, and a summary (also as
summary.json).

    python -m pose3d_ros.tools.demo [--clip CLIP.mp4] [--max-frames N] [--out demo_output]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

from pose3d_ros import rosenv
from pose3d_ros.media import read_frames, video_fps
from pose3d_ros.tools import render

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CLIP = ROOT / 'data' / 'vtest_200.mp4'


def _wait_for_line(
    process: subprocess.Popen, needle: str, timeout_s: float, lines: list[str]
) -> bool:
    """
    Read the process's stderr until a line contains `needle`.

    The lines are kept for error reports.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        line = process.stderr.readline()
        if line:
            lines.append(line.rstrip())
            if needle in line:
                return True
    return False


def _stop(process: subprocess.Popen, sig=signal.SIGINT, timeout_s: float = 15.0) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_demo(
    clip: Path, out: Path, max_frames: int | None, rate: float, node_args: list[str]
) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # fresh random domain
    env = rosenv.loopback_env({k: v for k, v in os.environ.items() if k != 'ROS_DOMAIN_ID'})
    env['PYTHONUNBUFFERED'] = '1'
    python = sys.executable
    bag = out / 'pose3d_demo_bag'
    node_log: list[str] = []
    print(
        'demo: starting pose3d_node (embedded default models),'
        f" ROS_DOMAIN_ID={env['ROS_DOMAIN_ID']}, loopback DDS"
    )
    node = subprocess.Popen(
        [python, '-m', 'pose3d_ros.ros.node', '--ros-args', *node_args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    recorder = None
    try:
        if not _wait_for_line(node, 'ready:', 180, node_log):
            raise RuntimeError('pose3d_node did not start:\n' + '\n'.join(node_log[-20:]))
        print('demo: ' + node_log[-1].split(']: ', 1)[-1])
        recorder_log: list[str] = []
        recorder = subprocess.Popen(
            [python, '-m', 'pose3d_ros.tools.recorder', str(bag)],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        if not _wait_for_line(recorder, 'recorder: ready', 60, recorder_log):
            raise RuntimeError('recorder did not start:\n' + '\n'.join(recorder_log[-20:]))
        time.sleep(1.0)  # let discovery settle so the first frames are not lost
        stamps_file = out / 'stamps.json'
        fps = rate or video_fps(clip)
        print(
            f'demo: playing {clip.name} at {fps:.1f} Hz'
            + (f', {max_frames} frames' if max_frames else '')
        )
        player_cmd = [
            python,
            '-m',
            'pose3d_ros.tools.player',
            str(clip),
            '--rate',
            str(fps),
            '--stamps-out',
            str(stamps_file),
        ]
        if max_frames:
            player_cmd += ['--max-frames', str(max_frames)]
        subprocess.run(player_cmd, env=env, check=True, timeout=3600)
        time.sleep(2.0)  # the last frame is still being processed
    finally:
        if recorder is not None:
            _stop(recorder, signal.SIGTERM)
        _stop(node, signal.SIGINT)
    return render_outputs(
        clip, out, bag, json.loads((out / 'stamps.json').read_text()), fps, max_frames
    )


def render_outputs(
    clip: Path, out: Path, bag: Path, stamps: list, fps: float, max_frames: int | None
) -> dict:
    data = render.read_skeleton_bag(bag)
    if not data['frames']:
        raise RuntimeError(f"the node published no skeletons (bag topics: {data['topics']})")
    index_of_stamp = {round(s, 6): i for i, s in stamps}
    results = {index_of_stamp.get(round(f['stamp'], 6), -1): f['people'] for f in data['frames']}
    video = out / 'annotated.mp4'
    render.render_video(read_frames(clip, max_frames), results, data['edges'], video, fps)
    picture = out / 'tracks_3d.png'
    render.render_tracks_picture(
        data['frames'], data['edges'], picture, f"{clip.name}: {data['skeleton_type']}"
    )
    summary = render.summarize(data['frames'], len(stamps), data['diagnostics'])
    summary.update(
        {'bag': str(bag), 'video': str(video), 'picture': str(picture), 'topics': data['topics']}
    )
    print('demo summary:\n' + render.write_summary(summary, out / 'summary.json'))
    print(f'demo: outputs in {out}/ (open {bag.name} in Foxglove or `ros2 bag info`)')
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--clip', type=Path, default=DEFAULT_CLIP, help='video file or image folder'
    )
    parser.add_argument('--out', type=Path, default=ROOT / 'demo_output')
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument(
        '--rate', type=float, default=0.0, help="playback rate in Hz (default: the clip's)"
    )
    parser.add_argument(
        'node_args', nargs='*', help='extra node --ros-args, e.g. -p engine:=onnxruntime'
    )
    args = parser.parse_args(argv)
    try:
        run_demo(args.clip, args.out, args.max_frames, args.rate, args.node_args)
    except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        print(f'demo failed: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
