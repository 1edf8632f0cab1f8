"""Reading a roadmap file into plain data while remembering where every value was written.

PyYAML's composer (libyaml's C parser where present) gives nodes with line and column marks; we
build dicts and lists from those nodes ourselves and record the position of every value and key
by its path, e.g. ``("sections", 0, "stages", 3, "due")``. Validation errors from any later stage
are then reported at the exact place in the file.

This module also refuses what should never reach the parser: anything but a regular file (a
directory, a device such as /dev/zero, a named pipe or a socket — checked with `os.stat` before
opening, and again on the open descriptor), files too large (at most `max_bytes` are ever read,
whatever the size the file system reports: a file may grow while it is read), binary files and
text that is not UTF-8. The file is opened with O_NONBLOCK, so that nothing can make the read wait.
`read_bounded` is that reading alone, its refusals as exceptions; the document importer uses it too.

What a roadmap never needs is refused with its position instead of being interpreted:

* YAML aliases (``*name``) and merge keys (``<<``). An alias makes the data a graph whose size
  grows exponentially with the file ("billion laughs": a kilobyte that expands to gigabytes once
  values are turned into text); roadmaps are written by hand and have no use for them. An anchor
  (``&name``) on its own is harmless and ignored; the first alias or merge key is the error.
* Numbers longer than `MAX_NUMBER_CHARS` characters: Python refuses to read very long decimal
  integers (and hexadecimal or sexagesimal ones build numbers of any size), and no roadmap needs
  them; a number written in a key whose values keep their text (`VERBATIM_KEYS`) stays text.
"""

from __future__ import annotations

import errno
import os
import stat
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
MAX_NUMBER_CHARS = 64  # longer "numbers" are refused before Python tries to read them
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
        "windows",
        "time",
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


_NOT_REGULAR: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "это папка"),
    (stat.S_ISFIFO, "это именованный канал (FIFO)"),
    (stat.S_ISCHR, "это устройство"),
    (stat.S_ISBLK, "это блочное устройство (диск)"),
    (stat.S_ISSOCK, "это сокет"),
)
_OS_ERRORS = {
    errno.ENOENT: "файл не найден",
    errno.ENOTDIR: "файл не найден: часть пути — не папка",
    errno.EACCES: "нет прав на чтение файла",
    errno.EPERM: "нет прав на чтение файла",
    errno.ELOOP: "слишком много символических ссылок в пути",
    errno.ENAMETOOLONG: "слишком длинное имя файла",
    errno.EIO: "файл не удаётся прочитать: ошибка ввода-вывода (диск повреждён или недоступен)",
}


def _os_refusal(error: OSError) -> SourceError:
    """An OSError in Russian; the English strerror never reaches the user."""
    words = _OS_ERRORS.get(error.errno or 0)
    if words is None:
        name = errno.errorcode.get(error.errno or 0, "")
        words = f"файл не удаётся прочитать: системная ошибка {name}".rstrip()
    return SourceError(words)


class NotARegularFile(Exception):
    """The path names a folder, a pipe, a device or a socket; `kind` says which, in Russian."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class FileTooLarge(Exception):
    """The file holds more than `limit` bytes; `size` is its reported size (None: it grew, or reports none)."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(size, limit)
        self.size, self.limit = size, limit


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotARegularFile(next((words for test, words in _NOT_REGULAR if test(mode)), "это не файл"))


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` of a regular file, whatever `stat` says: a folder, pipe or device is refused
    before it is opened (opening a FIFO waits for a writer, /dev/zero never ends), and reading stops at
    `max_bytes + 1` (a file that grew after its stat, or reports no size). Raises NotARegularFile,
    FileTooLarge or OSError; each caller says them in its own words (roadmaps here, documents in
    `cyclogram.importing.readers`)."""
    info = path.stat()
    _check_regular(info.st_mode)
    if info.st_size > max_bytes:
        raise FileTooLarge(info.st_size, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    try:
        _check_regular(os.fstat(descriptor).st_mode)  # replaced between the stat and the open
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    raw = b"".join(chunks)
    if len(raw) > max_bytes:
        raise FileTooLarge(None, max_bytes)
    return raw


def _too_large(max_bytes: int, size: int | None) -> SourceError:
    shown = f"{_size_words(size)}, предел" if size is not None else "больше, чем"
    return SourceError(
        f"файл слишком большой ({shown} {_size_words(max_bytes)}); "
        "дорожная карта не может быть такой — проверьте, тот ли это файл"
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """`read_bounded`, its refusals said for a roadmap."""
    try:
        return read_bounded(path, max_bytes)
    except NotARegularFile as error:
        raise SourceError(
            f"это не обычный файл (устройство, канал или папка): {error.kind}; укажите путь к файлу дорожной карты (.yaml)"
        ) from None
    except FileTooLarge as error:
        raise _too_large(max_bytes, error.size) from None
    except OSError as error:
        raise _os_refusal(error) from None


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a roadmap file as text, refusing non-regular, oversized, binary and non-UTF-8 files early."""
    raw = _read_bytes(Path(path), max_bytes)
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


@dataclass(slots=True)
class _Frame:
    """A mapping or sequence being built from parser events."""

    path: PathKey
    value: Any  # dict or list
    is_map: bool
    verbatim: bool = False  # list items keep their written text
    key: str | None = None  # mapping: the key waiting for its value
    key_mark: tuple[int, int] | None = None
    first_seen: dict[str, tuple[int, int]] = field(default_factory=dict)


class _Builder:
    """Builds plain data straight from libyaml's event stream.

    Going from events (not PyYAML nodes) is ~5x faster: composing nodes calls the Python tag
    resolver and allocates marks for every scalar. Tags are still resolved by PyYAML's own
    resolver (memoized), so values mean exactly what PyYAML would make of them. The loop over
    events is the hot path of loading a large roadmap: one type test per event, plain scalars
    resolved from the memo, the rest in helpers.
    """

    def __init__(self) -> None:
        self.source_map = SourceMap()
        self.duplicates: list[DuplicateKey] = []
        self._resolver = Resolver()
        self._constructor = SafeConstructor()
        self._tags: dict[str, str] = {}  # plain scalar → its resolved tag
        self._anchors: dict[str, tuple[int, int]] = {}  # where each anchor was written, for messages
        self._root: Any = None

    @property
    def partial(self) -> Any:
        return self._root

    def _resolve(self, value: str) -> str:
        tag = self._tags.get(value)
        if tag is None:
            if value[:1] not in _RESOLVED_FIRST and not _RESOLVE_ALL:
                return _STR_TAG  # what PyYAML's resolver answers too: no implicit type starts so (not memoized)
            resolve: Callable[[type[ScalarNode], str, tuple[bool, bool]], str] = self._resolver.resolve  # untyped in PyYAML
            tag = self._tags[value] = resolve(ScalarNode, value, (True, False))
        return tag

    def _tag(self, event: ev.ScalarEvent, path: PathKey, key: bool = False) -> str | None:
        """The scalar's tag as PyYAML resolves it; None for a quoted scalar without a tag (text).

        Merge keys are refused here (see module docstring), wherever "<<" is written."""
        tag = event.tag
        if tag in (None, "!"):
            if not event.implicit[0]:
                return None
            tag = self._resolve(event.value)
        elif tag not in _KNOWN_TAGS:
            raise SourceError(
                f"неизвестный тег «{tag}»: теги (!…) в дорожной карте не нужны, уберите его", _position(event), path
            )
        if tag == _MERGE_TAG:
            raise SourceError(_MERGE_WORDS, _position(event), path + ("<<",) if key else path)
        return tag

    def scalar(self, event: ev.ScalarEvent, verbatim: bool, path: PathKey = ()) -> Any:
        value: str = event.value
        if event.tag is None:  # the common case, inline: quoted text, or a plain scalar resolved from the memo
            if not event.implicit[0]:
                return value
            tag: str | None = self._tags.get(value) or self._resolve(value)
        else:
            tag = self._tag(event, path)
        if tag is None or tag == _STR_TAG or (verbatim and tag != _NULL_TAG and tag != _MERGE_TAG):
            return value
        if tag == _MERGE_TAG:
            raise SourceError(_MERGE_WORDS, _position(event), path)
        if tag in _NUMBER_TAGS and len(value) > MAX_NUMBER_CHARS:
            raise SourceError(
                f"число «{value[:20]}…» слишком длинное ({len(value)} знаков): в дорожной карте таких чисел не бывает; "
                "если это текст, заключите его в кавычки",
                _position(event),
                path,
            )
        try:
            # types-PyYAML: events may carry libyaml's Mark, nodes are typed with the pure-Python one only
            node = ScalarNode(tag, value, event.start_mark, event.end_mark)  # type: ignore[arg-type]
            return self._constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, KeyError, TypeError, OverflowError):
            shown = value if len(value) <= 80 else value[:79] + "…"
            if tag.endswith("timestamp"):
                raise SourceError(f"такой даты не существует: «{shown}»", _position(event), path) from None
            raise SourceError(
                f"значение «{shown}» не удаётся прочитать как {_TAG_WORDS.get(tag, tag)}", _position(event), path
            ) from None

    def build(self, events: Any) -> Any:
        stack: list[_Frame] = []
        positions = self.source_map.values
        key_positions = self.source_map.keys
        root: Any = None
        documents = 0
        for event in events:
            kind = type(event)
            if kind is _SCALAR:  # most events: keys and values, handled inline
                mark = event.start_mark
                at = (mark.line + 1, mark.column + 1)
                if not stack:
                    positions[()] = at
                    root = self.scalar(event, False, ())
                    continue
                frame = stack[-1]
                if not frame.is_map:  # a list item
                    path: PathKey = (*frame.path, len(frame.value))
                    positions[path] = at
                    frame.value.append(self._value(event, frame.verbatim, path, at))
                    continue
                key = frame.key
                if key is None:  # in key position: this scalar is a key
                    if event.tag is not None or event.anchor or event.value == "<<":
                        self._take_key(frame, event, at)
                    else:
                        frame.key, frame.key_mark = event.value, at
                    continue
                path = (*frame.path, key)
                positions[path] = at
                value = self._value(event, key in VERBATIM_KEYS, path, at)
                key_mark = frame.key_mark
                assert key_mark is not None
                frame.key = frame.key_mark = None
                if key in frame.first_seen:
                    self.duplicates.append(DuplicateKey(path, Position(*key_mark), Position(*frame.first_seen[key])))
                else:
                    frame.first_seen[key] = key_positions[path] = key_mark
                    frame.value[key] = value
                continue
            if kind is _MAPPING_END or kind is _SEQUENCE_END:
                stack.pop()
                continue
            if kind is ev.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise SourceError(
                        "в файле несколько документов YAML (разделитель ---); в одном файле — одна дорожная карта",
                        _position(event),
                    )
                continue
            if kind in _SKIPPED:
                continue
            mark = event.start_mark
            at = (mark.line + 1, mark.column + 1)
            if not stack:
                parent = None
                path = ()
            else:
                parent = stack[-1]
                if parent.is_map:
                    key = parent.key
                    if key is None:  # in key position: a mapping, a list or an alias as a key
                        self._take_key(parent, event, at)
                        continue
                    path = (*parent.path, key)
                else:
                    path = (*parent.path, len(parent.value))
            if kind is ev.AliasEvent:
                raise self._alias(event, path)
            if kind is not ev.MappingStartEvent and kind is not ev.SequenceStartEvent:  # pragma: no cover
                continue  # libyaml emits no other events
            if len(stack) >= MAX_DEPTH:
                raise SourceError("слишком глубокая вложенность: дорожной карте столько уровней не нужно", _position(event))
            if event.tag not in (None, "!", _MAP_TAG, _SEQ_TAG):
                raise SourceError(
                    f"неизвестный тег «{event.tag}»: теги (!…) в дорожной карте не нужны, уберите его", _position(event)
                )
            if event.anchor:
                self._anchors.setdefault(event.anchor, at)
            positions[path] = at
            is_map = kind is ev.MappingStartEvent
            container: Any = {} if is_map else []
            # Attached at once (and filled in place) so that an error deeper down can still
            # name its field by the ids read so far.
            if parent is None:
                root = self._root = container
            elif parent.is_map:
                self._put(parent, container, path)
            else:
                parent.value.append(container)
            stack.append(_Frame(path, container, is_map, verbatim=not is_map and verbatim_list(path)))
        if documents == 0 or root is None:
            raise SourceError("файл пуст: в нём нет дорожной карты", Position(1, 1))
        return root

    def _value(self, event: ev.ScalarEvent, verbatim: bool, path: PathKey, at: tuple[int, int]) -> Any:
        """A scalar in value position; text that needs no resolving is returned at once."""
        if event.anchor:
            self._anchors.setdefault(event.anchor, at)
        text: str = event.value
        if event.tag is None and (not event.implicit[0] or (text[:1] not in _RESOLVED_FIRST and not _RESOLVE_ALL)):
            return text  # quoted, or plain and nothing but text can start so
        return self.scalar(event, verbatim, path)

    def _alias(self, event: ev.AliasEvent, path: PathKey) -> SourceError:
        name = event.anchor
        written = self._anchors.get(name) if name is not None else None
        where = f" (якорь &{name} — строка {written[0]})" if written else f" (якорь &{name} не определён)"
        return SourceError(
            f"ссылка *{name}{where}: якоря и ссылки YAML (&имя, *имя) в дорожной карте не поддерживаются — "
            "напишите значение прямо здесь",
            _position(event),
            path,
        )

    def _take_key(self, frame: _Frame, event: ev.Event, at: tuple[int, int]) -> None:
        if type(event) is not _SCALAR:
            raise SourceError("ключ не может быть списком, словарём или ссылкой", _position(event))
        assert isinstance(event, ev.ScalarEvent)
        if event.tag is not None or event.value == "<<":
            self._tag(event, frame.path, key=True)  # refuses a merge key ("<<") and unknown tags
        if event.anchor:
            self._anchors.setdefault(event.anchor, at)
        frame.key, frame.key_mark = event.value, at

    def _put(self, frame: _Frame, value: Any, key_path: PathKey) -> None:
        """Store a mapping's value under the key read before it (`key_path` ends with that key);
        a repeated key is recorded, not stored."""
        key, mark = frame.key, frame.key_mark
        assert key is not None and mark is not None
        frame.key = frame.key_mark = None
        if key in frame.first_seen:
            self.duplicates.append(DuplicateKey(key_path, Position(*mark), Position(*frame.first_seen[key])))
            return
        frame.first_seen[key] = self.source_map.keys[key_path] = mark
        frame.value[key] = value


# First characters for which PyYAML's resolver has implicit types (bool, int, float, null, timestamp,
# merge, value; "" is the empty scalar); any other plain scalar is text.
_RESOLVED_FIRST = frozenset(key for key in Resolver.yaml_implicit_resolvers if key is not None)
_RESOLVE_ALL = None in Resolver.yaml_implicit_resolvers  # a resolver for any first character: ask it always


def verbatim_list(path: PathKey) -> bool:
    """Whether the items of the list at `path` keep their written text (`VERBATIM_KEYS`)."""
    return bool(path) and path[-1] in VERBATIM_KEYS


_SCALAR = ev.ScalarEvent
_MAPPING_END = ev.MappingEndEvent
_SEQUENCE_END = ev.SequenceEndEvent
_SKIPPED = frozenset({ev.StreamStartEvent, ev.StreamEndEvent, ev.DocumentEndEvent})
_MERGE_WORDS = (
    "«<<» (слияние YAML) в дорожной карте не поддерживается, как и якоря со ссылками (&имя, *имя): напишите поля прямо здесь"
)
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
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
