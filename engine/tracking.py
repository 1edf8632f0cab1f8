"""What has actually happened to stages: completions, skips, and the facts status is computed from.

These are plain values (no database): the store turns its rows into `Completion`s, and the pure
functions in `engine.status` and `engine.plan` take them as input.
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
