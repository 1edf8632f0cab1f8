"""Per-stage overhead of the compiled Prefect flow against the engine's own evaluation, for 30,
300 and 3,000 stages, and the time of one daily tick of the СПТ roadmap.

Runs against the embedded (ephemeral) Prefect API with its SQLite database, like the default
install; each size is ticked twice and the second run is reported (the first pays start-up).
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

SIZES = [int(n) for n in os.environ.get("BENCH_FLOW_SIZES", "30,300,3000").split(",")]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CYCLOGRAM_HOME"] = tmp
        os.environ["CYCLOGRAM_SECRETS_FILE"] = str(Path(tmp) / "none.env")
        os.environ.setdefault("PREFECT_HOME", str(Path(tmp) / "prefect"))
        from cyclogram import recording
        from cyclogram.app import open_tracker
        from cyclogram.engine.status import compute_status
        from cyclogram.flows.deploy import ensure_dispatch_limit
        from cyclogram.flows.roadmap import roadmap_tick

        tracker = open_tracker()
        ensure_dispatch_limit()
        root = Path(__file__).resolve().parent.parent
        recording.load(tracker, root / "roadmaps" / "spt-usolye-2024.yaml", "bench")
        samples = []
        for day in ("2024-10-14", "2024-10-15", "2024-10-16"):
            start = time.perf_counter()
            roadmap_tick("spt-usolye-2024", day, None, False)
            samples.append(time.perf_counter() - start)
        print(
            f"СПТ (28 stages) daily tick, detailed tags: {samples[0]:.1f} s first (server start-up), then {statistics.median(samples[1:]):.2f} s"
        )
        quick = []
        for day in ("2024-10-17", "2024-10-18"):
            start = time.perf_counter()
            roadmap_tick("spt-usolye-2024", day, None, False, detailed_tags=False)
            quick.append(time.perf_counter() - start)
        print(f"СПТ daily tick, roadmap tag only: {statistics.median(quick):.2f} s")
        for size in SIZES:
            path = Path(tmp) / f"synthetic-{size}.yaml"
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
                f"engine alone {engine_s * 1000:7.1f} ms = {engine_s / size * 1000:5.2f} ms/stage "
                f"(Prefect overhead ×{flow_s / max(engine_s, 1e-9):.0f})"
            )


if __name__ == "__main__":
    main()
