"""The web app in a real headless Chromium (Debian's package, driven by Playwright for Python).

The loop the product exists for, as its users meet it: a teacher opens the link from an e-mail that
a real SMTP server (aiosmtpd) received, uploads a file and sees the stage done on the board; a teacher
records a request of a stage on outside events («Записать повод») and completes that occurrence; the
director filters the board by person and exports the history to Excel; the auditor sees the chain
verified, then broken after a direct SQL edit; the Gantt chart draws a bar per dated stage.
Screenshots of the main pages, as a director on a laptop and a teacher on a phone see them, are
saved to docs/screenshots/ (shown in the README).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import ROADMAPS, ROOT, AppServer

pytestmark = pytest.mark.xdist_group("browser")

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
SPT = ROADMAPS / "spt-usolye-2024.yaml"
PASSWORD = "пароль-для-проверки-2024"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def school(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A school: the СПТ roadmap loaded in a real SQLite file, a director and an auditor, the web app
    under uvicorn, reminders going to a real SMTP server."""
    from test_outbox import SmtpServer

    from cyclogram import recording, users
    from cyclogram.app import open_tracker
    from cyclogram.web import create_app, web_context

    home = tmp_path / "home"
    monkeypatch.setenv("CYCLOGRAM_HOME", str(home))
    monkeypatch.delenv("CYCLOGRAM_DATABASE_URL", raising=False)
    smtp = SmtpServer()
    smtp.start()
    monkeypatch.setenv("CYCLOGRAM_SECRET_SMTP", smtp.sender_url)
    tracker = open_tracker()
    recording.load(tracker, SPT, "deputy")
    users.add(tracker.store, "director@school.example", "Мельникова Н.А.", "admin", PASSWORD, "setup")
    users.add(tracker.store, "auditor@uo.example", "Проверяющий", "auditor", PASSWORD, "setup")
    holder: dict[str, Any] = {"tracker": tracker, "smtp": smtp, "home": home}

    def build(url: str) -> object:  # the links in e-mails need the server's own address
        os.environ["CYCLOGRAM_BASE_URL"] = url
        holder["context"] = web_context(tracker, url)
        return create_app(holder["context"], quiet=True)

    monkeypatch.setenv("CYCLOGRAM_BASE_URL", "http://placeholder")  # restored after the test
    with AppServer(factory=build) as server:
        holder["url"] = server.url
        yield holder
    smtp.stop()
    tracker.store.close()


def _page(browser: Any, viewport: dict[str, int]) -> Any:
    return browser.new_context(viewport=viewport, locale="ru-RU").new_page()


def _shot(page: Any, name: str) -> None:
    """A screenshot for the README: the whole page on a phone (people scroll), the first screen on a laptop."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone = page.viewport_size and page.viewport_size["width"] < 600
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=bool(phone))


def _sign_in(page: Any, url: str, who: str) -> None:
    page.goto(f"{url}/signin")
    page.fill("input[name=email]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("#signin-submit")
    page.wait_for_load_state()
    assert "/signin" not in page.url, page.content()[:500]


def _links_in_mail(smtp: Any, person_email: str) -> list[str]:
    """Action links in the e-mails a person received (text and HTML parts)."""
    found: list[str] = []
    for recipients, message in smtp.inbox.messages:
        if person_email not in recipients:
            continue
        for part in message.walk():
            if part.get_content_maintype() == "text":
                text = part.get_content()
                found += re.findall(r"https?://127\.0\.0\.1:\d+/a/[A-Za-z0-9_.\-]+", text)
    return list(dict.fromkeys(found))


def test_a_teacher_completes_a_stage_from_the_email_and_the_board_shows_it(browser, school, tmp_path):
    from cyclogram import app as services
    from cyclogram import recording
    from cyclogram.reminding import remind

    tracker = school["tracker"]
    # Testing (stage 17) is over, so the upload (stage 20, Волкова, due 18.10) can start: on 14.10 the
    # lead reminder goes to her.
    recording.done(tracker, "spt-usolye-2024", "17", by="melnikova", actor="t", at="2024-10-11", force=True, reason="тест")
    day = dt.date(2024, 10, 14)
    report = remind(tracker, "spt-usolye-2024", day, services.secrets(), send=True, ignore_backoff=True)
    assert report.sent is not None and report.sent.sent > 0
    volkova = tracker.active("spt-usolye-2024").roadmap.people["volkova"].contacts.email
    links = _links_in_mail(school["smtp"], str(volkova))
    assert links, "the reminder e-mail carries no action link"

    teacher = _page(browser, PHONE)
    teacher.goto(links[0])
    _shot(teacher, "teacher-stage-phone")
    assert teacher.locator("#done-form").count() == 1
    document = tmp_path / "vygruzka.pdf"
    document.write_bytes(b"%PDF-1.4\n% protokol vygruzki\n")
    teacher.set_input_files("#done-form input[name=evidence_file]", str(document))
    teacher.fill("#done-form [name=note]", "Выгрузка сделана, файл приложен")
    teacher.click("#done-form [type=submit]")
    teacher.wait_for_load_state()
    assert "выполнен" in teacher.inner_text("#stage-status")
    _shot(teacher, "teacher-stage-done-phone")

    director = _page(browser, LAPTOP)
    _sign_in(director, school["url"], "director@school.example")
    director.goto(f"{school['url']}/r/spt-usolye-2024?person=volkova")
    row = director.locator("#board [data-stage=upload]")
    assert row.count() == 1 and row.get_attribute("data-status") in ("done", "done_late")


def test_a_responsible_person_records_a_request_then_completes_that_occurrence(browser, school, tmp_path):
    from cyclogram import recording
    from cyclogram.links import Links

    plan = tmp_path / "requests.yaml"
    plan.write_text(
        "id: requests\ntitle: Запросы\nacademic_year: 2024-2025\ntimezone: Asia/Irkutsk\n"
        "people: {volkova: {name: Волкова Л.А., contacts: {email: volkova@school.example}}}\nstages:\n"
        "  - {id: answer, number: '7', title: Направить информацию по запросу, trigger: по мере поступления запросов,"
        " within: 2wd, trigger_label: запрос, responsible: [volkova]}\n",
        encoding="utf-8",
    )
    recording.load(school["tracker"], plan, "deputy")
    link = Links(school["tracker"], school["context"].key, school["url"]).issue("requests", "volkova", "answer").url

    teacher = _page(browser, PHONE)
    teacher.goto(link)
    teacher.fill("#trigger-form [name=triggered_at]", "2024-10-14T10:00")
    teacher.fill("#trigger-form [name=note]", "запрос управления № 12")
    teacher.click("#trigger-submit")
    teacher.wait_for_load_state()
    assert teacher.inner_text("#stage-flash") == "Готово: записан повод «запрос 14.10.2024 10:00», срок до 16.10.2024, среда."
    row = teacher.locator("#stage-occurrences tr[data-occurrence='запрос 14.10.2024 10:00']")
    assert row.get_attribute("data-status") == "overdue" and "срок до 16.10.2024" in row.inner_text()
    assert teacher.input_value("#done-form [name=occurrence]") == "запрос 14.10.2024 10:00"  # chosen for the completion

    teacher.fill("#done_on", "2024-10-15")
    teacher.fill("#done-form [name=note]", "ответ отправлен")
    teacher.click("#done-submit")
    teacher.wait_for_load_state()
    assert teacher.inner_text("#stage-flash") == "Готово: этап отмечен выполненным."
    assert row.get_attribute("data-status") == "finished" and "выполнено 15.10.2024" in row.inner_text()
    assert teacher.inner_text("#stage-status") == "выполнен"
    assert teacher.locator("#stage-history tr[data-action='stage.triggered']").count() == 1


def test_expired_revoked_and_foreign_links_get_the_same_404(browser, school):
    from cyclogram import actionlinks

    key, url = school["context"].key, school["url"]
    today = dt.date.today()
    expired = actionlinks.issue(key, "spt-usolye-2024", "volkova", "upload", expires=today - dt.timedelta(days=1))
    forged = actionlinks.issue(b"another key" * 3, "spt-usolye-2024", "volkova", "upload", expires=today + dt.timedelta(days=5))
    page = _page(browser, LAPTOP)
    bodies = []
    for token in (expired, forged, "garbage.token"):
        response = page.goto(f"{url}/a/{token}")
        assert response is not None and response.status == 404
        bodies.append(page.inner_text("main"))
    assert len(set(bodies)) == 1 and "не найдена" in bodies[0]


def test_a_post_without_the_csrf_token_is_refused(browser, school):
    page = _page(browser, LAPTOP)
    _sign_in(page, school["url"], "director@school.example")
    response = page.request.post(f"{school['url']}/signout", form={"csrf": "wrong"})
    assert response.status == 403 and "Доступ запрещён" in response.text()


def test_the_director_filters_by_person_and_exports_xlsx(browser, school):
    import openpyxl

    from cyclogram import recording

    recording.done(school["tracker"], "spt-usolye-2024", "2", by="toropkina", actor="t", at="2024-09-04")
    page = _page(browser, LAPTOP)
    _sign_in(page, school["url"], "director@school.example")
    page.goto(f"{school['url']}/r/spt-usolye-2024?as_of=2024-10-21")
    _shot(page, "board-laptop")
    with page.expect_navigation():  # the filter form submits itself on change (static/app.js)
        page.select_option("#board-filters [name=person]", "volkova")
    assert "person=volkova" in page.url
    rows = page.locator("#board [data-stage]")
    assert rows.count() > 0
    plan = school["tracker"].active("spt-usolye-2024").plan
    volkova_stages = {k for k, p in plan.stages.items() if "volkova" in p.responsible}
    assert {rows.nth(i).get_attribute("data-stage") for i in range(rows.count())} <= volkova_stages
    page.goto(f"{school['url']}/audit")
    _shot(page, "audit-laptop")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    values = [" ".join(str(c) for c in row if c is not None) for row in workbook.active.iter_rows(values_only=True)]
    assert any("Торопкина" in v for v in values)


def test_the_auditor_sees_the_chain_verified_then_broken(browser, school):
    page = _page(browser, LAPTOP)
    _sign_in(page, school["url"], "auditor@uo.example")
    page.goto(f"{school['url']}/audit")
    assert "НАРУШ" not in page.inner_text("#audit-verify").upper().replace("НАРУШЕНИЙ НЕТ", "")
    with sqlite3.connect(school["home"] / "cyclogram.db") as connection:
        connection.execute(
            'INSERT INTO stage_state (roadmap_id, stage_id, occurrence, state, at, "by", forced, audit_seq) '
            "VALUES ('spt-usolye-2024', 'plan', '', 'done', '2024-09-03T12:00:00+08:00', 'toropkina', 0, 1)"
        )
    page.reload()
    verdict = page.inner_text("#audit-verify")
    assert "plan" in verdict and "нет такого события" in verdict
    _shot(page, "audit-broken-laptop")


def test_the_gantt_chart_draws_a_bar_per_dated_stage(browser, school):
    page = _page(browser, LAPTOP)
    _sign_in(page, school["url"], "director@school.example")
    page.goto(f"{school['url']}/r/spt-usolye-2024/gantt")
    plan = school["tracker"].active("spt-usolye-2024").plan
    dated = [p for p in plan.stages.values() if p.occurrences and not p.unknown and any(o.due or o.start for o in p.occurrences)]
    assert page.locator("svg#gantt .bar").count() == len(dated)
    _shot(page, "gantt-laptop")
    page.goto(f"{school['url']}/")
    _shot(page, "roadmaps-laptop")


def test_pages_have_no_inline_script_and_send_the_security_headers(browser, school):
    page = _page(browser, LAPTOP)
    response = page.goto(f"{school['url']}/signin")
    assert response is not None
    headers = response.headers
    assert (
        "script-src 'self'" in headers["content-security-policy"]
        and "frame-ancestors 'none'" in headers["content-security-policy"]
    )
    assert headers["x-frame-options"] == "DENY" and headers["referrer-policy"] == "no-referrer"
    assert page.locator("script:not([src])").count() == 0
    page.set_viewport_size(PHONE)
    _shot(page, "signin-phone")
