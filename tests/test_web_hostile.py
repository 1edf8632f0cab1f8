"""The stage page's forms under hostile and careless input: «Записать повод», «Задействовать
резервный этап» and the completion with an uploaded file — with the app under uvicorn on loopback
and a real SQLite database, as in tests/test_web_forms.py.

Every probe expects a Russian answer on the page (`#stage-error`, 4xx, never 5xx), nothing recorded
(the audit log is read from the database), no traceback, and a secret refused without being shown
back. No assertion is about time."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers import AppServer

from cyclogram import app, recording, users
from cyclogram.links import Links
from cyclogram.store import open_store
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app

ROADMAP = """\
id: web-hostile
title: Запросы, резервные дни и отчёты
organization: МБОУ «СОШ №12»
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  toropkina: {name: Торопкина А.А., position: заместитель директора}
  volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina}
stages:
  - id: answer
    number: "7"
    title: Направить информацию по запросу
    when: В течение 2 рабочих дней со дня получения запроса
    trigger: по мере поступления запросов
    within: 2wd
    trigger_label: запрос
    responsible: [volkova]
  - {id: main_day, number: "5", title: Основной день ВПР, due: 2024-10-15, responsible: [toropkina]}
  - id: reserve_day
    number: "6"
    title: Резервный день ВПР
    due: 2024-10-22
    optional: true
    depends_on: ["5"]
    responsible: [volkova]
  - {id: report, number: "8", title: Сдать отчёт, due: 2024-10-14, responsible: [volkova]}
  - {id: monthly, number: "9", title: Отчёт за месяц, recurring: {every: month, start: сентябрь, end: ноябрь}, responsible: [volkova]}
"""
OTHER = """\
id: other-school
title: Другая школа
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  ivanov: {name: Иванов И.И.}
stages:
  - {id: foreign, number: "1", title: Чужой этап, due: 2024-10-14, responsible: [ivanov]}
"""
EDITOR = ("editor@school.example", "editor-password-1")
PASSWORD_URL = "https://director:Sup3rSecret!@files.school12.example/report.pdf"
TOKEN_LIKE = "7012345678:AAH-fake-token-for-tests-only-0123456789ab"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Site:
    url: str
    tracker: Tracker
    context: WebContext
    database: Path
    home: Path
    yaml: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)

    def link(self, person: str, stage: str, occurrence: str | None = None) -> str:
        url = Links(self.tracker, self.context.key, self.url).issue("web-hostile", person, stage, occurrence=occurrence).url
        return "/" + url.split("/", 3)[3]

    def events(self, action: str | None = None) -> list[tuple[str, str | None, str]]:
        with sqlite3.connect(self.database) as connection:
            rows = connection.execute("SELECT action, stage_id, payload FROM audit_event ORDER BY seq").fetchall()
        return [(a, s, p) for a, s, p in rows if action is None or a == action]

    def database_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.database.parent.glob(self.database.name + "*"))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    home = tmp_path / "home"
    database = tmp_path / "cyclogram.db"
    monkeypatch.setenv("CYCLOGRAM_HOME", str(home))
    for name in ("CYCLOGRAM_BASE_URL", "CYCLOGRAM_SECRET_WEB_SECRET", "CYCLOGRAM_SECRET_AUDIT_KEY", "CYCLOGRAM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "web-hostile.yaml").write_text(ROADMAP, encoding="utf-8")
    (tmp_path / "other-school.yaml").write_text(OTHER, encoding="utf-8")
    store = open_store(f"sqlite:///{database}")
    tracker = Tracker(store, home / "evidence")
    recording.load(tracker, tmp_path / "web-hostile.yaml", "deputy")
    recording.load(tracker, tmp_path / "other-school.yaml", "deputy")
    users.add(store, EDITOR[0], "editor", "editor", EDITOR[1], "setup")
    context = WebContext(tracker, app.web_key(), "")
    server = AppServer(create_app(context, quiet=True))
    context.base_url = server.url
    with server:
        yield Site(server.url, tracker, context, database, home, tmp_path / "web-hostile.yaml")
    store.close()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found[1]


def shown(page: str, element: str) -> str:
    found = re.search(rf'id="{element}"[^>]*>([^<]+)<', page)
    return found[1].strip() if found else ""


def post(client: httpx.Client, path: str, action: str, files: dict | None = None, **fields: str) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf": csrf_of(page.text), "action": action, **fields}, files=files)


def signed_in(site: Site) -> httpx.Client:
    client = site.client()
    form = client.get("/signin")
    answer = client.post("/signin", data={"csrf": csrf_of(form.text), "email": EDITOR[0], "password": EDITOR[1], "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def refused(answer: httpx.Response, status: int, *words: str) -> str:
    """The page's Russian error, after checking the status and the words it must contain."""
    error = shown(answer.text, "stage-error")
    assert answer.status_code == status, (answer.status_code, error or answer.text[:500])
    assert error, answer.text[:500]
    assert all(word in error for word in words), error
    assert "Traceback" not in answer.text
    return error


# --- «Записать повод» -------------------------------------------------------------------------------


def test_the_trigger_form_refuses_bad_moments_long_notes_and_secrets(site: Site) -> None:
    browser = site.client()
    link = site.link("volkova", "answer")

    refused(post(browser, link, "trigger", triggered_at="9999-12-31T23:59"), 422, "1900–2200")
    refused(post(browser, link, "trigger", triggered_at="31.12.9999"), 422, "1900–2200")
    refused(post(browser, link, "trigger", triggered_at="1812-09-07T10:00"), 422, "1900–2200")
    refused(post(browser, link, "trigger", triggered_at="когда-нибудь"), 422, "Непонятная дата")
    refused(post(browser, link, "trigger", triggered_at="  "), 422, "Укажите, когда случился повод")
    refused(post(browser, link, "trigger", triggered_at="x" * 10_000), 422, "Непонятная дата")

    # 10 KB of text is not cut silently: refused, and what was typed stays in the form
    long_note = "запрос управления " * 300  # 10 KB
    assert 10_000 <= len(long_note.encode()) <= 11_000
    answer = post(browser, link, "trigger", triggered_at="2024-10-14T10:00", note=long_note)
    assert refused(answer, 422).startswith("Комментарий длиннее 2000 символов")
    assert long_note.strip() in answer.text
    # a field over the form's own bound (64 KB as sent) is not read at all: the same page, in Russian
    answer = post(browser, link, "trigger", triggered_at="2024-10-14T10:00", note="повод " * 8000)
    assert refused(answer, 422).startswith("Форма пришла повреждённой или слишком большой")

    # a password or a token in the note: refused, never stored, never shown back
    for secret in (PASSWORD_URL, f"токен бота {TOKEN_LIKE}"):
        answer = post(browser, link, "trigger", triggered_at="2024-10-14T10:00", note=secret)
        refused(answer, 422, "значение скрыто")
        assert "Sup3rSecret" not in answer.text and TOKEN_LIKE.split(":")[1] not in answer.text

    assert site.events("stage.triggered") == []
    assert b"Sup3rSecret" not in site.database_bytes() and TOKEN_LIKE.split(":")[1].encode() not in site.database_bytes()


def test_double_submits_record_once(site: Site) -> None:
    browser = site.client()
    link = site.link("volkova", "answer")
    page = browser.get(link).text
    form = {"csrf": csrf_of(page), "action": "trigger", "triggered_at": "2024-10-14T10:00", "note": "запрос № 12"}
    first, second = browser.post(link, data=form), browser.post(link, data=form)
    assert first.status_code == 303
    refused(second, 422, "уже записан")
    assert len(site.events("stage.triggered")) == 1

    editor = signed_in(site)
    page = editor.get("/r/web-hostile/s/reserve_day").text
    form = {"csrf": csrf_of(page), "action": "activate", "by": "volkova", "reason": "заболели 4 обучающихся"}
    first, second = editor.post("/r/web-hostile/s/reserve_day", data=form), editor.post("/r/web-hostile/s/reserve_day", data=form)
    assert first.status_code == 303
    refused(second, 422, "уже задействован")
    assert len(site.events("stage.activated")) == 1

    report = site.link("volkova", "report")
    page = browser.get(report).text
    form = {"csrf": csrf_of(page), "action": "done", "done_on": "2024-10-14"}
    first, second = browser.post(report, data=form), browser.post(report, data=form)
    assert first.status_code == 303 and second.status_code == 200 and "уже отмечен" in second.text
    assert len(site.events("stage.done")) == 1


def test_the_activation_form_refuses_long_reasons_and_secrets(site: Site) -> None:
    browser = site.client()
    link = site.link("volkova", "reserve_day")
    refused(post(browser, link, "activate", reason="болезнь " * 2000), 422, "2000")
    answer = post(browser, link, "activate", reason=f"пароль от журнала в ссылке {PASSWORD_URL}")
    refused(answer, 422, "значение скрыто")
    assert "Sup3rSecret" not in answer.text
    done = post(browser, site.link("volkova", "report"), "done", note=f"готово, файлы: {PASSWORD_URL}")
    refused(done, 422, "значение скрыто")
    assert "Sup3rSecret" not in done.text
    assert site.events("stage.activated") == [] and site.events("stage.done") == []
    assert b"Sup3rSecret" not in site.database_bytes()


def test_another_roadmaps_stage_and_person_are_not_found_here(site: Site) -> None:
    editor = signed_in(site)
    page = editor.get("/r/web-hostile/s/reserve_day").text
    for stage in ("foreign", "1", "..%2F..%2Fetc%2Fpasswd", "x" * 500):
        answer = editor.post(f"/r/web-hostile/s/{stage}", data={"csrf": csrf_of(page), "action": "activate", "reason": "x"})
        assert answer.status_code == 404 and "Traceback" not in answer.text
    answer = editor.post(
        "/r/web-hostile/s/reserve_day", data={"csrf": csrf_of(page), "action": "activate", "by": "ivanov", "reason": "x"}
    )
    refused(answer, 422, "Выберите")
    assert site.events("stage.activated") == []


# --- uploads ------------------------------------------------------------------------------------


def test_uploads_empty_oversized_badly_named_or_html(site: Site) -> None:
    browser = site.client()
    link = site.link("volkova", "report")

    refused(post(browser, link, "done", files={"evidence_file": ("отчёт.pdf", b"", "application/pdf")}), 415, "пустой")
    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024 + 10)
    answer = post(browser, link, "done", files={"evidence_file": ("big.pdf", big, "application/pdf")})
    assert answer.status_code == 413 and "20 МБ" in shown(answer.text, "stage-error")
    html = b"<!doctype html><script>alert(1)</script>"
    refused(post(browser, link, "done", files={"evidence_file": ("page.html", html, "text/html")}), 415, "не принимаются")
    refused(post(browser, link, "done", files={"evidence_file": ("notes.txt", html, "text/html")}), 415, "не похоже")
    assert site.events("stage.done") == [] and site.events("evidence.stored") == []

    # a real PDF, sent as text/html with folders and an RTL override in its name: kept by its own name
    name = "..\\..\\etc/\u202eкод\u0000\u200fdp.fdp.pdf"
    answer = post(browser, link, "done", files={"evidence_file": (name, PDF, "text/html")})
    assert answer.status_code == 303, shown(answer.text, "stage-error")
    ((_, _, payload),) = site.events("evidence.stored")
    stored_name = re.search(r'"name": ?"([^"]*)"', payload)
    assert stored_name and stored_name[1].endswith("dp.fdp.pdf") and "код" in stored_name[1]
    assert not any(mark in stored_name[1] for mark in ("/", "\\", "\u202e", "\u200f", "..", "etc"))
    sha = hashlib.sha256(PDF).hexdigest()
    download = browser.get(f"/evidence/{sha}", params={"link": link.rsplit("/", 1)[1]})
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"  # by content, never text/html
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"


def test_a_long_or_control_character_name_is_cleaned(site: Site) -> None:
    browser = site.client()
    link = site.link("volkova", "report")
    answer = post(browser, link, "done", files={"evidence_file": ("а" * 500 + "\x01\x7f.pdf", PDF, "application/pdf")})
    assert answer.status_code == 303, shown(answer.text, "stage-error")
    ((_, _, payload),) = site.events("evidence.stored")
    stored_name = re.search(r'"name": ?"([^"]*)"', payload)
    assert stored_name and len(stored_name[1]) <= 150 and stored_name[1].endswith(".pdf") and "\\u0001" not in payload


# --- links after a new version ------------------------------------------------------------------------


def test_a_link_to_an_occurrence_gone_in_a_new_version_records_nothing(site: Site) -> None:
    browser = site.client()
    october = site.link("volkova", "monthly", occurrence="октябрь 2024")
    page = browser.get(october)
    assert page.status_code == 200 and "октябрь" in page.text
    csrf = csrf_of(page.text)

    # the new version holds the report in December only: October is gone, and so is stage 8
    site.yaml.write_text(
        ROADMAP.replace("start: сентябрь, end: ноябрь", "start: декабрь, end: декабрь").replace(
            '  - {id: report, number: "8", title: Сдать отчёт, due: 2024-10-14, responsible: [volkova]}\n', ""
        ),
        encoding="utf-8",
    )
    report = site.link("volkova", "report")
    recording.load(site.tracker, site.yaml, "deputy")

    for path in (october, report):
        answer = browser.post(path, data={"csrf": csrf, "action": "done", "done_on": "2024-10-14"})
        assert answer.status_code == 404 and "Traceback" not in answer.text
        assert "Ссылка неверна, устарела или отозвана" in answer.text
        assert browser.get(path).status_code == 404
    assert site.events("stage.done") == []
