"""Whole-process wall time of `cyclogram validate` on the СПТ roadmap (30 stages) vs `python -c pass`.

Goal (issues #2, #9): within 0.25 s of a bare interpreter start.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import CLI, bare, ms, whole

ROADMAP = Path(__file__).resolve().parent.parent / "roadmaps" / "spt-usolye-2024.yaml"


def main() -> None:
    subprocess.run([CLI, "validate", str(ROADMAP)], check=True, stdout=subprocess.DEVNULL)  # warm the calendar cache
    python = bare()
    validate, _ = whole([CLI, "validate", str(ROADMAP)], runs=15)
    verdict = "met" if validate - python < 0.25 else "NOT met"
    print(f"python -c pass                     median {ms(python)}")
    print(
        f"cyclogram validate (СПТ)           median {ms(validate)}  (+{ms(validate - python).strip()}; goal +250 ms: {verdict})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        changed = Path(tmp) / "spt.yaml"
        text = ROADMAP.read_text(encoding="utf-8")
        cold = []
        for run in range(9):  # the text changes before every run: nothing to read back
            changed.write_text(text + f"# правка {run}\n", encoding="utf-8")
            cold.append(whole([CLI, "validate", str(changed)], runs=1)[0])
        first = statistics.median(cold)
        print(f"validate, file just changed        median {ms(first)}  (+{ms(first - python).strip()})")


if __name__ == "__main__":
    main()
