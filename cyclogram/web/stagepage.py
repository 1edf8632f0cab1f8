"""What a stage page shows: one stage of a roadmap as its people need it, computed fresh per request.

Built from one consistent read (the compiled version, the completions, a status planned with them)
plus the stage's audit events, for `cyclogram.web.links` (the page a reminder's link opens and its
signed-in twin). Everything is plain values for the template `stage.html.j2`:

* the stage's facts — title, section, document, expected result, who is responsible (the owner,
  who may skip it, first);
* its date and why (`PlannedStage.explain` of the plan recomputed with real completions, so
  "28.10.2024 = выполнение этапа 20 (18.10.2024) + 10 дней" follows what really happened), one row
  per occurrence when it has several;
* the state now: the status badge, the completion of the occurrence the page acts on, the stages
  it waits for and the stages that wait for it — with who may start them now;
* its history: the stage's audit events in the roadmap's local time, with people's names and
  Russian words, and the evidence files named by their original names.

Triggered stages ("со дня получения запроса") show each recorded trigger as an occurrence — even a
single one — with its due date and, while open, its status; the completion form offers the open ones
to choose from (each open row links to the form with its occurrence chosen, `?occurrence=…`).
Whoever may mark the stage may also record a new trigger (`form#trigger-form`: when, default now,
and a note). Optional stages say whether they were put to use (when, by whom, why); until then
whoever may skip the stage (`Viewer.may_decide`: its owner, an editor) may activate it
(`form#activate-form`, a reason required). A stage late while blocked reads
"просрочен на 3 рабочих дня; ждёт этап 4 (Торопкина А.А.)". Notes: the page shows what the author
marked for staff (`Stage.staff_notes`); the author's own `notes` only to signed-in accounts.

No secrets reach the page: events are shown by their facts (who, what, when, note, reason, file
name), never by their raw payload (a reminder's channel is an e-mail address or a chat id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from cyclogram.engine import russian
from cyclogram.engine.auditchain import AuditRecord
from cyclogram.engine.model import Roadmap
from cyclogram.engine.plan import Plan, PlannedStage
from cyclogram.engine.status import STATUS_WORDS, RoadmapStatus, StageStatus, Status, waiting_text
from cyclogram.engine.timeexpr import UNIT_WORDS
from cyclogram.engine.tracking import Activation, Completion, CompletionState
from cyclogram.render import ACTION_WORDS, KIND_NAMES, activated_due, trigger_due
from cyclogram.store import audit
from cyclogram.store.reads import EvidenceInfo
from cyclogram.tracker import ActiveRoadmap, occurrence_label

HISTORY_WORDS = {
    **ACTION_WORDS,
    "reminder.sent": "отправлено напоминание",
    "reminder.failed": "напоминание не доставлено",
}
ACTOR_WORDS = {"dispatcher": "рассылка напоминаний"}
CHANNEL_WORDS = {"web": "в веб-приложении", "prefect": "в Prefect", "csv": "из таблицы"}
FINISHED = (Status.DONE, Status.DONE_LATE, Status.SKIPPED)
# "в течение …" takes the genitive: 1 рабочего дня, 2 (5) рабочих дней
WITHIN_WORDS = {
    "d": ("дня", "дней", "дней"),
    "wd": ("рабочего дня", "рабочих дней", "рабочих дней"),
    "h": ("часа", "часов", "часов"),
    "w": ("недели", "недель", "недель"),
    "mo": ("месяца", "месяцев", "месяцев"),
}


@dataclass(frozen=True)
class Viewer:
    """Who looks at a stage page and what they may do there."""

    person: str | None  # the link's person; None for a signed-in account
    actor: str  # the audit log's actor of what they record
    may_mark: bool  # record a completion, or a trigger of a triggered stage
    may_decide: bool  # skip the stage, complete it despite a block, activate it (the owner, an editor)
    choose_person: bool  # an editor marks for someone else
    occurrence: str | None  # fixed by the link; None: chosen in the form
    evidence_query: str = ""  # what a download link needs ("?link=…" on a link page)
    greeting: str = ""


@dataclass
class FormValues:
    """What the visitor typed, kept when a submission is refused."""

    note: str = ""
    evidence_url: str = ""
    done_on: str = ""
    reason: str = ""
    skip_reason: str = ""
    force: bool = False
    by: str = ""
    occurrence: str = ""
    triggered_at: str = ""  # the trigger form's moment ("2024-10-14T10:00")
    trigger_note: str = ""
    activate_reason: str = ""


def name_of(roadmap: Roadmap, key: str | None) -> str:
    if not key:
        return "—"
    person = roadmap.people.get(key)
    return person.name if person else ACTOR_WORDS.get(key, key)


def who(actor: str, by: str | None, roadmap: Roadmap) -> str:
    """An event's actor for people: a name; a link's action is its person's, "(по ссылке)"."""
    if actor.startswith("link:"):
        return f"{name_of(roadmap, by)} (по ссылке)" if by else "по ссылке"
    return name_of(roadmap, actor)


def local_moment(text: str | None, zone: ZoneInfo) -> str:
    """An ISO moment (or the audit log's UTC stamp) as "10.10.2024 15:30" in the roadmap's zone."""
    if not text:
        return ""
    try:
        moment = audit.parse_stamp(text) if text.endswith("Z") else dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    local = moment.astimezone(zone) if moment.tzinfo else moment
    return f"{russian.format_date(local.date())} {local:%H:%M}"


def completion_of(completions: list[Completion], stage_id: str, label: str) -> Completion | None:
    for completion in completions:
        if completion.stage_id == stage_id and completion.occurrence == label:
            return completion
    return None


def waiting_for(status: RoadmapStatus, stage_id: str) -> list[str]:
    return [key for key, other in status.plan.stages.items() if stage_id in other.depends_on]


def status_detail(row: StageStatus, status: RoadmapStatus) -> str:
    """The words after the badge: "осталось 3 рабочих дня", "ждёт этапов 20, 21", …"""
    days = russian.plural
    if row.status is Status.BLOCKED:
        numbers = ", ".join(status.plan.stages[b].stage.display_number for b in row.blocked_by if b in status.plan.stages)
        return f"ждёт {'этапа' if len(row.blocked_by) == 1 else 'этапов'} {numbers}"
    if row.status in (Status.OPEN, Status.DUE_SOON) and row.days_left is not None:
        if row.days_left == 0:
            return "срок сегодня"
        word = days(row.days_left, "рабочий день", "рабочих дня", "рабочих дней")
        return f"{days(row.days_left, 'остался', 'осталось', 'осталось')} {row.days_left} {word}"
    if row.status in (Status.OVERDUE, Status.DONE_LATE) and row.days_late:
        late = f"на {row.days_late} {days(row.days_late, 'рабочий день', 'рабочих дня', 'рабочих дней')}"
        return f"{late}; {waiting_text(row.blocked_by, status.plan)}" if row.late_while_blocked else late
    if row.status is Status.OPEN and row.due is None:
        return "без срока"
    return ""


def badge(row: StageStatus) -> SimpleNamespace:
    return SimpleNamespace(value=row.status.value, word=STATUS_WORDS[row.status])


def within_text(planned: PlannedStage, each: str = "") -> str:
    """A triggered stage's term after each trigger: "в течение 2 рабочих дней после повода"."""
    within = planned.stage.within
    if planned.stage.trigger is None:
        return ""
    if within is None:
        return "без срока (по мере необходимости)"
    words = WITHIN_WORDS.get(within.unit) or UNIT_WORDS[within.unit]
    return f"в течение {abs(within.amount)} {russian.plural(abs(within.amount), *words)} после {each}повода"


def due_text(planned: PlannedStage) -> str:
    if planned.unknown:
        return "пока не определён"
    if planned.kind == "continuous":
        return "постоянно"
    if planned.kind == "triggered" and planned.occurrences:
        if planned.stage.within is None:
            return "по мере необходимости, без срока"
        return within_text(planned, "каждого ") + " (см. ниже)"
    if len(planned.occurrences) > 1:
        return f"{len(planned.occurrences)} {russian.plural(len(planned.occurrences), 'раз', 'раза', 'раз')} (см. ниже)"
    occurrence = planned.occurrences[0] if planned.occurrences else None
    if occurrence is None or occurrence.unknown or occurrence.due is None:
        return "пока не определён"
    due = russian.format_date_weekday(occurrence.due)
    if occurrence.due_time:
        due += f", {occurrence.due_time:%H:%M}"
    if occurrence.start and occurrence.start != occurrence.due:
        return f"с {russian.format_date(occurrence.start)} по {due}"
    return f"до {due}"


def occurrences(
    planned: PlannedStage, completions: list[Completion], roadmap: Roadmap, zone: ZoneInfo, status: RoadmapStatus | None = None
) -> list[SimpleNamespace]:
    """One row per occurrence of a stage that happens several times, or by outside events (none for
    a one-off stage); an open row carries its own status when `status` judged it."""
    if len(planned.occurrences) <= 1 and planned.kind != "triggered":
        return []
    judged = open_statuses(status, planned.id) if status is not None else {}
    rows = []
    for occurrence in planned.occurrences:
        label = occurrence.label or ""
        done = completion_of(completions, planned.id, label)
        state = ""
        if done is not None:
            word = "выполнено" if done.state is CompletionState.DONE else "пропущено"
            state = f"{word} {local_moment(done.at.isoformat(), zone)} ({name_of(roadmap, done.by)})"
        row = judged.get(label) if done is None else None
        rows.append(
            SimpleNamespace(
                label=label,
                start=occurrence.start,
                due=occurrence.due,
                hour=f" {occurrence.due_time:%H:%M}" if occurrence.due_time else "",  # «за 1 час до начала»
                explain=occurrence.unknown or occurrence.explain,
                state=state,
                finished=done is not None,
                badge=badge(row) if row is not None else None,
                detail=status_detail(row, status) if row is not None and status is not None else "",
            )
        )
    return rows


def open_statuses(status: RoadmapStatus, stage_id: str) -> dict[str, StageStatus]:
    """The status of each open occurrence of a stage by label: every one of a triggered stage with
    several open (`RoadmapStatus.open_occurrences`), else the one the stage's row is about."""
    found = {row.occurrence: row for row in status.open_occurrences.get(stage_id, ())}
    row = status.stages.get(stage_id)
    if row is not None and row.status not in FINISHED and row.occurrence not in found:
        found[row.occurrence] = row
    return found


def trigger_flash(planned: PlannedStage, label: str) -> str | None:
    """After a trigger was recorded: «Готово: записан повод «запрос 14.10.2024 10:00», срок до
    16.10.2024, среда.» — the due date as the recomputed plan has it (what `cyclogram trigger` prints)."""
    occurrence = next((o for o in planned.occurrences if o.label and o.label == label), None)
    if occurrence is None:
        return None
    return f"Готово: записан повод «{label}»{trigger_due(occurrence)}."


def activated_flash(planned: PlannedStage) -> str:
    """After an optional stage was activated: «Готово: резервный этап задействован, срок до 22.04.2025, вторник.»"""
    return f"Готово: резервный этап задействован{activated_due(planned)}."


def activation_view(
    planned: PlannedStage, activations: Sequence[Activation], plan: Plan, zone: ZoneInfo
) -> SimpleNamespace | None:
    """An optional stage: whether it was put to use, when, by whom and why (None for other stages)."""
    if not planned.stage.optional:
        return None
    found = next((a for a in activations if a.stage_id == planned.id), None)
    if found is None:
        return SimpleNamespace(active=False, text="не задействован", reason="")
    source = plan.stages.get(found.via) if found.via else None
    via = f", по отметке этапа {source.stage.display_number if source else found.via}" if found.via else ""
    text = f"задействован {local_moment(found.at.isoformat(), zone)} ({name_of(plan.roadmap, found.by)}){via}"
    return SimpleNamespace(active=True, text=text, reason=found.reason or "")


def neighbours(status: RoadmapStatus, keys: list[str], roadmap: Roadmap) -> list[SimpleNamespace]:
    """Stages with their status now; for a stage nobody waits on any more, who may start it."""
    rows = []
    for key in keys:
        planned = status.plan.stages.get(key)
        row = status.stages.get(key)
        if planned is None or row is None:
            continue
        startable = not row.blocked_by and row.status not in (*FINISHED, Status.BLOCKED, Status.CONTINUOUS, Status.OPTIONAL)
        rows.append(
            SimpleNamespace(
                id=key,
                number=planned.stage.display_number,
                title=planned.stage.title,
                badge=badge(row),
                detail=status_detail(row, status),
                due=row.due,
                people=[name_of(roadmap, p) for p in planned.responsible],
                startable=startable,
            )
        )
    return rows


def evidence_refs(history: list[AuditRecord], completion: Completion | None) -> tuple[list[str], list[str]]:
    """The stage's evidence: stored files (sha256, in order of appearance) and links (URLs)."""
    files: list[str] = []
    urls: list[str] = []
    values: list[str] = []
    for record in history:
        data = record.payload_data()
        if record.action == "evidence.stored" and isinstance(data.get("sha256"), str):
            values.append("sha256:" + data["sha256"])
        elif isinstance(data.get("evidence"), str):
            values.append(data["evidence"])
    if completion is not None and completion.evidence:
        values.append(completion.evidence)
    for value in values:
        if value.startswith("sha256:"):
            files.append(value.removeprefix("sha256:"))
        elif value.startswith(("https://", "http://")):
            urls.append(value)
    return list(dict.fromkeys(files)), list(dict.fromkeys(urls))


def evidence_view(ref: str | None, files: dict[str, EvidenceInfo], query: str) -> SimpleNamespace | None:
    """A completion's evidence as a download (file) or an outside link (URL)."""
    if not ref:
        return None
    if ref.startswith("sha256:"):
        sha = ref.removeprefix("sha256:")
        info = files.get(sha)
        return SimpleNamespace(
            kind="file",
            name=info.original_name if info else "файл",
            size=size_text(info.size) if info else "",
            url=f"/evidence/{sha}{query}",
        )
    if ref.startswith(("https://", "http://")):
        return SimpleNamespace(kind="url", name=ref, size="", url=ref)
    return SimpleNamespace(kind="text", name=ref, size="", url="")


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} Б"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} КБ"
    return f"{size / 1024 / 1024:.1f} МБ".replace(".", ",")


def history_rows(
    history: list[AuditRecord], roadmap: Roadmap, zone: ZoneInfo, files: dict[str, EvidenceInfo], query: str
) -> list[SimpleNamespace]:
    """The stage's events, newest first, in Russian (see module docstring)."""
    rows = []
    for record in reversed(history):
        what = HISTORY_WORDS.get(record.action)
        if what is None:
            continue
        data = record.payload_data()
        details: list[str] = []
        evidence = None
        by = data.get("by") if isinstance(data.get("by"), str) else None
        if record.action.startswith("stage."):
            if by and by != record.actor and not record.actor.startswith("link:"):
                details.append(f"исполнитель: {name_of(roadmap, by)}")
            if data.get("occurrence"):
                details.append(f"повторение: {data['occurrence']}")
            if data.get("at"):
                details.append(f"дата: {local_moment(str(data['at']), zone)}")
            for key, word in (("note", "комментарий"), ("reason", "причина")):
                if data.get(key):
                    details.append(f"{word}: {data[key]}")
            if data.get("channel"):
                details.append(CHANNEL_WORDS.get(str(data["channel"]), str(data["channel"])))
            if isinstance(data.get("evidence"), str):
                evidence = evidence_view(data["evidence"], files, query)
        elif record.action == "evidence.stored" and isinstance(data.get("sha256"), str):
            evidence = evidence_view("sha256:" + data["sha256"], files, query)
        elif record.action.startswith("reminder."):
            kind = KIND_NAMES.get(str(data.get("kind", "")), "")
            details.append(f"кому: {name_of(roadmap, str(data.get('person') or ''))}" + (f" ({kind})" if kind else ""))
        rows.append(
            SimpleNamespace(
                seq=record.seq,
                action=record.action,
                when=local_moment(record.at, zone),
                who=who(record.actor, by, roadmap),
                what=what,
                details="; ".join(details),
                evidence=evidence,
            )
        )
    return rows


def people_choices(roadmap: Roadmap, planned: PlannedStage) -> list[SimpleNamespace]:
    """Everyone an editor may mark for: the stage's people first (the owner at the top)."""
    keys = list(dict.fromkeys([*planned.responsible, *roadmap.people]))
    return [SimpleNamespace(key=k, name=name_of(roadmap, k), responsible=k in planned.responsible) for k in keys]


def stage_values(
    active: ActiveRoadmap,
    status: RoadmapStatus,
    completions: list[Completion],
    stage_id: str,
    viewer: Viewer,
    history: list[AuditRecord],
    files: dict[str, EvidenceInfo],
    today: dt.date,
    activations: Sequence[Activation] = (),
) -> dict[str, Any]:
    """Everything `stage.html.j2` shows (module docstring)."""
    roadmap, zone = active.roadmap, active.zone
    planned = status.plan.stages[stage_id]
    row = status.stages[stage_id]
    stage = planned.stage
    label = occurrence_label(planned, viewer.occurrence, row.occurrence)
    completion = completion_of(completions, stage_id, label)
    owner = planned.responsible[0] if planned.responsible else None
    open_labels = [o.label for o in planned.occurrences if o.label and completion_of(completions, stage_id, o.label) is None]
    continuous = planned.kind == "continuous"
    choosing = not viewer.occurrence  # a signed-in page, or a link not bound to one occurrence
    activation = activation_view(planned, activations, status.plan, zone)
    may_activate = activation is not None and not activation.active and row.status not in FINISHED
    now = dt.datetime.now(zone)
    return {
        "roadmap": SimpleNamespace(
            id=active.id, title=roadmap.title, organization=roadmap.organization, timezone=roadmap.timezone
        ),
        "stage": SimpleNamespace(
            id=stage.id,
            number=stage.display_number,
            title=stage.title,
            section=planned.section_title,
            document=stage.document,
            expected_result=stage.expected_result,
            when=stage.when,
            notes=stage.staff_notes,
            author_notes=stage.notes if viewer.person is None else None,
            evidence_required=stage.evidence_required,
            continuous=continuous,
            triggered=planned.kind == "triggered",
            trigger=stage.trigger,
            within=within_text(planned),
            activation=activation,
        ),
        "badge": badge(row),
        "detail": status_detail(row, status),
        "due_text": due_text(planned),
        "explain": planned.explain,
        "occurrences": occurrences(planned, completions, roadmap, zone, status),
        "occurrence": label,
        "open_occurrences": open_labels if choosing else [],
        "responsible": [
            SimpleNamespace(
                name=name_of(roadmap, key),
                position=roadmap.people[key].position if key in roadmap.people else None,
                owner=key == owner,
                you=key == viewer.person,
            )
            for key in planned.responsible
        ],
        "completion": _completion_view(completion, roadmap, zone, files, viewer.evidence_query),
        "depends_on": neighbours(status, list(planned.depends_on), roadmap),
        "waiting": neighbours(status, waiting_for(status, stage_id), roadmap),
        "blocked": bool(row.blocked_by) and completion is None,
        "history": history_rows(history, roadmap, zone, files, viewer.evidence_query),
        "viewer": viewer,
        "show_done_form": viewer.may_mark and completion is None and not continuous,
        "show_skip_form": viewer.may_decide and completion is None,
        "show_trigger_form": viewer.may_mark and stage.trigger is not None,
        "show_activate_form": viewer.may_decide and may_activate,
        "now_local": f"{now:%Y-%m-%dT%H:%M}",
        "today_end": f"{now:%Y-%m-%d}T23:59",
        "people": people_choices(roadmap, planned) if viewer.choose_person else [],
        "default_by": viewer.person or owner or "",
        "today_iso": today.isoformat(),
    }


def _completion_view(
    completion: Completion | None, roadmap: Roadmap, zone: ZoneInfo, files: dict[str, EvidenceInfo], query: str
) -> SimpleNamespace | None:
    if completion is None:
        return None
    done = completion.state is CompletionState.DONE
    return SimpleNamespace(
        word=("выполнен" if done else "пропущен") + (" вопреки блокировке" if completion.forced else ""),
        when=local_moment(completion.at.isoformat(), zone),
        by=name_of(roadmap, completion.by),
        note=completion.note,
        reason=completion.reason,
        evidence=evidence_view(completion.evidence, files, query),
        occurrence=completion.occurrence,
    )


def already_text(completion: Completion, planned: PlannedStage, roadmap: Roadmap, zone: ZoneInfo) -> str:
    """«Этап 20 уже отмечен выполненным 18.10.2024 15:30 (Волкова Л.А.).»"""
    word = "выполненным" if completion.state is CompletionState.DONE else "пропущенным"
    label = f" ({completion.occurrence})" if completion.occurrence else ""
    when = local_moment(completion.at.isoformat(), zone)
    return f"Этап {planned.stage.display_number}{label} уже отмечен {word} {when} ({name_of(roadmap, completion.by)})."


def link_query(token: str) -> str:
    return "?link=" + quote(token, safe="")
