"""Generate large synthetic roadmaps for benchmarks: a random DAG of dependencies, mixed deadline forms.

Stages with a fixed date depend only on earlier fixed-date stages (dates never decrease along the
document), so the generated plan is valid; relative and immediate stages may depend on anything
before them.
"""

from __future__ import annotations

import datetime as dt
import random

FIRST_DAY = dt.date(2024, 9, 2)
SPAN_DAYS = 260


def synthetic_roadmap(stages: int, seed: int = 7, max_deps: int = 3, per_section: int = 100) -> str:
    rng = random.Random(seed)
    people = [f"p{i}" for i in range(50)]
    lines = [
        "id: synthetic",
        "title: Синтетическая дорожная карта",
        "academic_year: 2024-2025",
        "timezone: Europe/Moscow",
        "people:",
        *(f"  {key}: {{name: Сотрудник {key}, contacts: {{email: {key}@school.example}}}}" for key in people),
        "roles:",
        f"  team: {{title: Команда, members: [{', '.join(people[:5])}]}}",
        "events:",
        *(f"  ev{i}: {{title: Событие {i}, start: 2024-10-{1 + i:02d}, end: 2024-10-{5 + i:02d}}}" for i in range(20)),
        "sections:",
    ]
    fixed: list[int] = []  # indexes of fixed-date stages
    for index in range(stages):
        if index % per_section == 0:
            number = index // per_section + 1
            lines += [f'  - number: "{number}."', f"    title: Раздел {number} — мероприятия", "    stages:"]
        day = FIRST_DAY + dt.timedelta(days=index * SPAN_DAYS // stages)
        form = rng.random()
        if form < 0.6 or len(fixed) < 3:
            pool = fixed[-200:]
            deps = rng.sample(pool, k=min(len(pool), rng.randint(0, max_deps)))
            timing = f"due: {day.isoformat()}"
            fixed.append(index)
        elif form < 0.7:
            deps = []
            timing = f"due: ev{rng.randrange(20)}.end + {rng.randint(1, 10)}wd"
        elif form < 0.9:
            deps = [rng.randrange(max(0, index - 200), index)]  # anchored on its only dependency
            timing = f"due: s{deps[0]}.done + {rng.randint(1, 10)}wd"
        else:
            deps = rng.sample(range(max(0, index - 200), index), k=min(index, rng.randint(1, max_deps)))
            timing = "due: immediately"
        who = rng.choice(people + ["team"])
        dep_text = f", depends_on: [{', '.join(f's{d}' for d in sorted(deps))}]" if deps else ""
        lines.append(
            f'      - {{id: s{index}, number: "{index // per_section + 1}.{index % per_section + 1}", '
            f"title: Этап {index} — подготовить документ, {timing}, responsible: [{who}]{dep_text}}}"
        )
    return "\n".join(lines) + "\n"
