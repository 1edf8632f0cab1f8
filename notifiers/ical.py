"""A roadmap's status as an iCalendar feed (RFC 5545): one event (or to-do) per stage occurrence.

Two steps, so that a feed served on every request is cheap:

1. `build_specs(status)` turns a `RoadmapStatus` into `EventSpec`s — plain data for each component,
   with a stable `uid` and a `content_hash` of everything that will be rendered — and the list of
   stages left out of the calendar (`Skipped`, with the reason in Russian).
2. `render_calendar(specs, …)` serializes them with the `icalendar` library. An `EventCache` keeps
   the bytes of each serialized component by (uid, content_hash, SEQUENCE, LAST-MODIFIED), so a feed
   whose stages did not change is a concatenation of cached bytes, not a new serialization.

The store that serves feeds keeps, per uid, the last content_hash with a SEQUENCE and LAST-MODIFIED
and bumps them only when the hash changes; it passes them as `versions`. DTSTAMP is the moment the
component was serialized (RFC 5545: with a METHOD it is when "the instance of the iCalendar object
was created"); a cached component keeps the DTSTAMP of its first serialization.

Decisions, and why:

* **Dates.** A deadline is an all-day event on its due day (DTEND = the next day, exclusive). A
  window (start..due) is an all-day event spanning it — also a "months" occurrence (the whole
  month, as the document says "сентябрь 2022"). A deadline with a time ("exam.start - 1h") is a
  timed event in the roadmap's timezone (TZID, with a VTIMEZONE in the feed) with DTEND = DTSTART:
  a deadline is an instant, and a one-hour block would either start or end at a moment the
  document does not name. A window ending at a time runs from 00:00 of its first day. Every event
  is TRANSP:TRANSPARENT: a deadline must not mark anybody busy in free/busy lookups.
* **Several occurrences** (months, one per event of a group such as every ВПР) are one event each,
  with its own UID (`<stage>-<transliterated label>@<roadmap>.cyclogram`). Occurrences whose date
  is not known yet are left out and listed in `Skipped` with the occurrence label.
* **Recurring stages** are one VEVENT with an RRULE on the due days (an all-day event on each due
  day, not the whole week/month window: a month-long bar every month would hide everything else).
  The rule is chosen from the plan's due dates, never the other way round: candidate rules (WEEKLY
  with an interval; MONTHLY with an interval on the same day of the month; MONTHLY with an interval
  on the last day, BYMONTHDAY=-1) are expanded with dateutil and the one that covers most due dates
  exactly wins, so the expansion can never give a date the plan does not have. `every: month` →
  MONTHLY (BYMONTHDAY=-1 without `day`); `every: week` → WEEKLY; `every: trimester` (30.11, 28.02,
  31.05) → MONTHLY;INTERVAL=3;BYMONTHDAY=-1. Due dates the rule cannot reach (28.02 for "day: 30",
  where RFC 5545 skips the nonexistent 30.02; a last window cut short by the plan's period) are
  separate VEVENTs with their own UIDs. Quarters (31.10, 31.12, 31.03, 31.05) and half-years are
  not regular for these simple rules; a rule must cover at least 3 dates and two thirds of them, so
  they become separate events. RDATE is not used: Outlook accepts an RDATE only as a moved instance
  paired with an EXDATE ([MS-OXCICAL] 2.1.3.1.1.20.18) and would drop the extra dates; BYSETPOS and
  multi-valued BYMONTH are avoided too (Outlook converts only the patterns its own recurrence
  dialog can express). An occurrence of the series that is done or
  skipped gets an override (RECURRENCE-ID) with the mark described below and without alarms.
* **Continuous stages** ("постоянно", the whole school year) are left out and listed in `Skipped`
  as "постоянный этап (весь год)". An all-day event from September to August sits in the all-day
  row of every single day of the year and says nothing a calendar can remind about; a one-day
  event on 1 September would suggest a deadline that does not exist. Their check-ins are sent by
  the reminder flow.
* **Unknown dates** (external trigger, an event without a date, "immediately" after something not
  known yet, a dependency cycle) are left out and listed in `Skipped` with the plan's own reason.
* **Completion.** A VEVENT has no "completed" status (STATUS is TENTATIVE/CONFIRMED/CANCELLED) and
  what subscribed calendars show is the SUMMARY, so a done occurrence (done or done late) keeps
  STATUS:CONFIRMED and its SUMMARY starts with "✓ ". A skipped one starts with "⊘ " and is
  STATUS:CANCELLED — it is not going to happen, which is exactly what CANCELLED says (Thunderbird
  strikes it through; some clients hide cancelled events). Open stages are STATUS:CONFIRMED; an optional
  (reserve) stage not activated is STATUS:TENTATIVE — it may or may not happen — with the status
  «резерв, не задействован» and no alarms, as no reminder is sent for it. In VTODO
  mode (`todo=True`) the status is native: NEEDS-ACTION, COMPLETED with COMPLETED (UTC) and
  PERCENT-COMPLETE:100, or CANCELLED; the SUMMARY has no mark there. Recurring stages are one VTODO
  per occurrence (each is a task of its own to tick off; recurring to-dos are poorly supported).
  Which occurrences of a multi-occurrence stage are finished is exact when the completions are
  passed (`build_specs(…, completions=…)`); `RoadmapStatus` alone only tells the current one, so
  without them the occurrences before it count as done.
* **Alarms** mirror the reminder policy (`engine.reminders.Policy.for_stage`): for each lead L > 0
  (working days) a VALARM ACTION:DISPLAY whose TRIGGER is absolute (VALUE=DATE-TIME, UTC): the
  L-th working day before the due date at the roadmap's `send_at`, local time. None for occurrences
  already done/skipped, none for a reserve stage not activated, none with `reminders.enabled:
  false`. An absolute trigger fires once, so a
  recurring series gets relative triggers (RELATED=START) instead: working days are not a fixed
  number of calendar days, so the offset used is the most frequent one over the series' due dates
  (the reminder e-mails stay exact). Google Calendar and Outlook ignore alarms in subscribed
  feeds; Thunderbird and Apple Calendar show them.
* **People.** ATTENDEE for each responsible person with a plain e-mail (mailto:, CN = name,
  ROLE=REQ-PARTICIPANT for the owner, OPT-PARTICIPANT for the others); ORGANIZER is the owner's
  supervisor when they have a plain e-mail. A `secret:NAME` contact is never written: there is no
  usable address to put there. `people=` keeps only the stages any of the given people (or roles,
  expanded to their members) answer for.
* **Text.** SUMMARY is "<number>. <title>" with the title shortened to about 80 characters at a
  word boundary (`engine.russian.shorten`), plus the occurrence label in parentheses.
  DESCRIPTION (Russian, several lines) has the full title, dates, document, expected result,
  people, dependencies and whether they are done, the status, notes and how the date was
  computed. CATEGORIES are the section titles. icalendar escapes text and folds lines at 75 octets
  without splitting a UTF-8 character.
* **Hashes and UIDs.** `content_hash` is a sha256 of the component kind, uid and `fields`, which
  hold exactly what is rendered; SEQUENCE, LAST-MODIFIED and DTSTAMP are not part of it. The status
  word is rendered, so a stage's hash changes when it becomes due soon or overdue (a few times a
  year); nothing that changes daily (days left) is rendered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule as _rrule
from icalendar import Alarm, Calendar, Event, Timezone, Todo, vCalAddress, vRecur, vText

from cyclogram.engine import russian
from cyclogram.engine.gcpause import gc_paused
from cyclogram.engine.model import Roadmap, normalize_number
from cyclogram.engine.plan import Occurrence, PlannedStage
from cyclogram.engine.reminders import Policy
from cyclogram.engine.russian import shorten
from cyclogram.engine.status import STATUS_WORDS, RoadmapStatus, StageStatus, Status
from cyclogram.engine.tracking import Completion, CompletionState

PRODID = "-//Cyclogram//Roadmap calendar//RU"
SUMMARY_TITLE_LIMIT = 80  # characters of the stage title in SUMMARY
DEPENDENCY_TITLE_LIMIT = 60
DONE_MARK = "✓ "
SKIPPED_MARK = "⊘ "
CONTINUOUS_REASON = "постоянный этап (весь год)"
MIN_RULE_COVERAGE = 3  # an RRULE must cover at least this many due dates …
MIN_RULE_SHARE = 2 / 3  # … and this share of the series; otherwise separate events

Rule = dict[str, str | int]  # RRULE parts as vRecur takes them: {"FREQ": "MONTHLY", "INTERVAL": 3, …}

_EVERY_WORDS = {
    "week": "еженедельно",
    "month": "ежемесячно",
    "quarter": "раз в четверть",
    "trimester": "раз в триместр",
    "half_year": "раз в полугодие",
}
_FINISHED = (Status.DONE, Status.DONE_LATE, Status.SKIPPED)


@dataclass(frozen=True)
class EventSpec:
    """One calendar component (with its RECURRENCE-ID overrides, if any), as plain data.

    `fields` (read-only, JSON-like) holds everything rendered: occurrence (label or ""), summary,
    description, categories, status, organizer / attendees ({email, name[, role]}), alarms
    ({at: UTC ISO, description} or {before: seconds relative to the start, description}); for a
    VEVENT start and end ({date} or {datetime, tzid}), rrule and overrides ({recurrence_id,
    summary, description, status}) for a series; for a VTODO start (or None), due, completed
    (UTC ISO or None) and percent.
    """

    uid: str  # stable across exports and roadmap versions
    stage_id: str
    content_hash: str  # sha256 of everything rendered except SEQUENCE / LAST-MODIFIED / DTSTAMP
    component: str  # "VEVENT" or "VTODO"
    fields: Mapping[str, object] = field(hash=False)


@dataclass(frozen=True)
class Skipped:
    """A stage (or one occurrence of it) that is not in the calendar, and why (Russian)."""

    stage_id: str
    number: str
    title: str
    reason: str


# --- occurrences and their state ---------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    """Where one occurrence stands: finished (done/skipped) or open, with its status word."""

    state: CompletionState | None  # None: open
    completion: Completion | None  # known when completions were given or it is the stage's own
    word: str  # Russian status word for this occurrence

    @property
    def done(self) -> bool:
        return self.state is CompletionState.DONE

    @property
    def skipped(self) -> bool:
        return self.state is CompletionState.SKIPPED


def _sorted_occurrences(planned: PlannedStage) -> list[Occurrence]:
    """In the order engine.status judges them: by due date, unknown dates last (stable)."""
    return sorted(
        planned.occurrences,
        key=lambda o: (o.unknown is not None or o.due is None, o.due or dt.date.max),
    )


def _completion_index(
    status: RoadmapStatus, completions: Iterable[Completion] | None
) -> dict[tuple[str, str], Completion] | None:
    if completions is None:
        return None
    zone = ZoneInfo(status.plan.roadmap.timezone)
    index: dict[tuple[str, str], Completion] = {}
    for completion in completions:
        at = completion.at.astimezone(zone) if completion.at.utcoffset() is not None else completion.at
        if at.date() <= status.moment:  # like compute_status: later completions were not known yet
            index[(completion.stage_id, completion.occurrence)] = completion
    return index


OPEN_WORD = "не выполнен"


def _stable_word(row: StageStatus) -> str:
    """The word a feed shows for an unfinished stage. "Скоро срок" and "просрочен" change with the
    calendar, not with the plan; writing them into events would bump SEQUENCE and make every
    subscribed calendar re-download and re-notify. Blocking changes only with completions: a stage
    late while blocked stays «заблокирован» here (the word does not move when its deadline passes)."""
    if row.late_while_blocked:
        return STATUS_WORDS[Status.BLOCKED]
    state = row.status
    if state in (Status.BLOCKED, Status.UNSCHEDULED, Status.CONTINUOUS, Status.OPTIONAL):
        return STATUS_WORDS[state]
    return OPEN_WORD


def _open_word(status: RoadmapStatus, planned: PlannedStage, row: StageStatus, occurrence: Occurrence) -> str:
    """The status word of an open occurrence that is not the stage's current one."""
    if row.status is Status.BLOCKED or row.late_while_blocked:
        return STATUS_WORDS[Status.BLOCKED]
    if row.status is Status.OPTIONAL:
        return STATUS_WORDS[Status.OPTIONAL]
    if occurrence.due is None or occurrence.unknown:
        return STATUS_WORDS[Status.UNSCHEDULED]
    return OPEN_WORD


def _finished_word(state: CompletionState, completion: Completion | None, due: dt.date | None, zone: ZoneInfo) -> str:
    if state is CompletionState.SKIPPED:
        return STATUS_WORDS[Status.SKIPPED]
    if completion is not None and due is not None:
        day = completion.at.astimezone(zone).date() if completion.at.utcoffset() is not None else completion.day
        if day > due:
            return STATUS_WORDS[Status.DONE_LATE]
    return STATUS_WORDS[Status.DONE]


def _states(
    status: RoadmapStatus,
    planned: PlannedStage,
    index: Mapping[tuple[str, str], Completion] | None,
) -> dict[int, _State]:
    """The state of each occurrence (by position in planned.occurrences).

    With the completions (`index`) every occurrence is judged by its own completion. Without them
    only what `StageStatus` says is known: a finished stage has every occurrence finished (the one
    it reports with its own outcome, the others done, or skipped when the whole stage is); an open
    stage's occurrences before its current one are finished (the current one is the earliest open
    one), the rest are open.
    """
    row = status.stages[planned.id]
    zone = ZoneInfo(status.plan.roadmap.timezone)
    occurrences = planned.occurrences
    result: dict[int, _State] = {}
    if index is not None:
        for position, occurrence in enumerate(occurrences):
            label = occurrence.label or ""
            completion = index.get((planned.id, label))
            if completion is None and len(occurrences) == 1:
                completion = index.get((planned.id, ""))
            if completion is not None:
                word = _finished_word(completion.state, completion, occurrence.due, zone)
                result[position] = _State(completion.state, completion, word)
            elif occurrence.label == (row.occurrence or None) and row.status not in _FINISHED:
                result[position] = _State(None, None, _stable_word(row))
            else:
                result[position] = _State(None, None, _open_word(status, planned, row, occurrence))
        return result
    if row.status in _FINISHED:
        for position, occurrence in enumerate(occurrences):
            own = (occurrence.label or "") == row.occurrence
            if row.status is Status.SKIPPED:
                result[position] = _State(CompletionState.SKIPPED, row.completion if own else None, STATUS_WORDS[Status.SKIPPED])
            elif own and row.completion is not None:
                result[position] = _State(row.completion.state, row.completion, STATUS_WORDS[row.status])
            else:
                result[position] = _State(CompletionState.DONE, None, STATUS_WORDS[Status.DONE])
        return result
    ordered = _sorted_occurrences(planned)
    current = next((i for i, o in enumerate(ordered) if (o.label or "") == row.occurrence), 0)
    finished_ids = {id(o) for o in ordered[:current]}
    for position, occurrence in enumerate(occurrences):
        if id(occurrence) in finished_ids:
            result[position] = _State(CompletionState.DONE, None, STATUS_WORDS[Status.DONE])
        elif ordered and occurrence is ordered[current]:
            result[position] = _State(None, None, _stable_word(row))
        else:
            result[position] = _State(None, None, _open_word(status, planned, row, occurrence))
    return result


# --- text ---------------------------------------------------------------------------------------

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "-",
            "y",
            "-",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def slug(text: str) -> str:
    """A UID-friendly ASCII form of an occurrence label: «сентябрь 2022» → "sentyabr-2022"."""
    out = []
    for char in text.lower():
        mapped = _TRANSLIT.get(char)
        if mapped is not None:
            out.append("" if mapped == "-" else mapped)
        elif char.isascii() and char.isalnum():
            out.append(char)
        else:
            out.append("-")
    result = re.sub(r"-+", "-", "".join(out)).strip("-")
    return result or hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def _number(planned: PlannedStage) -> str:
    return normalize_number(planned.stage.number) if planned.stage.number else ""


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def _summary(planned: PlannedStage, label: str | None, mark: str = "") -> str:
    title = shorten(planned.stage.title, SUMMARY_TITLE_LIMIT)
    number = _number(planned)
    text = f"{number}. {title}" if number else title
    if label:
        text += f" ({label})"
    return mark + text


def _person_line(roadmap: Roadmap, key: str) -> str:
    person = roadmap.people[key]
    return f"{person.name} ({person.position})" if person.position else person.name


def _plain_email(value: str | None) -> str | None:
    """A usable address, or None for a missing one or a `secret:NAME` reference."""
    if not value or value.startswith("secret:") or "@" not in value:
        return None
    return value


def _section_titles(planned: PlannedStage) -> list[str]:
    titles = []
    for section in planned.ref.sections:
        number = normalize_number(section.number) if section.number else ""
        titles.append(f"{number}. {_flat(section.title)}" if number else _flat(section.title))
    return titles


def _dependency_lines(status: RoadmapStatus, planned: PlannedStage) -> list[str]:
    parts = []
    for dep in planned.depends_on:
        other = status.plan.stages.get(dep)
        row = status.stages.get(dep)
        if other is None or row is None:
            continue
        number = _number(other) or other.id
        if row.status in _FINISHED:
            word = STATUS_WORDS[row.status]
        elif row.status is Status.CONTINUOUS:
            word = STATUS_WORDS[Status.CONTINUOUS]
        else:
            word = "не выполнен"
        parts.append(f"{number} «{shorten(other.stage.title, DEPENDENCY_TITLE_LIMIT)}» — {word}")
    return parts


def _when_text(occurrence: Occurrence) -> str:
    assert occurrence.due is not None
    due = russian.format_date_weekday(occurrence.due)
    if occurrence.due_time is not None:
        due += f", {occurrence.due_time:%H:%M}"
    if occurrence.start is not None and occurrence.start != occurrence.due:
        text = f"с {russian.format_date_weekday(occurrence.start)} по {due}"
    else:
        text = due
    return f"{text} ({occurrence.label})" if occurrence.label else text


def _description(
    status: RoadmapStatus,
    planned: PlannedStage,
    when: str,
    state_word: str,
    explain: str,
) -> str:
    roadmap = status.plan.roadmap
    stage = planned.stage
    lines = [_flat(stage.title), "", f"Срок: {when}"]
    if stage.when:
        lines.append(f"Срок по документу: {_flat(stage.when)}")
    if stage.document:
        lines.append(f"Документ: {_flat(stage.document)}")
    if stage.expected_result:
        lines.append(f"Ожидаемый результат: {_flat(stage.expected_result)}")
    if stage.evidence_required:
        lines.append("Подтверждение: нужен подтверждающий документ")
    if planned.responsible:
        lines.append(f"Ответственный: {_person_line(roadmap, planned.responsible[0])}")
        if len(planned.responsible) > 1:
            lines.append("Также: " + ", ".join(roadmap.people[key].name for key in planned.responsible[1:]))
    dependencies = _dependency_lines(status, planned)
    if dependencies:
        lines.append("Зависит от: " + "; ".join(dependencies))
    lines.append(f"Статус: {state_word}")
    if stage.notes:
        lines.append(f"Примечание: {_flat(stage.notes)}")
    if explain:
        lines.append(f"Как получен срок: {explain}")
    lines.append(f"Дорожная карта: {_flat(roadmap.title)}")
    return "\n".join(lines)


# --- dates, alarms, people ------------------------------------------------------------------------


def _date(day: dt.date) -> dict[str, str]:
    return {"date": day.isoformat()}


def _local(day: dt.date, time: dt.time, tzid: str) -> dict[str, str]:
    return {"datetime": dt.datetime.combine(day, time).isoformat(timespec="seconds"), "tzid": tzid}


def _utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_span(occurrence: Occurrence, tzid: str) -> tuple[dict[str, str], dict[str, str]]:
    """VEVENT (DTSTART, DTEND): all-day with DTEND exclusive, or timed in the roadmap's timezone."""
    due = occurrence.due
    assert due is not None
    start = occurrence.start if occurrence.start is not None else due
    if occurrence.due_time is None:
        return _date(start), _date(due + dt.timedelta(days=1))
    end = _local(due, occurrence.due_time, tzid)
    if start == due:
        return end, end  # a deadline is an instant
    return _local(start, dt.time(0, 0), tzid), end


def _todo_span(occurrence: Occurrence, tzid: str) -> tuple[dict[str, str] | None, dict[str, str]]:
    """VTODO (DTSTART or None, DUE): DTSTART only for windows, of the same value type as DUE."""
    due = occurrence.due
    assert due is not None
    has_window = occurrence.start is not None and occurrence.start != due
    if occurrence.due_time is None:
        return (_date(occurrence.start) if has_window and occurrence.start else None), _date(due)
    start = _local(occurrence.start, dt.time(0, 0), tzid) if has_window and occurrence.start else None
    return start, _local(due, occurrence.due_time, tzid)


def _lead_words(lead: int) -> str:
    return f"{lead} {russian.plural(lead, 'рабочий день', 'рабочих дня', 'рабочих дней')}"


def _alarms(
    status: RoadmapStatus, policy: Policy, occurrence: Occurrence, summary: str, zone: ZoneInfo
) -> list[dict[str, object]]:
    roadmap = status.plan.roadmap
    if not policy.enabled or occurrence.due is None:
        return []
    alarms: list[dict[str, object]] = []
    for lead in policy.lead:
        if lead <= 0:
            continue  # like the reminder flow: lead 0 is the due-day reminder, not an advance one
        day = status.plan.calendar.add_working_days(occurrence.due, -lead)
        moment = dt.datetime.combine(day, roadmap.defaults.send_at, tzinfo=zone)
        text = f"Напоминание: {summary} — срок {russian.format_date(occurrence.due)}, через {_lead_words(lead)}"
        alarms.append({"at": _utc_text(moment), "description": text})
    return alarms


def _series_alarms(status: RoadmapStatus, policy: Policy, dues: Sequence[dt.date], summary: str) -> list[dict[str, object]]:
    """Relative alarms for a series: the most frequent calendar offset of each working-day lead."""
    roadmap = status.plan.roadmap
    if not policy.enabled:
        return []
    send_at = roadmap.defaults.send_at
    alarms: list[dict[str, object]] = []
    for lead in policy.lead:
        if lead <= 0:
            continue
        offsets = Counter((status.plan.calendar.add_working_days(due, -lead) - due).days for due in dues)
        days = max(offsets.items(), key=lambda item: (item[1], -item[0]))[0]  # most frequent, then earlier
        seconds = days * 86400 + send_at.hour * 3600 + send_at.minute * 60
        text = f"Напоминание: {summary} — срок через {_lead_words(lead)}"
        alarms.append({"before": seconds, "description": text})
    return alarms


def _people(roadmap: Roadmap, planned: PlannedStage) -> tuple[dict[str, str] | None, list[dict[str, str]]]:
    attendees = []
    for position, key in enumerate(planned.responsible):
        person = roadmap.people[key]
        email = _plain_email(person.contacts.email)
        if email:
            role = "REQ-PARTICIPANT" if position == 0 else "OPT-PARTICIPANT"
            attendees.append({"email": email, "name": person.name, "role": role})
    organizer = None
    if planned.responsible:
        owner = roadmap.people[planned.responsible[0]]
        boss = roadmap.people.get(owner.supervisor) if owner.supervisor else None
        if boss is not None:
            email = _plain_email(boss.contacts.email)
            if email:
                organizer = {"email": email, "name": boss.name}
    return organizer, attendees


# --- recurrence --------------------------------------------------------------------------------


def _last_of_month(day: dt.date) -> bool:
    return (day + dt.timedelta(days=1)).month != day.month


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _rule_candidates(first: dt.date, second: dt.date) -> list[Rule]:
    candidates: list[Rule] = []
    days = (second - first).days
    if days > 0 and days % 7 == 0:
        candidates.append({"FREQ": "WEEKLY", "INTERVAL": days // 7})
    months = _months_between(first, second)
    if months > 0:
        if first.day == second.day:
            candidates.append({"FREQ": "MONTHLY", "INTERVAL": months})
        if _last_of_month(first) and _last_of_month(second):
            candidates.append({"FREQ": "MONTHLY", "INTERVAL": months, "BYMONTHDAY": -1})
    return candidates


def _expand(rule: Rule, start: dt.date, until: dt.date) -> list[dt.date]:
    freq = _rrule.WEEKLY if rule["FREQ"] == "WEEKLY" else _rrule.MONTHLY
    kwargs: dict[str, Any] = {"interval": int(rule["INTERVAL"])}
    if "BYMONTHDAY" in rule:
        kwargs["bymonthday"] = rule["BYMONTHDAY"]
    moments = _rrule.rrule(
        freq, dtstart=dt.datetime.combine(start, dt.time()), until=dt.datetime.combine(until, dt.time()), **kwargs
    )
    return [moment.date() for moment in moments]


def choose_rule(dues: Sequence[dt.date]) -> tuple[Rule | None, list[dt.date], list[dt.date]]:
    """(RRULE, dates it gives, dates left for separate events) for a series of due dates.

    The rule is the candidate whose expansion (by dateutil) stays inside the due dates for longest;
    it is kept only when it covers at least MIN_RULE_COVERAGE dates and MIN_RULE_SHARE of them.
    """
    dues = sorted(set(dues))
    best: tuple[int, Rule, list[dt.date]] | None = None
    wanted = set(dues)
    for begin in range(min(2, len(dues) - 1)):
        for rule in _rule_candidates(dues[begin], dues[begin + 1]):
            covered = []
            for day in _expand(rule, dues[begin], dues[-1]):
                if day not in wanted:
                    break
                covered.append(day)
            if best is None or len(covered) > best[0]:
                best = (len(covered), rule, covered)
    if best is None or best[0] < MIN_RULE_COVERAGE or best[0] < MIN_RULE_SHARE * len(dues):
        return None, [], list(dues)
    count, rule, covered = best
    rule = {**rule, "COUNT": count}
    chosen = set(covered)
    return rule, covered, [day for day in dues if day not in chosen]


# --- specs ---------------------------------------------------------------------------------------


def _hash(component: str, uid: str, fields: Mapping[str, object]) -> str:
    material = json.dumps([component, uid, fields], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _spec(uid: str, stage_id: str, component: str, fields: dict[str, object]) -> EventSpec:
    # A read-only view; the values inside are plain JSON-like data (dicts, lists, str, int, None)
    # that nobody should modify either — a deep copy into immutable types costs a third of the
    # build time of a big roadmap.
    return EventSpec(uid, stage_id, _hash(component, uid, fields), component, MappingProxyType(fields))


class _Builder:
    def __init__(self, status: RoadmapStatus, todo: bool, index: Mapping[tuple[str, str], Completion] | None) -> None:
        self.status = status
        self.roadmap = status.plan.roadmap
        self.tzid = self.roadmap.timezone
        self.zone = ZoneInfo(self.tzid)
        self.todo = todo
        self.index = index
        self.component = "VTODO" if todo else "VEVENT"
        self.domain = f"{self.roadmap.id}.cyclogram"

    def policy(self, planned: PlannedStage) -> Policy:
        return Policy.for_stage(self.roadmap, planned.stage)

    def uid(self, planned: PlannedStage, occurrence: Occurrence | None, several: bool, taken: set[str]) -> str:
        if not several or occurrence is None:
            return f"{planned.id}@{self.domain}"
        base = f"{planned.id}-{slug(occurrence.label or str(occurrence.due))}"
        uid, n = f"{base}@{self.domain}", 2
        while uid in taken:  # two labels with the same transliteration
            uid, n = f"{base}-{n}@{self.domain}", n + 1
        taken.add(uid)
        return uid

    def common(self, planned: PlannedStage) -> dict[str, object]:
        organizer, attendees = _people(self.roadmap, planned)
        return {
            "categories": _section_titles(planned),
            "organizer": organizer,
            "attendees": attendees,
        }

    def single(self, planned: PlannedStage, occurrence: Occurrence, state: _State, uid: str) -> EventSpec:
        mark = "" if self.todo else (DONE_MARK if state.done else SKIPPED_MARK if state.skipped else "")
        reserve = state.state is None and self.status.stages[planned.id].status is Status.OPTIONAL
        summary = _summary(planned, occurrence.label, mark)
        plain = _summary(planned, occurrence.label)
        fields: dict[str, object] = {
            "occurrence": occurrence.label or "",
            "summary": summary,
            "description": _description(self.status, planned, _when_text(occurrence), state.word, occurrence.explain),
            **self.common(planned),
            "alarms": []
            if state.state is not None or reserve
            else _alarms(self.status, self.policy(planned), occurrence, plain, self.zone),
        }
        if self.todo:
            start, due = _todo_span(occurrence, self.tzid)
            fields.update(start=start, due=due, status=self.todo_status(state))
            fields["completed"] = _utc_text(state.completion.at) if state.done and state.completion else None
            fields["percent"] = 100 if state.done else None
        else:
            start, end = _event_span(occurrence, self.tzid)
            fields.update(start=start, end=end, status="CANCELLED" if state.skipped else "TENTATIVE" if reserve else "CONFIRMED")
        return _spec(uid, planned.id, self.component, fields)

    @staticmethod
    def todo_status(state: _State) -> str:
        return "COMPLETED" if state.done else "CANCELLED" if state.skipped else "NEEDS-ACTION"

    def series(
        self,
        planned: PlannedStage,
        members: list[tuple[Occurrence, _State]],
        rule: Rule,
        uid: str,
    ) -> EventSpec:
        """One VEVENT with an RRULE over `members`, plus overrides for finished occurrences."""
        row = self.status.stages[planned.id]
        finished = all(state.state is not None for _, state in members)
        all_skipped = all(state.skipped for _, state in members)
        mark = (SKIPPED_MARK if all_skipped else DONE_MARK) if finished else ""
        reserve = row.status is Status.OPTIONAL
        recurring = planned.stage.recurring
        assert recurring is not None
        dues = [o.due for o, _ in members if o.due is not None]
        separate = [o.due for o in planned.occurrences if o.due is not None and o.due not in set(dues)]
        rhythm = _EVERY_WORDS[recurring.every]
        if recurring.every == "month" and recurring.day:
            rhythm += (
                f", {recurring.day}-го числа (или в последний день месяца)"
                if recurring.day > 28
                else f", {recurring.day}-го числа"
            )
        elif recurring.every == "month":
            rhythm += ", в последний день месяца"
        elif recurring.every == "week" and recurring.weekday:
            weekday = russian.weekday_number(recurring.weekday)
            rhythm += f", {russian.WEEKDAY_NAMES[weekday]}" if weekday is not None else ""
        times = russian.plural(len(dues), "раз", "раза", "раз")
        when = f"{rhythm}; {len(dues)} {times}: с {russian.format_date(dues[0])} по {russian.format_date(dues[-1])}"
        if separate:
            when += "; отдельными событиями: " + ", ".join(russian.format_date(day) for day in sorted(separate))
        done = sum(state.state is not None for _, state in members)
        word = STATUS_WORDS[row.status] + (f" (выполнено {done} из {len(members)})" if not finished else "")
        plain = _summary(planned, None)
        overrides = []
        for occurrence, state in members:
            if state.state is None:
                continue
            assert occurrence.due is not None
            overrides.append(
                {
                    "recurrence_id": occurrence.due.isoformat(),
                    "summary": _summary(planned, occurrence.label, DONE_MARK if state.done else SKIPPED_MARK),
                    "description": _description(self.status, planned, _when_text(occurrence), state.word, occurrence.explain),
                    "status": "CANCELLED" if state.skipped else "CONFIRMED",
                }
            )
        fields: dict[str, object] = {
            "occurrence": "",
            "summary": mark + plain,
            # each occurrence's own explanation is just its window, which "Срок" already says
            "description": _description(self.status, planned, when, word, ""),
            **self.common(planned),
            "alarms": [] if finished or reserve else _series_alarms(self.status, self.policy(planned), dues, plain),
            "start": _date(dues[0]),
            "end": _date(dues[0] + dt.timedelta(days=1)),
            "status": "CANCELLED" if finished and all_skipped else "TENTATIVE" if reserve else "CONFIRMED",
            "rrule": rule,
            "overrides": overrides,
        }
        return _spec(uid, planned.id, self.component, fields)

    def stage(self, planned: PlannedStage, specs: list[EventSpec], skipped: list[Skipped]) -> None:
        number = _number(planned) or planned.id
        title = _flat(planned.stage.title)
        if planned.kind == "continuous":
            skipped.append(Skipped(planned.id, number, title, CONTINUOUS_REASON))
            return
        if planned.unknown or not planned.occurrences:
            skipped.append(Skipped(planned.id, number, title, planned.unknown or "срок не вычислен"))
            return
        states = _states(self.status, planned, self.index)
        known: list[tuple[Occurrence, _State]] = []
        for position, occurrence in enumerate(planned.occurrences):
            if occurrence.unknown or occurrence.due is None:
                reason = occurrence.unknown or "срок не указан"
                skipped.append(
                    Skipped(planned.id, number, title, f"{occurrence.label}: {reason}" if occurrence.label else reason)
                )
            else:
                known.append((occurrence, states[position]))
        several = len(planned.occurrences) > 1
        taken: set[str] = set()
        dues = [o.due for o, _ in known if o.due is not None]
        if planned.kind == "recurring" and not self.todo and len(known) > 1 and len(set(dues)) == len(dues):
            rule, covered, _rest = choose_rule(dues)
            if rule is not None:
                chosen = set(covered)
                members = [(o, s) for o, s in known if o.due in chosen]
                specs.append(self.series(planned, members, rule, self.uid(planned, None, False, taken)))
                known = [(o, s) for o, s in known if o.due not in chosen]
        for occurrence, state in known:
            if planned.kind == "recurring" and not self.todo:
                occurrence = replace(occurrence, start=None)  # on its due day, like the series
            specs.append(self.single(planned, occurrence, state, self.uid(planned, occurrence, several, taken)))


def build_specs(
    status: RoadmapStatus,
    *,
    people: Collection[str] | None = None,
    todo: bool = False,
    completions: Iterable[Completion] | None = None,
) -> tuple[list[EventSpec], list[Skipped]]:
    """The calendar components of a roadmap's status, and the stages left out (see module docstring).

    `people`: person keys or role keys (a role stands for its members); only stages any of them
    answers for are included, in both lists. `todo`: VTODOs instead of VEVENTs. `completions`: the
    completions the status was computed from; with them every occurrence of a stage that happens
    several times is marked by its own completion (without them, by what StageStatus tells).
    """
    roadmap = status.plan.roadmap
    wanted: set[str] | None = None
    if people is not None:
        wanted = set()
        for key in people:
            if key in roadmap.roles:
                wanted.update(roadmap.roles[key].members)
            else:
                wanted.add(key)
    builder = _Builder(status, todo, _completion_index(status, completions))
    specs: list[EventSpec] = []
    skipped: list[Skipped] = []
    with gc_paused():  # tens of thousands of small acyclic objects (see engine.gcpause)
        for planned in status.plan.stages.values():
            if wanted is not None and not wanted.intersection(planned.responsible):
                continue
            builder.stage(planned, specs, skipped)
    return specs, skipped


# --- rendering -----------------------------------------------------------------------------------


class EventCache:
    """Serialized components by (uid, content_hash, SEQUENCE, LAST-MODIFIED); least recently used
    entries are dropped beyond `max_entries`. Thread-safe: one cache can serve every feed."""

    def __init__(self, max_entries: int = 200_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, int, str], bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, str, int, str]) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: tuple[str, str, int, str], value: bytes) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


# `EventSpec.fields` holds plain JSON-like data built above; these read its parts back with their types.


def _record(value: object) -> Mapping[str, Any]:
    """A record: {date} or {datetime, tzid}, an address, an alarm, an RRULE, an override."""
    assert isinstance(value, Mapping), value
    return value


def _records(value: object) -> list[Mapping[str, Any]]:
    """A list of records: attendees, alarms, overrides."""
    assert isinstance(value, list), value
    return value


def _texts(value: object) -> list[str]:
    """A list of strings: categories."""
    assert isinstance(value, list), value
    return value


def _when_value(value: Mapping[str, str]) -> dt.date | dt.datetime:
    if "date" in value:
        return dt.date.fromisoformat(value["date"])
    return dt.datetime.fromisoformat(value["datetime"]).replace(tzinfo=ZoneInfo(value["tzid"]))


def _address(value: Mapping[str, str], role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{value['email']}")
    address.params["CN"] = value["name"]
    if role:
        address.params["ROLE"] = role
    return address


def _add_alarms(component: Event | Todo, alarms: Iterable[Mapping[str, Any]]) -> None:
    for spec in alarms:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", str(spec["description"]))
        if "at" in spec:
            moment = dt.datetime.strptime(str(spec["at"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            alarm.add("trigger", moment, parameters={"VALUE": "DATE-TIME"})
        else:
            alarm.add("trigger", dt.timedelta(seconds=int(spec["before"])), parameters={"RELATED": "START"})
        component.add_component(alarm)


def _stamp(component: Event | Todo, uid: str, sequence: int, modified: dt.datetime, dtstamp: dt.datetime) -> None:
    component.add("uid", uid)
    component.add("dtstamp", dtstamp)
    component.add("last-modified", modified)
    component.add("sequence", sequence)


def _render_component(spec: EventSpec, sequence: int, modified: dt.datetime, dtstamp: dt.datetime) -> bytes:
    f = spec.fields
    component: Event | Todo = Todo() if spec.component == "VTODO" else Event()
    _stamp(component, spec.uid, sequence, modified, dtstamp)
    component.add("summary", str(f["summary"]))
    component.add("description", str(f["description"]))
    if f["categories"]:
        component.add("categories", list(_texts(f["categories"])))
    component.add("status", str(f["status"]))
    if spec.component == "VTODO":
        if f["start"] is not None:
            component.add("dtstart", _when_value(_record(f["start"])))
        component.add("due", _when_value(_record(f["due"])))
        if f["completed"]:
            completed = dt.datetime.strptime(str(f["completed"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            component.add("completed", completed)
        percent = f["percent"]
        if percent is not None:
            assert isinstance(percent, int), percent
            component.add("percent-complete", percent)
    else:
        component.add("dtstart", _when_value(_record(f["start"])))
        component.add("dtend", _when_value(_record(f["end"])))
        component.add("transp", "TRANSPARENT")
        if f.get("rrule"):
            component.add("rrule", vRecur(dict(_record(f["rrule"]))))
    if f["organizer"]:
        component.add("organizer", _address(_record(f["organizer"])))
    for attendee in _records(f["attendees"]):
        component.add("attendee", _address(attendee, attendee["role"]))
    _add_alarms(component, _records(f["alarms"]))
    parts = [component.to_ical()]
    for override in _records(f.get("overrides") or []):
        day = dt.date.fromisoformat(override["recurrence_id"])
        instance = Event()
        _stamp(instance, spec.uid, sequence, modified, dtstamp)
        instance.add("recurrence-id", day)
        instance.add("dtstart", day)
        instance.add("dtend", day + dt.timedelta(days=1))
        instance.add("transp", "TRANSPARENT")
        instance.add("summary", override["summary"])
        instance.add("description", override["description"])
        if f["categories"]:
            instance.add("categories", list(_texts(f["categories"])))
        instance.add("status", override["status"])
        if f["organizer"]:
            instance.add("organizer", _address(_record(f["organizer"])))
        for attendee in _records(f["attendees"]):
            instance.add("attendee", _address(attendee, attendee["role"]))
        parts.append(instance.to_ical())
    return b"".join(parts)


def _years(specs: Sequence[EventSpec]) -> tuple[int, int]:
    years = []
    for spec in specs:
        for name in ("start", "end", "due"):
            value = spec.fields.get(name)
            if value:
                when = _record(value)
                years.append(int((when.get("date") or when["datetime"])[:4]))
    if not years:
        year = dt.date.today().year
        return year, year
    return min(years), max(years)


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """VTIMEZONE covering a year before the first date to a year after the last (kept short:
    the full 1970–2038 history of Asia/Irkutsk is 60 lines of transitions nobody needs)."""
    zone = Timezone.from_tzid(tzid, first_date=dt.date(first_year - 1, 1, 1), last_date=dt.date(last_year + 2, 1, 1))
    text: bytes = zone.to_ical()
    return text


@lru_cache(maxsize=256)
def _header(name: str, tzid: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(_flat(name)))
    calendar.add("x-wr-timezone", vText(tzid))
    text: bytes = calendar.to_ical()
    footer = b"END:VCALENDAR\r\n"
    assert text.endswith(footer)
    return text[: -len(footer)]


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def render_calendar(
    specs: Sequence[EventSpec],
    *,
    name: str,
    timezone: str,
    versions: Mapping[str, tuple[int, dt.datetime]] | None = None,
    cache: EventCache | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The .ics bytes of a feed: VCALENDAR header, the VTIMEZONE, the components, the footer.

    `versions`: uid → (SEQUENCE, LAST-MODIFIED) kept by the caller; missing → (0, now). With a
    `cache`, a component already serialized with the same uid, content_hash, SEQUENCE and
    LAST-MODIFIED is taken from it as bytes: its DTSTAMP (and, for a uid without a version, its
    LAST-MODIFIED) is the time of that first serialization. `now` must be timezone-aware.
    """
    stamp = _utc(now or dt.datetime.now(dt.UTC))
    versions = versions or {}
    first, last = _years(specs)
    parts = [_header(name, timezone), _vtimezone(timezone, first, last)]
    with gc_paused():
        for spec in specs:
            version = versions.get(spec.uid)
            sequence, modified = (version[0], _utc(version[1])) if version else (0, stamp)
            if cache is None:
                parts.append(_render_component(spec, sequence, modified, stamp))
                continue
            # Without a version the component is keyed as "unversioned": a cached one keeps the
            # LAST-MODIFIED (= DTSTAMP) of its first serialization, which is when it last changed
            # as far as this cache knows — keying on `now` would make every request a miss.
            key = (spec.uid, spec.content_hash, sequence, modified.isoformat() if version else "")
            data = cache.get(key)
            if data is None:
                data = _render_component(spec, sequence, modified, stamp)
                cache.put(key, data)
            parts.append(data)
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)
