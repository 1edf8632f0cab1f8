"""Plan computation: a planned start and due date for every stage, and why.

Input: a validated `Roadmap`, the working-day calendar and (optionally) the actual completion
dates known so far. Output: a `Plan` with one `PlannedStage` per stage, each with its
occurrences (a stage held every March and September has two) and an explanation that follows
the anchor one step back ("23.10.2024 = выполнение этапа 20 + 3 рабочих дня ← этап 20: …"); the
anchor's own explanation goes on from there, so a chain of 10,000 relative deadlines costs
10,000 short explanations, not a quadratic pile of text.

Stages whose date hangs on something not known yet (an event without a date, an external
trigger) are reported as unknown with the reason, never given an invented date. The reason, too,
goes one step back: "этап 20: дата события «ВПР» (vpr) ещё не известна" names the stage waited
for and the first cause, not every stage in between. Problems found while planning (a stage due
before what it depends on, a date outside the academic year, a weekday that does not match its
date) are returned as `PlanIssue`s with the path of the field.

Occurrences beyond the written forms:

* **windows** — `windows: [ноябрь 2022, март – апрель 2023]` gives one occurrence per window,
  labelled by its months ("март – апрель 2023") or dates ("01.10.2024 – 15.10.2024") unless the
  window names itself (`label`).
* **triggers** — a triggered stage has no date of its own; each recorded trigger (an outside event,
  `engine.tracking.Trigger`) is one occurrence labelled by the trigger («запрос 14.10.2024 10:00»),
  due `within` after it; without `within` the occurrence has no due date at all ("по мере
  необходимости") and is never overdue. Triggers are facts, like completions: `replan` takes them
  and plans only the triggered stages and the stages whose dates follow them.
* **open bounds** — an event bound written `open` is no date and not an unknown one either: a
  window starting at it has no start, a deadline at it has no due date (and is never overdue).
* **event rules** — an event's date may be "первая среда июня, 10:00" (resolved like a stage's).

References written as document numbers (`depends_on: ["3"]`) resolve inside the referring stage's
own section first (tables that restart at 1 in each section), never to the stage itself, then to
the only stage elsewhere with that number (`StageNumbers`); an ambiguous number is left unresolved
here and reported by `engine.checks`.

Warnings of the document's own words: a month, a day and month or an n-th weekday written without a
year in a plan whose period holds that month twice (an August-to-August plan) says which year was
taken; a `when:` text naming a full date that none of the stage's planned dates is ("до
06.09.2023г." with `due: 2024-09-06`) names both, unless `correction:` says why they differ.

Computed dates stay within the years a roadmap may write (`timeexpr.MIN_YEAR`–`MAX_YEAR`): a
chain of offsets that would leave them is an error at the stage where it does, and that stage and
the ones after it get no date — so nothing downstream (status, reminders, iCal) ever counts days
near the ends of the calendar. The plan's period is at most `MAX_PERIOD_DAYS` long (a recurring
stage has one occurrence per week or month of it): a longer one, or one that ends before it
starts, is an error, and recurring stages are planned over its first `MAX_PERIOD_DAYS` only.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Severity
from cyclogram.engine.model import (
    DayNote,
    Event,
    EventDate,
    PathKey,
    Roadmap,
    Stage,
    StageRef,
    normalize_number,
    walk_stages,
)
from cyclogram.engine.timeexpr import (
    MAX_YEAR,
    MIN_YEAR,
    Absolute,
    DateExpr,
    DayMonth,
    MonthRef,
    NthWeekday,
    Offset,
    Relative,
    Window,
    year_in_range,
)
from cyclogram.engine.tracking import Trigger
from cyclogram.engine.workcalendar import CountryDays, WorkCalendar

Kind = str  # deadline | window | windows | months | recurring | continuous | immediate | triggered
MAX_PERIOD_DAYS = 3 * 366  # a yearly plan; a period may start early or end late, not span decades


@dataclass(frozen=True)
class PlanIssue:
    severity: Severity
    message: str
    path: PathKey = ()


@dataclass(frozen=True)
class Occurrence:
    start: dt.date | None
    due: dt.date | None
    due_time: dt.time | None = None
    label: str | None = None
    explain: str = ""
    unknown: str | None = None  # why the date cannot be known yet


@dataclass(frozen=True)
class PlannedStage:
    ref: StageRef
    kind: Kind
    occurrences: tuple[Occurrence, ...]
    depends_on: tuple[str, ...]  # stage ids, explicit and implied by anchors
    responsible: tuple[str, ...]  # person keys, roles expanded, owner first
    unknown: str | None = None

    @property
    def stage(self) -> Stage:
        return self.ref.stage

    @property
    def id(self) -> str:
        return self.ref.stage.id

    @cached_property
    def start(self) -> dt.date | None:
        if self.unknown or any(o.unknown for o in self.occurrences):
            return None  # like `due`: a span is only given when every occurrence is known
        starts = [o.start for o in self.occurrences if o.start]
        return min(starts) if starts else None

    @cached_property
    def due(self) -> dt.date | None:
        if self.unknown or any(o.unknown for o in self.occurrences):
            return None
        dues = [o.due for o in self.occurrences if o.due]
        return max(dues) if dues else None

    @property
    def section_title(self) -> str:
        """ "1. Нормативно-правовое обеспечение / 1.2 …": the sections the stage sits in."""
        return " / ".join(f"{s.number} {s.title}".strip() if s.number else s.title for s in self.ref.sections)

    @property
    def explain(self) -> str:
        if self.unknown:
            return self.unknown
        parts = []
        for occurrence in self.occurrences:
            text = occurrence.unknown or occurrence.explain
            parts.append(f"{occurrence.label}: {text}" if occurrence.label else text)
        return "; ".join(parts)


@dataclass
class Plan:
    roadmap: Roadmap
    calendar: WorkCalendar
    stages: dict[str, PlannedStage]  # document order
    issues: list[PlanIssue] = field(default_factory=list)
    period: tuple[dt.date, dt.date] = (dt.date.min, dt.date.max)
    # every stage after the stages it depends on (stages caught in a cycle last)
    dependency_order: tuple[str, ...] = ()
    cyclic: frozenset[str] = frozenset()  # stages on or behind a dependency cycle (not planned)
    # stage id → the stages whose dates are computed from it (see `replan`)
    date_readers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def position(self) -> dict[str, int]:
        """stage id → its place in `dependency_order`."""
        return {key: index for index, key in enumerate(self.dependency_order)}

    def people_names(self, planned: PlannedStage) -> list[str]:
        """Full names in the order the stage names them; a role without members shows its title."""
        roadmap = self.roadmap
        names: list[str] = []
        for key in planned.stage.responsible:
            if key in roadmap.roles:
                role = roadmap.roles[key]
                members = [roadmap.people[m].name for m in role.members if m in roadmap.people]
                names.extend(members or [role.title])
            elif key in roadmap.people:
                names.append(roadmap.people[key].name)
        return list(dict.fromkeys(names))

    @cached_property
    def numbers(self) -> dict[str, tuple[str, ...]]:
        """A document number → the stages that carry it, in document order (tables that restart at
        1 in each section give several)."""
        found: dict[str, list[str]] = {}
        for key, planned in self.stages.items():
            if planned.stage.number:
                found.setdefault(normalize_number(planned.stage.number), []).append(key)
        return {number: tuple(keys) for number, keys in found.items()}

    def matching(self, key: str) -> list[PlannedStage]:
        """The stage with this id, else every stage with this document number."""
        if key in self.stages:
            return [self.stages[key]]
        return [self.stages[found] for found in self.numbers.get(normalize_number(key), ())]

    def by_number_or_id(self, key: str) -> PlannedStage | None:
        """The stage with this id, else the first with this document number (see `matching`)."""
        found = self.matching(key)
        return found[0] if found else None


@dataclass(frozen=True)
class _Value:
    """One resolved point in time, with its explanation."""

    day: dt.date | None
    time: dt.time | None = None
    label: str | None = None
    explain: str = ""  # what this point is: "окончание «Тестирование» (15.10.2024)"
    unknown: str | None = None
    chain: str = ""  # how the anchor itself was computed, continued after " ← "


def stage_dependencies(stage: Stage, stage_key: Callable[[str], str | None], events: Collection[str]) -> tuple[str, ...]:
    """The stages a stage waits for: its `depends_on` (ids or document numbers, resolved by
    `stage_key`) and the stages its deadlines are anchored on (`upload.done + 3wd`)."""
    candidates = [stage_key(reference) for reference in stage.depends_on]
    candidates += [
        expr.anchor
        for expr in (stage.start, stage.due)
        if isinstance(expr, Relative) and expr.anchor not in events and stage_key(expr.anchor) == expr.anchor
    ]
    result: list[str] = []
    for key in candidates:
        if key and key != stage.id and key not in result:
            result.append(key)
    return tuple(result)


def section_of(ref: StageRef) -> PathKey:
    """Where a stage sits: the path of its section (`()` for a top-level stage)."""
    return ref.path[:-2]


class StageNumbers:
    """Stages by id and by document number, for references written either way (module docstring)."""

    def __init__(self, refs: Iterable[StageRef]) -> None:
        self.ids: set[str] = set()
        self.by_number: dict[str, list[tuple[str, PathKey]]] = {}
        for ref in refs:
            self.ids.add(ref.stage.id)
            if ref.stage.number:
                self.by_number.setdefault(normalize_number(ref.stage.number), []).append((ref.stage.id, section_of(ref)))

    def candidates(self, reference: str, ref: StageRef) -> list[str]:
        """The stages `reference` may mean from `ref`: its own section's first, never `ref` itself."""
        if reference in self.ids:
            return [reference]
        entries = [(key, where) for key, where in self.by_number.get(normalize_number(reference), ()) if key != ref.stage.id]
        own = [key for key, where in entries if where == section_of(ref)]
        return own or [key for key, _ in entries]

    def resolve(self, reference: str, ref: StageRef) -> str | None:
        """The one stage `reference` means from `ref`; None when unknown or ambiguous."""
        if reference in self.ids:
            return reference
        found = self.candidates(reference, ref)
        return found[0] if len(found) == 1 else None

    def only_self(self, reference: str, ref: StageRef) -> bool:
        """Whether the number names `ref` itself and no other stage."""
        entries = self.by_number.get(normalize_number(reference), ())
        return reference == ref.stage.id or (bool(entries) and all(key == ref.stage.id for key, _ in entries))


def calendar_for(roadmap: Roadmap, country: CountryDays | None = None) -> WorkCalendar:
    """The roadmap's working-day calendar: the country's days (`country`, else computed from the
    `holidays` package) plus the roadmap's own days off and working days."""

    def day_of(note: DayNote) -> tuple[dt.date, str]:
        fixed = note.date
        day = fixed.day if isinstance(fixed, Absolute) else day_month_date(fixed, roadmap)
        return day, note.name or "местный нерабочий день"

    days_off = dict(day_of(entry) for entry in roadmap.calendar.days_off)
    working = frozenset(day_of(entry)[0] for entry in roadmap.calendar.working_days)
    return WorkCalendar.russia(days_off, working, country)


def academic_period(roadmap: Roadmap) -> tuple[dt.date, dt.date]:
    if roadmap.period is None:
        return roadmap.academic_year.start, roadmap.academic_year.end
    start, end = roadmap.period.start, roadmap.period.end
    start_day = start.day if isinstance(start, Absolute) else day_month_date(start, roadmap)
    end_day = end.day if isinstance(end, Absolute) else day_month_date(end, roadmap)
    return start_day, end_day


def _year_for_month(month: int, roadmap: Roadmap) -> int:
    """The year of a month written without one: Sep–Dec in the first year, Jan–Aug in the second.

    A declared `period` that starts before September (an August teachers' council) wins.
    """
    year = roadmap.academic_year
    if roadmap.period is not None and isinstance(roadmap.period.start, Absolute):
        start = roadmap.period.start.day
        if start.year == year.first and month >= start.month:
            return year.first
    return year.year_of(month)


def day_month_date(value: DayMonth, roadmap: Roadmap) -> dt.date:
    year = _year_for_month(value.month, roadmap)
    day = min(value.day, _calendar.monthrange(year, value.month)[1])
    return dt.date(year, value.month, day)


def _times(n: int) -> str:
    """«дважды», «трижды», «4 раза»."""
    return {2: "дважды", 3: "трижды"}.get(n, f"{n} {russian.plural(n, 'раз', 'раза', 'раз')}")


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, _calendar.monthrange(year, month + 1)[1]))


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, _calendar.monthrange(year, month)[1])


def nth_weekday_day(value: NthWeekday, year: int, calendar: WorkCalendar | None = None) -> dt.date | None:
    """The day "первая среда июня" of `year` means (with `working`, counting working days of
    `calendar` only); None when the month has no such day."""
    candidates = [
        dt.date(year, value.month, d)
        for d in range(1, _calendar.monthrange(year, value.month)[1] + 1)
        if dt.date(year, value.month, d).weekday() == value.weekday
    ]
    if value.working and calendar is not None:
        candidates = [d for d in candidates if calendar.is_working_day(d)]
    index = value.nth - 1 if value.nth > 0 else value.nth
    return candidates[index] if -len(candidates) <= index < len(candidates) else None


def bound_moment(value: EventDate | None, roadmap: Roadmap) -> tuple[dt.date, dt.time | None] | None:
    """An event bound as (day, time); None when not known or open (for comparing versions)."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, Absolute):
        return value.day, value.time
    if isinstance(value, DayMonth):
        return day_month_date(value, roadmap), value.time
    day = nth_weekday_day(value, value.year or _year_for_month(value.month, roadmap))
    return (day, value.time) if day is not None else None


_WHEN_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d])")


def written_dates(text: str) -> list[dt.date]:
    """Full dates written in a text ("до 06.09.2023г." → 06.09.2023); impossible ones are skipped."""
    found = []
    for m in _WHEN_DATE.finditer(text):
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        try:
            found.append(dt.date(year, int(m[2]), int(m[1])))
        except ValueError:
            continue
    return found


def _window_label(start: dt.date | None, due: dt.date | None) -> str:
    """ "март – апрель 2023" for whole months, "01.10.2024 – 15.10.2024" otherwise."""
    if due is None:
        return "без срока"
    whole = start is not None and start.day == 1 and due == _last_day(due.year, due.month)
    if whole and start is not None:
        first, last = russian.MONTH_NOMINATIVE[start.month - 1], russian.MONTH_NOMINATIVE[due.month - 1]
        if (start.year, start.month) == (due.year, due.month):
            return f"{first} {due.year}"
        if start.year == due.year:
            return f"{first} – {last} {due.year}"
        return f"{first} {start.year} – {last} {due.year}"
    if start is None or start == due:
        return russian.format_date(due)
    return f"{russian.format_date(start)} – {russian.format_date(due)}"


def occurrence_dates(planned: PlannedStage, unknown: str) -> list[str]:
    """Each occurrence's dates in words, «метка: …» when the stage has several (unless the label is
    those very dates, as a window «с 01.10.24 по 15.10.24» is labelled): «01.10.2024 –
    15.10.2024», «20.09.2024 10:00», «с 01.09.2024»; `unknown` for a date not known yet (the status
    outputs and the exported appendix word it differently)."""
    parts = []
    for occurrence in planned.occurrences:
        if occurrence.unknown:
            text = unknown
        elif occurrence.start and occurrence.due and occurrence.start != occurrence.due:
            text = f"{russian.format_date(occurrence.start)} – {russian.format_date(occurrence.due)}"
        elif occurrence.due:
            text = russian.format_date(occurrence.due) + (f" {occurrence.due_time:%H:%M}" if occurrence.due_time else "")
        else:
            text = f"с {russian.format_date(occurrence.start)}" if occurrence.start else ""
        labelled = occurrence.label and len(planned.occurrences) > 1 and occurrence.label != text  # not «dates: dates»
        parts.append(f"{occurrence.label}: {text}" if labelled else text)
    return parts


def _plural(amount: int, unit: str) -> str:
    from cyclogram.engine.timeexpr import UNIT_WORDS

    return f"{abs(amount)} {russian.plural(amount, *UNIT_WORDS[unit])}"


class _RefsOf(Mapping[str, StageRef]):
    """A planned roadmap's stages by id, seen as `StageRef`s without copying them (replanning a few
    stages of ten thousand should not first index all of them again)."""

    def __init__(self, stages: Mapping[str, PlannedStage]) -> None:
        self._stages = stages

    def __getitem__(self, key: str) -> StageRef:
        return self._stages[key].ref

    def __contains__(self, key: object) -> bool:
        return key in self._stages

    def __iter__(self) -> Iterator[str]:
        return iter(self._stages)

    def __len__(self) -> int:
        return len(self._stages)


class _Planner:
    def __init__(
        self,
        roadmap: Roadmap,
        calendar: WorkCalendar,
        completions: Mapping[str, dt.date],
        base: Plan | None = None,
        triggers: Mapping[str, Sequence[Trigger]] | None = None,
    ) -> None:
        self.roadmap = roadmap
        self.calendar = calendar
        self.completions = completions
        self.triggers: Mapping[str, Sequence[Trigger]] = triggers or {}
        self.issues: list[PlanIssue] = []
        self.warned: set[PathKey] = set()  # paths already warned about a month without a year
        self.by_id: Mapping[str, StageRef]
        if base is not None:
            self.by_id = _RefsOf(base.stages)
        else:
            by_id: dict[str, StageRef] = {}
            for ref in self.refs:
                by_id.setdefault(ref.stage.id, ref)
            self.by_id = by_id
        self.groups: dict[str, list[str]] = {}
        for key, event in roadmap.events.items():
            if event.group:
                self.groups.setdefault(event.group, []).append(key)
        self.period = academic_period(roadmap)
        self.planned: dict[str, PlannedStage] = {}
        self.reached_years: set[int] = set()
        # a reason derived from another stage's (see `because_of`) → the first cause it names
        self.causes: dict[str, str] = {}

    # --- references --------------------------------------------------------------------------

    @cached_property
    def refs(self) -> list[StageRef]:
        return walk_stages(self.roadmap)

    @cached_property
    def numbers(self) -> StageNumbers:
        return StageNumbers(self.refs)

    def dependencies(self, ref: StageRef) -> tuple[str, ...]:
        numbers = self.numbers
        return stage_dependencies(ref.stage, lambda reference: numbers.resolve(reference, ref), self.roadmap.events)

    @cached_property
    def month_years(self) -> dict[int, int]:
        """In how many years the plan's period holds each month."""
        low, high = self.period
        seen: dict[int, set[int]] = {}
        cursor = dt.date(low.year, low.month, 1)
        while cursor <= high:
            seen.setdefault(cursor.month, set()).add(cursor.year)
            cursor = _add_months(cursor, 1)
        return {month: len(years) for month, years in seen.items()}

    @cached_property
    def months_twice(self) -> frozenset[int]:
        """Months the plan's period holds in two or more different years (an August-to-August plan)."""
        low, high = self.period
        if (high - low).days < 330:
            return frozenset()
        return frozenset(month for month, years in self.month_years.items() if years > 1)

    def year_for(self, month: int, shown: object, path: PathKey) -> int:
        """The year of a month written without one; a warning when the period holds it twice."""
        year = _year_for_month(month, self.roadmap)
        if month in self.months_twice and path not in self.warned:
            self.warned.add(path)
            low, high = self.period
            name = russian.MONTH_NOMINATIVE[month - 1]
            self.issues.append(
                PlanIssue(
                    Severity.WARNING,
                    f"«{shown}» без года, а период плана ({russian.format_date(low)} – {russian.format_date(high)}) "
                    f"включает {name} {_times(self.month_years[month])}: взят {name} {year} г.; "
                    "если имелся в виду другой, укажите год",
                    path,
                )
            )
        return year

    def responsible(self, stage: Stage) -> tuple[str, ...]:
        people: list[str] = []
        for key in stage.responsible:
            members = self.roadmap.roles[key].members if key in self.roadmap.roles else [key]
            for member in members:
                if member in self.roadmap.people and member not in people:
                    people.append(member)
        return tuple(people)

    # --- order ---------------------------------------------------------------------------------

    def topological_order(self, deps: dict[str, tuple[str, ...]]) -> tuple[list[str], set[str]]:
        """Kahn's algorithm; stages left over sit on or behind a cycle (reported by checks)."""
        dependents: dict[str, list[str]] = {key: [] for key in deps}
        waiting = dict.fromkeys(deps, 0)
        for key, on in deps.items():
            for dependency in on:
                if dependency in dependents:
                    dependents[dependency].append(key)
                    waiting[key] += 1
        ready = [key for key in deps if waiting[key] == 0]
        order: list[str] = []
        while ready:
            key = ready.pop()
            order.append(key)
            for dependent in dependents[key]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    ready.append(dependent)
        return order, {key for key, count in waiting.items() if count > 0}

    # --- resolving expressions ---------------------------------------------------------------

    def fixed_date(self, value: Absolute | DayMonth, path: PathKey) -> _Value:
        if isinstance(value, Absolute):
            day, explain = value.day, russian.format_date(value.day)
        else:
            year = self.year_for(value.month, value, path)
            day = dt.date(year, value.month, min(value.day, _calendar.monthrange(year, value.month)[1]))
            explain = f"{value} → {russian.format_date(day)}"
        if value.stated_weekday is not None and value.stated_weekday != day.weekday():
            self.issues.append(
                PlanIssue(
                    Severity.WARNING,
                    f"{russian.format_date(day)} — это {russian.WEEKDAY_NAMES[day.weekday()]}, а в документе "
                    f"написано «{russian.WEEKDAY_NAMES[value.stated_weekday]}»: проверьте дату",
                    path,
                )
            )
        return _Value(day, value.time, explain=explain)

    def nth_weekday(self, value: NthWeekday, path: PathKey) -> _Value:
        year = value.year or self.year_for(value.month, value, path)
        day = nth_weekday_day(value, year, self.calendar)
        if day is None:
            self.issues.append(
                PlanIssue(Severity.ERROR, f"в {russian.MONTH_PREPOSITIONAL[value.month - 1]} {year} нет дня «{value}»", path)
            )
            return _Value(None, unknown=f"нет дня «{value}»")
        return _Value(day, value.time, explain=f"{value} {year} → {russian.format_date(day)}")

    def month_bound(self, value: MonthRef, end: bool, path: PathKey = ()) -> _Value:
        year = value.year or self.year_for(value.month, value, path)
        day = _last_day(year, value.month) if end else dt.date(year, value.month, 1)
        return _Value(day, explain=f"{russian.MONTH_NOMINATIVE[value.month - 1]} {year} → {russian.format_date(day)}")

    def event_date(self, bound: Absolute | DayMonth | NthWeekday, path: PathKey) -> _Value:
        return self.nth_weekday(bound, path) if isinstance(bound, NthWeekday) else self.fixed_date(bound, path)

    def event_values(self, key: str, event: Event, edge: str, path: PathKey, label: str | None = None) -> list[_Value]:
        bound = event.end if edge == "end" and event.end is not None else event.start
        edge_word = "окончание" if edge == "end" else "начало"
        if bound is None:
            return [_Value(None, label=label, unknown=f"дата события «{event.title}» ({key}) ещё не известна")]
        if bound == "open":  # deliberately unbounded: no date, and not an unknown one
            return [_Value(None, label=label, explain=f"{edge_word} «{event.title}» не ограничено")]
        value = self.event_date(bound, ("events", key, "end" if edge == "end" and event.end else "start"))
        if value.day is None:
            return [_Value(None, label=label, unknown=value.unknown)]
        shown = russian.format_date(value.day) + (f" {value.time:%H:%M}" if value.time else "")
        return [_Value(value.day, value.time, label, f"{edge_word} «{event.title}» ({shown})")]

    def stage_values(self, key: str, edge: str) -> list[_Value]:
        planned = self.planned.get(key)
        number = self.by_id[key].stage.display_number
        # An actual completion anchors its dependents even when the stage had no planned date
        # (an externally triggered stage that has now happened).
        actual = self.completions.get(key) if edge == "done" else None
        if actual is not None:
            return [_Value(actual, None, None, f"выполнение этапа {number} ({russian.format_date(actual)}, факт)")]
        if planned is None:
            return [_Value(None, unknown=f"срок этапа {number} не вычислен")]
        if planned.unknown:
            return [_Value(None, unknown=self.because_of(number, planned.unknown))]
        values = []
        for occurrence in planned.occurrences:
            if occurrence.unknown:
                values.append(_Value(None, label=occurrence.label, unknown=self.because_of(number, occurrence.unknown)))
                continue
            day = occurrence.start if edge == "start" and occurrence.start else occurrence.due
            if day is None:
                values.append(_Value(None, label=occurrence.label, unknown=f"у этапа {number} нет срока"))
                continue
            word = {"start": "начало этапа", "due": "срок этапа", "done": "выполнение этапа"}[edge]
            note = ", по плану" if edge == "done" else ""
            text = f"{word} {number} ({russian.format_date(day)}{note})"
            # One step back only: the anchor's own explanation continues the chain, so explanations
            # stay linear in a long chain of relative deadlines (inlining them all was quadratic).
            step = occurrence.explain.split(" ← ", 1)[0]
            chain = f"этап {number}: {step}" if step and not _is_leaf(step) else ""
            values.append(_Value(day, occurrence.due_time, occurrence.label, text, chain=chain))
        return values

    def because_of(self, number: str, reason: str) -> str:
        """Why a date is unknown when it hangs on stage `number`, itself unknown for `reason`: that
        stage and the first cause, never the whole chain (see module docstring)."""
        cause = self.causes.get(reason, reason)
        text = f"этап {number}: {cause}"
        self.causes[text] = cause
        return text

    def shift(self, value: _Value, offset: Offset | None, path: PathKey) -> _Value:
        if value.day is None or offset is None:
            if value.day is not None and offset is None:
                return _Value(
                    value.day, value.time, value.label, _join(f"{russian.format_date(value.day)} = {value.explain}", value.chain)
                )
            return value
        try:
            shifted: _Value | None = self._shift(value, offset, path)
        except (OverflowError, ValueError):  # past the calendar's ends (ValueError: a month in year 10000)
            shifted = None
        if shifted is not None and (shifted.day is None or year_in_range(shifted.day.year)):
            return shifted
        self.issues.append(
            PlanIssue(
                Severity.ERROR,
                f"срок выходит за пределы допустимых дат ({MIN_YEAR}–{MAX_YEAR}): {value.explain} {offset}",
                path,
            )
        )
        return _Value(None, label=value.label, unknown=f"срок выходит за пределы допустимых дат ({MIN_YEAR}–{MAX_YEAR})")

    def _shift(self, value: _Value, offset: Offset, path: PathKey) -> _Value:
        assert value.day is not None
        day, time, amount = value.day, value.time, offset.amount
        note = ""
        if offset.unit == "d":
            day = day + dt.timedelta(days=amount)
        elif offset.unit == "w":
            day = day + dt.timedelta(weeks=amount)
        elif offset.unit == "mo":
            day = _add_months(day, amount)
        elif offset.unit == "wd":
            result = self.calendar.add_working_days(day, amount)
            skipped = self.calendar.days_off_between(day, result)
            if skipped:
                names = ", ".join(f"{russian.format_date(d)} {self.calendar.holiday_name(d) or 'выходной'}" for d in skipped[:3])
                note = f" (нерабочие дни: {names})"
            day = result
        elif offset.unit == "h":
            if time is None:
                self.issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"сдвиг в часах требует времени у опорной даты ({value.explain}): укажите время, например 2024-05-20T10:00",
                        path,
                    )
                )
                return _Value(None, label=value.label, unknown="сдвиг в часах от даты без времени")
            moment = dt.datetime.combine(day, time) + dt.timedelta(hours=amount)
            day, time = moment.date(), moment.time()
        sign = "+" if amount >= 0 else "−"
        shown = russian.format_date(day) + (f" {time:%H:%M}" if time else "")
        step = f"{shown} = {value.explain} {sign} {_plural(amount, offset.unit)}{note}"
        return _Value(day, time, value.label, _join(step, value.chain))

    def resolve(self, expr: DateExpr, path: PathKey, end: bool) -> list[_Value]:
        if isinstance(expr, (Absolute, DayMonth)):
            return [self.fixed_date(expr, path)]
        if isinstance(expr, MonthRef):
            return [self.month_bound(expr, end, path)]
        if isinstance(expr, NthWeekday):
            return [self.nth_weekday(expr, path)]
        anchor = expr.anchor
        if anchor in self.roadmap.events:
            if expr.edge not in ("start", "end"):
                return [_Value(None, unknown=f"у события нет «.{expr.edge}»")]
            values = self.event_values(anchor, self.roadmap.events[anchor], expr.edge, path)
        elif anchor in self.groups:
            if expr.edge not in ("start", "end"):
                return [_Value(None, unknown=f"у событий нет «.{expr.edge}»")]
            values = [
                v
                for key in self.groups[anchor]
                for v in self.event_values(key, self.roadmap.events[key], expr.edge, path, self.roadmap.events[key].title)
            ]
        elif anchor in self.by_id:
            edge = "due" if expr.edge == "end" else expr.edge
            values = self.stage_values(anchor, edge)
        else:
            return [_Value(None, unknown=f"неизвестная опора «{anchor}»")]
        return [self.shift(value, expr.offset, path) for value in values]

    # --- stages ---------------------------------------------------------------------------------

    def plan_stage(self, ref: StageRef, deps: tuple[str, ...]) -> PlannedStage:
        stage = ref.stage
        responsible = self.responsible(stage)
        if stage.trigger is not None:
            facts = self.triggers.get(stage.id)
            if facts:
                occurrences = tuple(self.trigger_occurrence(stage, fact, ref.path) for fact in facts)
                return PlannedStage(ref, "triggered", occurrences, deps, responsible)
            within = f"; срок — {_offset_words(stage.within)} после повода" if stage.within else ""
            reason = f"по внешнему поводу: {stage.trigger}{within}"
            return PlannedStage(ref, "triggered", (), deps, responsible, reason)
        if stage.due == "continuous":
            # "в течение учебного года": the school year itself, even when the plan's period is wider
            start, end = self.roadmap.academic_year.start, self.roadmap.academic_year.end
            explain = f"постоянно, с {russian.format_date(start)} по {russian.format_date(end)}"
            return PlannedStage(ref, "continuous", (Occurrence(start, None, None, None, explain),), deps, responsible)
        if stage.due == "immediately":
            return self.plan_immediate(ref, deps, responsible)
        if stage.months is not None:
            occurrences = tuple(
                self.month_occurrence(month, ref.path + ("months", index)) for index, month in enumerate(stage.months)
            )
            return PlannedStage(ref, "months", occurrences, deps, responsible)
        if stage.windows is not None:
            return PlannedStage(ref, "windows", self.window_occurrences(stage.windows, ref.path), deps, responsible)
        if stage.recurring is not None:
            occurrences = self.recurring_occurrences(stage, ref.path)
            return PlannedStage(ref, "recurring", occurrences, deps, responsible)
        assert stage.due is not None and not isinstance(stage.due, str)
        dues = self.resolve(stage.due, ref.path + ("due",), end=True)
        starts = self.resolve(stage.start, ref.path + ("start",), end=False) if stage.start is not None else None
        occurrences = self.pair(starts, dues, ref.path)
        kind = "window" if starts is not None else "deadline"
        return PlannedStage(ref, kind, occurrences, deps, responsible)

    def pair(self, starts: list[_Value] | None, dues: list[_Value], path: PathKey) -> tuple[Occurrence, ...]:
        if starts is None:
            return tuple(_occurrence(None, due) for due in dues)
        if len(starts) == len(dues):
            pairs = list(zip(starts, dues, strict=True))
        elif len(starts) == 1:
            pairs = [(starts[0], due) for due in dues]
        elif len(dues) == 1:
            pairs = [(start, dues[0]) for start in starts]
        else:
            self.issues.append(PlanIssue(Severity.ERROR, "начало и срок относятся к разному числу событий", path + ("start",)))
            pairs = list(zip(starts, dues, strict=False))  # reported above; plan what pairs up
        result = []
        for start, due in pairs:
            occurrence = _occurrence(start, due)
            if occurrence.start and occurrence.due and occurrence.start > occurrence.due:
                self.issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"начало окна ({russian.format_date(occurrence.start)}) позже срока ({russian.format_date(occurrence.due)})",
                        path + ("start",),
                    )
                )
            result.append(occurrence)
        return tuple(result)

    def plan_immediate(self, ref: StageRef, deps: tuple[str, ...], responsible: tuple[str, ...]) -> PlannedStage:
        if not deps:
            self.issues.append(
                PlanIssue(
                    Severity.WARNING, "«незамедлительно» — но не сказано, после чего: укажите depends_on", ref.path + ("due",)
                )
            )
            return PlannedStage(ref, "immediate", (), deps, responsible, "незамедлительно (не указано, после чего)")
        latest: _Value | None = None
        for dep in deps:
            for value in self.stage_values(dep, "done"):
                if value.unknown:
                    reason = f"незамедлительно после того, как {value.unknown}"
                    self.causes[reason] = self.causes.get(value.unknown, value.unknown)
                    return PlannedStage(ref, "immediate", (), deps, responsible, reason)
                if latest is None or (value.day and latest.day and value.day > latest.day):
                    latest = value
        assert latest is not None and latest.day is not None
        explain = _join(f"{russian.format_date(latest.day)} = незамедлительно после: {latest.explain}", latest.chain)
        return PlannedStage(ref, "immediate", (Occurrence(latest.day, latest.day, None, None, explain),), deps, responsible)

    def trigger_occurrence(self, stage: Stage, fact: Trigger, path: PathKey) -> Occurrence:
        """One outside event of a triggered stage: due `within` after it, or no due at all."""
        day = fact.at.date()
        within = stage.within
        if within is None:
            return Occurrence(day, None, None, fact.label, f"по мере необходимости: {fact.label}")
        hours = within.unit == "h"
        base = _Value(day, fact.at.time().replace(second=0, microsecond=0) if hours else None, fact.label, fact.label)
        due = self.shift(base, within, path + ("within",))
        if due.day is None:
            return Occurrence(day, None, None, fact.label, "", due.unknown or "срок не вычислен")
        return Occurrence(day, due.day, due.time if hours else None, fact.label, due.explain)

    def window_occurrences(self, windows: Sequence[Window], path: PathKey) -> tuple[Occurrence, ...]:
        """One occurrence per window (per event, for a window on an event group), labelled by it."""
        result: list[Occurrence] = []
        labels: set[str] = set()
        for index, window in enumerate(windows):
            where = path + ("windows", index)
            starts = self.resolve(window.start, where, end=False) if window.start is not None else None
            dues = self.resolve(window.due, where, end=True)
            for occurrence in self.pair(starts, dues, where):
                label = window.label or occurrence.label or _window_label(occurrence.start, occurrence.due)
                if window.label and occurrence.label:
                    label = f"{window.label}: {occurrence.label}"
                while label in labels:
                    label += " (ещё)"
                labels.add(label)
                result.append(
                    Occurrence(
                        occurrence.start, occurrence.due, occurrence.due_time, label, occurrence.explain, occurrence.unknown
                    )
                )
        return tuple(result)

    def month_occurrence(self, month: MonthRef, path: PathKey = ()) -> Occurrence:
        start = self.month_bound(month, end=False, path=path)
        end = self.month_bound(month, end=True, path=path)
        assert start.day and end.day
        label = f"{russian.MONTH_NOMINATIVE[month.month - 1]} {start.day.year}"
        return Occurrence(
            start.day, end.day, None, label, f"с {russian.format_date(start.day)} по {russian.format_date(end.day)}"
        )

    def recurring_occurrences(self, stage: Stage, path: PathKey) -> tuple[Occurrence, ...]:
        rule = stage.recurring
        assert rule is not None
        first, last = self.period
        if rule.start is not None:
            first = max(first, self.month_bound(rule.start, end=False, path=path + ("recurring", "start")).day or first)
        if rule.end is not None:
            last = min(last, self.month_bound(rule.end, end=True, path=path + ("recurring", "end")).day or last)
        windows = _recurrence_windows(rule.every, first, last, self.roadmap.academic_year.first)
        occurrences = []
        for number, (start, end) in enumerate(windows, 1):
            due = end
            if rule.every == "month" and rule.day:
                due = dt.date(end.year, end.month, min(rule.day, end.day))
            if rule.every == "week" and rule.weekday:
                weekday = russian.weekday_number(rule.weekday)
                assert weekday is not None  # checked by the schema
                due = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
                if due > end:
                    continue
            label = _PERIOD_WORDS[rule.every].format(n=number, month=russian.MONTH_NOMINATIVE[start.month - 1], year=start.year)
            explain = f"с {russian.format_date(start)} по {russian.format_date(end)}, срок {russian.format_date(due)}"
            occurrences.append(Occurrence(start, due, None, label, explain))
        return tuple(occurrences)

    # --- checks on the computed plan -----------------------------------------------------------

    def check_dates(self, planned: PlannedStage) -> None:
        low, high = self.period
        reported: set[str] = set()
        for occurrence in planned.occurrences:
            for name, day in (("start", occurrence.start), ("due", occurrence.due)):
                if day is None:
                    continue
                self.reached_years.add(day.year)
                if (low <= day <= high) or name in reported or planned.kind in ("recurring", "continuous"):
                    continue
                reported.add(name)
                field_name = (
                    name
                    if planned.kind in ("deadline", "window")
                    else {"months": "months", "windows": "windows"}.get(planned.kind, "due")
                )
                self.issues.append(
                    PlanIssue(
                        Severity.WARNING,
                        f"дата {russian.format_date(day)} вне учебного года {self.roadmap.academic_year} "
                        f"({russian.format_date(low)} – {russian.format_date(high)}); возможно, опечатка в годе",
                        planned.ref.path + (field_name,),
                    )
                )

    def check_order(self, planned: PlannedStage) -> None:
        """A stage due before a stage it depends on can never be done on time."""
        due = _sole_due(planned)
        if due is None:
            return
        for dep in planned.depends_on:
            other = self.planned.get(dep)
            other_due = _sole_due(other) if other is not None else None
            if other is not None and other_due is not None and due < other_due:
                self.issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"срок этапа {planned.stage.display_number} ({russian.format_date(due)}) раньше срока "
                        f"этапа {other.stage.display_number} ({russian.format_date(other_due)}), от которого он зависит",
                        planned.ref.path + ("due",),
                    )
                )

    def check_when(self, planned: PlannedStage) -> None:
        """A full date written in `when` that none of the stage's planned dates is (module docstring)."""
        stage = planned.stage
        if not stage.when or stage.correction or planned.unknown or planned.kind not in ("deadline", "window", "windows"):
            return
        if isinstance(stage.due, Relative) or isinstance(stage.start, Relative) or not _WHEN_DATE.search(stage.when):
            return
        planned_days = {day for o in planned.occurrences for day in (o.start, o.due) if day is not None}
        if not planned_days:
            return
        for written in written_dates(stage.when):
            if written not in planned_days:
                due = max(planned_days)
                self.issues.append(
                    PlanIssue(
                        Severity.WARNING,
                        f"в тексте срока «{stage.when if len(stage.when) <= 60 else russian.shorten(stage.when, 60)}» стоит {russian.format_date(written)}, а срок по плану — "
                        f"{russian.format_date(due)}: проверьте; если расхождение намеренное, объясните его в correction",
                        planned.ref.path + ("when",),
                    )
                )
                return

    def check_calendar_coverage(self) -> None:
        declared_years = {d.year for d in self.calendar.extra_working_days | self.calendar.extra_days_off}
        unknown = sorted(y for y in self.reached_years if not self.calendar.knows_year(y) and y not in declared_years)
        if unknown:
            self.issues.append(
                PlanIssue(
                    Severity.WARNING,
                    f"план доходит до {', '.join(map(str, unknown))} г., а официальные переносы выходных известны "
                    f"только по {self.calendar.country.known_through} г.: когда их объявят, добавьте их в "
                    "calendar.working_days и calendar.days_off",
                    ("calendar",),
                )
            )

    def check_events(self) -> None:
        for key, event in self.roadmap.events.items():
            if event.start is None or event.end is None or event.start == "open" or event.end == "open":
                continue
            start = self.event_date(event.start, ("events", key, "start"))
            end = self.event_date(event.end, ("events", key, "end"))
            if start.day and end.day and end.day < start.day:
                self.issues.append(
                    PlanIssue(
                        Severity.ERROR,
                        f"событие «{event.title}» заканчивается ({russian.format_date(end.day)}) раньше, чем начинается "
                        f"({russian.format_date(start.day)})",
                        ("events", key, "end"),
                    )
                )

    def check_period(self) -> None:
        """A period that ends before it starts, or spans more than a few years, is an error; the plan
        goes on with the period cut to `MAX_PERIOD_DAYS` (recurring stages are planned over it)."""
        if self.roadmap.period is None:
            return
        low, high = self.period
        if high < low:
            message = (
                f"период плана заканчивается ({russian.format_date(high)}) раньше, чем начинается ({russian.format_date(low)})"
            )
            self.issues.append(PlanIssue(Severity.ERROR, message, ("period", "end")))
        elif (high - low).days > MAX_PERIOD_DAYS:
            message = (
                f"период плана слишком длинный ({russian.format_date(low)} – {russian.format_date(high)}): "
                "дорожная карта составляется на учебный год, период может выходить за него на месяцы, а не на годы"
            )
            self.issues.append(PlanIssue(Severity.ERROR, message, ("period", "end")))
            self.period = (low, low + dt.timedelta(days=MAX_PERIOD_DAYS))

    def run(self) -> Plan:
        self.check_period()
        self.check_events()
        deps = {ref.stage.id: self.dependencies(ref) for ref in self.refs}
        order, cyclic = self.topological_order(deps)
        for key in order:
            planned = self.plan_stage(self.by_id[key], deps[key])
            self.planned[key] = planned
            self.check_dates(planned)
            self.check_order(planned)
            self.check_when(planned)
        for key in cyclic:
            ref = self.by_id[key]
            self.planned[key] = PlannedStage(
                ref, "deadline", (), deps[key], self.responsible(ref.stage), "срок не вычислен: этап в цикле зависимостей"
            )
        self.check_calendar_coverage()
        ordered = {ref.stage.id: self.planned[ref.stage.id] for ref in self.refs if ref.stage.id in self.planned}
        dependency_order = tuple(order) + tuple(key for key in ordered if key in cyclic)
        return Plan(
            self.roadmap,
            self.calendar,
            ordered,
            self.issues,
            self.period,
            dependency_order,
            frozenset(cyclic),
            _date_readers(ordered),
        )

    def rerun(self, base: Plan, only: Collection[str] | None = None) -> Plan:
        """`base` (planned without completions) with the stages whose dates follow a completion
        planned again; see `replan`."""
        triggers = self.triggers
        affected = (
            _affected(base, self.completions, triggers)
            if only is None
            else _affected_among(base, self.completions, only, triggers)
        )
        if not affected:
            return base
        self.planned = dict(base.stages)
        for key in sorted(affected, key=base.position.__getitem__):
            self.planned[key] = self.plan_stage(base.stages[key].ref, base.stages[key].depends_on)
        ordered = {key: self.planned[key] for key in base.stages}
        return Plan(
            self.roadmap,
            self.calendar,
            ordered,
            list(base.issues),
            self.period,
            base.dependency_order,
            base.cyclic,
            base.date_readers,
        )


def _affected(base: Plan, completions: Mapping[str, dt.date], triggers: Collection[str] = ()) -> set[str]:
    """Stages whose dates are computed, directly or through others, from a completed stage, and
    triggered stages with their triggers (and what is computed from them)."""
    affected: set[str] = set()
    pending = [reader for key in completions for reader in base.date_readers.get(key, ())]
    pending += [key for key in triggers if key in base.stages]
    while pending:
        key = pending.pop()
        if key not in affected and key not in base.cyclic:
            affected.add(key)
            pending.extend(base.date_readers.get(key, ()))
    return affected


def _affected_among(
    base: Plan, completions: Mapping[str, dt.date], only: Collection[str], triggers: Collection[str] = ()
) -> set[str]:
    """`_affected` restricted to `only` and what their dates come from — without walking every
    completion (a batch of thousands of marks asks this once per mark)."""
    moved: set[str] = set()
    # In dependency order a stage's sources come before it (stages on a cycle are never moved).
    for key in sorted(_date_sources(base, only) - base.cyclic, key=base.position.__getitem__):
        if key in triggers or any(
            source in completions or source in moved for source in _sources_of(base.stages[key], base.stages)
        ):
            moved.add(key)
    return moved


def _sole_due(planned: PlannedStage) -> dt.date | None:
    """The due date of a stage with one occurrence, known and not continuous, else None: what
    `check_order` compares (`PlannedStage.due` without its cache, which costs more than this)."""
    if len(planned.occurrences) != 1 or planned.unknown or planned.kind == "continuous":
        return None
    occurrence = planned.occurrences[0]
    return None if occurrence.unknown else occurrence.due


def _sources_of(planned: PlannedStage, stages: Mapping[str, PlannedStage]) -> tuple[str, ...]:
    """The stages a stage's dates are computed from (relative anchors, "immediately")."""
    stage = planned.ref.stage
    due, start = stage.due, stage.start
    if isinstance(due, str):
        return planned.depends_on if due == "immediately" else ()
    # Spelt out rather than a generator: this runs for every stage of every plan.
    found: tuple[str, ...] = (start.anchor,) if isinstance(start, Relative) and start.anchor in stages else ()
    if isinstance(due, Relative) and due.anchor in stages:
        found = (*found, due.anchor)
    return found


def _date_sources(plan: Plan, keys: Collection[str]) -> set[str]:
    """`keys` and every stage their dates are computed from, transitively."""
    found: set[str] = set()
    pending = [key for key in keys if key in plan.stages]
    while pending:
        key = pending.pop()
        if key not in found:
            found.add(key)
            pending.extend(_sources_of(plan.stages[key], plan.stages))
    return found


def _date_readers(stages: Mapping[str, PlannedStage]) -> dict[str, tuple[str, ...]]:
    """stage id → the stages whose dates are computed from it (relative anchors, "immediately")."""
    readers: dict[str, list[str]] = {}
    for key, planned in stages.items():
        for source in _sources_of(planned, stages):
            readers.setdefault(source, []).append(key)
    return {key: tuple(found) for key, found in readers.items()}


_PERIOD_WORDS = {
    "week": "неделя {n}",
    "month": "{month} {year}",
    "quarter": "{n}-я четверть",
    "trimester": "{n}-й триместр",
    "half_year": "{n}-е полугодие",
}


def _recurrence_windows(every: str, first: dt.date, last: dt.date, year: int) -> list[tuple[dt.date, dt.date]]:
    """Windows of a recurring stage within [first, last]."""
    if every == "week":
        monday = first - dt.timedelta(days=first.weekday())
        windows = []
        while monday <= last:
            windows.append((max(monday, first), min(monday + dt.timedelta(days=6), last)))
            monday += dt.timedelta(days=7)
        return windows
    if every == "month":
        windows = []
        cursor = dt.date(first.year, first.month, 1)
        while cursor <= last:
            windows.append((max(cursor, first), min(_last_day(cursor.year, cursor.month), last)))
            cursor = _add_months(cursor, 1)
        return windows
    # School terms: trimesters Sep–Nov, Dec–Feb, Mar–May; quarters Sep–Oct, Nov–Dec, Jan–Mar, Apr–May.
    terms = {
        "trimester": [((year, 9, 1), (year, 11, 30)), ((year, 12, 1), (year + 1, 2, 0)), ((year + 1, 3, 1), (year + 1, 5, 31))],
        "quarter": [
            ((year, 9, 1), (year, 10, 31)),
            ((year, 11, 1), (year, 12, 31)),
            ((year + 1, 1, 1), (year + 1, 3, 31)),
            ((year + 1, 4, 1), (year + 1, 5, 31)),
        ],
        "half_year": [((year, 9, 1), (year, 12, 31)), ((year + 1, 1, 1), (year + 1, 5, 31))],
    }[every]
    windows = []
    for (y1, m1, d1), (y2, m2, d2) in terms:
        start = dt.date(y1, m1, d1)
        end = _last_day(y2, m2) if d2 == 0 else dt.date(y2, m2, d2)
        if end < first or start > last:
            continue
        windows.append((max(start, first), min(end, last)))
    return windows


def _join(step: str, chain: str) -> str:
    return f"{step} ← {chain}" if chain else step


def _is_leaf(explain: str) -> bool:
    """An explanation that is just a date needs no '← …' continuation."""
    return "=" not in explain and "→" not in explain


def _offset_words(offset: Offset | None) -> str:
    return _plural(offset.amount, offset.unit) if offset else ""


def _occurrence(start: _Value | None, due: _Value) -> Occurrence:
    unknown = due.unknown or (start.unknown if start else None)
    label = due.label or (start.label if start else None)
    if unknown:
        return Occurrence(None, None, None, label, "", unknown)
    if start is not None and start.day is None:  # an open start: a deadline without a beginning
        explain = f"{due.explain} ({start.explain})" if due.day is not None else f"{start.explain}; {due.explain}"
        return Occurrence(None, due.day, due.time, label, explain)
    if start is None:
        return Occurrence(None, due.day, due.time, label, due.explain)
    if due.day is None:  # an open end: from the start on, never overdue
        return Occurrence(start.day, None, None, label, f"с {start.explain}; {due.explain}")
    explain = f"с {start.explain} по {due.explain}" if start.explain != due.explain else due.explain
    return Occurrence(start.day, due.day, due.time, label, explain)


def compute_plan(
    roadmap: Roadmap,
    calendar: WorkCalendar | None = None,
    completions: Mapping[str, dt.date] | None = None,
    country: CountryDays | None = None,
    triggers: Mapping[str, Sequence[Trigger]] | None = None,
) -> Plan:
    """Plan every stage of a validated roadmap (see module docstring); `triggers`: each triggered
    stage's recorded triggers, in time order (`engine.tracking.triggers_by_stage`)."""
    return _Planner(roadmap, calendar or calendar_for(roadmap, country), completions or {}, triggers=triggers).run()


def replan(
    base: Plan,
    completions: Mapping[str, dt.date],
    only: Collection[str] | None = None,
    triggers: Mapping[str, Sequence[Trigger]] | None = None,
) -> Plan:
    """The plan of `base.roadmap` with actual completion dates, as `compute_plan` would give it.

    `base` is the plan without completions (a compiled roadmap keeps it). Completions change only
    the dates read from them — `stage.done + 3wd`, "immediately" after a stage — and the dates
    computed from those in turn; only these stages are planned again, the rest are shared with
    `base`. Issues are `base`'s: the roadmap was checked when it was loaded.

    `only`: the dates wanted are those of these stages; stages they do not depend on keep their
    base dates even when a completion would move them (recording one completion among thousands).
    `triggers`: triggered stages get one occurrence per trigger (module docstring).
    """
    if not completions and not triggers:
        return base
    return _Planner(base.roadmap, base.calendar, completions, base, triggers).rerun(base, only)
