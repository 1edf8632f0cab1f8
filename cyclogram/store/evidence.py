"""Evidence files, stored by content (sha256) so that their integrity can be checked later.

Stored files are private to the service's user (0600 in a 0700 folder, whatever the source's
mode): evidence may be a protocol with pupils' names. Only regular files are taken, opened without
following a symbolic link (a link to /etc/shadow must not be copied in), and read through the
descriptor that was checked, so the file cannot be swapped between the check and the copy. The
original name and size are kept in the database (table evidence), not in the file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
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


def store_file(root: Path, source: Path, original_name: str | None = None) -> StoredEvidence:
    """Copy `source` into the store under its sha256; storing the same content twice is a no-op.

    `original_name`: the name to keep when `source` is a temporary copy (a web upload), else its own."""
    src = _open_regular(source)
    with os.fdopen(src, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_EVIDENCE_BYTES:
            raise EvidenceError(
                f"файл подтверждения слишком большой ({size // 1024 // 1024} МБ): положите его в облако и укажите ссылку"
            )
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".incoming-")  # created 0600
        copied = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := handle.read(CHUNK):
                    copied += len(chunk)
                    if copied > MAX_EVIDENCE_BYTES:  # the file grew while being copied
                        raise EvidenceError("файл подтверждения слишком большой: положите его в облако и укажите ссылку")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = evidence_path(root, digest.hexdigest())
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if target.exists():
                os.unlink(tmp_name)
            else:
                os.chmod(tmp_name, 0o600)
                os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    return StoredEvidence(digest.hexdigest(), copied, original_name or source.name, target)


def _open_regular(source: Path) -> int:
    """A descriptor of `source` when it is a regular file, not reached through a symbolic link."""
    try:
        if source.is_symlink():
            raise EvidenceError(f"подтверждение — символическая ссылка, а не файл: {source}; укажите сам файл")
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise EvidenceError(f"файл подтверждения не найден: {source}") from None
    except PermissionError:
        raise EvidenceError(f"нет прав на чтение файла подтверждения: {source}") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise EvidenceError(f"подтверждение — символическая ссылка, а не файл: {source}; укажите сам файл") from None
        raise EvidenceError(f"не удаётся открыть файл подтверждения {source}: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise EvidenceError(f"подтверждение должно быть обычным файлом (не папкой, устройством или каналом): {source}")
    return fd


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
