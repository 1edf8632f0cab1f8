"""The Russian working-day calendar: official holidays and transferred working days.

The facts come from the `holidays` package (``RU``, ``language="ru"``), which knows the
government's transfer decrees up to a certain year. Importing `holidays` costs ~180 ms because it
loads every country, so callers that start often pass the country's days in (`CountryDays`):
`cyclogram.workdays` keeps them as JSON per library version in the cache directory, and a compiled
roadmap carries its calendar. Without them the package is asked once per process.

A roadmap may add local days off and working days (``calendar.days_off`` /
``calendar.working_days``), which is also how a school covers a year the library does not know yet.

Counting costs no more than the calendar's exceptions, whatever the dates: `working_days_between`
counts Monday–Friday days arithmetically and corrects for the days whose status differs from that
rule (holidays on weekdays, working weekends), so two dates centuries apart are as cheap as two
days apart. `add_working_days` steps day by day; its count is bounded by the schema (an offset is
at most `timeexpr.UNIT_LIMITS["wd"]` working days, a reminder lead at most 60).
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

FIRST_CACHED_YEAR = 2015
YEARS_AFTER_KNOWN = 3  # fixed holidays are still right after the last known transfer decree


@dataclass(frozen=True)
class CountryDays:
    """Days that differ from the plain Monday–Friday week, for a span of years."""

    holidays: dict[dt.date, str]  # non-working days with their names (incl. transferred days off)
    weekend_workdays: frozenset[dt.date]  # Saturdays/Sundays made working by transfers
    known_through: int  # last year for which official transfers are known
    first_year: int
    last_year: int


def compute_russian_days(first_year: int = FIRST_CACHED_YEAR, last_year: int | None = None) -> CountryDays:
    """RU holidays and weekend workdays from the `holidays` package (slow to import: ~180 ms)."""
    import holidays  # deliberately lazy: see module docstring

    probe_last = last_year if last_year is not None else dt.date.today().year + 10
    ru = holidays.country_holidays("RU", language="ru", years=range(first_year, probe_last + 1))
    # The library has no "decrees known through" attribute; the last year with a transfer
    # (a weekend made working, or a day off moved) is the last year a decree was recorded for.
    transfers = [d.year for d in ru.weekend_workdays]
    transfers += [d.year for d, name in ru.items() if "перенесено" in str(name).lower()]
    known_through = max(transfers)
    last = last_year if last_year is not None else known_through + YEARS_AFTER_KNOWN
    days = {day: str(name) for day, name in ru.items() if day.year <= last}
    workdays = frozenset(d for d in ru.weekend_workdays if first_year <= d.year <= last)
    return CountryDays(days, workdays, known_through, first_year, last)


@lru_cache(maxsize=1)
def russian_days() -> CountryDays:
    """`compute_russian_days()`, once per process: for callers that keep no cache on disk."""
    return compute_russian_days()


def country_days_to_json(days: CountryDays) -> dict[str, object]:
    return {
        "known_through": days.known_through,
        "first_year": days.first_year,
        "last_year": days.last_year,
        "holidays": {d.isoformat(): name for d, name in sorted(days.holidays.items())},
        "weekend_workdays": sorted(d.isoformat() for d in days.weekend_workdays),
    }


def country_days_from_json(data: dict[str, object]) -> CountryDays:
    """The inverse of `country_days_to_json`; raises ValueError/KeyError/TypeError on damaged data."""
    holidays_map = data["holidays"]
    workdays = data["weekend_workdays"]
    if not isinstance(holidays_map, dict) or not isinstance(workdays, list):
        raise TypeError("damaged country calendar")
    return CountryDays(
        {dt.date.fromisoformat(k): str(v) for k, v in holidays_map.items()},
        frozenset(dt.date.fromisoformat(d) for d in workdays),
        int(str(data["known_through"])),
        int(str(data["first_year"])),
        int(str(data["last_year"])),
    )


@dataclass(frozen=True)
class WorkCalendar:
    """Answers "is this a working day?" and counts working days, Russian rules plus local days."""

    country: CountryDays
    extra_days_off: frozenset[dt.date] = field(default_factory=frozenset)
    extra_working_days: frozenset[dt.date] = field(default_factory=frozenset)
    extra_names: dict[dt.date, str] = field(default_factory=dict)

    @classmethod
    def russia(
        cls,
        days_off: dict[dt.date, str] | None = None,
        working_days: frozenset[dt.date] | None = None,
        country: CountryDays | None = None,
    ) -> WorkCalendar:
        days_off = days_off or {}
        return cls(country or russian_days(), frozenset(days_off), working_days or frozenset(), dict(days_off))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        if day in self.country.weekend_workdays:
            return True
        if day in self.country.holidays:
            return False
        return day.weekday() < 5

    def is_declared(self, day: dt.date) -> bool:
        """True when the day's status comes from the roadmap itself (local days off/working days)."""
        return day in self.extra_working_days or day in self.extra_days_off

    def holiday_name(self, day: dt.date) -> str | None:
        return self.extra_names.get(day) or self.country.holidays.get(day)

    def knows_year(self, year: int) -> bool:
        """Whether official transfers are known for this year (from the library)."""
        return year <= self.country.known_through

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The |count|-th working day after (count > 0) or before (count < 0) `start`.

        With count == 0, `start` itself if it is a working day, else the next working day.
        """
        day = start
        if count == 0:
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
            return day
        step = dt.timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    @cached_property
    def irregular_days(self) -> tuple[tuple[dt.date, ...], tuple[int, ...]]:
        """Days whose status differs from the Monday–Friday rule, sorted, and for each the running
        correction up to and including it (+1 for a working weekend day, −1 for a weekday off)."""
        candidates = set(self.country.holidays) | self.country.weekend_workdays | self.extra_days_off | self.extra_working_days
        days = sorted(day for day in candidates if self.is_working_day(day) != (day.weekday() < 5))
        corrections, total = [], 0
        for day in days:
            total += 1 if day.weekday() >= 5 else -1
            corrections.append(total)
        return tuple(days), tuple(corrections)

    def _working_days_through(self, day: dt.date) -> int:
        """Working days from 0001-01-01 through `day` (a count to subtract, not a date)."""
        ordinal = day.toordinal()  # 0001-01-01 is a Monday and has ordinal 1
        weeks, rest = divmod(ordinal, 7)
        days, corrections = self.irregular_days
        index = bisect.bisect_right(days, day)
        return weeks * 5 + min(rest, 5) + (corrections[index - 1] if index else 0)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        return self._working_days_through(end) - self._working_days_through(start)

    def days_off_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Non-working weekdays (holidays) strictly between two dates, for explanations."""
        low, high = min(start, end), max(start, end)
        day = low + dt.timedelta(days=1)
        found = []
        while day < high:
            if day.weekday() < 5 and not self.is_working_day(day):
                found.append(day)
            day += dt.timedelta(days=1)
        return found
