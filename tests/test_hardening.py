"""Honest exits and Russian messages when the machine misbehaves: undelivered messages make
`remind`/`dispatch` exit 5, a full disk and a read-only disk are said in Russian, and the commands
that only read keep working on a read-only disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROADMAPS
from test_outbox import free_port

SPT = ROADMAPS / "spt-usolye-2024.yaml"


def _cli(*args: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CYCLOGRAM_HOME=str(home), **extra)
    env.pop("CYCLOGRAM_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)


def test_remind_and_dispatch_exit_5_when_messages_wait_for_a_retry(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    nobody = f"mailto://127.0.0.1:{free_port()}?from=school@example.org&mode=insecure"  # no server listens there
    remind = _cli("remind", "spt-usolye-2024", "--as-of", "2024-10-14", home=tmp_path, CYCLOGRAM_SECRET_SMTP=nobody)
    assert remind.returncode == 5, remind.stdout + remind.stderr
    assert "не доставлено сообщений" in remind.stderr and "Traceback" not in remind.stderr
    again = _cli("dispatch", "--retry-failed", home=tmp_path, CYCLOGRAM_SECRET_SMTP=nobody)
    assert again.returncode in (0, 5)  # the back-off may not have passed yet: nothing tried is no failure
    nothing = _cli("remind", "spt-usolye-2024", "--as-of", "2024-11-04", home=tmp_path, CYCLOGRAM_SECRET_SMTP=nobody)
    assert nothing.returncode == 0 and "нерабочий день" in nothing.stdout


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[list[Path]]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small or read-only file system (CI runs as root)")
    mounted: list[Path] = []
    yield mounted
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def test_read_only_disk_reads_work_and_writes_are_refused_in_russian(tmp_path, mounts):
    data = tmp_path / "data"
    assert _cli("load", str(SPT), home=data).returncode == 0
    assert _cli("done", "spt-usolye-2024", "2", "--by", "toropkina", "--at", "2024-09-04", home=data).returncode == 0
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    try:
        _mount("--bind", str(data), str(frozen))
        mounts.append(frozen)
        _mount("-o", "remount,bind,ro", str(frozen))
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot mount here: {error.stderr.decode(errors='replace').strip()}")
    status = _cli("status", "spt-usolye-2024", "--as-of", "2024-09-10", "--format", "json", home=frozen)
    assert status.returncode == 0, status.stderr
    assert '"status": "done"' in status.stdout
    verify = _cli("audit", "verify", home=frozen)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    done = _cli("done", "spt-usolye-2024", "15", "--by", "melnikova", "--at", "2024-09-05", home=frozen)
    assert done.returncode == 3 and "нет прав на запись" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + status.stderr + verify.stderr


def test_a_full_disk_is_said_in_russian_and_loses_nothing(tmp_path, mounts):
    small = tmp_path / "small"
    small.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(small))
    except subprocess.CalledProcessError as error:
        pytest.skip(f"cannot mount here: {error.stderr.decode(errors='replace').strip()}")
    mounts.append(small)
    assert _cli("load", str(SPT), home=small).returncode == 0
    filler = small / "filler"
    with filler.open("wb") as out:  # fill the disk to the last byte
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    evidence = tmp_path / "protokol.pdf"
    evidence.write_bytes(os.urandom(200_000))
    result = _cli(
        "done", "spt-usolye-2024", "3", "--by", "melnikova", "--at", "2024-09-03", "--evidence", str(evidence), home=small
    )
    assert result.returncode in (1, 3), result.stdout + result.stderr
    assert "нет места на диске" in result.stderr, result.stderr
    assert "No space" not in result.stderr and "disk I/O error" not in result.stderr and "Traceback" not in result.stderr
    filler.unlink()
    status = _cli("status", "spt-usolye-2024", "--as-of", "2024-09-10", "--format", "json", home=small)
    assert status.returncode == 0 and '"done_at": null' in status.stdout  # nothing half-written
    assert _cli("audit", "verify", home=small).returncode == 0


def test_a_password_in_a_note_is_refused_and_never_stored(tmp_path):
    assert _cli("load", str(SPT), home=tmp_path).returncode == 0
    result = _cli(
        "done",
        "spt-usolye-2024",
        "2",
        "--by",
        "toropkina",
        "--at",
        "2024-09-04",
        "--note",
        "вход: https://zavuch:Parol2024@mail.school.example",
        home=tmp_path,
    )
    assert result.returncode == 1 and "похоже на пароль" in result.stderr
    assert "Parol2024" not in result.stderr + result.stdout
    assert b"Parol2024" not in (tmp_path / "cyclogram.db").read_bytes()
