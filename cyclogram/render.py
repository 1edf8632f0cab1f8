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

from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Diagnostic
from cyclogram.engine.plan import Plan, PlannedStage

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
            f"[bold]{escape(planned.stage.display_number)}.[/] {escape(short_text(planned.stage.title))}\n"
            f"[green]{escape(dates)}[/] · {escape(who)}{deps}"
        )
    return root


def short_text(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def diagnostics_text(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, str]]:
    """(line, style) pairs; style is a rich style name."""
    return [(d.format(), "red" if d.is_error else "yellow") for d in diagnostics]


# --- status -------------------------------------------------------------------------------------

STATUS_STYLE = {
    "blocked": "dim",
    "open": "",
    "due_soon": "yellow",
    "overdue": "bold red",
    "done": "green",
    "done_late": "dark_orange",
    "skipped": "dim italic",
    "continuous": "cyan",
    "unscheduled": "magenta",
}


def _status_rows(result: Any, person: str | None) -> list[Any]:
    rows = list(result.stages.values())
    if person is not None:
        wanted = {row.stage_id for row in result.for_person(person)}
        rows = [row for row in rows if row.stage_id in wanted]
    return rows


def _days_text(row: Any) -> str:
    from cyclogram.engine.russian import plural

    def wd(n: int) -> str:
        return f"{n} {plural(n, 'раб. день', 'раб. дня', 'раб. дней')}"

    value = row.status.value
    if value == "overdue" and row.days_late is not None:
        return f"просрочен на {wd(row.days_late)}"
    if value == "done_late" and row.days_late is not None:
        return f"позже на {wd(row.days_late)}"
    if value in ("open", "due_soon") and row.days_left is not None:
        return "сегодня" if row.days_left == 0 else f"осталось {wd(row.days_left)}"
    return ""


def status_records(result: Any, person: str | None = None) -> list[dict[str, Any]]:
    from cyclogram.engine.status import STATUS_WORDS

    plan = result.plan
    records = []
    for row in _status_rows(result, person):
        planned = plan.stages[row.stage_id]
        completion = row.completion
        records.append(
            {
                "id": row.stage_id,
                "number": planned.stage.number,
                "title": planned.stage.title,
                "section": section_title(planned) or None,
                "status": row.status.value,
                "status_text": STATUS_WORDS[row.status],
                "occurrence": row.occurrence or None,
                "start": _iso(row.start),
                "due": _iso(row.due),
                "days_left": row.days_left,
                "days_late": row.days_late,
                "blocked_by": list(row.blocked_by),
                "responsible": people_names(plan, planned),
                "done_at": completion.at.isoformat() if completion else None,
                "done_by": completion.by if completion else None,
                "occurrences_done": row.occurrences_done,
                "occurrences_total": row.occurrences_total,
            }
        )
    return records


def status_json(result: Any, person: str | None = None) -> str:
    return json.dumps(
        {"as_of": result.moment.isoformat(), "roadmap": result.plan.roadmap.id, "stages": status_records(result, person)},
        ensure_ascii=False,
        indent=2,
    )


def status_view(result: Any, person: str | None = None) -> Any:
    """Sections with a progress bar each, stages coloured by status, overdue in red."""
    from rich.console import Group
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    from cyclogram.engine.status import STATUS_WORDS

    plan = result.plan
    roadmap = plan.roadmap
    rows = _status_rows(result, person)
    title = f"{roadmap.title} — на {russian.format_date(result.moment)}"
    if person:
        title += f" — {roadmap.people[person].name}"
    parts: list[Any] = [Text(title, style="bold")]
    sections: dict[str, list[Any]] = {}
    for row in rows:
        sections.setdefault(section_title(plan.stages[row.stage_id]) or "Этапы", []).append(row)
    for name, items in sections.items():
        finished = sum(1 for r in items if r.status.value in ("done", "done_late", "skipped"))
        countable = sum(1 for r in items if r.status.value != "continuous") or 1
        header = Table.grid(padding=(0, 1))
        header.add_row(
            Text(name, style="bold cyan"),
            ProgressBar(total=countable, completed=finished, width=30),
            Text(f"{finished}/{countable}"),
        )
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("№", justify="right", no_wrap=True)
        table.add_column("Этап", ratio=3)
        table.add_column("Статус", no_wrap=True)
        table.add_column("Срок", no_wrap=True)
        table.add_column("Дни", no_wrap=True)
        table.add_column("Ответственные", ratio=1)
        for row in items:
            planned = plan.stages[row.stage_id]
            status_text = STATUS_WORDS[row.status]
            if row.blocked_by:
                status_text += " (ждёт " + ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by) + ")"
            due = russian.format_date(row.due) if row.due else "—"
            if row.occurrence:
                due += f" ({row.occurrence})"
            table.add_row(
                planned.stage.display_number,
                short_text(planned.stage.title, 90),
                status_text,
                due,
                _days_text(row),
                ", ".join(people_names(plan, planned)),
                style=STATUS_STYLE.get(row.status.value, ""),
            )
        parts += [Text(""), header, table]
    counts = result.counts()
    summary = ", ".join(f"{STATUS_WORDS[s]}: {n}" for s, n in counts.items() if n)
    parts += [Text(""), Text(f"Итого — {summary}")]
    return Group(*parts)


# --- history --------------------------------------------------------------------------------------

ACTION_WORDS = {
    "roadmap.loaded": "загружена версия",
    "stage.done": "выполнен",
    "stage.forced": "выполнен вопреки блокировке",
    "stage.skipped": "пропущен",
    "stage.reopened": "снова открыт",
    "evidence.stored": "сохранено подтверждение",
}


def history_records(records: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for record in records:
        out.append(
            {
                "seq": record.seq,
                "at": record.at,
                "actor": record.actor,
                "action": record.action,
                "roadmap_id": record.roadmap_id,
                "stage_id": record.stage_id,
                "payload": record.payload_data(),
                "prev_hash": record.prev_hash,
                "hash": record.hash,
            }
        )
    return out


def history_json(records: Iterable[Any]) -> str:
    return json.dumps(history_records(records), ensure_ascii=False, indent=2)


def _history_details(record: Any) -> str:
    data = record.payload_data()
    parts = []
    if record.action == "roadmap.loaded":
        parts.append(f"версия {data.get('version')}, этапов {data.get('stages')}")
        changes = data.get("changes") or {}
        counts = changes.get("counts") if isinstance(changes, dict) else None
        if counts:
            parts.append(", ".join(f"{k}: {v}" for k, v in counts.items() if v))
    for key, word in (("by", "кто"), ("occurrence", "повторение"), ("at", "когда"), ("note", "комментарий"), ("reason", "причина"), ("evidence", "подтверждение"), ("name", "файл")):
        value = data.get(key)
        if value:
            parts.append(f"{word}: {value}")
    return "; ".join(parts)


def history_csv(records: Iterable[Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["seq", "at", "actor", "action", "roadmap_id", "stage_id", "details", "payload", "hash"])
    for record in records:
        writer.writerow([record.seq, record.at, record.actor, record.action, record.roadmap_id or "", record.stage_id or "", _history_details(record), record.payload, record.hash])
    return buffer.getvalue()


def history_table(records: Iterable[Any]) -> Any:
    from rich.table import Table

    table = Table(title="Журнал изменений", show_lines=False)
    table.add_column("№", justify="right")
    table.add_column("Когда (UTC)", no_wrap=True)
    table.add_column("Кто", no_wrap=True)
    table.add_column("Что")
    table.add_column("Карта / этап")
    table.add_column("Подробности", ratio=1)
    for record in records:
        target = " / ".join(x for x in (record.roadmap_id, record.stage_id) if x)
        table.add_row(
            str(record.seq), record.at[:19].replace("T", " "), record.actor,
            ACTION_WORDS.get(record.action, record.action), target, _history_details(record),
        )
    return table


# --- reminders ------------------------------------------------------------------------------------

KIND_NAMES = {
    "lead": "заранее", "due": "срок сегодня", "overdue": "просрочено", "escalation": "руководителю",
    "unblocked": "можно начинать", "checkin": "отчёт", "digest": "сводка", "test": "проверка",
}
OUTBOX_WORDS = {"pending": "ждёт", "sending": "отправляется", "sent": "отправлено", "failed": "не удалось"}


def reminders_preview(outgoing: list[Any], already: set[str], status: Any, day: Any) -> Any:
    """`remind --dry-run`: what would go to whom, and what is already queued."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    roadmap = status.plan.roadmap
    table = Table(title=f"Напоминания на {russian.format_date_weekday(day)} (пробный запуск, ничего не отправлено)", show_lines=True)
    table.add_column("Кому", no_wrap=True)
    table.add_column("Канал")
    table.add_column("Вид", no_wrap=True)
    table.add_column("Сообщение", ratio=1)
    table.add_column("", no_wrap=True)
    fresh = 0
    for item in outgoing:
        queued = all(key in already for key in item.item_keys)
        fresh += 0 if queued else 1
        person = roadmap.people[item.person]
        table.add_row(
            person.name,
            item.channel.describe(),
            KIND_NAMES.get(item.kind, item.kind),
            f"[bold]{_escape(item.message.subject)}[/]\n{_escape(item.message.short)}",
            "уже в очереди" if queued else "новое",
            style="dim" if queued else None,
        )
    summary = Text(f"Сообщений: {len(outgoing)}, новых: {fresh}. Время отправки: {roadmap.defaults.send_at:%H:%M} ({roadmap.timezone}).")
    if not outgoing:
        return Text(f"На {russian.format_date_weekday(day)} напоминаний нет.")
    return Group(table, summary)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def outbox_table(rows: Iterable[Any]) -> Any:
    from rich.table import Table

    table = Table(title="Очередь напоминаний")
    table.add_column("№", justify="right")
    table.add_column("Состояние", no_wrap=True)
    table.add_column("Кому", no_wrap=True)
    table.add_column("Канал")
    table.add_column("Вид", no_wrap=True)
    table.add_column("Тема", ratio=1)
    table.add_column("Попыток", justify="right")
    table.add_column("Отправлено / ошибка", ratio=1)
    for row in rows:
        style = {"failed": "red", "sent": "green", "sending": "yellow"}.get(row.status)
        detail = row.sent_at[:19].replace("T", " ") + " UTC" if row.sent_at else (row.last_error or f"не раньше {row.not_before[:16].replace('T', ' ')} UTC")
        table.add_row(
            str(row.id), OUTBOX_WORDS.get(row.status, row.status), row.person, f"{row.channel_kind}: {row.channel_target}",
            KIND_NAMES.get(row.kind, row.kind), row.subject, str(row.attempts), detail, style=style,
        )
    return table


# --- flow runs -------------------------------------------------------------------------------------

RUN_STATES = {"Completed": "завершён", "Failed": "ошибка", "Running": "идёт", "Scheduled": "запланирован", "Pending": "ожидает", "Crashed": "сбой", "Cancelled": "отменён"}


def runs_table(records: Iterable[Any]) -> Any:
    from rich.table import Table

    table = Table(title="Запуски (Prefect)")
    table.add_column("Начало (UTC)", no_wrap=True)
    table.add_column("Запуск")
    table.add_column("Состояние", no_wrap=True)
    table.add_column("Длительность", justify="right")
    table.add_column("За день", no_wrap=True)
    table.add_column("Отправлено", justify="right")
    table.add_column("Просрочено", justify="right")
    for r in records:
        style = "red" if r.state in ("Failed", "Crashed") else None
        table.add_row(
            r.start.strftime("%Y-%m-%d %H:%M:%S") if r.start else "—", r.name, RUN_STATES.get(r.state, r.state),
            f"{r.duration_s:.1f} с" if r.duration_s is not None else "—", r.as_of or "—",
            "—" if r.reminders_sent is None else str(r.reminders_sent), "—" if r.overdue is None else str(r.overdue),
            style=style,
        )
    return table
