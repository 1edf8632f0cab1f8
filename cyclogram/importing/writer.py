"""A draft → roadmap YAML a person can read, review and keep editing.

Written by hand rather than by a YAML dumper, so that the file looks like the hand-written
roadmaps in roadmaps/: the header, people, roles, events, then sections and stages in the
document's order, long texts folded at 100 columns (``>-``; the paragraphs of a text of several
lines are separated by a blank line, which a folded block reads as a line break), keys in flow lists (``responsible: [toropkina, klassnyy_rukovoditel]``). Every review
note is a comment right above its key — ``# ПРОВЕРИТЬ: … (в документе: «…»)`` — and the line of
that key is recorded in the note (`Review.line`) for the command's summary.

Scalars are written plain when YAML reads them back as the same string (or as the date they
spell), else as a double-quoted JSON string, which YAML reads exactly; block scalars are checked the
same way and fall back to quotes. Stage numbers are always quoted («"1."» would otherwise be a
number).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from collections.abc import Iterable

import yaml

from cyclogram.importing.draft import Draft, DraftSection, Entry, Field, Review

WIDTH = 100
_SAFE_START = re.compile(r"^[А-Яа-яЁё«№]")
_RISKY = re.compile(r": |\s#|^[-?:,\[\]{}#&*!|>'\"%@`]|[\t\n]|\s$|^\s|:$")


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str) -> int:
        self.lines.append(text.rstrip())
        return len(self.lines)

    def comment(self, indent: str, text: str) -> None:
        for line in text.split("\n"):
            self.add(f"{indent}# {line}" if line else f"{indent}#")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def scalar(value: object, quote: bool = False) -> str:
    """One value on one line, plain when that reads back unchanged (module docstring)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if quote or not text:
        return json.dumps(text, ensure_ascii=False)
    if _RISKY.search(text) is None and _SAFE_START.match(text):  # Russian text: plain, no YAML reading needed
        return text
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return json.dumps(text, ensure_ascii=False)
    if loaded == text or (isinstance(loaded, dt.date) and loaded.isoformat() == text):
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(values: Iterable[object]) -> str:
    return "[" + ", ".join(_flow_item(v) for v in values) + "]"


def _flow_item(value: object) -> str:
    text = scalar(value)
    return text if not re.search(r"[,\[\]{}]", text) else json.dumps(str(value), ensure_ascii=False)


def flow_map(mapping: dict[str, object]) -> str:
    return "{" + ", ".join(f"{key}: {_flow_item(value)}" for key, value in mapping.items()) + "}"


def block(indent: str, key: str, text: str) -> list[str] | None:
    """A long or multi-line text as a folded or literal block; None when it would not read back."""
    body_indent = indent.replace("-", " ") + "  "
    body: list[str] = []
    for paragraph in text.split("\n"):
        if body:
            body.append("")  # a blank line in a folded block is a line break of the text
        wrapped = textwrap.wrap(paragraph, WIDTH - len(body_indent), break_long_words=False, break_on_hyphens=False)
        body += [f"{body_indent}{line}" for line in wrapped]
    lines = [f"{indent}{key}: >-", *body]
    try:
        loaded = yaml.safe_load("\n".join(line[len(indent) :] for line in lines))
    except yaml.YAMLError:
        return None
    return lines if isinstance(loaded, dict) and loaded.get(key) == text else None


def write(draft: Draft) -> str:
    """The roadmap's YAML text; every review note gets its line (module docstring)."""
    out = _Lines()
    for line in draft.intro:
        out.comment("", line)
    out.add("")
    for item in draft.header:
        _field(out, "", item)
    for name, entries in (("people", draft.people), ("roles", draft.roles), ("events", draft.events)):
        if entries:
            out.add("")
            out.add(f"{name}:")
            for entry in entries:
                _mapping(out, "  ", entry)
    if draft.stages:
        out.add("")
        out.add("stages:")
        for entry in draft.stages:
            _stage(out, "  ", entry)
    if draft.sections:
        out.add("")
        out.add("sections:")
        for section in draft.sections:
            _section(out, "  ", section)
    return out.text()


def _mapping(out: _Lines, indent: str, entry: Entry) -> None:
    out.add(f"{indent}{entry.key}:")
    for item in entry.fields:
        _field(out, indent + "  ", item)


def _stage(out: _Lines, indent: str, entry: Entry) -> None:
    first, *rest = entry.fields
    _reviews(out, indent, first)
    line = out.add(f"{indent}- {first.key}: {scalar(first.value)}")
    _mark(first.reviews, line)
    for item in rest:
        _field(out, indent + "  ", item)
    out.add("")


def _section(out: _Lines, indent: str, section: DraftSection) -> None:
    if section.number:
        out.add(f"{indent}- number: {scalar(section.number, quote=True)}")
        _field(out, indent + "  ", Field("title", section.title))
    else:
        _field(out, indent + "- ", Field("title", section.title))
    inner = indent + "  "
    if section.stages:
        out.add(f"{inner}stages:")
        for entry in section.stages:
            _stage(out, inner + "  ", entry)
    if section.sections:
        out.add(f"{inner}sections:")
        for child in section.sections:
            _section(out, inner + "  ", child)


def _reviews(out: _Lines, indent: str, item: Field) -> None:
    indent = indent.replace("-", " ")
    if item.comment:
        out.comment(indent, item.comment)
    for review in item.reviews:
        source = f" (в документе: «{_short(review.source)}»)" if review.source else ""
        out.comment(indent, f"ПРОВЕРИТЬ: {review.message}{source}")


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _mark(reviews: list[Review], line: int) -> None:
    for review in reviews:
        review.line = line


def _field(out: _Lines, indent: str, item: Field) -> None:
    _reviews(out, indent, item)
    value = item.value
    key = item.key
    if isinstance(value, list):
        line = out.add(f"{indent}{key}: {flow(value)}")
    elif isinstance(value, dict):
        if all(isinstance(v, (str, int, bool)) and len(str(v)) < 60 for v in value.values()):
            line = out.add(f"{indent}{key}: {flow_map(value)}")
        else:
            line = out.add(f"{indent}{key}:")
            plain = indent.replace("-", " ")
            for name, inner in value.items():
                _field(out, plain + "  ", Field(name, inner if isinstance(inner, (str, bool)) else str(inner)))
    elif isinstance(value, str) and key == "number":
        line = out.add(f"{indent}{key}: {scalar(value, quote=True)}")
    elif isinstance(value, str) and (len(value) + len(indent) + len(key) > WIDTH or "\n" in value):
        lines = block(indent, key, value)
        if lines is None:
            line = out.add(f"{indent}{key}: {scalar(value, quote=True)}")
        else:
            line = out.add(lines[0])
            for extra in lines[1:]:
                out.add(extra)
    else:
        line = out.add(f"{indent}{key}: {scalar(value)}")
    _mark(item.reviews, line)
