"""What the command line shows: compact text tables, rich tables, a tree, JSON and CSV.

Rendering is kept apart from computing (engine/) so that every format shows the same facts (the
records come from `engine.status.status_records` and `plan_records` here).

* **Compact text** (the default of `status` and `plan`): one line per stage that fits the terminal
  (80 columns when piped): number, date, status, the title shortened with "…" and the responsible
  person (with "+N" for more), colours only on a terminal. Written by hand rather than with rich,
  which needs ~9 s for a 10,000-row table.
* **Wide** (`--wide`): rich tables with every column and wrapped text, for a wide terminal or a file.
* **JSON** with orjson, for programs; **CSV** ready for Excel: UTF-8 with a BOM, `;` between
  fields, Russian headers (Excel in a Russian locale opens it correctly with a double click).

Rich is imported inside the functions that draw with it, keeping the default views quick.

Statuses are shown by `engine.status.status_text`: a stage late while blocked reads "просрочен,
ждёт этап 4 (Торопкина А.А.)" (and "просрочен, ждёт 4" in the compact line), a stage done as often
as needed "по мере необходимости, выполнен 2 раза" ("по необх., 2 р.") and is counted as such in the
summary, outside a section's progress (like continuous stages and reserves) — `engine.status.counts`
and `engine.status.progress`, the rule the web board and the export share; a triggered stage with
several open occurrences gets one line more per occurrence under its own. History (`history_table`,
`history_csv`) takes the auditor's entries (`cyclogram.web.audit.describe`): names, Russian kinds and
details, local times. A dry run of reminders lists the day's reminders even when no channel can
carry them, with what is missing (`reminders_preview`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from cyclogram.engine import russian
from cyclogram.engine.plan import Occurrence, Plan, PlannedStage, occurrence_dates
from cyclogram.engine.status import (
    AS_NEEDED,
    STATUS_WORDS,
    RoadmapStatus,
    StageStatus,
    Status,
    counts,
    due_time,
    progress,
    status_records,
    status_text,
)

KIND_WORDS = {
    "deadline": "срок",
    "window": "период",
    "months": "по месяцам",
    "windows": "несколько окон",
    "recurring": "периодически",
    "continuous": "постоянно",
    "immediate": "незамедлительно",
    "triggered": "по поводу",
}

# --- shared pieces ------------------------------------------------------------------------------

ANSI = {
    "blocked": "\033[2m",
    "due_soon": "\033[33m",
    "overdue": "\033[1;31m",
    "done": "\033[32m",
    "done_late": "\033[38;5;208m",
    "skipped": "\033[2;3m",
    "continuous": "\033[36m",
    "unscheduled": "\033[35m",
    "optional": "\033[2m",
    "bold": "\033[1m",
    "section": "\033[1;36m",
    "dim": "\033[2m",
}
RESET = "\033[0m"


def to_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"


def excel_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV that Excel opens as it is: UTF-8 with a BOM, `;` between fields, every line CRLF."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return buffer.getvalue()


def fit(text: str, width: int) -> str:
    """One line of exactly `width` characters: shortened with "…" or padded."""
    flat = " ".join(text.split())
    if len(flat) > width:
        return flat[: max(0, width - 1)].rstrip() + "…" if width > 0 else ""
    return flat.ljust(width)


def _paint(text: str, style: str, color: bool) -> str:
    code = ANSI.get(style, "")
    return f"{code}{text}{RESET}" if color and code else text


def _who(names: list[str]) -> str:
    if not names:
        return "—"
    return names[0] + (f" +{len(names) - 1}" if len(names) > 1 else "")


def _wd(count: int) -> str:
    return f"{count} р.д."


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _date_or_dash(day: dt.date | None) -> str:
    return russian.format_date(day) if day else "—"


def _title_width(total: int, fixed: Sequence[int], minimum: int = 16) -> int:
    """In a one-line-per-stage table the title takes what the fixed columns (and a space after
    each) leave of the width."""
    return max(minimum, total - sum(fixed) - len(fixed))


# --- plan -----------------------------------------------------------------------------------------


def trigger_due(occurrence: Occurrence | None) -> str:
    """After a recorded trigger, its occurrence's term: ", срок до 16.10.2024, среда 10:00", or
    ", без срока (по мере необходимости)" (`cyclogram trigger` and the stage page say the same)."""
    if occurrence is None or occurrence.due is None:
        return ", без срока (по мере необходимости)"
    time = f" {occurrence.due_time:%H:%M}" if occurrence.due_time else ""
    return f", срок до {russian.format_date_weekday(occurrence.due)}{time}"


def activated_due(planned: PlannedStage) -> str:
    """After an optional stage was activated, its term: ", срок до 22.04.2025, вторник", or ""."""
    return f", срок до {russian.format_date_weekday(planned.due)}" if planned.due else ""


def plan_records(plan: Plan) -> list[dict[str, Any]]:
    records = []
    for planned in plan.stages.values():
        stage = planned.stage
        records.append(
            {
                "id": stage.id,
                "number": stage.number,
                "title": stage.title,
                "section": planned.section_title or None,
                "kind": planned.kind,
                "when": stage.when,
                "start": _iso(planned.start),
                "due": _iso(planned.due),
                "unknown": planned.unknown or next((o.unknown for o in planned.occurrences if o.unknown), None),
                "responsible": plan.people_names(planned),
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


def plan_json(plan: Plan) -> bytes:
    return to_json(plan_records(plan))


PLAN_CSV_HEADERS = [
    "№",
    "Этап",
    "Раздел",
    "Вид срока",
    "Как в документе",
    "Начало",
    "Срок",
    "Ответственные",
    "Зависит от",
    "Почему такой срок",
]


def plan_csv(plan: Plan) -> str:
    rows = []
    for planned in plan.stages.values():
        stage = planned.stage
        rows.append(
            [
                stage.number or stage.id,
                stage.title,
                planned.section_title,
                KIND_WORDS.get(planned.kind, planned.kind),
                stage.when,
                _date_or_dash(planned.start) if planned.start else "",
                _date_or_dash(planned.due) if planned.due else "",
                "; ".join(plan.people_names(planned)),
                ", ".join(plan.stages[d].stage.display_number for d in planned.depends_on if d in plan.stages),
                planned.explain,
            ]
        )
    return excel_csv(PLAN_CSV_HEADERS, rows)


def _dates(planned: PlannedStage) -> str:
    if planned.kind == "triggered" and not planned.occurrences:
        return "по поводу" + (f": {planned.stage.trigger}" if planned.stage.trigger else "")
    if planned.unknown:
        return "дата неизвестна"
    if planned.kind == "continuous":
        return "постоянно"
    return "\n".join(occurrence_dates(planned, "дата неизвестна"))


def _short_dates(planned: PlannedStage) -> str:
    """The stage's dates in at most 17 characters."""
    if planned.kind == "continuous":
        return "постоянно"
    if planned.kind == "triggered" and not planned.occurrences:
        return "по поводу"
    if planned.unknown or any(o.unknown for o in planned.occurrences) or not planned.occurrences:
        return "дата неизвестна"
    if len(planned.occurrences) > 1:
        start = planned.start or planned.occurrences[0].start or planned.occurrences[0].due
        due = planned.due
        return f"{start:%m.%y}–{due:%m.%y} ×{len(planned.occurrences)}" if start and due else f"×{len(planned.occurrences)}"
    only = planned.occurrences[0]
    if only.start and only.due and only.start != only.due:
        return f"{only.start:%d.%m}–{russian.format_date(only.due)}"
    if only.due:
        return russian.format_date(only.due) + (f" {only.due_time:%H:%M}" if only.due_time else "")
    return f"с {russian.format_date(only.start)}" if only.start else "—"


def plan_lines(plan: Plan, width: int, color: bool = False) -> str:
    """The plan, one line per stage, `width` columns (see module docstring)."""
    roadmap = plan.roadmap
    numbers = max((len(p.stage.display_number) for p in plan.stages.values()), default=1)
    title_width = _title_width(width, [numbers, 17, 18])
    head = f"{roadmap.title} · {roadmap.organization + ' · ' if roadmap.organization else ''}{roadmap.academic_year} учебный год"
    lines = [_paint(fit(head, width).rstrip(), "bold", color), ""]
    lines.append(
        _paint(
            f"{'№'.rjust(numbers)} {fit('Сроки', 17)} {fit('Этап', title_width)} {fit('Ответственные', 18)}".rstrip(),
            "dim",
            color,
        )
    )
    section = None
    for planned in plan.stages.values():
        title = planned.section_title
        if title != section:
            section = title
            if title:
                lines.append(_paint(fit(title, width).rstrip(), "section", color))
        style = "unscheduled" if _short_dates(planned) == "дата неизвестна" else ""
        line = (
            f"{planned.stage.display_number.rjust(numbers)} {fit(_short_dates(planned), 17)} "
            f"{fit(planned.stage.title, title_width)} {fit(_who(plan.people_names(planned)), 18)}"
        )
        lines.append(_paint(line.rstrip(), style, color))
    return "\n".join(lines) + "\n"


def plan_table(plan: Plan) -> Any:
    """`plan --wide`: every column, with the explanation of each date."""
    from rich.table import Table

    roadmap = plan.roadmap
    table = Table(title=f"{roadmap.title}\n{roadmap.organization or ''} · {roadmap.academic_year} учебный год", show_lines=True)
    table.add_column("№", justify="right", no_wrap=True)
    table.add_column("Этап", ratio=3)
    table.add_column("Сроки", no_wrap=True)
    table.add_column("Ответственные", ratio=1)
    table.add_column("Почему так", ratio=2, style="dim")
    for planned in plan.stages.values():
        style = "yellow" if planned.unknown or (planned.due is None and planned.kind not in ("continuous",)) else None
        table.add_row(
            planned.stage.display_number,
            planned.stage.title,
            _dates(planned),
            ", ".join(plan.people_names(planned)),
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
        who = ", ".join(plan.people_names(planned))
        deps = (
            f" [dim]после: {', '.join(plan.stages[d].stage.display_number for d in planned.depends_on if d in plan.stages)}[/]"
            if planned.depends_on
            else ""
        )
        parent.add(
            f"[bold]{escape(planned.stage.display_number)}.[/] {escape(russian.shorten(planned.stage.title, 110))}\n"
            f"[green]{escape(dates)}[/] · {escape(who)}{deps}"
        )
    return root


# --- status ---------------------------------------------------------------------------------------

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
    "optional": "dim",
}


def _rows(result: RoadmapStatus, person: str | None) -> list[StageStatus]:
    return result.for_person(person) if person is not None else list(result.stages.values())


def _days_text(row: StageStatus) -> str:
    def wd(n: int) -> str:
        return f"{n} {russian.plural(n, 'раб. день', 'раб. дня', 'раб. дней')}"

    value = row.status.value
    if value == "overdue" and row.days_late is not None:
        return f"просрочен на {wd(row.days_late)}" + (" (ждёт другой этап)" if row.late_while_blocked else "")
    if value == "done_late" and row.days_late is not None:
        return f"позже на {wd(row.days_late)}"
    if value in ("open", "due_soon") and row.days_left is not None:
        return "сегодня" if row.days_left == 0 else f"осталось {wd(row.days_left)}"
    return ""


def _short_status(row: StageStatus, plan: Plan) -> str:
    """The status in at most 17 characters."""
    status = row.status
    if row.late_while_blocked:
        return "просрочен, ждёт " + ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by if b in plan.stages)
    words = status_text(row, plan)
    if words.startswith(AS_NEEDED):  # done as often as needed: "по необх., 2 р."
        return f"по необх., {row.occurrences_done} р." if row.occurrences_done else "по необходимости"
    if status is Status.OVERDUE and row.days_late is not None:
        return f"просрочен {_wd(row.days_late)}"
    if status is Status.DONE_LATE and row.days_late is not None:
        return f"позже на {_wd(row.days_late)}"
    if status in (Status.OPEN, Status.DUE_SOON) and row.days_left is not None:
        if row.days_left == 0:
            return "срок сегодня"
        return f"{'скоро, ' if status is Status.DUE_SOON else 'ещё '}{_wd(row.days_left)}"
    if status is Status.BLOCKED:
        return "ждёт " + ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by)
    if status is Status.UNSCHEDULED:
        return "срок не определён"
    if status is Status.OPTIONAL:
        return "резерв"
    if status is Status.OPEN and row.due is None:
        return "без срока"
    return STATUS_WORDS[status]


def _summary(result: RoadmapStatus, rows: list[StageStatus]) -> str:
    """Counts by the words the lines show (`engine.status.counts`)."""
    return "Итого — " + ", ".join(f"{word}: {n}" for word, n in counts(rows, result.plan).words())


def _sections(result: RoadmapStatus, rows: list[StageStatus]) -> dict[str, list[StageStatus]]:
    sections: dict[str, list[StageStatus]] = {}
    for row in rows:
        sections.setdefault(result.plan.stages[row.stage_id].section_title or "Этапы", []).append(row)
    return sections


def _progress(result: RoadmapStatus, items: list[StageStatus]) -> tuple[int, int]:
    """(finished, countable) of a section (`engine.status.progress`), never dividing by zero."""
    finished, countable = progress(items, result.plan)
    return finished, countable or 1


def _title(result: RoadmapStatus, person: str | None) -> str:
    roadmap = result.plan.roadmap
    title = f"{roadmap.title} — на {russian.format_date(result.moment)}"
    if person:
        title += f" — {roadmap.people[person].name}"
    return title


def status_lines(result: RoadmapStatus, width: int, person: str | None = None, color: bool = False) -> str:
    """The status, one line per stage in `width` columns, sections with progress (module docstring)."""
    plan = result.plan
    rows = _rows(result, person)
    numbers = max((len(plan.stages[r.stage_id].stage.display_number) for r in rows), default=1)
    title_width = _title_width(width, [numbers, 8, 17, 18])
    lines = [_paint(fit(_title(result, person), width).rstrip(), "bold", color)]
    for name, items in _sections(result, rows).items():
        finished, countable = _progress(result, items)
        bar_width = 10
        filled = round(bar_width * finished / countable)
        bar = "█" * filled + "░" * (bar_width - filled)
        tail = f" {bar} {finished}/{countable}"
        lines += ["", _paint(fit(name, max(10, width - len(tail))).rstrip(), "section", color) + tail]
        for row in items:
            planned = plan.stages[row.stage_id]
            title = planned.stage.title + (f" ({row.occurrence})" if row.occurrence else "")
            line = (
                f"{planned.stage.display_number.rjust(numbers)} {fit(f'{row.due:%d.%m.%y}' if row.due else '—', 8)} "
                f"{fit(_short_status(row, plan), 17)} {fit(title, title_width)} {fit(_who(plan.people_names(planned)), 18)}"
            )
            lines.append(_paint(line.rstrip(), row.status.value, color))
            for extra in result.open_occurrences.get(row.stage_id, ())[1:]:
                due = f"{extra.due:%d.%m.%y}" if extra.due else "—"
                text = f"{' ' * numbers} {fit(due, 8)} {fit(_short_status(extra, plan), 17)} {fit('└ ' + extra.occurrence, title_width)}"
                lines.append(_paint(text.rstrip(), extra.status.value, color))
    lines += ["", _summary(result, rows)]
    return "\n".join(lines) + "\n"


def status_json(result: RoadmapStatus, person: str | None = None) -> bytes:
    return to_json(
        {"as_of": result.moment.isoformat(), "roadmap": result.plan.roadmap.id, "stages": status_records(result, person)}
    )


STATUS_CSV_HEADERS = [
    "№",
    "Этап",
    "Раздел",
    "Повторение",
    "Статус",
    "Начало",
    "Срок",
    "Осталось раб. дней",
    "Просрочено раб. дней",
    "Ждёт этапов",
    "Ответственные",
    "Выполнено",
    "Кем",
]


def status_csv(result: RoadmapStatus, person: str | None = None) -> str:
    plan = result.plan
    rows = []
    for row in _rows(result, person):
        planned = plan.stages[row.stage_id]
        completion = row.completion
        rows.append(
            [
                planned.stage.number or planned.id,
                planned.stage.title,
                planned.section_title,
                row.occurrence,
                status_text(row, plan),
                _date_or_dash(row.start) if row.start else "",
                _date_or_dash(row.due) if row.due else "",
                row.days_left,
                row.days_late,
                ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by),
                "; ".join(plan.people_names(planned)),
                russian.format_date(completion.day) if completion else "",
                plan.roadmap.people[completion.by].name
                if completion and completion.by in plan.roadmap.people
                else (completion.by if completion else ""),
            ]
        )
    return excel_csv(STATUS_CSV_HEADERS, rows)


def status_view(result: RoadmapStatus, person: str | None = None) -> Any:
    """`status --wide`: sections with a progress bar each, every column, overdue in red."""
    from rich.console import Group
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    plan = result.plan
    rows = _rows(result, person)
    parts: list[Any] = [Text(_title(result, person), style="bold")]
    for name, items in _sections(result, rows).items():
        finished, countable = _progress(result, items)
        header = Table.grid(padding=(0, 1))
        header.add_row(
            Text(name, style="bold cyan"),
            ProgressBar(total=countable, completed=finished, width=30),
            Text(f"{finished}/{countable}"),
        )
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("№", justify="right", no_wrap=True)
        table.add_column("Этап", ratio=3)
        table.add_column("Статус", ratio=1, min_width=10)  # "просрочен, ждёт этапы …" wraps
        table.add_column("Срок", no_wrap=True)
        table.add_column("Дни", no_wrap=True)
        table.add_column("Ответственные", ratio=1)
        for row in items:
            planned = plan.stages[row.stage_id]
            words = status_text(row, plan)
            if row.blocked_by and not row.late_while_blocked:
                words += " (ждёт " + ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by) + ")"
            hour = due_time(row, plan)
            due = _date_or_dash(row.due) + (f" {hour:%H:%M}" if hour else "") + (f" ({row.occurrence})" if row.occurrence else "")
            more = result.open_occurrences.get(row.stage_id, ())[1:]
            if more:
                due += "".join(f"\n{_date_or_dash(o.due)} ({o.occurrence})" for o in more)
            table.add_row(
                planned.stage.display_number,
                planned.stage.title,
                words,
                due,
                _days_text(row),
                ", ".join(plan.people_names(planned)),
                style=STATUS_STYLE.get(row.status.value, ""),
            )
        parts += [Text(""), header, table]
    parts += [Text(""), Text(_summary(result, rows))]
    return Group(*parts)


# --- history --------------------------------------------------------------------------------------

ACTION_WORDS = {
    "roadmap.loaded": "загружена версия",
    "stage.done": "выполнен",
    "stage.forced": "выполнен вопреки блокировке",
    "stage.skipped": "пропущен",
    "stage.reopened": "снова открыт",
    "stage.triggered": "записан повод",
    "stage.activated": "задействован резервный этап",
    "evidence.stored": "сохранено подтверждение",
    "link.reset": "отозваны ссылки человека",
    "link.revoked": "отозвана ссылка",
    "telegram.invited": "выдана ссылка для Telegram",
    "telegram.linked": "привязан чат Telegram",
    "telegram.unlinked": "отвязан чат Telegram",
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
                "mac": record.mac,
            }
        )
    return out


def history_json(records: Iterable[Any]) -> bytes:
    return to_json(history_records(records))


HISTORY_HEADERS = [
    "№",
    "Когда",
    "Часовой пояс",
    "Кто",
    "Действие",
    "Дорожная карта",
    "Этап",
    "Подробности",
    "Код действия",
    "Хэш записи",
]


def safe_cell(value: Any) -> Any:
    """A text a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, or a tab or carriage return
    before one) gets an apostrophe first: an exported note must never run in Excel."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def history_csv(entries: Iterable[Any]) -> str:
    """The history for Excel (see `excel_csv`): one row per event of `cyclogram.web.audit.Entry` —
    the same table as the auditor's CSV export in the web app."""
    return excel_csv(HISTORY_HEADERS, ([safe_cell(cell) for cell in entry.export_row("; ")] for entry in entries))


def history_table(entries: Iterable[Any]) -> Any:
    """`history`: when (the roadmap's local time), who, what, which stage, the details in Russian."""
    from rich.table import Table

    table = Table(title="Журнал изменений", show_lines=False)
    table.add_column("№", justify="right")
    table.add_column("Когда", no_wrap=True)
    table.add_column("Кто")
    table.add_column("Что")
    table.add_column("Этап", ratio=1)
    table.add_column("Подробности", ratio=2)
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.when,
            entry.who,
            entry.action_word,
            entry.stage or entry.roadmap_id,
            "; ".join(entry.details),
        )
    return table


# --- reminders ------------------------------------------------------------------------------------

KIND_NAMES = {
    "lead": "заранее",
    "due": "срок сегодня",
    "overdue": "просрочено",
    "escalation": "руководителю",
    "unblocked": "можно начинать",
    "checkin": "отчёт",
    "blocking": "задерживает другой этап",
    "digest": "сводка",
    "test": "проверка",
}
OUTBOX_WORDS = {"pending": "ждёт", "sending": "отправляется", "sent": "отправлено", "failed": "не удалось"}


def reminders_preview(
    outgoing: list[Any], already: set[str], status: Any, day: Any, reminders: Sequence[Any] = (), problems: Sequence[Any] = ()
) -> Any:
    """`remind --dry-run`: what would go to whom, and what is already queued; reminders that no
    channel can carry (no mail account, no contact) are listed too, with what is missing."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    roadmap = status.plan.roadmap
    table = Table(
        title=f"Напоминания на {russian.format_date_weekday(day)} (пробный запуск, ничего не отправлено)", show_lines=True
    )
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
    summary = Text(
        f"Сообщений: {len(outgoing)}, новых: {fresh}. Время отправки: {roadmap.defaults.send_at:%H:%M} ({roadmap.timezone})."
    )
    carried = {id(r) for item in outgoing for r in item.reminders}
    stranded = [r for r in reminders if id(r) not in carried]
    if not outgoing and not stranded:
        return Text(f"На {russian.format_date_weekday(day)} напоминаний нет.")
    parts: list[Any] = [table, summary] if outgoing else []
    if stranded:
        parts.append(_stranded_table(stranded, status, problems))
    return Group(*parts)


def _stranded_table(reminders: Sequence[Any], status: Any, problems: Sequence[Any]) -> Any:
    """The reminders of the day no channel can carry, and why (`ChannelProblem`s)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Не уйдут: нет рабочего канала ({len(reminders)})", show_lines=False)
    table.add_column("Кому", no_wrap=True)
    table.add_column("Вид", no_wrap=True)
    table.add_column("Этап", ratio=1)
    table.add_column("Срок", no_wrap=True)
    for reminder in reminders:
        person = status.plan.roadmap.people.get(reminder.person)
        planned = status.plan.stages.get(reminder.stage_id)
        stage = planned.stage if planned is not None else None
        title = f"{stage.display_number}. {russian.shorten(stage.title, 70)}" if stage is not None else reminder.stage_id
        table.add_row(
            person.name if person is not None else reminder.person,
            KIND_NAMES.get(reminder.kind.value, reminder.kind.value),
            title + (f" ({reminder.occurrence})" if reminder.occurrence else ""),
            russian.format_date(reminder.due) if reminder.due else "—",
        )
    missing = sorted({str(getattr(problem, "message", problem)) for problem in problems})
    lines = [f"Чего не хватает: {line}" for line in missing] or ["Чего не хватает: у этих людей нет ни одного рабочего канала."]
    return Group(table, *(Text(line) for line in lines))


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
        detail = (
            row.sent_at[:19].replace("T", " ") + " UTC"
            if row.sent_at
            else (row.last_error or f"не раньше {row.not_before[:16].replace('T', ' ')} UTC")
        )
        table.add_row(
            str(row.id),
            OUTBOX_WORDS.get(row.status, row.status),
            row.person,
            f"{row.channel_kind}: {row.channel_target}",
            KIND_NAMES.get(row.kind, row.kind),
            row.subject,
            str(row.attempts),
            detail,
            style=style,
        )
    return table


# --- flow runs -------------------------------------------------------------------------------------

RUN_STATES = {
    "Completed": "завершён",
    "Просрочено": "завершён, есть просрочки",  # a tick's state when stages are overdue (flows/roadmap.py)
    "Failed": "ошибка",
    "Running": "идёт",
    "Scheduled": "запланирован",
    "Pending": "ожидает",
    "Crashed": "сбой",
    "Cancelled": "отменён",
}


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
            r.start.strftime("%Y-%m-%d %H:%M:%S") if r.start else "—",
            r.name,
            RUN_STATES.get(r.state, r.state),
            f"{r.duration_s:.1f} с" if r.duration_s is not None else "—",
            r.as_of or "—",
            "—" if r.reminders_sent is None else str(r.reminders_sent),
            "—" if r.overdue is None else str(r.overdue),
            style=style,
        )
    return table
