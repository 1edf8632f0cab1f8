"""Russian deadline phrases → the structured deadline forms of docs/roadmap-format.md.

A table of rules, tried in order; each is a name, a pattern over the normalised phrase and a
builder that turns the match into a `Form` (or declines, and the next rule is tried). The phrase
is normalised first (`normalize`): one line, lower case, dashes unified, «г.», «года», «гг.» after
years dropped, «в течении» → «в течение». What the rules give:

| document | form | roadmap |
|---|---|---|
| до 01.09.2024г., 20.09.2024 (пятница), в срок до, не позднее 10 августа, 25 сент. | `Fixed(due)` | `due: 2024-09-01` |
| с 01.10.24 по 15.10.24, с 20.09. до 25.09.2024, Март-май 2020г., 1–15 октября | `Fixed(start, due)` | `start` + `due` |
| Март; в течение сентября; I полугодие; 2 четверть | `Fixed(start, due)` over months | `start: март 2024` + `due: март 2024` |
| сентябрь 2022 г, март 2023г | `Months` | `months: [сентябрь 2022, март 2023]` |
| ноябрь 2022, март – апрель 2023; 10.10.2024, 15.11.2024 | `Windows` | `windows: [ноябрь 2022, март 2023 – апрель 2023]` |
| первая среда декабря | `Fixed(due=Nth)` | `due: первая среда декабря` |
| ежемесячно (до 25 числа), раз в четверть/триместр/полугодие, еженедельно по пятницам | `Recurring` | `recurring: {every: …}` |
| постоянно, в течение года, круглогодично, систематически | `Keyword("continuous")` | `due: continuous` |
| незамедлительно | `Keyword("immediately")` | `due: immediately` + `depends_on` |
| за 3 дня до тестирования; за 2 месяца до проведения по предмету | `Anchored(edge=start, shift<0)` | `due: testing.start - 3d`, `vpr.start - 2mo` (group) |
| в течение 3 рабочих дней после выгрузки; сразу же по окончании ЕМ СПТ | `Anchored(after, shift>0)` | `due: upload.done + 3wd`, `spt.end + 1wd` |
| на период проведения СПТ | `Anchored(window)` | `start: spt.start` + `due: spt.end` |
| согласно графику проведения ВПР; по плану СОИРО | `Scheduled` | an event without dates, `start`/`due` on it |
| по мере поступления, по необходимости, по запросу | `Trigger` | `trigger: …` |

What a phrase names (`Ref`: «выгрузки», «ЕМ СПТ», «проведения по предмету») is bound to a stage or
an event by the importer (`cyclogram.importing.assemble`), which knows the other stages. Lists
(«ноябрь 2022, март – апрель 2023», «По планам РМО, август», «Август. сентябрь») are split when the
whole phrase matches no rule: a list of single months is `Months`, a list of dates, months and
ranges is `Windows` (one occurrence each); a list mixing them with other forms («По планам РМО,
август») keeps its first concrete item as the structure and the rest is a note for review.

Years: `resolve_years` gives every day and month its year — written ones are kept (two digits are
20xx), missing ones come from the academic year (September–December the first year, January–August
the second), a range or list keeps its order («январь - сентябрь» ends in the September after;
«Август. сентябрь» starts in the August before), and each of those choices, a weekday that does
not match its date and a date outside the academic year are notes for review. Nothing uncertain is
silent: a rule that had to assume something says so in `Parsed.notes`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from cyclogram.engine import russian
from cyclogram.engine.model import AcademicYear
from cyclogram.importing.text import one_line

# --- the forms ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: int
    month: int
    year: int | None = None
    weekday: int | None = None  # the weekday the document wrote next to the date
    time: dt.time | None = None
    inferred: bool = False  # the year was not written


@dataclass(frozen=True)
class Month:
    month: int
    year: int | None = None
    inferred: bool = False


@dataclass(frozen=True)
class Nth:
    text: str  # «первая среда декабря», resolved by the engine


Point = Day | Month | Nth
DayOrMonth = Day | Month


@dataclass(frozen=True)
class Ref:
    """Something a deadline hangs on, as the document names it."""

    name: str  # «выгрузки», «ЕМ СПТ», «графиком проведения ВПР»
    group: bool = False  # «по предмету»: one event per subject


@dataclass(frozen=True)
class Shift:
    amount: int  # signed
    unit: str  # d, wd, w, mo, h


@dataclass(frozen=True)
class Fixed:
    due: Point
    start: Point | None = None


@dataclass(frozen=True)
class Months:
    months: tuple[Month, ...]


@dataclass(frozen=True)
class Windows:
    """Several windows or dates, each one occurrence («ноябрь 2022, март – апрель 2023»)."""

    windows: tuple[Fixed, ...]


@dataclass(frozen=True)
class Recurring:
    every: str  # week | month | quarter | trimester | half_year
    day: int | None = None
    weekday: str | None = None


@dataclass(frozen=True)
class Keyword:
    word: str  # continuous | immediately


@dataclass(frozen=True)
class Anchored:
    ref: Ref | None  # None: the phrase does not say what («за 3 дня»)
    edge: str  # start | end (the end of a stage is its completion)
    shift: Shift | None = None
    window: bool = False  # «на период проведения X»: from X's start to its end
    after: bool = False  # counted after X, which may then be a stage


@dataclass(frozen=True)
class Scheduled:
    ref: Ref


@dataclass(frozen=True)
class Trigger:
    text: str
    within: Shift | None = None  # «в течение 2 рабочих дней со дня получения запроса»: each occurrence's time


Form = Fixed | Months | Windows | Recurring | Keyword | Anchored | Scheduled | Trigger


@dataclass(frozen=True)
class Parsed:
    text: str  # as written
    form: Form | None
    rules: tuple[str, ...] = ()  # the rules that matched, one per item of a list
    notes: tuple[str, ...] = ()  # what a person should check
    understood: bool = True  # every part of the phrase matched a rule


Built = tuple[Form, tuple[str, ...]] | None
MAX_PHRASE = 300


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    build: Callable[[re.Match[str], str], Built]  # (match, the phrase with its case) → form and notes
    prefix: bool = False  # the pattern only needs to match the phrase's beginning


# --- vocabulary ----------------------------------------------------------------------------------------

MONTH_WORD = (
    r"(?:январ[а-яё]*|феврал[а-яё]*|март[а-яё]*|апрел[а-яё]*|ма[йяе]|июн[а-яё]*|июл[а-яё]*|август[а-яё]*|"
    r"сентябр[а-яё]*|октябр[а-яё]*|ноябр[а-яё]*|декабр[а-яё]*|янв|февр|фев|мар|апр|июн|июл|авг|сент|сен|окт|нояб|ноя|дек)"
    r"\.?(?![а-яё])"
)
WEEKDAY_NOTE = (
    r"(?:\s*,?\s*\(?\s*(?<![а-яё])(?:понедельник|вторник|сред[аыу]|четверг|пятниц[аыу]|суббот[аыу]|воскресень[еяю]|пн|вт|ср|чт|пт|сб|вс)"
    r"\.?\s*\)?)?"
)
# In the phrase patterns a month is any word (validated by `parse_point`): the exact alternation of
# every month form, repeated in each range pattern, made importing the module slow to compile.
WORD = r"[а-я]{3,}\.?(?![а-я])"
DATE = rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}\.\d{{1,2}}(?:\.(?:\d{{4}}|\d{{2}}))?\.?|\d{{1,2}} {WORD}(?: \d{{4}})?)(?: (?:в )?\d{{1,2}}:\d{{2}})?{WEEKDAY_NOTE}"
MONTH = rf"(?:{WORD}(?: \d{{4}})?|\d{{1,2}}\.\d{{4}})"
POINT = rf"(?:{DATE}|{MONTH})"
NUMBER_WORDS = {
    "один": 1, "одну": 1, "одного": 1, "одной": 1, "два": 2, "две": 2, "двух": 2, "три": 3, "трёх": 3, "трех": 3,
    "четыре": 4, "четырёх": 4, "четырех": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7,
    "десять": 10, "десяти": 10, "пятнадцать": 15, "пятнадцати": 15, "тридцать": 30, "тридцати": 30,
}  # fmt: skip
NUM = r"(?P<n>\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?:-?х|-?ти|-?ми|-?и)?"
UNIT = (
    r"(?P<u>(?:рабоч(?:ий|их|его|ие)|календарн(?:ый|ых|ого|ые)) (?:дн(?:я|ей|ь)|сут(?:ки|ок))|дн(?:я|ей|ь)|сут(?:ки|ок)|"
    r"недел(?:я|и|ю|ь)|месяц(?:а|ев)?|час(?:а|ов)?)"
)
OFFSET = rf"(?:{NUM} )?{UNIT}"
NAME = r"(?P<name>[^\d].*)"
_GROUP_NAME = re.compile(r"по (?:каждому )?(?:соответствующ\w+ )?(?:учебн\w+ )?предмет", re.IGNORECASE)

QUARTERS = {1: (9, 10), 2: (11, 12), 3: (1, 3), 4: (4, 5)}
TRIMESTERS = {1: (9, 11), 2: (12, 2), 3: (3, 5)}
HALF_YEARS = {1: (9, 12), 2: (1, 5)}
ORDINALS = {"1": 1, "i": 1, "перв": 1, "2": 2, "ii": 2, "втор": 2, "3": 3, "iii": 3, "трет": 3, "4": 4, "iv": 4, "четв": 4}


def month_of(word: str) -> int | None:
    """A month in any case form or abbreviation: «сентября», «сент.», «Сен» → 9."""
    w = word.strip().lower().rstrip(".")
    found = russian.month_number(w)
    if found is not None:
        return found
    if len(w) >= 3:
        for stem, number in russian.MONTH_STEMS.items():
            if stem != "ма" and stem.startswith(w):
                return number
    return None


def _ordinal(text: str) -> int | None:
    t = text.lower()
    for key, value in ORDINALS.items():
        if t == key or (len(key) > 3 and t.startswith(key)):
            return value
    return None


# --- normalising and reading pieces ----------------------------------------------------------------------

_YEAR_SUFFIX = re.compile(r"(\d{4}|\d{1,2}\.\d{1,2}\.\d{2,4})\s*(?:гг|г|года|год)\.?(?![а-яёa-z])", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"\b(\d{4})\s*-\s*(\d{4})\b")


def normalize(text: str) -> str:
    """One line, dashes unified, year words dropped, common misspellings fixed (case kept)."""
    value = one_line(text).replace("–", "-").replace("—", "-").replace("−", "-").replace("ё", "е").replace("Ё", "Е")
    value = _YEAR_SUFFIX.sub(r"\1", value)
    value = re.sub(r"\s+-\s*|\s*-\s+", " - ", value)  # a spaced dash; «план-график», «Март-май» stay whole
    value = re.sub(r"\bв течени[ия]\b", "в течение", value, flags=re.IGNORECASE)
    value = re.sub(r"\bв теч\.\s*", "в течение ", value, flags=re.IGNORECASE)
    value = re.sub(r"\bуч\.\s*г(?:од[а-я]*|\.)?(?![а-я])", "учебного года", value, flags=re.IGNORECASE)
    value = re.sub(r"^(?:срок|сроки)\s*[:\-]\s*", "", value, flags=re.IGNORECASE)
    value = re.sub(r"\(\s*", "(", re.sub(r"\s*\)", ")", value))
    return value.strip(" .;,")


_WEEKDAY_TAIL = re.compile(WEEKDAY_NOTE.replace("(?:", "(?P<wd>", 1)[:-1] + "$")
_TIME_TAIL = re.compile(r"\s+(?:в\s+)?(\d{1,2}):(\d{2})$")


def parse_point(text: str) -> Point | None:
    """One day or month as written: 01.09.2024, 20.09., 10 августа, 25 сент. 2024, март 2023, 09.2024."""
    value = text.strip()
    weekday = None
    tail = _WEEKDAY_TAIL.search(value)
    if tail and tail.group("wd") and tail.group("wd").strip():
        weekday = russian.weekday_number(re.sub(r"[^а-яё]", "", tail.group("wd")))
        value = value[: tail.start()].strip()
    time = None
    if match := _TIME_TAIL.search(value):
        if int(match[1]) > 23 or int(match[2]) > 59:
            return None
        time = dt.time(int(match[1]), int(match[2]))
        value = value[: match.start()]
    return _day(value, weekday, time) or (_month(value) if weekday is None and time is None else None)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if len(text) == 2 else year


def _valid(day: int, month: int, year: int | None) -> bool:
    try:
        dt.date(year or 2024, month, day)  # 2024: 29.02 may exist
    except ValueError:
        return False
    return year is None or 1900 <= year <= 2200


def _day(value: str, weekday: int | None, time: dt.time | None) -> Day | None:
    year: int | None
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
        day, month, year = int(m[3]), int(m[2]), int(m[1])
    elif m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?\.?", value):
        day, month, year = int(m[1]), int(m[2]), _year(m[3])
    elif m := re.fullmatch(rf"(\d{{1,2}}) ({MONTH_WORD})(?: (\d{{4}}))?", value):
        found = month_of(m[2])
        if found is None:
            return None
        day, month, year = int(m[1]), found, _year(m[3])
    else:
        return None
    return Day(day, month, year, weekday, time) if _valid(day, month, year) else None


def _month(value: str) -> Month | None:
    if m := re.fullmatch(r"(\d{1,2})\.(\d{4})", value):
        month, written = int(m[1]), int(m[2])
        return Month(month, written) if 1 <= month <= 12 and 1900 <= written <= 2200 else None
    if m := re.fullmatch(rf"({MONTH_WORD})(?: (\d{{4}}))?", value):
        found = month_of(m[1])
        year = _year(m[2])
        if found is None or (year is not None and not 1900 <= year <= 2200):
            return None
        return Month(found, year)
    return None


def _amount(m: re.Match[str]) -> int:
    written = m.groupdict().get("n")
    if not written:
        return 1
    return int(written) if written.isdigit() else NUMBER_WORDS[written]


def _unit(word: str) -> str:
    if word.startswith("рабоч"):
        return "wd"
    if word.startswith(("дн", "сут", "календарн")):
        return "d"
    if word.startswith("недел"):
        return "w"
    if word.startswith("месяц"):
        return "mo"
    return "h"


def _shift(m: re.Match[str], sign: int) -> Shift:
    return Shift(sign * _amount(m), _unit(m["u"]))


def _name(m: re.Match[str], cased: str) -> str | None:
    """The named thing with its original case (ЕМ СПТ); None when it is a date or a number."""
    name = cased[m.start("name") : m.end("name")].strip(' ,.;:()«»"')
    if not name or re.search(r"\d", name) or parse_point(name.lower()) is not None:
        return None
    return name


def _ref(m: re.Match[str], cased: str) -> Ref | None:
    name = _name(m, cased)
    return Ref(name, bool(_GROUP_NAME.search(name))) if name else None


# --- builders ---------------------------------------------------------------------------------------------


def _keyword(word: str, *notes: str) -> Callable[[re.Match[str], str], Built]:
    return lambda m, cased: (Keyword(word), notes)


def _every(period: str) -> Callable[[re.Match[str], str], Built]:
    return lambda m, cased: (Recurring(period), ())


def _monthly(m: re.Match[str], cased: str) -> Built:
    day = m.groupdict().get("day")
    if day and not 1 <= int(day) <= 31:
        return None
    return Recurring("month", int(day) if day else None), ()


def _weekly(m: re.Match[str], cased: str) -> Built:
    written = m.groupdict().get("wd")
    if not written:
        return Recurring("week"), ()
    weekday = russian.weekday_number(written)
    return (Recurring("week", weekday=russian.WEEKDAY_NAMES[weekday]), ()) if weekday is not None else None


def _trigger(m: re.Match[str], cased: str) -> Built:
    return Trigger(cased), ()


def _scheduled(m: re.Match[str], cased: str) -> Built:
    name = cased[m.start("name") : m.end("name")].strip(" ,.;:")
    lowered = name.lower()
    if re.search(r"\d", name) or any(month_of(word) for word in re.findall(r"[а-яё]+", lowered) if len(word) >= 3):
        return None  # «по планам РМО, август»: a list, read item by item
    return Scheduled(Ref(name, bool(_GROUP_NAME.search(name)))), ()


def _before(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    return (Anchored(ref, "start", _shift(m, -1)), ()) if ref else None


def _before_unnamed(m: re.Match[str], cased: str) -> Built:
    return Anchored(None, "start", _shift(m, -1)), ("не сказано, до чего отсчитывать срок",)


def _eve(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    return (Anchored(ref, "start", Shift(-1, "wd")), ("«накануне» принято как за 1 рабочий день",)) if ref else None


# What comes from outside, any number of times: «со дня получения запроса», «с момента поступления обращения».
_OUTSIDE = re.compile(r"^(?:получени|поступлени|обращени|запрос|заявк|выявлени)", re.IGNORECASE)


def _after_within(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    if ref is None:
        return None
    if _OUTSIDE.match(ref.name):
        return Trigger(cased, _shift(m, 1)), ()
    return Anchored(ref, "end", _shift(m, 1), after=True), ()


def _right_after(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    return (Anchored(ref, "end", Shift(1, "wd"), after=True), ()) if ref else None


def _at_end(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    return (Anchored(ref, "end", None, after=True), ()) if ref else None


def _after_plain(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    note = "«после» без срока: принят следующий рабочий день"
    return (Anchored(ref, "end", Shift(1, "wd"), after=True), (note,)) if ref else None


def _during(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    return (Anchored(ref, "start", None, window=True), ()) if ref else None


def _until_start(m: re.Match[str], cased: str) -> Built:
    ref = _ref(m, cased)
    return (Anchored(ref, "start", None), ()) if ref else None


def _point(m: re.Match[str], group: str) -> Point | None:
    return parse_point(m[group])


def _range(m: re.Match[str], cased: str) -> Built:
    start, due = _point(m, "a"), _point(m, "b")
    if start is None or due is None or type(start) is not type(due):
        if isinstance(start, Day) and isinstance(due, Month):  # «с 15 сентября по октябрь»: to the month's end
            return Fixed(due, start), ()
        return None
    return Fixed(due, start), ()


def _day_range(m: re.Match[str], cased: str) -> Built:
    month = month_of(m["m"])
    year = _year(m.groupdict().get("y"))
    first, last = int(m["d1"]), int(m["d2"])
    if month is None or not (_valid(first, month, year) and _valid(last, month, year)) or first > last:
        return None
    return Fixed(Day(last, month, year), Day(first, month, year)), ()


def _due_day(m: re.Match[str], cased: str) -> Built:
    point = _point(m, "a")
    return (Fixed(point), ()) if isinstance(point, Day) else None


def _in_month(m: re.Match[str], cased: str) -> Built:
    point = _point(m, "a")
    if not isinstance(point, Month):
        return None
    lead = (m.groupdict().get("lead") or "").strip()
    if lead in ("до конца", "к концу", "не позднее конца", "до окончания"):
        return Fixed(point), ()
    if lead in ("до", "не позднее", "не позже", "к"):
        return Fixed(point), (f"«{cased}»: принят конец месяца",)
    return Fixed(point, point), ()


def _part_of_month(m: re.Match[str], cased: str) -> Built:
    point = _point(m, "a")
    if not isinstance(point, Month):
        return None
    part = m["part"]
    if part.startswith("кон"):
        return Fixed(point), ()
    day = 10 if part.startswith("начал") else 15
    note = f"«{cased}»: принято {day} {russian.MONTH_GENITIVE[point.month - 1]}"
    return Fixed(Day(day, point.month, point.year), Month(point.month, point.year) if day == 10 else None), (note,)


def _nth(m: re.Match[str], cased: str) -> Built:
    from cyclogram.engine import timeexpr

    try:
        parsed = timeexpr.parse_expr(m["x"])
    except timeexpr.ExprError:
        return None
    return (Fixed(Nth(m["x"])), ()) if isinstance(parsed, timeexpr.NthWeekday) else None


def _school_part(m: re.Match[str], cased: str) -> Built:
    number = _ordinal(m["n"])
    table = {"четверт": QUARTERS, "триместр": TRIMESTERS, "полугоди": HALF_YEARS}[m["part"]]
    if number is None or number not in table:
        return None
    first, last = table[number]
    return Fixed(Month(last), Month(first)), ()


def _year_end(m: re.Match[str], cased: str) -> Built:
    if m["kind"] and "учебн" in m["kind"]:
        return Fixed(Day(31, 5)), ("«до конца учебного года»: принято 31 мая",)
    return Fixed(Day(31, 12)), ()


def _twice_a_year(m: re.Match[str], cased: str) -> Built:
    return Recurring("half_year"), ("«2 раза в год» принято как раз в полугодие",)


PREFIX_DUE = r"(?:(?:в срок |в срок не позднее |в срок до |не позднее |не позже |до |к |по |срок )?)"

RULES: tuple[Rule, ...] = tuple(
    Rule(name, re.compile(pattern), build, prefix)  # matched against the lower-cased phrase
    for name, pattern, build, prefix in (
        (
            "постоянно",
            r"(?:постоянно|круглогодично|круглый год|систематически|регулярно|в течение (?:всего )?(?:учебного |календарного |"
            r"отчетного )?(?:года|периода)(?: \d{4}-\d{4})?|весь (?:учебный )?год|на протяжении (?:всего )?(?:учебного )?года|"
            r"в течение \d{4}-\d{4} (?:учебного )?года|в течение всего учебного года|в течение учебного года|"
            r"\d{4}-\d{4}(?: учебн[а-я]+ год[а-я]*)?)",
            _keyword("continuous"),
            False,
        ),
        ("ежедневно", r"(?:ежедневно|каждый день)", _keyword("continuous", "«ежедневно» принято как «постоянно»"), False),
        ("незамедлительно", r"(?:незамедлительно|немедленно|безотлагательно|сразу)", _keyword("immediately"), False),
        (
            "ежемесячно",
            r"(?:ежемесячно|раз в месяц|1 раз в месяц|каждый месяц)(?:[ ,]+(?:до|к|не позднее) (?P<day>\d{1,2})(?:-?го|-?му)? числ[аоу]?"
            r"(?: каждого месяца)?)?",
            _monthly,
            False,
        ),
        (
            "до N числа каждого месяца",
            r"(?:ежемесячно )?(?:до|к|не позднее) (?P<day>\d{1,2})(?:-?го|-?му)? числ[аоу]? (?:каждого месяца|ежемесячно)",
            _monthly,
            False,
        ),
        (
            "раз в четверть",
            r"(?:ежеквартально|поквартально|раз в (?:квартал|четверть)|1 раз в (?:квартал|четверть)|(?:по итогам|в конце) "
            r"(?:каждой )?четверти|по четвертям)",
            _every("quarter"),
            False,
        ),
        (
            "раз в триместр",
            r"(?:раз в триместр|1 раз в триместр|(?:по итогам|в конце) (?:каждого )?триместра|по триместрам)",
            _every("trimester"),
            False,
        ),
        (
            "раз в полугодие",
            r"(?:раз в полугодие|1 раз в полугодие|(?:по итогам|в конце) (?:каждого )?полугодия|по полугодиям)",
            _every("half_year"),
            False,
        ),
        ("2 раза в год", r"(?:2|два) раза в (?:учебный )?год", _twice_a_year, False),
        (
            "еженедельно",
            r"(?:еженедельно|раз в неделю|1 раз в неделю|каждую неделю)(?:[ ,]+(?:по|в) (?P<wd>[а-я]+))?",
            _weekly,
            False,
        ),
        (
            "по пятницам",
            r"(?:каждую|каждый|каждое|по) (?P<wd>(?:понедельник|вторник|сред|четверг|пятниц|суббот)[а-я]*)",
            _weekly,
            False,
        ),
        (
            "по мере поступления",
            r"(?:по мере|по необходимости|при необходимости|по запросу|по требованию|по факту|по поступлении|при поступлении|"
            r"в случае|по обращени|по заявк|при наличии)",
            _trigger,
            True,
        ),
        (
            "согласно графику",
            r"(?:согласно|в соответствии со?|по|в сроки,? установленные|в сроки по)\s+(?P<name>(?:план[а-я]*[- ]график[а-я]*|"
            r"график[а-я]*|план[а-я]*|расписани[а-я]*|регламент[а-я]*|приказ[а-я]*|срок[а-я]*|календар[а-я]*|распоряжени[а-я]*|"
            r"рособрнадзор[а-я]*|порядк[а-я]*)(?:\W.*)?)",
            _scheduled,
            False,
        ),
        ("в установленные сроки", r"в (?P<name>(?:установленные|утвержденные) сроки(?: .*)?)", _scheduled, False),
        (
            "за N до X",
            rf"(?:не позднее,? чем |не позже,? чем |не менее,? чем )?за {OFFSET} до (?:начала |проведения |дня |даты )?{NAME}",
            _before,
            False,
        ),
        ("за N", rf"(?:не позднее,? чем |не менее,? чем )?за {OFFSET}(?: до)?", _before_unnamed, False),
        ("накануне X", rf"накануне (?:проведения |начала )?{NAME}", _eve, False),
        (
            "сразу после окончания X в течение N",
            rf"(?:сразу же |сразу )?(?:после|по) (?:окончани[яи]|завершени[яи]|проведени[яи]) (?P<name>.+?),? в течение {OFFSET}",
            _after_within,
            False,
        ),
        (
            "в течение N после X",
            rf"(?:в течение|не позднее|не позже|через|в срок не позднее|в срок до) {OFFSET} (?:после|со дня|с момента|с даты|от даты|"
            rf"с|по окончании|по завершении|после окончания|после завершения|после проведения) (?:окончания |завершения |"
            rf"проведения )?{NAME}",
            _after_within,
            False,
        ),
        ("N после X", rf"{OFFSET} (?:после|со дня) (?:окончания |завершения |проведения )?{NAME}", _after_within, False),
        (
            "сразу после X",
            rf"(?:сразу же|сразу|незамедлительно|немедленно) (?:после|по) (?:окончани[яи] |завершени[яи] |проведени[яи] )?{NAME}",
            _right_after,
            False,
        ),
        (
            "по окончании X",
            rf"(?:по|после) (?:окончани[яи]|завершени[яи]|итогам|результатам|проведени[яи]) {NAME}",
            _at_end,
            False,
        ),
        ("после X", rf"после {NAME}", _after_plain, False),
        (
            "на период проведения X",
            rf"(?:(?:на|в) (?:период|время|дни|день|ходе)|во время|в рамках) (?:подготовки и проведения |проведения )?{NAME}",
            _during,
            False,
        ),
        ("до начала X", rf"(?:до|к) (?:начал[уа]|проведени[юя]|старт[уа]) {NAME}", _until_start, False),
        ("с A по B", rf"(?:в период )?с (?P<a>{POINT}) (?:по|до|-) (?P<b>{POINT})", _range, False),
        ("A - B", rf"{PREFIX_DUE}(?:в |в период )?(?P<a>{POINT}) ?- ?(?P<b>{POINT})", _range, False),
        (
            "N-M месяца",
            rf"(?:с )?(?P<d1>\d{{1,2}}) ?(?:-|по|до) ?(?P<d2>\d{{1,2}}) (?P<m>{WORD})(?: (?P<y>\d{{4}}))?",
            _day_range,
            False,
        ),
        ("до даты", rf"{PREFIX_DUE}(?P<a>{DATE})", _due_day, False),
        (
            "месяц",
            rf"(?P<lead>в |в течение |на протяжении |весь |до конца |к концу |не позднее конца |до окончания |до |не позднее |"
            rf"не позже |к )?(?P<a>{MONTH})",
            _in_month,
            False,
        ),
        (
            "начало/конец месяца",
            rf"(?:в )?(?P<part>начал[еоа]|середин[еау]|конц[еа]|конец) (?P<a>{MONTH})",
            _part_of_month,
            False,
        ),
        ("первая среда декабря", r"(?:в )?(?P<x>(?:перв|втор|трет|четв|пят|последн)[а-я]* .+)", _nth, False),
        (
            "I полугодие",
            r"(?:в )?(?P<n>[1-4]|i{1,3}|iv|перв[а-я]*|втор[а-я]*|трет[а-я]*|четв[а-я]*)(?:-?[йяео]+)? (?P<part>четверт|триместр|полугоди)[а-я]*",
            _school_part,
            False,
        ),
        ("до конца года", r"(?:до|к) (?:конца|окончания) (?P<kind>учебного |календарного )?года", _year_end, False),
    )
)

_LIST_SEPARATOR = re.compile(r"\s*(?:;|,|\n| и |\.\s+(?=[а-яa-z]))\s*", re.IGNORECASE)


def _match(phrase: str) -> tuple[str, Form, tuple[str, ...]] | None:
    lowered = phrase.lower()
    for rule in RULES:
        match = rule.pattern.match(lowered) if rule.prefix else rule.pattern.fullmatch(lowered)
        if match is None:
            continue
        built = rule.build(match, phrase)
        if built is not None:
            return rule.name, built[0], built[1]
    return None


_TRAILING_NOTE = re.compile(r"\s*\(([^()]*)\)\s*\.?$")


def parse(text: str) -> Parsed:
    """One deadline cell → its form, the rules that matched and notes for review (module docstring)."""
    phrase = normalize(text)
    if not phrase or len(phrase) > MAX_PHRASE:  # a paragraph in the deadline column is not a deadline
        return Parsed(text, None, understood=False)
    whole = _match(phrase)
    dropped: tuple[str, ...] = ()
    if whole is None and "(" in phrase:  # «за 3 дня (до тестирования)»: the brackets only clarify
        bracketed = phrase
        phrase = one_line(re.sub(r"[()]", " ", phrase))
        whole = _match(phrase)
        note = _TRAILING_NOTE.search(bracketed)
        if whole is None and note is not None:  # «30 сентября (1 этап)»: a note after the date
            whole = _match(bracketed[: note.start()])
            dropped = (f"пояснение в скобках не вошло в срок: «{note.group(1)}»",)
    if whole is not None:
        name, form, notes = whole
        return Parsed(text, form, (name,), notes + dropped)
    items = [item for item in _LIST_SEPARATOR.split(phrase) if item.strip()]
    if len(items) < 2:
        return Parsed(text, None, understood=False)
    return _list(text, items)


def _list(text: str, items: list[str]) -> Parsed:
    matched = [(item, _match(item.strip(" .;,"))) for item in items]
    understood = all(found is not None for _, found in matched)
    found = [(item, hit) for item, hit in matched if hit is not None]
    if not found:
        return Parsed(text, None, understood=False)
    rules = tuple(hit[0] for _, hit in found)
    notes = tuple(note for _, hit in found for note in hit[2])
    forms = [hit[1] for _, hit in found]
    months = _as_months(forms)
    if months is not None and understood:
        return Parsed(text, months, rules, notes)
    windows = _as_windows(forms)
    if windows is not None and understood:
        return Parsed(text, windows, rules, notes)
    chosen = next((i for i, f in enumerate(forms) if isinstance(f, (Fixed, Months, Recurring))), 0)
    others = [item for index, (item, _) in enumerate(found) if index != chosen] + [item for item, hit in matched if hit is None]
    note = (
        f"в документе несколько сроков; в дорожной карте — только «{found[chosen][0]}», "
        f"остальное проверьте и внесите отдельными этапами: «{'», «'.join(others)}»"
    )
    return Parsed(text, forms[chosen], rules, (*notes, note), understood)


def _as_months(forms: list[Form]) -> Months | None:
    """Every item a single month (or months): one `Months` form."""
    months: list[Month] = []
    for form in forms:
        if isinstance(form, Months):
            months.extend(form.months)
        elif isinstance(form, Fixed) and isinstance(form.due, Month) and form.start == form.due:
            months.append(form.due)
        else:
            return None
    return Months(tuple(months)) if len(months) >= 2 else None


def _as_windows(forms: list[Form]) -> Windows | None:
    """Every item a date, a month or a range of them (no weekday rule like «первая среда»): one
    `Windows` form, a month list item being a window of its own."""
    windows: list[Fixed] = []
    for form in forms:
        if isinstance(form, Months):
            windows += [Fixed(month, month) for month in form.months]
        elif isinstance(form, Fixed) and not isinstance(form.due, Nth) and not isinstance(form.start, Nth):
            windows.append(form)
        else:
            return None
    return Windows(tuple(windows)) if len(windows) >= 2 else None


# --- years -------------------------------------------------------------------------------------------------


def point_date(point: Day | Month, end: bool = False) -> dt.date:
    """The date a point stands for (a month: its first or last day); the year must be known."""
    assert point.year is not None
    if isinstance(point, Day):
        import calendar

        return dt.date(point.year, point.month, min(point.day, calendar.monthrange(point.year, point.month)[1]))
    if end:
        import calendar

        return dt.date(point.year, point.month, calendar.monthrange(point.year, point.month)[1])
    return dt.date(point.year, point.month, 1)


def _with_year(point: DayOrMonth, year: int) -> DayOrMonth:
    if point.year is not None:
        return point
    return replace(point, year=year, inferred=True)


def resolve_years(form: Form, school: AcademicYear) -> tuple[Form, tuple[str, ...]]:
    """Every day and month with its year (module docstring), and notes on what was assumed."""
    if isinstance(form, Fixed):
        return _resolve_fixed(form, school)
    if isinstance(form, Months):
        return _resolve_months(form, school)
    if isinstance(form, Windows):
        resolved = [_resolve_fixed(window, school) for window in form.windows]
        notes = tuple(dict.fromkeys(note for _, found in resolved for note in found))
        return Windows(tuple(window for window, _ in resolved if isinstance(window, Fixed))), notes
    return form, ()


def _resolve_fixed(form: Fixed, school: AcademicYear) -> tuple[Fixed, tuple[str, ...]]:
    due, start = form.due, form.start
    if isinstance(due, Nth) or isinstance(start, Nth):
        return form, ()
    if start is None:
        due = _with_year(due, school.year_of(due.month))
        return Fixed(due), _date_notes([due], school)
    if due.year is not None and start.year is None:
        start = _with_year(start, due.year)
        if point_date(start) > point_date(due, end=True):
            start = replace(start, year=due.year - 1)
    elif start.year is not None and due.year is None:
        due = _with_year(due, start.year)
        if point_date(due, end=True) < point_date(start):
            due = replace(due, year=start.year + 1)
    elif start.year is None and due.year is None:
        start, due = _with_year(start, school.year_of(start.month)), _with_year(due, school.year_of(due.month))
        if point_date(due, end=True) < point_date(start):
            start, due = _reorder(start, due)
    return Fixed(due, start), _date_notes([start, due], school)


def _reorder(start: Day | Month, due: Day | Month) -> tuple[Day | Month, Day | Month]:
    """A range whose inferred years run backwards: «август - сентябрь» starts in the August before,
    «январь - сентябрь» ends in the September after (either is then outside the school year, and
    `_date_notes` asks to check it)."""
    assert start.year is not None and due.year is not None
    if 6 <= start.month <= 8 and due.month >= 9:
        return replace(start, year=due.year), due
    due = replace(due, year=start.year)
    if point_date(due, end=True) < point_date(start):
        due = replace(due, year=start.year + 1)
    return start, due


def _resolve_months(form: Months, school: AcademicYear) -> tuple[Form, tuple[str, ...]]:
    """Months without a year: the nearest year written in the list («март, апрель 2023»), else the
    school year's (each month on its own, as the engine does); a list starting in the summer and
    going on into September starts in the summer before («Август. сентябрь»)."""
    months = list(form.months)
    resolved: list[Month] = []
    for index, month in enumerate(months):
        if month.year is not None:
            resolved.append(month)
            continue
        later = next((m for m in months[index + 1 :] if m.year is not None), None)
        earlier = next((m for m in reversed(resolved) if not m.inferred), None)
        if later is not None and later.year is not None:
            year = later.year if month.month <= later.month else later.year - 1
        elif earlier is not None and earlier.year is not None:
            year = earlier.year if month.month >= earlier.month else earlier.year + 1
        else:
            year = school.year_of(month.month)
        resolved.append(Month(month.month, year, inferred=True))
    if len(resolved) > 1 and resolved[0].inferred and 6 <= resolved[0].month <= 8 and resolved[1].month >= 9:
        resolved[0] = Month(resolved[0].month, resolved[1].year, inferred=True)
    return Months(tuple(resolved)), _date_notes(resolved, school)


def _shown(point: Day | Month) -> str:
    if isinstance(point, Month):
        return f"{russian.MONTH_NOMINATIVE[point.month - 1]} {point.year}"
    return russian.format_date(point_date(point))


def _date_notes(points: Sequence[Day | Month], school: AcademicYear) -> tuple[str, ...]:
    notes = []
    for point in points:
        if point.year is None:
            continue
        day = point_date(point)
        if isinstance(point, Day) and point.weekday is not None and day.weekday() != point.weekday:
            notes.append(
                f"в документе день недели «{russian.WEEKDAY_NAMES[point.weekday]}», а {russian.format_date(day)} — "
                f"{russian.WEEKDAY_NAMES[day.weekday()]}"
            )
        first, last = point_date(point), point_date(point, end=True)
        if last < school.start or first > school.end:
            if point.inferred:
                notes.append(f"{_shown(point)} — вне {school.first}-{school.second} учебного года (год не указан, проверьте)")
            else:
                notes.append(f"дата {_shown(point)} вне {school.first}-{school.second} учебного года: возможно, опечатка в годе")
    return tuple(dict.fromkeys(notes))


# --- roadmap values -----------------------------------------------------------------------------------------


def point_value(point: Point) -> str:
    """How a resolved point is written in the roadmap: 2024-09-01, 2024-09-20 (пятница), март 2024."""
    if isinstance(point, Nth):
        return point.text
    if isinstance(point, Month):
        return (
            f"{russian.MONTH_NOMINATIVE[point.month - 1]} {point.year}"
            if point.year
            else russian.MONTH_NOMINATIVE[point.month - 1]
        )
    if point.year is None:
        text = f"{point.day:02d}.{point.month:02d}"
    else:
        text = point_date(point).isoformat()
    if point.time is not None:
        text += f"T{point.time:%H:%M}"
    if point.weekday is not None:
        text += f" ({russian.WEEKDAY_NAMES[point.weekday]})"
    return text


def window_value(window: Fixed) -> str:
    """One item of `windows:`: «ноябрь 2022», «март 2023 – апрель 2023», «2024-10-10»."""
    if window.start is None or window.start == window.due:
        return point_value(window.due)
    return f"{point_value(window.start)} – {point_value(window.due)}"


def shift_value(shift: Shift | None) -> str:
    if shift is None:
        return ""
    sign = "+" if shift.amount >= 0 else "-"
    return f" {sign} {abs(shift.amount)}{shift.unit}"


def concrete_dates(form: Form) -> list[dt.date]:
    """The calendar days a resolved form names (for the plan's period)."""
    points: list[Point] = []
    if isinstance(form, Fixed):
        points = [form.due] + ([form.start] if form.start is not None else [])
    elif isinstance(form, Months):
        points = list(form.months)
    elif isinstance(form, Windows):
        points = [point for window in form.windows for point in (window.due, window.start) if point is not None]
    days = []
    for point in points:
        if not isinstance(point, Nth) and point.year is not None:
            days += [point_date(point), point_date(point, end=True)]
    return days
