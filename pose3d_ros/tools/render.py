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
What a person looks at after a run: an annotated video, pictures of the 3D tracks, a summary.

Works from the node's recorded MCAP: per frame the stamp and people (id, state, joints in metres,
2D keypoints, box) as `ros.conversions.skeletons_from_msg` gives them.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from pose3d_ros.tracking import TrackState
from pose3d_ros.visualize import draw_people, id_colour_rgb

LOST = TrackState.LOST


def read_skeleton_bag(bag: Path) -> dict:
    """
    Read a bag written by the recorder (or by pose3d-run).

    Returns {'frames': [{'stamp', 'received', 'people': [...]}], 'skeleton_type', 'joint_names',
    'edges', 'topics', 'diagnostics': [{key: value}]}.
    """
    from pose3d_ros.bags import pose3d_typestore
    from pose3d_ros.ros import conversions
    from rosbags.rosbag2 import Reader

    store = pose3d_typestore()
    out = {
        'frames': [],
        'skeleton_type': '',
        'joint_names': [],
        'edges': [],
        'topics': {},
        'diagnostics': [],
    }
    with Reader(bag) as reader:
        out['topics'] = {c.topic: c.msgcount for c in reader.connections}
        for connection, received_ns, data in reader.messages():
            msg = store.deserialize_cdr(data, connection.msgtype)
            kind = connection.msgtype.rsplit('/', 1)[-1]
            if kind == 'Skeleton3DArray':
                out['skeleton_type'] = msg.skeleton_type
                out['frames'].append(
                    {
                        'stamp': msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9,
                        'received': received_ns * 1e-9,
                        'frame_id': msg.header.frame_id,
                        'people': conversions.skeletons_from_msg(msg),
                    }
                )
            elif kind == 'SkeletonInfo':
                out['joint_names'] = list(msg.joint_names)
                out['edges'] = np.asarray(msg.edges, np.int64).reshape(-1, 2).tolist()
            elif kind == 'DiagnosticArray':
                for status in msg.status:
                    if status.name.endswith(': pipeline'):
                        out['diagnostics'].append({kv.key: kv.value for kv in status.values})
    out['frames'].sort(key=lambda f: f['stamp'])
    return out


def render_video(frames_by_index, results_by_index: dict, edges, path: Path, fps: float) -> int:
    """Annotated video: 2D skeletons with ids over the source frames. Returns frames written."""
    writer = None
    written = 0
    for index, _, rgb in frames_by_index:
        people = [p for p in results_by_index.get(index, []) if p['state'] != LOST]
        drawn = draw_people(rgb, people, edges)
        label = (
            f'frame {index}  people {len(people)}'
            if index in results_by_index
            else f'frame {index}  not processed (node busy, newer frame taken)'
        )
        cv2.putText(
            drawn, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 0), 2, cv2.LINE_AA
        )
        if writer is None:
            writer = cv2.VideoWriter(
                str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (rgb.shape[1], rgb.shape[0])
            )
        writer.write(cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
        written += 1
    if writer is not None:
        writer.release()
    return written


def render_tracks_picture(frames: list[dict], edges, path: Path, title: str = '') -> None:
    """
    Top view (x right, z forward) and side view (z forward, height up) of every track's root path.

    With the skeleton of each track drawn at its last frame. Metres, camera frame.
    """
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    paths: dict[str, list[np.ndarray]] = {}
    last_pose: dict[str, np.ndarray] = {}
    for frame in frames:
        for p in frame['people']:
            if p['state'] != LOST and np.isfinite(p['root']).all():
                paths.setdefault(p['id'], []).append(p['root'])
                last_pose[p['id']] = p['joints']
    fig, (top, side) = plt.subplots(1, 2, figsize=(13, 6))
    for track_id, roots in paths.items():
        roots = np.array(roots)  # (T, 3) metres
        colour = np.array(id_colour_rgb(track_id)) / 255.0
        top.plot(roots[:, 0], roots[:, 2], '-', color=colour, lw=1.5)
        side.plot(roots[:, 2], -roots[:, 1], '-', color=colour, lw=1.0, alpha=0.6)
        pose = last_pose[track_id]
        for a, b in edges:
            if np.isfinite(pose[[a, b]]).all():
                top.plot(pose[[a, b], 0], pose[[a, b], 2], '-', color=colour, lw=0.8)
                side.plot(pose[[a, b], 2], -pose[[a, b], 1], '-', color=colour, lw=1.5)
        top.annotate(track_id, (roots[-1, 0], roots[-1, 2]), color=colour, fontsize=8)
    top.plot([0], [0], 'k^', ms=10)
    top.set(
        xlabel='x (m, right)',
        ylabel='z (m, forward)',
        title='from above: root paths, last skeletons',
    )
    side.plot([0], [0], 'k>', ms=10)
    side.set(xlabel='z (m, forward)', ylabel='-y (m, up)', title='from the side')
    for ax in (top, side):
        ax.set_aspect('equal', adjustable='datalim')
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summarize(frames: list[dict], published_frames: int, diagnostics: list[dict]) -> dict:
    """Frames, people per frame, tracks, processing rate, stamp-to-record latency percentiles."""
    people = [sum(p['state'] != LOST for p in f['people']) for f in frames]
    ids = {p['id'] for f in frames for p in f['people']}
    latencies = np.array([f['received'] - f['stamp'] for f in frames])
    duration = frames[-1]['stamp'] - frames[0]['stamp'] if len(frames) > 1 else 0.0
    summary = {
        'frames_published': published_frames,
        'frames_processed': len(frames),
        'people_per_frame_mean': float(np.mean(people)) if people else 0.0,
        'people_per_frame_max': int(max(people)) if people else 0,
        'tracks': len(ids),
        'processed_fps': (len(frames) - 1) / duration if duration > 0 else 0.0,
        'latency_ms_p50': (
            float(np.percentile(latencies, 50) * 1e3) if len(frames) else float('nan')
        ),
        'latency_ms_p95': (
            float(np.percentile(latencies, 95) * 1e3) if len(frames) else float('nan')
        ),
    }
    summary['root_jump_m_per_100ms_p50'] = root_jump(frames)
    if diagnostics:
        last = diagnostics[-1]
        summary['dropped_frames'] = int(last.get('dropped_total', 0))
        summary['engine'] = last.get('engine', '')
    return summary


def root_jump(frames: list[dict], period_s: float = 0.1) -> float:
    """
    Median root displacement of measured tracks between consecutive processed frames.

    Scaled to one `period_s` interval (10 Hz by default), metres; NaN without such pairs.
    """
    last: dict[str, tuple[float, np.ndarray]] = {}
    jumps = []
    for frame in frames:
        for p in frame['people']:
            if p['state'] == LOST or not np.isfinite(p['root']).all():
                continue
            prev = last.get(p['id'])
            if prev is not None and frame['stamp'] > prev[0]:
                jumps.append(
                    np.linalg.norm(p['root'] - prev[1]) * period_s / (frame['stamp'] - prev[0])
                )
            last[p['id']] = (frame['stamp'], p['root'])
    return float(np.median(jumps)) if jumps else float('nan')


def write_summary(summary: dict, path: Path) -> str:
    path.write_text(json.dumps(summary, indent=2))
    lines = [
        f'  {k:24s} {v:.2f}' if isinstance(v, float) else f'  {k:24s} {v}'
        for k, v in summary.items()
    ]
    return '\n'.join(lines)
