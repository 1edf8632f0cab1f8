"""A deputy director's trial of the newest roadmap forms (a municipal ГИА roadmap with rule-date exams
and reserve days, a school's «работа с обращениями» plan with triggered and as-needed stages, a plan
over two school years with windows): what the trial found, one test per finding. The engine is called
in process where the point is about what is computed or rendered; the command line runs as a real
process (SQLite under CYCLOGRAM_HOME=tmp_path) where it is about what a user types and reads."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cyclogram import render
from cyclogram.engine.plan import occurrence_dates
from cyclogram.engine.reminders import Kind, due_reminders
from cyclogram.engine.status import compute_status, status_records
from cyclogram.engine.tracking import Activation, Completion, CompletionState
from cyclogram.engine.validation import check_text
from cyclogram.notifiers.ical import build_specs
from cyclogram.notifiers.messages import render_reminder

D = dt.date
ZONE = ZoneInfo("Asia/Irkutsk")

SCHOOL = """\
id: trial
title: Проба форм
organization: Школа
academic_year: 2024-2025
timezone: Asia/Irkutsk
calendar: {country: RU}
people:
  dep: {name: Торопкина А.А., contacts: {email: dep@school.example}}
  psy: {name: Волкова Л.А., contacts: {email: psy@school.example}}
"""

GIA = """\
events:
  oge_math: {title: ОГЭ по математике, start: "первая среда июня, 10:00"}
sections:
  - number: "1."
    title: Экзамены
    stages:
      - {id: tech, number: "1", title: Техническая подготовка ППЭ, when: за 1 час до начала, due: oge_math.start - 1h, responsible: [dep]}
      - {id: main_day, number: "2", title: Основной день, due: oge_math.start, responsible: [dep]}
      - id: reserve_day
        number: "3"
        title: Резервный день ОГЭ по математике
        when: может быть использован в случае болезни обучающихся
        due: 2025-06-20
        optional: true
        depends_on: ["2"]
        responsible: [dep]
"""

REQUESTS = """\
sections:
  - number: "1."
    title: Приём обращений
    stages:
      - {id: register, number: "1", title: Регистрация обращений, due: 2024-10-31, responsible: [dep]}
      - id: answer
        number: "2"
        title: Направить информацию по запросу
        when: В течение 2 рабочих дней со дня получения запроса
        trigger: по мере поступления запросов
        within: 2wd
        trigger_label: запрос
        responsible: [dep]
  - number: "2."
    title: Сопровождение
    stages:
      - {id: consult, number: "1", title: Консультации для родителей, trigger: по мере необходимости, responsible: [psy]}
      - {id: report, number: "2", title: Отчёт, due: 2024-12-27, responsible: [dep]}
"""


def model(text: str, header: str = SCHOOL):
    result = check_text(header + text, "t.yaml")
    assert result.plan is not None and result.report.ok, [d.format() for d in result.report.diagnostics]
    return result


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), ZONE)


@pytest.fixture
def cli(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLOGRAM_")}
    env.update(CYCLOGRAM_HOME=str(tmp_path / "home"), CYCLOGRAM_ACTOR="tester", COLUMNS="220", NO_COLOR="1")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
        )

    def write(text: str) -> str:
        path = tmp_path / "plan.yaml"
        path.write_text(SCHOOL + text, encoding="utf-8")
        return str(path)

    return run, write


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- the calendar feed said «не выполнен» and set alarms for a reserve nobody activated -------------------


def test_a_reserve_not_activated_is_tentative_in_the_calendar_without_alarms():
    result = model(GIA)
    completions = [Completion("main_day", CompletionState.DONE, at(D(2025, 6, 4), 15), "dep", "")]
    status = compute_status(result.roadmap, completions, D(2025, 6, 5))
    assert not [r for r in due_reminders(status) if r.stage_id == "reserve_day"]  # no reminders…
    (spec,) = [s for s in build_specs(status)[0] if s.stage_id == "reserve_day"]
    assert spec.fields["status"] == "TENTATIVE"
    assert spec.fields["alarms"] == []  # …so no alarms either
    assert "Статус: резерв, не задействован" in str(spec.fields["description"])

    activation = Activation("reserve_day", at(D(2025, 6, 4), 16), "dep", "заболели 4 обучающихся")
    status = compute_status(result.roadmap, completions, D(2025, 6, 5), activations=[activation])
    (spec,) = [s for s in build_specs(status)[0] if s.stage_id == "reserve_day"]
    assert spec.fields["status"] == "CONFIRMED" and spec.fields["alarms"]
    assert "Статус: не выполнен" in str(spec.fields["description"])


# --- «за 1 час до начала»: the hour was in `plan` and the calendar, not in status or the reminders ---------


def test_the_hour_of_a_deadline_is_in_status_json_wide_and_the_reminder():
    result = model(GIA)
    status = compute_status(result.roadmap, [], D(2025, 6, 4))
    records = {r["id"]: r for r in status_records(status)}
    assert (records["tech"]["due"], records["tech"]["due_time"]) == ("2025-06-04", "09:00")
    assert records["reserve_day"]["due_time"] is None
    (due,) = [r for r in due_reminders(status) if r.stage_id == "tech" and r.kind is Kind.DUE]
    message = render_reminder(due, status)
    assert "09:00" in message.text and "09:00" in message.html and "09:00" in message.short


def test_status_wide_shows_the_hour(cli):
    run, write = cli
    ok(run("load", write(GIA)))
    assert "04.06.2025 09:00" in ok(run("status", "trial", "--as-of", "2025-06-02", "--wide"))


# --- «по мере необходимости» was counted as «срок не определён», then as «выполнен», and in the progress ----


def test_as_needed_stage_is_counted_as_such_and_stays_out_of_the_progress():
    result = model(REQUESTS)
    done = [Completion("consult", CompletionState.DONE, at(D(2024, 11, 6), 14), "psy", "повод 06.11.2024 14:00")]
    for completions in ([], done):
        status = compute_status(result.roadmap, completions, D(2024, 11, 8))
        text = render.status_lines(status, 120)
        summary = text.splitlines()[-1]
        # «срок не определён» is the request stage waiting for its first request, not the consultations
        assert summary == "Итого — открыт: 1, просрочен: 1, срок не определён: 1, по мере необходимости: 1"
        section = next(line for line in text.splitlines() if line.startswith("2. Сопровождение"))
        assert section.endswith(" 0/1"), section  # only the report counts


# --- the trigger's hint named an ambiguous number; --activate printed an id -------------------------------


def test_hints_name_the_stage_so_that_the_command_works(cli):
    run, write = cli
    ok(run("load", write(REQUESTS)))
    out = ok(run("trigger", "trial", "answer", "--at", "31.10.2024 16:00"))
    assert "срок до 02.11.2024, суббота" in out  # 02.11.2024 was a working Saturday
    hint = next(line for line in out.splitlines() if line.startswith("Отметить выполнение"))
    assert "cyclogram done trial answer --occurrence" in hint  # «2» is also the report in section 2
    command = hint.split(": ", 1)[1].replace("--by …", "--by dep").replace("cyclogram ", "", 1)
    ok(run(*shlex.split(command), "--at", "01.11.2024"))

    ok(run("load", write(GIA)))
    out = ok(run("done", "trial", "main_day", "--by", "dep", "--at", "04.06.2025 15:00", "--activate", "reserve_day"))
    assert "Резервный этап 3 «Резервный день ОГЭ по математике» задействован, срок до 20.06.2025, пятница" in out


# --- history --since compared «вчера» or 14.10.2024 with stored text ------------------------------------------


def test_history_since_reads_dates_as_people_write_them(cli):
    run, write = cli
    ok(run("load", write(REQUESTS)))
    ok(run("done", "trial", "register", "--by", "dep", "--at", "14.10.2024"))

    def actions(since: str) -> list[str]:
        return [r["action"] for r in json.loads(ok(run("history", "trial", "--since", since, "--format", "json")))]

    everything = ["roadmap.loaded", "stage.done"]  # recorded now, whatever day the completion names
    assert actions("вчера") == actions("сегодня") == actions("14.10.2024") == everything
    assert actions("01.01.2199") == []
    refused = run("history", "trial", "--since", "31.02.2025")
    assert refused.returncode == 1 and "непонятная дата" in refused.stderr


# --- «март-апрель 2025» typed with a hyphen was refused ----------------------------------------------------


def test_an_occurrence_is_found_whatever_dash_and_spaces_are_typed(cli):
    run, write = cli
    stage = "  - {id: mon, number: '1', title: Мониторинг, windows: [ноябрь 2024, март – апрель 2025], responsible: [dep]}\n"
    ok(run("load", write("stages:\n" + stage)))
    out = ok(run("done", "trial", "mon", "--by", "dep", "--at", "05.04.2025", "--occurrence", "Март-апрель  2025"))
    assert "(март – апрель 2025)" in out


# --- a window labelled by its own dates was shown «dates: dates» ------------------------------------------------


def test_a_window_labelled_by_its_dates_is_not_shown_twice():
    result = model(
        "stages:\n  - {id: mock, title: Пробные работы, windows: [с 01.10.24 по 15.10.24, март 2025], responsible: [dep]}\n"
    )
    assert occurrence_dates(result.plan.stages["mock"], "?") == ["01.10.2024 – 15.10.2024", "март 2025: 01.03.2025 – 31.03.2025"]


# --- «включает август дважды» for a period holding three Augusts ------------------------------------------------


def test_a_bare_month_warning_says_how_many_times_the_period_holds_it():
    header = SCHOOL + "period: {start: 2024-08-01, end: 2026-08-31}\n"
    result = check_text(header + "stages:\n  - {id: a, title: Анализ, start: август, due: август, responsible: [dep]}\n", "t")
    warnings = [d.message for d in result.report.diagnostics]
    assert any("включает август трижды" in w for w in warnings), warnings
