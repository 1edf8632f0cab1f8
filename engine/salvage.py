"""Salvaging a roadmap with schema errors, so that reference errors are reported in the same pass.

A deputy director fixing a file wants every problem at once, not "fix these five, then we'll tell
you about the unknown person". When the schema rejects some parts, we neutralize exactly those
parts (a broken stage becomes a placeholder that keeps its id and position, a broken person, role
or event is set aside, an unknown key is dropped) and validate again; the reference checks then
run on what remains. Names of the parts set aside count as known, so nothing is reported twice.
The salvaged model is only ever used for those checks — never planned, never stored.

A stage with a schema error is repaired rather than replaced, so that its own references are still
checked in the same pass (an unknown person in the stage with a misspelt key, a cycle through a
stage whose date is broken): an unknown key is dropped; a broken deadline (or a stage whose timing
forms clash) becomes `due: continuous` with the other timing fields gone; a broken title becomes
"?"; broken responsible people become the placeholder person; any other broken field is dropped. A
stage that still fails after its repair becomes a placeholder that keeps only its id and number.

pydantic's error locations are read against the data (`data_path`): a location part that is a key
or an index of the data is a place in the file, whatever its name — a key written as ``int``,
``str`` or ``a[b]`` is a key like any other — and only parts the data does not have are taken for
what pydantic adds on its own (a dict key's own error ends in ``[key]``, union members add their
type names); the name of a missing field is kept.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cyclogram.engine.model import KEY_PATTERN, Roadmap

PLACEHOLDER_PERSON = "__salvaged_person__"
ROOT_PLACEHOLDERS: dict[str, Any] = {"id": "salvaged", "title": "?", "academic_year": "2000-2001", "timezone": "UTC"}
MAX_ROUNDS = 4


@dataclass
class Salvaged:
    roadmap: Roadmap
    assume_known: set[str] = field(default_factory=set)


_ADDED_BY_PYDANTIC = re.compile(r"^(?:.*\[.*\].*|function-\w+|str|int|float|bool|list|dict|set|tuple|none|DayNote)$")


def _holds(node: Any, part: Any) -> bool:
    """Whether `part` is a key (of a mapping) or an index (of a list) that `node` has."""
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def data_path(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[str | int, ...]:
    """A pydantic error location as a path in the file's data (see module docstring)."""
    path: list[str | int] = []
    node = data
    last = len(loc) - 1
    for index, part in enumerate(loc):
        if index == last and part == "[key]" and kind != "extra_forbidden":
            break  # the error is about the key itself: its place is the key's path
        if _holds(node, part):
            path.append(part)
            node = node[part]
        elif isinstance(part, str) and not (index == last and kind == "missing") and _ADDED_BY_PYDANTIC.match(part):
            continue  # a union member's name or the like: no such level in the file
        else:
            path.append(part)
            node = None
    return tuple(path)


TIMING_FIELDS = ("due", "start", "months", "windows", "recurring", "trigger", "within", "trigger_label", "check_every")


def _repair_stage(raw: Any, field_name: Any, kind: str, known: set[str], this_round: set[int]) -> dict[str, Any] | None:
    """The stage with only the broken part neutralized, in place (module docstring); None when it
    cannot be: repaired in an earlier round and still failing, or its id is what is broken."""
    if not isinstance(raw, dict) or (raw.get("__repaired__") and id(raw) not in this_round):
        return None
    stage = raw
    if field_name is None or field_name in TIMING_FIELDS:
        for key in TIMING_FIELDS:
            stage.pop(key, None)
        stage["due"] = "continuous"
    elif kind == "extra_forbidden":
        stage.pop(field_name, None)
    elif field_name == "id":
        return None
    elif field_name == "title":
        stage["title"] = "?"
    elif field_name == "responsible":
        stage["responsible"] = [PLACEHOLDER_PERSON]
        known.add(PLACEHOLDER_PERSON)
    else:
        stage.pop(field_name, None)
    stage["__repaired__"] = True
    this_round.add(id(stage))
    return stage


def _stage_placeholder(raw: Any, index: int, known: set[str]) -> dict[str, Any]:
    stage_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(stage_id, str) or not re.fullmatch(KEY_PATTERN, stage_id):
        stage_id = f"__salvaged_stage_{index}__"
    known.update({stage_id, PLACEHOLDER_PERSON})
    if isinstance(raw, dict) and raw.get("number") is not None:
        known.add(str(raw["number"]).rstrip("."))
    return {"id": stage_id, "title": "?", "due": "continuous", "responsible": [PLACEHOLDER_PERSON]}


def _neutralize(data: dict[str, Any], loc: tuple[Any, ...], kind: str, known: set[str], this_round: set[int]) -> bool:
    """Make the part of `data` that `loc` points at valid; False when there is nothing to do."""
    if not loc:
        return False
    head = loc[0]
    if len(loc) == 1:
        if kind == "extra_forbidden" or head not in ROOT_PLACEHOLDERS:
            return data.pop(head, None) is not None or head not in ROOT_PLACEHOLDERS
        data[head] = ROOT_PLACEHOLDERS[head]
        return True
    if head in ("people", "roles", "events") and isinstance(data.get(head), dict):
        key = loc[1]
        if key in data[head]:
            del data[head][key]
            known.add(str(key))
            return True
        return False
    if head in ("people", "roles", "events"):
        data[head] = {}
        return True
    # stages and sections: walk to the innermost stage or section the error belongs to
    container: Any = data
    path = list(loc)
    while len(path) >= 2 and path[0] in ("sections", "stages") and isinstance(path[1], int):
        items = container.get(path[0]) if isinstance(container, dict) else None
        if not isinstance(items, list) or path[1] >= len(items):
            return False
        if path[0] == "stages":
            repaired = _repair_stage(items[path[1]], path[2] if len(path) > 2 else None, kind, known, this_round)
            items[path[1]] = repaired if repaired is not None else _stage_placeholder(items[path[1]], path[1], known)
            return True
        if len(path) > 2 and path[2] in ("sections", "stages"):
            container, path = items[path[1]], path[2:]
            continue
        section = items[path[1]]
        if not isinstance(section, dict):
            items[path[1]] = {"title": "?"}
            return True
        field_name = path[2] if len(path) > 2 else None
        if kind == "extra_forbidden" and field_name is not None:
            section.pop(field_name, None)
        elif field_name == "title" or field_name is None:
            section["title"] = "?"
        else:
            section.pop(field_name, None)
        return True
    if head in ("calendar", "defaults", "period", "approval"):
        data.pop(head, None)
        return True
    return False


def salvage(data: Any, error: ValidationError) -> Salvaged | None:
    """A valid model made from `data` by neutralizing the parts `error` rejects, or None."""
    if not isinstance(data, dict):
        return None
    work = copy.deepcopy(data)
    known: set[str] = set()
    for _ in range(MAX_ROUNDS):
        changed = False
        this_round: set[int] = set()
        for item in error.errors():
            changed |= _neutralize(work, data_path(tuple(item["loc"]), work, item["type"]), item["type"], known, this_round)
        if not changed:
            return None
        try:
            return Salvaged(Roadmap.model_validate(_without_marks(work)), known)
        except ValidationError as again:
            error = again
    return None


def _without_marks(data: Any) -> Any:
    """`data` without the marks left on repaired stages (a copy; the marks stay in `data`)."""
    if isinstance(data, dict):
        return {key: _without_marks(value) for key, value in data.items() if key != "__repaired__"}
    if isinstance(data, list):
        return [_without_marks(item) for item in data]
    return data
