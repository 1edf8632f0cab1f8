"""The status of every stage at a moment: blocked, open, due soon, overdue, done, skipped, …

Pure: a validated roadmap, the completions known so far (`engine.tracking.Completion`, as the store
gives them) and a moment go in; a `RoadmapStatus` comes out. No I/O, no database, no clock — the
caller says what "now" is, so the same inputs always give the same answer (and tests need no
frozen time).

The rules, and why:

* The plan is recomputed with the actual completion dates first, so a deadline written relative
  to another stage's completion ("upload.done + 3wd") follows what really happened, not the plan.
* Completions are matched to occurrences by label: the store records `Occurrence.label` in
  `Completion.occurrence` ("" when the plan gives no label). A stage with a single occurrence also
  accepts "", so a one-off stage is completed the obvious way whatever its label. On a stage with
  several occurrences a completion labelled "" matches nothing: guessing which occurrence it meant
  would silently close the wrong one.
* A stage is *finished* when every occurrence is done or skipped; a continuous stage never blocks
  anyone (it runs all year). A stage is BLOCKED while a stage it depends on is not finished — this
  looks at completions only, never at the dependencies' own statuses, so each stage is judged
  independently. BLOCKED wins over OVERDUE: nobody can be chased for work they cannot start.
* A stage with several occurrences (months, recurring, one per event of a group) is judged by its
  *current* occurrence: the earliest (by due date, unknown dates last) without a completion. When
  all are finished it is DONE, or DONE_LATE when the last one done was late, or SKIPPED when all
  were skipped.
* A stage that has been done stays DONE even if its dependencies are not (completions may be
  forced); a continuous stage stays CONTINUOUS unless skipped — check-ins do not end it.
* A due date on a day off is met by the next working day (Civil Code art. 193): a stage due on
  Sunday and done on Monday is on time; overdue and late days count from that working day.
* Days are counted in working days of the roadmap's calendar (`WorkCalendar.working_days_between`);
  dates only: a due time within the day is not taken into account.
* Completions dated after the moment are ignored: the status as of a past date is the status the
  roadmap had on that date.
* **Late while blocked**: a stage whose due date has passed while a dependency is still open is
  OVERDUE with `blocked_by` set (`StageStatus.late_while_blocked`): it counts as overdue everywhere
  (counts, summaries, digests), and is shown as "просрочен, ждёт этап 4 (Торопкина А.А.)"
  (`status_text`). Before its due date it is BLOCKED as before.
* **Triggered stages** get one occurrence per recorded trigger (`engine.tracking.Trigger`, planned by
  `engine.plan`); the row is about the earliest open one, and every open occurrence is judged on its
  own in `RoadmapStatus.open_occurrences` (for the status display and for reminders). An occurrence
  without a due date ("по мере необходимости", an open-ended window) is OPEN and never overdue;
  a triggered stage without any trigger yet is UNSCHEDULED. A triggered stage without `within`
  ("по мере необходимости") reads so in `status_text` whatever its status, with how many times it
  was done ("по мере необходимости, выполнен 2 раза"): one completion does not finish it. So it is
  counted under that word (`counts`) and left out of progress (`progress`), like continuous stages
  and reserves: one rule for `cyclogram status`, the web board and the exported appendix.
* **Optional stages** (`optional: true`) are OPTIONAL until activated (`engine.tracking.Activation`):
  listed with their dates, never overdue, never blocking the stages after them; once activated they
  are judged like any other stage. A completion makes one DONE whether or not it was activated.
  Triggers and activations dated after the moment are ignored, like completions.
* "Due soon" means within the stage's reminder lead: the largest of `stage.reminders.lead`, else
  `defaults.reminders.lead`, else 5 working days (`due_soon_days` overrides all). An empty lead list
  (no advance reminders) makes a stage due soon only on its due day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple, TypedDict
from zoneinfo import ZoneInfo

from cyclogram.engine.gcpause import gc_paused
from cyclogram.engine.model import DEFAULT_LEAD, Roadmap, Stage
from cyclogram.engine.plan import Occurrence, Plan, PlannedStage, compute_plan, replan
from cyclogram.engine.russian import plural
from cyclogram.engine.tracking import (
    Activation,
    Completion,
    CompletionKey,
    CompletionState,
    Trigger,
    actual_done_dates,
    index_completions,
    triggers_by_stage,
)
from cyclogram.engine.workcalendar import WorkCalendar

COUNTER_REACH_DAYS = 1500  # the prefix count covers about four years either side of the moment
PREFIX_FROM_STAGES = 200  # fewer stages are counted on the calendar directly (see compute_status)


class Status(str, Enum):
    BLOCKED = "blocked"  # a dependency is not done/skipped yet
    OPEN = "open"  # can be worked on, due date not near
    DUE_SOON = "due_soon"  # due within the lead window (working days)
    OVERDUE = "overdue"  # due date passed, not done
    DONE = "done"
    DONE_LATE = "done_late"  # done after its due date
    SKIPPED = "skipped"
    CONTINUOUS = "continuous"  # постоянно: never overdue
    UNSCHEDULED = "unscheduled"  # its date is not known yet (event without date, external trigger)
    OPTIONAL = "optional"  # a reserve stage not activated: listed, never overdue, never blocking


STATUS_WORDS: dict[Status, str] = {
    Status.BLOCKED: "заблокирован",
    Status.OPEN: "открыт",
    Status.DUE_SOON: "скоро срок",
    Status.OVERDUE: "просрочен",
    Status.DONE: "выполнен",
    Status.DONE_LATE: "выполнен с опозданием",
    Status.SKIPPED: "пропущен",
    Status.CONTINUOUS: "постоянно",
    Status.UNSCHEDULED: "срок не определён",
    Status.OPTIONAL: "резерв, не задействован",
}
FINISHED = frozenset({Status.DONE, Status.DONE_LATE, Status.SKIPPED})


class StageStatus(NamedTuple):
    """One stage's status (a named tuple: built 10,000 times per status of a large roadmap)."""

    stage_id: str
    status: Status
    due: dt.date | None  # due date of the occurrence this status is about
    start: dt.date | None
    occurrence: str  # label of that occurrence ("" when the plan gives none)
    days_left: int | None  # working days from the moment's date to due (>= 0) when open/due soon
    days_late: int | None  # working days overdue (OVERDUE), or how late it was done (DONE_LATE)
    blocked_by: tuple[str, ...]  # stage ids of unfinished dependencies (when BLOCKED)
    completion: Completion | None
    occurrences_done: int  # how many occurrences are done/skipped
    occurrences_total: int

    @property
    def late_while_blocked(self) -> bool:
        """Overdue although a dependency is still open (see module docstring)."""
        return self.status is Status.OVERDUE and bool(self.blocked_by)


@dataclass(frozen=True)
class RoadmapStatus:
    moment: dt.date
    plan: Plan  # the plan recomputed with actual completion dates
    stages: dict[str, StageStatus]  # document order
    # triggered stages with several open occurrences: each judged on its own, earliest first
    open_occurrences: Mapping[str, tuple[StageStatus, ...]] = field(default_factory=dict)
    activated: frozenset[str] = frozenset()  # optional stages put to use

    def counts(self) -> dict[Status, int]:
        """How many stages have each status; every status is present (zeros too), in enum order."""
        result = dict.fromkeys(Status, 0)
        for status in self.stages.values():
            result[status.status] += 1
        return result

    def for_person(self, person_key: str) -> list[StageStatus]:
        """Stages the person answers for, in document order (roles are already expanded by the plan)."""
        return [status for key, status in self.stages.items() if person_key in self.plan.stages[key].responsible]


# --- counting working days ------------------------------------------------------------------


@dataclass(frozen=True)
class _WorkingDays:
    """`working_days_between` in O(1) from a prefix count around the moment.

    The calendar's own count costs a search among its exceptions (holidays, transfers); a list
    lookup is cheaper still, times thousands of stages. Dates outside the counted span (a typo
    year, a moment far away) fall back to the calendar itself, so answers are always the calendar's.
    """

    calendar: WorkCalendar
    first: dt.date
    prefix: tuple[int, ...]  # prefix[i] = working days in (first, first + i]
    ends: dict[dt.date, dt.date] = field(default_factory=dict, compare=False)  # term_end, memoized

    @classmethod
    def around(cls, calendar: WorkCalendar, moment: dt.date, reach: int = COUNTER_REACH_DAYS) -> _WorkingDays:
        first = _shift_clamped(moment, -reach)
        last = _shift_clamped(moment, reach)
        prefix = [0]
        day, total = first, 0
        one = dt.timedelta(days=1)
        while day < last:
            day += one
            total += calendar.is_working_day(day)
            prefix.append(total)
        return cls(calendar, first, tuple(prefix))

    def term_end(self, due: dt.date) -> dt.date:
        """The last day that is still on time: the due date itself, or — when it falls on a day off —
        the next working day (as the Civil Code, art. 193, counts a term's end)."""
        end = self.ends.get(due)
        if end is None:
            try:
                end = self.calendar.add_working_days(due, 0)
            except OverflowError:  # days off up to the calendar's last day: the due date itself
                end = due
            self.ends[due] = end
        return end

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        i, j = (start - self.first).days, (end - self.first).days
        if 0 <= i < len(self.prefix) and 0 <= j < len(self.prefix):
            return self.prefix[j] - self.prefix[i]
        return self.calendar.working_days_between(start, end)


def _shift_clamped(day: dt.date, days: int) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


# --- occurrences and completions -------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """One occurrence of a stage with its completion; `occurrence` is None for a stage without any
    (an external trigger, "immediately" after an unknown date, a stage on a cycle)."""

    occurrence: Occurrence | None
    completion: Completion | None

    @property
    def label(self) -> str:
        return (self.occurrence.label or "") if self.occurrence else ""

    @property
    def known_due(self) -> dt.date | None:
        occurrence = self.occurrence
        return occurrence.due if occurrence is not None and not occurrence.unknown else None


def _slots(planned: PlannedStage, index: Mapping[CompletionKey, Completion]) -> tuple[_Slot, ...]:
    """The stage's occurrences in date order (unknown dates last), each with its completion."""
    key = planned.id
    occurrences = planned.occurrences
    if not occurrences:
        return (_Slot(None, index.get((key, ""))),)
    if len(occurrences) == 1:
        only = occurrences[0]
        return (_Slot(only, index.get((key, only.label or "")) or index.get((key, ""))),)
    slots = [_Slot(occurrence, index.get((key, occurrence.label or ""))) for occurrence in occurrences]
    return tuple(sorted(slots, key=_slot_order))


def _slot_order(slot: _Slot) -> tuple[bool, dt.date]:
    due = slot.known_due
    return (due is None, due or dt.date.max)  # sorted() is stable: equal dates keep document order


def _is_finished(planned: PlannedStage, slots: tuple[_Slot, ...], activated: Collection[str]) -> bool:
    """Whether dependents may proceed: every occurrence done or skipped; continuous stages and
    optional stages not activated always."""
    if planned.kind == "continuous" or (planned.stage.optional and planned.id not in activated):
        return True
    return all(slot.completion is not None for slot in slots)


def _threshold(stage: Stage, roadmap: Roadmap, override: int | None) -> int:
    """How many working days before the due date a stage counts as due soon (see module docstring)."""
    if override is not None:
        return override
    lead = stage.reminders.lead if stage.reminders is not None else None
    if lead is None:
        lead = roadmap.defaults.reminders.lead
    if lead is None:
        lead = list(DEFAULT_LEAD)
    return max(lead, default=0)


def _moment_day(moment: dt.date | dt.datetime, timezone: str) -> dt.date:
    """The school's date at the moment: an aware datetime is seen in the roadmap's timezone first,
    so a check at 20:00 UTC counts as the next day in Irkutsk, like the completions' own dates."""
    if isinstance(moment, dt.datetime):
        if moment.utcoffset() is not None:
            moment = moment.astimezone(ZoneInfo(timezone))
        return moment.date()
    return moment


# --- one stage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every stage's evaluation shares."""

    moment: dt.date
    days: _WorkingDays
    finished: Mapping[str, bool]
    activated: frozenset[str] = frozenset()


def _status(
    planned: PlannedStage,
    slots: tuple[_Slot, ...],
    threshold: int,
    context: _Context,
) -> StageStatus:
    done = sum(slot.completion is not None for slot in slots)
    if planned.kind == "continuous":
        return _continuous(planned, slots[0], done, len(slots))
    if done == len(slots):
        return _completed(planned, slots, context.days)
    current = next(slot for slot in slots if slot.completion is None)
    return _judge(planned, current, done, len(slots), threshold, context)


def _judge(planned: PlannedStage, slot: _Slot, done: int, total: int, threshold: int, context: _Context) -> StageStatus:
    """The status of one open occurrence (see module docstring for the order of the rules)."""
    if planned.stage.optional and planned.id not in context.activated:
        return _about(planned, slot, Status.OPTIONAL, done, total)
    blocked_by = tuple(dep for dep in planned.depends_on if not context.finished.get(dep, True))
    due = slot.known_due
    if blocked_by:
        if due is not None and context.moment > context.days.term_end(due):
            late = context.days.between(context.days.term_end(due), context.moment)
            return _about(planned, slot, Status.OVERDUE, done, total, days_late=late, blocked_by=blocked_by)
        return _about(planned, slot, Status.BLOCKED, done, total, blocked_by=blocked_by)
    occurrence = slot.occurrence
    if planned.unknown or occurrence is None or occurrence.unknown:
        return _about(planned, slot, Status.UNSCHEDULED, done, total)
    if due is None:  # a known occurrence without a due date: open-ended, "по мере необходимости"
        return _about(planned, slot, Status.OPEN, done, total)
    last_day = context.days.term_end(due)
    if context.moment > last_day:
        late = context.days.between(last_day, context.moment)
        return _about(planned, slot, Status.OVERDUE, done, total, days_late=late)
    left = max(0, context.days.between(context.moment, due))
    status = Status.DUE_SOON if left <= threshold else Status.OPEN
    return _about(planned, slot, status, done, total, days_left=left)


def _open_rows(planned: PlannedStage, slots: tuple[_Slot, ...], threshold: int, context: _Context) -> tuple[StageStatus, ...]:
    """Every open occurrence of a stage judged on its own, in date order."""
    done = sum(slot.completion is not None for slot in slots)
    return tuple(_judge(planned, slot, done, len(slots), threshold, context) for slot in slots if slot.completion is None)


def _continuous(planned: PlannedStage, slot: _Slot, done: int, total: int) -> StageStatus:
    """Continuous work never becomes overdue or done; only an explicit skip ends it."""
    completion = slot.completion
    skipped = completion is not None and completion.state is CompletionState.SKIPPED
    return _about(planned, slot, Status.SKIPPED if skipped else Status.CONTINUOUS, done, total, completion=completion)


def _completed(planned: PlannedStage, slots: tuple[_Slot, ...], days: _WorkingDays) -> StageStatus:
    """Every occurrence done or skipped: the status is about the last one actually done, late or not."""
    total = len(slots)
    done_slots = [slot for slot in slots if slot.completion and slot.completion.state is CompletionState.DONE]
    if not done_slots:
        return _about(planned, slots[-1], Status.SKIPPED, total, total, completion=slots[-1].completion)
    last = done_slots[-1]
    assert last.completion is not None
    due, day = last.known_due, last.completion.day
    if due is not None and day > days.term_end(due):
        late = days.between(days.term_end(due), day)
        return _about(planned, last, Status.DONE_LATE, total, total, days_late=late, completion=last.completion)
    return _about(planned, last, Status.DONE, total, total, completion=last.completion)


def _about(
    planned: PlannedStage,
    slot: _Slot,
    status: Status,
    done: int,
    total: int,
    *,
    days_left: int | None = None,
    days_late: int | None = None,
    blocked_by: tuple[str, ...] = (),
    completion: Completion | None = None,
) -> StageStatus:
    occurrence = slot.occurrence
    known = occurrence is not None and not occurrence.unknown and not planned.unknown
    return StageStatus(
        stage_id=planned.id,
        status=status,
        due=occurrence.due if known and occurrence else None,
        start=occurrence.start if known and occurrence else None,
        occurrence=slot.label,
        days_left=days_left,
        days_late=days_late,
        blocked_by=blocked_by,
        completion=completion,
        occurrences_done=done,
        occurrences_total=total,
    )


# --- the whole roadmap -----------------------------------------------------------------------


def compute_status(
    roadmap: Roadmap,
    completions: Iterable[Completion],
    moment: dt.date | dt.datetime,
    calendar: WorkCalendar | None = None,
    due_soon_days: int | None = None,
    base: Plan | None = None,
    only: Collection[str] | None = None,
    *,
    triggers: Iterable[Trigger] = (),
    activations: Iterable[Activation] = (),
) -> RoadmapStatus:
    """The status of every stage of a validated roadmap at `moment` (see module docstring).

    `base`: the roadmap's plan without completions, when the caller has it (a compiled roadmap);
    then only the stages whose dates follow a completion are planned again (`engine.plan.replan`).
    `only`: judge just these stages (recording one completion needs its stage and the stages that
    wait for it, not all ten thousand); `stages` then holds only them, and `plan` is exact only
    for them and the stages their dates come from. `triggers`, `activations`: the triggered
    stages' outside events and the optional stages put to use (`engine.tracking`).
    """
    if due_soon_days is not None and due_soon_days < 0:
        raise ValueError(f"due_soon_days must not be negative, got {due_soon_days}")
    day = _moment_day(moment, roadmap.timezone)
    # What was done after the moment was not known at that moment: `--as-of` a past date shows
    # the year as it stood then.
    completions = [c for c in completions if _moment_day(c.at, roadmap.timezone) <= day]
    by_stage = triggers_by_stage(t for t in triggers if _moment_day(t.at, roadmap.timezone) <= day)
    activated = frozenset(a.stage_id for a in activations if _moment_day(a.at, roadmap.timezone) <= day)
    with gc_paused():
        done_dates = actual_done_dates(completions)
        plan = (
            replan(base, done_dates, only, by_stage)
            if base is not None
            else compute_plan(roadmap, calendar, completions=done_dates, triggers=by_stage)
        )
        index = index_completions(completions)
        judged = plan.stages if only is None else {key: plan.stages[key] for key in only if key in plan.stages}
        needed = (
            judged
            if only is None
            else {**judged, **{d: plan.stages[d] for p in judged.values() for d in p.depends_on if d in plan.stages}}
        )
        slots = {key: _slots(planned, index) for key, planned in needed.items()}
        finished = {key: _is_finished(needed[key], stage_slots, activated) for key, stage_slots in slots.items()}
        # The prefix count (~3,000 days) pays off over hundreds of stages; a school's few dozen
        # are counted on the calendar itself (the 28-stage СПТ status: 0.88 → 0.22 ms, paid by every page).
        counted = only is None and len(judged) >= PREFIX_FROM_STAGES
        days = _WorkingDays.around(plan.calendar, day) if counted else _WorkingDays(plan.calendar, day, ())
        context = _Context(day, days, finished, activated)
        stages = {
            key: _status(planned, slots[key], _threshold(planned.stage, roadmap, due_soon_days), context)
            for key, planned in judged.items()
        }
        open_occurrences: dict[str, tuple[StageStatus, ...]] = {}
        for key in by_stage:
            planned = judged.get(key)
            if planned is not None and sum(slot.completion is None for slot in slots[key]) > 1:
                threshold = _threshold(planned.stage, roadmap, due_soon_days)
                open_occurrences[key] = _open_rows(planned, slots[key], threshold, context)
    return RoadmapStatus(day, plan, stages, open_occurrences, activated)


def waiting_text(blocked_by: Iterable[str], plan: Plan) -> str:
    """ "ждёт этап 4 (Торопкина А.А.)", "ждёт этапы 4 (Торопкина А.А.), 7 (Волкова Л.А.)"."""
    parts = []
    for key in blocked_by:
        planned = plan.stages.get(key)
        if planned is None:
            parts.append(key)
            continue
        owner = plan.roadmap.people.get(planned.responsible[0]) if planned.responsible else None
        parts.append(planned.stage.display_number + (f" ({owner.name})" if owner is not None else ""))
    return f"ждёт {'этап' if len(parts) == 1 else 'этапы'} {', '.join(parts)}"


AS_NEEDED = "по мере необходимости"


def is_as_needed(planned: PlannedStage | None) -> bool:
    """Done "по мере необходимости": triggered without `within` — no deadline, never finished for good."""
    return planned is not None and planned.stage.trigger is not None and planned.stage.within is None


def due_time(row: StageStatus, plan: Plan) -> dt.time | None:
    """The hour of the occurrence's deadline («за 1 час до начала» → 09:00), None for a whole day."""
    planned = plan.stages.get(row.stage_id)
    if planned is None or row.due is None:
        return None
    for occurrence in planned.occurrences:
        if occurrence.due_time is not None and occurrence.due == row.due and (occurrence.label or "") == row.occurrence:
            return occurrence.due_time
    return None


_AS_NEEDED_SHOWN = frozenset({Status.UNSCHEDULED, Status.OPEN, Status.DONE, Status.DONE_LATE})


def counted_as_needed(row: StageStatus, plan: Plan) -> bool:
    """The row reads and is counted «по мере необходимости», not by its status word: an as-needed
    stage waiting for its occasions or done on some (blocked, skipped, a reserve keep their words)."""
    return row.status in _AS_NEEDED_SHOWN and is_as_needed(plan.stages.get(row.stage_id))


@dataclass(frozen=True)
class StatusCounts:
    """How many stages read each word (`counts`): by status, and «по мере необходимости» apart."""

    by_status: dict[Status, int]  # every status, zeros too, in enum order
    as_needed: int = 0

    def words(self) -> list[tuple[str, int]]:
        """(word, count) of the words that occur: «открыт: 1, …, по мере необходимости: 2»."""
        found = [(STATUS_WORDS[s], n) for s, n in self.by_status.items() if n]
        return found + ([(AS_NEEDED, self.as_needed)] if self.as_needed else [])


def counts(rows: Iterable[StageStatus], plan: Plan) -> StatusCounts:
    """Counts by the words the rows show (`status_text`): a stage done as often as needed is counted
    as such, not as «срок не определён» before its first completion and «выполнен» after it. The one
    rule for `cyclogram status`, the web board and the exported appendix."""
    by_status = dict.fromkeys(Status, 0)
    as_needed = 0
    for row in rows:
        if counted_as_needed(row, plan):
            as_needed += 1
        else:
            by_status[row.status] += 1
    return StatusCounts(by_status, as_needed)


def progress(rows: Iterable[StageStatus], plan: Plan) -> tuple[int, int]:
    """(finished, countable): done, done late and skipped of the stages that can be finished for
    good — continuous stages, reserves not activated and stages done as often as needed never are,
    so they are not counted. `countable` may be 0. The one rule for every progress bar."""
    finished = countable = 0
    for row in rows:
        if row.status in (Status.CONTINUOUS, Status.OPTIONAL) or is_as_needed(plan.stages.get(row.stage_id)):
            continue
        countable += 1
        finished += row.status in FINISHED
    return finished, countable


def status_text(row: StageStatus, plan: Plan) -> str:
    """The status in words; late while blocked says what it waits for, a stage done as often as
    needed says so and how many times (see module docstring)."""
    word = STATUS_WORDS[row.status]
    if counted_as_needed(row, plan):
        done = row.occurrences_done
        return AS_NEEDED + (f", выполнен {done} {plural(done, 'раз', 'раза', 'раз')}" if done else "")
    return f"{word}, {waiting_text(row.blocked_by, plan)}" if row.late_while_blocked else word


# --- records for outputs ---------------------------------------------------------------------


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _hour(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


class StatusRecord(TypedDict):
    """One stage's status as plain data (`status_records`)."""

    id: str
    number: str | None
    title: str
    section: str | None
    status: str  # Status.value
    status_text: str  # "просрочен, ждёт этап 4 (Торопкина А.А.)" when late while blocked
    late_while_blocked: bool
    occurrence: str | None
    start: str | None  # ISO dates
    due: str | None
    due_time: str | None  # "09:00" when the deadline has an hour (an exam's start − 1 h)
    days_left: int | None
    days_late: int | None
    blocked_by: list[str]
    responsible: list[str]  # names
    done_at: str | None  # ISO date and time
    done_by: str | None  # person key
    occurrences_done: int
    occurrences_total: int
    open_occurrences: list[str]  # labels of a triggered stage's open occurrences


def status_records(result: RoadmapStatus, person: str | None = None) -> list[StatusRecord]:
    """One plain record per stage (document order; only `person`'s stages when given): what every
    output of a status shows — JSON, CSV, the Prefect table artifact, the web."""
    plan = result.plan
    rows = result.for_person(person) if person is not None else list(result.stages.values())
    records: list[StatusRecord] = []
    sections: dict[int, str | None] = {}  # stages of a section share its chain: title it once
    people: dict[tuple[str, ...], list[str]] = {}
    for row in rows:
        planned = plan.stages[row.stage_id]
        chain = planned.ref.sections
        section = sections.get(id(chain), "")
        if section == "":
            section = sections[id(chain)] = planned.section_title or None
        responsible = planned.stage.responsible
        names = people.get(tuple(responsible))
        if names is None:
            names = people[tuple(responsible)] = plan.people_names(planned)
        completion = row.completion
        records.append(
            {
                "id": row.stage_id,
                "number": planned.stage.number,
                "title": planned.stage.title,
                "section": section,
                "status": row.status.value,
                "status_text": status_text(row, plan),
                "late_while_blocked": row.late_while_blocked,
                "occurrence": row.occurrence or None,
                "start": _iso(row.start),
                "due": _iso(row.due),
                "due_time": _hour(due_time(row, plan)),
                "days_left": row.days_left,
                "days_late": row.days_late,
                "blocked_by": list(row.blocked_by),
                "responsible": list(names),
                "done_at": completion.at.isoformat() if completion else None,
                "done_by": completion.by if completion else None,
                "occurrences_done": row.occurrences_done,
                "occurrences_total": row.occurrences_total,
                "open_occurrences": [o.occurrence for o in result.open_occurrences.get(row.stage_id, ())],
            }
        )
    return records
