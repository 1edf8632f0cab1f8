"""`cyclogram status` of a loaded 10,000-stage roadmap with 5,000 completions.

Goal (issue #9): the whole process under 0.5 s, as JSON and as the table. The database is a real
SQLite file in a scratch data directory; the 5,000 completions are recorded as one batch (as
`import-completions` would). Prints the first run (which compiles the version once and keeps the
snapshot), warm runs, and the in-process phases.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap
from timing import CLI, bare, inner, ms, verdict, whole

STAGES, COMPLETIONS = 10_000, 5_000
AS_OF = "2025-05-30"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["CYCLOGRAM_HOME"] = str(home)
        from cyclogram import recording
        from cyclogram.app import open_tracker
        from cyclogram.tracker import status_of

        path = home / "synthetic.yaml"
        path.write_text(synthetic_roadmap(STAGES), encoding="utf-8")
        tracker = open_tracker()
        start = time.perf_counter()
        recording.load(tracker, path, "bench")
        t_load = time.perf_counter() - start
        plan = tracker.active("synthetic").plan
        rng = random.Random(3)
        marks = []
        for key in rng.sample(list(plan.stages), COMPLETIONS):
            due = plan.stages[key].due or dt.date(2024, 10, 1)
            day = min(due + dt.timedelta(days=rng.randint(-5, 5)), dt.date(2025, 5, 29))
            marks.append(recording.Mark(key, f"{day.isoformat()}T12:00"))
        start = time.perf_counter()
        recording.done_many(tracker, "synthetic", marks, by="p1", actor="bench", force=True, reason="бумажные отметки")
        t_batch = time.perf_counter() - start
        print(f"{STAGES} stages: load {t_load:.1f} s; {COMPLETIONS} completions in one transaction {t_batch:.1f} s")
        for snapshot in (home / "compiled").glob("*.snapshot"):
            snapshot.unlink()  # the first command below compiles, as after an engine upgrade

        command = [CLI, "status", "synthetic", "--as-of", AS_OF]
        start = time.perf_counter()
        whole([*command, "-f", "json"], runs=1)
        print(f"  first status (compiles the version once) {ms(time.perf_counter() - start)}")
        python = bare()
        print(f"  python -c pass                           {ms(python)}")
        for label, extra in (("--format json", ["-f", "json"]), ("table (80 columns)", []), ("--format csv", ["-f", "csv"])):
            median, _ = whole([*command, *extra], env={"COLUMNS": "80"})
            print(f"  cyclogram status, {label:22s} {ms(median)}   {verdict(median, 0.5)}")

        fresh = open_tracker()
        t_read, (active, completions) = inner(lambda: fresh.completions("synthetic"))
        moment = dt.date.fromisoformat(AS_OF)
        t_status, result = inner(lambda: status_of(active, completions, moment))
        counts = {s.value: n for s, n in result.counts().items() if n}
        print(f"  in process: read (compiled + completions) {ms(t_read)}, status {ms(t_status)}; {counts}")


if __name__ == "__main__":
    main()
