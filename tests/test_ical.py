"""iCalendar export (notifiers.ical), checked through Mozilla's ical.js — the parser Thunderbird uses.

Every exported file is parsed by tests/js/parse_ics.mjs under Node (one Node start per file set,
not per event); node_modules is installed from the pinned lock file on first use. Without `node`
or `npm` on PATH the ical.js tests are skipped with the reason; the pure-Python ones still run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from cyclogram.engine.plan import PlannedStage
from cyclogram.engine.status import RoadmapStatus, compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_file, check_text
from cyclogram.notifiers.ical import (
    CONTINUOUS_REASON,
    EventCache,
    EventSpec,
    build_specs,
    choose_rule,
    render_calendar,
    slug,
)

ROOT = Path(__file__).resolve().parent.parent
JS = Path(__file__).resolve().parent / "js"
SPT = ROOT / "roadmaps" / "spt-usolye-2024.yaml"
OBJECTIVITY = ROOT / "roadmaps" / "objectivity-bobrovsky-2022.yaml"
IRKUTSK = ZoneInfo("Asia/Irkutsk")
NOW = dt.datetime(2024, 9, 2, 1, 0, tzinfo=dt.UTC)
MOMENT = dt.date(2024, 9, 2)
DOMAIN = "spt-usolye-2024.cyclogram"

RECURRING = """\
id: rec-test
title: Проверка повторов и времени
academic_year: 2024-2025
timezone: Asia/Irkutsk
defaults: {send_at: "08:30"}
people:
  toropkina: {name: Торопкина А.А., position: заместитель директора, contacts: {email: t@school.example}}
  volkova: {name: Волкова Л.А., supervisor: toropkina, contacts: {email: "secret:volkova_mail"}}
events:
  exam: {title: Экзамен, start: 2025-05-20T10:00}
stages:
  - {id: monthly25, number: "1", title: Ежемесячный отчёт, recurring: {every: month, day: 25}, responsible: [toropkina]}
  - {id: monthly30, number: "2", title: Отчёт к 30-му числу, recurring: {every: month, day: 30}, responsible: [toropkina]}
  - {id: month_end, number: "3", title: Отчёт в конце месяца, recurring: {every: month}, responsible: [toropkina]}
  - {id: trimester, number: "4", title: Отчёт за триместр, recurring: {every: trimester}, responsible: [toropkina]}
  - {id: quarter, number: "5", title: Отчёт за четверть, recurring: {every: quarter}, responsible: [toropkina]}
  - id: weekly
    number: "6"
    title: Планёрка
    recurring: {every: week, weekday: пятница, start: сентябрь, end: декабрь}
    responsible: [toropkina]
  - {id: half, number: "7", title: Отчёт за полугодие, recurring: {every: half_year}, responsible: [toropkina]}
  - {id: packages, number: "8", title: Получить экзаменационные пакеты, due: exam.start - 1h, responsible: [volkova, toropkina]}
  - {id: rooms, number: "9", title: Подготовить аудитории, start: 2025-05-12, due: exam.start - 1h, responsible: [toropkina]}
"""


# --- ical.js ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ical_js():
    """parse(*paths, expand=60) -> {path: {"calendar": …, "items": […]}} via ical.js under Node."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        reason = (
            "ical.js tests need Node.js: " + ", ".join(n for n, p in (("node", node), ("npm", npm)) if not p) + " not on PATH"
        )
        print(reason)
        pytest.skip(reason)
    installed = JS / "node_modules" / "ical.js" / "package.json"
    if not installed.exists():
        # pytest -n: every worker runs this fixture; `npm ci` empties node_modules first, so one
        # worker installs while the others wait on the lock and then find it done.
        with open(Path(tempfile.gettempdir()) / "cyclogram-tests-js-npm.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not installed.exists():
                command = [npm, "ci" if (JS / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
                done = subprocess.run(command, cwd=JS, capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"

    def parse(*paths: Path, expand: int = 60) -> dict[str, dict]:
        done = subprocess.run(
            [node, str(JS / "parse_ics.mjs"), "--expand", str(expand), *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"ical.js could not parse {paths}:\n{done.stderr}"
        return json.loads(done.stdout)

    return parse


def _by_uid(parsed: dict) -> dict[str, dict]:
    """Master components by UID (overrides with RECURRENCE-ID are kept under "<uid>#<date>")."""
    items = {}
    for item in parsed["items"]:
        key = item["uid"] + (f"#{item['recurrenceId']}" if item["recurrenceId"] else "")
        assert key not in items, f"duplicate component {key}"
        items[key] = item
    return items


# --- data ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spt():
    checked = check_file(SPT)
    assert checked.roadmap is not None and checked.report.ok
    return checked.roadmap


def _status(roadmap, completions=(), moment=MOMENT) -> RoadmapStatus:
    return compute_status(roadmap, list(completions), moment)


def _render(specs, roadmap, **kwargs) -> bytes:
    kwargs.setdefault("now", NOW)
    return render_calendar(specs, name=kwargs.pop("name", "План СПТ"), timezone=roadmap.timezone, **kwargs)


@pytest.fixture(scope="session")
def spt_built(spt):
    status = _status(spt)
    specs, skipped = build_specs(status)
    return status, specs, skipped, _render(specs, spt)


@pytest.fixture(scope="session")
def spt_feed(spt_built, tmp_path_factory, ical_js):
    path = tmp_path_factory.mktemp("ics") / "spt.ics"
    path.write_bytes(spt_built[3])
    return (*spt_built, ical_js(path)[str(path)])


@pytest.fixture(scope="session")
def recurring():
    checked = check_text(RECURRING)
    assert checked.roadmap is not None and checked.report.ok, checked.report
    return checked.roadmap


@pytest.fixture(scope="session")
def recurring_built(recurring):
    status = _status(recurring)
    specs, skipped = build_specs(status)
    return status, specs, skipped, _render(specs, recurring, name="Повторы")


@pytest.fixture(scope="session")
def recurring_feed(recurring_built, tmp_path_factory, ical_js):
    path = tmp_path_factory.mktemp("ics") / "recurring.ics"
    path.write_bytes(recurring_built[3])
    return (*recurring_built, ical_js(path, expand=100)[str(path)])


def _known(planned: PlannedStage) -> bool:
    return planned.kind != "continuous" and not planned.unknown and all(not o.unknown for o in planned.occurrences)


# --- the real СПТ roadmap through ical.js ----------------------------------------------------


def test_spt_calendar_properties(spt_feed):
    *_, parsed = spt_feed
    assert parsed["calendar"] == {
        "prodid": "-//Cyclogram//Roadmap calendar//RU",
        "version": "2.0",
        "calscale": "GREGORIAN",
        "method": "PUBLISH",
        "name": "План СПТ",
        "timezone": "Asia/Irkutsk",
        "vtimezones": ["Asia/Irkutsk"],
    }


def test_spt_one_event_per_stage_with_known_dates(spt_feed):
    status, _specs, skipped, _, parsed = spt_feed
    known = [key for key, planned in status.plan.stages.items() if _known(planned)]
    assert len(known) == 27
    assert [item["uid"] for item in parsed["items"]] == [f"{key}@{DOMAIN}" for key in known]
    assert all(item["component"] == "VEVENT" and item["status"] == "CONFIRMED" for item in parsed["items"])
    assert all(item["transp"] == "TRANSPARENT" for item in parsed["items"])
    assert [(s.stage_id, s.number, s.reason) for s in skipped] == [("confidentiality", "24", CONTINUOUS_REASON)]
    assert skipped[0].title.startswith("Обеспечить конфиденциальность")


def test_spt_deadline_and_window_dates(spt_feed):
    *_, parsed = spt_feed
    items = _by_uid(parsed)
    report = items[f"report_forms@{DOMAIN}"]  # 21: upload (18.10) + 3 working days
    assert (report["isDate"], report["dtstart"], report["dtend"], report["endDate"]) == (
        True,
        "2024-10-23",
        "2024-10-24",
        "2024-10-24",
    )
    testing = items[f"testing_run@{DOMAIN}"]  # 17: the testing window 01.10–15.10, DTEND exclusive
    assert (testing["isDate"], testing["dtstart"], testing["dtend"]) == (True, "2024-10-01", "2024-10-16")
    assert "Срок: с 01.10.2024, вторник по 15.10.2024, вторник" in testing["description"]


def test_spt_cyrillic_text_survives(spt_feed):
    _, specs, _, _, parsed = spt_feed
    items = _by_uid(parsed)
    upload = items[f"upload@{DOMAIN}"]
    assert upload["summary"].startswith("20. Произвести выгрузку из электронной тестовой оболочки")
    assert upload["summary"].endswith("…") and len(upload["summary"]) <= 4 + 80
    for spec in specs:  # every text property, byte for byte, after escaping and folding
        item = items[spec.uid]
        assert item["summary"] == spec.fields["summary"]
        assert item["description"] == spec.fields["description"]
        assert item["categories"] == ["Организация СПТ-2023 по единой методике (ЕМ СПТ)"]
    description = items[f"report_forms@{DOMAIN}"]["description"]
    assert description.splitlines()[0] == "Заполнить отчетные формы по итогам тестирования."
    for line in (
        "Срок: 23.10.2024, среда",
        "Документ: Отчетные формы",
        "Ответственный: Волкова Л.А. (педагог-психолог)",
        "Зависит от: 20 «Произвести выгрузку из электронной тестовой оболочки…» — не выполнен",
        "Статус: заблокирован",
        "Подтверждение: нужен подтверждающий документ",
    ):
        assert line in description.splitlines()
    assert "Как получен срок: 23.10.2024 = выполнение этапа 20" in description
    assert "Также: Торопкина А.А., Волкова Л.А." in items[f"testing_run@{DOMAIN}"]["description"]


def test_spt_alarms_follow_the_reminder_policy(spt_feed):
    status, *_, parsed = spt_feed
    items = _by_uid(parsed)
    alarms = items[f"report_forms@{DOMAIN}"]["alarms"]
    # 5 and 1 working days before 23.10.2024 at 09:00 Asia/Irkutsk = 01:00 UTC
    assert [a["absolute"] for a in alarms] == ["2024-10-16T01:00:00Z", "2024-10-22T01:00:00Z"]
    assert all(a["action"] == "DISPLAY" and a["valueType"] == "date-time" for a in alarms)
    assert alarms[0]["description"].startswith("Напоминание: 21. Заполнить отчетные формы")
    calendar = status.plan.calendar
    for key, planned in status.plan.stages.items():
        if not _known(planned):
            continue
        due = planned.occurrences[0].due
        expected = [
            dt.datetime.combine(calendar.add_working_days(due, -lead), dt.time(9), tzinfo=IRKUTSK)
            .astimezone(dt.UTC)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            for lead in (5, 1)
        ]
        assert [a["absolute"] for a in items[f"{key}@{DOMAIN}"]["alarms"]] == expected, key


def test_spt_attendees_and_organizer(spt_feed):
    *_, _data, parsed = spt_feed
    items = _by_uid(parsed)
    testing = items[f"testing_run@{DOMAIN}"]
    assert testing["attendees"] == [
        {"value": "mailto:melnikova@school12.example", "cn": "Мельникова Н.А.", "role": "REQ-PARTICIPANT"},
        {"value": "mailto:toropkina@school12.example", "cn": "Торопкина А.А.", "role": "OPT-PARTICIPANT"},
        {"value": "mailto:volkova@school12.example", "cn": "Волкова Л.А.", "role": "OPT-PARTICIPANT"},
    ]
    assert testing["organizer"] is None  # the director has no supervisor
    report = items[f"report_forms@{DOMAIN}"]
    assert report["organizer"] == {"value": "mailto:melnikova@school12.example", "cn": "Мельникова Н.А.", "role": None}
    consents = items[f"consents@{DOMAIN}"]  # toropkina + the class teachers' role, expanded
    assert [a["value"] for a in consents["attendees"]] == [
        "mailto:toropkina@school12.example",
        "mailto:ivanova@school12.example",
        "mailto:petrova@school12.example",
        "mailto:sidorova@school12.example",
    ]


# --- recurring stages and times -------------------------------------------------------------


def _plan_dues(status: RoadmapStatus, key: str) -> list[str]:
    return [o.due.isoformat() for o in status.plan.stages[key].occurrences]


def _expanded_dates(parsed: dict, stage_id: str) -> list[str]:
    """Every day the client shows for a stage: its series expanded plus its separate events."""
    days = []
    for item in parsed["items"]:
        if item["recurrenceId"] or not item["uid"].startswith((f"{stage_id}@", f"{stage_id}-")):
            continue
        if item["rrule"]:
            days += [occurrence["start"] for occurrence in item["occurrences"]]
        else:
            days.append(item["dtstart"])
    return sorted(days)


@pytest.mark.parametrize("stage_id", ["monthly25", "monthly30", "month_end", "trimester", "quarter", "weekly", "half"])
def test_recurring_expands_to_the_plan_due_dates(recurring_feed, stage_id):
    status, *_, parsed = recurring_feed
    assert _expanded_dates(parsed, stage_id) == _plan_dues(status, stage_id)
    for item in parsed["items"]:  # every occurrence is one day, on its due date
        if item["uid"].startswith((f"{stage_id}@", f"{stage_id}-")):
            assert item["isDate"] is True
            for occurrence in item["occurrences"] or [{"start": item["dtstart"], "end": item["dtend"]}]:
                end = dt.date.fromisoformat(occurrence["start"]) + dt.timedelta(days=1)
                assert occurrence["end"] == end.isoformat()


def test_recurring_rules(recurring_feed):
    *_, parsed = recurring_feed
    items = _by_uid(parsed)
    assert items["monthly25@rec-test.cyclogram"]["rrule"] == "FREQ=MONTHLY;COUNT=12"
    assert items["month_end@rec-test.cyclogram"]["rrule"] == "FREQ=MONTHLY;COUNT=12;BYMONTHDAY=-1"
    assert items["trimester@rec-test.cyclogram"]["rrule"] == "FREQ=MONTHLY;COUNT=3;INTERVAL=3;BYMONTHDAY=-1"
    assert items["weekly@rec-test.cyclogram"]["rrule"] == "FREQ=WEEKLY;COUNT=17"
    assert "Срок: раз в триместр; 3 раза: с 30.11.2024 по 31.05.2025" in items["trimester@rec-test.cyclogram"]["description"]
    assert "Срок: еженедельно, пятница; 17 раз: с 06.09.2024 по 27.12.2024" in items["weekly@rec-test.cyclogram"]["description"]
    # day 30: RFC 5545 skips 30.02, so 28.02 is an event of its own
    assert items["monthly30@rec-test.cyclogram"]["rrule"] == "FREQ=MONTHLY;COUNT=11"
    assert items["monthly30-fevral-2025@rec-test.cyclogram"]["dtstart"] == "2025-02-28"
    # quarters and half-years are not a simple rule: one event per occurrence
    assert sorted(k for k in items if k.startswith("quarter")) == [
        f"quarter-{n}-ya-chetvert@rec-test.cyclogram" for n in range(1, 5)
    ]
    assert not any(items[k]["rrule"] for k in items if k.startswith(("quarter", "half")))


def test_recurring_alarms_are_relative(recurring_feed):
    _, *_, parsed = recurring_feed
    items = _by_uid(parsed)
    alarms = items["monthly25@rec-test.cyclogram"]["alarms"]
    # 5 working days before the 25th is most often 7 calendar days; send_at 08:30
    assert [(a["relative"], a["related"], a["absolute"]) for a in alarms] == [
        ("-P6DT15H30M", "START", None),
        ("-PT15H30M", "START", None),
    ]
    separate = items["monthly30-fevral-2025@rec-test.cyclogram"]["alarms"]  # 28.02.2025 is a Friday
    assert [a["absolute"] for a in separate] == ["2025-02-21T00:30:00Z", "2025-02-27T00:30:00Z"]


def test_timed_deadline_is_in_the_roadmap_timezone(recurring_feed):
    *_, data, parsed = recurring_feed
    packages = _by_uid(parsed)["packages@rec-test.cyclogram"]
    assert packages["isDate"] is False
    assert packages["dtstartLocal"] == {"value": "2025-05-20T09:00:00", "tzid": "Asia/Irkutsk"}
    assert packages["dtstart"] == "2025-05-20T01:00:00Z"  # exam 10:00 − 1 h, UTC+8
    assert packages["endDate"] == packages["dtstart"]  # a deadline is an instant
    assert b"DTSTART;TZID=Asia/Irkutsk:20250520T090000" in data
    assert [a["absolute"] for a in packages["alarms"]] == ["2025-05-13T00:30:00Z", "2025-05-19T00:30:00Z"]


def test_timed_window(recurring, recurring_feed, ical_js, tmp_path):
    *_, parsed = recurring_feed
    rooms = _by_uid(parsed)["rooms@rec-test.cyclogram"]
    assert (rooms["isDate"], rooms["dtstartLocal"], rooms["dtend"]) == (
        False,
        {"value": "2025-05-12T00:00:00", "tzid": "Asia/Irkutsk"},
        "2025-05-20T01:00:00Z",
    )
    (tmp_path / "todo.ics").write_bytes(_render(build_specs(_status(recurring), todo=True)[0], recurring))
    todo = _by_uid(ical_js(tmp_path / "todo.ics")[str(tmp_path / "todo.ics")])["rooms@rec-test.cyclogram"]
    # VTODO: DTSTART of the same value type as DUE (RFC 5545 3.8.2.3)
    assert (todo["dtstartLocal"]["value"], todo["dueLocal"]) == (
        "2025-05-12T00:00:00",
        {"value": "2025-05-20T09:00:00", "tzid": "Asia/Irkutsk"},
    )


def test_secret_contacts_are_never_written(recurring_feed):
    *_, data, parsed = recurring_feed
    assert b"secret:" not in data and b"volkova_mail" not in data
    packages = _by_uid(parsed)["packages@rec-test.cyclogram"]
    # volkova (owner) has no usable address; toropkina is there, and is volkova's supervisor
    assert [(a["value"], a["role"]) for a in packages["attendees"]] == [("mailto:t@school.example", "OPT-PARTICIPANT")]
    assert packages["organizer"]["value"] == "mailto:t@school.example"
    assert "Ответственный: Волкова Л.А." in packages["description"]


def test_recurring_occurrences_done_and_skipped(recurring, ical_js, tmp_path):
    completions = [
        Completion(
            "monthly25",
            CompletionState.DONE,
            dt.datetime(2024, 9, 24, 15, tzinfo=IRKUTSK),
            "toropkina",
            occurrence="сентябрь 2024",
        ),
        Completion(
            "monthly25",
            CompletionState.SKIPPED,
            dt.datetime(2024, 10, 20, 15, tzinfo=IRKUTSK),
            "toropkina",
            occurrence="октябрь 2024",
        ),
    ]
    status = _status(recurring, completions, dt.date(2024, 11, 2))
    specs, _ = build_specs(status, completions=completions)
    (tmp_path / "rec.ics").write_bytes(_render(specs, recurring))
    (tmp_path / "todo.ics").write_bytes(_render(build_specs(status, completions=completions, todo=True)[0], recurring))
    parsed = ical_js(tmp_path / "rec.ics", tmp_path / "todo.ics", expand=3)
    series = _by_uid(parsed[str(tmp_path / "rec.ics")])["monthly25@rec-test.cyclogram"]
    assert [(o["start"], o["summary"], o["status"]) for o in series["occurrences"]] == [
        ("2024-09-25", "✓ 1. Ежемесячный отчёт (сентябрь 2024)", "CONFIRMED"),
        ("2024-10-25", "⊘ 1. Ежемесячный отчёт (октябрь 2024)", "CANCELLED"),
        ("2024-11-25", "1. Ежемесячный отчёт", "CONFIRMED"),
    ]
    assert "Статус: открыт (выполнено 2 из 12)" in series["description"]
    todos = _by_uid(parsed[str(tmp_path / "todo.ics")])
    september = todos["monthly25-sentyabr-2024@rec-test.cyclogram"]
    assert (september["component"], september["status"], september["completed"], september["percentComplete"]) == (
        "VTODO",
        "COMPLETED",
        "2024-09-24T07:00:00Z",
        100,
    )
    assert (september["dtstart"], september["due"]) == ("2024-09-01", "2024-09-25")  # the month's window
    assert todos["monthly25-oktyabr-2024@rec-test.cyclogram"]["status"] == "CANCELLED"
    november = todos["monthly25-noyabr-2024@rec-test.cyclogram"]
    assert november["status"] == "NEEDS-ACTION" and november["completed"] is None and len(november["alarms"]) == 2


# --- completion marks ------------------------------------------------------------------------


def test_completed_stages(spt, ical_js, tmp_path):
    done_at = dt.datetime(2024, 8, 30, 14, 5, tzinfo=IRKUTSK)
    completions = [
        Completion("include_in_plan", CompletionState.DONE, done_at, "toropkina"),
        Completion("plan", CompletionState.DONE, dt.datetime(2024, 9, 9, 10, tzinfo=IRKUTSK), "toropkina"),
        Completion("local_act", CompletionState.SKIPPED, dt.datetime(2024, 9, 2, 10, tzinfo=IRKUTSK), "melnikova"),
    ]
    status = _status(spt, completions, dt.date(2024, 9, 10))
    (tmp_path / "events.ics").write_bytes(_render(build_specs(status)[0], spt))
    (tmp_path / "todos.ics").write_bytes(_render(build_specs(status, todo=True)[0], spt))
    parsed = ical_js(tmp_path / "events.ics", tmp_path / "todos.ics")
    events = _by_uid(parsed[str(tmp_path / "events.ics")])
    first = events[f"include_in_plan@{DOMAIN}"]
    assert first["summary"].startswith("✓ 1. Включить проведение СПТ") and first["status"] == "CONFIRMED"
    assert first["alarms"] == [] and "Статус: выполнен" in first["description"]
    late = events[f"plan@{DOMAIN}"]
    assert late["summary"].startswith("✓ 2. ") and "Статус: выполнен с опозданием" in late["description"]
    skipped = events[f"local_act@{DOMAIN}"]
    assert skipped["summary"].startswith("⊘ 3. ") and skipped["status"] == "CANCELLED"
    assert (
        "Зависит от: 2 «Разработать план проведения ЕМ СПТ с учетом…» — выполнен с опозданием"
        in events[f"teachers_council@{DOMAIN}"]["description"]
    )
    opened = events[f"consent_forms@{DOMAIN}"]
    assert not opened["summary"].startswith(("✓", "⊘")) and opened["status"] == "CONFIRMED"

    todos = _by_uid(parsed[str(tmp_path / "todos.ics")])
    assert all(item["component"] == "VTODO" for item in todos.values())
    first = todos[f"include_in_plan@{DOMAIN}"]
    assert first["summary"].startswith("1. ")  # no mark: the status is native
    assert (first["status"], first["completed"], first["percentComplete"]) == ("COMPLETED", "2024-08-30T06:05:00Z", 100)
    assert (first["due"], first["dtstart"], first["isDate"]) == ("2024-09-01", None, True)
    assert todos[f"local_act@{DOMAIN}"]["status"] == "CANCELLED"
    assert todos[f"local_act@{DOMAIN}"]["completed"] is None
    window = todos[f"testing_run@{DOMAIN}"]
    assert (window["status"], window["dtstart"], window["due"]) == ("NEEDS-ACTION", "2024-10-01", "2024-10-15")
    assert len(window["alarms"]) == 2


# --- the other real roadmap: groups of events, unknown dates --------------------------------


def test_objectivity_occurrences_and_unknown_dates(ical_js, tmp_path):
    checked = check_file(OBJECTIVITY)
    roadmap = checked.roadmap
    status = _status(roadmap, moment=dt.date(2022, 9, 5))
    specs, skipped = build_specs(status)
    (tmp_path / "obj.ics").write_bytes(_render(specs, roadmap, name="Объективность"))
    items = _by_uid(ical_js(tmp_path / "obj.ics")[str(tmp_path / "obj.ics")])
    domain = "objectivity-bobrovsky-2022.cyclogram"
    month = items[f"coordinator_order-sentyabr-2022@{domain}"]  # months: the whole month
    assert (month["dtstart"], month["dtend"]) == ("2022-09-01", "2022-10-01")
    assert (
        month["summary"] == "1.1. Издание приказа о назначении школьного координатора внешней оценочной процедуры (сентябрь 2022)"
    )
    per_subject = sorted(k for k in items if k.startswith("organization_orders-"))
    assert per_subject == sorted(
        f"organization_orders-{s}@{domain}"
        for s in ("vpr-russkiy-yazyk", "vpr-matematika", "vpr-okruzhayushchiy-mir", "vpr-inostrannyy-yazyk")
    )
    reasons = {(s.stage_id, s.reason) for s in skipped}
    assert (
        "organization_orders",
        "ВПР — предметы на основе случайного выбора: дата события «ВПР — предметы на основе случайного выбора» (vpr_random) ещё не известна",
    ) in reasons
    assert ("experience_sharing", "по внешнему поводу: по графику заседаний ШМО и методических семинаров") in reasons
    assert ("parents_info", CONTINUOUS_REASON) in reasons
    assert any(s.stage_id == "courses_training" and "ещё не известна" in s.reason for s in skipped)
    for spec in specs:  # section titles as categories, commas included
        planned = status.plan.stages[spec.stage_id]
        titles = [f"{s.number.rstrip('.')}. {' '.join(s.title.split())}" for s in planned.ref.sections]
        assert items[spec.uid]["categories"] == titles


# --- people ----------------------------------------------------------------------------------


def test_people_filter(spt_built):
    status, specs, _skipped, _ = spt_built
    mine, my_skipped = build_specs(status, people=["volkova"])
    expected = {key for key, planned in status.plan.stages.items() if "volkova" in planned.responsible and _known(planned)}
    assert {spec.stage_id for spec in mine} == expected and len(mine) == len(expected)
    assert [s.stage_id for s in my_skipped] == ["confidentiality"]
    kochneva, kochneva_skipped = build_specs(status, people=["kochneva"])
    assert [spec.stage_id for spec in kochneva] == ["timetable", "notify"] and kochneva_skipped == []
    by_role, _ = build_specs(status, people=["class_teachers"])
    by_members, _ = build_specs(status, people=["ivanova", "petrova", "sidorova"])
    assert (
        [s.uid for s in by_role]
        == [s.uid for s in by_members]
        == [f"{k}@{DOMAIN}" for k in ("info_campaign", "consents", "notify")]
    )
    assert {s.uid: s.content_hash for s in specs if s.uid in {x.uid for x in by_role}} == {s.uid: s.content_hash for s in by_role}
    assert build_specs(status, people=[]) == ([], [])


# --- round trip, folding, stability, cache ---------------------------------------------------


def test_round_trip_through_icalendar(spt_built):
    _, specs, _, data = spt_built
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [s.uid for s in specs]
    assert [str(e["SUMMARY"]) for e in events] == [s.fields["summary"] for s in specs]
    assert [str(e["DESCRIPTION"]) for e in events] == [s.fields["description"] for s in specs]
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Irkutsk"]
    assert Calendar.from_ical(data).to_ical() == calendar.to_ical()


def _check_lines(data: bytes) -> None:
    assert data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # a multi-byte character is never split across lines


def test_line_folding_keeps_cyrillic_whole(spt_built, recurring_built):
    for data in (spt_built[3], recurring_built[3]):
        _check_lines(data)
        assert any(len(line) >= 70 for line in data.split(b"\r\n"))  # folding did happen
    long_title = "Оченьдлинноеслово" * 12 + " — и ещё «кавычки», точка с запятой; обратная черта \\ и перевод\nстроки"
    roadmap = check_text(
        RECURRING.replace("title: Получить экзаменационные пакеты", f"title: {json.dumps(long_title, ensure_ascii=False)}")
    ).roadmap
    specs, _ = build_specs(_status(roadmap))
    data = _render(specs, roadmap)
    _check_lines(data)
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    assert ("Оченьдлинноеслово" * 12) in unfolded
    packages = next(e for e in Calendar.from_ical(data).walk("VEVENT") if str(e["UID"]).startswith("packages@"))
    assert str(packages["DESCRIPTION"]).splitlines()[0] == " ".join(long_title.split())


def test_stable_output(spt):
    versions = {f"report_forms@{DOMAIN}": (3, dt.datetime(2024, 8, 1, 12, tzinfo=IRKUTSK))}
    first, _ = build_specs(_status(spt))
    second, _ = build_specs(_status(check_file(SPT).roadmap))
    assert [(s.uid, s.content_hash) for s in first] == [(s.uid, s.content_hash) for s in second]
    assert _render(first, spt, versions=versions) == _render(second, spt, versions=versions)
    events = {str(e["UID"]): e for e in Calendar.from_ical(_render(first, spt, versions=versions)).walk("VEVENT")}
    report, other = events[f"report_forms@{DOMAIN}"], events[f"upload@{DOMAIN}"]
    assert (report["SEQUENCE"], report["LAST-MODIFIED"].to_ical()) == (3, b"20240801T040000Z")
    assert (other["SEQUENCE"], other["LAST-MODIFIED"].to_ical()) == (0, b"20240902T010000Z")  # (0, now)
    assert report["DTSTAMP"].to_ical() == b"20240902T010000Z"


def _hashes(text: str) -> dict[str, str]:
    checked = check_text(text)
    assert checked.roadmap is not None and checked.report.ok
    return {s.uid: s.content_hash for s in build_specs(_status(checked.roadmap))[0]}


def _dates(text: str) -> dict[str, tuple]:
    plan = check_text(text).plan
    return {key: tuple((o.start, o.due, o.due_time) for o in p.occurrences) for key, p in plan.stages.items()}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # the testing event ends a day earlier (a day later would put upload, 19.10, after the
        # reports due 18.10 that depend on it: the plan reports that as an error)
        ("    end: 2024-10-15\n", "    end: 2024-10-14\n"),
        ("        due: 2024-09-03\n", "        due: 2024-09-04\n"),  # one stage's own deadline
    ],
)
def test_content_hash_changes_only_where_dates_moved(old, new):
    text = SPT.read_text(encoding="utf-8")
    assert text.count(old) == 1
    changed_text = text.replace(old, new)
    before, after = _hashes(text), _hashes(changed_text)
    assert list(before) == list(after)  # UIDs unchanged
    moved = {f"{key}@{DOMAIN}" for key, dates in _dates(text).items() if _dates(changed_text)[key] != dates}
    assert moved  # the change did move something
    assert {uid for uid in before if before[uid] != after[uid]} == moved


def test_cache_reuses_unchanged_components(spt):
    status = _status(spt)
    specs, _ = build_specs(status)
    cache = EventCache()
    cold = _render(specs, spt, cache=cache)
    assert cold == _render(specs, spt)  # the cache changes nothing in the output
    assert (cache.misses, cache.hits, len(cache)) == (len(specs), 0, len(specs))
    later = NOW + dt.timedelta(hours=5)
    assert _render(specs, spt, cache=cache, now=later) == cold  # DTSTAMP of the first serialization
    assert cache.hits == len(specs)
    changed = [
        EventSpec(s.uid, s.stage_id, "0" * 64, s.component, {**s.fields, "summary": "Изменено"}) if s.stage_id == "upload" else s
        for s in specs
    ]
    misses = cache.misses
    warm = _render(changed, spt, cache=cache, now=later)
    assert cache.misses == misses + 1
    assert warm.count("SUMMARY:Изменено".encode()) == 1 and b"DTSTAMP:20240902T060000Z" in warm
    # versions: a new SEQUENCE is a new cache entry
    bumped = _render(changed, spt, cache=cache, now=later, versions={f"upload@{DOMAIN}": (1, later)})
    assert cache.misses == misses + 2 and b"SEQUENCE:1" in bumped


def test_cache_limit():
    cache = EventCache(max_entries=2)
    for n in range(3):
        cache.put((f"u{n}", "h", 0, ""), b"x")
    assert len(cache) == 2 and cache.get(("u0", "h", 0, "")) is None and cache.get(("u2", "h", 0, "")) == b"x"
    with pytest.raises(ValueError):
        EventCache(0)


def test_render_needs_aware_times(spt):
    with pytest.raises(ValueError):
        _render(build_specs(_status(spt))[0], spt, now=dt.datetime(2024, 9, 2))


# --- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dues", "rule", "rest"),
    [
        (["2024-11-30", "2025-02-28", "2025-05-31"], {"FREQ": "MONTHLY", "INTERVAL": 3, "BYMONTHDAY": -1, "COUNT": 3}, []),
        (
            ["2024-10-31", "2024-12-31", "2025-03-31", "2025-05-31"],
            None,
            ["2024-10-31", "2024-12-31", "2025-03-31", "2025-05-31"],
        ),
        (["2024-09-06", "2024-09-13", "2024-09-20", "2024-09-25"], {"FREQ": "WEEKLY", "INTERVAL": 1, "COUNT": 3}, ["2024-09-25"]),
        (["2024-09-02", "2024-09-16", "2024-09-30"], {"FREQ": "WEEKLY", "INTERVAL": 2, "COUNT": 3}, []),
        (["2024-09-25", "2024-10-25"], None, ["2024-09-25", "2024-10-25"]),
    ],
)
def test_choose_rule(dues, rule, rest):
    days = [dt.date.fromisoformat(d) for d in dues]
    chosen, covered, left = choose_rule(days)
    assert chosen == rule
    assert [d.isoformat() for d in left] == rest
    assert sorted(covered + left) == days


def test_slug():
    assert slug("сентябрь 2022") == "sentyabr-2022"
    assert slug("ВПР — окружающий мир") == "vpr-okruzhayushchiy-mir"
    assert slug("1-я четверть") == "1-ya-chetvert"
    assert slug("объём") == "obem"
    assert len(slug("—")) == 10  # nothing left to spell: a short hash
