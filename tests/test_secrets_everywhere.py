"""Credentials are refused in every string of a roadmap and never printed back.

The detector (engine.credentials) on its own: what it finds, what it lets pass, how it masks. Then
the whole way: a password-bearing link or a bot token planted in every kind of field of the real
СПТ roadmap is refused at its place by `validate` (in process and as a real process, text and JSON),
without the secret in any output; a valid roadmap's plan and iCal feed carry no credential; an
evidence link is stored without its credentials.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import ROADMAPS

from cyclogram import recording
from cyclogram.engine.credentials import describe, find_credentials, mask, scan, strip_credentials
from cyclogram.engine.status import compute_status
from cyclogram.engine.validation import check_file, check_text
from cyclogram.notifiers.ical import build_specs, render_calendar
from cyclogram.notifiers.secrets import SecretError, Secrets
from cyclogram.render import plan_json
from cyclogram.store import open_store
from cyclogram.store.audit import HistoryFilter
from cyclogram.tracker import Tracker

SPT = ROADMAPS / "spt-usolye-2024.yaml"
PASSWORD = "S3cr3tPass"
URL_SECRET = f"https://admin:{PASSWORD}@mail.example.ru"
TOKEN_TAIL = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TOKEN = f"123456789:{TOKEN_TAIL}"
SECRETS = {"url": URL_SECRET, "token": TOKEN}
LEAKS = (PASSWORD, TOKEN_TAIL)
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


def leaked(text: str) -> list[str]:
    return [leak for leak in LEAKS if leak in text]


# --- the detector --------------------------------------------------------------------------------

FOUND = {
    "mailtos://u:p4ss@smtp.example.ru?from=school@example.ru": "mailtos://u***:***@smtp.example.ru?from=school@example.ru",
    "json://user:pass@host": "json://u***:***@host",
    "redis://:s3cret@cache:6379/0": "redis://:***@cache:6379/0",
    f"Отчёт: {URL_SECRET}, до 10:00": "Отчёт: https://a***:***@mail.example.ru, до 10:00",
    f"Бот {TOKEN}": "Бот 123456789:AA…***",
    f"tgram://{TOKEN}/12345": "tgram://123456789:AA…***/12345",
    f"https://api.telegram.org/bot{TOKEN}/getMe": "https://api.telegram.org/bot123456789:AA…***/getMe",
    "https://disk.example/d/abc?id=3&password=qwerty&x=1": "https://disk.example/d/abc?id=3&password=***&x=1",
    "вход: login=ivanova pwd=hunter22": "вход: login=ivanova pwd=***",
    "https://files.example/a?access_token=abcdef123": "https://files.example/a?access_token=***",
    "password: Qwerty123": "password: ***",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----": "-----BEGIN RSA PRIVATE KEY-----…***",
    "ключ -----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXk": "ключ -----BEGIN OPENSSH PRIVATE KEY-----…***",
    "ghp_" + "a1B2" * 9: "ghp_…***",
    "xoxb-12345-67890-abcdefghij": "xoxb-…***",
    "AKIAIOSFODNN7EXAMPLE": "AKIA…***",
    "AIza" + "B" * 35: "AIza…***",
    "y0_" + "A" * 55: "y0_…***",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U": "eyJ…***",
}

CLEAN = [
    "Совещание 10.09.2024 в 10:00",
    "Приказ № 85 от 16.09.2019, п. 2.1.3",
    "№ 12:34",
    "с 01.10.24 по 15.10.24 (пп. 14, 15, 17)",
    "https://school.example/doc",
    "https://user@school.example/doc",
    "https://docs.example/spreadsheets/d/1AbC/edit?usp=sharing#gid=0",
    "toropkina@school12.example",
    "secret:smtp",
    "secret:telegram_bot_token",
    "Пароль: выдаёт администратор",
    "password: см. у завхоза",
    "проходной балл: pass = 70%",
    "телефон 8 (39543) 6-12-34, доб. 123456",
    "12345678901234567890",
    "ИНН 3851001234, КПП 385101001",
    "task-risk-assessment-" + "x" * 40,
    "09:00",
    "2024-10-01T10:00:00+08:00",
]


@pytest.mark.parametrize(("text", "masked"), list(FOUND.items()), ids=range(len(FOUND)))
def test_the_detector_finds_and_masks(text: str, masked: str) -> None:
    assert scan(text)
    assert mask(text) == masked
    described = describe(text)
    assert described is not None and CYRILLIC.search(described)
    if "PRIVATE KEY" not in text:  # a key's header is rebuilt; elsewhere only the masked parts change
        for kept in re.split(r"\*\*\*|…", masked):
            assert kept in text


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_school_text_is_not_a_credential(text: str) -> None:
    assert scan(text) == []
    assert mask(text) == text
    assert describe(text) is None


def test_a_bot_token_is_masked_as_promised() -> None:
    assert mask("123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1") == "123456:AA…***"
    assert mask("mailtos://school:secretpw@smtp.example.ru") == "mailtos://s***:***@smtp.example.ru"


def test_find_credentials_walks_data_and_keys() -> None:
    data = {
        "title": "План",
        "people": {"a": {"name": f"Иванова {TOKEN}"}},
        "stages": [{"notes": "ok"}, {"notes": URL_SECRET}],
        "https://u:p@h": 1,
    }
    found = find_credentials(data)
    assert [path for path, _ in found] == [("people", "a", "name"), ("stages", 1, "notes"), ("https://u:p@h",)]
    assert not any(leaked(text) for _, text in found)


@pytest.mark.parametrize(
    ("url", "stripped"),
    [
        ("https://user:pass@host.example/file.pdf", "https://host.example/file.pdf"),
        ("https://user@host.example/file.pdf", "https://host.example/file.pdf"),
        ("https://host.example/f?id=7&token=abc&x=1", "https://host.example/f?id=7&x=1"),
        ("https://u:p@host.example:8443/f?Password=9#p2", "https://host.example:8443/f#p2"),
        (f"https://api.telegram.org/file/bot{TOKEN}/doc.pdf", "https://api.telegram.org/file/bot123456789:AA…***/doc.pdf"),
        ("ftp://u:p@[::1]:21/x", "ftp://[::1]:21/x"),
    ],
)
def test_strip_credentials(url: str, stripped: str) -> None:
    assert strip_credentials(url) == stripped


@pytest.mark.parametrize(
    "url", ["https://disk.example/d/abc", "https://host?", " https://host/a ", "/tmp/план.pdf", "C:\\docs\\plan.pdf"]
)
def test_strip_credentials_leaves_clean_links_and_paths_as_they_are(url: str) -> None:
    assert strip_credentials(url) == url


# --- planted in every field of the real roadmap --------------------------------------------------


def _kind(path: tuple[Any, ...]) -> tuple[Any, ...]:
    """A field kind: people.*.name, sections.*.stages.*.due (list indexes and map keys generalized)."""
    generalized = ["*" if isinstance(part, int) else part for part in path]
    if len(generalized) > 1 and generalized[0] in ("people", "roles", "events"):
        generalized[1] = "*"
    return tuple(generalized)


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [found for key, value in node.items() for found in _leaf_paths(value, (*path, key))]
    if isinstance(node, list):
        return [found for index, value in enumerate(node) for found in _leaf_paths(value, (*path, index))]
    return [path]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _rename(data: Any, path: tuple[Any, ...], new_key: str) -> None:
    for part in path[:-1]:
        data = data[part]
    items = list(data.items())
    data.clear()
    data.update({(new_key if key == path[-1] else key): value for key, value in items})


def _variants() -> list[tuple[str, str, str]]:
    """(name, planted secret, YAML text): one per field kind of the СПТ roadmap and per secret."""
    data = yaml.safe_load(SPT.read_text(encoding="utf-8"))
    kinds: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for path in _leaf_paths(data):
        kinds.setdefault(_kind(path), path)
    variants = []
    for kind, path in kinds.items():
        for label, secret in SECRETS.items():
            planted = copy.deepcopy(data)
            _set(planted, path, secret)
            variants.append((f"{'.'.join(map(str, kind))}={label}", secret, yaml.safe_dump(planted, allow_unicode=True)))
    # mapping keys: a person's key, an event's key, an unknown top-level key
    for key_path in (("people", "volkova"), ("events", "testing"), ("notes_for_admin",)):
        for label, secret in SECRETS.items():
            planted = copy.deepcopy(data)
            if key_path[0] == "notes_for_admin":
                planted[secret] = "x"
            else:
                _rename(planted, key_path, secret)
            variants.append((f"key:{'.'.join(key_path)}={label}", secret, yaml.safe_dump(planted, allow_unicode=True)))
    return variants


VARIANTS = _variants()
# Free-text fields: the schema takes any text, so the credential check itself must speak.
FREE_TEXT = re.compile(r"(^|\.)(title|organization|name|position|notes|when|document|expected_result|trigger|number)=")


def test_the_unplanted_dump_is_valid() -> None:
    data = yaml.safe_load(SPT.read_text(encoding="utf-8"))
    checked = check_text(yaml.safe_dump(data, allow_unicode=True), "spt.yaml")
    assert checked.report.ok, [d.format() for d in checked.report.errors]


def test_every_field_kind_is_planted() -> None:
    names = {name.split("=")[0] for name, _, _ in VARIANTS}
    for expected in (
        "title",
        "organization",
        "people.*.name",
        "people.*.position",
        "roles.*.title",
        "events.*.title",
        "events.*.notes",
        "sections.*.title",
        "sections.*.stages.*.title",
        "sections.*.stages.*.when",
        "sections.*.stages.*.document",
        "sections.*.stages.*.notes",
        "sections.*.stages.*.due",
        "people.*.contacts.email",
    ):
        assert expected in names
    assert len(VARIANTS) >= 60


@pytest.mark.parametrize(("name", "secret", "text"), VARIANTS, ids=[name for name, _, _ in VARIANTS])
def test_a_planted_secret_is_refused_at_its_place_and_never_shown(name: str, secret: str, text: str) -> None:
    checked = check_text(text, "planted.yaml")
    report = checked.report
    assert not report.ok, f"{name}: accepted"
    assert checked.roadmap is None and checked.plan is None
    errors = report.errors
    assert all(d.position is not None and CYRILLIC.search(d.message) for d in errors), [d.format() for d in errors]
    shown = "\n".join(d.format() for d in report.sorted()) + json.dumps(
        [d.to_dict() for d in report.sorted()], ensure_ascii=False
    )
    assert not leaked(shown), shown
    if not name.startswith("key:"):
        line = next(number for number, row in enumerate(text.splitlines(), 1) if secret in row)
        assert any(d.position is not None and d.position.line == line for d in errors), (line, [d.format() for d in errors])
    if FREE_TEXT.search(name):
        refusals = [d for d in errors if "похоже на пароль или токен" in d.message]
        assert refusals, [d.format() for d in errors]
        masked = "https://a***:***@mail.example.ru" if secret == URL_SECRET else "123456789:AA…***"
        assert all(masked in d.message for d in refusals)


@pytest.fixture(scope="module")
def planted_files(tmp_path_factory) -> list[Path]:
    directory = tmp_path_factory.mktemp("planted")
    paths = []
    for index, (_, _, text) in enumerate(VARIANTS):
        path = directory / f"v{index:03}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, timeout=300)


def test_validate_as_a_process_refuses_every_variant_without_printing_the_secret(planted_files, tmp_path) -> None:
    text = _cli("validate", *map(str, planted_files))
    assert text.returncode == 1
    assert not leaked(text.stdout + text.stderr)
    assert "Traceback" not in text.stdout + text.stderr
    for path in planted_files:
        assert f"✗ {path}: ошибок" in text.stdout
    assert "похоже на пароль или токен (значение скрыто)" in text.stdout

    as_json = _cli("validate", "--format", "json", *map(str, planted_files))
    assert as_json.returncode == 1
    assert not leaked(as_json.stdout + as_json.stderr)
    results = json.loads(as_json.stdout)
    assert len(results) == len(planted_files)
    for result in results:
        assert result["ok"] is False and result["stages"] is None
        assert all(d["line"] and CYRILLIC.search(d["message"]) for d in result["diagnostics"])


def test_plan_of_a_planted_roadmap_is_refused_without_the_secret(planted_files, tmp_path) -> None:
    planted = next(path for path, (name, _, _) in zip(planted_files, VARIANTS, strict=True) if name == "title=url")
    result = _cli("plan", str(planted), "--format", "json")
    assert result.returncode != 0
    assert not leaked(result.stdout + result.stderr)
    assert result.stdout.strip() == ""


# --- what leaves a valid roadmap -------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(ROADMAPS.glob("*.yaml")), ids=lambda p: p.name)
def test_a_valid_roadmap_has_no_credentials_and_its_feed_and_plan_carry_none(path: Path) -> None:
    assert find_credentials(yaml.safe_load(path.read_text(encoding="utf-8"))) == []
    checked = check_file(path)
    assert checked.report.ok and checked.roadmap is not None and checked.plan is not None
    assert not checked.report.warnings, [d.format() for d in checked.report.warnings]
    status = compute_status(checked.roadmap, [], dt.date(checked.roadmap.academic_year.first, 9, 2))
    specs, _ = build_specs(status)
    feed = render_calendar(specs, name="feed", timezone=checked.roadmap.timezone, now=dt.datetime(2024, 9, 1, tzinfo=dt.UTC))
    unfolded = feed.decode("utf-8").replace("\r\n ", "")
    assert scan(unfolded) == []
    assert scan(plan_json(checked.plan).decode("utf-8")) == []


def test_a_model_with_a_secret_never_reaches_the_plan() -> None:
    text = SPT.read_text(encoding="utf-8").replace(
        "notes: Окно тестирования", f"notes: Ссылка {URL_SECRET} — окно тестирования", 1
    )
    checked = check_text(text, "spt.yaml")
    assert checked.roadmap is None and checked.plan is None  # nothing to build a feed or a plan from
    (refusal,) = [d for d in checked.report.errors if "похоже на пароль" in d.message]
    assert refusal.field == "events.testing.notes" and refusal.position is not None
    assert refusal.format().startswith(f"spt.yaml:{refusal.position.line}:")
    assert "адрес с паролем «https://a***:***@mail.example.ru»" in refusal.message


# --- notifiers: secret names and problems ----------------------------------------------------------


def test_a_secret_value_written_as_a_secret_name_is_masked() -> None:
    with pytest.raises(SecretError) as caught:
        Secrets(environ={}).require(f"x{URL_SECRET}")
    assert not leaked(str(caught.value))
    with pytest.raises(SecretError) as caught:
        Secrets(environ={}).require("ghp_" + "a1B2" * 9)
    assert "a1B2a1B2" not in str(caught.value)


def test_redact_masks_password_parameters_too() -> None:
    from cyclogram.notifiers.channels import redact

    assert redact("ошибка для https://h.example/hook?token=abc123xyz") == "ошибка для https://h.example/hook?token=***"
    assert redact(f"ошибка для {URL_SECRET}") == "ошибка для https://admin:***@mail.example.ru"


# --- evidence links --------------------------------------------------------------------------------


def test_an_evidence_link_is_stored_without_its_credentials(tmp_path) -> None:
    database = tmp_path / "cyclogram.db"
    store = open_store(f"sqlite:///{database}")
    try:
        tracker = Tracker(store, tmp_path / "evidence")
        recording.load(tracker, SPT, "deputy")
        outcome = recording.done(
            tracker,
            "spt-usolye-2024",
            "1",
            by="toropkina",
            actor="t",
            at="2024-08-30",
            evidence=f"https://admin:{PASSWORD}@disk.example/plan.pdf?password={PASSWORD}&v=2",
        )
        assert outcome.evidence is None
        assert outcome.evidence_notice is not None and "https://disk.example/plan.pdf?v=2" in outcome.evidence_notice
        assert not leaked(outcome.evidence_notice)
        _, completions = tracker.completions("spt-usolye-2024")
        assert completions[0].evidence == "https://disk.example/plan.pdf?v=2"
        (event,) = [e for e in tracker.history(HistoryFilter("spt-usolye-2024")) if e.action == "stage.done"]
        assert event.payload_data()["evidence"] == "https://disk.example/plan.pdf?v=2"

        clean = recording.done(
            tracker, "spt-usolye-2024", "2", by="toropkina", actor="t", at="2024-08-30", evidence="https://disk.example/2.pdf"
        )
        assert clean.evidence_notice is None
    finally:
        store.close()
    assert PASSWORD.encode() not in database.read_bytes()
