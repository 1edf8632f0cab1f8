"""`audit verify` proves the state, not only the log: direct database edits of every table that
status depends on are named; an audit key catches a re-hashed log; a checkpoint catches truncation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROADMAPS
from sqlalchemy import create_engine, text
from test_store import drop_append_only_guard

from cyclogram import recording
from cyclogram.engine.auditchain import Checkpoint, seal
from cyclogram.feeds import Feeds
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

SPT = ROADMAPS / "spt-usolye-2024.yaml"
KEY = b"a key kept outside the database"


@pytest.fixture
def tracker(database_url, tmp_path):
    store = open_store(database_url)
    store.audit_key = lambda: KEY
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    recording.done(tracker, "spt-usolye-2024", "2", by="toropkina", actor="t", at="2024-09-04", note="план")
    recording.skip(tracker, "spt-usolye-2024", "15", by="melnikova", actor="t", reason="не нужен")
    Feeds(tracker).create("spt-usolye-2024", "t", person="volkova")
    assert tracker.verify(KEY).ok and tracker.verify_state() == []
    yield tracker
    store.close()


def _sql(database_url: str, *statements: str) -> None:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def test_a_completion_inserted_directly_is_named(tracker, database_url):
    _sql(
        database_url,
        'INSERT INTO stage_state (roadmap_id, stage_id, occurrence, state, at, "by", forced, audit_seq) '
        "VALUES ('spt-usolye-2024', 'local_act', '', 'done', '2024-09-03T12:00:00+08:00', 'melnikova', false, 2)",
    )
    status = tracker.status("spt-usolye-2024")
    assert status.stages["local_act"].completion is not None  # what the attacker wanted
    assert tracker.verify(KEY).ok  # the chain itself is intact…
    (problem,) = tracker.verify_state()  # …but the state is not
    assert "этап local_act карты spt-usolye-2024" in problem and "нет такого события" in problem


def test_a_deleted_or_edited_completion_is_named(tracker, database_url):
    _sql(database_url, "UPDATE stage_state SET note = 'другое' WHERE stage_id = 'plan'")
    (edited,) = tracker.verify_state()
    assert "не совпадает с событием № 2" in edited and "note" in edited
    _sql(database_url, "DELETE FROM stage_state WHERE stage_id = 'plan'")
    (deleted,) = tracker.verify_state()
    assert "событие № 2 (выполнен) есть в журнале, а строки состояния нет" in deleted


def test_an_edited_roadmap_version_is_named(tracker, database_url):
    _sql(database_url, "UPDATE roadmap_version SET yaml_text = replace(yaml_text, '2024-10-15', '2024-10-16')")
    (problem,) = tracker.verify_state()
    assert "версия 1 дорожной карты spt-usolye-2024" in problem and "изменён после загрузки" in problem


def test_a_feed_token_inserted_or_revived_directly_is_named(tracker, database_url):
    _sql(
        database_url,
        "INSERT INTO feed (token, roadmap_id, scope, todo, created_at, created_by) "
        "VALUES ('ZZZZZZZZZZZZZZZZZZZZZZZZ', 'spt-usolye-2024', 'roadmap', false, '2024-01-01', 'x')",
    )
    (problem,) = tracker.verify_state()
    assert "ссылка на календарь ZZZZZZ…" in problem and "выдачи нет в журнале" in problem


def test_a_log_rehashed_after_an_edit_is_caught_with_the_key(tracker, database_url):
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        drop_append_only_guard(connection)
        rows = connection.execute(
            text("SELECT seq, at, actor, action, roadmap_id, stage_id, payload FROM audit_event ORDER BY seq")
        ).all()
        previous = "0" * 64
        for seq, at, actor, action, roadmap_id, stage_id, payload in rows:
            import json

            data = json.loads(payload)
            if seq == 2:
                data["at"] = data["at"].replace("2024-09-04", "2024-09-01")  # the edit…
            forged = seal(seq, at, actor, action, roadmap_id, stage_id, data, previous)  # …re-hashed without the key
            connection.execute(
                text("UPDATE audit_event SET payload = :p, prev_hash = :prev, hash = :h WHERE seq = :s"),
                {"p": forged.payload, "prev": forged.prev_hash, "h": forged.hash, "s": seq},
            )
            previous = forged.hash
        connection.execute(text("UPDATE audit_head SET hash = :h"), {"h": previous})
    engine.dispose()
    assert tracker.verify().ok  # without the key the forgery is consistent
    result = tracker.verify(KEY)
    assert not result.ok and "не подписано ключом аудита" in str(result.problem)


def test_truncation_is_caught_by_a_published_checkpoint(tracker, database_url):
    result = tracker.verify(KEY)
    checkpoint = Checkpoint(result.checked, result.head_hash)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        drop_append_only_guard(connection)
        previous = connection.execute(text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": checkpoint.seq - 1}).scalar()
        connection.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": checkpoint.seq})
        connection.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": checkpoint.seq - 1, "h": previous})
    engine.dispose()
    assert tracker.verify(KEY).ok  # the shortened chain is consistent
    assert "журнал укорочен" in str(tracker.verify_checkpoint(checkpoint))


def _cli(*args: str, home: Path, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CYCLOGRAM_HOME=str(home))
    env.pop("CYCLOGRAM_SECRET_AUDIT_KEY", None)
    if key:
        env["CYCLOGRAM_SECRET_AUDIT_KEY"] = key
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)


def test_checkpoint_and_verify_from_the_command_line(tmp_path):
    key = "школьный-ключ-аудита"
    assert _cli("load", str(SPT), home=tmp_path, key=key).returncode == 0
    assert _cli("done", "spt-usolye-2024", "2", "--by", "toropkina", "--at", "2024-09-04", home=tmp_path, key=key).returncode == 0
    point = _cli("audit", "checkpoint", "-o", str(tmp_path / "point.txt"), home=tmp_path, key=key)
    assert point.returncode == 0, point.stderr
    assert Checkpoint.parse(point.stdout) is not None and (tmp_path / "point.txt").read_text().strip() == point.stdout.strip()
    ok = _cli("audit", "verify", "--checkpoint", str(tmp_path / "point.txt"), home=tmp_path, key=key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "все подписаны ключом аудита" in ok.stdout and "совпадает: журнал до неё не изменён" in ok.stdout
    db = tmp_path / "cyclogram.db"
    _sql(f"sqlite:///{db}", "DELETE FROM stage_state")
    broken = _cli("audit", "verify", home=tmp_path, key=key)
    assert broken.returncode == 1 and "НАРУШЕНИЕ: этап plan карты spt-usolye-2024" in broken.stdout
    nokey = _cli("audit", "verify", home=tmp_path)
    assert "Ключ аудита не задан" in nokey.stdout
    bad = _cli("audit", "verify", "--checkpoint", "12:abc", home=tmp_path)
    assert bad.returncode == 1 and "НОМЕР:ХЭШ" in bad.stderr and "Traceback" not in bad.stderr
