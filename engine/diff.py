"""What changed between two versions of a roadmap, told in Russian for a deputy director.

`cyclogram load FILE` registers a new version of a roadmap; when the file changed, people need
to know what that means for them — which stages appeared or disappeared, whose deadline moved,
who is now responsible — and not a line-by-line text diff of YAML. This module compares the two
*plans* (computed dates, not the written expressions), so that moving one event reports every
stage whose date follows from it, while rewriting a date in another notation reports nothing.

Stages are matched by id: ids are the stable keys of a roadmap, numbers are only for display.
Completions recorded for stages that no longer exist are reported as warnings, never dropped
silently: the store keeps them, and someone has to decide what they mean now.

Pure: no I/O, no database. Both plans should be computed with the same completions, otherwise a
recorded completion that re-anchors relative deadlines would show up as a "moved" stage.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cyclogram.engine import russian
from cyclogram.engine.model import Event, Person, Roadmap, Stage, normalize_number
from cyclogram.engine.plan import Occurrence, Plan, PlannedStage, bound_moment

ChangeKind = Literal["added", "removed", "moved", "reassigned", "retitled", "dependencies", "timing"]
KINDS: tuple[ChangeKind, ...] = ("removed", "added", "moved", "reassigned", "retitled", "dependencies", "timing")
"""Every kind, in the order `RoadmapDiff.lines` reports them (what matters most comes first)."""

UNKNOWN_DATE = "дата неизвестна"
TRIGGERED = "по внешнему поводу"
MAX_SHOWN_OCCURRENCES = 3
"""A weekly stage has ~40 occurrences; listing them all would drown the one line that matters."""
TITLE_LIMIT = 70

_DATE = r"\d{2}\.\d{2}\.\d{4}(?: \d{2}:\d{2})?"
_PLAIN_DATE = re.compile(rf"^{_DATE}$")
_WINDOW = re.compile(rf"^(?P<start>{_DATE}) – (?P<due>{_DATE})$")
_LABEL = re.compile(r"^(?:№ (?P<number>.+?) )?«(?P<title>.*)»$", re.DOTALL)


# --- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageChange:
    """One change of one stage; `before`/`after` are already human text (dates, names)."""

    kind: ChangeKind
    stage_id: str
    number: str  # display number: the new version's, or the old one's for a removed stage
    title: str  # full title, as above
    before: str | None
    after: str | None

    def describe(self) -> str:
        """One Russian line: "этап 21 «Заполнить отчетные формы»: срок перенесён с … на …"."""
        head = f"этап {self.number} «{_short(self.title)}»"
        if self.kind == "added":
            return f"добавлен {head} (срок: {self.after})"
        if self.kind == "removed":
            return f"удалён {head} (срок был: {self.before})"
        if self.kind == "moved":
            return f"{head}: {_moved_words(self.before or UNKNOWN_DATE, self.after or UNKNOWN_DATE)}"
        if self.kind == "reassigned":
            return f"{head}: ответственные изменены — было: {self.before}; стало: {self.after}"
        if self.kind == "retitled":
            return _retitled_words(self.number, self.before or "", self.after or "")
        if self.kind == "dependencies":
            return f"{head}: зависимости изменены — было: {self.before}; стало: {self.after}"
        return f"{head}: запись срока изменена («{self.before}» → «{self.after}»), даты прежние"


@dataclass(frozen=True)
class RoadmapDiff:
    changes: tuple[StageChange, ...]
    orphaned_completions: tuple[str, ...]  # stage ids with completions but absent from the new plan
    header_changes: tuple[str, ...]  # Russian lines about the roadmap itself, people, roles, events
    orphan_labels: tuple[str, ...] = ()  # "21 «Заполнить…»" per orphaned id, for the warning lines

    @property
    def empty(self) -> bool:
        """Nothing to tell: no stage or header change and no completion left without its stage."""
        return not (self.changes or self.header_changes or self.orphaned_completions)

    def of_kind(self, kind: ChangeKind) -> list[StageChange]:
        return [change for change in self.changes if change.kind == kind]

    def lines(self) -> list[str]:
        """Header changes first (an event moved explains the stages that follow), then stages by
        kind — removed, added, moved, reassigned, the rest — then orphaned completions as warnings."""
        result = list(self.header_changes)
        for kind in KINDS:
            result.extend(change.describe() for change in self.of_kind(kind))
        labels = self.orphan_labels or self.orphaned_completions
        result.extend(f"внимание: выполнение этапа {label} сохранено, но этапа нет в новой версии" for label in labels)
        return result

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable summary for the audit log (plain strings, no dates or objects)."""
        return {
            "counts": {kind: len(self.of_kind(kind)) for kind in KINDS},
            "changes": [
                {"kind": c.kind, "stage_id": c.stage_id, "number": c.number, "before": c.before, "after": c.after}
                for c in self.changes
            ],
            "header_changes": list(self.header_changes),
            "orphaned_completions": list(self.orphaned_completions),
        }


# --- entry point --------------------------------------------------------------------------------


def diff_roadmaps(old: Plan, new: Plan, completed_stage_ids: Iterable[str] = ()) -> RoadmapDiff:
    """Compare two plans of the same roadmap; `completed_stage_ids` are stages with completions."""
    changes: list[StageChange] = []
    for planned in old.stages.values():
        if planned.id not in new.stages:
            changes.append(_change("removed", planned, before=_schedule_text(planned), after=None))
    for planned in new.stages.values():
        previous = old.stages.get(planned.id)
        if previous is None:
            changes.append(_change("added", planned, before=None, after=_schedule_text(planned)))
        else:
            changes.extend(_stage_changes(previous, planned, old, new))
    changes.sort(key=lambda change: KINDS.index(change.kind))  # stable: document order within a kind
    orphaned = tuple(dict.fromkeys(key for key in completed_stage_ids if key not in new.stages))
    labels = tuple(_orphan_label(key, old) for key in orphaned)
    return RoadmapDiff(tuple(changes), orphaned, tuple(header_changes(old.roadmap, new.roadmap)), labels)


# --- stages -------------------------------------------------------------------------------------


def _change(kind: ChangeKind, planned: PlannedStage, before: str | None, after: str | None) -> StageChange:
    return StageChange(kind, planned.id, planned.stage.display_number, planned.stage.title, before, after)


def _stage_changes(old: PlannedStage, new: PlannedStage, old_plan: Plan, new_plan: Plan) -> list[StageChange]:
    """Every kind of change of one stage present in both versions."""
    found: list[StageChange] = []
    moved = _moved(old, new)
    if moved is not None:
        found.append(_change("moved", new, *moved))
    elif _timing(old.stage) != _timing(new.stage):
        # Same dates, different notation ('2024-10-18' → 'testing.end + 3d'): the dates are fine
        # today, but will now follow the event; worth a line, not an alarm.
        found.append(_change("timing", new, _timing_text(old.stage), _timing_text(new.stage)))
    if list(old.stage.responsible) != list(new.stage.responsible):
        before_names = _names(old.stage.responsible, old_plan.roadmap)
        found.append(_change("reassigned", new, before_names, _names(new.stage.responsible, new_plan.roadmap)))
    before_label, after_label = _label(old.stage), _label(new.stage)
    if before_label != after_label:
        found.append(_change("retitled", new, before_label, after_label))
    if old.depends_on != new.depends_on:
        before_deps = _dependencies_text(old.depends_on, old_plan)
        found.append(_change("dependencies", new, before_deps, _dependencies_text(new.depends_on, new_plan)))
    return found


def _label(stage: Stage) -> str:
    """Number and title together ("№ 4 «Провести педсовет»"), as one thing people recognise.

    The number is normalized, so that "4." → "4" is not reported as a change.
    """
    return f"№ {normalize_number(stage.number)} «{stage.title}»" if stage.number else f"«{stage.title}»"


def _short(title: str, limit: int = TITLE_LIMIT) -> str:
    """Titles copied from documents run to several hundred characters; a headline needs a few words."""
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.—-")
    return f"{cut}…"


def _names(keys: Sequence[str], roadmap: Roadmap) -> str:
    """People by their names ("Волкова Л.А."), roles by their titles, in order (owner first)."""
    return ", ".join(_name_of(key, roadmap) for key in keys) or "никто"


def _name_of(key: str, roadmap: Roadmap) -> str:
    if key in roadmap.people:
        return roadmap.people[key].name
    if key in roadmap.roles:
        return roadmap.roles[key].title
    return key


def _dependencies_text(ids: Sequence[str], plan: Plan) -> str:
    """Dependencies by display number, as the document numbers them ("этапы 17, 20")."""
    if not ids:
        return "нет"
    numbers = [plan.stages[key].stage.display_number if key in plan.stages else key for key in ids]
    return ("этап " if len(numbers) == 1 else "этапы ") + ", ".join(numbers)


def _orphan_label(key: str, old: Plan) -> str:
    planned = old.stages.get(key)
    if planned is None:
        return f"«{key}»"  # completed in some earlier version still: the id is all we know
    return f"{planned.stage.display_number} «{_short(planned.stage.title)}»"


# --- dates --------------------------------------------------------------------------------------

_Point = tuple[dt.date | None, dt.date | None, dt.time | None, bool]


def _points(planned: PlannedStage) -> tuple[str | None, tuple[_Point, ...]]:
    """What "the stage's dates" are, for comparison: per occurrence start, due, time, known-ness.

    A stage-wide unknown (a trigger, a stage in a cycle) counts as one state: its text may
    change without any date moving.
    """
    state = "unknown" if planned.unknown else None
    return state, tuple((o.start, o.due, o.due_time, o.unknown is not None) for o in planned.occurrences)


def _moved(old: PlannedStage, new: PlannedStage) -> tuple[str, str] | None:
    """(before, after) texts when the computed dates differ, showing only occurrences that moved."""
    if _points(old) == _points(new):
        return None
    if old.unknown or new.unknown or len(old.occurrences) != len(new.occurrences) or len(new.occurrences) < 2:
        return _schedule_text(old), _schedule_text(new)
    changed = [
        index
        for index, (before, after) in enumerate(
            zip(old.occurrences, new.occurrences, strict=False)
        )  # added/removed ones are counted apart
        if _points_of(before) != _points_of(after)
    ]
    return (
        _occurrences_text([old.occurrences[i] for i in changed], labelled=True),
        _occurrences_text([new.occurrences[i] for i in changed], labelled=True),
    )


def _points_of(occurrence: Occurrence) -> _Point:
    return occurrence.start, occurrence.due, occurrence.due_time, occurrence.unknown is not None


def _schedule_text(planned: PlannedStage) -> str:
    """All the stage's dates in one short phrase: "18.10.2024", "01.10.2024 – 15.10.2024", …"""
    if planned.kind == "triggered":
        return TRIGGERED
    if planned.unknown or not planned.occurrences:
        return UNKNOWN_DATE
    return _occurrences_text(planned.occurrences, labelled=len(planned.occurrences) > 1)


def _occurrences_text(occurrences: Sequence[Occurrence], labelled: bool) -> str:
    shown = [_occurrence_text(o, labelled) for o in occurrences[:MAX_SHOWN_OCCURRENCES]]
    rest = len(occurrences) - len(shown)
    if rest > 0:
        shown.append(f"и ещё {rest} {russian.plural(rest, 'срок', 'срока', 'сроков')}")
    return ", ".join(shown)


def _occurrence_text(occurrence: Occurrence, labelled: bool) -> str:
    if occurrence.unknown or (occurrence.start is None and occurrence.due is None):
        text = UNKNOWN_DATE
    elif occurrence.due is None:
        assert occurrence.start is not None
        text = f"постоянно с {russian.format_date(occurrence.start)}"
    else:
        due = russian.format_date(occurrence.due) + (f" {occurrence.due_time:%H:%M}" if occurrence.due_time else "")
        starts_earlier = occurrence.start is not None and occurrence.start != occurrence.due
        text = f"{russian.format_date(occurrence.start)} – {due}" if starts_earlier and occurrence.start else due
    return f"{occurrence.label}: {text}" if labelled and occurrence.label else text


def _moved_words(before: str, after: str) -> str:
    """Plain Russian for a moved deadline; the common single-date case reads as a sentence."""
    if _PLAIN_DATE.match(before) and _PLAIN_DATE.match(after):
        return f"срок перенесён с {before} на {after}"
    old, new = _WINDOW.match(before), _WINDOW.match(after)
    if old and new and old["start"] == new["start"]:
        return f"срок перенесён с {old['due']} на {new['due']} (начало — {new['start']})"
    if old and new and old["due"] == new["due"]:
        return f"начало перенесено с {old['start']} на {new['start']} (срок — {new['due']})"
    if after == UNKNOWN_DATE:
        return f"срок стал неизвестен (был: {before})"
    if before == UNKNOWN_DATE:
        return f"срок определён: {after} (раньше дата была неизвестна)"
    return f"сроки изменены — было: {before}; стало: {after}"


def _timing(stage: Stage) -> tuple[object, ...]:
    """The written timing of a stage; `when` (the document's words) is display text and left out."""
    return (stage.start, stage.due, stage.months, stage.windows, stage.recurring, stage.trigger, stage.within, stage.optional)


def _timing_text(stage: Stage) -> str:
    if stage.trigger is not None:
        return f"{TRIGGERED}: {stage.trigger}" + (f", в течение {stage.within}" if stage.within else "")
    if stage.months is not None:
        return ", ".join(str(month) for month in stage.months)
    if stage.recurring is not None:
        rule = stage.recurring
        return "периодически: " + ", ".join(f"{name}={value}" for name, value in rule.model_dump(exclude_none=True).items())
    due = str(stage.due)
    return f"{stage.start} … {due}" if stage.start is not None else due


def _retitled_words(number: str, before: str, after: str) -> str:
    """Say which of number and title changed; both are in before/after as "№ 4 «…»"."""
    old, new = _LABEL.match(before), _LABEL.match(after)
    if old is None or new is None:
        return f"этап {number}: номер или название изменены — было: {before}; стало: {after}"
    if old["title"] == new["title"]:
        was = old["number"] or "без номера"
        return f"этап {number} «{_short(new['title'])}»: номер изменён (был {was})"
    if old["number"] == new["number"]:
        return f"этап {number}: название изменено — было: «{old['title']}»; стало: «{new['title']}»"
    return f"этап {number}: номер и название изменены — было: {before}; стало: {after}"


# --- the roadmap itself ---------------------------------------------------------------------------


def header_changes(old: Roadmap, new: Roadmap) -> list[str]:
    """Changes outside the stages, in Russian; contact values are never printed (they may be private)."""
    lines: list[str] = []
    simple = (
        ("ключ дорожной карты", old.id, new.id),
        ("название дорожной карты", old.title, new.title),
        ("организация", old.organization, new.organization),
        ("учебный год", str(old.academic_year), str(new.academic_year)),
        ("часовой пояс", old.timezone, new.timezone),
        ("приказ об утверждении", old.approval.order if old.approval else None, new.approval.order if new.approval else None),
    )
    for what, before, after in simple:
        if before != after:
            lines.append(f"{what}: было «{before or 'не указано'}», стало «{after or 'не указано'}»")
    if old.period != new.period:
        lines.append("период плана изменён")
    if old.calendar != new.calendar:
        lines.append("производственный календарь изменён (нерабочие или рабочие дни): сроки могли сдвинуться")
    if old.defaults != new.defaults:
        lines.append("настройки напоминаний по умолчанию изменены")
    lines.extend(_people_changes(old, new))
    lines.extend(_role_changes(old, new))
    lines.extend(_event_changes(old, new))
    return lines


def _people_changes(old: Roadmap, new: Roadmap) -> list[str]:
    """Names and positions in nominative only: declining surnames automatically goes wrong too often."""
    lines = [f"удалён сотрудник {p.name}" for key, p in old.people.items() if key not in new.people]
    lines += [f"добавлен сотрудник {_person_text(p)}" for key, p in new.people.items() if key not in old.people]
    for key, person in new.people.items():
        before = old.people.get(key)
        if before is None:
            continue
        if before.name != person.name:
            lines.append(f"сотрудник {before.name}: ФИО изменено на «{person.name}»")
        if before.position != person.position:
            lines.append(
                f"{person.name}: должность изменена — было «{before.position or 'не указана'}», "
                f"стало «{person.position or 'не указана'}»"
            )
        if before.supervisor != person.supervisor:
            lines.append(
                f"{person.name}: руководитель для эскалации — было {_optional_name(before.supervisor, old)}, "
                f"стало {_optional_name(person.supervisor, new)}"
            )
        if before.contacts != person.contacts:
            lines.append(f"{person.name}: контакты изменены")
    return lines


def _person_text(person: Person) -> str:
    return f"{person.name} ({person.position})" if person.position else person.name


def _optional_name(key: str | None, roadmap: Roadmap) -> str:
    return _name_of(key, roadmap) if key else "не указан"


def _role_changes(old: Roadmap, new: Roadmap) -> list[str]:
    """Membership is reported once per role, not once per stage the role is responsible for."""
    lines = [f"удалена роль «{r.title}»" for key, r in old.roles.items() if key not in new.roles]
    lines += [f"добавлена роль «{r.title}»: {_names(r.members, new)}" for key, r in new.roles.items() if key not in old.roles]
    for key, role in new.roles.items():
        before = old.roles.get(key)
        if before is None:
            continue
        if before.title != role.title:
            lines.append(f"роль «{before.title}» переименована в «{role.title}»")
        if list(before.members) != list(role.members):
            lines.append(
                f"роль «{role.title}»: состав изменён — было: {_names(before.members, old)}; стало: {_names(role.members, new)}"
            )
    return lines


def _event_changes(old: Roadmap, new: Roadmap) -> list[str]:
    lines = [f"удалено событие «{e.title}» ({_event_text(e, old)})" for key, e in old.events.items() if key not in new.events]
    lines += [f"добавлено событие «{e.title}» ({_event_text(e, new)})" for key, e in new.events.items() if key not in old.events]
    for key, event in new.events.items():
        before = old.events.get(key)
        if before is None:
            continue
        if before.title != event.title:
            lines.append(f"событие «{before.title}» переименовано в «{event.title}»")
        if _event_span(before, old) != _event_span(event, new):
            lines.append(
                f"событие «{event.title}» перенесено — было: {_event_text(before, old)}; стало: {_event_text(event, new)}"
            )
    return lines


_Moment = tuple[dt.date, dt.time | None]


def _event_span(event: Event, roadmap: Roadmap) -> tuple[_Moment | None, _Moment | None]:
    """Resolved (start, end); a missing end is the start, as the planner reads it; an open bound
    or a date not known yet is None."""
    start = bound_moment(event.start, roadmap)
    end = bound_moment(event.end, roadmap) if event.end is not None else start
    return start, end


def _event_text(event: Event, roadmap: Roadmap) -> str:
    start, end = _event_span(event, roadmap)
    if start is None:
        return UNKNOWN_DATE
    first = _moment_text(start)
    return first if end is None or end == start else f"{first} – {_moment_text(end)}"


def _moment_text(moment: _Moment) -> str:
    day, time = moment
    return russian.format_date(day) + (f" {time:%H:%M}" if time else "")
