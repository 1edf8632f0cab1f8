"""Load a roadmap file: text -> YAML with positions -> pydantic model, with every error positioned.

Schema errors are collected all at once (pydantic reports every failing field) and translated
into plain Russian with the place they occur; an unknown key gets a "did you mean" suggestion.

Every pydantic error type becomes Russian: the ones a roadmap can produce have their own words
(`_translate`), any other gets a general Russian message, and a validator's own message is passed
on only when it is Russian (a ValueError raised by a library is not). Values quoted back are cut
to 80 characters and hidden when they could be a credential (`_echo`). Error locations are read
against the data (`engine.salvage.data_path`), so a key named ``int`` or ``a[b]`` is reported as
the unknown field it is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cyclogram.engine.diagnostics import Diagnostic, Report, Severity
from cyclogram.engine.model import Roadmap
from cyclogram.engine.salvage import Salvaged, data_path, salvage
from cyclogram.engine.yamlsource import MAX_FILE_BYTES, PathKey, SourceError, SourceMap, parse_document, read_text


@dataclass
class Loaded:
    """The outcome of loading one file: the model when it is valid, and everything said about it."""

    path: str
    roadmap: Roadmap | None
    source_map: SourceMap
    report: Report
    # With schema errors: a model with the broken parts neutralized, for reference checks only.
    salvaged: Salvaged | None = None


def _label(item: dict[Any, Any], index: int) -> str | int:
    """How a list item is named in a field path: its id, else its number, else its index."""
    for name in ("id", "number"):
        value = item.get(name)
        if isinstance(value, str) and value:
            return value if len(value) <= 40 else value[:39] + "…"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _echo(value)
    return index


def format_path(path: PathKey, data: Any) -> str:
    """A readable field path: stages[plan].due, sections[1.].stages[upload].depends_on[0]."""
    parts: list[str] = []
    node = data
    for element in path:
        if isinstance(element, int):
            label: str | int = element
            item = node[element] if isinstance(node, list) and 0 <= element < len(node) else None
            if isinstance(item, dict):
                label = _label(item, element)
            if parts:
                parts[-1] = f"{parts[-1]}[{label}]"
            else:
                parts.append(f"[{label}]")
            node = item
        else:
            text = str(element)
            parts.append(text if len(text) <= 80 else text[:79] + "…")
            node = node.get(element) if isinstance(node, dict) else None
    return ".".join(parts)


def _model_fields(model: type[BaseModel] | None) -> list[str]:
    return list(model.model_fields) if model else []


def _owner_model(path: PathKey) -> type[BaseModel] | None:
    from cyclogram.engine import model as m

    keyed: dict[str | int, type[BaseModel]] = {"people": m.Person, "roles": m.Role, "events": m.Event}
    nested_models: dict[tuple[type[BaseModel], str | int], type[BaseModel]] = {
        (m.Roadmap, "sections"): m.Section,
        (m.Roadmap, "stages"): m.Stage,
        (m.Section, "sections"): m.Section,
        (m.Section, "stages"): m.Stage,
        (m.Roadmap, "calendar"): m.CalendarSpec,
        (m.Roadmap, "defaults"): m.Defaults,
        (m.Roadmap, "approval"): m.Approval,
        (m.Roadmap, "period"): m.Period,
        (m.Defaults, "reminders"): m.ReminderPolicy,
        (m.Stage, "reminders"): m.ReminderPolicy,
        (m.Stage, "recurring"): m.Recurrence,
        (m.Person, "contacts"): m.Contacts,
    }
    probe = list(path)
    current: type[BaseModel] = m.Roadmap
    index = 0
    while index < len(probe):
        element = probe[index]
        if current is m.Roadmap and element in keyed and index + 1 < len(probe):
            current = keyed[element]
            index += 2
            continue
        nested = nested_models.get((current, element))
        if nested is None:
            return current if index == len(probe) else None
        current = nested
        index += 1
        if index < len(probe) and isinstance(probe[index], int):
            index += 1
    return current


_TYPE_WORDS = {
    "string_type": "нужен текст",
    "int_type": "нужно целое число",
    "int_parsing": "нужно целое число",
    "bool_type": "нужно да/нет (true или false)",
    "bool_parsing": "нужно да/нет (true или false)",
    "list_type": "нужен список (- элемент или [a, b])",
    "dict_type": "нужен словарь (ключ: значение)",
    "model_type": "нужен словарь (ключ: значение)",
    "model_attributes_type": "нужен словарь (ключ: значение)",
    "date_type": "нужна дата",
    "float_type": "нужно число",
    "float_parsing": "нужно число",
    "int_from_float": "нужно целое число",
    "int_parsing_size": "нужно целое число разумной величины",
    "time_type": "нужно время (09:00)",
    "time_parsing": "нужно время (09:00)",
    "date_parsing": "нужна дата",
    "string_unicode": "нужен текст",
    "none_required": "здесь значение не указывается",
}
_COMPARISONS = {
    "greater_than_equal": ("ge", "не меньше"),
    "less_than_equal": ("le", "не больше"),
    "greater_than": ("gt", "больше"),
    "less_than": ("lt", "меньше"),
}
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_YAML_SPECIAL = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}  # how a non-finite number is written in YAML


def _echo(value: object) -> str:
    """The value to quote back in a message; anything that could be a credential is hidden."""
    from cyclogram.engine.model import looks_secret

    try:
        text = str(value)
    except ValueError:  # an integer too long to turn into text
        return "очень большое число"
    if len(text) > 2000:  # what is shown is 80 characters; the secret check need not read megabytes
        text = text[:2000]
    if looks_secret(text):
        return "значение скрыто"
    return text if len(text) <= 80 else text[:79] + "…"


def _quoted(error: dict[str, Any], loc: PathKey) -> str:
    """ "«…»" for a scalar input, "" for anything else and in contacts (a value may be a secret)."""
    given = error.get("input")
    if isinstance(given, (str, int, float)) and not isinstance(given, bool) and "contacts" not in loc:
        return f"«{_echo(given)}»"
    return ""


def _given(error: dict[str, Any], loc: PathKey) -> str:
    quoted = _quoted(error, loc)
    return f", а указано {quoted}" if quoted else ""


def _invalid(error: dict[str, Any], loc: PathKey) -> str:
    quoted = _quoted(error, loc)
    return f"недопустимое значение {quoted}" if quoted else "недопустимое значение"


def _translate(error: dict[str, Any], data: Any) -> tuple[str, PathKey, bool]:
    """Russian message for one pydantic error; returns (message, path, point_at_key)."""
    kind = error["type"]
    loc: PathKey = tuple(error["loc"])
    if kind == "extra_forbidden" and loc:
        name = str(loc[-1])
        candidates = _model_fields(_owner_model(loc[:-1]))
        near = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6) if len(name) <= 100 else []
        hint = (
            f"; возможно, имелось в виду «{near[0]}»"
            if near
            else (f"; допустимые поля: {', '.join(candidates)}" if candidates else "")
        )
        return f"неизвестное поле «{_echo(name)}»{hint}", loc, True
    if kind == "missing" and loc:
        return f"не указано обязательное поле «{_echo(loc[-1])}»", loc, False
    if kind in ("value_error", "assertion_error"):
        cause = error.get("ctx", {}).get("error")
        text = str(cause) if cause else ""
        if _CYRILLIC.search(text):  # our validators speak Russian; a library's ValueError does not
            return text, loc, False
        return _invalid(error, loc), loc, False
    if kind == "string_pattern_mismatch":
        return (
            (
                f"«{_echo(error.get('input'))}» не подходит как ключ: только латинские буквы, цифры, _ и -, "
                "начиная с буквы (например, toropkina, class_teachers)"
            ),
            loc,
            False,
        )
    if kind == "string_too_short":
        return "пустое значение: здесь нужен текст", loc, False
    if kind == "too_short":
        return "список не может быть пустым", loc, False
    if kind == "too_long":
        return "слишком длинный список", loc, False
    if kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length")
        return "слишком длинный текст" + (f" (больше {limit} знаков)" if isinstance(limit, int) else ""), loc, False
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        choices = ", ".join(part.strip(" '") for part in expected.replace(" or ", ", ").split(","))
        return f"недопустимое значение «{_echo(error.get('input'))}»; допустимо: {choices}", loc, False
    if kind in _COMPARISONS:
        name, words = _COMPARISONS[kind]
        bound = error.get("ctx", {}).get(name)
        rule = f"число должно быть {words} {_echo(bound)}" if isinstance(bound, (int, float)) else "число вне допустимых пределов"
        return f"{rule}{_given(error, loc)}", loc, False
    if kind == "finite_number":
        given = error.get("input")
        written = _YAML_SPECIAL.get(str(given), str(given)) if isinstance(given, float) else _echo(given)
        return f"нужно обычное число, а указано «{written}» (бесконечность или «не число»)", loc, False
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}{_given(error, loc)}", loc, False
    # Any other pydantic error: its English text never reaches the user.
    return _invalid(error, loc), loc, False


def schema_diagnostics(error: ValidationError, data: Any, file: str, source_map: SourceMap) -> list[Diagnostic]:
    seen: set[tuple[PathKey, str]] = set()
    diagnostics = []
    errors: list[dict[str, Any]] = [dict(item, loc=data_path(tuple(item["loc"]), data, item["type"])) for item in error.errors()]
    # A misspelt key ("titel") already says "did you mean «title»"; "title is missing" is noise.
    unknown_keys: dict[PathKey, list[str]] = {}
    for item in errors:
        if item["type"] == "extra_forbidden" and item["loc"]:
            unknown_keys.setdefault(item["loc"][:-1], []).append(str(item["loc"][-1])[:100])
    for item in errors:
        if (
            item["type"] == "missing"
            and item["loc"]
            and difflib.get_close_matches(str(item["loc"][-1]), unknown_keys.get(item["loc"][:-1], []), n=1, cutoff=0.6)
        ):
            continue
        message, loc, at_key = _translate(item, data)
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        position = source_map.key(loc) if at_key else source_map.value(loc)
        diagnostics.append(Diagnostic(Severity.ERROR, message, file, position, format_path(loc, data)))
    return diagnostics


def load_text(text: str, file: str) -> Loaded:
    report = Report(file)
    try:
        document = parse_document(text)
    except SourceError as error:
        field = format_path(error.path, error.partial or {}) if error.path else ""
        report.diagnostics.append(Diagnostic(Severity.ERROR, error.message, file, error.position, field))
        return Loaded(file, None, SourceMap(), report)
    for duplicate in document.duplicates:
        report.diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                f"ключ «{duplicate.path[-1]}» повторяется (первый раз — строка {duplicate.first.line}); "
                "второе значение было бы молча потеряно",
                file,
                duplicate.position,
                format_path(duplicate.path, document.data),
            )
        )
    try:
        roadmap = Roadmap.model_validate(document.data)
    except ValidationError as error:
        report.diagnostics.extend(schema_diagnostics(error, document.data, file, document.source_map))
        return Loaded(file, None, document.source_map, report, salvage(document.data, error))
    return Loaded(file, roadmap if report.ok else None, document.source_map, report)


def load_file(path: Path | str, max_bytes: int = MAX_FILE_BYTES) -> Loaded:
    path = Path(path)
    try:
        text = read_text(path, max_bytes)
    except SourceError as error:
        report = Report(str(path), [Diagnostic(Severity.ERROR, error.message, str(path), error.position)])
        return Loaded(str(path), None, SourceMap(), report)
    return load_text(text, str(path))
