"""Issue #13 in the web app: «Записать повод» for a stage on outside events and «Задействовать
резервный этап» for an optional stage, on the stage page, end to end with real parts — the app under
uvicorn on loopback, a real SQLite database, the command line reading what the web recorded.

Who may: editors (signed in) and the stage's responsible people through their action link record a
trigger; editors and the stage's owner activate it; viewers and supervisors are refused. Dates are
computed on the Russian production calendar (2 working days after 31.10.2024 is Saturday 02.11.2024,
a working day by the 2024 transfer, not Monday 04.11, a holiday)."""

from __future__ import annotations

import datetime as dt
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

from cyclogram import app, recording, users
from cyclogram.links import Links
from cyclogram.store import open_store
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app

ROADMAP = """\
id: web-forms
title: Запросы и резервные дни
organization: МБОУ «СОШ №12»
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  toropkina: {name: Торопкина А.А., position: заместитель директора, contacts: {email: toropkina@school.example}}
  volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina, contacts: {email: volkova@school.example}}
  petrova: {name: Петрова П.П., position: классный руководитель, supervisor: toropkina, contacts: {email: petrova@school.example}}
stages:
  - id: answer
    number: "7"
    title: Направить информацию по запросу
    when: В течение 2 рабочих дней со дня получения запроса
    trigger: по мере поступления запросов
    within: 2wd
    trigger_label: запрос
    responsible: [volkova, petrova]
  - {id: main_day, number: "5", title: Основной день ВПР, due: 2025-04-15, responsible: [toropkina]}
  - id: reserve_day
    number: "6"
    title: Резервный день ВПР
    when: может быть использован в случае болезни обучающихся
    due: 2025-04-22
    optional: true
    depends_on: ["5"]
    responsible: [toropkina, volkova]
"""
EDITOR = ("editor@school.example", "editor-password-1")
VIEWER = ("viewer@school.example", "viewer-password-1")


@dataclass
class Site:
    url: str
    tracker: Tracker
    context: WebContext
    env: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=60)

    def link(self, person: str, stage: str) -> str:
        """The path of a person's action link to a stage."""
        url = Links(self.tracker, self.context.key, self.url).issue("web-forms", person, stage).url
        return "/" + url.split("/", 3)[3]

    def cli_json(self, *args: str) -> list[dict] | dict:
        done = subprocess.run(
            [sys.executable, "-m", "cyclogram", *args, "--format", "json"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def events(self, action: str) -> list[dict]:
        history = self.cli_json("history", "web-forms")
        assert isinstance(history, list)
        return [event for event in history if event["action"] == action]

    def status(self) -> dict[str, dict]:
        status = self.cli_json("status", "web-forms")
        assert isinstance(status, dict)
        return {row["id"]: row for row in status["stages"]}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    home = tmp_path / "home"
    database = f"sqlite:///{tmp_path / 'cyclogram.db'}"
    monkeypatch.setenv("CYCLOGRAM_HOME", str(home))
    for name in ("CYCLOGRAM_BASE_URL", "CYCLOGRAM_SECRET_WEB_SECRET", "CYCLOGRAM_SECRET_AUDIT_KEY", "CYCLOGRAM_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "web-forms.yaml").write_text(ROADMAP, encoding="utf-8")
    store = open_store(database)
    tracker = Tracker(store, home / "evidence")
    recording.load(tracker, tmp_path / "web-forms.yaml", "deputy")
    for address, password in (EDITOR, VIEWER):
        users.add(store, address, address.split("@")[0], address.split("@")[0], password, "setup")
    context = WebContext(tracker, app.web_key(), "")
    server = AppServer(create_app(context, quiet=True))
    context.base_url = server.url
    env = {**os.environ, "CYCLOGRAM_HOME": str(home), "CYCLOGRAM_DATABASE_URL": database, "COLUMNS": "200"}
    with server:
        yield Site(server.url, tracker, context, env)
    store.close()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found[1]


def shown(page: str, element: str) -> str:
    """The text of `#stage-error`, `#stage-flash`, `#stage-status`, … ("" when absent)."""
    found = re.search(rf'id="{element}"[^>]*>([^<]+)<', page)
    return found[1].strip() if found else ""


def occurrence_rows(page: str) -> dict[str, tuple[str, str]]:
    """The occurrences table: label → (due date ISO, status value)."""
    return {
        m["label"]: (m["due"], m["status"])
        for m in re.finditer(
            r'<tr class="occurrence[^"]*" data-occurrence="(?P<label>[^"]*)" data-due="(?P<due>[^"]*)" data-status="(?P<status>[^"]*)"',
            page,
        )
    }


def post_form(client: httpx.Client, path: str, action: str, **fields: str) -> httpx.Response:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf": csrf_of(page.text), "action": action, **fields})


def signed_in(site: Site, account: tuple[str, str]) -> httpx.Client:
    client = site.client()
    form = client.get("/signin")
    answer = client.post("/signin", data={"csrf": csrf_of(form.text), "email": account[0], "password": account[1], "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


# --- «Записать повод» ------------------------------------------------------------------------------


def test_an_editor_records_a_trigger_and_the_page_shows_its_occurrence_due_two_working_days_later(site: Site) -> None:
    editor = signed_in(site, EDITOR)
    page = editor.get("/r/web-forms/s/7")
    assert page.status_code == 200 and 'id="trigger-form"' in page.text
    assert "срок — в течение 2 рабочих дней после повода" in page.text
    assert 'id="activate-form"' not in page.text  # not an optional stage

    answer = post_form(editor, "/r/web-forms/s/7", "trigger", triggered_at="2024-10-14T10:00", note="запрос управления № 12")
    assert answer.status_code == 303, shown(answer.text, "stage-error")
    assert (
        answer.headers["location"]
        == "/r/web-forms/s/7?ok=triggered&occurrence=%D0%B7%D0%B0%D0%BF%D1%80%D0%BE%D1%81%2014.10.2024%2010%3A00"
    )
    after = editor.get(answer.headers["location"])
    assert shown(after.text, "stage-flash") == "Готово: записан повод «запрос 14.10.2024 10:00», срок до 16.10.2024, среда."
    assert occurrence_rows(after.text) == {"запрос 14.10.2024 10:00": ("2024-10-16", "overdue")}
    assert "срок до 16.10.2024" in after.text
    assert shown(after.text, "stage-status") == "просрочен"
    # the completion form offers the new occurrence, chosen
    assert '<option value="запрос 14.10.2024 10:00" selected>' in after.text

    triggered = site.events("stage.triggered")
    assert len(triggered) == 1
    event = triggered[0]
    assert event["actor"] == EDITOR[0] and event["stage_id"] == "answer"
    assert event["payload"]["channel"] == "web" and event["payload"]["occurrence"] == "запрос 14.10.2024 10:00"
    assert event["payload"]["at"] == "2024-10-14T10:00:00+08:00" and event["payload"]["note"] == "запрос управления № 12"
    row = site.status()["answer"]
    assert (row["occurrence"], row["due"], row["status"]) == ("запрос 14.10.2024 10:00", "2024-10-16", "overdue")

    history = re.search(r'<tr class="event" data-action="stage.triggered"[^>]*>(.*?)</tr>', after.text, re.S)
    assert history, "the stage's history does not show the trigger"
    assert "записан повод" in history[1] and "запрос управления № 12" in history[1] and "в веб-приложении" in history[1]

    # The same form sent again: one moment, one occurrence — refused, nothing recorded.
    again = editor.post(
        "/r/web-forms/s/7", data={"csrf": csrf_of(page.text), "action": "trigger", "triggered_at": "2024-10-14T10:00"}
    )
    assert again.status_code == 422
    assert shown(again.text, "stage-error") == "Повод «запрос 14.10.2024 10:00» этапа 7 уже записан"
    assert len(site.events("stage.triggered")) == 1


def test_a_responsible_person_records_a_trigger_through_the_link_on_the_russian_calendar(site: Site) -> None:
    browser = site.client()
    link = site.link("petrova", "answer")
    page = browser.get(link)
    assert 'id="trigger-form"' in page.text and "/signin" not in page.text
    for when in ("2024-10-31T09:30", "2024-11-05T11:00"):
        answer = post_form(browser, link, "trigger", triggered_at=when)
        assert answer.status_code == 303, shown(answer.text, "stage-error")
    after = browser.get(answer.headers["location"])
    # 31.10 + 2 working days: 01.11 and Saturday 02.11 (a working day in 2024); 04.11 is a holiday
    assert occurrence_rows(after.text) == {
        "запрос 31.10.2024 09:30": ("2024-11-02", "overdue"),
        "запрос 05.11.2024 11:00": ("2024-11-07", "overdue"),
    }
    assert shown(after.text, "stage-flash") == "Готово: записан повод «запрос 05.11.2024 11:00», срок до 07.11.2024, четверг."
    # the link is not bound to one occurrence: the person chooses which one a completion closes
    assert '<select id="occurrence" name="occurrence">' in after.text

    events = site.events("stage.triggered")
    assert [e["payload"]["occurrence"] for e in events] == ["запрос 31.10.2024 09:30", "запрос 05.11.2024 11:00"]
    assert all(e["actor"].startswith("link:") and e["payload"]["by"] == "petrova" for e in events)
    assert all(e["payload"]["channel"] == "web" for e in events)

    done = post_form(browser, link, "done", occurrence="запрос 05.11.2024 11:00", done_on="2024-11-06")
    assert done.status_code == 303, shown(done.text, "stage-error")
    rows = occurrence_rows(browser.get(link).text)
    assert rows["запрос 05.11.2024 11:00"] == ("2024-11-07", "finished")
    assert rows["запрос 31.10.2024 09:30"] == ("2024-11-02", "overdue")  # still open
    completion = site.events("stage.done")[0]["payload"]
    assert completion["occurrence"] == "запрос 05.11.2024 11:00" and completion["by"] == "petrova"


def test_trigger_refusals(site: Site) -> None:
    browser = site.client()
    link = site.link("volkova", "answer")
    page = browser.get(link)
    no_csrf = browser.post(link, data={"action": "trigger", "triggered_at": "2024-10-14T10:00"})
    assert no_csrf.status_code == 403 and "Форма устарела" in shown(no_csrf.text, "stage-error")

    future = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    refused = post_form(browser, link, "trigger", triggered_at=future, note="ещё не пришёл")
    assert refused.status_code == 422
    assert shown(refused.text, "stage-error").startswith("Дата повода ") and "ещё не наступила" in refused.text
    assert 'value="' + future + '"' in refused.text and "ещё не пришёл" in refused.text  # what was typed is kept

    ancient = post_form(browser, link, "trigger", triggered_at="1812-09-07T10:00")
    assert ancient.status_code == 422
    assert shown(ancient.text, "stage-error") == "Дата «1812-09-07T10:00» вне допустимого диапазона 1900–2200: проверьте год"
    nonsense = post_form(browser, link, "trigger", triggered_at="когда-нибудь")
    assert nonsense.status_code == 422 and shown(nonsense.text, "stage-error").startswith("Непонятная дата «когда-нибудь»")

    # a supervisor's link (escalations) shows the stage without the form, and a crafted POST is refused
    supervisor = Links(site.tracker, site.context.key, site.url).issue("web-forms", "toropkina", "answer").url
    supervisor_path = "/" + supervisor.split("/", 3)[3]
    look = browser.get(supervisor_path)
    assert look.status_code == 200 and 'id="trigger-form"' not in look.text
    token = supervisor_path.rsplit("/", 1)[1]
    crafted = browser.post(supervisor_path, data={"csrf": site.context.mac("csrf-link", token), "action": "trigger"})
    assert (
        crafted.status_code == 403 and shown(crafted.text, "stage-error") == "Записать повод может только ответственный за этап."
    )

    # a stage with a date of its own has no trigger form; a crafted POST gets the use case's refusal
    editor = signed_in(site, EDITOR)
    own_date = editor.get("/r/web-forms/s/5")
    assert 'id="trigger-form"' not in own_date.text
    wrong = editor.post("/r/web-forms/s/5", data={"csrf": csrf_of(own_date.text), "action": "trigger"})
    assert wrong.status_code == 422
    assert shown(wrong.text, "stage-error").startswith("Этап 5 наступает не по внешнему поводу: у него свой срок")

    # a viewer looks, without the form, and may not post
    viewer = signed_in(site, VIEWER)
    look = viewer.get("/r/web-forms/s/7")
    assert look.status_code == 200 and 'id="trigger-form"' not in look.text
    assert viewer.post("/r/web-forms/s/7", data={"csrf": csrf_of(look.text), "action": "trigger"}).status_code == 403

    assert site.events("stage.triggered") == []
    unchanged = browser.get(link).text
    assert 'data-action="stage.triggered"' not in unchanged and 'id="stage-occurrences"' not in unchanged
    assert page.status_code == 200


# --- «Задействовать резервный этап» -------------------------------------------------------------------


def test_an_editor_activates_a_reserve_stage_once(site: Site) -> None:
    editor = signed_in(site, EDITOR)
    page = editor.get("/r/web-forms/s/reserve_day")
    assert shown(page.text, "stage-status") == "резерв, не задействован"
    assert 'id="activate-form"' in page.text and 'id="activate_by"' in page.text
    assert shown(page.text, "stage-activation") == "не задействован"

    no_reason = post_form(editor, "/r/web-forms/s/reserve_day", "activate", by="toropkina", reason="  ")
    assert (
        no_reason.status_code == 422 and shown(no_reason.text, "stage-error") == "Напишите, почему резервный этап задействован."
    )

    answer = post_form(editor, "/r/web-forms/s/reserve_day", "activate", by="toropkina", reason="заболели 4 обучающихся")
    assert answer.status_code == 303 and answer.headers["location"] == "/r/web-forms/s/reserve_day?ok=activated"
    after = editor.get(answer.headers["location"])
    assert shown(after.text, "stage-flash") == "Готово: резервный этап задействован, срок до 22.04.2025, вторник."
    # now an ordinary stage: its date has passed while stage 5 is still open — late while blocked
    assert shown(after.text, "stage-status") == "просрочен"
    assert "ждёт этап 5 (Торопкина А.А.)" in shown(after.text, "stage-status-detail")
    assert shown(after.text, "stage-activation").startswith("задействован ") and "(Торопкина А.А.)" in after.text
    assert "Причина: заболели 4 обучающихся" in after.text
    assert 'id="activate-form"' not in after.text

    activated = site.events("stage.activated")
    assert len(activated) == 1
    assert activated[0]["actor"] == EDITOR[0] and activated[0]["stage_id"] == "reserve_day"
    payload = activated[0]["payload"]
    assert (payload["by"], payload["reason"], payload["channel"]) == ("toropkina", "заболели 4 обучающихся", "web")
    row = site.status()["reserve_day"]
    assert (row["status"], row["due"], row["late_while_blocked"]) == ("overdue", "2025-04-22", True)

    # a second activation (a stale tab): a clear refusal, nothing recorded
    twice = editor.post(
        "/r/web-forms/s/reserve_day",
        data={"csrf": csrf_of(page.text), "action": "activate", "by": "toropkina", "reason": "ещё раз"},
    )
    assert twice.status_code == 422
    assert re.fullmatch(
        r"Резервный этап 6 уже задействован \d\d\.\d\d\.\d{4}(?: \d\d:\d\d)? \(Торопкина А\.А\.\)",
        shown(twice.text, "stage-error"),
    )
    assert len(site.events("stage.activated")) == 1


def test_only_the_owner_activates_through_the_link_and_a_plain_stage_is_refused(site: Site) -> None:
    browser = site.client()
    volkova = site.link("volkova", "reserve_day")  # responsible, but not the owner
    page = browser.get(volkova)
    assert 'id="done-form"' in page.text and 'id="activate-form"' not in page.text and 'id="skip-form"' not in page.text
    refused = browser.post(volkova, data={"csrf": csrf_of(page.text), "action": "activate", "reason": "болезнь"})
    assert refused.status_code == 403
    assert shown(refused.text, "stage-error") == "Задействовать резервный этап может только его ответственный (первый в списке)."

    owner = site.link("toropkina", "reserve_day")
    answer = post_form(browser, owner, "activate", reason="карантин в 4 «Б»")
    assert answer.status_code == 303
    assert shown(browser.get(answer.headers["location"]).text, "stage-activation").startswith("задействован ")
    event = site.events("stage.activated")[0]
    assert event["actor"].startswith("link:") and event["payload"]["by"] == "toropkina" and event["payload"]["channel"] == "web"

    editor = signed_in(site, EDITOR)
    plain = editor.get("/r/web-forms/s/5")
    wrong = editor.post("/r/web-forms/s/5", data={"csrf": csrf_of(plain.text), "action": "activate", "reason": "так надо"})
    assert wrong.status_code == 422
    assert shown(wrong.text, "stage-error") == "Этап 5 не резервный (optional: true не указано): задействовать его не нужно"
    assert len(site.events("stage.activated")) == 1


# --- the board -----------------------------------------------------------------------------------------


def test_the_board_lists_every_open_occurrence_and_the_reserve_words_as_status_does(site: Site) -> None:
    for moment in ("14.10.2024 10:00", "17.10.2024 15:00"):
        recording.trigger(site.tracker, "web-forms", "answer", actor="t", at=moment)
    editor = signed_in(site, EDITOR)
    board = editor.get("/r/web-forms").text
    line = re.search(r'<tr class="stage row-overdue" data-stage="answer".*?</tr>', board, re.S)
    assert line, "the triggered stage is not on the board as overdue"
    assert "14.10.2024 – 16.10.2024 (запрос 14.10.2024 10:00)" in line[0]
    assert '<div class="muted more-occurrence">17.10.2024 – 21.10.2024 (запрос 17.10.2024 15:00) — просрочен</div>' in line[0]
    reserve = re.search(r'data-stage="reserve_day".*?</tr>', board, re.S)
    assert reserve and "резерв, не задействован" in reserve[0]
    status = site.status()
    assert status["answer"]["open_occurrences"] == ["запрос 14.10.2024 10:00", "запрос 17.10.2024 15:00"]
    assert status["reserve_day"]["status_text"] == "резерв, не задействован"
