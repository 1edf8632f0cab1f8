"""Compiled roadmaps: each stored version validated and planned once, then kept.

Every command on a loaded roadmap needs the same things: the validated model (`Roadmap`) and its
plan without completions (with the working-day calendar). Computing them means parsing the YAML,
validating it and planning every stage — for 10,000 stages ~1.5 s, which `status` used to pay on
every call, twice. A version never changes once stored, so the result is kept:

* in memory, per `CompiledRoadmaps` (one per process: a web server or a worker compiles once);
* on disk, one file per version in `<data dir>/compiled/` (`settings.compiled_dir()`): a header line
  `CYCLOGRAM-COMPILED <format> <key> <payload sha256>`, then the payload (a pickle of the roadmap
  and its plan).

The key is the sha256 of the version's YAML text and this engine's fingerprint (a hash of the
engine's source files, the Python and the pydantic versions). A snapshot is used only when the
header is whole, the key matches and the payload hashes to the recorded sha256; otherwise — stale,
truncated, damaged, written by another engine — it is rebuilt from the YAML kept in the database
and written again. Nothing about a snapshot is trusted blindly.

Roadmap files are treated alike (`CheckedFiles`): `validate`, `show` and `plan` of a file whose text
has not changed read its checked result back from the cache directory instead of checking again.

Pickle runs code when loaded, so snapshots live where the database's own owner keeps private files
(directory 0700, files 0600); the checksum catches damage, not someone who can already write the
data directory (they could as well replace the database it caches).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.gcpause import gc_paused, keep_out_of_collection
from cyclogram.engine.model import Roadmap
from cyclogram.engine.plan import Plan
from cyclogram.engine.workcalendar import CountryDays

if TYPE_CHECKING:
    from cyclogram.engine.validation import Checked  # imported when a text is compiled, not to read one

FORMAT = 1
MAGIC = b"CYCLOGRAM-COMPILED"


@dataclass(frozen=True)
class Compiled:
    """A roadmap version as every command needs it: the model and its plan without completions."""

    roadmap: Roadmap
    plan: Plan


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """Changes whenever the engine's code (or what pickles it) changes: old snapshots then rebuild."""
    import pydantic

    import cyclogram.engine as engine

    digest = hashlib.sha256(f"{FORMAT} {sys.version} {pydantic.VERSION}".encode())
    for path in sorted(Path(engine.__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def snapshot_key(content_hash: str) -> str:
    return f"{content_hash}.{engine_fingerprint()[:32]}"


def compile_checked(text: str, name: str, country: CountryDays | None = None) -> Checked:
    """Validate and plan a YAML text (what `load` does before it stores a version).

    The loader (YAML, validators) is imported here, not at the top: reading a compiled version
    never needs it."""
    from cyclogram.engine.loader import load_text
    from cyclogram.engine.validation import check_loaded

    with gc_paused():
        return check_loaded(load_text(text, name), country=country)


class CompiledRoadmaps:
    """Compiled versions by (roadmap id, YAML sha256): memory, then disk, then the YAML itself."""

    def __init__(self, directory: Path | None, country: Callable[[], CountryDays] | None = None) -> None:
        self.directory = directory
        self._country = country
        self._memory: dict[tuple[str, str], Compiled] = {}

    def country(self) -> CountryDays | None:
        return self._country() if self._country else None

    def get(self, roadmap_id: str, version: int, content_hash: str, text: Callable[[], str | None]) -> Compiled:
        """The compiled version; `text` fetches its YAML when no valid snapshot exists."""
        key = (roadmap_id, content_hash)
        found = self._memory.get(key)
        if found is None:
            found = self._read(roadmap_id, content_hash)
            if found is None:
                found = self._rebuild(roadmap_id, version, content_hash, text())
            self._memory[key] = found
            keep_out_of_collection()
        return found

    def keep(self, roadmap_id: str, content_hash: str, checked: Checked) -> Compiled:
        """Keep what `load` has just checked and planned (no second compilation)."""
        assert checked.roadmap is not None and checked.plan is not None
        compiled = Compiled(checked.roadmap, checked.plan)
        self._memory[(roadmap_id, content_hash)] = compiled
        self._write(roadmap_id, content_hash, compiled)
        return compiled

    # --- building ---------------------------------------------------------------------------------

    def _rebuild(self, roadmap_id: str, version: int, content_hash: str, text: str | None) -> Compiled:
        if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != content_hash:
            raise Refusal(
                f"текст версии {version} дорожной карты «{roadmap_id}» в базе данных не совпадает с записанной "
                "контрольной суммой: версия изменена в обход программы (проверьте: cyclogram audit verify)"
            )
        checked = compile_checked(text, f"{roadmap_id} (версия {version})", self.country())
        if checked.roadmap is None or checked.plan is None:  # it validated when loaded; a newer engine may be stricter
            lines = "; ".join(d.message for d in checked.report.errors[:3])
            raise Refusal(f"сохранённая версия {version} дорожной карты «{roadmap_id}» больше не проходит проверку: {lines}")
        compiled = Compiled(checked.roadmap, checked.plan)
        self._write(roadmap_id, content_hash, compiled)
        return compiled

    # --- snapshots on disk ---------------------------------------------------------------------

    def _path(self, roadmap_id: str, content_hash: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{roadmap_id}.{content_hash[:24]}.snapshot"

    def _read(self, roadmap_id: str, content_hash: str) -> Compiled | None:
        path = self._path(roadmap_id, content_hash)
        value = read_snapshot(path, snapshot_key(content_hash)) if path else None
        if not isinstance(value, tuple) or len(value) != 2:
            return None
        roadmap, plan = value
        if not isinstance(roadmap, Roadmap) or not isinstance(plan, Plan):
            return None
        return Compiled(roadmap, plan)

    def _write(self, roadmap_id: str, content_hash: str, compiled: Compiled) -> None:
        path = self._path(roadmap_id, content_hash)
        if path is not None and write_snapshot(path, snapshot_key(content_hash), (compiled.roadmap, compiled.plan)):
            for other in path.parent.glob(f"{roadmap_id}.*.snapshot"):
                if other != path:
                    other.unlink(missing_ok=True)  # older versions: rebuilt if ever needed again


class CheckedFiles:
    """`validate`, `show` and `plan` of a roadmap file: the same check, kept per file.

    A file is checked again only when its text (or the engine) changed: the result — diagnostics,
    model and plan — is kept in the cache directory, one snapshot per file path, keyed by the sha256
    of the path and the text and by the engine's fingerprint, and read back through the same checks
    as compiled versions. Checking an unchanged 10,000-stage file then costs reading a snapshot.
    """

    def __init__(self, directory: Path | None, country: Callable[[], CountryDays] | None = None) -> None:
        self.directory = directory
        self._country = country

    def check(self, path: Path) -> Checked:
        from cyclogram.engine.validation import Checked, check_file
        from cyclogram.engine.yamlsource import MAX_FILE_BYTES, SourceError, read_text

        try:
            text = read_text(path, MAX_FILE_BYTES)
        except SourceError:
            return check_file(path)  # unreadable, too large, not UTF-8: the loader says it with its place
        digest = hashlib.sha256(f"{path}\0{text}".encode()).hexdigest()
        snapshot = (
            self.directory / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]}.checked"
            if self.directory
            else None
        )
        if snapshot is not None:
            cached = read_snapshot(snapshot, snapshot_key(digest))
            if isinstance(cached, Checked):
                keep_out_of_collection()
                return cached
        checked = compile_checked(text, str(path), self._country() if self._country else None)
        if snapshot is not None:
            write_snapshot(snapshot, snapshot_key(digest), checked)
        return checked


def read_snapshot(path: Path, key: str) -> object | None:
    """The value kept in `path` under `key`, or None when it is missing, stale or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header, _, payload = data.partition(b"\n")
    parts = header.split(b" ")
    if len(parts) != 4 or parts[0] != MAGIC or parts[1] != str(FORMAT).encode():
        return None
    if parts[2].decode("ascii", "replace") != key:
        return None  # another text or another engine: stale
    if hashlib.sha256(payload).hexdigest().encode() != parts[3]:
        return None  # truncated or damaged
    try:
        with gc_paused():
            value: object = pickle.loads(payload)  # our own private file, checksummed: see the module docstring
    except Exception:  # noqa: BLE001 - any unpickling failure means "rebuild it"
        return None
    return value


def write_snapshot(path: Path, key: str, value: object) -> bool:
    """Keep `value` in `path` (directory 0700, file 0600, written whole or not at all)."""
    from cyclogram.workdays import write_atomically

    with gc_paused():
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    header = b" ".join([MAGIC, str(FORMAT).encode(), key.encode(), hashlib.sha256(payload).hexdigest().encode()])
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, header + b"\n" + payload, mode=0o600)
    except OSError:
        return False  # a read-only directory only costs the compilation next time
    return True
