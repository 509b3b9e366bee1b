"""Two minutes of the real node at 30 Hz (`pose3d-bench soak`): no memory growth, no latency creep, rate kept."""
import json
import subprocess
import sys

from pose3d_ros.tools.bench_stamp import ROOT


def test_two_minute_soak(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, "-m", "pose3d_ros.tools.bench_soak", "--minutes", "2", "--window-s", "20",
                           "--out", str(tmp_path / "soak.md"), "--json", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    windows = res["windows"]
    print((tmp_path / "soak.md").read_text())
    assert len(windows) == 6 and res["sent"] > 0.8 * 30 * 120  # the feeder kept its 30 Hz
    early, late = windows[1], windows[-1]  # window 0 holds the start-up (first inferences, arenas)
    # Output rate kept: every window delivers, the last at least half the early rate.
    assert all(w["received"] > 0 for w in windows)
    assert late["rate_hz"] >= 0.5 * early["rate_hz"], windows
    # No latency creep: a growing queue would add whole seconds; 1.5x + 100 ms absorbs machine-load noise.
    assert late["p50_ms"] <= 1.5 * early["p50_ms"] + 100.0, windows
    assert max(w["p95_ms"] for w in windows[1:]) < 3000.0, windows
    # Memory: after the first window RSS stays flat (the 30-minute goal is < 50 MiB).
    assert res["rss_growth_mb"] < 30.0, windows
