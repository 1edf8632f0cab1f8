"""`cyclogram plan` of a generated 10,000-stage roadmap: whole process and in-process phases.

Goal (issue #9): the whole `cyclogram plan` under 1.0 s (table, JSON and CSV). A file is checked
once per text (`cyclogram.compiled.CheckedFiles`): the first `plan` after a change checks it, the
next ones read the result back; both are printed. In process: load (YAML + schema), reference
checks and planning, each per stage.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap
from timing import CLI, bare, inner, ms, verdict, whole

from cyclogram.engine.checks import check_references
from cyclogram.engine.gcpause import gc_paused
from cyclogram.engine.loader import load_file
from cyclogram.engine.plan import compute_plan
from cyclogram.workdays import country_days

STAGES = 10_000


def main() -> None:
    text = synthetic_roadmap(STAGES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text, encoding="utf-8")
        country = country_days()  # the calendar cache warm, as in real use
        with gc_paused():
            t_load, loaded = inner(lambda: load_file(path))
            assert loaded.roadmap is not None
            roadmap = loaded.roadmap
            t_refs, _ = inner(lambda: check_references(roadmap))
            t_plan, _ = inner(lambda: compute_plan(roadmap, country=country))
        print(f"roadmap: {STAGES} stages, {len(text.encode()) / 2**20:.1f} MB of YAML")
        print(
            f"  in process: load {ms(t_load)}, references {ms(t_refs)}, plan {ms(t_plan)} "
            f"({(t_load + t_refs + t_plan) / STAGES * 1e6:.0f} µs/stage)"
        )
        python = bare()
        print(f"  python -c pass                     {ms(python)}")
        cold = []
        for run in range(3):  # a changed file is checked again: its first `plan`
            path.write_text(text + f"# правка {run}\n", encoding="utf-8")
            cold.append(whole([CLI, "plan", str(path), "-f", "json"], runs=1)[0])
        print(f"  cyclogram plan, file just changed  {ms(sorted(cold)[1])}   {verdict(sorted(cold)[1], 1.0)}")
        for label, extra in (("table (80 columns)", []), ("--format json", ["-f", "json"]), ("--format csv", ["-f", "csv"])):
            median, _ = whole([CLI, "plan", str(path), *extra], env={"COLUMNS": "80"})
            print(f"  cyclogram plan, {label:20s} {ms(median)}   {verdict(median, 1.0)}")


if __name__ == "__main__":
    main()
