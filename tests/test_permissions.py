"""Files are private by default: data dir 0700, database, evidence and snapshots 0600; evidence
refuses symbolic links and special files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from helpers import ROADMAPS

SPT = ROADMAPS / "spt-usolye-2024.yaml"


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CYCLOGRAM_HOME=str(home))
    env.pop("CYCLOGRAM_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_database_evidence_and_snapshots_are_private(tmp_path):
    home = tmp_path / "home"
    assert _cli("load", str(SPT), home=home).returncode == 0
    document = tmp_path / "protokol.pdf"
    document.write_bytes(b"%PDF protokol")
    document.chmod(0o644)  # readable by everyone at the source: the stored copy is not
    done = _cli("done", "spt-usolye-2024", "3", "--by", "melnikova", "--at", "2024-09-06", "--evidence", str(document), home=home)
    assert done.returncode == 0, done.stderr
    assert _mode(home) == 0o700
    for path in [home / "cyclogram.db", *home.glob("evidence/*/*"), *home.glob("compiled/*")]:
        assert _mode(path) == 0o600, path
    assert _mode(home / "evidence") == 0o700 and _mode(home / "compiled") == 0o700


def test_evidence_refuses_symlinks_and_special_files(tmp_path):
    home = tmp_path / "home"
    assert _cli("load", str(SPT), home=home).returncode == 0
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$hash")
    link = tmp_path / "protokol.pdf"
    link.symlink_to(secret)
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    for source, words in ((link, "символическая ссылка"), (fifo, "обычным файлом"), (tmp_path, "обычным файлом")):
        result = _cli(
            "done", "spt-usolye-2024", "3", "--by", "melnikova", "--at", "2024-09-06", "--evidence", str(source), home=home
        )
        assert result.returncode == 1 and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not list(home.glob("evidence/*/*"))  # nothing was copied
