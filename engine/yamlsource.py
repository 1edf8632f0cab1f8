"""Reading a roadmap file into plain data while remembering where every value was written.

PyYAML's composer (libyaml's C parser where present) gives nodes with line and column marks; we
build dicts and lists from those nodes ourselves and record the position of every value and key
by its path, e.g. ``("sections", 0, "stages", 3, "due")``. Validation errors from any later stage
are then reported at the exact place in the file.

This module also refuses what should never reach the parser: files too large, binary files and
text that is not UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.diagnostics import Position

try:  # libyaml's C loader is ~10x faster on large roadmaps
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]



class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The C loader with a memo in front of PyYAML's Python tag resolver.

    Roadmaps repeat the same keys and values (id, title, due, responsible…) thousands of times;
    resolving each through the regex table dominated load time for 10,000-stage files.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._resolved: dict[tuple[object, str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        key = (kind, value, implicit) if kind is ScalarNode else None
        if key is None:
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        tag = self._resolved.get(key)
        if tag is None:
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag


MAX_FILE_BYTES = 20 * 1024 * 1024
PathKey = tuple[str | int, ...]
# Keys whose scalar values must keep their written text: "2.10" is not the float 2.1.
VERBATIM_KEYS = frozenset({"number", "academic_year", "id", "send_at"})


class SourceError(Exception):
    """The file cannot be read as YAML at all; carries one positioned message."""

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


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


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _mark(node: Node) -> tuple[int, int]:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


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
            f"файл слишком большой ({size / 1024 / 1024:.1f} МБ, предел {max_bytes / 1024 / 1024:.0f} МБ); "
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
        raise SourceError(
            f"файл не в кодировке UTF-8{hint}: сохраните его как UTF-8", Position(line, column)
        ) from None
    return text


_YAML_HINTS = (
    ("found character '\\t'", "табуляция вместо пробелов: в YAML отступы делаются только пробелами"),
    ("mapping values are not allowed", "лишнее двоеточие или неверный отступ; если в тексте есть «: », заключите его в кавычки"),
    ("could not find expected ':'", "не найдено двоеточие после ключа; возможно, неверный отступ или незакрытая кавычка"),
    ("did not find expected key", "неверный отступ: строка не совпадает по отступу с соседними ключами"),
    ("did not find expected '-' indicator", "неверный отступ в списке: элементы списка должны начинаться с «- » на одном уровне"),
    ("found unexpected end of stream", "файл обрывается: не закрыта кавычка или скобка"),
    ("found undefined alias", "ссылка (*имя) на неопределённый якорь (&имя)"),
    ("expected ',' or ']'", "в списке […] не хватает запятой или закрывающей скобки"),
    ("expected ',' or '}'", "в словаре {…} не хватает запятой или закрывающей скобки"),
    ("found unknown escape character", "неверная escape-последовательность в строке в двойных кавычках"),
    ("found unhashable key", "ключ не может быть списком или словарём"),
    ("expected a single document", "в файле несколько документов YAML (разделитель ---); нужна одна дорожная карта"),
)


def _explain_yaml_error(error: yaml.YAMLError) -> SourceError:
    problem = getattr(error, "problem", None) or str(error)
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
    for needle, words in _YAML_HINTS:
        if needle in problem:
            return SourceError(f"ошибка синтаксиса YAML: {words}", position)
    return SourceError(f"ошибка синтаксиса YAML: {problem}", position)


_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"


class _Builder:
    def __init__(self) -> None:
        self.source_map = SourceMap()
        self.duplicates: list[DuplicateKey] = []
        self._constructor = SafeConstructor()

    def build(self, node: Node, path: PathKey, verbatim: bool = False) -> Any:
        self.source_map.values[path] = _mark(node)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if node.tag == _STR_TAG or (verbatim and node.tag != _NULL_TAG):
            return node.value
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError) as error:
            if node.tag == "tag:yaml.org,2002:timestamp":
                raise SourceError(f"такой даты не существует: «{node.value}»", _position(node)) from None
            raise SourceError(f"значение «{node.value}» не удаётся прочитать: {error}", _position(node)) from None

    def _mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        self._constructor.flatten_mapping(node)  # resolves YAML merge keys (<<)
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise SourceError("ключ не может быть списком или словарём", _position(key_node))
            key = key_node.value
            key_path = path + (key,)
            if key in first_seen:
                self.duplicates.append(DuplicateKey(key_path, _position(key_node), Position(*first_seen[key])))
                continue
            first_seen[key] = self.source_map.keys[key_path] = _mark(key_node)
            result[key] = self.build(value_node, key_path, verbatim=key in VERBATIM_KEYS)
        return result


def parse_document(text: str) -> SourceDocument:
    """Parse YAML text into plain data plus a `SourceMap`; raises `SourceError`."""
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise SourceError("файл пуст: в нём нет дорожной карты", Position(1, 1))
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise _explain_yaml_error(error) from None
    if node is None:
        raise SourceError("файл пуст: в нём нет дорожной карты", Position(1, 1))
    if not isinstance(node, MappingNode):
        raise SourceError(
            "дорожная карта должна быть словарём (id: …, title: …, stages: …), а не "
            + ("списком" if isinstance(node, SequenceNode) else "одним значением"),
            _position(node),
        )
    builder = _Builder()
    data = builder.build(node, ())
    return SourceDocument(data, builder.source_map, builder.duplicates)
