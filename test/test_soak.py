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
Two minutes of the real node at 30 Hz (`pose3d-bench soak`).

No memory growth, no latency creep, rate kept
"""

import json
import subprocess
import sys

from pose3d_ros.tools.bench_stamp import ROOT


def test_two_minute_soak(tmp_path):
    out = tmp_path / 'soak.json'
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'pose3d_ros.tools.bench_soak',
            '--minutes',
            '2',
            '--window-s',
            '20',
            '--out',
            str(tmp_path / 'soak.md'),
            '--json',
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    windows = res['windows']
    print((tmp_path / 'soak.md').read_text())
    assert len(windows) == 6 and res['sent'] > 0.8 * 30 * 120  # the feeder kept its 30 Hz
    early, late = windows[1], windows[-1]  # window 0 holds the start-up (first inferences, arenas)
    # Output rate kept: every window delivers; a collapse (< 20 % of the early rate) fails. The
    # rate itself
    # follows the machine's load (the 30-minute table: 1.4 to 8.9 Hz on a shared 2-core machine).
    assert all(w['received'] > 0 for w in windows)
    assert late['rate_hz'] >= 0.2 * early['rate_hz'], windows
    # No latency creep. The node works on the newest image, so p50 latency x output rate (the
    # images "in
    # flight") stays near 1 whatever the load (30-minute table: 0.9 to 1.1); a growing queue raises
    # it.
    in_flight = [w['p50_ms'] * 1e-3 * w['rate_hz'] for w in windows[1:]]
    assert max(in_flight) < 2.5 and in_flight[-1] <= 1.5 * in_flight[0] + 0.3, (in_flight, windows)
    # Memory: after the first window RSS stays flat (the 30-minute goal is < 50 MiB; measured +16
    # MiB).
    assert res['rss_growth_mb'] < 30.0, windows
