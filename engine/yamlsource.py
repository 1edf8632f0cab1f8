"""Reading a roadmap file into plain data while remembering where every value was written.

PyYAML's composer (libyaml's C parser where present) gives nodes with line and column marks; we
build dicts and lists from those nodes ourselves and record the position of every value and key
by its path, e.g. ``("sections", 0, "stages", 3, "due")``. Validation errors from any later stage
are then reported at the exact place in the file.

This module also refuses what should never reach the parser: files too large, binary files and
text that is not UTF-8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from cyclogram.engine.diagnostics import Position

_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader]
try:  # libyaml's C parser is ~10x faster on large roadmaps
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader


MAX_FILE_BYTES = 20 * 1024 * 1024
PathKey = tuple[str | int, ...]
MAX_DEPTH = 64
# Keys whose scalar values (or list items) keep their written text: the stage number "2.10" is
# not the float 2.1, and the deadline 30.09 is not the number 30.09 either.
VERBATIM_KEYS = frozenset(
    {
        "number",
        "academic_year",
        "id",
        "send_at",
        "start",
        "due",
        "end",
        "date",
        "months",
        "days_off",
        "working_days",
        "within",
        "version",
    }
)


class SourceError(Exception):
    """The file cannot be read as YAML at all; carries one positioned message."""

    def __init__(self, message: str, position: Position | None = None, path: PathKey = ()) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.path = path
        self.partial: Any = None  # what was read before the error, for readable field paths


@dataclass
class SourceMap:
    """Positions of values and of mapping keys, by path."""

    # (line, column) tuples: a Position object per node would cost more than parsing
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def value(self, path: PathKey) -> Position | None:
        """Position of the value at `path`, or of its closest written ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.values:
                return Position(*self.values[probe])
            probe = probe[:-1]
        root = self.values.get(())
        return Position(*root) if root else None

    def key(self, path: PathKey) -> Position | None:
        """Position of the key that introduces `path` (falls back to the value's position)."""
        found = self.keys.get(tuple(path))
        return Position(*found) if found else self.value(path)


@dataclass
class DuplicateKey:
    path: PathKey
    position: Position
    first: Position


@dataclass
class SourceDocument:
    data: Any
    source_map: SourceMap
    duplicates: list[DuplicateKey]


def _mark(item: ev.Event) -> tuple[int, int]:
    mark = item.start_mark
    assert mark is not None  # the parser marks every event it produces
    return (mark.line + 1, mark.column + 1)


def _position(item: ev.Event) -> Position:
    return Position(*_mark(item))


def _size_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} МБ"
    if size >= 1024:
        return f"{size / 1024:.0f} КБ"
    return f"{size} байт"


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a roadmap file as text, refusing oversized, binary and non-UTF-8 files early."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError("файл не найден") from None
    except OSError as error:
        raise SourceError(f"файл не удаётся прочитать: {error.strerror}") from None
    if path.is_dir():
        raise SourceError("это папка, а не файл дорожной карты")
    if size > max_bytes:
        raise SourceError(
            f"файл слишком большой ({_size_words(size)}, предел {_size_words(max_bytes)}); "
            "дорожная карта не может быть такой — проверьте, тот ли это файл"
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SourceError(f"файл не удаётся прочитать: {error.strerror}") from None
    if b"\x00" in raw[:8192]:
        raise SourceError("это двоичный файл, а не текст YAML (например, документ Word или картинка)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        prefix = raw[: error.start]
        line = prefix.count(b"\n") + 1
        column = error.start - (prefix.rfind(b"\n") + 1) + 1
        hint = ""
        try:
            raw.decode("cp1251")
            hint = " (похоже на Windows-1251)"
        except UnicodeDecodeError:
            pass
        raise SourceError(f"файл не в кодировке UTF-8{hint}: сохраните его как UTF-8", Position(line, column)) from None
    return text


_YAML_HINTS = (
    ("found character '\\t'", "табуляция вместо пробелов: в YAML отступы делаются только пробелами"),
    ("found a tab character", "табуляция вместо пробелов: в YAML отступы делаются только пробелами"),
    ("mapping values are not allowed", "лишнее двоеточие или неверный отступ; если в тексте есть «: », заключите его в кавычки"),
    ("could not find expected ':'", "не найдено двоеточие после ключа; возможно, неверный отступ или незакрытая кавычка"),
    ("did not find expected key", "неверный отступ: строка не совпадает по отступу с соседними ключами"),
    ("did not find expected '-' indicator", "неверный отступ в списке: элементы списка должны начинаться с «- » на одном уровне"),
    ("found unexpected end of stream", "файл обрывается: не закрыта кавычка или скобка"),
    ("found undefined alias", "ссылка (*имя) на неопределённый якорь (&имя)"),
    ("did not find expected ',' or ']'", "в списке […] не хватает запятой или закрывающей скобки ]"),
    ("did not find expected ',' or '}'", "в словаре {…} не хватает запятой или закрывающей скобки }"),
    ("expected ',' or ']'", "в списке […] не хватает запятой или закрывающей скобки ]"),
    ("expected ',' or '}'", "в словаре {…} не хватает запятой или закрывающей скобки }"),
    ("found unknown escape character", "неверная escape-последовательность в строке в двойных кавычках"),
    (
        "found unexpected ':'",
        "лишнее двоеточие: если значение пустое, удалите ключ; если в тексте есть «:», заключите его в кавычки",
    ),
    (
        "did not find expected whitespace or line break",
        "после тега (!…) или якоря (&…) нужен пробел; теги в дорожной карте не нужны",
    ),
    ("exceeded maximum nesting depth", "слишком глубокая вложенность"),
    ("did not find expected node content", "ожидалось значение, а его нет: проверьте отступы и знаки «-», «:»"),
    ("did not find expected <document start>", "неожиданный текст после конца документа: проверьте отступы"),
    ("did not find URI escaped octet", "неверный тег (!…): теги в дорожной карте не нужны"),
    ("found unknown", "неизвестный символ или конструкция YAML"),
    ("control characters are not allowed", "в файле есть управляющие символы: сохраните его как обычный текст UTF-8"),
)
# Unclosed quotes and brackets are best shown where they were opened (libyaml's context mark).
_CONTEXT_FIRST = ("while scanning a quoted scalar", "while parsing a flow")


def _explain_yaml_error(error: yaml.YAMLError) -> SourceError:
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None) or ""
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    mark = context_mark if context.startswith(_CONTEXT_FIRST) and context_mark is not None else problem_mark
    mark = mark or context_mark
    position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
    for needle, words in _YAML_HINTS:
        if needle in problem:
            return SourceError(f"ошибка синтаксиса YAML: {words}", position)
    return SourceError("ошибка синтаксиса YAML: запись не распознана; проверьте отступы, двоеточия и кавычки", position)


_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_KNOWN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp", "merge"))
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass
class _Frame:
    """A mapping or sequence being built from parser events."""

    path: PathKey
    value: Any  # dict or list
    verbatim: bool = False  # list items keep their written text
    key: str | None = None  # mapping: the key waiting for its value
    key_mark: tuple[int, int] | None = None
    anchor: str | None = None
    merge_sources: list[tuple[Any, tuple[int, int]]] = field(default_factory=list)  # values of "<<" keys
    first_seen: dict[str, tuple[int, int]] = field(default_factory=dict)


class _Builder:
    """Builds plain data straight from libyaml's event stream.

    Going from events (not PyYAML nodes) is ~5x faster: composing nodes calls the Python tag
    resolver and allocates marks for every scalar. Tags are still resolved by PyYAML's own
    resolver (memoized), so values mean exactly what PyYAML would make of them.
    """

    def __init__(self) -> None:
        self.source_map = SourceMap()
        self.duplicates: list[DuplicateKey] = []
        self._resolver = Resolver()
        self._constructor = SafeConstructor()
        self._tags: dict[tuple[str, bool], str] = {}
        self._anchors: dict[str, Any] = {}
        self._stack: list[_Frame] = []

    @property
    def partial(self) -> Any:
        return self._root

    def scalar(self, event: ev.ScalarEvent, verbatim: bool, path: PathKey = ()) -> Any:
        tag = event.tag
        value = event.value
        if tag in (None, "!"):
            plain = bool(event.implicit[0])
            if not plain:
                return value
            tag = self._tags.get((value, plain))
            if tag is None:
                resolve: Callable[[type[ScalarNode], str, tuple[bool, bool]], str] = self._resolver.resolve  # untyped in PyYAML
                tag = self._tags[(value, plain)] = resolve(ScalarNode, value, event.implicit)
        elif tag not in _KNOWN_TAGS:
            raise SourceError(
                f"неизвестный тег «{tag}»: теги (!…) в дорожной карте не нужны, уберите его", _position(event), path
            )
        if tag == _STR_TAG or (verbatim and tag != _NULL_TAG):
            return value
        if tag == _MERGE_TAG:
            return _MERGE
        try:
            # types-PyYAML: events may carry libyaml's Mark, nodes are typed with the pure-Python one only
            node = ScalarNode(tag, value, event.start_mark, event.end_mark)  # type: ignore[arg-type]
            return self._constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, KeyError, TypeError, OverflowError):
            if tag.endswith("timestamp"):
                raise SourceError(f"такой даты не существует: «{value}»", _position(event), path) from None
            raise SourceError(
                f"значение «{value}» не удаётся прочитать как {_TAG_WORDS.get(tag, tag)}", _position(event), path
            ) from None

    def build(self, events: Any) -> Any:
        stack: list[_Frame] = []
        self._stack = stack
        self._root: Any = None
        root: Any = None
        documents = 0
        for event in events:
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise SourceError(
                        "в файле несколько документов YAML (разделитель ---); в одном файле — одна дорожная карта",
                        _position(event),
                    )
                continue
            if isinstance(event, (ev.StreamStartEvent, ev.StreamEndEvent, ev.DocumentEndEvent)):
                continue
            if isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                frame = stack.pop()
                self._merge(frame)
                if frame.anchor:
                    self._anchors[frame.anchor] = frame.value
                continue
            parent = stack[-1] if stack else None
            # A scalar in key position is a key, not a value.
            if parent is not None and isinstance(parent.value, dict) and parent.key is None:
                self._take_key(parent, event)
                continue
            path, verbatim = self._child(parent)
            if isinstance(event, ev.AliasEvent):
                if event.anchor not in self._anchors:
                    raise SourceError(f"ссылка *{event.anchor} на неопределённый якорь &{event.anchor}", _position(event))
                self.source_map.values[path] = _mark(event)
                value = self._anchors[event.anchor]
            elif isinstance(event, ev.ScalarEvent):
                self.source_map.values[path] = _mark(event)
                value = self.scalar(event, verbatim, path)
                if event.anchor:
                    self._anchors[event.anchor] = value
            elif isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    raise SourceError("слишком глубокая вложенность: дорожной карте столько уровней не нужно", _position(event))
                if event.tag not in (None, "!", _MAP_TAG, _SEQ_TAG):
                    raise SourceError(
                        f"неизвестный тег «{event.tag}»: теги (!…) в дорожной карте не нужны, уберите его", _position(event)
                    )
                self.source_map.values[path] = _mark(event)
                is_map = isinstance(event, ev.MappingStartEvent)
                key = path[-1] if path else None
                container: Any = {} if is_map else []
                # Attached at once (and filled in place) so that an error deeper down can still
                # name its field by the ids read so far.
                if parent is None:
                    root = self._root = container
                else:
                    self._attach(parent, container, event)
                stack.append(_Frame(path, container, verbatim=not is_map and key in VERBATIM_KEYS, anchor=event.anchor))
                continue
            else:  # pragma: no cover - libyaml emits no other events
                continue
            if parent is None:
                root = value
            else:
                self._attach(parent, value, event)
        if documents == 0 or root is None:
            raise SourceError("файл пуст: в нём нет дорожной карты", Position(1, 1))
        return root

    def _child(self, parent: _Frame | None) -> tuple[PathKey, bool]:
        if parent is None:
            return (), False
        if isinstance(parent.value, dict):
            assert parent.key is not None
            return parent.path + (parent.key,), parent.key in VERBATIM_KEYS
        return parent.path + (len(parent.value),), parent.verbatim

    def _take_key(self, frame: _Frame, event: ev.Event) -> None:
        if not isinstance(event, ev.ScalarEvent):
            raise SourceError("ключ не может быть списком, словарём или ссылкой", _position(event))
        key = event.value
        if event.implicit[0] and event.tag is None and self.scalar(event, False) is _MERGE:
            key = "<<"
        frame.key, frame.key_mark = key, _mark(event)

    def _attach(self, frame: _Frame, value: Any, event: ev.Event | None) -> None:
        if isinstance(frame.value, list):
            frame.value.append(value)
            return
        key, mark = frame.key, frame.key_mark
        assert key is not None and mark is not None
        frame.key = frame.key_mark = None
        if key == "<<":
            frame.merge_sources.append((value, mark))  # applied when the mapping is complete
            return
        key_path = frame.path + (key,)
        if key in frame.first_seen:
            self.duplicates.append(DuplicateKey(key_path, Position(*mark), Position(*frame.first_seen[key])))
            return
        frame.first_seen[key] = self.source_map.keys[key_path] = mark
        frame.value[key] = value

    def _merge(self, frame: _Frame) -> None:
        """YAML merge keys: keys written in the mapping itself win over merged ones."""
        for value, mark in frame.merge_sources:
            sources = value if isinstance(value, list) else [value]
            if not sources or not all(isinstance(item, dict) for item in sources):
                raise SourceError(
                    "«<<» (слияние) должно ссылаться на словарь: <<: *имя_якоря", Position(*mark), frame.path + ("<<",)
                )
            for source in sources:
                for key, item in source.items():
                    frame.value.setdefault(key, item)


_MERGE = object()
_TAG_WORDS = {
    "tag:yaml.org,2002:bool": "да/нет (true/false)",
    "tag:yaml.org,2002:int": "целое число",
    "tag:yaml.org,2002:float": "число",
}


def parse_document(text: str) -> SourceDocument:
    """Parse YAML text into plain data plus a `SourceMap`; raises `SourceError`."""
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise SourceError("файл пуст: в нём нет дорожной карты", Position(1, 1))
    builder = _Builder()
    try:
        data = builder.build(yaml.parse(text, Loader=_Loader))
    except SourceError as error:
        error.partial = builder.partial
        raise
    except yaml.YAMLError as error:
        raise _explain_yaml_error(error) from None
    except RecursionError:
        raise SourceError("слишком глубокая вложенность") from None
    if not isinstance(data, dict):
        raise SourceError(
            "дорожная карта должна быть словарём (id: …, title: …, stages: …), а не "
            + ("списком" if isinstance(data, list) else "одним значением"),
            Position(*builder.source_map.values.get((), (1, 1))),
        )
    return SourceDocument(data, builder.source_map, builder.duplicates)
