"""The Russian working-day calendar, checked against official facts."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cyclogram import workdays
from cyclogram.engine.workcalendar import WorkCalendar


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CYCLOGRAM_CACHE_DIR", str(tmp_path))
    workdays._cached.cache_clear()
    yield tmp_path
    workdays._cached.cache_clear()


def russia(*args):
    """The calendar as the command line builds it: country days from the cache directory."""
    return WorkCalendar.russia(*args, country=workdays.country_days())


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2024-11-02", True),  # Saturday made working (transfer to 30.12)
        ("2024-12-30", False),  # transferred day off
        ("2025-11-01", True),  # Saturday made working
        ("2025-05-02", False),  # transferred day off
        ("2024-11-04", False),  # День народного единства
        ("2024-11-05", True),
        ("2024-11-03", False),  # plain Sunday
    ],
)
def test_official_facts(fresh_cache, day, working):
    calendar = russia()
    assert calendar.is_working_day(dt.date.fromisoformat(day)) is working


def test_facts_agree_with_holidays_library(fresh_cache):
    import holidays

    ru = holidays.country_holidays("RU", language="ru", years=range(2024, 2028))
    calendar = russia()
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2027, 12, 31):
        assert calendar.is_working_day(day) == ru.is_working_day(day), day
        day += dt.timedelta(days=1)


def test_cache_is_written_once_and_then_used_without_the_library(fresh_cache, monkeypatch):
    russia()
    files = list(fresh_cache.glob("ru-days-*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["known_through"] >= 2027
    assert "2024-11-04" in data["holidays"]
    assert "2024-11-02" in data["weekend_workdays"]

    workdays._cached.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError("the holidays library must not be consulted when the cache is valid")

    monkeypatch.setattr(workdays, "compute_russian_days", refuse)
    assert not russia().is_working_day(dt.date(2024, 11, 4))


def test_damaged_cache_is_rebuilt(fresh_cache):
    russia()
    path = next(fresh_cache.glob("ru-days-*.json"))
    path.write_text("{not json", encoding="utf-8")
    workdays._cached.cache_clear()
    assert russia().is_working_day(dt.date(2024, 11, 2))
    json.loads(path.read_text(encoding="utf-8"))


def test_unwritable_cache_dir_still_works(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CYCLOGRAM_CACHE_DIR", str(blocker / "sub"))
    workdays._cached.cache_clear()
    try:
        assert russia().is_working_day(dt.date(2025, 11, 1))
    finally:
        workdays._cached.cache_clear()


def test_working_day_arithmetic_skips_holidays(fresh_cache):
    calendar = russia()
    # 01.11.2024 (Fri) + 1 wd = 02.11.2024 (working Saturday); + 2 wd skips 03.11 (Sun) and 04.11 (holiday)
    assert calendar.add_working_days(dt.date(2024, 11, 1), 1) == dt.date(2024, 11, 2)
    assert calendar.add_working_days(dt.date(2024, 11, 1), 2) == dt.date(2024, 11, 5)
    assert calendar.add_working_days(dt.date(2024, 11, 5), -2) == dt.date(2024, 11, 1)
    assert calendar.add_working_days(dt.date(2024, 11, 4), 0) == dt.date(2024, 11, 5)
    assert calendar.working_days_between(dt.date(2024, 11, 1), dt.date(2024, 11, 5)) == 2
    assert calendar.working_days_between(dt.date(2024, 11, 5), dt.date(2024, 11, 1)) == -2
    assert calendar.days_off_between(dt.date(2024, 11, 1), dt.date(2024, 11, 5)) == [dt.date(2024, 11, 4)]


def test_roadmap_days_override_the_country(fresh_cache):
    calendar = russia({dt.date(2028, 3, 6): "местный праздник"}, frozenset({dt.date(2028, 3, 4)}))
    assert not calendar.is_working_day(dt.date(2028, 3, 6))
    assert calendar.is_working_day(dt.date(2028, 3, 4))  # a Saturday declared working
    assert calendar.holiday_name(dt.date(2028, 3, 6)) == "местный праздник"
    assert not calendar.knows_year(calendar.country.known_through + 1)
