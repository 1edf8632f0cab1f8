"""`status` on a 10,000-stage roadmap with 5,000 completions, in process.

Goal (issue #3): < 0.5 s, including recomputing the plan with the actual completion dates.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap

from cyclogram.engine.status import compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_text

STAGES, COMPLETIONS, RUNS = 10_000, 5_000, 5


def main() -> None:
    checked = check_text(synthetic_roadmap(STAGES), "synthetic.yaml")
    roadmap, plan = checked.roadmap, checked.plan
    assert roadmap is not None and plan is not None
    rng = random.Random(3)
    zone = ZoneInfo(roadmap.timezone)
    completions = []
    for key in rng.sample(list(plan.stages), COMPLETIONS):
        planned = plan.stages[key]
        day = (planned.due or dt.date(2024, 10, 1)) + dt.timedelta(days=rng.randint(-5, 5))
        state = CompletionState.SKIPPED if rng.random() < 0.1 else CompletionState.DONE
        completions.append(Completion(key, state, dt.datetime.combine(day, dt.time(12), zone), "p1"))
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = compute_status(roadmap, completions, dt.date(2025, 8, 30))
        samples.append(time.perf_counter() - start)
    counts = {s.value: n for s, n in result.counts().items() if n}
    median = statistics.median(samples)
    print(
        f"status of {STAGES} stages with {COMPLETIONS} completions: median {median * 1000:.0f} ms "
        f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f}; {RUNS} runs) — goal < 500 ms: "
        f"{'met' if median < 0.5 else 'NOT met'}"
    )
    print(f"  statuses: {counts}")


if __name__ == "__main__":
    main()
