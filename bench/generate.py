"""Generate large synthetic roadmaps for benchmarks (random DAG of dependencies, every timing form)."""

from __future__ import annotations

import random


def synthetic_roadmap(stages: int, seed: int = 7, max_deps: int = 3) -> str:
    rng = random.Random(seed)
    lines = [
        "id: synthetic",
        "title: Синтетическая дорожная карта",
        "academic_year: 2024-2025",
        "timezone: Europe/Moscow",
        "people:",
    ]
    people = [f"p{i}" for i in range(50)]
    for key in people:
        lines.append(f"  {key}: {{name: Сотрудник {key}, contacts: {{email: {key}@school.example}}}}")
    lines += ["roles:", f"  team: {{title: Команда, members: [{', '.join(people[:5])}]}}", "events:"]
    for i in range(20):
        lines.append(f"  ev{i}: {{title: Событие {i}, start: 2024-{9 + i % 4:02d}-{1 + i:02d}, end: 2024-{9 + i % 4:02d}-{5 + i:02d}}}")
    lines.append("sections:")
    per_section = 100
    dues: list[int] = []  # day offset of each stage's due, so that dependencies stay consistent
    for index in range(stages):
        if index % per_section == 0:
            lines += [f"  - number: \"{index // per_section + 1}.\"", f"    title: Раздел {index // per_section + 1}", "    stages:"]
        deps = sorted(rng.sample(range(index), k=min(index, rng.randint(0, max_deps)))) if index else []
        floor = max((dues[d] for d in deps), default=0)
        form = rng.random()
        who = rng.choice(people + ["team"])
        dep_text = f", depends_on: [{', '.join(f's{d}' for d in deps)}]" if deps else ""
        if form < 0.6 or not deps:
            day = floor + rng.randint(0, 5)
            dues.append(day)
            month, dom = divmod(day % 240, 30)
            year = 2024 if month < 4 else 2025
            real_month = (8 + month) % 12 + 1
            due = f"{year}-{real_month:02d}-{min(dom + 1, 28):02d}"
            # keep the calendar order monotonic with the synthetic offset
            dues[-1] = (year - 2024) * 400 + real_month * 31 + dom if year == 2024 else 400 + real_month * 31 + dom
            dues[-1] = max(dues[-1], floor)
            if dues[-1] > floor or not deps:
                text = f"due: {due}"
            else:
                text = f"due: s{deps[-1]}.done + {rng.randint(1, 5)}wd"
                dues[-1] = floor + 8
        elif form < 0.9:
            text = f"due: s{deps[-1]}.done + {rng.randint(1, 10)}wd"
            dues.append(floor + 15)
        else:
            text = "due: immediately"
            dues.append(floor)
        lines.append(f"      - {{id: s{index}, number: \"{index // per_section + 1}.{index % per_section + 1}\", title: Этап {index}, {text}, responsible: [{who}]{dep_text}}}")
    return "\n".join(lines) + "\n"
