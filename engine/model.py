"""The roadmap schema: what a roadmap file may contain (pydantic v2, unknown keys rejected).

The model is a faithful, typed picture of the file; it does not compute dates (see `engine.plan`)
and does not check references between parts (see `engine.checks`). Field descriptions double as
the JSON Schema's documentation that editors show on hover.

Rules the schema itself keeps:

* A stage has exactly one timing form: `due` (with an optional `start`), `months`, `windows`,
  `recurring` or `trigger` (with an optional `within` and `trigger_label`).
* An event's `start`/`end` is a date, a day and month, or a rule ("первая среда июня"), each with
  an optional time ("…, 10:00"), or `open` — deliberately unbounded on that side ("в период
  подготовки ГИА": the preparation has no fixed beginning). A missing `start` means "not known yet".
* `notes` are the author's own remarks (review notes, why a date was corrected): they stay out of
  staff messages and the teachers' stage page. `notes_for_staff: true` shows them to staff; a text
  there is a separate note for staff. `correction` says why `due` deliberately differs from the date
  written in `when` (it silences that warning).
* `optional: true` marks a reserve ("может быть использован в случае …"): listed with its dates,
  never overdue, reminded only once activated (see `engine.tracking.Activation`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from cyclogram.engine import timeexpr
from cyclogram.engine.timeexpr import DateExpr, MonthRef, Offset

KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
Key = Annotated[
    str,
    StringConstraints(pattern=KEY_PATTERN, max_length=64),
    Field(description="Короткий ключ латиницей: toropkina, class_teachers, testing"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]

_DATE_EXPR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "number", "description": "30.09 без кавычек: день и месяц"},
        {
            "type": "string",
            "description": (
                "06.09.2024 | 30.09 | 10 августа | сентябрь | 2022-08 | первая среда декабря | "
                "testing.start - 3d | upload.done + 3wd (единицы: d, wd, h, w, mo)"
            ),
        },
        {
            "type": "object",
            "properties": {
                "nth": {"type": "integer", "enum": [1, 2, 3, 4, 5, -1]},
                "weekday": {"type": "string"},
                "month": {"type": ["string", "integer"]},
                "year": {"type": "integer"},
                "working": {"type": "boolean"},
                "time": {"type": "string", "pattern": r"^\d{1,2}:\d{2}$"},
            },
            "required": ["nth", "weekday", "month"],
            "additionalProperties": False,
        },
    ]
}


def _date_expr(value: object) -> DateExpr:
    return timeexpr.parse_expr(value)


def _absolute_or_day_month(value: object) -> timeexpr.Absolute | timeexpr.DayMonth:
    parsed = timeexpr.parse_expr(value)
    if not isinstance(parsed, (timeexpr.Absolute, timeexpr.DayMonth)):
        raise timeexpr.ExprError("здесь нужна конкретная дата: 2024-10-01, 01.10.2024 или 01.10")
    return parsed


def _month(value: object) -> MonthRef:
    parsed = timeexpr.parse_expr(value)  # a date YAML read itself is checked there too
    if isinstance(parsed, timeexpr.Absolute) and isinstance(value, dt.date):
        return MonthRef(parsed.day.month, parsed.day.year)
    if not isinstance(parsed, MonthRef):
        raise timeexpr.ExprError(f"нужен месяц («сентябрь», «март 2023» или 2023-03), а не «{str(value)[:80]}»")
    return parsed


DateExprField = Annotated[DateExpr, PlainValidator(_date_expr), WithJsonSchema(_DATE_EXPR_SCHEMA)]
FixedDate = Annotated[
    timeexpr.Absolute | timeexpr.DayMonth,
    PlainValidator(_absolute_or_day_month),
    WithJsonSchema({"type": "string", "description": "2024-10-01, 01.10.2024, 01.10 или 2024-05-20T10:00"}),
]
MonthField = Annotated[
    MonthRef,
    PlainValidator(_month),
    WithJsonSchema({"type": "string", "description": "сентябрь | март 2023 | 2023-03"}),
]
OPEN_WORDS = ("open", "не ограничено", "открыто")
OpenBound = Literal["open"]
EventDate = timeexpr.Absolute | timeexpr.DayMonth | timeexpr.NthWeekday | OpenBound


def _event_date(value: object) -> EventDate:
    """An event's bound: a date, a day and month or a rule, each with an optional time; or open."""
    if isinstance(value, str) and value.strip().lower() in OPEN_WORDS:
        return "open"
    parsed = timeexpr.parse_expr(value)
    if not isinstance(parsed, (timeexpr.Absolute, timeexpr.DayMonth, timeexpr.NthWeekday)):
        raise timeexpr.ExprError(
            "у события нужна дата (2025-06-04, 04.06, «первая среда июня», можно со временем: «…, 10:00») или open — без границы"
        )
    return parsed


def _window(value: object) -> timeexpr.Window:
    return timeexpr.parse_window(value)


EventDateField = Annotated[
    EventDate,
    PlainValidator(_event_date),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {
                    "type": "string",
                    "description": "2025-06-04 | 04.06 | 2025-06-04T10:00 | первая среда июня, 10:00 | open (без границы)",
                },
                _DATE_EXPR_SCHEMA["anyOf"][3],
            ]
        }
    ),
]
WindowField = Annotated[
    timeexpr.Window,
    PlainValidator(_window),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "description": "ноябрь 2022 | март – апрель 2023 | Март-май 2020г. | с 01.10.24 по 15.10.24"},
                {
                    "type": "object",
                    "properties": {"start": {"type": "string"}, "due": {"type": "string"}, "label": {"type": "string"}},
                    "required": ["due"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]
OffsetField = Annotated[
    Offset,
    PlainValidator(timeexpr.parse_offset),
    WithJsonSchema({"type": "string", "pattern": r"^[+-]?\d+\s*(d|wd|h|w|mo)$", "description": "3wd, 10d, 1h"}),
]


class Strict(BaseModel):
    # defer_build: validators are built on first validation, not at import — a command that reads a
    # compiled roadmap (`status`) never validates and saves ~50 ms of start-up.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True)


# --- header ----------------------------------------------------------------------------------


class AcademicYear(Strict):
    first: int
    second: int

    @classmethod
    def starting(cls, first: int) -> AcademicYear:
        return cls(first=first, second=first + 1)

    @property
    def start(self) -> dt.date:
        return dt.date(self.first, 9, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.second, 8, 31)

    def year_of(self, month: int) -> int:
        """The year of a month written without one: Sep–Dec in the first year, Jan–Aug in the second."""
        return self.first if month >= 9 else self.second

    def __str__(self) -> str:
        return f"{self.first}-{self.second}"


def _academic_year(value: object) -> AcademicYear:
    if isinstance(value, AcademicYear):
        return value
    match = re.fullmatch(r"\s*(\d{4})\s*[-–/]\s*(\d{2,5})\s*", str(value))
    if not match:
        raise ValueError(f"учебный год записывается как 2024-2025, а не «{value}»")
    first, second_text = int(match[1]), match[2]
    second = int(second_text) + (first // 100 * 100 if len(second_text) == 2 else 0)
    if second != first + 1:
        raise ValueError(f"учебный год «{value}»: второй год должен быть следующим за первым ({first}-{first + 1})")
    if not 2000 <= first <= 2100:
        raise ValueError(f"учебный год «{value}» вне разумных пределов")
    return AcademicYear(first=first, second=second)


AcademicYearField = Annotated[
    AcademicYear,
    PlainValidator(_academic_year),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{4}$", "examples": ["2024-2025"]}),
]


def _timezone(value: object) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = str(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"неизвестный часовой пояс «{name}»; пишите в формате IANA: Asia/Irkutsk, Europe/Moscow, Asia/Tomsk"
        ) from None
    return name


TimezoneField = Annotated[str, PlainValidator(_timezone), WithJsonSchema({"type": "string", "examples": ["Asia/Irkutsk"]})]


class DayNote(Strict):
    date: FixedDate
    name: Text | None = Field(None, description="Почему день нерабочий/рабочий")


def _day_note(value: object) -> DayNote:
    """A declared day: a bare date (2028-03-06) or {date: 2028-03-06, name: …}."""
    if isinstance(value, DayNote):
        return value
    if isinstance(value, dict):
        unknown = sorted(set(value) - {"date", "name"})
        if unknown:
            raise ValueError(f"неизвестные поля {', '.join(unknown)}: у дня есть только date и name")
        if "date" not in value:
            raise ValueError("не указана дата (date)")
        name = value.get("name")
        return DayNote(date=_absolute_or_day_month(value["date"]), name=str(name) if name is not None else None)
    return DayNote(date=_absolute_or_day_month(value))


DayNoteField = Annotated[
    DayNote,
    PlainValidator(_day_note),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "description": "2028-03-06 или 06.03.2028"},
                {
                    "type": "object",
                    "properties": {"date": {"type": "string"}, "name": {"type": "string"}},
                    "required": ["date"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class CalendarSpec(Strict):
    country: Literal["RU"] = Field("RU", description="Производственный календарь страны")
    days_off: list[DayNoteField] = Field(default_factory=list, description="Дополнительные местные нерабочие дни")
    working_days: list[DayNoteField] = Field(
        default_factory=list,
        description="Дополнительные рабочие дни (переносы на годы, которых библиотека ещё не знает)",
    )


class Approval(Strict):
    order: Text = Field(description="Приказ № 85 от 16.09.2019")


class Period(Strict):
    start: FixedDate
    end: FixedDate


DEFAULT_LEAD = (5, 1)  # working days before a due date, when neither the stage nor the header says


class ReminderPolicy(Strict):
    lead: list[Annotated[int, Field(ge=0, le=60)]] | None = Field(
        None, description="За сколько рабочих дней до срока напоминать (по умолчанию 5 и 1)"
    )
    on_due_day: bool | None = Field(None, description="Напоминать в день срока")
    overdue_every: Annotated[int, Field(ge=1, le=60)] | None = Field(
        None, description="Повторять при просрочке каждые N рабочих дней"
    )
    escalate_after: Annotated[int, Field(ge=1, le=120)] | None = Field(
        None, description="Через сколько рабочих дней просрочки сообщать руководителю"
    )
    enabled: bool | None = Field(None, description="false — не напоминать об этом этапе")


def _local_time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", str(value))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"время записывается как 09:00, а не «{value}»")
    return dt.time(int(match[1]), int(match[2]))


LocalTime = Annotated[dt.time, PlainValidator(_local_time), WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$"})]


class Defaults(Strict):
    reminders: ReminderPolicy = Field(default_factory=ReminderPolicy)
    send_at: LocalTime = Field(dt.time(9, 0), description="Местное время отправки напоминаний")
    digest: bool = Field(False, description="Одно письмо на человека за запуск")


# --- people ----------------------------------------------------------------------------------

SECRET_REF = re.compile(r"^secret:[A-Za-z_][A-Za-z0-9_.-]*$")
_EMAIL = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+$")


def looks_secret(value: str) -> bool:
    """A credential (see `engine.credentials`) or any Apprise-style URL (which may carry one)."""
    from cyclogram.engine import credentials

    return "://" in value or credentials.contains_credential(value)


def _refuse_secret(value: str) -> None:
    """Credentials never live in a roadmap; the value is only ever shown masked."""
    from cyclogram.engine import credentials

    found = credentials.describe(value)
    if found:
        raise ValueError(
            f"похоже на пароль или токен (значение скрыто): {found}; секреты нельзя хранить в дорожной карте; "
            "положите его в переменную окружения или файл секретов и напишите secret:ИМЯ"
        )


def _email_contact(value: object) -> str:
    text = str(value).strip()
    _refuse_secret(text)
    if SECRET_REF.match(text) or _EMAIL.match(text):
        return text
    from cyclogram.engine.credentials import mask

    raise ValueError(f"адрес почты «{mask(text)}» записан неверно; пример: toropkina@school12.ru или secret:toropkina_email")


def _telegram_contact(value: object) -> str:
    text = str(value).strip()
    _refuse_secret(text)
    if SECRET_REF.match(text) or re.fullmatch(r"-?\d{3,20}|@[A-Za-z0-9_]{4,64}", text):
        return text
    from cyclogram.engine.credentials import mask

    raise ValueError(f"Telegram: нужен числовой chat id, @имя или secret:ИМЯ, а не «{mask(text)}»")


def _apprise_contact(value: object) -> str:
    text = str(value).strip()
    _refuse_secret(text)
    if SECRET_REF.match(text):
        return text
    raise ValueError(
        "адрес Apprise может содержать пароль, поэтому в дорожной карте он указывается только ссылкой на секрет: secret:ИМЯ"
    )


class Contacts(Strict):
    email: Annotated[str, PlainValidator(_email_contact), WithJsonSchema({"type": "string"})] | None = None
    telegram: Annotated[str, PlainValidator(_telegram_contact), WithJsonSchema({"type": "string"})] | None = None
    apprise: list[Annotated[str, PlainValidator(_apprise_contact), WithJsonSchema({"type": "string", "pattern": "^secret:"})]] = (
        Field(default_factory=list)
    )

    @field_validator("apprise", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @property
    def any(self) -> bool:
        return bool(self.email or self.telegram or self.apprise)


class Person(Strict):
    name: Text = Field(description="Как в документе: Торопкина А.А.")
    position: Text | None = Field(None, description="заместитель директора")
    supervisor: Key | None = Field(None, description="Кому эскалировать просрочки")
    contacts: Contacts = Field(default_factory=Contacts)


class Role(Strict):
    title: Text = Field(description="Классные руководители")
    members: list[Key] = Field(default_factory=list)


# --- events ----------------------------------------------------------------------------------


class Event(Strict):
    title: Text
    start: EventDateField | None = Field(
        None, description="Пусто — дата ещё не известна; open — без начала; можно «первая среда июня, 10:00»"
    )
    end: EventDateField | None = Field(None, description="Пусто — однодневное событие; open — без окончания")
    group: Key | None = Field(None, description="Группа событий: vpr — все ВПР по предметам")
    notes: Text | None = None


# --- stages ----------------------------------------------------------------------------------

Keyword = Literal["continuous", "immediately"]
DUE_KEYWORDS: dict[str, Keyword] = {
    "continuous": "continuous",
    "постоянно": "continuous",
    "immediately": "immediately",
    "незамедлительно": "immediately",
}


class Recurrence(Strict):
    every: Literal["week", "month", "quarter", "trimester", "half_year"] = Field(
        description="Период: раз в неделю/месяц/четверть(quarter)/триместр/полугодие"
    )
    day: Annotated[int, Field(ge=1, le=31)] | None = Field(None, description="Число месяца срока (для month)")
    weekday: str | None = Field(None, description="День недели срока (для week)")

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str | None) -> str | None:
        from cyclogram.engine.russian import weekday_number

        if value is not None and weekday_number(value) is None:
            raise ValueError(f"неизвестный день недели «{value}»; пишите: понедельник … воскресенье или monday … sunday")
        return value

    start: MonthField | None = Field(None, description="С какого месяца")
    end: MonthField | None = Field(None, description="По какой месяц")


class Stage(Strict):
    id: Key = Field(description="Постоянный ключ этапа для ссылок")
    number: str | None = Field(None, description="Номер как в документе: 20, 2.1.3.")
    title: Text
    when: Text | None = Field(None, description="Срок словами документа, для показа")
    start: DateExprField | None = Field(None, description="Начало окна")
    due: DateExprField | Keyword | None = Field(
        None, description="Срок; continuous (постоянно) или immediately (незамедлительно)"
    )
    months: list[MonthField] | None = Field(None, description="Несколько месяцев: [сентябрь 2022, март 2023]")
    windows: list[WindowField] | None = Field(
        None, description="Несколько окон: [ноябрь 2022, март – апрель 2023] или [{start: …, due: …}]"
    )
    recurring: Recurrence | None = None
    trigger: Text | None = Field(None, description="Внешний повод: «по мере поступления ДК», «по мере необходимости»")
    within: OffsetField | None = Field(None, description="Срок после повода: 3wd; без within срока нет")
    trigger_label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = Field(
        None, description="Как называть каждый повод: запрос → «запрос 14.10.2024 10:00» (по умолчанию «повод»)"
    )
    optional: bool = Field(False, description="Резервный этап: не просрочивается, напоминания — только после activate")
    check_every: Literal["week", "month", "quarter", "trimester"] | None = Field(
        None, description="Для постоянных этапов: как часто отчитываться"
    )
    document: Text | None = None
    expected_result: Text | None = None
    evidence_required: bool = False
    notes: Text | None = Field(None, description="Замечания составителя: сотрудникам не показываются")
    notes_for_staff: bool | Text | None = Field(
        None, description="true — показывать notes сотрудникам; текст — отдельное примечание для сотрудников"
    )
    correction: Text | None = Field(None, description="Почему срок (due) расходится с датой в when: опечатка в годе…")
    responsible: list[Key] = Field(min_length=1, description="Люди и роли; первый — владелец")
    depends_on: list[str] = Field(default_factory=list, description="id или номера этапов")
    reminders: ReminderPolicy | None = None

    @field_validator("due", mode="plain")
    @classmethod
    def _due(cls, value: object) -> DateExpr | Keyword | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in DUE_KEYWORDS:
            return DUE_KEYWORDS[value.strip().lower()]
        return timeexpr.parse_expr(value)

    @field_validator("depends_on", mode="before")
    @classmethod
    def _depends(cls, value: object) -> object:
        if isinstance(value, (str, int, float)):
            value = [value]
        if isinstance(value, list):
            return [str(item) for item in value]
        return value

    @field_validator("responsible", mode="before")
    @classmethod
    def _responsible(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) else value

    @model_validator(mode="after")
    def _one_timing(self) -> Stage:
        forms = [
            name
            for name, present in (
                ("due", self.due is not None),
                ("months", self.months is not None),
                ("windows", self.windows is not None),
                ("recurring", self.recurring is not None),
                ("trigger", self.trigger is not None),
            )
            if present
        ]
        if not forms:
            raise ValueError(
                "не указан срок: нужно одно из due (срок), months (месяцы), windows (окна), recurring (периодически) "
                "или trigger (по внешнему поводу)"
            )
        if len(forms) > 1:
            raise ValueError(f"указано сразу несколько видов срока ({', '.join(forms)}); оставьте один")
        if self.start is not None and (self.due is None or isinstance(self.due, str)):
            raise ValueError("start (начало окна) имеет смысл только вместе с датой в due")
        if self.within is not None and self.trigger is None:
            raise ValueError("within (срок после повода) указывается только вместе с trigger")
        if self.check_every is not None and self.due != "continuous":
            raise ValueError("check_every указывается только для постоянных этапов (due: continuous)")
        if self.months is not None and not self.months:
            raise ValueError("months: список месяцев пуст")
        if self.windows is not None and not self.windows:
            raise ValueError("windows: список окон пуст")
        if self.trigger_label is not None and self.trigger is None:
            raise ValueError("trigger_label (название повода) указывается только вместе с trigger")
        return self

    @field_validator("windows", mode="before")
    @classmethod
    def _windows(cls, value: object) -> object:
        """A string lists windows with ";" or ", ": "ноябрь 2022, март – апрель 2023"."""
        if isinstance(value, str):
            return [part.strip() for part in re.split(r";|,\s", value) if part.strip()]
        return value

    @property
    def staff_notes(self) -> str | None:
        """What staff may read: `notes_for_staff`'s own text, or `notes` when it is `true`."""
        if isinstance(self.notes_for_staff, str):
            return self.notes_for_staff
        return self.notes if self.notes_for_staff is True else None

    @property
    def display_number(self) -> str:
        return (self.number or "").rstrip(".") or self.id


class Section(Strict):
    number: str | None = None
    title: Text
    sections: list[Section] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list)

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: object) -> object:
        return str(value) if isinstance(value, (int, float)) else value


class Roadmap(Strict):
    """A yearly roadmap (дорожная карта, циклограмма)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, title="Cyclogram roadmap", defer_build=True)

    id: Key = Field(description="Постоянный ключ дорожной карты: spt-2024")
    title: Text
    organization: Text | None = None
    academic_year: AcademicYearField
    period: Period | None = Field(None, description="Если план выходит за 1 сентября – 31 августа")
    timezone: TimezoneField = "Europe/Moscow"
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    approval: Approval | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    people: dict[Key, Person] = Field(default_factory=dict)
    roles: dict[Key, Role] = Field(default_factory=dict)
    events: dict[Key, Event] = Field(default_factory=dict)
    sections: list[Section] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=list, description="Этапы вне разделов")

    @model_validator(mode="after")
    def _has_stages(self) -> Roadmap:
        if not self.stages and not self.sections:
            raise ValueError("в дорожной карте нет ни одного этапа (stages) или раздела (sections)")
        return self


def json_schema() -> dict[str, Any]:
    schema = Roadmap.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://cyclogram.example/roadmap.schema.json"
    return schema


# --- walking the structure -------------------------------------------------------------------

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class StageRef:
    """A stage with where it sits: its path in the file and its chain of sections."""

    stage: Stage
    path: tuple[str | int, ...]
    sections: tuple[Section, ...]


def walk_stages(roadmap: Roadmap) -> list[StageRef]:
    """Every stage in document order, top-level stages first then sections depth-first."""
    found: list[StageRef] = [StageRef(stage, ("stages", index), ()) for index, stage in enumerate(roadmap.stages)]

    def visit(section: Section, path: PathKey, chain: tuple[Section, ...]) -> None:
        chain = chain + (section,)
        for index, stage in enumerate(section.stages):
            found.append(StageRef(stage, path + ("stages", index), chain))
        for index, child in enumerate(section.sections):
            visit(child, path + ("sections", index), chain)

    for index, section in enumerate(roadmap.sections):
        visit(section, ("sections", index), ())
    return found


def normalize_number(number: str) -> str:
    """'2.1.3.' and '2.1.3' name the same stage."""
    return number.strip().rstrip(".")
