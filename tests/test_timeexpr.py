"""Parsing every written deadline form the seed documents use."""

from __future__ import annotations

import datetime as dt

import pytest

from cyclogram.engine.timeexpr import (
    Absolute,
    DayMonth,
    ExprError,
    MonthRef,
    NthWeekday,
    Offset,
    Relative,
    parse_expr,
    parse_offset,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-09-06", Absolute(dt.date(2024, 9, 6))),
        ("06.09.2024г.", Absolute(dt.date(2024, 9, 6))),
        ("до 01.09.2024г.", Absolute(dt.date(2024, 9, 1))),
        ("01.10.24", Absolute(dt.date(2024, 10, 1))),
        ("20.09.2024 (пятница)", Absolute(dt.date(2024, 9, 20), None, 4)),
        ("2024-05-20T10:00", Absolute(dt.date(2024, 5, 20), dt.time(10, 0))),
        ("30.09", DayMonth(30, 9)),
        ("10 августа", DayMonth(10, 8)),
        ("15 апреля 2025", Absolute(dt.date(2025, 4, 15))),
        ("сентябрь", MonthRef(9)),
        ("март 2023", MonthRef(3, 2023)),
        ("2022-08", MonthRef(8, 2022)),
        ("May", MonthRef(5)),
        ("первая среда декабря", NthWeekday(1, 2, 12)),
        ("второй рабочий понедельник мая", NthWeekday(2, 0, 5, None, True)),
        ("вторая рабочая среда марта", NthWeekday(2, 2, 3, None, True)),
        ("последняя пятница мая 2025", NthWeekday(-1, 4, 5, 2025)),
        ("testing.start - 3d", Relative("testing", "start", Offset(-3, "d"))),
        ("upload.done + 3wd", Relative("upload", "done", Offset(3, "wd"))),
        ("testing.end", Relative("testing", "end", None)),
        ("vpr.start - 2mo", Relative("vpr", "start", Offset(-2, "mo"))),
        ("exam.start-1h", Relative("exam", "start", Offset(-1, "h"))),
        (dt.date(2024, 9, 1), Absolute(dt.date(2024, 9, 1))),
        ({"nth": 1, "weekday": "wednesday", "month": "december"}, NthWeekday(1, 2, 12)),
    ],
)
def test_forms(text, expected):
    assert parse_expr(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31.02.2024", "не существует"),
        ("2024-13-01", "не существует"),
        ("30.02", "не существует"),
        ("upload.done - 3wd", "назад от выполнения"),
        ("testing.start - 900d", "слишком большой"),
        ("testing.start + -3d", "неотрицательное целое"),
        ("testing.start + 3.5d", "неотрицательное целое"),
        ("testing.start + 3q", "неизвестная единица"),
        ("testing.middle", "после точки"),
        ("когда-нибудь", "непонятный срок"),
        ("", "пустой срок"),
        ({"nth": 7, "weekday": "wed", "month": 3}, "nth"),
    ],
)
def test_errors_explain_themselves(text, words):
    with pytest.raises(ExprError, match=words):
        parse_expr(text)


def test_offsets():
    assert parse_offset("3wd") == Offset(3, "wd")
    assert parse_offset("-2d") == Offset(-2, "d")
    with pytest.raises(ExprError):
        parse_offset("soon")


def test_str_round_trips_for_people():
    assert str(NthWeekday(1, 2, 12)) == "первая среда декабря"
    assert str(NthWeekday(2, 0, 5, None, True)) == "второй рабочий понедельник мая"
    assert str(Relative("upload", "done", Offset(3, "wd"))) == "upload.done + 3wd"
