"""Bad input never produces a traceback: every malformed roadmap gets one clear, positioned message.

Each file in tests/fixtures/bad/ is a small roadmap broken in one way. Its header says what the
validator must answer:

    # expect: LINE:COL FIELD | SUBSTRING
    # severity: warning          (optional: the expected diagnostics are warnings, not errors)

FIELD is the diagnostic's field path ("stages[plan].due"), or "-" when the diagnostic has no field;
SUBSTRING is a distinctive part of the Russian message. Expectations state what the engine *should*
say; where it does not yet, the fixture is listed in one of the XFAIL tables below with the reason
(strict, so a fix turns the test red until the entry is removed).

Binary, non-UTF-8 and oversized files are not committed as fixtures; they are created in tmp_path.
Devices, named pipes and other cases that could hang or exhaust the machine on a regression are
run in a bounded child process (tests/test_limits.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cyclogram.engine.diagnostics import Diagnostic, Position, Severity
from cyclogram.engine.validation import Checked, check_file

ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "bad"
FIXTURES = sorted(FIXTURES_DIR.glob("*.yaml"))
MIN_FIXTURES = 24

_EXPECT = re.compile(r"^#\s*expect:\s*(\d+):(\d+)\s+(\S+)\s*\|\s*(.+?)\s*$")
_SEVERITY = re.compile(r"^#\s*severity:\s*(error|warning)\s*$")

# Secrets written into fixtures: no message may ever echo them back.
SECRETS = (
    "user:pass",
    "json://user",
    "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
    "123456789:AAH",
)
# Leftovers of English library messages (PyYAML, libyaml, pydantic, Python itself).
ENGLISH_PHRASES = (
    "Traceback",
    "Field required",
    "Input should be",
    "Extra inputs",
    "validation error",
    "Value error",
    "found ",
    "expected ",
    "could not",
    "invalid literal",
    "while ",
    "<unicode string>",
    "' or '",
)
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")  # three English words in a row


@dataclass(frozen=True)
class Expectation:
    line: int
    column: int
    field: str  # "" when the diagnostic has no field
    substring: str
    severity: Severity

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.field or '-'} | {self.substring} ({self.severity.value})"


# A file that is empty cannot carry a header; its expectation lives here.
NO_HEADER: dict[str, list[Expectation]] = {
    "26-empty-file.yaml": [Expectation(1, 1, "", "файл пуст", Severity.ERROR)],
}

# The expected diagnostic is missing, wrong, misplaced or unclear, or the engine crashes.
EXPECTATION_XFAIL: dict[str, str] = {}

# The expected diagnostic is there, but it is not the only one (noise, repeats) or the engine crashes.
SINGLE_MESSAGE_XFAIL: dict[str, str] = {}
# How many messages are right is open; the expectation test still checks the one that matters.
SINGLE_MESSAGE_UNCHECKED: dict[str, str] = {
    "43-far-future-date.yaml": (
        "besides the out-of-year warning, the calendar-coverage warning and the out-of-year warning of the "
        "stage computed from it are legitimate"
    ),
    "61-chain-leaves-date-range.yaml": (
        "a date near 2200 also gets the out-of-year and calendar-coverage warnings; those are legitimate"
    ),
}


def expectations(path: Path) -> list[Expectation]:
    if path.name in NO_HEADER:
        return NO_HEADER[path.name]
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    severity = Severity.ERROR
    for line in header:
        if match := _SEVERITY.match(line):
            severity = Severity(match[1])
    found = []
    for line in header:
        if match := _EXPECT.match(line):
            field = "" if match[3] == "-" else match[3]
            found.append(Expectation(int(match[1]), int(match[2]), field, match[4], severity))
    return found


def run(path: Path, **kwargs: object) -> Checked:
    try:
        return check_file(path, **kwargs)  # type: ignore[arg-type]
    except Exception as error:  # noqa: BLE001 - the point of this suite: bad input must never raise
        pytest.fail(f"check_file raised {type(error).__name__}: {error}", pytrace=False)


def shown(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"  [{d.severity.value}] {d.format()}" for d in diagnostics) or "  (no diagnostics)"


def english_leftovers(message: str) -> list[str]:
    found = [phrase for phrase in ENGLISH_PHRASES if phrase in message]
    found += ENGLISH_RUN.findall(message)
    return found


def assert_clean(diagnostics: list[Diagnostic], require_position: bool = True) -> None:
    """Every message: positioned, non-empty, Russian, no traceback, no secret."""
    for diagnostic in diagnostics:
        if require_position:
            assert diagnostic.position is not None, f"no position:\n{shown([diagnostic])}"
            assert diagnostic.position.line >= 1 and diagnostic.position.column >= 1
        assert diagnostic.message.strip(), "empty message"
        leftovers = english_leftovers(diagnostic.message)
        assert not leftovers, f"English/library text {leftovers} in:\n{shown([diagnostic])}"
        text = diagnostic.format()
        for secret in SECRETS:
            assert secret not in text, f"secret {secret!r} echoed in:\n{shown([diagnostic])}"


def _params(xfails: dict[str, str], unchecked: dict[str, str] | None = None) -> list[object]:
    params = []
    for path in FIXTURES:
        marks = []
        if path.name in xfails:
            marks.append(pytest.mark.xfail(reason=xfails[path.name], strict=True))
        if unchecked and path.name in unchecked:
            marks.append(pytest.mark.skip(reason=unchecked[path.name]))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def test_corpus_is_complete() -> None:
    assert len(FIXTURES) >= MIN_FIXTURES
    numbers = [path.name.split("-", 1)[0] for path in FIXTURES]
    assert len(numbers) == len(set(numbers)), "fixture numbers must be unique"
    for path in FIXTURES:
        assert re.fullmatch(r"\d{2}-[a-z0-9-]+\.yaml", path.name), path.name
        assert expectations(path), f"{path.name}: no '# expect:' header"
    for table in (EXPECTATION_XFAIL, SINGLE_MESSAGE_XFAIL, SINGLE_MESSAGE_UNCHECKED, NO_HEADER):
        missing = set(table) - {path.name for path in FIXTURES}
        assert not missing, f"tables name fixtures that do not exist: {missing}"


@pytest.mark.parametrize("path", _params(EXPECTATION_XFAIL))
def test_bad_fixture_gets_expected_message(path: Path) -> None:
    expected = expectations(path)
    assert expected
    checked = run(path)
    diagnostics = checked.report.diagnostics
    for expectation in expected:
        matches = [
            d
            for d in diagnostics
            if d.position == Position(expectation.line, expectation.column)
            and d.field == expectation.field
            and d.severity is expectation.severity
            and expectation.substring in d.message
        ]
        assert matches, f"expected {expectation}\ngot:\n{shown(checked.report.sorted())}"
    if any(e.severity is Severity.ERROR for e in expected):
        assert not checked.report.ok, "the report must have errors"
    assert_clean(diagnostics)


@pytest.mark.parametrize("path", _params(SINGLE_MESSAGE_XFAIL, SINGLE_MESSAGE_UNCHECKED))
def test_bad_fixture_gets_one_message_per_problem(path: Path) -> None:
    expected = expectations(path)
    checked = run(path)
    diagnostics = checked.report.sorted()
    assert len(diagnostics) == len(expected), (
        f"expected {len(expected)} message(s), got {len(diagnostics)}:\n{shown(diagnostics)}"
    )
    keys = [(d.position, d.field, d.message) for d in diagnostics]
    assert len(keys) == len(set(keys)), f"repeated messages:\n{shown(diagnostics)}"


# --- files that must be refused before parsing ---------------------------------------------------

VALID_ROADMAP = """\
id: spt-2024
title: План
academic_year: 2024-2025
people:
  toropkina: {name: Торопкина А.А., contacts: {email: toropkina@school.ru}}
stages:
  - {id: plan, title: Разработать план, due: 06.09.2024, responsible: [toropkina]}
"""


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64 + VALID_ROADMAP.encode("utf-8"))
    checked = run(path)
    assert not checked.report.ok
    assert checked.roadmap is None and checked.plan is None
    [diagnostic] = checked.report.diagnostics
    assert "двоичный" in diagnostic.message
    assert_clean([diagnostic], require_position=False)


def test_cp1251_file_is_refused_with_position(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_bytes(VALID_ROADMAP.encode("cp1251"))
    checked = run(path)
    assert not checked.report.ok
    [diagnostic] = checked.report.diagnostics
    assert "UTF-8" in diagnostic.message
    assert "Windows-1251" in diagnostic.message
    # The first byte that is not UTF-8: «П» of "title: План" on line 2.
    assert diagnostic.position == Position(2, 8)
    assert_clean([diagnostic])


def test_oversized_file_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    import cyclogram.engine.loader
    import cyclogram.engine.yamlsource

    path = tmp_path / "roadmap.yaml"
    padding = "# " + "x" * 60 + "\n"
    text = VALID_ROADMAP
    while len(text.encode("utf-8")) + len(padding) <= 2000:
        text += padding
    text += "#" * (2000 - len(text.encode("utf-8")) - 1) + "\n"
    path.write_text(text, encoding="utf-8")
    assert path.stat().st_size == 2000

    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("the YAML parser must not be reached for an oversized file")

    with monkeypatch.context() as patch:
        patch.setattr(cyclogram.engine.loader, "load_text", never)
        patch.setattr(cyclogram.engine.loader, "parse_document", never)
        patch.setattr(cyclogram.engine.yamlsource, "parse_document", never)
        patch.setattr(yaml, "compose", never)
        checked = run(path, max_bytes=1000)
    assert not checked.report.ok
    [diagnostic] = checked.report.diagnostics
    assert "слишком большой" in diagnostic.message
    assert_clean([diagnostic], require_position=False)
    # The same file is a valid roadmap under the normal limit: only its size was refused.
    assert check_file(path).report.ok


def test_directory_is_refused(tmp_path: Path) -> None:
    checked = run(tmp_path)
    [diagnostic] = checked.report.diagnostics
    assert "это не обычный файл (устройство, канал или папка): это папка" in diagnostic.message
    assert_clean([diagnostic], require_position=False)


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_file_longer_than_its_reported_size_is_cut_at_the_limit() -> None:
    # /proc files report size 0 whatever they hold: the size check passes, the read must not.
    assert Path("/proc/self/status").stat().st_size == 0
    checked = run(Path("/proc/self/status"), max_bytes=100)
    [diagnostic] = checked.report.diagnostics
    assert "слишком большой (больше, чем 100 байт)" in diagnostic.message
    assert_clean([diagnostic], require_position=False)


def test_unreadable_file_is_refused_in_russian(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "roadmap.yaml"
    [diagnostic] = run(path).report.diagnostics
    assert diagnostic.message == "файл не найден"


# --- the command line ------------------------------------------------------------------------------


def test_cli_validate_reports_without_traceback() -> None:
    fixture = FIXTURES_DIR / "05-unknown-key-suggestion.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "cyclogram", "validate", str(fixture)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert "titel" in output
