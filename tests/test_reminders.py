"""The reminder policy (pure): which reminders are due on a day, and never on a day off."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from helpers import HEADER

from cyclogram.engine.reminders import Kind, due_reminders, without_duplicates
from cyclogram.engine.status import compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_text

D = dt.date
ZONE = ZoneInfo("Asia/Irkutsk")


def roadmap(stages: str, defaults: str = ""):
    text = HEADER.replace("timezone: Asia/Irkutsk\n", "timezone: Asia/Irkutsk\n" + defaults)
    checked = check_text(text + "stages:\n" + stages, "t.yaml")
    assert checked.roadmap is not None and checked.report.ok, [d.format() for d in checked.report.diagnostics]
    return checked.roadmap


def done(stage: str, day: dt.date) -> Completion:
    return Completion(stage, CompletionState.DONE, dt.datetime.combine(day, dt.time(12), ZONE), "volkova")


def reminders_on(model, day, completions=()):
    return due_reminders(compute_status(model, list(completions), day))


def kinds(reminders, person="volkova"):
    return sorted((r.stage_id, r.kind.value, r.step) for r in reminders if r.person == person)


ONE = "  - {id: forms, number: '21', title: Заполнить отчетные формы, due: 2024-10-23, responsible: [volkova]}\n"


def test_lead_reminders_five_and_one_working_days_before():
    model = roadmap(ONE)
    # 23.10.2024 (Wed): 5 working days before is 16.10 (Wed), 1 before is 22.10 (Tue)
    assert kinds(reminders_on(model, D(2024, 10, 15))) == []
    assert kinds(reminders_on(model, D(2024, 10, 16))) == [("forms", "lead", "lead:5")]
    assert kinds(reminders_on(model, D(2024, 10, 22))) == [("forms", "lead", "lead:1")]
    assert kinds(reminders_on(model, D(2024, 10, 23))) == [("forms", "due", "due")]
    # a day later than the lead (a missed run) still reminds, with the same key as the lead day
    late = reminders_on(model, D(2024, 10, 17))
    on_time = reminders_on(model, D(2024, 10, 16))
    assert [r.dedupe_key for r in late] == [r.dedupe_key for r in on_time]
    assert late[0].days_left == 4


def test_no_reminders_on_a_holiday_and_yes_on_a_working_saturday():
    model = roadmap(
        "  - {id: a, title: A, due: 2024-11-05, responsible: [volkova]}\n  - {id: b, title: B, due: 2024-11-02, responsible: [volkova]}\n"
    )
    assert reminders_on(model, D(2024, 11, 4)) == []  # День народного единства
    assert reminders_on(model, D(2024, 11, 3)) == []  # Sunday
    saturday = reminders_on(model, D(2024, 11, 2))  # a working Saturday (transfer)
    assert ("b", "due", "due") in kinds(saturday)
    assert ("a", "lead", "lead:1") in kinds(saturday)  # 05.11 minus one working day is 02.11


def test_a_deadline_on_a_saturday_is_announced_the_working_day_before():
    model = roadmap("  - {id: sat, title: Суббота, due: 2024-10-19, responsible: [volkova]}\n")
    assert kinds(reminders_on(model, D(2024, 10, 18))) == [("sat", "due", "due")]  # Friday
    assert reminders_on(model, D(2024, 10, 19)) == []  # a day off: nothing is sent


def test_overdue_every_n_working_days_and_escalation_to_the_supervisor():
    model = roadmap(ONE, "defaults: {reminders: {overdue_every: 2, escalate_after: 3}}\n")
    steps = {}
    for day in (D(2024, 10, 24), D(2024, 10, 25), D(2024, 10, 28), D(2024, 10, 29), D(2024, 10, 30)):
        found = reminders_on(model, day)
        steps[day] = kinds(found)
        escalations = [r for r in found if r.kind is Kind.ESCALATION]
        if day >= D(2024, 10, 28):  # 3 working days late
            assert [(r.person, r.about) for r in escalations] == [("toropkina", "volkova")]
        else:
            assert escalations == []
    # overdue reminders change their key every 2 working days: 24+25 one, 28+29 the next, 30 a third
    assert [s[0][2] for s in steps.values()] == ["overdue:0", "overdue:0", "overdue:1", "overdue:1", "overdue:2"]


def test_unblocked_when_the_last_dependency_completes():
    model = roadmap(
        "  - {id: upload, number: '20', title: Выгрузка, due: 2024-10-18, responsible: [toropkina]}\n"
        "  - {id: forms, number: '21', title: Формы, due: upload.done + 3wd, responsible: [volkova]}\n"
    )
    found = reminders_on(model, D(2024, 10, 17), [done("upload", D(2024, 10, 17))])
    unblocked = [r for r in found if r.kind is Kind.UNBLOCKED]
    assert [(r.person, r.stage_id, r.about, r.due) for r in unblocked] == [("volkova", "forms", "upload", D(2024, 10, 22))]
    # old news is not repeated a week later
    later = reminders_on(model, D(2024, 10, 25), [done("upload", D(2024, 10, 17))])
    assert not [r for r in later if r.kind is Kind.UNBLOCKED]


def test_blocked_disabled_continuous_and_unscheduled_stages():
    model = roadmap(
        "  - {id: first, title: Первый, due: 2024-10-21, responsible: [toropkina]}\n"
        "  - {id: waits, title: Ждёт, due: 2024-10-23, depends_on: [first], responsible: [volkova]}\n"
        "  - {id: quiet, title: Тихий, due: 2024-10-23, responsible: [volkova], reminders: {enabled: false}}\n"
        "  - {id: always, title: Постоянно, due: continuous, check_every: month, responsible: [volkova]}\n"
        "  - {id: dk, title: ДК, trigger: по мере поступления, responsible: [volkova]}\n"
    )
    on_day = kinds(reminders_on(model, D(2024, 10, 23)))
    assert on_day == []  # waits is blocked, quiet is disabled, dk has no date
    november = reminders_on(model, D(2024, 11, 1))
    # waits is late while blocked: its people are not chased, the owner of the stage it waits for is
    assert kinds(november) == [("always", "checkin", "checkin:2024-11-01")]
    blocking = [r for r in november if r.kind is Kind.BLOCKING]
    assert [(r.person, r.stage_id, r.about, r.days_late) for r in blocking] == [("toropkina", "first", "waits", 7)]
    assert kinds(reminders_on(model, D(2024, 11, 5))) == []


def test_every_responsible_person_gets_one_reminder_and_keys_are_stable():
    model = roadmap("  - {id: a, title: A, due: 2024-10-23, responsible: [volkova, toropkina, volkova]}\n")
    found = without_duplicates(reminders_on(model, D(2024, 10, 23)))
    assert sorted(r.person for r in found) == ["toropkina", "volkova"]
    again = without_duplicates(reminders_on(model, D(2024, 10, 23)))
    assert {r.dedupe_key for r in found} == {r.dedupe_key for r in again}


def test_stage_override_of_lead_times():
    model = roadmap("  - {id: a, title: A, due: 2024-10-31, responsible: [volkova], reminders: {lead: [10]}}\n")
    # 10 working days before 31.10.2024 is 17.10
    assert kinds(reminders_on(model, D(2024, 10, 17))) == [("a", "lead", "lead:10")]
    assert kinds(reminders_on(model, D(2024, 10, 30))) == [("a", "lead", "lead:10")]  # no lead:1 any more
