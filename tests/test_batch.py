"""A month of paper marks at once: `done ROADMAP 3 5 8` and `import-completions FILE.csv`, one
transaction each, with the checks and audit events of single completions; readable output."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROADMAPS

from cyclogram import recording
from cyclogram.engine.diagnostics import Refusal
from cyclogram.store import open_store
from cyclogram.store.audit import HistoryFilter
from cyclogram.tracker import Tracker

SPT = ROADMAPS / "spt-usolye-2024.yaml"


@pytest.fixture
def tracker(database_url, tmp_path):
    store = open_store(database_url)
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    yield tracker
    store.close()


def _actions(tracker: Tracker) -> list[str]:
    return [e.action for e in tracker.history(HistoryFilter("spt-usolye-2024"))]


def test_several_stages_in_one_command_in_dependency_order(tracker):
    # 21 waits for 20: given in the "wrong" order, both are recorded (20 first).
    marks = [recording.Mark("21", "2024-10-23", evidence="https://school.example/forms"), recording.Mark("20", "2024-10-18")]
    marks += [recording.Mark("2", "2024-09-05")]
    outcomes = recording.done_many(
        tracker, "spt-usolye-2024", marks, by="volkova", actor="deputy", force=True, reason="бумажные отметки"
    )
    assert [o.stage.stage.display_number for o in outcomes] == ["2", "20", "21"]
    assert _actions(tracker).count("stage.done") + _actions(tracker).count("stage.forced") == 3
    assert tracker.verify().ok


def test_one_bad_mark_refuses_the_whole_batch(tracker):
    before = _actions(tracker)
    marks = [recording.Mark("2", "2024-09-05"), recording.Mark("999", "2024-09-06")]
    with pytest.raises(Refusal, match="этап 999: в дорожной карте нет этапа «999»"):
        recording.done_many(tracker, "spt-usolye-2024", marks, by="toropkina", actor="deputy")
    assert _actions(tracker) == before  # nothing recorded, not even stage 2
    status = tracker.status("spt-usolye-2024")
    assert status.stages[status.plan.by_number_or_id("2").id].completion is None


def test_a_blocked_stage_in_a_batch_is_refused_like_a_single_done(tracker):
    with pytest.raises(Refusal, match="ещё заблокирован"):
        recording.done_many(tracker, "spt-usolye-2024", [recording.Mark("22", "2024-10-25")], by="volkova", actor="deputy")


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CYCLOGRAM_HOME=str(home), CYCLOGRAM_ACTOR="завуч", COLUMNS="80")
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)


def test_import_completions_from_an_excel_csv(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    table = tmp_path / "marks.csv"
    # Excel on a Russian Windows: Windows-1251, `;`, Russian headers in any order.
    rows = [
        "Дата;Этап;Кто;Комментарий;Подтверждение",
        "05.09.2024;2;toropkina;план утверждён;",
        "04.09.2024;3.;Мельникова Н.А.;;https://school.example/polozhenie.pdf",
        "",
        "10.09.2024 15:00;4;toropkina;педсовет;https://school.example/protokol.pdf",
    ]
    table.write_bytes("\r\n".join(rows).encode("cp1251"))
    result = _cli("import-completions", "spt-usolye-2024", str(table), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Внесено отметок: 3" in result.stdout
    status = json.loads(_cli("status", "spt-usolye-2024", "--as-of", "2024-09-20", "--format", "json", home=tmp_path).stdout)
    by_number = {s["number"]: s for s in status["stages"]}
    assert by_number["2."]["status"] == "done" and by_number["3."]["done_by"] == "melnikova"
    history = json.loads(_cli("history", "--format", "json", home=tmp_path).stdout)
    assert [e["action"] for e in history].count("stage.done") == 3
    assert next(e for e in history if e["stage_id"] and e["payload"].get("note") == "педсовет")["payload"]["at"].startswith(
        "2024-09-10T15:00"
    )


def test_import_completions_refuses_with_the_line_and_records_nothing(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    table = tmp_path / "marks.csv"
    table.write_text("\ufeffэтап;дата;кто\n2;05.09.2024;toropkina\n3;когда-нибудь;melnikova\n", encoding="utf-8")
    result = _cli("import-completions", "spt-usolye-2024", str(table), home=tmp_path)
    assert result.returncode == 1
    assert "строка 3" in result.stderr and "непонятная дата «когда-нибудь»" in result.stderr
    assert "Traceback" not in result.stderr
    history = json.loads(_cli("history", "--format", "json", home=tmp_path).stdout)
    assert [e["action"] for e in history] == ["roadmap.loaded"]
    missing = tmp_path / "bad.csv"
    missing.write_text("что;когда\nx;y\n", encoding="utf-8")
    refused = _cli("import-completions", "spt-usolye-2024", str(missing), home=tmp_path)
    assert refused.returncode == 1 and "строка 1: нет столбцов «этап»" in refused.stderr


def test_done_with_several_numbers_from_the_command_line(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    # 6 waits for 3 (the local act): marked together, in any order, both go in.
    result = _cli("done", "spt-usolye-2024", "6", "2", "--by", "volkova", "--at", "2024-09-06", home=tmp_path)
    assert result.returncode == 1 and "этап 6 ещё заблокирован" in result.stderr
    result = _cli(
        "done",
        "spt-usolye-2024",
        "6",
        "2",
        "3",
        "--by",
        "volkova",
        "--at",
        "2024-09-06",
        "--evidence",
        "https://school.example/akt",
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(" выполнен 06.09.2024") == 3


def test_status_outputs_fit_80_columns_and_excel(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    assert (
        _cli(
            "done", "spt-usolye-2024", "20", "--by", "volkova", "--at", "2024-10-17", "--force", "--reason", "тест", home=tmp_path
        ).returncode
        == 0
    )
    table = _cli("status", "spt-usolye-2024", "--as-of", "2024-10-31", home=tmp_path)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    upload = next(line for line in lines if "Произвести выгрузку" in line)
    assert "выполнен" in upload and "Волкова Л.А." in upload
    overdue = [line for line in lines if "просрочен" in line]
    assert overdue and all(line.rstrip()[-1] != " " for line in overdue)
    wide = _cli("status", "spt-usolye-2024", "--as-of", "2024-10-31", "--wide", home=tmp_path)
    assert wide.returncode == 0 and "Ответственные" in wide.stdout
    excel = _cli("status", "spt-usolye-2024", "--as-of", "2024-10-31", "--format", "csv", home=tmp_path)
    assert excel.stdout.startswith("\ufeff№;Этап;")
    rows = list(csv.DictReader(io.StringIO(excel.stdout.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 28 and next(r for r in rows if r["№"] == "20.")["Статус"] == "выполнен"


def test_a_refused_mark_of_a_batch_is_named_once(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    assert _cli("done", "spt-usolye-2024", "2", "--by", "toropkina", "--at", "04.09.2024", home=tmp_path).returncode == 0
    again = _cli("done", "spt-usolye-2024", "2", "18", "--by", "toropkina", "--at", "05.09.2024", home=tmp_path)
    assert again.returncode == 1
    assert again.stderr.startswith("ошибка: этап 2 уже отмечен выполненным 04.09.2024") and "этап 2: этап 2" not in again.stderr
    future = _cli("done", "spt-usolye-2024", "18", "2", "--by", "toropkina", "--at", "01.01.2030", home=tmp_path)
    assert future.returncode == 1 and "этап 18: дата выполнения 01.01.2030 ещё не наступила" in future.stderr
