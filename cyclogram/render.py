"""Turning plans and diagnostics into what people read: rich tables, a tree, JSON and CSV.

Rendering is kept apart from computing (engine/) so that every format shows the same facts.
Rich is imported inside the functions that draw, keeping `cyclogram validate` quick to start.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from engine import russian
from engine.diagnostics import Diagnostic
from engine.plan import Plan, PlannedStage

KIND_WORDS = {
    "deadline": "срок",
    "window": "период",
    "months": "по месяцам",
    "recurring": "периодически",
    "continuous": "постоянно",
    "immediate": "незамедлительно",
    "triggered": "по поводу",
}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def people_names(plan: Plan, planned: PlannedStage) -> list[str]:
    """Full names in the order the stage names them; a role without members shows its title."""
    roadmap = plan.roadmap
    names: list[str] = []
    for key in planned.stage.responsible:
        if key in roadmap.roles:
            role = roadmap.roles[key]
            members = [roadmap.people[m].name for m in role.members if m in roadmap.people]
            names.extend(members or [role.title])
        elif key in roadmap.people:
            names.append(roadmap.people[key].name)
    return list(dict.fromkeys(names))


def section_title(planned: PlannedStage) -> str:
    return " / ".join(f"{s.number} {s.title}".strip() if s.number else s.title for s in planned.ref.sections)


def plan_records(plan: Plan) -> list[dict[str, Any]]:
    records = []
    for planned in plan.stages.values():
        stage = planned.stage
        records.append(
            {
                "id": stage.id,
                "number": stage.number,
                "title": stage.title,
                "section": section_title(planned) or None,
                "kind": planned.kind,
                "when": stage.when,
                "start": _iso(planned.start),
                "due": _iso(planned.due),
                "unknown": planned.unknown or next((o.unknown for o in planned.occurrences if o.unknown), None),
                "responsible": people_names(plan, planned),
                "responsible_keys": list(stage.responsible),
                "depends_on": list(planned.depends_on),
                "document": stage.document,
                "evidence_required": stage.evidence_required,
                "explain": planned.explain,
                "occurrences": [
                    {
                        "label": o.label,
                        "start": _iso(o.start),
                        "due": _iso(o.due),
                        "due_time": o.due_time.strftime("%H:%M") if o.due_time else None,
                        "explain": o.explain or None,
                        "unknown": o.unknown,
                    }
                    for o in planned.occurrences
                ],
            }
        )
    return records


def plan_json(plan: Plan) -> str:
    return json.dumps(plan_records(plan), ensure_ascii=False, indent=2)


def plan_csv(plan: Plan) -> str:
    buffer = io.StringIO()
    columns = ["number", "id", "title", "section", "kind", "start", "due", "responsible", "depends_on", "explain"]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in plan_records(plan):
        row = dict(record)
        row["responsible"] = "; ".join(record["responsible"])
        row["depends_on"] = "; ".join(record["depends_on"])
        writer.writerow(row)
    return buffer.getvalue()


def _dates(planned: PlannedStage) -> str:
    if planned.unknown:
        return "дата неизвестна"
    parts = []
    for occurrence in planned.occurrences:
        if occurrence.unknown:
            text = "дата неизвестна"
        elif occurrence.start and occurrence.due and occurrence.start != occurrence.due:
            text = f"{russian.format_date(occurrence.start)} – {russian.format_date(occurrence.due)}"
        elif occurrence.due:
            text = russian.format_date(occurrence.due) + (f" {occurrence.due_time:%H:%M}" if occurrence.due_time else "")
        elif occurrence.start:
            text = f"с {russian.format_date(occurrence.start)}"
        else:
            text = ""
        parts.append(f"{occurrence.label}: {text}" if occurrence.label and len(planned.occurrences) > 1 else text)
    if planned.kind == "continuous":
        return "постоянно"
    return "\n".join(parts)


def plan_table(plan: Plan) -> Any:
    from rich.table import Table

    roadmap = plan.roadmap
    table = Table(title=f"{roadmap.title}\n{roadmap.organization or ''} · {roadmap.academic_year} учебный год", show_lines=True)
    table.add_column("№", justify="right", no_wrap=True)
    table.add_column("Этап", ratio=3)
    table.add_column("Сроки", no_wrap=True)
    table.add_column("Ответственные", ratio=1)
    table.add_column("Почему так", ratio=2, style="dim")
    for planned in plan.stages.values():
        style = "yellow" if planned.unknown or planned.due is None and planned.kind not in ("continuous",) else None
        table.add_row(
            planned.stage.display_number,
            planned.stage.title,
            _dates(planned),
            ", ".join(people_names(plan, planned)),
            planned.explain,
            style=style,
        )
    return table


def plan_tree(plan: Plan) -> Any:
    from rich.markup import escape
    from rich.tree import Tree

    roadmap = plan.roadmap
    root = Tree(f"[bold]{escape(roadmap.title)}[/] ({roadmap.academic_year}, {roadmap.timezone})")
    branches: dict[tuple[int, ...], Any] = {}
    for planned in plan.stages.values():
        parent = root
        for depth, section in enumerate(planned.ref.sections):
            key = tuple(id(s) for s in planned.ref.sections[: depth + 1])
            if key not in branches:
                label = f"{section.number} {section.title}" if section.number else section.title
                branches[key] = parent.add(f"[bold cyan]{escape(label)}[/]")
            parent = branches[key]
        dates = _dates(planned).replace("\n", "; ")
        who = ", ".join(people_names(plan, planned))
        deps = f" [dim]после: {', '.join(plan.stages[d].stage.display_number for d in planned.depends_on if d in plan.stages)}[/]" if planned.depends_on else ""
        parent.add(
            f"[bold]{escape(planned.stage.display_number)}.[/] {escape(_short(planned.stage.title))}\n"
            f"[green]{escape(dates)}[/] · {escape(who)}{deps}"
        )
    return root


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def diagnostics_text(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, str]]:
    """(line, style) pairs; style is a rich style name."""
    return [(d.format(), "red" if d.is_error else "yellow") for d in diagnostics]
