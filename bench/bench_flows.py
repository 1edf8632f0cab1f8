"""The daily tick as a Prefect flow run against a running Prefect server: the 28-stage СПТ roadmap
and a generated 1,000-stage one, next to the engine alone.

Goal (issue #9): a daily tick of the 28-stage roadmap under 3 s. A `prefect server start` (SQLite)
is started on loopback first, as `cyclogram serve` does when no API is configured; each tick is
one `roadmap_tick` call (what the schedule runs), timed from the call to its return.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap

SIZES = [int(n) for n in os.environ.get("BENCH_FLOW_SIZES", "1000").split(",")]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CYCLOGRAM_HOME"] = tmp
        os.environ["CYCLOGRAM_SECRETS_FILE"] = str(Path(tmp) / "none.env")
        os.environ["PREFECT_HOME"] = str(Path(tmp) / "prefect")
        from cyclogram.flows.server import start_server

        started = time.perf_counter()
        server, url = start_server()
        os.environ["PREFECT_API_URL"] = url
        print(f"Prefect server on {url} ready in {time.perf_counter() - started:.1f} s")
        try:
            run(Path(tmp))
        finally:
            server.terminate()
            server.wait(timeout=30)


def run(tmp: Path) -> None:
    from cyclogram import recording
    from cyclogram.app import open_tracker
    from cyclogram.engine.status import compute_status
    from cyclogram.flows.deploy import ensure_dispatch_limit
    from cyclogram.flows.roadmap import roadmap_tick

    tracker = open_tracker()
    ensure_dispatch_limit()
    root = Path(__file__).resolve().parent.parent
    recording.load(tracker, root / "roadmaps" / "spt-usolye-2024.yaml", "bench")
    for detailed in (True, False):
        samples = []
        for day in ("2024-10-14", "2024-10-15", "2024-10-16", "2024-10-17"):
            start = time.perf_counter()
            roadmap_tick("spt-usolye-2024", day, None, False, detailed_tags=detailed)
            samples.append(time.perf_counter() - start)
        label = "roadmap, section and person tags" if detailed else "roadmap tag only"
        print(
            f"СПТ (28 stages) daily tick, {label}: first {samples[0]:.2f} s, then median {statistics.median(samples[1:]):.2f} s "
            f"(goal < 3 s: {'met' if statistics.median(samples[1:]) < 3 else 'NOT met'})"
        )
    for size in SIZES:
        path = tmp / f"synthetic-{size}.yaml"
        path.write_text(
            synthetic_roadmap(size, per_section=min(100, size)).replace("id: synthetic", f"id: synthetic-{size}"),
            encoding="utf-8",
        )
        recording.load(tracker, path, "bench")
        roadmap = tracker.active(f"synthetic-{size}").roadmap
        start = time.perf_counter()
        compute_status(roadmap, [], dt.date(2024, 10, 14))
        engine_s = time.perf_counter() - start
        times = []
        for day in ("2024-10-14", "2024-10-15"):
            start = time.perf_counter()
            roadmap_tick(f"synthetic-{size}", day, None, False, detailed_tags=False)
            times.append(time.perf_counter() - start)
        flow_s = times[-1]
        print(
            f"{size:5d} stages: flow run {flow_s:7.1f} s = {flow_s / size * 1000:6.1f} ms/stage; "
            f"engine alone {engine_s * 1000:7.1f} ms (Prefect's bookkeeping ×{flow_s / max(engine_s, 1e-9):.0f})"
        )


if __name__ == "__main__":
    main()
