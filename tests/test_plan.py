"""Plan computation: dates, explanations, unknowns and the problems found on the way."""

from __future__ import annotations

import datetime as dt

from helpers import HEADER

from cyclogram.engine.diagnostics import Severity
from cyclogram.engine.plan import compute_plan
from cyclogram.engine.validation import check_text


def plan_of(stages_yaml: str, extra: str = ""):
    checked = check_text(HEADER + extra + "stages:\n" + stages_yaml, "t.yaml")
    assert checked.plan is not None, [d.format() for d in checked.report.errors]
    return checked


SPT_CHAIN = """\
  - {id: organize, number: "17", title: Организовать, start: testing.start, due: testing.end, responsible: [toropkina]}
  - {id: upload, number: "20", title: Выгрузка, depends_on: [organize], due: testing.end + 3d, responsible: [volkova]}
  - {id: forms, number: "21", title: Формы, depends_on: ["20"], due: upload.done + 3wd, responsible: [volkova]}
  - {id: analysis, number: "22", title: Анализ, due: upload.done + 10d, responsible: [volkova]}
  - {id: notify, number: "16", title: Оповестить, due: testing.start - 3d, responsible: [volkova, toropkina]}
"""


def test_relative_chain_and_explanation():
    plan = plan_of(SPT_CHAIN).plan
    stages = plan.stages
    assert stages["organize"].kind == "window"
    assert (stages["organize"].start, stages["organize"].due) == (dt.date(2024, 10, 1), dt.date(2024, 10, 15))
    assert stages["upload"].due == dt.date(2024, 10, 18)
    assert stages["forms"].due == dt.date(2024, 10, 23)  # Fri 18.10 + 3 working days
    assert stages["analysis"].due == dt.date(2024, 10, 28)
    assert stages["notify"].due == dt.date(2024, 9, 28)
    explain = stages["forms"].explain
    assert explain.startswith("23.10.2024 = выполнение этапа 20 (18.10.2024, по плану) + 3 рабочих дня")
    assert "← этап 20: 18.10.2024 = окончание «Тестирование ЕМ СПТ» (15.10.2024) + 3 дня" in explain
    # anchors imply dependencies, explicit ones may be written by number
    assert stages["forms"].depends_on == ("upload",)
    assert stages["analysis"].depends_on == ("upload",)
    assert stages["notify"].responsible == ("volkova", "toropkina")


def test_actual_completion_moves_relative_deadlines():
    checked = plan_of(SPT_CHAIN)
    moved = compute_plan(checked.roadmap, completions={"upload": dt.date(2024, 10, 31)})
    # 31.10 + 3 wd: 01.11 (Fri), 02.11 (working Saturday), 05.11 (04.11 is a holiday)
    assert moved.stages["forms"].due == dt.date(2024, 11, 5)
    assert "факт" in moved.stages["forms"].explain
    assert "04.11.2024 День народного единства" in moved.stages["forms"].explain


def test_unknown_event_date_is_reported_not_invented():
    extra = "  vpr_math: {title: ВПР по математике, group: vpr, start: 2025-04-15}\n  vpr_rus: {title: ВПР по русскому языку, group: vpr}\n"
    text = (
        HEADER
        + extra
        + "stages:\n  - {id: pre, title: Контроль, due: vpr.start - 2mo, responsible: [volkova]}\n  - {id: after, title: После, due: pre.done + 1d, responsible: [volkova]}\n"
    )
    checked = check_text(text, "t.yaml")
    assert checked.report.ok, [d.format() for d in checked.report.diagnostics]
    pre = checked.plan.stages["pre"]
    assert [o.due for o in pre.occurrences] == [dt.date(2025, 2, 15), None]
    assert pre.occurrences[1].unknown == "дата события «ВПР по русскому языку» (vpr_rus) ещё не известна"
    assert pre.due is None
    assert checked.plan.stages["after"].due is None


def test_every_timing_form():
    stages = """\
  - {id: cont, title: Конфиденциальность, due: continuous, responsible: [volkova]}
  - {id: approve, number: "27", title: Утвердить, due: 01.11.2024, responsible: [volkova]}
  - {id: begin, number: "28", title: Начать, due: immediately, depends_on: [approve], responsible: [volkova]}
  - {id: order, title: Приказ, months: [сентябрь 2024, март 2025], responsible: [toropkina]}
  - {id: sites, title: Контроль сайтов, recurring: {every: trimester}, responsible: [toropkina]}
  - {id: monthly, title: Отчёт, recurring: {every: month, day: 25, start: январь, end: март}, responsible: [toropkina]}
  - {id: dk, title: ДК, trigger: по мере поступления региональной ДК, within: 3wd, responsible: [volkova]}
  - {id: wed, title: Совет, due: первая среда декабря, responsible: [volkova]}
  - {id: mon, title: Совет 2, due: первый рабочий понедельник мая, responsible: [volkova]}
  - {id: aug, title: Отчёт, due: 10 августа, responsible: [volkova]}
  - {id: window, title: Окно, start: сентябрь, due: май, responsible: [volkova]}
"""
    p = plan_of(stages).plan.stages
    assert p["cont"].kind == "continuous" and p["cont"].due is None and p["cont"].start == dt.date(2024, 9, 1)
    assert (p["begin"].start, p["begin"].due) == (dt.date(2024, 11, 1), dt.date(2024, 11, 1))
    assert [(o.start, o.due) for o in p["order"].occurrences] == [
        (dt.date(2024, 9, 1), dt.date(2024, 9, 30)),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
    ]
    assert [o.due for o in p["sites"].occurrences] == [dt.date(2024, 11, 30), dt.date(2025, 2, 28), dt.date(2025, 5, 31)]
    assert [o.due for o in p["monthly"].occurrences] == [dt.date(2025, 1, 25), dt.date(2025, 2, 25), dt.date(2025, 3, 25)]
    assert p["dk"].kind == "triggered" and p["dk"].due is None and "по мере поступления" in p["dk"].unknown
    assert p["wed"].due == dt.date(2024, 12, 4)
    # May 2025: 1–4 and 8–11 are holidays; Monday 05.05 is working
    assert p["mon"].due == dt.date(2025, 5, 5)
    assert p["aug"].due == dt.date(2025, 8, 10)
    assert (p["window"].start, p["window"].due) == (dt.date(2024, 9, 1), dt.date(2025, 5, 31))


def test_hours_from_an_event_with_time():
    extra = "  exam: {title: Экзамен, start: 2025-05-20T10:00}\n"
    stages = "  - {id: brief, title: Инструктаж, due: exam.start - 1h, responsible: [volkova]}\n  - {id: report, title: Отчёт, due: exam.start + 5h, responsible: [volkova]}\n"
    p = plan_of(stages, extra).plan.stages
    assert (p["brief"].due, p["brief"].occurrences[0].due_time) == (dt.date(2025, 5, 20), dt.time(9, 0))
    assert p["report"].occurrences[0].due_time == dt.time(15, 0)


def test_due_before_dependency_is_an_error():
    stages = """\
  - {id: a, number: "1", title: Первый, due: 2024-10-10, responsible: [volkova]}
  - {id: b, number: "2", title: Второй, due: 2024-10-05, depends_on: [a], responsible: [volkova]}
"""
    checked = check_text(HEADER + "stages:\n" + stages, "t.yaml")
    errors = checked.report.errors
    assert len(errors) == 1
    assert errors[0].field == "stages[b].due"
    assert "срок этапа 2 (05.10.2024) раньше срока этапа 1 (10.10.2024)" in errors[0].message
    assert (errors[0].position.line, errors[0].position.column) == (12, 46)


def test_cycle_is_named_in_full():
    stages = """\
  - {id: a, number: "1", title: Первый, due: 2024-10-10, depends_on: [c], responsible: [volkova]}
  - {id: b, number: "2", title: Второй, due: 2024-10-12, depends_on: [a], responsible: [volkova]}
  - {id: c, number: "3", title: Третий, due: 2024-10-14, depends_on: [b], responsible: [volkova]}
"""
    checked = check_text(HEADER + "stages:\n" + stages, "t.yaml")
    messages = [d.message for d in checked.report.errors]
    assert len(messages) == 1
    assert "1 → 3 → 2 → 1" in messages[0] and "(a → c → b → a)" in messages[0]
    assert checked.plan is None


def test_warnings_outside_year_weekday_and_unknown_calendar_years():
    stages = """\
  - {id: old, title: Педсовет, due: "До 06.09.2023г.", responsible: [volkova]}
  - {id: fri, title: Пятница, due: "20.09.2024 (понедельник)", responsible: [volkova]}
"""
    checked = plan_of(stages)
    warnings = list(checked.report.warnings)
    assert any("вне учебного года" in d.message and d.field == "stages[old].due" for d in warnings)
    assert any("это пятница" in d.message and "понедельник" in d.message for d in warnings)

    far = HEADER.replace("2024-2025", "2029-2030") + "stages:\n  - {id: x, title: X, due: 2029-10-01, responsible: [volkova]}\n"
    far_checked = check_text(far, "far.yaml")
    assert any("переносы выходных известны" in d.message for d in far_checked.report.warnings)
    declared = far.replace("timezone: Asia/Irkutsk\n", "timezone: Asia/Irkutsk\ncalendar: {working_days: [2029-11-03]}\n")
    assert not check_text(declared, "far.yaml").report.warnings


def test_period_lets_august_belong_to_the_plan():
    text = HEADER.replace("2024-2025", "2022-2023").replace(
        "testing: {title: Тестирование ЕМ СПТ, start: 2024-10-01, end: 2024-10-15}", "x: {title: X}"
    )
    text = text.replace("timezone: Asia/Irkutsk\n", "timezone: Asia/Irkutsk\nperiod: {start: 2022-08-01, end: 2023-08-31}\n")
    text += "stages:\n  - {id: a, title: Анализ, start: август, due: сентябрь, responsible: [volkova]}\n"
    checked = check_text(text, "t.yaml")
    # August is in the period twice (2022 and 2023): the one taken is said; September is there once.
    (warning,) = checked.report.diagnostics
    assert warning.field == "stages[a].start" and "взят август 2022 г." in warning.message
    stage = checked.plan.stages["a"]
    assert (stage.start, stage.due) == (dt.date(2022, 8, 1), dt.date(2022, 9, 30))
    explicit = check_text(text.replace("start: август,", "start: август 2022,"), "t.yaml")
    assert explicit.report.ok and not explicit.report.warnings


def test_missing_contact_is_a_warning():
    text = (
        HEADER
        + "  extra: {title: X, start: 2024-12-01}\n"
        + "stages:\n  - {id: a, title: A, due: 2024-10-10, responsible: [nobody_reaches]}\n"
    )
    text = text.replace("people:\n", "people:\n  nobody_reaches: {name: Иванов И.И.}\n")
    checked = check_text(text, "t.yaml")
    assert [d.severity for d in checked.report.diagnostics] == [Severity.WARNING, Severity.WARNING]
    person, stages = sorted(checked.report.diagnostics, key=lambda d: d.message)
    assert "нет ни одного контакта" in person.message
    assert "некому напомнить" in stages.message and stages.field == "stages[a].responsible"
