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
Node health for /diagnostics: rates, dropped frames, latency, people, engine and input problems.

`NodeStats` is plain Python (counters and sliding windows, times in seconds); `diagnostic_array`
turns a snapshot into diagnostic_msgs. Levels: ERROR while inputs are bad or missing, WARN while
frames are being dropped or there is no CameraInfo yet, OK otherwise.
"""

from __future__ import annotations

import collections
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import numpy as np
from std_msgs.msg import Header

OK, WARN, ERROR = 0, 1, 2  # diagnostic levels as ints (diagnostic_msgs stores them as bytes)
WINDOW_S = 5.0  # rates and latency percentiles are computed over this many seconds
# a bad-input problem keeps the status at ERROR/WARN this long after its last occurrence
PROBLEM_HOLD_S = 3.0
# problem messages and values are cut to this many characters (hostile input echoes)
MAX_TEXT_CHARS = 400
MAX_STATUS_CHARS = 1200  # the joined status message is cut to this many characters


def cap(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` cut to `limit` characters, saying how long it was."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f'... ({len(text)} chars)'


class NodeStats:
    """Thread-safe counters of the node; `now` is a monotonic clock in seconds."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._received = collections.deque()  # monotonic times of received images
        self._processed = collections.deque()  # (time, latency_s, people)
        self.received_total = 0
        self.processed_total = 0
        self.dropped_total = 0  # frames replaced by a newer one before processing
        self.skipped_unsubscribed = 0  # frames not processed because nobody subscribed
        self.bad_input_total = 0
        # key -> (level, message, last time)
        self._problems: dict[str, tuple[int, str, float]] = {}
        self.engine = ''
        self.models = ''
        self.ground_plane = ''  # floor source and plane in use (DepthFusion.describe)
        self.tracks = 0
        # lifecycle state; while not active the status says so instead of "no images"
        self.state = 'active'

    def _trim(self, now: float) -> None:
        while self._received and now - self._received[0] > WINDOW_S:
            self._received.popleft()
        while self._processed and now - self._processed[0][0] > WINDOW_S:
            self._processed.popleft()

    def on_received(self) -> None:
        with self._lock:
            now = self._clock()
            self.received_total += 1
            self._received.append(now)
            self._trim(now)

    def on_dropped(self) -> None:
        with self._lock:
            self.dropped_total += 1

    def on_skipped(self) -> None:
        with self._lock:
            self.skipped_unsubscribed += 1

    def on_processed(self, latency_s: float, people: int, tracks: int) -> None:
        with self._lock:
            now = self._clock()
            self.processed_total += 1
            self.tracks = tracks
            self._processed.append((now, latency_s, people))
            self._trim(now)

    def problem(self, key: str, level: int, message: str) -> None:  # level: OK, WARN or ERROR
        """
        Record a problem of kind `key` (e.g. 'image').

        It shows until PROBLEM_HOLD_S after its last report
        """
        with self._lock:
            if level >= ERROR:
                self.bad_input_total += 1
            self._problems[key] = (level, cap(message), self._clock())

    def clear(self, key: str) -> None:
        with self._lock:
            self._problems.pop(key, None)

    def snapshot(self) -> dict:
        with self._lock:
            now = self._clock()
            self._trim(now)
            latencies = (
                np.array([p[1] for p in self._processed]) if self._processed else np.zeros(0)
            )
            problems = {k: v for k, v in self._problems.items() if now - v[2] <= PROBLEM_HOLD_S}
            return {
                'input_rate_hz': _rate(self._received),
                'processed_rate_hz': _rate([p[0] for p in self._processed]),
                'received_total': self.received_total,
                'processed_total': self.processed_total,
                'dropped_total': self.dropped_total,
                'skipped_unsubscribed': self.skipped_unsubscribed,
                'bad_input_total': self.bad_input_total,
                'latency_p50_ms': (
                    float(np.percentile(latencies, 50) * 1e3) if latencies.size else float('nan')
                ),
                'latency_p95_ms': (
                    float(np.percentile(latencies, 95) * 1e3) if latencies.size else float('nan')
                ),
                'people': int(self._processed[-1][2]) if self._processed else 0,
                'tracks': self.tracks,
                'engine': self.engine,
                'models': self.models,
                'ground_plane': self.ground_plane,
                'problems': problems,
                'state': self.state,
                'seconds_since_image': (
                    now - self._received[-1] if self._received else float('inf')
                ),
            }


def _rate(times) -> float:
    """Events per second over the window (0 with fewer than two events)."""
    times = list(times)
    if len(times) < 2:
        return 0.0
    duration = times[-1] - times[0]
    return (len(times) - 1) / duration if duration > 0 else 0.0


def diagnostic_array(
    snapshot: dict, node_name: str, hardware_id: str, stamp, stale_after_s: float = 3.0
) -> DiagnosticArray:
    """One DiagnosticStatus named '<node>: pipeline' with every number as a KeyValue."""
    problems = snapshot['problems']
    level, message = OK, 'running'
    if problems:
        worst = max(problems.values(), key=lambda p: p[0])
        level, message = worst[0], cap(
            '; '.join(p[1] for p in problems.values()), MAX_STATUS_CHARS
        )
    elif snapshot.get('state', 'active') != 'active':
        message = f"{snapshot['state']} (lifecycle): not processing images"
    elif snapshot['seconds_since_image'] > stale_after_s:
        level = WARN
        message = (
            'no images received'
            if snapshot['received_total'] == 0
            else f"no image for {snapshot['seconds_since_image']:.1f} s"
        )
    status = DiagnosticStatus(
        level=bytes([level]),
        name=f'{node_name}: pipeline',
        message=message,
        hardware_id=hardware_id,
    )
    keys = (
        'input_rate_hz',
        'processed_rate_hz',
        'received_total',
        'processed_total',
        'dropped_total',
        'skipped_unsubscribed',
        'bad_input_total',
        'latency_p50_ms',
        'latency_p95_ms',
        'people',
        'tracks',
        'engine',
        'models',
        'ground_plane',
    )
    status.values = [
        KeyValue(key=k, value=f'{v:.2f}' if isinstance(v, float) else cap(v))
        for k in keys
        for v in [snapshot[k]]
    ]
    return DiagnosticArray(
        header=Header(stamp=stamp) if stamp is not None else Header(), status=[status]
    )
