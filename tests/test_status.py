"""Stage status at a moment: blocked, open, due soon, overdue, done (late), skipped, continuous, unscheduled."""

from __future__ import annotations

import datetime as dt
import gc
from zoneinfo import ZoneInfo

import pytest
from helpers import HEADER, ROADMAPS

from cyclogram.engine.status import STATUS_WORDS, Status, _WorkingDays, compute_status, status_text
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_file, check_text

IRKUTSK = ZoneInfo("Asia/Irkutsk")
D = dt.date


def roadmap_of(stages_yaml: str, extra: str = ""):
    checked = check_text(HEADER + extra + "stages:\n" + stages_yaml, "t.yaml")
    assert checked.plan is not None, [d.format() for d in checked.report.errors]
    return checked.roadmap


def done(stage_id: str, day: dt.date, occurrence: str = "", by: str = "volkova") -> Completion:
    return Completion(stage_id, CompletionState.DONE, dt.datetime.combine(day, dt.time(12), IRKUTSK), by, occurrence)


def skipped(stage_id: str, day: dt.date, occurrence: str = "", by: str = "toropkina") -> Completion:
    return Completion(
        stage_id, CompletionState.SKIPPED, dt.datetime.combine(day, dt.time(12), IRKUTSK), by, occurrence, reason="не нужно"
    )


SPT_CHAIN = """\
  - {id: organize, number: "17", title: Организовать, start: testing.start, due: testing.end, responsible: [toropkina]}
  - {id: upload, number: "20", title: Выгрузка, depends_on: [organize], due: testing.end + 3d, responsible: [volkova]}
  - {id: forms, number: "21", title: Формы, depends_on: ["20"], due: upload.done + 3wd, responsible: [volkova]}
"""


def test_every_status_has_its_russian_word():
    assert STATUS_WORDS == {
        Status.BLOCKED: "заблокирован",
        Status.OPEN: "открыт",
        Status.DUE_SOON: "скоро срок",
        Status.OVERDUE: "просрочен",
        Status.DONE: "выполнен",
        Status.DONE_LATE: "выполнен с опозданием",
        Status.SKIPPED: "пропущен",
        Status.CONTINUOUS: "постоянно",
        Status.UNSCHEDULED: "срок не определён",
        Status.OPTIONAL: "резерв, не задействован",
    }
    assert Status("due_soon") is Status.DUE_SOON and Status.DUE_SOON == "due_soon"


ALL_KINDS = """\
  - {id: late_dep, title: Не сделан, due: 2024-10-10, responsible: [volkova]}
  - {id: waits, title: Ждёт, due: 2024-10-25, depends_on: [late_dep], responsible: [volkova]}
  - {id: far, title: Далеко, due: 2024-12-20, responsible: [volkova]}
  - {id: soon, title: Скоро, due: 2024-10-18, responsible: [volkova]}
  - {id: on_time, title: Вовремя, due: 2024-10-10, responsible: [volkova]}
  - {id: too_late, title: Поздно, due: 2024-10-01, responsible: [toropkina]}
  - {id: dropped, title: Отменён, due: 2024-10-05, responsible: [toropkina]}
  - {id: always, title: Конфиденциальность, due: continuous, responsible: [toropkina]}
  - {id: dk, title: ДК, trigger: по мере поступления ДК, within: 3wd, responsible: [team]}
  - {id: reserve, title: Резервный день, due: 2024-10-11, optional: true, responsible: [toropkina]}
"""
ALL_KINDS_ROLES = "roles:\n  team: {title: Команда, members: [volkova]}\n"
ALL_KINDS_DONE = [done("on_time", D(2024, 10, 10)), done("too_late", D(2024, 10, 3)), skipped("dropped", D(2024, 9, 30))]


def test_every_status_at_once_and_counts():
    status = compute_status(roadmap_of(ALL_KINDS, ALL_KINDS_ROLES), ALL_KINDS_DONE, D(2024, 10, 16))
    assert {key: s.status for key, s in status.stages.items()} == {
        "late_dep": Status.OVERDUE,
        "waits": Status.BLOCKED,
        "far": Status.OPEN,
        "soon": Status.DUE_SOON,
        "on_time": Status.DONE,
        "too_late": Status.DONE_LATE,
        "dropped": Status.SKIPPED,
        "always": Status.CONTINUOUS,
        "dk": Status.UNSCHEDULED,
        "reserve": Status.OPTIONAL,  # its date passed, but a reserve nobody activated is never overdue
    }
    assert list(status.stages) == [line.split(",")[0].split("id: ")[1] for line in ALL_KINDS.splitlines()]  # document order
    assert status.counts() == dict.fromkeys(Status, 1)
    assert list(status.counts()) == list(Status)
    assert status.moment == D(2024, 10, 16)
    s = status.stages
    assert (s["late_dep"].days_late, s["late_dep"].days_left) == (4, None)  # 11, 14, 15, 16 October
    assert (s["soon"].days_left, s["far"].days_left) == (2, 47)
    assert (s["too_late"].days_late, s["too_late"].completion.day) == (2, D(2024, 10, 3))
    assert s["on_time"].days_late is None and s["on_time"].completion.by == "volkova"
    assert s["dropped"].completion.state is CompletionState.SKIPPED
    assert (s["dk"].due, s["dk"].start) == (None, None)
    assert s["waits"].blocked_by == ("late_dep",) and s["waits"].due == D(2024, 10, 25)


def test_for_person_expands_roles_and_keeps_document_order():
    status = compute_status(roadmap_of(ALL_KINDS, ALL_KINDS_ROLES), ALL_KINDS_DONE, D(2024, 10, 16))
    volkova = [s.stage_id for s in status.for_person("volkova")]
    assert volkova == ["late_dep", "waits", "far", "soon", "on_time", "dk"]  # dk through the role «team»
    assert [s.stage_id for s in status.for_person("toropkina")] == ["too_late", "dropped", "always", "reserve"]
    assert status.for_person("team") == []  # roles are expanded into people by the plan
    assert status.for_person("nobody") == []


def test_relative_deadline_moves_with_the_actual_completion():
    roadmap = roadmap_of(SPT_CHAIN)
    completions = [done("organize", D(2024, 10, 15)), done("upload", D(2024, 10, 31))]
    status = compute_status(roadmap, completions, D(2024, 11, 1))
    forms = status.stages["forms"]
    # 31.10 + 3 wd: 01.11 (Fri), 02.11 (working Saturday), 05.11 (04.11 is a holiday) — not the planned 23.10
    assert status.plan.stages["forms"].due == D(2024, 11, 5)
    assert "факт" in status.plan.stages["forms"].explain
    assert (forms.status, forms.due, forms.days_left, forms.occurrence) == (Status.DUE_SOON, D(2024, 11, 5), 2, "")
    assert (forms.occurrences_done, forms.occurrences_total, forms.completion) == (0, 1, None)
    upload = status.stages["upload"]  # due 18.10, done 31.10: 21–25, 28–31 October
    assert (upload.status, upload.days_late, upload.due) == (Status.DONE_LATE, 9, D(2024, 10, 18))
    assert status.stages["organize"].status is Status.DONE

    # before the upload is done, forms wait for it at the planned date
    waiting = compute_status(roadmap, completions[:1], D(2024, 11, 1)).stages["forms"]
    # ...and, its planned date past, it is late while blocked: overdue, and still waiting
    assert (waiting.status, waiting.blocked_by, waiting.due) == (Status.OVERDUE, ("upload",), D(2024, 10, 23))
    assert waiting.late_while_blocked
    earlier = compute_status(roadmap, completions[:1], D(2024, 10, 21)).stages["forms"]
    assert (earlier.status, earlier.late_while_blocked) == (Status.BLOCKED, False)


@pytest.mark.parametrize(
    ("moment", "status", "days_left", "days_late"),
    [
        (D(2024, 10, 31), Status.DUE_SOON, 3, None),  # 01.11, 02.11 (working Saturday), 05.11
        (D(2024, 11, 3), Status.DUE_SOON, 1, None),  # Sunday: 04.11 is a holiday, only 05.11 is left
        (D(2024, 11, 5), Status.DUE_SOON, 0, None),  # the due day itself
        (D(2024, 11, 6), Status.OVERDUE, None, 1),
        (D(2024, 11, 10), Status.OVERDUE, None, 3),  # 06, 07, 08; the weekend does not count
    ],
)
def test_days_are_working_days_across_the_november_holiday(moment, status, days_left, days_late):
    completions = [done("organize", D(2024, 10, 15)), done("upload", D(2024, 10, 31))]
    forms = compute_status(roadmap_of(SPT_CHAIN), completions, moment).stages["forms"]
    assert (forms.status, forms.days_left, forms.days_late) == (status, days_left, days_late)


def test_overdue_even_when_no_working_day_has_passed():
    stages = "  - {id: a, title: A, due: 2024-10-18, responsible: [volkova]}\n  - {id: b, title: B, due: 2024-11-01, responsible: [volkova]}\n"
    roadmap = roadmap_of(stages)
    sunday = compute_status(roadmap, [], D(2024, 10, 20)).stages["a"]  # due Friday, now Sunday
    assert (sunday.status, sunday.days_late) == (Status.OVERDUE, 0)
    holiday = compute_status(roadmap, [], D(2024, 11, 4)).stages["b"]  # due Friday 01.11: working Saturday 02.11 counts
    assert (holiday.status, holiday.days_late) == (Status.OVERDUE, 1)
    assert compute_status(roadmap, [], D(2024, 11, 5)).stages["b"].days_late == 2


@pytest.mark.parametrize(
    ("done_on", "status", "days_late"),
    [
        (D(2024, 11, 1), Status.DONE, None),  # early
        (D(2024, 11, 5), Status.DONE, None),  # on the due day
        (D(2024, 11, 6), Status.DONE_LATE, 1),
        (D(2024, 11, 11), Status.DONE_LATE, 4),  # 06, 07, 08, 11
    ],
)
def test_done_on_time_or_late(done_on, status, days_late):
    completions = [done("organize", D(2024, 10, 15)), done("upload", D(2024, 10, 31)), done("forms", done_on)]
    forms = compute_status(roadmap_of(SPT_CHAIN), completions, D(2024, 12, 1)).stages["forms"]
    assert (forms.status, forms.days_late, forms.due) == (status, days_late, D(2024, 11, 5))
    assert forms.completion == completions[-1]
    assert (forms.occurrences_done, forms.occurrences_total, forms.days_left) == (1, 1, None)


DEPENDENCIES = """\
  - {id: a, title: A, due: 2024-10-10, responsible: [volkova]}
  - {id: b, title: B, due: 2024-10-11, responsible: [volkova]}
  - {id: c, title: C, due: 2024-10-25, depends_on: [a, b], responsible: [volkova]}
"""


def test_blocked_lists_every_unfinished_dependency():
    roadmap = roadmap_of(DEPENDENCIES)
    c = compute_status(roadmap, [], D(2024, 10, 1)).stages["c"]
    assert (c.status, c.blocked_by, c.due, c.days_left, c.days_late) == (Status.BLOCKED, ("a", "b"), D(2024, 10, 25), None, None)
    c = compute_status(roadmap, [done("a", D(2024, 10, 1))], D(2024, 10, 1)).stages["c"]
    assert (c.status, c.blocked_by) == (Status.BLOCKED, ("b",))
    # its due date past while it still waits: late while blocked — overdue, and saying what it waits for
    status = compute_status(roadmap, [done("a", D(2024, 10, 1))], D(2024, 11, 1))
    c = status.stages["c"]
    assert (c.status, c.blocked_by, c.late_while_blocked, c.days_late) == (Status.OVERDUE, ("b",), True, 5)
    assert status_text(c, status.plan) == "просрочен, ждёт этап b (Волкова Л.А.)"
    assert status.counts()[Status.OVERDUE] == 2  # b itself and c


def test_skipped_dependency_unblocks():
    status = compute_status(roadmap_of(DEPENDENCIES), [done("a", D(2024, 10, 1)), skipped("b", D(2024, 10, 1))], D(2024, 10, 1))
    assert status.stages["b"].status is Status.SKIPPED
    c = status.stages["c"]
    assert (c.status, c.blocked_by, c.days_left) == (Status.OPEN, (), 18)  # 2–4, 7–11, 14–18, 21–25 October


def test_done_although_blocked_is_done():
    forced = Completion(
        "c", CompletionState.DONE, dt.datetime(2024, 10, 20, 9, tzinfo=IRKUTSK), "volkova", forced=True, reason="срочно"
    )
    c = compute_status(roadmap_of(DEPENDENCIES), [forced], D(2024, 10, 21)).stages["c"]
    assert (c.status, c.blocked_by, c.completion) == (Status.DONE, (), forced)


CONTINUOUS = """\
  - {id: a, title: A, due: 2024-10-10, responsible: [volkova]}
  - {id: cont, title: Конфиденциальность, due: continuous, depends_on: [a], responsible: [volkova]}
  - {id: after, title: После, due: 2024-10-20, depends_on: [cont], responsible: [volkova]}
"""


def test_continuous_stays_continuous():
    roadmap = roadmap_of(CONTINUOUS)
    for moment in (D(2024, 9, 2), D(2025, 6, 1), D(2026, 1, 1)):
        cont = compute_status(roadmap, [], moment).stages["cont"]
        assert (cont.status, cont.due, cont.start, cont.days_late, cont.blocked_by) == (
            Status.CONTINUOUS,
            None,
            D(2024, 9, 1),
            None,
            (),
        )
    check_in = done("cont", D(2024, 10, 1))
    status = compute_status(roadmap, [check_in], D(2025, 6, 1))
    assert (status.stages["cont"].status, status.stages["cont"].completion) == (Status.CONTINUOUS, check_in)
    # a continuous dependency never blocks: «after» is simply overdue
    assert status.stages["after"].status is Status.OVERDUE
    assert compute_status(roadmap, [skipped("cont", D(2024, 10, 1))], D(2025, 6, 1)).stages["cont"].status is Status.SKIPPED


UNKNOWN = """\
  - {id: dk, title: ДК, trigger: по мере поступления ДК, within: 3wd, responsible: [volkova]}
  - {id: prep, title: Подготовка, due: council.start - 5d, responsible: [volkova]}
  - {id: now, title: Сразу, due: immediately, responsible: [volkova]}
  - {id: after_prep, title: После, due: prep.done + 1wd, responsible: [volkova]}
"""
UNKNOWN_EVENT = "  council: {title: Педсовет (дата не назначена)}\n"


def test_unknown_dates_are_unscheduled():
    status = compute_status(roadmap_of(UNKNOWN, UNKNOWN_EVENT), [], D(2025, 6, 1))
    s = status.stages
    assert {key: st.status for key, st in s.items()} == {
        "dk": Status.UNSCHEDULED,  # external trigger
        "prep": Status.UNSCHEDULED,  # event without a date
        "now": Status.UNSCHEDULED,  # "immediately" after nothing said
        "after_prep": Status.BLOCKED,  # waits for prep before anything else
    }
    assert all(st.due is None and st.days_left is None and st.days_late is None for st in s.values())
    # once prep is done, its dependent has a date
    status = compute_status(
        roadmap_of(UNKNOWN, UNKNOWN_EVENT), [done("prep", D(2024, 10, 31)), done("dk", D(2024, 10, 30))], D(2024, 11, 1)
    )
    assert (status.stages["prep"].status, status.stages["prep"].due) == (Status.DONE, None)
    assert (status.stages["dk"].status, status.stages["dk"].days_late) == (Status.DONE, None)
    after = status.stages["after_prep"]
    assert (after.status, after.due, after.days_left) == (Status.DUE_SOON, D(2024, 11, 1), 0)
    # a completion dated after the moment was not known then
    earlier = compute_status(roadmap_of(UNKNOWN, UNKNOWN_EVENT), [done("dk", D(2024, 11, 2))], D(2024, 11, 1))
    assert earlier.stages["dk"].status == Status.UNSCHEDULED


MONTHS = """\
  - {id: order, title: Приказ, months: [сентябрь 2024, март 2025], responsible: [toropkina]}
  - {id: after, title: После, due: 2025-04-30, depends_on: [order], responsible: [toropkina]}
"""


def test_multi_occurrence_is_about_the_current_occurrence():
    roadmap = roadmap_of(MONTHS)
    september = done("order", D(2024, 9, 20), "сентябрь 2024")
    status = compute_status(roadmap, [september], D(2024, 10, 10))
    order = status.stages["order"]
    assert (order.status, order.occurrence, order.start, order.due) == (Status.OPEN, "март 2025", D(2025, 3, 1), D(2025, 3, 31))
    assert (order.occurrences_done, order.occurrences_total, order.completion) == (1, 2, None)
    # one occurrence out of two does not finish the stage for its dependents
    assert status.stages["after"].blocked_by == ("order",)

    nothing = compute_status(roadmap, [], D(2024, 10, 10)).stages["order"]
    assert (nothing.status, nothing.occurrence, nothing.days_late) == (Status.OVERDUE, "сентябрь 2024", 8)  # 1–4, 7–10 October
    # the store always records the label: an unlabelled completion of a repeated stage matches nothing
    unlabelled = compute_status(roadmap, [done("order", D(2024, 9, 20))], D(2024, 10, 10)).stages["order"]
    assert (unlabelled.status, unlabelled.occurrence, unlabelled.occurrences_done) == (Status.OVERDUE, "сентябрь 2024", 0)


@pytest.mark.parametrize(
    ("completions", "status", "days_late"),
    [
        ([done("order", D(2024, 9, 20), "сентябрь 2024"), done("order", D(2025, 3, 31), "март 2025")], Status.DONE, None),
        ([done("order", D(2024, 9, 20), "сентябрь 2024"), done("order", D(2025, 4, 2), "март 2025")], Status.DONE_LATE, 2),
        ([done("order", D(2024, 10, 2), "сентябрь 2024"), done("order", D(2025, 3, 3), "март 2025")], Status.DONE, None),
        ([skipped("order", D(2024, 9, 2), "сентябрь 2024"), done("order", D(2025, 3, 3), "март 2025")], Status.DONE, None),
        ([skipped("order", D(2024, 9, 2), "сентябрь 2024"), skipped("order", D(2025, 3, 3), "март 2025")], Status.SKIPPED, None),
    ],
    ids=["on-time", "last-late", "first-late-last-on-time", "one-skipped", "all-skipped"],
)
def test_multi_occurrence_all_finished(completions, status, days_late):
    result = compute_status(roadmap_of(MONTHS), completions, D(2025, 4, 10))
    order = result.stages["order"]
    assert (order.status, order.days_late, order.occurrence) == (status, days_late, "март 2025")
    assert (order.occurrences_done, order.occurrences_total, order.completion) == (2, 2, completions[-1])
    after = result.stages["after"]  # finished, so its dependent is free: 14 working days to 30.04
    assert (after.status, after.blocked_by, after.days_left) == (Status.OPEN, (), 14)


def test_recurring_monthly_report():
    stages = "  - {id: monthly, title: Отчёт, recurring: {every: month, day: 25, start: январь, end: март}, responsible: [toropkina]}\n"
    roadmap = roadmap_of(stages)
    january = compute_status(roadmap, [], D(2025, 1, 20)).stages["monthly"]
    # 25.01.2025 is a Saturday: 21–24 January are left
    assert (january.status, january.occurrence, january.days_left, january.occurrences_total) == (
        Status.DUE_SOON,
        "январь 2025",
        4,
        3,
    )
    february = compute_status(roadmap, [done("monthly", D(2025, 1, 24), "январь 2025")], D(2025, 1, 27)).stages["monthly"]
    assert (february.status, february.occurrence, february.due, february.occurrences_done) == (
        Status.OPEN,
        "февраль 2025",
        D(2025, 2, 25),
        1,
    )


def test_window_before_its_start_is_open_unless_its_due_date_is_near():
    stages = "  - {id: w, title: Окно, start: 2024-11-11, due: 2024-11-15, responsible: [volkova]}\n"
    roadmap = roadmap_of(stages)
    early = compute_status(roadmap, [], D(2024, 10, 1)).stages["w"]
    assert (early.status, early.start, early.due) == (Status.OPEN, D(2024, 11, 11), D(2024, 11, 15))
    near = compute_status(roadmap, [], D(2024, 11, 8)).stages["w"]  # before the start, 11–15 November left
    assert (near.status, near.days_left) == (Status.DUE_SOON, 5)


THRESHOLDS = """\
  - {id: plain, title: Обычный, due: 2024-10-21, responsible: [volkova]}
  - {id: long, title: Долгий, due: 2024-10-21, reminders: {lead: [10, 3]}, responsible: [volkova]}
  - {id: quiet, title: Без заранее, due: 2024-10-21, reminders: {lead: []}, responsible: [volkova]}
"""


def test_due_soon_threshold_follows_the_reminder_lead():
    moment = D(2024, 10, 14)  # 5 working days before 21.10
    s = compute_status(roadmap_of(THRESHOLDS), [], moment).stages
    assert {k: (v.status, v.days_left) for k, v in s.items()} == {
        "plain": (Status.DUE_SOON, 5),  # default lead [5, 1]
        "long": (Status.DUE_SOON, 5),
        "quiet": (Status.OPEN, 5),  # no advance reminders: due soon on the due day only
    }
    s = compute_status(roadmap_of(THRESHOLDS, "defaults: {reminders: {lead: [3, 1]}}\n"), [], moment).stages
    assert (s["plain"].status, s["long"].status, s["quiet"].status) == (Status.OPEN, Status.DUE_SOON, Status.OPEN)
    s = compute_status(roadmap_of(THRESHOLDS), [], D(2024, 10, 7), due_soon_days=None).stages  # 10 wd before
    assert (s["plain"].status, s["long"].status) == (Status.OPEN, Status.DUE_SOON)
    s = compute_status(roadmap_of(THRESHOLDS), [], moment, due_soon_days=0).stages
    assert {v.status for v in s.values()} == {Status.OPEN}
    assert compute_status(roadmap_of(THRESHOLDS), [], D(2024, 10, 21)).stages["quiet"].status is Status.DUE_SOON
    with pytest.raises(ValueError):
        compute_status(roadmap_of(THRESHOLDS), [], moment, due_soon_days=-1)


def test_moment_as_datetime_and_completions_as_generator():
    roadmap = roadmap_of(THRESHOLDS)
    naive = compute_status(roadmap, iter([]), dt.datetime(2024, 10, 21, 23, 30))
    assert naive.moment == D(2024, 10, 21) and naive.stages["plain"].status is Status.DUE_SOON
    # 20:00 UTC on the 21st is already the 22nd in Irkutsk, the roadmap's timezone
    aware = compute_status(roadmap, (c for c in []), dt.datetime(2024, 10, 21, 20, 0, tzinfo=dt.UTC))
    assert aware.moment == D(2024, 10, 22) and aware.stages["plain"].status is Status.OVERDUE
    assert gc.isenabled()  # the collector paused during the computation is back on


def test_real_spt_roadmap_on_16_october():
    checked = check_file(ROADMAPS / "spt-usolye-2024.yaml")
    plan = checked.plan
    by_number = {p.stage.display_number: p for p in plan.stages.values()}
    completions = [done(by_number[str(n)].id, by_number[str(n)].due) for n in range(1, 18)]
    status = compute_status(checked.roadmap, completions, D(2024, 10, 16))
    s = {plan.stages[key].stage.display_number: st for key, st in status.stages.items()}
    assert all(s[str(n)].status is Status.DONE for n in range(1, 18))
    # 19: "сразу же по окончании" = testing.end + 1wd = 16.10.2024, today: due soon with 0 days left
    assert (s["19"].status, s["19"].due, s["19"].days_left) == (Status.DUE_SOON, D(2024, 10, 16), 0)
    assert (s["18"].status, s["18"].days_late) == (Status.OVERDUE, 1)  # monitoring was not marked done
    assert (s["20"].status, s["20"].due, s["20"].days_left) == (Status.DUE_SOON, D(2024, 10, 18), 2)
    assert (s["21"].status, s["21"].blocked_by, s["21"].due) == (Status.BLOCKED, ("upload",), D(2024, 10, 23))
    assert all(s[n].blocked_by == ("upload",) for n in ("22", "23", "25"))
    assert (s["26"].blocked_by, s["27"].blocked_by, s["28"].blocked_by) == (("analysis",), ("analysis",), ("correction_plan",))
    assert s["24"].status is Status.CONTINUOUS
    assert status.counts()[Status.DONE] == 17 and sum(status.counts().values()) == 28
    assert [st.stage_id for st in status.for_person("kochneva")] == ["timetable", "notify"]
    # the upload done on 31.10 moves the report forms to 05.11 (working Saturday 02.11, holiday 04.11)
    later = compute_status(checked.roadmap, completions + [done("upload", D(2024, 10, 31))], D(2024, 11, 6))
    assert (later.stages["report_forms"].status, later.stages["report_forms"].due) == (Status.OVERDUE, D(2024, 11, 5))


def test_working_day_counter_agrees_with_the_calendar():
    calendar = check_text(HEADER + "stages:\n  - {id: a, title: A, due: 2024-10-10, responsible: [volkova]}\n").plan.calendar
    counter = _WorkingDays.around(calendar, D(2024, 11, 4), reach=60)
    days = [D(2024, 8, 20) + dt.timedelta(days=i) for i in range(0, 160, 3)]  # inside and outside the counted span
    for start in days:
        for end in days:
            assert counter.between(start, end) == calendar.working_days_between(start, end), (start, end)


def test_a_deadline_on_a_day_off_is_met_by_the_next_working_day():
    """Civil Code art. 193: a term ending on a day off ends on the next working day."""
    checked = check_text(
        HEADER + "stages:\n  - {id: sun, title: Воскресенье, due: 2024-09-01, responsible: [volkova]}\n", "t.yaml"
    )
    roadmap = checked.roadmap
    monday = compute_status(roadmap, [done("sun", D(2024, 9, 2))], D(2024, 9, 3)).stages["sun"]
    assert monday.status is Status.DONE
    tuesday = compute_status(roadmap, [done("sun", D(2024, 9, 3))], D(2024, 9, 4)).stages["sun"]
    assert (tuesday.status, tuesday.days_late) == (Status.DONE_LATE, 1)
    on_monday = compute_status(roadmap, [], D(2024, 9, 2)).stages["sun"]
    assert (on_monday.status, on_monday.days_left) == (Status.DUE_SOON, 0)
    overdue = compute_status(roadmap, [], D(2024, 9, 4)).stages["sun"]
    assert (overdue.status, overdue.days_late) == (Status.OVERDUE, 2)
