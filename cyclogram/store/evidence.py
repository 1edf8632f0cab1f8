"""Evidence files, stored by content (sha256) so that their integrity can be checked later."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cyclogram.engine.diagnostics import Refusal

CHUNK = 1024 * 1024
MAX_EVIDENCE_BYTES = 200 * 1024 * 1024


class EvidenceError(Refusal):
    """An evidence file that cannot be stored (missing, too large, unreadable)."""


@dataclass(frozen=True)
class StoredEvidence:
    sha256: str
    size: int
    original_name: str
    path: Path

    @property
    def ref(self) -> str:
        return f"sha256:{self.sha256}"


def evidence_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store_file(root: Path, source: Path) -> StoredEvidence:
    """Copy `source` into the store under its sha256; storing the same content twice is a no-op."""
    if not source.is_file():
        raise EvidenceError(f"файл подтверждения не найден: {source}")
    size = source.stat().st_size
    if size > MAX_EVIDENCE_BYTES:
        raise EvidenceError(
            f"файл подтверждения слишком большой ({size // 1024 // 1024} МБ): положите его в облако и укажите ссылку"
        )
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        target = evidence_path(root, digest.hexdigest())
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
            os.chmod(target, 0o444)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return StoredEvidence(digest.hexdigest(), size, source.name, target)


def check_file(root: Path, sha256: str) -> bool:
    """True when the stored file still has the content it was stored with."""
    path = evidence_path(root, sha256)
    if not path.is_file():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def copy_out(root: Path, sha256: str, destination: Path) -> None:
    shutil.copyfile(evidence_path(root, sha256), destination)
