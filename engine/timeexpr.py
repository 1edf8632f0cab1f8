"""Deadline expressions: the small language a roadmap uses to say *when*.

A roadmap writes dates the way the source documents do, and this module turns each written
form into a typed value that the planner can resolve:

===============================  ==========================================
written                          value
===============================  ==========================================
``2024-09-06``, ``06.09.2024г.``  `Absolute` (optionally with a time)
``30.09``, ``10 августа``         `DayMonth` (year taken from the academic year)
``сентябрь``, ``2022-08``         `MonthRef` (first or last day, by context)
``первая среда декабря``          `NthWeekday` (``второй рабочий понедельник мая``)
``testing.start - 3d``            `Relative` to an event's start/end or a stage's
``upload.done + 3wd``             start/due/done, offset in d, wd, h, w, mo
``март – апрель 2023``            `Window` (one item of a stage's ``windows:``)
===============================  ==========================================

Dates are accepted the way documents write them, and the text around the date is read, not
refused: a lead-in ("до", "по", "с", "не позднее", "в срок до"), a year suffix after the digits
("2024г.", "2024 г", "2023гг.", "2024 года" — only after a digit, so the final «г» of «четверг» is
never taken for one), a weekday after the date with or without brackets ("10.10.2019 четверг",
"20.09.2024г. (пятница)" — kept in `stated_weekday` and checked by the planner), any other note in
brackets after it ("30 сентября (1 этап)" — dropped), month abbreviations ("сент.", "окт.") and a
time after a day, a day and month or an n-th weekday ("первая среда июня, 10:00"; a month has no
time). A window is "март – апрель 2023", "Март-май 2020г." or "с 01.10.24 по 15.10.24": a start
without a year takes the end's (the year before when its month is later: "ноябрь – март 2023" starts
in November 2022).

Limits, so that hostile or mistaken input is refused here rather than breaking date arithmetic
later: every year written (in a date, a month or an n-th weekday, and a date YAML read itself)
lies in `MIN_YEAR`–`MAX_YEAR` (31.12.9999, "no end date" in many documents, is refused with a hint
to write ``due: continuous``); an offset is at most `UNIT_LIMITS` of its unit (its digits are counted
before they are read as a number); a written expression is at most `MAX_EXPR_CHARS` characters
(the patterns below are not meant for megabytes, and no deadline is that long). The planner keeps
computed dates within the same years (`engine.plan`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, SupportsIndex, SupportsInt, TypeGuard

from cyclogram.engine import russian

Unit = Literal["d", "wd", "h", "w", "mo"]
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_EXPR_CHARS = 200
UNIT_LIMITS: dict[str, int] = {"d": 400, "wd": 260, "h": 24 * 400, "w": 60, "mo": 13}
UNIT_WORDS: dict[str, tuple[str, str, str]] = {
    "d": ("день", "дня", "дней"),
    "wd": ("рабочий день", "рабочих дня", "рабочих дней"),
    "h": ("час", "часа", "часов"),
    "w": ("неделя", "недели", "недель"),
    "mo": ("месяц", "месяца", "месяцев"),
}
EVENT_EDGES = ("start", "end")
STAGE_EDGES = ("start", "due", "done")


class ExprError(ValueError):
    """A deadline that cannot be understood; the message is meant for the roadmap's author."""


@dataclass(frozen=True)
class Absolute:
    day: dt.date
    time: dt.time | None = None
    stated_weekday: int | None = None  # the weekday the document wrote next to the date

    def __str__(self) -> str:
        text = self.day.isoformat()
        return f"{text}T{self.time:%H:%M}" if self.time else text


@dataclass(frozen=True)
class DayMonth:
    day: int
    month: int
    stated_weekday: int | None = None
    time: dt.time | None = None

    def __str__(self) -> str:
        text = f"{self.day:02d}.{self.month:02d}"
        return f"{text} {self.time:%H:%M}" if self.time else text


@dataclass(frozen=True)
class MonthRef:
    month: int
    year: int | None = None

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.year else russian.MONTH_NOMINATIVE[self.month - 1]


@dataclass(frozen=True)
class NthWeekday:
    nth: int  # 1..5, or -1 for the last
    weekday: int  # Monday = 0
    month: int
    year: int | None = None
    working: bool = False  # count only weekdays that are working days
    time: dt.time | None = None  # "первая среда июня, 10:00" (an event's start)

    def __str__(self) -> str:
        gender = russian.WEEKDAY_GENDER[self.weekday]
        ordinal = russian.ORDINAL_WORDS[self.nth][gender]
        working = ("рабочий ", "рабочая ", "рабочее ")[gender] if self.working else ""
        text = f"{ordinal} {working}{russian.WEEKDAY_NAMES[self.weekday]} {russian.MONTH_GENITIVE[self.month - 1]}"
        return f"{text}, {self.time:%H:%M}" if self.time else text


@dataclass(frozen=True)
class Offset:
    amount: int  # signed
    unit: Unit

    def __str__(self) -> str:
        sign = "+" if self.amount >= 0 else "-"
        return f"{sign} {abs(self.amount)} {russian.plural(self.amount, *UNIT_WORDS[self.unit])}"


@dataclass(frozen=True)
class Relative:
    anchor: str  # event id, event group, or stage id
    edge: str  # start | end | done | due
    offset: Offset | None = None

    def __str__(self) -> str:
        base = f"{self.anchor}.{self.edge}"
        if self.offset is None:
            return base
        sign = "+" if self.offset.amount >= 0 else "-"
        return f"{base} {sign} {abs(self.offset.amount)}{self.offset.unit}"


DateExpr = Absolute | DayMonth | MonthRef | NthWeekday | Relative


@dataclass(frozen=True)
class Window:
    """One window of a stage with several (``windows: [ноябрь 2022, март – апрель 2023]``)."""

    start: DateExpr | None
    due: DateExpr
    label: str | None = None  # as written in a mapping's `label`; else the planner names it


# A year suffix only right after the year's digits: "2024г.", "2024 г", "2023гг.", "2024 года".
_YEAR_SUFFIX = re.compile(r"(?<=\d)\s*г(?:г|ода)?\.?\s*$", re.IGNORECASE)
_LEAD_IN = re.compile(r"^(?:в\s+срок(?:\s+до)?|до|по|не\s+позднее|не\s+позже|не\s+ранее|с)\s+", re.IGNORECASE)
_BRACKET_NOTE = re.compile(r"^(?P<body>.*\d.*?)[\s,]*\((?P<note>[^()]*)\)\s*\.?$")
_BARE_WEEKDAY = re.compile(r"^(?P<body>.*\d.*?)[\s,]+(?P<wd>[А-Яа-яЁёA-Za-z]+)\.?$")
_TIME_TAIL = re.compile(r"^(?P<body>.*[^\s,])(?:\s*,\s*|\s+)(?:в\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})$")
_RANGE_WORDS = re.compile(r"^(?:с\s+)?(?P<a>.+?)\s+(?:по|до)\s+(?P<b>.+)$", re.IGNORECASE)
_RANGE_DASH = re.compile(r"\s*[–—]\s*|\s+-\s+|(?<=[А-Яа-яЁё.])-(?=[А-Яа-яЁё\d])|(?<=\d{4})-(?=\d{1,2}\.)")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::\d{2})?)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?:\s+(\d{1,2}):(\d{2}))?$")
_DAY_MONTH_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?$")
_DAY_MONTH_WORD = re.compile(r"^(\d{1,2})\s+([А-Яа-яЁёA-Za-z]+)\.?(?:\s+(\d{4}))?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_WORD = re.compile(r"^([А-Яа-яЁёA-Za-z]+)\.?(?:\s+(\d{4}))?$")
_NTH = re.compile(
    r"^(?P<nth>[А-Яа-яЁё]+)\s+(?:(?P<working>рабоч[А-Яа-яЁё]*)\s+)?(?P<wd>[А-Яа-яЁё]+)\s+"
    r"(?P<month>[А-Яа-яЁё]+)(?:\s+(?P<year>\d{4}))?$"
)
_RELATIVE = re.compile(
    r"^(?P<anchor>[A-Za-z_][A-Za-z0-9_-]*)\.(?P<edge>[A-Za-z]+)"
    r"(?:\s*(?P<sign>[+-])\s*(?P<amount>\S+?)\s*(?P<unit>[A-Za-zА-Яа-я]+))?$"
)
_SIGNED_OFFSET = re.compile(r"^(?P<sign>[+-])?\s*(?P<amount>\d+)\s*(?P<unit>[A-Za-z]+)$")

HINT = (
    "ожидается дата (2024-09-06 или 06.09.2024), день и месяц (30.09, «10 августа»), месяц "
    "(«сентябрь», 2022-08), «первая среда декабря» или сдвиг от события/этапа "
    "(testing.start - 3d, upload.done + 3wd)"
)


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def out_of_range(shown: str, year: int | None = None) -> ExprError:
    hint = "проверьте год"
    if year is not None and year >= 9000:  # 31.12.9999: "no end date" in many documents
        hint = "так в документах пишут «бессрочно»; у этапа без срока напишите due: continuous (постоянно)"
    return ExprError(f"дата {shown} вне допустимого диапазона {MIN_YEAR}–{MAX_YEAR}: {hint}")


def _check_year(year: int, shown: str) -> None:
    if not year_in_range(year):
        raise out_of_range(shown, year)


def _make_date(year: int, month: int, day: int, original: str) -> dt.date:
    _check_year(year, f"{day:02d}.{month:02d}.{year}" if 1 <= month <= 12 and 1 <= day <= 31 else f"«{original}»")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ExprError(f"такой даты не существует: «{original}»") from None


def _make_time(hour: str | None, minute: str | None, original: str) -> dt.time | None:
    if hour is None:
        return None
    try:
        return dt.time(int(hour), int(minute or 0))
    except ValueError:
        raise ExprError(f"такого времени не существует: «{original}»") from None


def _check_day_month(day: int, month: int, original: str) -> None:
    # 29.02 is accepted here; whether it exists depends on the year it resolves to.
    _make_date(2024, month, day, original)


def parse_offset(value: object) -> Offset:
    """Parse a stand-alone offset such as ``3wd`` or ``-2d`` (used by ``within`` fields)."""
    text = str(value).strip()
    if len(text) > MAX_EXPR_CHARS:
        raise ExprError(f"непонятный срок ({len(text)} знаков): ожидается число и единица (3d, 3wd, 2h, 1w, 2mo)")
    match = _SIGNED_OFFSET.match(text)
    if not match:
        raise ExprError(f"непонятный срок «{text}»: ожидается число и единица (3d, 3wd, 2h, 1w, 2mo)")
    return _offset(match["sign"] or "+", match["amount"], match["unit"], text)


def _offset(sign: str, amount_text: str, unit: str, original: str) -> Offset:
    if not (amount_text.isascii() and amount_text.isdigit()):
        raise ExprError(f"сдвиг «{original}»: после знака {sign} нужно неотрицательное целое число, а не «{amount_text}»")
    if not _is_unit(unit):
        raise ExprError(
            f"неизвестная единица «{unit}» в «{original}»: d — календарные дни, wd — рабочие дни, "
            "h — часы, w — недели, mo — месяцы"
        )
    # Digits are counted first: Python refuses to read a number of thousands of digits at all.
    amount = int(amount_text) if len(amount_text.lstrip("0")) <= 9 else UNIT_LIMITS[unit] + 1
    if amount > UNIT_LIMITS[unit]:
        raise ExprError(
            f"слишком большой сдвиг «{original}»: больше {UNIT_LIMITS[unit]} "
            f"{russian.plural(UNIT_LIMITS[unit], *UNIT_WORDS[unit])} — это за пределами учебного года"
        )
    return Offset(amount if sign == "+" else -amount, unit)


def _is_unit(unit: str) -> TypeGuard[Unit]:
    return unit in UNIT_LIMITS


def _split_notes(text: str) -> tuple[str, int | None, dt.time | None, str]:
    """'20.09.2024г. (пятница)' -> ('20.09.2024', 4, None, …): the date's own text, the weekday
    written next to it, a time after it, and what was dropped (see module docstring). Notes are
    only split off after something with a digit: "первая среда декабря" keeps its weekday."""
    weekday: int | None = None
    time_text: tuple[str, str] | None = None
    body = text
    if m := _BRACKET_NOTE.match(body):
        body = m["body"].strip()
        weekday = russian.weekday_number(m["note"])
    if m := _TIME_TAIL.match(body):
        body, time_text = m["body"].strip(), (m["hour"], m["minute"])
    if weekday is None and (m := _BARE_WEEKDAY.match(body)) and russian.weekday_number(m["wd"]) is not None:
        body, weekday = m["body"].strip(), russian.weekday_number(m["wd"])
    body = _YEAR_SUFFIX.sub("", body).strip()
    time = _make_time(time_text[0], time_text[1], text) if time_text else None
    return body, weekday, time, text


def _with_time(parsed: DateExpr, time: dt.time | None, original: str) -> DateExpr:
    if time is None:
        return parsed
    if isinstance(parsed, Absolute):
        return Absolute(parsed.day, parsed.time or time, parsed.stated_weekday)
    if isinstance(parsed, DayMonth):
        return DayMonth(parsed.day, parsed.month, parsed.stated_weekday, time)
    if isinstance(parsed, NthWeekday):
        return NthWeekday(parsed.nth, parsed.weekday, parsed.month, parsed.year, parsed.working, time)
    raise ExprError(f"«{original}»: время указывается у дня (10 мая 10:00, первая среда июня, 10:00), а не у месяца")


def parse_expr(value: object) -> DateExpr:
    """Parse one deadline written in a roadmap (a YAML date, a string or a mapping)."""
    if isinstance(value, (Absolute, DayMonth, MonthRef, NthWeekday, Relative)):
        return value
    if isinstance(value, dt.date):  # a date (or date and time) YAML read itself
        _check_year(value.year, f"{value.day:02d}.{value.month:02d}.{value.year}")
        if isinstance(value, dt.datetime):
            return Absolute(value.date(), value.time().replace(second=0, microsecond=0))
        return Absolute(value)
    if isinstance(value, dict):
        return _parse_nth_mapping(value)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ExprError(f"непонятный срок: {HINT}")
    original = str(value).strip()
    if not original:
        raise ExprError(f"пустой срок: {HINT}")
    if len(original) > MAX_EXPR_CHARS:
        raise ExprError(f"непонятный срок ({len(original)} знаков — слишком длинно): {HINT}")
    relative = _RELATIVE.match(original)
    if relative:
        return _parse_relative(relative, original)
    body, weekday, time, _ = _split_notes(_LEAD_IN.sub("", original))
    parsed = _parse_plain(body, original, weekday)
    if parsed is None:
        raise ExprError(f"непонятный срок «{original}»: {HINT}")
    return _with_time(parsed, time, original)


def parse_window(value: object) -> Window:
    """One item of `windows:` — a month ("ноябрь 2022"), a range ("март – апрель 2023",
    "Март-май 2020г.", "с 01.10.24 по 15.10.24"), a single date, or {start, due, label}."""
    if isinstance(value, Window):
        return value
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - {"start", "due", "label"})
        if unknown:
            raise ExprError(f"неизвестные поля {', '.join(unknown)}; у окна есть start, due и label")
        if "due" not in value:
            raise ExprError("у окна не указан срок (due)")
        label = value.get("label")
        start = parse_expr(value["start"]) if value.get("start") is not None else None
        return Window(start, parse_expr(value["due"]), str(label).strip() if label is not None else None)
    if isinstance(value, dt.date) or (isinstance(value, int) and not isinstance(value, bool)):
        return Window(None, parse_expr(value))
    if not isinstance(value, str):
        raise ExprError(f"непонятное окно: {WINDOW_HINT}")
    text = value.strip()
    if not text or len(text) > MAX_EXPR_CHARS:
        raise ExprError(f"непонятное окно «{text[:80]}»: {WINDOW_HINT}")
    parts = _window_parts(text)
    if len(parts) == 1:
        single = parse_expr(parts[0])
        return Window(single if isinstance(single, MonthRef) else None, single)
    if len(parts) != 2:
        raise ExprError(f"непонятное окно «{text}»: {WINDOW_HINT}")
    first, last = parse_expr(parts[0]), parse_expr(parts[1])
    if isinstance(first, Relative) or isinstance(last, Relative):
        raise ExprError(f"окно «{text}»: сдвиги от событий пишите словарём {{start: …, due: …}}")
    return Window(_year_from_end(first, last, text), last)


WINDOW_HINT = "ожидается месяц (ноябрь 2022), диапазон (март – апрель 2023, с 01.10.24 по 15.10.24) или {start: …, due: …}"


def _window_parts(text: str) -> list[str]:
    words = _RANGE_WORDS.match(text)
    if words:
        return [words["a"].strip(), words["b"].strip()]
    return [part.strip() for part in _RANGE_DASH.split(text) if part.strip()]


def _year_from_end(first: DateExpr, last: DateExpr, original: str) -> DateExpr:
    """A window's start written without a year takes the end's (see module docstring)."""
    year = last.year if isinstance(last, MonthRef) else last.day.year if isinstance(last, Absolute) else None
    if year is None:
        return first
    end_month = last.month if isinstance(last, MonthRef) else last.day.month if isinstance(last, Absolute) else 12
    if isinstance(first, MonthRef) and first.year is None:
        return MonthRef(first.month, year if first.month <= end_month else year - 1)
    if isinstance(first, DayMonth) and isinstance(last, Absolute):
        start_year = year if (first.month, first.day) <= (last.day.month, last.day.day) else year - 1
        return Absolute(_make_date(start_year, first.month, first.day, original), first.time, first.stated_weekday)
    return first


def _parse_plain(text: str, original: str, weekday: int | None) -> DateExpr | None:
    if m := _ISO.match(text):
        day = _make_date(int(m[1]), int(m[2]), int(m[3]), original)
        return Absolute(day, _make_time(m[4], m[5], original), weekday)
    if m := _DOTTED.match(text):
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        day = _make_date(year, int(m[2]), int(m[1]), original)
        return Absolute(day, _make_time(m[4], m[5], original), weekday)
    if m := _DAY_MONTH_DOTTED.match(text):
        _check_day_month(int(m[1]), int(m[2]), original)
        return DayMonth(int(m[1]), int(m[2]), weekday)
    if m := _DAY_MONTH_WORD.match(text):
        month = russian.month_number(m[2])
        if month is None:
            return None
        if m[3]:
            return Absolute(_make_date(int(m[3]), month, int(m[1]), original), None, weekday)
        _check_day_month(int(m[1]), month, original)
        return DayMonth(int(m[1]), month, weekday)
    if m := _YEAR_MONTH.match(text):
        if not 1 <= int(m[2]) <= 12:
            raise ExprError(f"такого месяца не существует: «{original}»")
        _check_year(int(m[1]), f"«{original}»")
        return MonthRef(int(m[2]), int(m[1]))
    if m := _MONTH_WORD.match(text):
        month = russian.month_number(m[1])
        if month and m[2]:
            _check_year(int(m[2]), f"«{original}»")
        return MonthRef(month, int(m[2]) if m[2] else None) if month else None
    if m := _NTH.match(text):
        return _parse_nth_words(m, original)
    return None


def _parse_nth_words(m: re.Match[str], original: str) -> NthWeekday | None:
    nth = russian.ordinal_number(m["nth"])
    weekday = russian.weekday_number(m["wd"])
    month = russian.month_number(m["month"])
    if nth is None or weekday is None or month is None:
        return None
    if m["year"]:
        _check_year(int(m["year"]), f"«{original}»")
    return NthWeekday(nth, weekday, month, int(m["year"]) if m["year"] else None, bool(m["working"]))


def _parse_nth_mapping(value: dict[str, object]) -> NthWeekday:
    allowed = {"nth", "weekday", "month", "year", "working", "time"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ExprError(f"неизвестные поля {', '.join(unknown)}; допустимы: {', '.join(sorted(allowed))}")
    try:
        nth = _int(value["nth"])
        weekday = russian.weekday_number(str(value["weekday"]))
        month_value = value["month"]
        month = month_value if isinstance(month_value, int) else russian.month_number(str(month_value))
    except KeyError as missing:
        raise ExprError(f"для «n-го дня недели месяца» нужно поле {missing}") from None
    except (TypeError, ValueError, OverflowError):  # OverflowError: nth: .inf
        raise ExprError("nth должно быть числом от 1 до 5 или -1 (последний)") from None
    if nth not in (1, 2, 3, 4, 5, -1):
        raise ExprError("nth должно быть числом от 1 до 5 или -1 (последний)")
    if weekday is None:
        raise ExprError(f"неизвестный день недели «{value['weekday']}»")
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ExprError(f"неизвестный месяц «{value['month']}»")
    year = value.get("year")
    if year is not None and not (
        (isinstance(year, int) and not isinstance(year, bool)) or (str(year).isascii() and str(year).isdigit())
    ):
        raise ExprError(f"год «{str(year)[:20]}» нужно записать цифрами, например 2025")
    if year is not None and (len(str(year).lstrip("0")) > 4 or not year_in_range(_int(year))):
        raise out_of_range(f"«{str(year)[:20]} г.»", _int(year) if len(str(year)) <= 20 else None)
    time = _mapping_time(value.get("time"))
    return NthWeekday(nth, weekday, month, _int(year) if year is not None else None, bool(value.get("working", False)), time)


def _mapping_time(value: object) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value)[:20])
    if not match:
        raise ExprError(f"время записывается как 10:00, а не «{str(value)[:20]}»")
    return _make_time(match[1], match[2], str(value))


def _int(value: object) -> int:
    """`int(value)` for a value as YAML gave it; TypeError for what `int()` does not take."""
    if isinstance(value, (str, bytes, bytearray, SupportsInt, SupportsIndex)):
        return int(value)
    raise TypeError(f"int() can't convert {type(value).__name__}")


def _parse_relative(m: re.Match[str], original: str) -> Relative:
    edge = m["edge"]
    if edge not in EVENT_EDGES + STAGE_EDGES:
        raise ExprError(
            f"«{original}»: после точки ожидается start, end (для события) или start, due, done (для этапа), а не «{edge}»"
        )
    offset = None
    if m["sign"]:
        offset = _offset(m["sign"], m["amount"], m["unit"], original)
    if edge == "done" and offset is not None and offset.amount < 0:
        raise ExprError(
            f"«{original}»: нельзя отсчитывать срок назад от выполнения этапа — "
            "выполнение ещё не известно заранее; используйте .due"
        )
    return Relative(m["anchor"], edge, offset)
