"""Reminder policy: from the status of a roadmap on a given day, the reminders due that day.

Pure: no clock, no database, no sending. The caller runs it once a day (or more often: every
reminder has a stable `dedupe_key`, so running twice enqueues nothing new) and puts the result
in the outbox.

Rules (defaults in the roadmap header `defaults.reminders`, overrides per stage `reminders:`):

* **lead** — `lead` working days before the due date (default 5 and 1). When a run was missed,
  the nearest lead that has already come is sent late rather than never ("осталось 3 дня").
* **due** — on the due day (`on_due_day`, default on). A due date on a day off is announced on the
  working day before it, so nobody learns about a Saturday deadline on Monday.
* **overdue** — while overdue, on the first overdue working day and then every `overdue_every`
  working days (default 2).
* **escalation** — once, to the owner's supervisor, after `escalate_after` working days overdue
  (default 5).
* **unblocked** — to the people of a stage whose last dependency has just been completed (within
  the last `UNBLOCKED_WINDOW` working days): "Этап 20 выполнен — можно начинать этап 21".
* **checkin** — a continuous stage with `check_every` gets one reminder on the first working day
  of each period (week, month, quarter, trimester) to report how it goes.
* **blocking** — a stage late while blocked (its due date passed while a dependency is open) is not
  chased: the owner of the stage holding it up is told instead ("ваш этап 4 задерживает этап 5"),
  on the held stage's first overdue working day and then every `overdue_every` working days (the
  held stage's policy). The blocker is followed back to the stages that can actually be done now: a
  blocker that itself waits for another stage passes the message on to that one's owner. One
  reminder per blocker and owner, however many stages it holds up: `Reminder.stage_id` is the
  blocker (the recipient's own stage, so the action link marks it), `about` the stage held up the
  longest (its lateness sets the rhythm), `held` every stage held up.

Triggered stages are reminded per open occurrence (`RoadmapStatus.open_occurrences`: each recorded
trigger is due `within` after it); an occurrence without a due date ("по мере необходимости") gets
no lead, due or overdue reminders. Optional stages not yet activated get none at all.

Nothing is sent on a day off (the whole run yields nothing), for blocked stages (the blocker's
people are reminded instead), for stages without a date yet (they wait for their event), or when
`enabled: false`. Recipients are the stage's people (roles expanded, owner first); escalations go
to the owner's supervisor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from cyclogram.engine.model import DEFAULT_LEAD, ReminderPolicy, Roadmap, Stage
from cyclogram.engine.status import RoadmapStatus, StageStatus, Status
from cyclogram.engine.workcalendar import WorkCalendar

DEFAULT_OVERDUE_EVERY = 2
DEFAULT_ESCALATE_AFTER = 5
UNBLOCKED_WINDOW = 2  # working days: an unblock older than this is old news, not a reminder

_T = TypeVar("_T")


class Kind(str, Enum):
    LEAD = "lead"
    DUE = "due"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    UNBLOCKED = "unblocked"
    CHECKIN = "checkin"
    BLOCKING = "blocking"  # the recipient's stage holds up another one that is overdue


# Most urgent first: digests list items in this order, then by days late / left.
URGENCY = {
    Kind.ESCALATION: 0,
    Kind.OVERDUE: 1,
    Kind.BLOCKING: 2,
    Kind.DUE: 3,
    Kind.UNBLOCKED: 4,
    Kind.LEAD: 5,
    Kind.CHECKIN: 6,
}


@dataclass(frozen=True)
class Policy:
    lead: tuple[int, ...]
    on_due_day: bool
    overdue_every: int
    escalate_after: int
    enabled: bool

    @classmethod
    def for_stage(cls, roadmap: Roadmap, stage: Stage) -> Policy:
        base = roadmap.defaults.reminders
        own = stage.reminders or ReminderPolicy()
        lead = _pick(own.lead, base.lead, DEFAULT_LEAD)
        return cls(
            lead=tuple(sorted(set(lead), reverse=True)),
            on_due_day=bool(_pick(own.on_due_day, base.on_due_day, True)),
            overdue_every=int(_pick(own.overdue_every, base.overdue_every, DEFAULT_OVERDUE_EVERY)),
            escalate_after=int(_pick(own.escalate_after, base.escalate_after, DEFAULT_ESCALATE_AFTER)),
            enabled=bool(_pick(own.enabled, base.enabled, True)),
        )


def _pick(own: _T | None, base: _T | None, default: _T) -> _T:
    """The stage's own setting, else the roadmap header's (`defaults.reminders`), else the built-in default."""
    if own is not None:
        return own
    return default if base is None else base


@dataclass(frozen=True)
class Reminder:
    roadmap_id: str
    stage_id: str
    occurrence: str
    person: str  # recipient (person key)
    kind: Kind
    due: dt.date | None  # the due date this reminder is about
    day: dt.date  # the day it is for (the run's day)
    days_left: int | None = None
    days_late: int | None = None
    step: str = ""  # what makes it distinct within its kind: "lead:5", "overdue:2", "2024-10"…
    # escalation: the owner it is about; unblocked: the stage that unblocked it; blocking: the stage held up
    about: str | None = None
    held: tuple[str, ...] = ()  # blocking: every stage held up, the longest first

    @property
    def dedupe_key(self) -> str:
        """One reminder, one key: the same facts on another run give the same key."""
        material = "|".join(
            [
                self.roadmap_id,
                self.stage_id,
                self.occurrence,
                self.person,
                self.kind.value,
                self.due.isoformat() if self.due else "-",
                self.step,
            ]
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def urgency(self) -> tuple[int, int]:
        days = -(self.days_late or 0) if self.days_late else (self.days_left if self.days_left is not None else 99)
        return (URGENCY[self.kind], days)


def announce_day(calendar: WorkCalendar, day: dt.date) -> dt.date:
    """The working day on which something happening on `day` is announced (the day itself, or
    the last working day before it)."""
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def _recipients(status: RoadmapStatus, stage_id: str) -> tuple[str, ...]:
    return status.plan.stages[stage_id].responsible


def _lead_reminders(
    policy: Policy, row: StageStatus, calendar: WorkCalendar, today: dt.date
) -> list[tuple[Kind, str, int | None]]:
    """(kind, step, days_left) due today for an open stage; at most one: the most urgent."""
    assert row.due is not None
    due_announce = announce_day(calendar, row.due)
    if policy.on_due_day and today >= due_announce and today <= row.due:
        return [(Kind.DUE, "due", row.days_left)]
    passed = [lead for lead in policy.lead if lead > 0 and calendar.add_working_days(row.due, -lead) <= today < due_announce]
    if passed:
        lead = min(passed)  # the nearest lead that has come: one message, not a burst after downtime
        return [(Kind.LEAD, f"lead:{lead}", row.days_left)]
    return []


def _period_start(every: str, day: dt.date, first_year: int) -> dt.date:
    if every == "week":
        return day - dt.timedelta(days=day.weekday())
    if every == "month":
        return day.replace(day=1)
    starts = {
        "quarter": [(first_year, 9), (first_year, 11), (first_year + 1, 1), (first_year + 1, 4)],
        "trimester": [(first_year, 9), (first_year, 12), (first_year + 1, 3)],
    }[every]
    candidates = [dt.date(y, m, 1) for y, m in starts if dt.date(y, m, 1) <= day]
    return candidates[-1] if candidates else day.replace(day=1)


def due_reminders(status: RoadmapStatus, calendar: WorkCalendar | None = None) -> list[Reminder]:
    """All reminders for the day of `status.moment` (see module docstring), most urgent first."""
    calendar = calendar or status.plan.calendar
    today = status.moment
    if not calendar.is_working_day(today):
        return []
    roadmap = status.plan.roadmap
    result: list[Reminder] = []
    held: list[tuple[StageStatus, Policy]] = []
    for stage_id, row in status.stages.items():
        planned = status.plan.stages[stage_id]
        policy = Policy.for_stage(roadmap, planned.stage)
        if not policy.enabled:
            continue
        for current in status.open_occurrences.get(stage_id) or (row,):
            if current.late_while_blocked:
                held.append((current, policy))
            else:
                result.extend(_stage_reminders(status, calendar, policy, current, today))
    result.extend(_blocking_reminders(status, held, today))
    result.sort(key=lambda r: (r.person, r.urgency()))
    return result


def _stage_reminders(
    status: RoadmapStatus, calendar: WorkCalendar, policy: Policy, row: StageStatus, today: dt.date
) -> list[Reminder]:
    """One stage occurrence's reminders of the day (module docstring)."""
    roadmap = status.plan.roadmap
    stage_id = row.stage_id
    planned = status.plan.stages[stage_id]
    people = _recipients(status, stage_id)
    result: list[Reminder] = []

    def emit(
        kind: Kind,
        step: str,
        *,
        to: tuple[str, ...] = people,
        about: str | None = None,
        days_left: int | None = None,
        days_late: int | None = None,
    ) -> None:
        for person in to:
            result.append(
                Reminder(roadmap.id, stage_id, row.occurrence, person, kind, row.due, today, days_left, days_late, step, about)
            )

    if row.status is Status.CONTINUOUS:
        every = planned.stage.check_every
        if every:
            start = _period_start(every, today, roadmap.academic_year.first)
            if calendar.add_working_days(start, 0) == today:
                emit(Kind.CHECKIN, f"checkin:{start.isoformat()}")
    elif row.status in (Status.OPEN, Status.DUE_SOON):
        if row.due is not None:
            for kind, step, days_left in _lead_reminders(policy, row, calendar, today):
                emit(kind, step, days_left=days_left)
        unblocker = _just_unblocked_by(status, stage_id, calendar, today)
        if unblocker is not None:
            emit(Kind.UNBLOCKED, f"unblocked:{unblocker}", about=unblocker, days_left=row.days_left)
    elif row.status is Status.UNSCHEDULED:
        unblocker = _just_unblocked_by(status, stage_id, calendar, today)
        if unblocker is not None:
            emit(Kind.UNBLOCKED, f"unblocked:{unblocker}", about=unblocker)
    elif row.status is Status.OVERDUE:
        late = max(1, row.days_late or 0)
        overdue_every = max(1, policy.overdue_every)
        emit(Kind.OVERDUE, f"overdue:{(late - 1) // overdue_every}", days_late=late)
        if late >= policy.escalate_after and people:
            owner = roadmap.people.get(people[0])
            if owner is not None and owner.supervisor and owner.supervisor not in people[:1]:
                emit(Kind.ESCALATION, "escalation", to=(owner.supervisor,), about=people[0], days_late=late)
    return result


def _blocking_reminders(status: RoadmapStatus, held: list[tuple[StageStatus, Policy]], today: dt.date) -> list[Reminder]:
    """To the owner of each stage holding up stages late while blocked: one per blocker (module docstring)."""
    by_blocker: dict[str, list[tuple[StageStatus, Policy]]] = {}
    for row, policy in held:
        for key in root_blockers(status, row.stage_id):
            by_blocker.setdefault(key, []).append((row, policy))
    result = []
    for key, rows in by_blocker.items():
        rows.sort(key=lambda item: -(item[0].days_late or 0))
        longest, policy = rows[0]
        late = max(1, longest.days_late or 0)
        blocker = status.stages.get(key)
        planned = status.plan.stages.get(key)
        for owner in planned.responsible[:1] if planned is not None else ():
            result.append(
                Reminder(
                    status.plan.roadmap.id,
                    key,
                    blocker.occurrence if blocker is not None else "",
                    owner,
                    Kind.BLOCKING,
                    blocker.due if blocker is not None else None,
                    today,
                    days_late=late,
                    step=f"blocking:{(late - 1) // max(1, policy.overdue_every)}",
                    about=longest.stage_id,
                    held=tuple(dict.fromkeys(row.stage_id for row, _ in rows)),
                )
            )
    return result


def root_blockers(status: RoadmapStatus, stage_id: str) -> list[str]:
    """The open stages that hold `stage_id` up and wait for nothing themselves, nearest first."""
    found: list[str] = []
    seen = {stage_id}
    pending = list(status.stages[stage_id].blocked_by)
    while pending:
        key = pending.pop(0)
        if key in seen:
            continue
        seen.add(key)
        row = status.stages.get(key)
        if row is not None and row.blocked_by:
            pending.extend(row.blocked_by)
        else:
            found.append(key)
    return found


def _just_unblocked_by(status: RoadmapStatus, stage_id: str, calendar: WorkCalendar, today: dt.date) -> str | None:
    """The dependency whose recent completion unblocked this stage, if that happened lately."""
    planned = status.plan.stages[stage_id]
    if not planned.depends_on or status.stages[stage_id].blocked_by:
        return None
    latest: tuple[dt.date, str] | None = None
    for dep in planned.depends_on:
        dep_row = status.stages.get(dep)
        if dep_row is None or dep_row.completion is None:
            continue  # a continuous dependency never "completes"
        day = dep_row.completion.day
        if latest is None or day > latest[0]:
            latest = (day, dep)
    if latest is None:
        return None
    if calendar.working_days_between(latest[0], today) > UNBLOCKED_WINDOW:
        return None
    return latest[1]


def without_duplicates(reminders: list[Reminder]) -> list[Reminder]:
    """One reminder per key (a person named twice through roles gets one message)."""
    seen: set[str] = set()
    unique = []
    for reminder in reminders:
        if reminder.dedupe_key not in seen:
            seen.add(reminder.dedupe_key)
            unique.append(reminder)
    return unique
