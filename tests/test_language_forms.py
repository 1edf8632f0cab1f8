"""Issue #13, point by point: what real plans need from the roadmap language, and the commands that
misled the people who read status. Each test writes its own small roadmap; the engine is called in
process where the point is about dates, the command line as a real process (a SQLite file under
CYCLOGRAM_HOME=tmp_path) where it is about what a user sees."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import HEADER, ROADMAPS

from cyclogram.engine.reminders import Kind, due_reminders
from cyclogram.engine.status import Status, compute_status, status_text
from cyclogram.engine.tracking import Activation, Completion, CompletionState, Trigger
from cyclogram.engine.validation import check_text

D = dt.date
ZONE = ZoneInfo("Asia/Irkutsk")


# --- helpers ---------------------------------------------------------------------------------------


def checked(stages: str, extra: str = "", header: str = HEADER):
    return check_text(header + extra + "stages:\n" + stages, "t.yaml")


def model_of(stages: str, extra: str = "", header: str = HEADER):
    result = checked(stages, extra, header)
    assert result.plan is not None and result.report.ok, [d.format() for d in result.report.diagnostics]
    return result


def messages(result) -> list[str]:
    return [d.message for d in result.report.diagnostics]


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), ZONE)


def done(stage: str, day: dt.date, occurrence: str = "", by: str = "toropkina") -> Completion:
    return Completion(stage, CompletionState.DONE, at(day), by, occurrence)


def occurrences(result, stage: str) -> list[tuple[dt.date | None, dt.date | None]]:
    return [(o.start, o.due) for o in result.plan.stages[stage].occurrences]


SCHOOL = """\
id: forms
title: Проверка форм
organization: Школа
academic_year: 2024-2025
timezone: Asia/Irkutsk
calendar: {country: RU}
people:
  dep: {name: Торопкина А.А., contacts: {email: dep@school.example}}
  psy: {name: Волкова Л.А., contacts: {email: psy@school.example}}
"""


@pytest.fixture
def cli(tmp_path: Path):
    """Run `python -m cyclogram …` against a SQLite file of its own; returns (run, write)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLOGRAM_")}
    env.update(CYCLOGRAM_HOME=str(tmp_path / "home"), CYCLOGRAM_ACTOR="tester", COLUMNS="220", NO_COLOR="1")

    def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cyclogram", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env={**env, **extra_env},
        )

    def write(stages: str, name: str = "plan.yaml", header: str = SCHOOL) -> Path:
        path = tmp_path / name
        path.write_text(header + "stages:\n" + stages, encoding="utf-8")
        return path

    return run, write


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def status_json(run, roadmap: str, day: str) -> dict[str, dict]:
    data = json.loads(ok(run("status", roadmap, "--as-of", day, "--format", "json")))
    return {row["id"]: row for row in data["stages"]}


# --- 1. stages that recur on an outside event --------------------------------------------------------

TRIGGERED = """\
  - id: answer
    number: "1"
    title: Направить информацию по запросу
    when: В течение 2 рабочих дней со дня получения запроса
    trigger: по мере поступления запросов
    within: 2wd
    trigger_label: запрос
    responsible: [dep]
  - id: consult
    number: "2"
    title: Консультации для родителей
    trigger: по мере необходимости
    evidence_required: true
    responsible: [psy]
"""


def test_trigger_makes_an_occurrence_due_within_after_it_completed_on_its_own(cli):
    run, write = cli
    ok(run("load", str(write(TRIGGERED))))
    before = status_json(run, "forms", "2024-10-14")
    assert before["answer"]["status"] == "unscheduled" and before["answer"]["due"] is None  # no date invented

    out = ok(run("trigger", "forms", "answer", "--at", "14.10.2024 10:00", "--note", "запрос № 12", "--by", "dep"))
    assert "записан повод «запрос 14.10.2024 10:00», срок до 16.10.2024, среда" in out
    ok(run("trigger", "forms", "1", "--at", "17.10.2024 15:00", "--by", "dep"))

    rows = status_json(run, "forms", "2024-10-21")
    assert (rows["answer"]["status"], rows["answer"]["due"], rows["answer"]["days_late"]) == ("overdue", "2024-10-16", 3)
    assert rows["answer"]["occurrence"] == "запрос 14.10.2024 10:00"
    assert rows["answer"]["occurrences_total"] == 2

    ok(run("done", "forms", "1", "--occurrence", "запрос 14.10.2024 10:00", "--by", "dep", "--at", "18.10.2024"))
    rows = status_json(run, "forms", "2024-10-21")
    assert (rows["answer"]["status"], rows["answer"]["due"]) == ("due_soon", "2024-10-21")  # the second one, due today
    assert rows["answer"]["occurrence"] == "запрос 17.10.2024 15:00"
    assert "stage.triggered" in ok(run("history", "forms", "--format", "json"))


def test_as_needed_stage_has_no_deadline_and_is_completed_many_times_with_evidence(cli, tmp_path):
    run, write = cli
    ok(run("load", str(write(TRIGGERED))))
    (tmp_path / "протокол.pdf").write_bytes(b"%PDF-1.4 protocol")
    refused = run("done", "forms", "consult", "--by", "psy", "--at", "15.10.2024")
    assert refused.returncode != 0 and "нужно подтверждение" in refused.stderr
    for day in ("15.10.2024", "17.10.2024"):
        ok(run("done", "forms", "consult", "--by", "psy", "--at", day, "--evidence", "протокол.pdf"))
    row = status_json(run, "forms", "2025-05-30")["consult"]
    assert row["status"] != "overdue" and row["due"] is None
    assert row["occurrences_done"] == 2
    assert row["status_text"] == "по мере необходимости, выполнен 2 раза"  # one completion does not finish it


def test_triggered_occurrence_gets_due_day_and_overdue_reminders():
    result = model_of(TRIGGERED.replace("[dep]", "[toropkina]").replace("[psy]", "[volkova]"))
    trigger = Trigger("answer", dt.datetime(2024, 10, 14, 10, tzinfo=ZONE), "запрос 14.10.2024 10:00", "toropkina")

    def kinds(day: dt.date) -> list[tuple[str, str]]:
        status = compute_status(result.roadmap, [], day, triggers=[trigger])
        return sorted((r.stage_id, r.kind.value) for r in due_reminders(status))

    assert ("answer", "due") in kinds(D(2024, 10, 16))
    assert ("answer", "overdue") in kinds(D(2024, 10, 17))
    assert kinds(D(2024, 10, 11)) == []  # before the request came, nothing to remind of
    # "по мере необходимости" without `within`: never reminded, never overdue
    need = Trigger("consult", dt.datetime(2024, 10, 14, 10, tzinfo=ZONE), "14.10.2024", "volkova")
    status = compute_status(result.roadmap, [], D(2025, 3, 3), triggers=[need])
    assert status.stages["consult"].status is not Status.OVERDUE
    assert not [r for r in due_reminders(status) if r.stage_id == "consult"]


# --- 2. late while blocked ----------------------------------------------------------------------------

BLOCKED = """\
  - {id: s4, number: "4", title: Четвёртый, due: 2024-10-10, responsible: [toropkina]}
  - {id: s5, number: "5", title: Пятый, due: 2024-10-15, depends_on: ["4"], responsible: [volkova]}
"""


def test_late_while_blocked_is_overdue_and_says_what_it_waits_for():
    result = model_of(BLOCKED)
    before = compute_status(result.roadmap, [], D(2024, 10, 14))
    assert before.stages["s5"].status is Status.BLOCKED  # not yet due: blocked as before
    status = compute_status(result.roadmap, [], D(2024, 10, 21))
    row = status.stages["s5"]
    assert row.status is Status.OVERDUE and row.late_while_blocked
    assert status_text(row, status.plan) == "просрочен, ждёт этап 4 (Торопкина А.А.)"
    assert status.counts()[Status.OVERDUE] == 2  # both deadlines passed, both counted


def test_the_blocking_stage_owner_is_told_once_then_every_overdue_every_days():
    result = model_of(BLOCKED)

    def blocking(day: dt.date) -> list[tuple[str, str, tuple[str, ...], str]]:
        found = due_reminders(compute_status(result.roadmap, [], day))
        assert not [r for r in found if r.person == "volkova"], "the held stage's people cannot start: not chased"
        return [(r.person, r.stage_id, r.held, r.dedupe_key) for r in found if r.kind is Kind.BLOCKING]

    assert blocking(D(2024, 10, 15)) == []  # not late yet
    first, second, third = (blocking(D(2024, 10, day)) for day in (16, 17, 18))
    assert [item[:3] for item in first] == [("toropkina", "s4", ("s5",))]  # the held stage's first overdue day
    assert second == first  # the same message (same key: the outbox sends it once; a missed run catches up)
    assert third[0][:3] == first[0][:3] and third[0][3] != first[0][3]  # again after overdue_every: 2


# --- 3. optional stages -------------------------------------------------------------------------------

OPTIONAL = """\
  - {id: main_day, number: "5", title: Основной день ВПР, due: 2025-04-15, responsible: [toropkina]}
  - id: reserve_day
    number: "6"
    title: Резервный день ВПР
    when: может быть использован в случае болезни обучающихся
    due: 2025-04-22
    optional: true
    depends_on: ["5"]
    responsible: [toropkina]
  - {id: after, number: "7", title: После ВПР, due: 2025-04-25, depends_on: ["6"], responsible: [volkova]}
"""


def test_optional_stage_is_listed_never_overdue_never_reminded_until_activated():
    result = model_of(OPTIONAL)
    late = D(2025, 4, 28)
    status = compute_status(result.roadmap, [done("main_day", D(2025, 4, 15))], late)
    assert status.stages["reserve_day"].status is Status.OPTIONAL
    assert status.stages["reserve_day"].due == D(2025, 4, 22)  # listed with its date
    assert status.stages["after"].status is not Status.BLOCKED  # never holding up the stages after it
    assert not [r for r in due_reminders(status) if r.stage_id == "reserve_day"]

    activation = Activation("reserve_day", at(D(2025, 4, 16)), "toropkina", "заболели 4 обучающихся")
    status = compute_status(result.roadmap, [done("main_day", D(2025, 4, 15))], late, activations=[activation])
    assert status.stages["reserve_day"].status is Status.OVERDUE
    # overdue itself, and holding up stage 7 (late while blocked by it) — its owner hears both
    assert sorted(r.kind.value for r in due_reminders(status) if r.stage_id == "reserve_day") == ["blocking", "overdue"]


def test_activate_command_and_a_dependency_that_says_so(cli):
    run, write = cli
    second = '  - {id: spare, number: "8", title: Второй резерв, due: 2025-04-24, optional: true, responsible: [dep]}\n'
    stages = OPTIONAL.replace("[toropkina]", "[dep]").replace("[volkova]", "[psy]") + second
    ok(run("load", str(write(stages))))
    rows = status_json(run, "forms", "2025-04-28")
    assert (rows["reserve_day"]["status"], rows["spare"]["status"]) == ("optional", "optional")

    ok(run("done", "forms", "5", "--by", "dep", "--at", "15.04.2025", "--activate", "reserve_day"))
    out = ok(run("activate", "forms", "8", "--by", "dep", "--reason", "заболели 4 обучающихся", "--at", "16.04.2025"))
    assert "8" in out
    rows = status_json(run, "forms", "2025-04-28")
    assert (rows["reserve_day"]["status"], rows["spare"]["status"]) == ("overdue", "overdue")
    history = [r for r in json.loads(ok(run("history", "forms", "--format", "json"))) if r["action"] == "stage.activated"]
    assert sorted(r["stage_id"] for r in history) == ["reserve_day", "spare"]
    assert "заболели 4 обучающихся" in json.dumps(history, ensure_ascii=False)


# --- 4. events with rule dates and times ----------------------------------------------------------------


def test_event_rule_with_time_gives_one_hour_before_its_date():
    events = (
        'events:\n  ege_math: {title: ЕГЭ по математике, start: "первая среда июня, 10:00"}\n'
        '  olymp: {title: Олимпиада, start: {nth: 2, weekday: суббота, month: ноябрь, time: "10:00"}}\n'
    )
    header = HEADER.replace("events:\n  testing: {title: Тестирование ЕМ СПТ, start: 2024-10-01, end: 2024-10-15}\n", "")
    result = model_of(
        "  - {id: brief, title: Инструктаж за 1 час до начала, due: ege_math.start - 1h, responsible: [toropkina]}\n"
        "  - {id: olymp_day, title: Олимпиада, due: olymp.start, responsible: [toropkina]}\n",
        events,
        header,
    )
    (brief,) = result.plan.stages["brief"].occurrences
    assert (brief.due, brief.due_time) == (D(2025, 6, 4), dt.time(9, 0))
    (olymp,) = result.plan.stages["olymp_day"].occurrences
    assert (olymp.due, olymp.due_time) == (D(2024, 11, 9), dt.time(10, 0))


# --- 5. several windows in one stage -------------------------------------------------------------------


def test_a_list_of_windows_and_months_with_a_year_at_the_end():
    result = model_of(
        "  - {id: monitoring, title: Мониторинг, when: 'ноябрь 2024, март – апрель 2025',"
        " windows: [ноябрь 2024, март – апрель 2025], responsible: [toropkina]}\n"
        "  - {id: spring, title: Весна, windows: [Март-май 2025г.], responsible: [toropkina]}\n"
    )
    assert occurrences(result, "monitoring") == [(D(2024, 11, 1), D(2024, 11, 30)), (D(2025, 3, 1), D(2025, 4, 30))]
    assert [o.label for o in result.plan.stages["monitoring"].occurrences] == ["ноябрь 2024", "март – апрель 2025"]
    assert occurrences(result, "spring") == [(D(2025, 3, 1), D(2025, 5, 31))]


# --- 6. period phrases bound to events; open bounds ----------------------------------------------------


def test_period_phrase_bound_to_an_event_and_an_open_start():
    events = (
        "  gia: {title: ГИА, start: 2025-05-23, end: 2025-07-01}\n"
        "  gia_prep: {title: Подготовка к ГИА, start: open, end: 2025-05-23}\n"
    )
    result = model_of(
        "  - {id: support, title: Сопровождение в период подготовки и проведения ГИА,"
        " start: gia.start - 2mo, due: gia.end, responsible: [toropkina]}\n"
        "  - {id: consult, title: Консультации, start: gia_prep.start, due: gia_prep.end, responsible: [toropkina]}\n",
        header=HEADER + events,
    )
    assert occurrences(result, "support") == [(D(2025, 3, 23), D(2025, 7, 1))]
    assert occurrences(result, "consult") == [(None, D(2025, 5, 23))]


# --- date text as documents write it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "due"),
    [
        ("10.10.2024 четверг", D(2024, 10, 10)),  # no brackets: «г» of «четверг» is not a year suffix
        ("20.09.2024г. (пятница)", D(2024, 9, 20)),
        ("в срок до 20.09.2024", D(2024, 9, 20)),
        ("не позднее 10 августа", D(2025, 8, 10)),
        ("30 сентября (1 этап)", D(2024, 9, 30)),
        ("10 окт. 2024", D(2024, 10, 10)),
        ("окт.", D(2024, 10, 31)),
        ("май 2025гг.", D(2025, 5, 31)),
    ],
)
def test_date_text_as_documents_write_it(written, due):
    result = model_of(f"  - {{id: a, title: A, due: '{written}', responsible: [toropkina]}}\n")
    assert result.plan.stages["a"].occurrences[0].due == due
    assert not result.report.warnings, messages(result)


def test_the_weekday_written_next_to_a_date_is_still_checked():
    result = checked("  - {id: a, title: A, due: 11.10.2024 четверг, responsible: [toropkina]}\n")
    assert "11.10.2024 — это пятница, а в документе написано «четверг»: проверьте дату" in " ".join(messages(result))


def test_a_bare_month_in_a_plan_spanning_two_augusts_says_which_year_was_taken():
    result = checked(
        "  - {id: a, title: A, due: август, responsible: [toropkina]}\n",
        "period: {start: 2024-08-01, end: 2025-08-31}\n",
    )
    assert result.plan is not None
    assert result.plan.stages["a"].occurrences[0].due == D(2024, 8, 31)
    assert any("«август» без года" in m and "взят август 2024 г." in m for m in messages(result)), messages(result)


def test_a_year_slip_in_when_is_named_and_a_correction_silences_it():
    slip = "  - {id: a, title: A, when: До 06.09.2023г., due: 2024-09-06, responsible: [toropkina]}\n"
    result = checked(slip)
    assert "в тексте срока «До 06.09.2023г.» стоит 06.09.2023, а срок по плану — 06.09.2024" in " ".join(messages(result))
    corrected = checked(slip.replace("}\n", ", correction: опечатка в годе, принято 06.09.2024}\n"))
    assert not any("06.09.2023" in m for m in messages(corrected)), messages(corrected)


# --- people, roles, numbers ------------------------------------------------------------------------------


def test_empty_role_and_stages_that_would_remind_nobody_are_listed():
    result = checked(
        "  - {id: a, number: '3', title: A, due: 2024-10-10, responsible: [empty]}\n"
        "  - {id: b, number: '7', title: B, due: 2024-10-11, responsible: [nobody]}\n"
        "  - {id: c, number: '8', title: C, due: 2024-10-12, responsible: [toropkina]}\n",
        "roles:\n  empty: {title: Пустая роль, members: []}\n",
        HEADER.replace("people:\n", "people:\n  nobody: {name: Никто Н.Н.}\n"),
    )
    found = messages(result)
    assert "в роли «Пустая роль» нет ни одного человека: этапы 3 не напомнят никому из этой роли" in found
    assert "этапы, о которых некому напомнить (ни у кого из ответственных нет контакта): 3, 7" in found


SECTIONS = """\
sections:
  - number: "1."
    title: Нормативное обеспечение
    stages:
      - {id: order, number: "1", title: Издать приказ, due: 2024-09-10, responsible: [dep]}
      - {id: plan3, number: "3", title: Утвердить план, due: 2024-09-12, depends_on: ["1"], responsible: [dep]}
  - number: "2."
    title: Организация
    stages:
      - {id: org1, number: "1", title: Собрать сведения, due: 2024-09-11, depends_on: ["1"], responsible: [dep]}
      - {id: organizers, number: "3", title: Назначить организаторов, due: 2024-09-15, depends_on: ["1"], responsible: [dep]}
"""


def test_repeated_numbers_resolve_in_their_own_section_and_never_to_themselves():
    result = check_text(SCHOOL + SECTIONS, "t.yaml")
    assert result.plan is not None, messages(result)
    assert not any("сам" in m for m in messages(result)), messages(result)
    deps = {key: planned.depends_on for key, planned in result.plan.stages.items()}
    assert deps["plan3"] == ("order",)
    assert deps["organizers"] == ("org1",)  # its own section first
    assert deps["org1"] == ("order",)  # not itself: the only other stage numbered 1


def test_done_refuses_an_ambiguous_number_and_lists_the_candidates(cli, tmp_path):
    run, _ = cli
    path = tmp_path / "sections.yaml"
    path.write_text(SCHOOL + SECTIONS, encoding="utf-8")
    ok(run("load", str(path)))
    result = run("done", "forms", "3", "--by", "dep")
    assert result.returncode != 0
    assert "номер 3 есть у нескольких этапов" in result.stderr
    assert "3 в разделе «1. Нормативное обеспечение» — «Утвердить план» (id plan3)" in result.stderr
    assert "3 в разделе «2. Организация» — «Назначить организаторов» (id organizers)" in result.stderr


def test_a_repeated_number_in_a_warning_names_its_section():
    text = SCHOOL.replace("people:\n", "people:\n  nob: {name: Никто Н.Н.}\n") + SECTIONS.replace(
        'title: Собрать сведения, due: 2024-09-11, depends_on: ["1"], responsible: [dep]',
        'title: Собрать сведения, due: 2024-09-11, depends_on: ["1"], responsible: [nob]',
    )
    result = check_text(text, "t.yaml")
    assert any(m.endswith("нет контакта): 1 (раздел 2.)") for m in messages(result)), messages(result)


def test_validation_reports_everything_in_one_pass():
    result = checked(
        "  - {id: c, title: C, due: 2024-09-42, bogus: 1, responsible: [ghost]}\n"
        "  - {id: d, title: D, due: 2024-09-20, depends_on: [e], responsible: [toropkina]}\n"
        "  - {id: e, title: E, due: 2024-09-21, depends_on: [d], responsible: [toropkina]}\n"
    )
    text = " | ".join(d.message for d in result.report.errors)
    assert "такой даты не существует: «2024-09-42»" in text
    assert "неизвестное поле «bogus»" in text
    assert "неизвестный ответственный «ghost»" in text
    assert "циклическая зависимость" in text


# --- commands that mislead today ------------------------------------------------------------------------


def test_done_prints_the_recomputed_date_of_the_stage_it_unblocks(cli):
    run, write = cli
    ok(
        run(
            "load",
            str(
                write(
                    '  - {id: s20, number: "20", title: Выгрузка, due: 2024-10-18, responsible: [dep]}\n'
                    '  - {id: s22, number: "22", title: Формы, due: s20.done + 6wd, depends_on: [s20], responsible: [psy]}\n'
                )
            ),
        )
    )
    out = ok(run("done", "forms", "20", "--by", "dep", "--at", "25.10.2024"))
    assert "Теперь можно начинать этап 22 «Формы», срок до 02.11.2024, суббота." in out  # not the planned 28.10
    assert status_json(run, "forms", "2024-10-28")["s22"]["due"] == "2024-11-02"


DUE = '  - {id: s4, number: "4", title: Четвёртый, due: 2024-10-21, responsible: [dep]}\n'


def test_remind_dry_run_without_a_mail_account_lists_the_reminders_and_what_is_missing(cli):
    run, write = cli
    ok(run("load", str(write(DUE))))
    result = run("remind", "forms", "--dry-run", "--as-of", "2024-10-21")
    out = ok(result)
    assert "напоминаний нет" not in out
    assert "Не уйдут: нет рабочего канала (1)" in out
    assert "Торопкина А.А." in out and "4. Четвёртый" in out and "21.10.2024" in out
    assert "не настроен почтовый ящик школы" in out + result.stderr


def test_dispatch_after_an_outage_says_how_many_wait_and_until_when_and_now_retries(cli):
    run, write = cli
    down = {"CYCLOGRAM_SECRET_SMTP": "mailto://user:pass@127.0.0.1:1?from=school@school.example"}
    ok(run("load", str(write(DUE))))
    first = run("remind", "forms", "--as-of", "2024-10-21", **down)
    assert first.returncode == 5, first.stdout + first.stderr
    assert "сервер отклонил соединение" in first.stderr  # a Russian lead-in before Apprise's English
    assert first.stderr.count("dep@school.example") == 1 and "pass" not in first.stderr

    later = run("dispatch", **down)
    assert later.returncode == 0, later.stdout + later.stderr
    assert "Отправлено: 0; повторим позже: 0" in later.stdout
    assert re.search(r"Ждут повтора после сбоя: 1; ближайшая попытка — \d\d\.\d\d\.\d{4} \d\d:\d\d\.", later.stdout)
    assert "cyclogram dispatch --now" in later.stdout

    now = run("dispatch", "--now", **down)
    assert now.returncode == 5 and "повторим позже: 1" in now.stdout


def test_lead_in_names_the_cause_in_russian():
    from cyclogram.notifiers.channels import lead_in

    assert lead_in("Connection error; Socket Exception: [Errno 111] Connection refused").startswith("сервер отклонил")
    assert lead_in("(535, b'5.7.8 Username and Password not accepted')") == "сервер не принял логин или пароль"
    assert lead_in("[Errno -2] Name or service not known") == "адрес сервера не найден (DNS)"
    assert lead_in("something odd") == "сервис ответил ошибкой"


def test_at_accepts_words_and_short_dates():
    from cyclogram.tracker import TrackingError, parse_when

    today = dt.datetime.now(ZONE).date()
    assert parse_when("сегодня", ZONE).moment.date() == today
    assert parse_when("вчера", ZONE).moment.date() == today - dt.timedelta(days=1)
    friday = parse_when("пятница", ZONE)
    assert friday.moment.weekday() == 4 and 0 <= (today - friday.moment.date()).days < 7 and friday.day_only
    assert parse_when("14.10", ZONE).moment.date() == D(today.year, 10, 14)
    timed = parse_when("вчера 15:30", ZONE)
    assert (timed.moment.time(), timed.day_only) == (dt.time(15, 30), False)
    with pytest.raises(TrackingError, match="непонятная дата «абырвалг»"):
        parse_when("абырвалг", ZONE)


def test_usage_errors_are_in_russian(cli):
    run, _ = cli
    missing = run("status")
    assert missing.returncode == 2
    assert "не указан аргумент ROADMAP" in missing.stderr and "Missing argument" not in missing.stderr
    typo = run("statuz")
    assert "нет такой команды «statuz»; возможно, имелась в виду «status»" in typo.stderr
    assert "нет такого параметра --bogus" in run("done", "x", "1", "--bogus").stderr


def test_strict_says_warnings_count_as_errors(cli):
    run, write = cli
    path = write("  - {id: a, title: A, due: 2023-10-10, responsible: [dep]}\n")
    result = run("validate", "--strict", str(path))
    assert result.returncode == 1
    assert "предупреждения считаются ошибками" in result.stdout and "ошибок нет" not in result.stdout


def test_history_in_words_by_number_for_a_person_in_the_roadmaps_zone(cli):
    run, write = cli
    down = {"CYCLOGRAM_SECRET_SMTP": "mailto://127.0.0.1:1?from=school@school.example"}
    ok(run("load", str(write(DUE + TRIGGERED))))
    ok(run("trigger", "forms", "answer", "--at", "14.10.2024 10:00", "--by", "dep"))
    ok(run("done", "forms", "4", "--by", "dep", "--at", "18.10.2024"))
    run("remind", "forms", "--as-of", "2024-10-16", **down)  # the request's due day: a reminder to dep

    table = ok(run("history", "forms", "--stage", "4"))
    assert "этап выполнен" in table and "Торопкина А.А." in table
    assert "когда: 18.10.2024;" in table or table.rstrip().count("18.10.2024") >= 1
    assert "18.10.2024 12:00" not in table  # a day-only completion shows the date, not an invented noon
    assert "повод" not in table  # --stage 4 is stage 4 only

    person = ok(run("history", "forms", "--person", "dep"))
    assert "записан повод этапа" in person and "напоминание" in person  # the reminder to dep is there

    rows = json.loads(ok(run("history", "forms", "--format", "json")))
    loaded = next(r for r in rows if r["action"] == "roadmap.loaded")
    local = dt.datetime.fromisoformat(loaded["at"].replace("Z", "+00:00")).astimezone(ZONE)
    assert f"{local:%d.%m.%Y %H:%M}" in person  # the roadmap's zone, not UTC


def test_author_notes_stay_out_of_staff_messages_unless_marked():
    from cyclogram.notifiers.messages import render_reminder

    result = model_of(
        "  - {id: a, title: A, due: 2024-10-10, responsible: [toropkina], notes: опечатка в годе}\n"
        "  - {id: b, title: B, due: 2024-10-10, responsible: [toropkina], notes: видно всем, notes_for_staff: true}\n"
        "  - {id: c, title: C, due: 2024-10-10, responsible: [toropkina], notes: секрет, notes_for_staff: Принесите списки}\n"
    )
    status = compute_status(result.roadmap, [], D(2024, 10, 10))
    texts = {}
    for reminder in due_reminders(status):
        message = render_reminder(reminder, status)
        texts[reminder.stage_id] = message.text + message.html
    assert "опечатка в годе" not in texts["a"]
    assert "видно всем" in texts["b"]
    assert "Принесите списки" in texts["c"] and "секрет" not in texts["c"]


# --- the bundled roadmaps keep validating ------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ROADMAPS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_roadmaps_still_validate(path):
    from cyclogram.engine.validation import check_file

    result = check_file(path)
    assert result.report.ok and result.plan is not None, [d.format() for d in result.report.diagnostics]


def test_a_request_a_year_outside_the_plan_is_a_typo_of_the_year(cli):
    run, write = cli
    ok(run("load", str(write(TRIGGERED))))
    typo = run("trigger", "forms", "answer", "--at", "14.10.2014 10:00", "--by", "dep")
    assert typo.returncode == 1
    assert "дата повода 14.10.2014 больше чем на год вне плана (01.09.2024 – 31.08.2025): проверьте год" in typo.stderr
    consult = run("done", "forms", "consult", "--by", "psy", "--at", "15.10.2014")  # "по мере необходимости" records its need
    assert consult.returncode == 1 and "больше чем на год вне плана" in consult.stderr
    history = json.loads(ok(run("history", "forms", "--format", "json")))
    assert [e["action"] for e in history] == ["roadmap.loaded"]  # nothing recorded
    ok(run("trigger", "forms", "answer", "--at", "28.08.2024 10:00", "--by", "dep"))  # late August: fine
