"""The deadline grammar (cyclogram/importing/deadlines.py), rule by rule: every rule of `RULES` has
cases here (a test checks that none is left without one), then years, lists and review notes."""

from __future__ import annotations

import datetime as dt

import pytest

from cyclogram.engine.model import AcademicYear
from cyclogram.importing import deadlines as dl
from cyclogram.importing.deadlines import (
    Anchored,
    Day,
    Fixed,
    Keyword,
    Month,
    Months,
    Nth,
    Recurring,
    Ref,
    Scheduled,
    Shift,
    Trigger,
    Windows,
)

YEAR = AcademicYear.starting(2024)  # 1 Sep 2024 – 31 Aug 2025

# (phrase, the rule that must match, the form once years are resolved)
CASES: list[tuple[str, str, object]] = [
    # dates, with every way documents write them
    ("до 01.09.2024г.", "до даты", Fixed(Day(1, 9, 2024))),
    ("30 сентября (1 этап)", "до даты", Fixed(Day(30, 9, 2024, inferred=True))),
    ("До 18.10.2024", "до даты", Fixed(Day(18, 10, 2024))),
    ("20.09.2024г.", "до даты", Fixed(Day(20, 9, 2024))),
    ("20.09.2024 (пятница)", "до даты", Fixed(Day(20, 9, 2024, weekday=4))),
    ("20.09.2024, пятница", "до даты", Fixed(Day(20, 9, 2024, weekday=4))),
    ("20.09.2024 пт", "до даты", Fixed(Day(20, 9, 2024, weekday=4))),
    ("в срок до 01.10.2024 года", "до даты", Fixed(Day(1, 10, 2024))),
    ("не позднее 10 августа", "до даты", Fixed(Day(10, 8, 2025, inferred=True))),
    ("не позднее 10 августа 2025 г.", "до даты", Fixed(Day(10, 8, 2025))),
    ("25 сент.", "до даты", Fixed(Day(25, 9, 2024, inferred=True))),
    ("до 5 окт. 2024", "до даты", Fixed(Day(5, 10, 2024))),
    ("к 15 декабря", "до даты", Fixed(Day(15, 12, 2024, inferred=True))),
    ("01.11.24", "до даты", Fixed(Day(1, 11, 2024))),
    ("2024-11-01", "до даты", Fixed(Day(1, 11, 2024))),
    ("30.09", "до даты", Fixed(Day(30, 9, 2024, inferred=True))),
    ("20.05.2025 10:00", "до даты", Fixed(Day(20, 5, 2025, time=dt.time(10, 0)))),
    # windows
    ("с 01.10.24 по 15.10.24", "с A по B", Fixed(Day(15, 10, 2024), Day(1, 10, 2024))),
    ("с 20.09. до 25.09.2024г.", "с A по B", Fixed(Day(25, 9, 2024), Day(20, 9, 2024, inferred=True))),
    ("с 15 сентября по октябрь", "с A по B", Fixed(Month(10, 2024, inferred=True), Day(15, 9, 2024, inferred=True))),
    ("01.10.2024 – 15.10.2024", "A - B", Fixed(Day(15, 10, 2024), Day(1, 10, 2024))),
    ("Март-май 2025г.", "A - B", Fixed(Month(5, 2025), Month(3, 2025, inferred=True))),
    ("Март - май", "A - B", Fixed(Month(5, 2025, inferred=True), Month(3, 2025, inferred=True))),
    ("сентябрь – декабрь 2024 г.", "A - B", Fixed(Month(12, 2024), Month(9, 2024, inferred=True))),
    ("1-15 октября", "N-M месяца", Fixed(Day(15, 10, 2024, inferred=True), Day(1, 10, 2024, inferred=True))),
    ("с 1 по 15 октября 2024 года", "N-M месяца", Fixed(Day(15, 10, 2024), Day(1, 10, 2024))),
    # months
    ("Март", "месяц", Fixed(Month(3, 2025, inferred=True), Month(3, 2025, inferred=True))),
    ("в течение сентября", "месяц", Fixed(Month(9, 2024, inferred=True), Month(9, 2024, inferred=True))),
    ("до конца октября", "месяц", Fixed(Month(10, 2024, inferred=True))),
    ("декабрь 2024г", "месяц", Fixed(Month(12, 2024), Month(12, 2024))),
    ("в конце мая", "начало/конец месяца", Fixed(Month(5, 2025, inferred=True))),
    ("в середине ноября", "начало/конец месяца", Fixed(Day(15, 11, 2024, inferred=True))),
    ("I полугодие", "I полугодие", Fixed(Month(12, 2024, inferred=True), Month(9, 2024, inferred=True))),
    ("2 четверть", "I полугодие", Fixed(Month(12, 2024, inferred=True), Month(11, 2024, inferred=True))),
    ("третий триместр", "I полугодие", Fixed(Month(5, 2025, inferred=True), Month(3, 2025, inferred=True))),
    ("до конца учебного года", "до конца года", Fixed(Day(31, 5, 2025, inferred=True))),
    ("первая среда декабря", "первая среда декабря", Fixed(Nth("первая среда декабря"))),
    ("второй рабочий понедельник мая", "первая среда декабря", Fixed(Nth("второй рабочий понедельник мая"))),
    # repeated
    ("ежемесячно", "ежемесячно", Recurring("month")),
    ("ежемесячно к 25 числу", "ежемесячно", Recurring("month", day=25)),
    ("Ежемесячно, до 25 числа", "ежемесячно", Recurring("month", day=25)),
    ("до 5 числа каждого месяца", "до N числа каждого месяца", Recurring("month", day=5)),
    ("раз в четверть", "раз в четверть", Recurring("quarter")),
    ("ежеквартально", "раз в четверть", Recurring("quarter")),
    ("Раз в триместр", "раз в триместр", Recurring("trimester")),
    ("по итогам триместра", "раз в триместр", Recurring("trimester")),
    ("1 раз в полугодие", "раз в полугодие", Recurring("half_year")),
    ("2 раза в год", "2 раза в год", Recurring("half_year")),
    ("еженедельно по пятницам", "еженедельно", Recurring("week", weekday="пятница")),
    ("еженедельно", "еженедельно", Recurring("week")),
    ("каждый понедельник", "по пятницам", Recurring("week", weekday="понедельник")),
    ("по средам", "по пятницам", Recurring("week", weekday="среда")),
    # all year, at once
    ("постоянно", "постоянно", Keyword("continuous")),
    ("В течение учебного года", "постоянно", Keyword("continuous")),
    ("2024-2025 гг.", "постоянно", Keyword("continuous")),
    ("2024-2025 учебный год", "постоянно", Keyword("continuous")),
    ("2024-2025 уч. год", "постоянно", Keyword("continuous")),
    ("В течение всего периода", "постоянно", Keyword("continuous")),
    ("Круглогодично", "постоянно", Keyword("continuous")),
    ("систематически", "постоянно", Keyword("continuous")),
    ("ежедневно", "ежедневно", Keyword("continuous")),
    ("незамедлительно", "незамедлительно", Keyword("immediately")),
    # triggers and schedules
    ("по мере поступления региональной ДК", "по мере поступления", Trigger("по мере поступления региональной ДК")),
    (
        "В течение 2 рабочих дней со дня получения запроса",
        "в течение N после X",
        Trigger("В течение 2 рабочих дней со дня получения запроса", Shift(2, "wd")),
    ),
    ("По мере необходимости", "по мере поступления", Trigger("По мере необходимости")),
    ("по запросу", "по мере поступления", Trigger("по запросу")),
    ("Согласно графику", "согласно графику", Scheduled(Ref("графику"))),
    ("В соответствии с графиком проведения ВПР", "согласно графику", Scheduled(Ref("графиком проведения ВПР"))),
    ("Согласно плану-графику, приказам ОУ", "согласно графику", Scheduled(Ref("плану-графику, приказам ОУ"))),
    ("по графику Рособрнадзора", "согласно графику", Scheduled(Ref("графику Рособрнадзора"))),
    ("в установленные сроки", "в установленные сроки", Scheduled(Ref("установленные сроки"))),
    # relative to what the phrase names
    ("за 3 дня (до тестирования)", "за N до X", Anchored(Ref("тестирования"), "start", Shift(-3, "d"))),
    ("за 3 дня до тестирования", "за N до X", Anchored(Ref("тестирования"), "start", Shift(-3, "d"))),
    ("за неделю до начала экзамена", "за N до X", Anchored(Ref("экзамена"), "start", Shift(-1, "w"))),
    ("за 1 час до начала экзамена", "за N до X", Anchored(Ref("экзамена"), "start", Shift(-1, "h"))),
    (
        "За 2 месяца до проведения по соответствующему учебному предмету",
        "за N до X",
        Anchored(Ref("по соответствующему учебному предмету", group=True), "start", Shift(-2, "mo")),
    ),
    ("за 3 дня", "за N", Anchored(None, "start", Shift(-3, "d"))),
    ("накануне проведения ВПР", "накануне X", Anchored(Ref("ВПР"), "start", Shift(-1, "wd"))),
    (
        "сразу же после окончания ЕМ СПТ в течении 3 дней",
        "сразу после окончания X в течение N",
        Anchored(Ref("ЕМ СПТ"), "end", Shift(3, "d"), after=True),
    ),
    (
        "в течении 3 рабочих дней после выгрузки",
        "в течение N после X",
        Anchored(Ref("выгрузки"), "end", Shift(3, "wd"), after=True),
    ),
    ("В течение 10 дней после выгрузки", "в течение N после X", Anchored(Ref("выгрузки"), "end", Shift(10, "d"), after=True)),
    (
        "в течение 45 календарных дней со дня завершения ВПР",
        "в течение N после X",
        Anchored(Ref("ВПР"), "end", Shift(45, "d"), after=True),
    ),
    ("не позднее 1 месяца после завершения ВПР", "в течение N после X", Anchored(Ref("ВПР"), "end", Shift(1, "mo"), after=True)),
    ("3 дня после выгрузки", "N после X", Anchored(Ref("выгрузки"), "end", Shift(3, "d"), after=True)),
    ("сразу же по окончании ЕМ СПТ", "сразу после X", Anchored(Ref("ЕМ СПТ"), "end", Shift(1, "wd"), after=True)),
    ("по окончании тестирования", "по окончании X", Anchored(Ref("тестирования"), "end", None, after=True)),
    ("по итогам ВПР", "по окончании X", Anchored(Ref("ВПР"), "end", None, after=True)),
    ("после выгрузки", "после X", Anchored(Ref("выгрузки"), "end", Shift(1, "wd"), after=True)),
    ("на период проведения СПТ", "на период проведения X", Anchored(Ref("СПТ"), "start", None, window=True)),
    ("в дни проведения ВПР", "на период проведения X", Anchored(Ref("ВПР"), "start", None, window=True)),
    ("во время экзамена", "на период проведения X", Anchored(Ref("экзамена"), "start", None, window=True)),
    ("до начала ВПР", "до начала X", Anchored(Ref("ВПР"), "start", None)),
]


@pytest.mark.parametrize(("phrase", "rule", "expected"), CASES, ids=[case[0] for case in CASES])
def test_phrase_becomes_its_form(phrase: str, rule: str, expected: object) -> None:
    parsed = dl.parse(phrase)
    assert parsed.understood, parsed
    assert parsed.rules == (rule,), parsed
    assert parsed.form is not None
    resolved, _ = dl.resolve_years(parsed.form, YEAR)
    assert resolved == expected


def test_every_rule_has_cases() -> None:
    tested = {rule for _, rule, _ in CASES}
    assert {rule.name for rule in dl.RULES} <= tested, {rule.name for rule in dl.RULES} - tested


@pytest.mark.parametrize(
    "phrase",
    ["", "когда получится", "примерно", "31.02.2024", "до 45.13.2024", "с 99 по 100 марта", "12345"],
)
def test_nonsense_is_not_understood(phrase: str) -> None:
    parsed = dl.parse(phrase)
    assert parsed.form is None or not parsed.understood


# --- lists ------------------------------------------------------------------------------------------------


def test_list_of_months_is_months() -> None:
    parsed = dl.parse("сентябрь 2022 г, март 2023г")
    assert parsed.form == Months((Month(9, 2022), Month(3, 2023)))
    assert parsed.rules == ("месяц", "месяц") and parsed.notes == ()


def test_list_of_windows_is_windows() -> None:
    parsed = dl.parse("ноябрь 2022, март – апрель 2023")
    assert parsed.form == Windows((Fixed(Month(11, 2022), Month(11, 2022)), Fixed(Month(4, 2023), Month(3))))
    assert parsed.understood and parsed.notes == ()
    resolved, notes = dl.resolve_years(parsed.form, AcademicYear.starting(2022))
    assert isinstance(resolved, Windows) and notes == ()
    assert [dl.window_value(w) for w in resolved.windows] == ["ноябрь 2022", "март 2023 – апрель 2023"]


def test_windows_without_years_follow_the_school_year() -> None:
    parsed = dl.parse("с 1 по 10 октября, 15-20 января")
    resolved, notes = dl.resolve_years(parsed.form, YEAR)  # type: ignore[arg-type]
    assert isinstance(resolved, Windows) and notes == ()
    assert [dl.window_value(w) for w in resolved.windows] == ["2024-10-01 – 2024-10-10", "2025-01-15 – 2025-01-20"]


def test_list_prefers_a_date_to_a_schedule() -> None:
    parsed = dl.parse("По планам РМО, август")
    assert parsed.form == Fixed(Month(8), Month(8))
    assert any("По планам РМО" in note for note in parsed.notes)


def test_list_of_dates_is_windows_of_one_day() -> None:
    parsed = dl.parse("15.09.2024, 15.12.2024; 15.03.2025")
    assert parsed.form == Windows((Fixed(Day(15, 9, 2024)), Fixed(Day(15, 12, 2024)), Fixed(Day(15, 3, 2025))))
    assert parsed.notes == ()
    assert [dl.window_value(w) for w in parsed.form.windows] == ["2024-09-15", "2024-12-15", "2025-03-15"]


def test_a_list_with_an_unknown_part_is_not_understood_but_keeps_what_it_read() -> None:
    parsed = dl.parse("до 01.10.2024, когда получится")
    assert not parsed.understood
    assert parsed.form == Fixed(Day(1, 10, 2024))
    assert any("когда получится" in note for note in parsed.notes)


def test_months_separated_by_a_full_stop() -> None:
    form, notes = dl.resolve_years(dl.parse(" Август. сентябрь").form, AcademicYear.starting(2022))  # type: ignore[arg-type]
    assert form == Months((Month(8, 2022, inferred=True), Month(9, 2022, inferred=True)))
    assert any("август 2022" in note for note in notes)  # before the school year: check it


# --- years and notes -----------------------------------------------------------------------------------------


def test_months_without_years_follow_the_school_year() -> None:
    form, notes = dl.resolve_years(dl.parse("ноябрь, март").form, YEAR)  # type: ignore[arg-type]
    assert form == Months((Month(11, 2024, inferred=True), Month(3, 2025, inferred=True)))
    assert notes == ()


def test_a_year_written_last_applies_to_the_months_before() -> None:
    form, _ = dl.resolve_years(dl.parse("март, апрель 2023").form, AcademicYear.starting(2022))  # type: ignore[arg-type]
    assert form == Months((Month(3, 2023, inferred=True), Month(4, 2023)))


def test_a_range_keeps_its_order_across_the_new_year() -> None:
    form, notes = dl.resolve_years(dl.parse("январь - сентябрь").form, AcademicYear.starting(2023))  # type: ignore[arg-type]
    assert form == Fixed(Month(9, 2024, inferred=True), Month(1, 2024, inferred=True))
    assert notes == ("сентябрь 2024 — вне 2023-2024 учебного года (год не указан, проверьте)",)


def test_a_range_across_september_starts_before_it() -> None:
    form, _ = dl.resolve_years(dl.parse("ноябрь - февраль").form, YEAR)  # type: ignore[arg-type]
    assert form == Fixed(Month(2, 2025, inferred=True), Month(11, 2024, inferred=True))


def test_a_written_year_outside_the_school_year_is_a_probable_typo() -> None:
    _, notes = dl.resolve_years(dl.parse("До 06.09.2023г.").form, YEAR)  # type: ignore[arg-type]
    assert notes == ("дата 06.09.2023 вне 2024-2025 учебного года: возможно, опечатка в годе",)


def test_a_wrong_weekday_is_flagged() -> None:
    _, notes = dl.resolve_years(dl.parse("20.09.2024 (четверг)").form, YEAR)  # type: ignore[arg-type]
    assert notes == ("в документе день недели «четверг», а 20.09.2024 — пятница",)


def test_unnamed_relative_phrase_asks_for_review() -> None:
    parsed = dl.parse("за 3 дня")
    assert parsed.notes == ("не сказано, до чего отсчитывать срок",)


def test_normalize_drops_year_words_and_fixes_spelling() -> None:
    assert dl.normalize("  Сентябрь 2022 г,  март 2023г.  ") == "Сентябрь 2022, март 2023"
    assert dl.normalize("в течении 3 дней") == "в течение 3 дней"
    assert dl.normalize("Март-май 2020гг.") == "Март-май 2020"
    assert dl.normalize("план-график") == "план-график"


@pytest.mark.parametrize(
    ("word", "month"),
    [("сентября", 9), ("сент.", 9), ("Сен", 9), ("окт", 10), ("нояб.", 11), ("мая", 5), ("май", 5), ("мар", 3), ("августе", 8)],
)
def test_month_words_in_every_case_and_abbreviated(word: str, month: int) -> None:
    assert dl.month_of(word) == month


def test_roadmap_values() -> None:
    assert dl.point_value(Day(20, 9, 2024, weekday=4)) == "2024-09-20 (пятница)"
    assert dl.point_value(Day(20, 5, 2025, time=dt.time(10, 0))) == "2025-05-20T10:00"
    assert dl.point_value(Month(3, 2025)) == "март 2025"
    assert dl.shift_value(Shift(-3, "d")) == " - 3d"
    assert dl.shift_value(Shift(3, "wd")) == " + 3wd"


def test_roadmap_values_are_what_the_engine_reads() -> None:
    from cyclogram.engine import timeexpr

    for point in (
        Day(20, 9, 2024, weekday=4),
        Day(20, 5, 2025, time=dt.time(10, 0)),
        Month(3, 2025),
        Nth("первая среда декабря"),
    ):
        timeexpr.parse_expr(dl.point_value(point))
    for window in (Fixed(Month(11, 2022), Month(11, 2022)), Fixed(Day(15, 1, 2025), Day(1, 10, 2024)), Fixed(Day(1, 3, 2025))):
        parsed = timeexpr.parse_window(dl.window_value(window))
        assert parsed.due is not None
    assert timeexpr.parse_expr("upload.done" + dl.shift_value(Shift(3, "wd"))) == timeexpr.Relative(
        "upload", "done", timeexpr.Offset(3, "wd")
    )


def test_a_note_in_brackets_after_a_date_is_left_out_and_said() -> None:
    parsed = dl.parse("30 сентября (1 этап)")
    assert parsed.understood and parsed.notes == ("пояснение в скобках не вошло в срок: «1 этап»",)
    assert dl.parse("за 3 дня (до тестирования)").form == Anchored(Ref("тестирования"), "start", Shift(-3, "d"))
