"""Whole-process wall time of `cyclogram validate` on the СПТ roadmap (30 stages) vs `python -c pass`.

Goal (issues #2, #9): within 0.25 s of a bare interpreter start.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import CLI, bare, ms, whole

ROADMAP = Path(__file__).resolve().parent.parent / "roadmaps" / "spt-usolye-2024.yaml"


def main() -> None:
    subprocess.run([CLI, "validate", str(ROADMAP)], check=True, stdout=subprocess.DEVNULL)  # warm the calendar cache
    python = bare()
    validate, _ = whole([CLI, "validate", str(ROADMAP)], runs=15)
    print(f"python -c pass              median {ms(python)}")
    print(f"cyclogram validate (СПТ)    median {ms(validate)}")
    print(
        f"difference                         {ms(validate - python)}  (goal < 250 ms: {'met' if validate - python < 0.25 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
