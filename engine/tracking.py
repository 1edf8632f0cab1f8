"""What has actually happened to stages: completions, skips, and the facts status is computed from.

These are plain values (no database): the store turns its rows into `Completion`s, `Trigger`s and
`Activation`s, and the pure functions in `engine.status` and `engine.plan` take them as input.

* A `Trigger` is one outside event a triggered stage answers ("в течение 2 рабочих дней со дня
  получения запроса"): each makes one occurrence of the stage, labelled by the stage's
  `trigger_label` and the moment (`trigger_label()`: «запрос 14.10.2024 10:00»), due `within` after
  it (no due at all without `within`: "по мере необходимости"). Completions of such a stage name
  that label, one per occurrence.
* An `Activation` puts an optional stage (`optional: true`, a reserve day) to use: from then on it
  is judged and reminded like any other stage; before, it is listed and never overdue. `via` names
  the dependency whose completion activated it, when one did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import NamedTuple


class CompletionState(str, Enum):
    DONE = "done"
    SKIPPED = "skipped"


class Completion(NamedTuple):
    """The current outcome of one stage occurrence (a reopened stage simply has none); a named
    tuple, immutable and quick to build by the thousand."""

    stage_id: str
    state: CompletionState
    at: dt.datetime  # when it was done (aware, in the roadmap's timezone) or skipped
    by: str  # person key
    occurrence: str = ""  # occurrence label for stages that happen several times; "" otherwise
    note: str | None = None
    evidence: str | None = None  # "sha256:<hex>" of a stored file, or a URL
    forced: bool = False  # completed although blocked (with a reason, recorded in the audit log)
    reason: str | None = None

    @property
    def day(self) -> dt.date:
        return self.at.date()


CompletionKey = tuple[str, str]  # (stage_id, occurrence)


def index_completions(completions: Iterable[Completion]) -> dict[CompletionKey, Completion]:
    return {(c.stage_id, c.occurrence): c for c in completions}


def actual_done_dates(completions: Iterable[Completion]) -> dict[str, dt.date]:
    """Per stage, the date its completion anchors relative deadlines to (latest occurrence done).

    Skipped stages anchor too: a skip counts as done for dependents, on the day it was decided.
    """
    result: dict[str, dt.date] = {}
    for completion in completions:
        current = result.get(completion.stage_id)
        if current is None or completion.day > current:
            result[completion.stage_id] = completion.day
    return result


def completions_by_stage(completions: Iterable[Completion]) -> Mapping[str, list[Completion]]:
    grouped: dict[str, list[Completion]] = {}
    for completion in completions:
        grouped.setdefault(completion.stage_id, []).append(completion)
    return grouped


DEFAULT_TRIGGER_LABEL = "повод"


class Trigger(NamedTuple):
    """One outside event of a triggered stage (see module docstring)."""

    stage_id: str
    at: dt.datetime  # aware, in the roadmap's timezone
    label: str  # the occurrence it makes: «запрос 14.10.2024 10:00»
    by: str = ""  # who recorded it (person key)
    note: str | None = None


class Activation(NamedTuple):
    """An optional stage put to use (see module docstring)."""

    stage_id: str
    at: dt.datetime
    by: str
    reason: str | None = None
    via: str | None = None  # the stage whose completion activated it


def trigger_label(word: str | None, at: dt.datetime, day_only: bool = False) -> str:
    """«запрос 14.10.2024 10:00»: the occurrence a trigger makes (minutes, the roadmap's local time;
    the date alone when no time was given: «запрос 14.10.2024»)."""
    day = f"{(word or DEFAULT_TRIGGER_LABEL).strip()} {at.day:02d}.{at.month:02d}.{at.year:04d}"
    return day if day_only else f"{day} {at:%H:%M}"


def triggers_by_stage(triggers: Iterable[Trigger]) -> dict[str, tuple[Trigger, ...]]:
    """Each stage's triggers in time order."""
    grouped: dict[str, list[Trigger]] = {}
    for trigger in triggers:
        grouped.setdefault(trigger.stage_id, []).append(trigger)
    return {key: tuple(sorted(found, key=lambda t: t.at)) for key, found in grouped.items()}
