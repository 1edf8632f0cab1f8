"""Acting from the message, end to end with real parts: a reminder e-mail received by a real SMTP
server (aiosmtpd) carries the person's action link; the link opens the stage page of the web app
under uvicorn on loopback; the form records a completion with an uploaded file into a real
database; the command line sees it. And every way a link or a submission can be wrong."""

from __future__ import annotations

import datetime as dt
import email.message
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from helpers import AppServer
from test_outbox import SmtpServer

from cyclogram import actionlinks, app, outbox, recording, reminding, users
from cyclogram.engine.reminders import due_reminders, without_duplicates
from cyclogram.links import Links, masked
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import open_store
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app

ROADMAP = """\
id: web-links
title: Выгрузка и отчёты СПТ
organization: МБОУ «СОШ №12»
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  toropkina: {name: Торопкина А.А., position: заместитель директора, contacts: {email: toropkina@school.example}}
  volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina, contacts: {email: volkova@school.example}}
  petrova: {name: Петрова П.П., position: классный руководитель, supervisor: toropkina, contacts: {email: petrova@school.example}}
  ivanova: {name: Иванова И.И., position: учитель, contacts: {email: ivanova@school.example}}
stages:
  - id: upload
    number: "20"
    title: Произвести выгрузку результатов тестирования
    document: Справка по результатам
    expected_result: Результаты выгружены и проанализированы
    due: 2024-10-18
    responsible: [volkova]
  - id: forms
    number: "21"
    title: Заполнить отчётные формы
    due: upload.done + 3wd
    evidence_required: true
    responsible: [petrova, volkova]
  - id: codes
    number: "10"
    title: Выдать коды участникам тестирования
    due: 2024-10-18
    responsible: [volkova]
"""
DUE_DAY = dt.date(2024, 10, 18)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
EDITOR = ("editor@school.example", "editor-password-1")
VIEWER = ("viewer@school.example", "viewer-password-1")


@dataclass
class Site:
    url: str
    tracker: Tracker
    context: WebContext
    database: str
    home: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)

    def env(self) -> dict[str, str]:
        return {**os.environ, "CYCLOGRAM_HOME": str(self.home), "CYCLOGRAM_DATABASE_URL": self.database, "COLUMNS": "200"}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=self.env(), timeout=120
        )

    def issue(self, person: str, stage: str | None = None, **options: dt.date) -> str:
        links = Links(self.tracker, self.context.key, self.url)
        return links.issue("web-links", person, stage, **options).url


def open_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: str) -> Iterator[Site]:
    home = tmp_path / "home"
    monkeypatch.setenv("CYCLOGRAM_HOME", str(home))  # web.key lives here: the app and `remind` share it
    monkeypatch.delenv("CYCLOGRAM_BASE_URL", raising=False)
    monkeypatch.delenv("CYCLOGRAM_SHOW_COMMAND", raising=False)
    monkeypatch.delenv("CYCLOGRAM_SECRET_WEB_SECRET", raising=False)
    monkeypatch.delenv("CYCLOGRAM_SECRET_AUDIT_KEY", raising=False)
    (tmp_path / "web-links.yaml").write_text(ROADMAP, encoding="utf-8")
    store = open_store(database)
    tracker = Tracker(store, home / "evidence")
    recording.load(tracker, tmp_path / "web-links.yaml", "deputy")
    for address, password in (EDITOR, VIEWER):
        role = address.split("@")[0]
        users.add(store, address, f"Пользователь {role}", role, password, "setup")
    context = WebContext(tracker, app.web_key(), "")
    server = AppServer(create_app(context, quiet=True))
    context.base_url = server.url
    with server:
        yield Site(server.url, tracker, context, database, home)
    store.close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    yield from open_site(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'cyclogram.db'}")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found[1]


def status_badge(page: str) -> str:
    found = re.search(r'id="stage-status"[^>]*>([^<]+)<', page)
    assert found, "the page has no status badge"
    return found[1]


def shown_error(page: str) -> str:
    found = re.search(r'id="stage-error"[^>]*>([^<]+)<', page)
    return found[1] if found else ""


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def done(
    client: httpx.Client, path: str, files: dict[str, tuple[str, bytes, str]] | None = None, **fields: str
) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    data = {"csrf": csrf_of(page.text), "action": "done", **fields}
    return client.post(path, data=data, files=files or {})


def signed_in(site: Site, account: tuple[str, str]) -> httpx.Client:
    client = site.client()
    form = client.get("/signin")
    answer = client.post("/signin", data={"csrf": csrf_of(form.text), "email": account[0], "password": account[1], "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def plain_and_html(message: email.message.EmailMessage) -> tuple[str, str]:
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    return parts["text/plain"], parts["text/html"]


# --- the main path ----------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_site(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path / 'cyclogram.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    yield from open_site(tmp_path, monkeypatch, database)


def test_from_the_reminder_email_to_a_recorded_completion(any_site: Site, smtp: SmtpServer) -> None:
    site = any_site
    secrets = Secrets(environ={"CYCLOGRAM_SECRET_SMTP": smtp.sender_url}, secrets_file=site.home / "secrets.env")
    report = reminding.remind(site.tracker, "web-links", DUE_DAY, secrets, base_url=site.url)
    assert report.sent is not None and report.sent.sent >= 1 and report.delivered_all
    mails = [
        message
        for rcpts, message in smtp.inbox.messages
        if "volkova@school.example" in rcpts and "этап 20 " in str(message["Subject"])
    ]
    assert len(mails) == 1, [str(message["Subject"]) for _, message in smtp.inbox.messages]
    text, html = plain_and_html(mails[0])
    links = LINK.findall(text)
    assert len(links) == 1, text
    link = links[0]
    assert link.startswith(site.url + "/a/")
    # The plain part is made from the HTML by the mailer: the link reaches it through the fallback line.
    assert "Отметить выполнение" in text and "cyclogram done" not in text + html  # the command is for operators only
    assert f'href="{link}"' in html and "Отметить выполнение</a>" in html

    browser = site.client()
    page = browser.get(path_of(link))
    assert page.status_code == 200
    assert "Этап 20. Произвести выгрузку результатов тестирования" in page.text
    assert "Справка по результатам" in page.text and "Результаты выгружены и проанализированы" in page.text
    assert "Почему эта дата: 18.10.2024" in page.text
    assert "Волкова Л.А." in page.text and "/signin" not in page.text  # no sign-in on a link page
    assert 'id="done-form"' in page.text and 'id="skip-form"' in page.text  # volkova owns stage 20
    assert page.headers["cache-control"] == "no-store"
    assert "set-cookie" not in page.headers  # nobody who never signs in gets a cookie

    answer = done(
        browser,
        path_of(link),
        files={"evidence_file": ("Справка о выгрузке.pdf", PDF, "application/pdf")},
        note="выгрузка сделана, справки в личных делах",
        done_on=DUE_DAY.isoformat(),
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == path_of(link) + "?ok=done"
    after = browser.get(answer.headers["location"])
    assert status_badge(after.text) == "выполнен"
    assert "Готово: этап отмечен выполненным." in after.text
    assert "выгрузка сделана, справки в личных делах" in after.text
    assert "Справка о выгрузке.pdf" in after.text
    assert "можно начинать" in after.text  # stage 21 waited for it: its people may start now
    forms_page = browser.get(path_of(site.issue("petrova", "forms")))
    assert "23.10.2024 = выполнение этапа 20 (18.10.2024, факт) + 3 рабочих дня" in forms_page.text  # recomputed

    status = site.cli("status", "web-links", "--format", "json")
    assert status.returncode == 0, status.stderr
    stages = {row["id"]: row for row in json.loads(status.stdout)["stages"]}
    assert stages["upload"]["status"] == "done" and stages["upload"]["done_by"] == "volkova"
    assert stages["forms"]["status"] != "blocked"
    history = site.cli("history", "web-links", "--stage", "upload", "--format", "json")
    assert history.returncode == 0, history.stderr
    events = json.loads(history.stdout)
    completion = [event for event in events if event["action"] == "stage.done"]
    assert len(completion) == 1
    payload = completion[0]["payload"]
    assert payload["channel"] == "web" and payload["by"] == "volkova"
    assert payload["note"] == "выгрузка сделана, справки в личных делах"
    assert payload["at"].startswith("2024-10-18")
    assert completion[0]["actor"].startswith("link:")  # which link did it, never the token
    assert link.rsplit("/", 1)[1] not in history.stdout
    stored = [event for event in events if event["action"] == "evidence.stored"]
    assert stored and stored[0]["payload"]["name"] == "Справка о выгрузке.pdf"

    download = re.search(r'href="(/evidence/[0-9a-f]{64}\?link=[^"]+)"', after.text)
    assert download, "no download link on the page"
    file = browser.get(download[1].replace("&amp;", "&"))
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-type"] == "application/pdf"
    assert file.headers["x-content-type-options"] == "nosniff"
    disposition = file.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%A1%D0%BF%D1%80%D0%B0%D0%B2%D0%BA%D0%B0%20%D0%BE%20" in disposition

    # The same form sent again (a double click, a second tab): no second completion, no error page.
    again = browser.post(path_of(link), data={"csrf": csrf_of(page.text), "action": "done", "note": "ещё раз"})
    assert again.status_code == 200
    assert "уже отмечен выполненным 18.10.2024" in again.text and "Волкова Л.А." in again.text
    assert 'id="done-form"' not in again.text


# --- links that must not work ---------------------------------------------------------------------


def test_every_bad_link_gets_the_same_404(site: Site) -> None:
    browser = site.client()
    good = site.issue("volkova", "upload")
    assert browser.get(path_of(good)).status_code == 200

    expired = site.cli("links", "issue", "web-links", "volkova", "20", "--expires", "2020-01-01", "--base-url", site.url)
    assert expired.returncode == 0, expired.stderr
    revoked_one = site.issue("volkova", "upload")
    revoke = site.cli("links", "revoke-one", revoked_one, "--actor", "deputy")
    assert revoke.returncode == 0 and "Ссылка отозвана" in revoke.stdout, revoke.stderr
    token = good.rsplit("/", 1)[1]
    body, signature = token.split(".")
    forged = good.replace(token, body + "." + ("A" if signature[0] != "A" else "B") + signature[1:])
    foreign_token = actionlinks.issue(
        site.context.key, "web-links", "ivanova", "upload", expires=dt.date.today() + dt.timedelta(days=30)
    )
    foreign = f"{site.url}/a/{foreign_token}"  # ivanova neither answers for stage 20 nor supervises anyone
    other_key = actionlinks.issue(b"x" * 32, "web-links", "volkova", "upload", expires=dt.date.today() + dt.timedelta(days=30))
    person_page = site.issue("volkova")  # a page link (`/p/`) is not a stage link
    assert "/p/" in person_page

    answers = [
        browser.get(path_of(url))
        for url in (
            expired.stdout.strip(),
            revoked_one,
            forged,
            foreign,
            f"{site.url}/a/{other_key}",
            person_page.replace("/p/", "/a/"),
            f"{site.url}/a/nonsense",
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.text for answer in answers}) == 1
    assert "Ссылка неверна, устарела или отозвана" in answers[0].text and "/signin" not in answers[0].text

    refused = site.cli("links", "issue", "web-links", "ivanova", "20")
    assert refused.returncode == 1 and "не отвечает за этап 20" in refused.stderr
    supervisor = site.cli("links", "issue", "web-links", "toropkina", "20", "--base-url", site.url)
    assert supervisor.returncode == 0  # escalations go to the supervisor: the page shows, without the forms
    page = browser.get(path_of(supervisor.stdout.strip()))
    assert page.status_code == 200 and 'id="done-form"' not in page.text and 'id="supervisor-note"' in page.text

    # A reset takes back every link of the person issued until then; a new one works.
    before = site.issue("volkova", "upload")
    reset = site.cli("links", "revoke", "volkova", "--roadmap", "web-links", "--actor", "deputy")
    assert reset.returncode == 0, reset.stderr
    assert browser.get(path_of(before)).status_code == 404
    assert browser.get(path_of(good)).status_code == 404
    assert browser.get(path_of(site.issue("volkova", "upload"))).status_code == 200

    history = site.cli("history", "web-links", "--format", "json")
    events = {event["action"]: event for event in json.loads(history.stdout)}
    assert events["link.reset"]["payload"] == {"person": "volkova"}
    revoked_id = actionlinks.read(site.context.key, revoked_one.rsplit("/", 1)[1], dt.date.min)
    assert revoked_id is not None and events["link.revoked"]["payload"] == {"link_id": revoked_id.link_id}
    assert revoked_one.rsplit("/", 1)[1] not in history.stdout


# --- what the form refuses --------------------------------------------------------------------------


def test_form_refusals(site: Site) -> None:
    browser = site.client()
    upload = path_of(site.issue("volkova", "upload"))

    page = browser.get(upload)
    no_csrf = browser.post(upload, data={"action": "done", "note": "без токена"})
    assert no_csrf.status_code == 403 and "Форма устарела" in shown_error(no_csrf.text)
    wrong_csrf = browser.post(upload, data={"action": "done", "csrf": csrf_of(page.text)[::-1]})
    assert wrong_csrf.status_code == 403

    big = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    too_big = done(browser, upload, files={"evidence_file": ("big.pdf", big, "application/pdf")})
    assert too_big.status_code == 413 and "Файл больше 20 МБ" in shown_error(too_big.text)
    assert "не больше 20 МБ" in page.text  # the form says the limit

    for name, content in (("setup.exe", b"MZ\x90\x00\x03"), ("page.html", b"<html><script>alert(1)</script></html>")):
        answer = done(browser, upload, files={"evidence_file": (name, content, "application/octet-stream")})
        assert answer.status_code == 415, name
        assert "не принимаются" in shown_error(answer.text)
    disguised = done(browser, upload, files={"evidence_file": ("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert disguised.status_code == 415 and "не похоже на PDF" in shown_error(disguised.text)

    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    future = done(browser, upload, done_on=tomorrow)
    assert future.status_code == 422 and "ещё не наступила" in shown_error(future.text)
    http_link = done(browser, upload, evidence_url="http://example.org/file.pdf")
    assert http_link.status_code == 422 and "https://" in shown_error(http_link.text)
    assert status_badge(browser.get(upload).text) != "выполнен"  # nothing was recorded

    # Stage 21 waits for 20: volkova (not its owner) is refused; petrova (its owner) may force it with a reason.
    forms_volkova = path_of(site.issue("volkova", "forms"))
    blocked = done(browser, forms_volkova, evidence_url="https://disk.example.org/forms.xlsx")
    assert blocked.status_code == 409
    assert "Этап 21 ещё заблокирован: не выполнены этапы 20 «Произвести выгрузку результатов тестирования»" in shown_error(
        blocked.text
    )
    assert 'id="force"' not in blocked.text and 'id="skip-form"' not in blocked.text
    skip_refused = browser.post(forms_volkova, data={"csrf": csrf_of(blocked.text), "action": "skip", "reason": "не нужно"})
    assert skip_refused.status_code == 403

    forms_petrova = path_of(site.issue("petrova", "forms"))
    owner_page = browser.get(forms_petrova)
    assert 'id="force"' in owner_page.text and 'id="skip-form"' in owner_page.text
    no_reason = done(browser, forms_petrova, force="1", evidence_url="https://disk.example.org/forms.xlsx")
    assert no_reason.status_code == 409 and "напишите почему" in shown_error(no_reason.text)
    no_evidence = done(browser, forms_petrova, force="1", reason="формы сданы на бумаге")
    assert no_evidence.status_code == 422 and "нужно подтверждение" in shown_error(no_evidence.text)
    forced = done(
        browser, forms_petrova, force="1", reason="формы сданы на бумаге", evidence_url="https://disk.example.org/forms.xlsx"
    )
    assert forced.status_code == 303
    forced_page = browser.get(forced.headers["location"])
    assert "вопреки блокировке" in forced_page.text and "https://disk.example.org/forms.xlsx" in forced_page.text

    # The owner skips a stage with a reason; the page shows it skipped.
    skip_page = browser.get(upload)
    no_skip_reason = browser.post(upload, data={"csrf": csrf_of(skip_page.text), "action": "skip", "reason": " "})
    assert no_skip_reason.status_code == 422
    skipped = browser.post(upload, data={"csrf": csrf_of(skip_page.text), "action": "skip", "reason": "выгрузку сделал оператор"})
    assert skipped.status_code == 303
    assert status_badge(browser.get(upload).text) == "пропущен"


def test_evidence_downloads_are_guarded(site: Site) -> None:
    browser = site.client()
    upload = path_of(site.issue("volkova", "upload"))
    text = "этап;дата\n20;18.10.2024\n".encode("cp1251")
    answer = done(browser, upload, files={"evidence_file": ("../../отчёт.csv", text, "text/csv")})
    assert answer.status_code == 303
    page = browser.get(upload)
    found = re.search(r'href="/evidence/([0-9a-f]{64})\?link=([^"]+)"', page.text)
    assert found and "отчёт.csv" in page.text
    sha, token = found[1], found[2]
    csv_file = browser.get(f"/evidence/{sha}", params={"link": token})
    assert csv_file.status_code == 200 and csv_file.content == text
    assert csv_file.headers["content-type"] == "application/octet-stream"  # never shown by the browser itself
    assert csv_file.headers["content-disposition"] == (
        "attachment; filename=\"file.csv\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.csv"
    )
    assert browser.get(f"/evidence/{sha}").status_code == 303  # signed out, no link: sign in first
    assert browser.get(f"/evidence/{sha}", params={"link": "forged.token"}).status_code == 404
    assert browser.get("/evidence/..%2F..%2Fetc%2Fpasswd", params={"link": token}).status_code == 404
    assert browser.get(f"/evidence/{sha.upper()}", params={"link": token}).status_code == 404
    stored = site.home / "evidence" / sha[:2] / sha
    assert stored.read_bytes() == text and (stored.stat().st_mode & 0o077) == 0


# --- the signed-in twin ---------------------------------------------------------------------------


def test_editors_mark_for_others_viewers_only_look(site: Site) -> None:
    anonymous = site.client()
    assert anonymous.get("/r/web-links/s/20").status_code == 303

    viewer = signed_in(site, VIEWER)
    look = viewer.get("/r/web-links/s/20")
    assert look.status_code == 200 and 'id="stage-status"' in look.text and 'id="done-form"' not in look.text
    assert viewer.post("/r/web-links/s/20", data={"csrf": csrf_of(look.text), "action": "done"}).status_code == 403

    editor = signed_in(site, EDITOR)
    page = editor.get("/r/web-links/s/upload")
    assert page.status_code == 200 and 'id="by"' in page.text
    assert editor.post("/r/web-links/s/upload", data={"action": "done", "by": "volkova"}).status_code == 403
    answer = editor.post(
        "/r/web-links/s/upload",
        data={"csrf": csrf_of(page.text), "action": "done", "by": "volkova", "note": "отметила заместитель"},
        files={"evidence_file": ("скан.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png")},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/r/web-links/s/upload?ok=done"
    after = editor.get(answer.headers["location"])
    assert status_badge(after.text).startswith("выполнен")
    sha = re.search(r'href="/evidence/([0-9a-f]{64})"', after.text)
    assert sha, "the signed-in page links evidence without a token"
    image = editor.get(f"/evidence/{sha[1]}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    events = json.loads(site.cli("history", "web-links", "--stage", "upload", "--format", "json").stdout)
    recorded = next(event for event in events if event["action"] == "stage.done")
    assert recorded["actor"] == EDITOR[0] and recorded["payload"]["by"] == "volkova"
    assert recorded["payload"]["channel"] == "web"
    assert editor.get("/r/web-links/s/no-such-stage").status_code == 404


# --- reminders carry the links ----------------------------------------------------------------------


def test_reminders_carry_one_link_per_item_and_the_command_only_when_asked(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    status = site.tracker.status("web-links", DUE_DAY)
    reminders = without_duplicates(due_reminders(status))
    maker = app.action_links(site.url)
    assert maker is not None and app.action_links(None) is None  # no base URL configured: nothing changes
    smtp_url = "mailto://127.0.0.1:25?from=school@school.example&mode=insecure"
    secrets = Secrets(environ={"CYCLOGRAM_SECRET_SMTP": smtp_url}, secrets_file=site.home / "secrets.env")
    plain, _ = outbox.compose(status, reminders, secrets)
    assert len(plain) == len(reminders) >= 2
    assert all("/a/" not in o.message.text and "cyclogram done" in o.message.text for o in plain)
    linked, _ = outbox.compose(status, reminders, secrets, links=maker)
    assert len(linked) == len(plain)
    for item in linked:
        assert len(LINK.findall(item.message.text)) == 1 and len(LINK.findall(item.message.short)) == 1
        assert "cyclogram done" not in item.message.text + item.message.short
        assert "Отметить выполнение</a>" in item.message.html or "Открыть этап</a>" in item.message.html
    both, _ = outbox.compose(status, reminders, secrets, links=maker, show_command=True)
    assert all("cyclogram done" in item.message.text and "/a/" in item.message.text for item in both)

    # A digest: one link per item, each opening its own stage for the recipient.
    mine = [r for r in reminders if r.person == "volkova"]
    assert {r.stage_id for r in mine} == {"upload", "codes"}
    digest, _ = outbox.compose(status, mine, secrets, digest=True, links=maker)
    assert len(digest) == 1
    message = digest[0].message
    for text in (message.text, message.short):
        found = LINK.findall(text)
        assert len(found) == 2, text
        read = [actionlinks.read(site.context.key, url.rsplit("/", 1)[1], dt.date.today()) for url in found]
        assert {(link.person, link.stage_id) for link in read if link} == {("volkova", "upload"), ("volkova", "codes")}
    assert message.html.count("Отметить выполнение</a>") == 2

    monkeypatch.setenv("CYCLOGRAM_BASE_URL", site.url)
    monkeypatch.setenv("CYCLOGRAM_SECRET_SMTP", smtp_url)
    preview = site.cli("remind", "web-links", "--as-of", DUE_DAY.isoformat(), "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "/a/" in preview.stdout and not re.search(r"/a/[A-Za-z0-9_-]{12,}", preview.stdout)  # links shown cut
    assert masked(f"{site.url}/a/abcdefghijkl.mnop") == f"{site.url}/a/abcdef…"


# --- what a file is -------------------------------------------------------------------------------


def test_uploads_are_judged_by_name_and_content(tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    from cyclogram.web import uploads

    def zipped(name: str, parts: dict[str, bytes]) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as archive:
            for part, data in parts.items():
                archive.writestr(part, data)
        return path

    workbook = tmp_path / "отчёт.xlsx"
    Workbook().save(workbook)
    docx = zipped("a.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    odt = zipped("a.odt", {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
    ods_as_odt = zipped("b.odt", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    jar = zipped("c.docx", {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0"})
    assert uploads.sniff(workbook, "xlsx") and not uploads.sniff(workbook, "docx")
    assert uploads.sniff(docx, "docx") and uploads.sniff(odt, "odt")
    assert not uploads.sniff(ods_as_odt, "odt") and not uploads.sniff(jar, "docx")
    text = tmp_path / "t.csv"
    text.write_bytes("этап;дата\n".encode("cp1251"))
    assert uploads.sniff(text, "text")
    text.write_bytes(b"\xef\xbb\xbf<!DOCTYPE html><script></script>")
    assert not uploads.sniff(text, "text")
    text.write_bytes(b"MZ\x00\x00")
    assert not uploads.sniff(text, "text")
    with pytest.raises(uploads.Unacceptable):
        uploads.kind_of("payload.svg")
    assert uploads.kind_of("СКАН.JPEG") == "jpeg"
    assert uploads.clean_name("C:\\Users\\Учитель\\..\\справка.pdf") == "справка.pdf"
    assert uploads.clean_name('"; rm -rf.pdf') == "; rm -rf.pdf"
    assert len(uploads.clean_name("я" * 400 + ".docx")) == uploads.MAX_NAME and uploads.clean_name("я" * 400 + ".docx").endswith(
        ".docx"
    )
    assert uploads.content_disposition("план работы.pdf") == (
        "attachment; filename=\"file.pdf\"; filename*=UTF-8''%D0%BF%D0%BB%D0%B0%D0%BD%20%D1%80%D0%B0%D0%B1%D0%BE%D1%82%D1%8B.pdf"
    )
    assert uploads.content_disposition("protocol 3.pdf").startswith('attachment; filename="protocol 3.pdf"; filename*=')
