"""Tracking against real databases: a SQLite file and the machine's PostgreSQL.

Every test here runs on both back ends (the PostgreSQL ones are skipped, with the reason printed,
only when no server answers on 127.0.0.1:5432).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import HEADER, ROADMAPS
from sqlalchemy import create_engine, text

from cyclogram import recording
from cyclogram.engine.diagnostics import Refusal
from cyclogram.store import StoreError, open_store
from cyclogram.store.audit import HistoryFilter
from cyclogram.store.evidence import check_file as evidence_intact
from cyclogram.store.evidence import evidence_path
from cyclogram.tracker import Tracker, TrackingError

SPT = ROADMAPS / "spt-usolye-2024.yaml"


@pytest.fixture
def tracker(database_url, tmp_path):
    store = open_store(database_url)
    yield Tracker(store, tmp_path / "evidence")
    store.close()


@pytest.fixture
def spt(tracker):
    recording.load(tracker, SPT, "deputy")
    return "spt-usolye-2024"


def test_load_registers_versions_and_reports_changes(tracker, tmp_path):
    first = recording.load(tracker, SPT, "deputy")
    assert (first.created, first.version) == (True, 1)
    again = recording.load(tracker, SPT, "deputy")
    assert again.unchanged and again.version == 1

    recording.done(
        tracker,
        "spt-usolye-2024",
        "26",
        by="melnikova",
        actor="t",
        at="2024-09-20",
        force=True,
        reason="тест",
        evidence="https://x.example/p",
    )
    changed = tmp_path / "spt.yaml"
    text_v2 = SPT.read_text(encoding="utf-8").replace("end: 2024-10-15", "end: 2024-10-14")
    start = text_v2.index("      - id: staff_meeting")
    end = text_v2.index("      - id: correction_plan")
    changed.write_text(text_v2[:start] + text_v2[end:], encoding="utf-8")
    second = recording.load(tracker, changed, "deputy")
    assert second.version == 2 and not second.created
    lines = "\n".join(second.diff.lines())
    assert "срок перенесён" in lines and "14.10.2024" in lines
    assert "staff_meeting" in second.diff.orphaned_completions
    assert "сохранено, но этапа нет в новой версии" in lines
    # the completion is kept, not dropped
    _, completions = tracker.completions("spt-usolye-2024")
    assert [c.stage_id for c in completions] == ["staff_meeting"]
    events = tracker.history(HistoryFilter("spt-usolye-2024"))
    loaded = [e for e in events if e.action == "roadmap.loaded"]
    assert [e.payload_data()["version"] for e in loaded] == [1, 2]
    assert loaded[1].payload_data()["changes"]["orphaned_completions"] == ["staff_meeting"]


def test_a_roadmap_with_errors_is_not_loaded(tracker, write_roadmap):
    bad = write_roadmap(HEADER + "stages:\n  - {id: a, title: A, due: 31.02.2025, responsible: [volkova]}\n")
    with pytest.raises(TrackingError, match="такой даты не существует"):
        recording.load(tracker, bad, "deputy")
    assert tracker.roadmap_ids() == []


def test_done_skip_reopen_and_their_refusals(tracker, spt):
    with pytest.raises(TrackingError, match="нужно подтверждение"):
        recording.done(tracker, spt, "1", by="toropkina", actor="t", at="2024-08-30")
    with pytest.raises(TrackingError, match="нет этапа «1x»"):
        recording.done(tracker, spt, "1x", by="toropkina", actor="t")
    with pytest.raises(TrackingError, match="возможно, имелся в виду «toropkina»"):
        recording.done(tracker, spt, "2", by="toropkin", actor="t")
    with pytest.raises(TrackingError, match="ещё не наступила"):
        recording.done(tracker, spt, "2", by="toropkina", actor="t", at="2099-01-01")

    outcome = recording.done(tracker, spt, "2", by="toropkina", actor="t", at="2024-09-04", note="готово")
    assert outcome.completion.day == dt.date(2024, 9, 4)
    with pytest.raises(TrackingError, match=r"уже отмечен выполненным 04\.09\.2024"):
        recording.done(tracker, spt, "plan", by="toropkina", actor="t")

    with pytest.raises(TrackingError, match="укажите причину"):
        recording.skip(tracker, spt, "15", by="melnikova", actor="t", reason=" ")
    recording.skip(tracker, spt, "15", by="melnikova", actor="t", reason="оплачено по договору")
    recording.reopen(tracker, spt, "15", by="melnikova", actor="t", reason="договор расторгнут")
    with pytest.raises(TrackingError, match="открывать нечего"):
        recording.reopen(tracker, spt, "15", by="melnikova", actor="t", reason="ещё раз")
    actions = [e.action for e in tracker.history(HistoryFilter(spt))]
    assert actions == ["roadmap.loaded", "stage.done", "stage.skipped", "stage.reopened"]


def test_blocked_stage_needs_force_and_reason_and_the_override_is_recorded(tracker, spt):
    with pytest.raises(TrackingError, match="ещё заблокирован: не выполнены этапы 20"):
        recording.done(tracker, spt, "22", by="volkova", actor="t", at="2024-10-20")
    with pytest.raises(TrackingError, match="--force требует объяснения"):
        recording.done(tracker, spt, "22", by="volkova", actor="t", at="2024-10-20", force=True)
    outcome = recording.done(
        tracker, spt, "22", by="volkova", actor="t", at="2024-10-20", force=True, reason="выгрузка сделана на бумаге"
    )
    assert outcome.completion.forced
    (event,) = tracker.history(HistoryFilter(spt, stage_id="analysis"))
    assert event.action == "stage.forced"
    assert event.payload_data()["blocked_by"] == ["upload"]
    assert event.payload_data()["reason"] == "выгрузка сделана на бумаге"


def test_completing_a_dependency_unblocks_and_moves_relative_deadlines(tracker, spt):
    recording.done(
        tracker, spt, "17", by="melnikova", actor="t", at="2024-10-15", force=True, reason="подготовка велась вне системы"
    )
    outcome = recording.done(tracker, spt, "20", by="volkova", actor="t", at="2024-10-31")
    assert {p.id for p in outcome.unblocked} >= {"report_forms", "analysis", "feedback"}
    status = tracker.status(spt, dt.date(2024, 11, 1))
    # 31.10 + 3 working days: 01.11, 02.11 (working Saturday), 05.11 (04.11 is a holiday)
    assert status.stages["report_forms"].due == dt.date(2024, 11, 5)
    assert status.stages["report_forms"].status.value == "due_soon"
    assert status.stages["upload"].status.value == "done_late"  # planned 18.10, done 31.10


def test_evidence_is_stored_by_content(tracker, spt, tmp_path):
    document = tmp_path / "план.txt"
    document.write_text("План воспитательной работы", encoding="utf-8")
    outcome = recording.done(tracker, spt, "1", by="toropkina", actor="t", at="2024-08-30", evidence=str(document))
    digest = hashlib.sha256(document.read_bytes()).hexdigest()
    assert outcome.evidence.sha256 == digest
    stored = evidence_path(tmp_path / "evidence", digest)
    assert stored.read_bytes() == document.read_bytes()
    assert evidence_intact(tmp_path / "evidence", digest)
    _, completions = tracker.completions(spt)
    assert completions[0].evidence == f"sha256:{digest}"
    actions = [e.action for e in tracker.history(HistoryFilter(spt))]
    assert actions == ["roadmap.loaded", "evidence.stored", "stage.done"]
    with pytest.raises(Refusal, match="не найден"):
        recording.done(tracker, spt, "3", by="melnikova", actor="t", evidence=str(tmp_path / "missing.pdf"))
    assert tracker.verify_evidence() == (1, [])
    stored.chmod(0o644)
    stored.write_text("подменённый план", encoding="utf-8")
    checked, problems = tracker.verify_evidence()
    assert checked == 1 and "изменён после сохранения" in problems[0]
    stored.unlink()
    assert "отсутствует" in tracker.verify_evidence()[1][0]


def drop_append_only_guard(connection) -> None:  # type: ignore[no-untyped-def]
    """What an attacker with database admin rights could do before editing the log."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))


def test_audit_chain_verifies_and_catches_tampering(tracker, spt, database_url):
    recording.done(tracker, spt, "2", by="toropkina", actor="t", at="2024-09-04")
    recording.done(tracker, spt, "6", by="volkova", actor="t", at="2024-09-05", force=True, reason="r")
    recording.skip(tracker, spt, "15", by="melnikova", actor="t", reason="не нужен")
    assert tracker.verify().ok and tracker.verify().checked == 4

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    # the database itself refuses edits of the log
    with pytest.raises(Exception, match="append-only"):
        with engine.begin() as connection:
            connection.execute(text("UPDATE audit_event SET actor = 'someone' WHERE seq = 2"))
    # an attacker with admin rights can drop the guard; the chain still tells
    with engine.begin() as connection:
        drop_append_only_guard(connection)
        connection.execute(text("UPDATE audit_event SET payload = replace(payload, '2024-09-04', '2024-09-01') WHERE seq = 2"))
    result = tracker.verify()
    assert not result.ok and result.first_bad_seq == 2 and "изменено" in result.problem
    engine.dispose()


@pytest.mark.parametrize("attack", ["delete_middle", "delete_last", "reorder"])
def test_audit_verify_catches_deletion_and_reordering(tracker, spt, database_url, attack):
    for number, who in (("2", "toropkina"), ("6", "volkova"), ("15", "melnikova")):
        recording.done(tracker, spt, number, by=who, actor="t", at="2024-09-19", force=True, reason="тест")
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        drop_append_only_guard(connection)
        if attack == "delete_middle":
            connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
        elif attack == "delete_last":
            connection.execute(text("DELETE FROM audit_event WHERE seq = 4"))
        else:
            connection.execute(text("UPDATE audit_event SET seq = 100 WHERE seq = 2"))
            connection.execute(text("UPDATE audit_event SET seq = 2 WHERE seq = 3"))
            connection.execute(text("UPDATE audit_event SET seq = 3 WHERE seq = 100"))
    engine.dispose()
    result = tracker.verify()
    assert not result.ok
    expected = {"delete_middle": (2, "отсутствует"), "delete_last": (4, "удалены"), "reorder": (2, "")}[attack]
    assert result.first_bad_seq == expected[0]
    assert expected[1] in result.problem


WORKER = textwrap.dedent(
    """
    import sys, time
    from cyclogram import recording
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker, TrackingError
    url, evidence, start_at, stages = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split(",")
    tracker = Tracker(open_store(url), __import__("pathlib").Path(evidence))
    while time.time() < start_at:
        time.sleep(0.001)
    done = refused = 0
    for stage in stages:
        try:
            recording.done(tracker, "race", stage, by="volkova", actor=f"worker", at="2024-10-01")
            done += 1
        except TrackingError as error:
            assert "уже отмечен" in str(error), error
            refused += 1
    print(done, refused)
    """
)


def test_two_processes_completing_at_once_record_each_completion_once(tracker, database_url, tmp_path, write_roadmap):
    stages = "".join(
        f"  - {{id: s{i}, title: Этап {i}, due: 2024-10-{1 + i % 28:02d}, responsible: [volkova]}}\n" for i in range(30)
    )
    path = write_roadmap(HEADER.replace("test-roadmap", "race") + "stages:\n" + stages, "race.yaml")
    recording.load(tracker, path, "deputy")
    ids = [f"s{i}" for i in range(30)]
    start_at = __import__("time").time() + 3
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, str(tmp_path / "evidence"), str(start_at), ",".join(order)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for order in (ids, list(reversed(ids)))
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(tuple(map(int, out.split())))
    assert sum(done for done, _ in results) == 30
    assert sum(refused for _, refused in results) == 30
    done_events = [e for e in tracker.history(HistoryFilter("race")) if e.action == "stage.done"]
    assert sorted(e.stage_id for e in done_events) == sorted(ids)
    assert tracker.verify().ok


def test_concurrent_first_use_of_a_new_database_migrates_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = "import sys; from cyclogram.store import open_store; open_store(sys.argv[1]).close(); print('ok')"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "ok", err
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0007"
        assert connection.execute(text("SELECT seq FROM audit_head")).scalar() == 0


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)


def test_locked_database_gives_a_clear_message(tmp_path):
    db = tmp_path / "locked.db"
    url = f"sqlite:///{db}"
    assert run_cli("load", str(SPT), "--db", url).returncode == 0
    import sqlite3

    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        result = run_cli(
            "done", "spt-usolye-2024", "2", "--by", "toropkina", "--db", url, env_extra={"CYCLOGRAM_DB_TIMEOUT": "1"}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 3  # the database cannot be used (cyclogram.cli's exit codes)
    assert "занята другим процессом" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # nothing half-written: the completion is simply not there, and it can be recorded now
    retry = run_cli("done", "spt-usolye-2024", "2", "--by", "toropkina", "--db", url)
    assert retry.returncode == 0, retry.stderr


def test_read_only_database_gives_a_clear_message(tmp_path):
    db = tmp_path / "ro.db"
    assert run_cli("load", str(SPT), "--db", f"sqlite:///{db}").returncode == 0
    readonly = f"sqlite:///file:{db}?mode=ro&uri=true"
    result = run_cli("done", "spt-usolye-2024", "2", "--by", "toropkina", "--db", readonly)
    assert result.returncode == 3
    assert "нет прав на запись" in result.stderr and "Traceback" not in result.stderr
    # reading still works
    assert run_cli("history", "--db", readonly).returncode == 0
    if os.geteuid() != 0:  # permissions mean nothing to root
        db.chmod(0o444)
        result = run_cli("done", "spt-usolye-2024", "2", "--by", "toropkina", "--db", f"sqlite:///{db}")
        assert result.returncode == 3 and "нет прав на запись" in result.stderr


def test_missing_directory_and_unreachable_server_give_clear_messages(tmp_path):
    missing = run_cli("status", "x", "--db", f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    assert missing.returncode == 3 and "папка для базы данных не существует" in missing.stderr
    down = run_cli("status", "x", "--db", "postgresql://user:topsecret@127.0.0.1:1/none", env_extra={"CYCLOGRAM_DB_TIMEOUT": "2"})
    assert down.returncode == 3
    assert "не удаётся подключиться к PostgreSQL" in down.stderr
    assert "topsecret" not in down.stderr + down.stdout and "Traceback" not in down.stderr


def test_store_error_type_for_bad_urls():
    with pytest.raises(StoreError, match="поддерживаются SQLite и PostgreSQL"):
        open_store("mysql://root@127.0.0.1/test")


def test_history_and_status_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"CYCLOGRAM_ACTOR": "завуч", "CYCLOGRAM_HOME": str(tmp_path)}
    assert run_cli("load", str(SPT), "--db", url, env_extra=env).returncode == 0
    done = run_cli(
        "done",
        "spt-usolye-2024",
        "20",
        "--by",
        "volkova",
        "--at",
        "2024-10-17",
        "--force",
        "--reason",
        "демо",
        "--db",
        url,
        env_extra=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Теперь можно начинать этап 21" in done.stdout
    status = run_cli("status", "spt-usolye-2024", "--as-of", "2024-10-21", "--format", "json", "--db", url)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    by_id = {s["id"]: s for s in data["stages"]}
    assert by_id["report_forms"]["due"] == "2024-10-22"  # 17.10 (Thu) + 3 working days
    assert by_id["upload"]["status"] == "done"
    table = run_cli("status", "spt-usolye-2024", "--as-of", "2024-10-21", "--person", "volkova", "--db", url)
    assert table.returncode == 0 and "Волкова" in table.stdout
    history = run_cli("history", "spt-usolye-2024", "--format", "csv", "--db", url)
    assert history.returncode == 0
    assert "stage.forced" in history.stdout and "завуч" in history.stdout
    as_json = json.loads(run_cli("history", "--format", "json", "--db", url).stdout)
    assert [e["seq"] for e in as_json] == [1, 2]
    verify = run_cli("audit", "verify", "--db", url)
    assert verify.returncode == 0 and "Цепочка журнала цела" in verify.stdout and "НАРУШЕНИЕ" not in verify.stdout
