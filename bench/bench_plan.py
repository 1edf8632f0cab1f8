"""Load + validate + plan a generated 10,000-stage roadmap with random dependencies.

Goal (issue #2): under 1 s in total. Prints each phase and the per-stage cost.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap

from cyclogram.engine.checks import check_references
from cyclogram.engine.gcpause import gc_paused
from cyclogram.engine.loader import load_file
from cyclogram.engine.plan import compute_plan
from cyclogram.engine.validation import check_file
from cyclogram.engine.workcalendar import WorkCalendar

STAGES = 10_000
RUNS = 5


def main() -> None:
    text = synthetic_roadmap(STAGES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text, encoding="utf-8")
        WorkCalendar.russia()  # calendar cache warm, as in real use
        phases: dict[str, list[float]] = {
            "load (YAML+schema)": [],
            "reference checks": [],
            "plan": [],
            "sum of phases": [],
            "check_file (as the CLI)": [],
        }
        for _ in range(RUNS):
            with gc_paused():  # as check_file does
                t0 = time.perf_counter()
                loaded = load_file(path)
                t1 = time.perf_counter()
                assert loaded.roadmap is not None, [d.format() for d in loaded.report.diagnostics[:5]]
                issues = check_references(loaded.roadmap)
                t2 = time.perf_counter()
                plan = compute_plan(loaded.roadmap)
                t3 = time.perf_counter()
            phases["load (YAML+schema)"].append(t1 - t0)
            phases["reference checks"].append(t2 - t1)
            phases["plan"].append(t3 - t2)
            phases["sum of phases"].append(t3 - t0)
            t4 = time.perf_counter()
            checked = check_file(path)
            phases["check_file (as the CLI)"].append(time.perf_counter() - t4)
            assert checked.report.ok
        errors = [i for i in issues + plan.issues if i.severity.value == "error"]
    size = len(text.encode()) / 1024 / 1024
    print(f"roadmap: {STAGES} stages, {size:.1f} MB of YAML, {len(errors)} errors, median of {RUNS} runs")
    for name, samples in phases.items():
        median = statistics.median(samples)
        print(f"  {name:20s} {median * 1000:8.1f} ms   {median / STAGES * 1e6:6.1f} µs/stage")
    total = statistics.median(phases["check_file (as the CLI)"])
    print(f"goal: load+validate+plan < 1000 ms -> {total * 1000:.0f} ms, {'met' if total < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
