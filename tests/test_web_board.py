"""The board, the Gantt chart and «Мои этапы» with real parts: a SQLite file, the app under uvicorn,
httpx, a real sign-in (an account written into web_user with an argon2 hash, then POST /signin)."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from helpers import HEADER, ROADMAPS, ROOT, AppServer

from cyclogram import actionlinks, recording
from cyclogram.feeds import Feeds
from cyclogram.links import Links
from cyclogram.store import Store, open_store
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app

KEY = b"k" * 32
BASE_URL = "http://school.example"
PASSWORD = "верный-пароль-2024"
SPT = ROADMAPS / "spt-usolye-2024.yaml"
ZONE = ZoneInfo("Asia/Irkutsk")


def school_year(today: dt.date) -> str:
    first = today.year if today.month >= 9 else today.year - 1
    return f"{first}-{first + 1}"


def small_roadmap(today: dt.date) -> str:
    """Two sections, dates around today (the person's page is about today)."""
    day = lambda days: (today + dt.timedelta(days=days)).isoformat()  # noqa: E731
    return HEADER.replace("academic_year: 2024-2025", f"academic_year: {school_year(today)}") + (
        "roles:\n"
        "  class_teachers: {title: Классные руководители, members: [volkova]}\n"
        "sections:\n"
        '  - number: "1."\n'
        "    title: Подготовка\n"
        "    stages:\n"
        f'      - {{id: late, number: "1", title: "Отчёт <b>о</b> работе & итогах", due: {day(-10)}, responsible: [volkova]}}\n'
        f'      - {{id: plan, number: "2", title: План работы, due: {day(30)}, responsible: [toropkina]}}\n'
        f'      - {{id: forms, number: "3", title: Бланки согласий, due: {day(40)}, responsible: [volkova], depends_on: [plan]}}\n'
        '  - number: "2."\n'
        "    title: Итоги и выводы\n"
        "    stages:\n"
        f'      - {{id: upload, number: "4", title: Выгрузка результатов, due: {day(60)}, responsible: [toropkina]}}\n'
        "      - {id: always, number: '5', title: Обеспечить конфиденциальность, due: постоянно, responsible: [class_teachers]}\n"
    )


@dataclass
class Site:
    tracker: Tracker
    store: Store
    url: str
    home: Path


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[Site]:
    monkeypatch.setenv("CYCLOGRAM_HOME", str(tmp_path))
    monkeypatch.setenv("CYCLOGRAM_SECRETS_FILE", str(tmp_path / "none.env"))
    store = open_store(f"sqlite:///{tmp_path / 'cyclogram.db'}")
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    today = dt.datetime.now(ZONE).date()
    small = tmp_path / "small.yaml"
    small.write_text(small_roadmap(today), encoding="utf-8")
    recording.load(tracker, small, "deputy")
    app = create_app(WebContext(tracker, KEY, BASE_URL), quiet=True)
    with AppServer(app) as server:
        yield Site(tracker, store, server.url, tmp_path)
    store.close()


def add_account(store: Store, email: str, role: str) -> None:
    """An account written straight into web_user, as the administrator's tools would leave it."""
    from argon2 import PasswordHasher
    from sqlalchemy import text

    with store.write() as session:
        session.connection().execute(
            text(
                "INSERT INTO web_user (email, name, role, password_hash, created_at, created_by) "
                "VALUES (:email, :name, :role, :hash, :at, 'test')"
            ),
            {
                "email": email,
                "name": "Торопкина А.А.",
                "role": role,
                "hash": PasswordHasher().hash(PASSWORD),
                "at": "2024-09-01T00:00:00+00:00",
            },
        )


@contextmanager
def signed_in(site: Site, role: str = "viewer") -> Iterator[httpx.Client]:
    """A browser signed in through the sign-in form, as an account of `role`."""
    email = f"{role}@school.example"
    add_account(site.store, email, role)
    with httpx.Client(base_url=site.url, timeout=60) as client:
        form = client.get("/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text
        answer = client.post("/signin", data={"csrf": csrf.group(1), "email": email, "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text
        yield client


def rows(html: str) -> list[tuple[str, str]]:
    """(stage id, status) of every stage row of a page."""
    return re.findall(r'<tr class="stage row-[a-z_]+" data-stage="([^"]+)" data-status="([a-z_]+)"', html)


def section_of(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.DOTALL)
    assert match, section_id
    return match.group(0)


# --- signed in ----------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in(site):
    with httpx.Client(base_url=site.url) as client:
        for path in ("/", "/r/spt-usolye-2024", "/r/spt-usolye-2024/gantt", "/r/spt-usolye-2024/people/volkova"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/signin"), path


def test_the_list_of_roadmaps(site):
    with signed_in(site) as client:
        page = client.get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert 'href="/r/spt-usolye-2024"' in html and 'href="/r/test-roadmap"' in html
    assert "План проведения СПТ по ЕМ" in html and "МБОУ «СОШ №12», г. Усолье-Сибирское" in html
    assert "Тестовая дорожная карта" in html
    assert "2024-2025" in html  # the academic year
    overdue = re.search(r'href="/r/test-roadmap\?status=overdue">(\d+)</a>', html)
    assert overdue and overdue.group(1) == "1"  # "late" is overdue today
    listed = [row.id for row in site.tracker.roadmaps()]  # what `cyclogram roadmaps` lists
    assert re.findall(r'<tr data-roadmap="([^"]+)"', html) == listed


def test_the_board_lists_sections_and_statuses(site):
    with signed_in(site) as client:
        page = client.get("/r/spt-usolye-2024", params={"as_of": "2024-10-14"})
        small = client.get("/r/test-roadmap")
        by_path = client.get("/r/spt-usolye-2024.yaml")
        unknown = client.get("/r/no-such-roadmap")
    assert page.status_code == 200
    html = page.text
    assert 'id="board"' in html and 'id="board-filters"' in html and "data-autosubmit" in html
    found = rows(html)
    expected = site.tracker.status("spt-usolye-2024", dt.date(2024, 10, 14))
    assert found == [(key, row.status.value) for key, row in expected.stages.items()]
    assert 'class="badge status-overdue">просрочен<' in html and "заблокирован" in html and "скоро срок" in html
    assert 'value="2024-10-14"' in html  # the date picker shows the day asked for
    # the counts: late while blocked counts as overdue (11 of the 14), as everywhere (issue #13)
    late_waiting = [r for r in expected.stages.values() if r.late_while_blocked]
    assert len(late_waiting) == 11 and all(r.status.value == "overdue" for r in late_waiting)
    assert "просрочен: 14" in html and "заблокирован: 11" in html

    sections = re.findall(r'<span class="section-title">([^<]+)</span>', small.text)
    assert [unescape(s) for s in sections] == ["1. Подготовка", "2. Итоги и выводы"]
    assert "Отчёт &lt;b&gt;о&lt;/b&gt; работе &amp; итогах" in small.text  # escaped
    assert 'href="/r/test-roadmap/s/late"' in small.text  # titles open the stage page
    assert by_path.status_code == 404  # an id only: a web address never names a file on the server
    assert unknown.status_code == 404 and "не загружена" in unknown.text


def test_filters_narrow_the_rows(site):
    status = site.tracker.status("spt-usolye-2024", dt.date(2024, 10, 14))
    with signed_in(site) as client:

        def board(**params: str) -> str:
            answer = client.get("/r/spt-usolye-2024", params={"as_of": "2024-10-14", **params})
            assert answer.status_code == 200
            return answer.text

        overdue = rows(board(status="overdue"))
        volkova = rows(board(person="volkova"))
        both = rows(board(person="toropkina", status="overdue"))
        role = rows(board(role="class_teachers"))
        unknown = board(person="nobody")
        small_section = rows(client.get("/r/test-roadmap", params={"section": "2. Итоги и выводы"}).text)
        no_section = client.get("/r/test-roadmap", params={"section": "9. Нет такого"}).text
    assert overdue and {s for _, s in overdue} == {"overdue"} and len(overdue) < len(status.stages)
    assert [key for key, _ in volkova] == [row.stage_id for row in status.for_person("volkova")]
    late_for_toropkina = [r.stage_id for r in status.for_person("toropkina") if r.status.value == "overdue"]
    assert [key for key, _ in both] == late_for_toropkina and late_for_toropkina[:2] == ["include_in_plan", "plan"]
    assert "teachers_council" in late_for_toropkina  # late while it waits for «plan»
    members = set(status.plan.roadmap.roles["class_teachers"].members)
    assert role and all(members & set(status.plan.stages[key].responsible) for key, _ in role)
    assert "нет человека «nobody»" in unknown and len(rows(unknown)) == len(status.stages)
    assert [key for key, _ in small_section] == ["upload", "always"]
    assert "нет раздела «9. Нет такого»" in no_section and len(rows(no_section)) == 5


def test_a_completion_shows_on_the_next_request(site):
    with signed_in(site) as client:
        before = dict(rows(client.get("/r/test-roadmap").text))
        assert before["late"] == "overdue"
        recording.done(site.tracker, "test-roadmap", "late", by="volkova", actor="test")
        after = dict(rows(client.get("/r/test-roadmap").text))
        gantt = client.get("/r/test-roadmap/gantt").text
    assert after["late"] == "done_late"
    assert re.search(r'<g class="bar s-done_late" data-stage="late"', gantt)


def test_the_gantt_page(site):
    with signed_in(site) as client:
        page = client.get("/r/spt-usolye-2024/gantt", params={"as_of": "2024-10-14"})
        filtered = client.get("/r/spt-usolye-2024/gantt", params={"as_of": "2024-10-14", "person": "volkova"})
    assert page.status_code == 200
    assert '<svg id="gantt"' in page.text and page.text.count('<g class="bar ') == 28
    assert "сегодня, 14.10.2024" in page.text
    assert "<script" not in page.text.split("</head>", 1)[1]  # no inline script (the CSP forbids it)
    status = site.tracker.status("spt-usolye-2024", dt.date(2024, 10, 14))
    assert filtered.text.count('<g class="bar ') == len(status.for_person("volkova"))


def test_a_signed_in_persons_page_links_to_stage_pages(site):
    with signed_in(site, "admin") as client:
        page = client.get("/r/test-roadmap/people/volkova")
        missing = client.get("/r/test-roadmap/people/nobody")
    assert page.status_code == 200 and missing.status_code == 404
    overdue = section_of(page.text, "my-overdue")
    assert 'data-stage="late"' in overdue and 'href="/r/test-roadmap/s/late"' in overdue
    assert "/a/" not in page.text  # a signed-in visitor never gets the teacher's own action links
    assert re.search(r'id="calendar-url" type="text" readonly value="http://school\.example/calendars/[\w-]+\.ics"', page.text)


def test_a_viewer_sees_no_new_calendar_link_created_for_them(site):
    with signed_in(site, "viewer") as client:
        page = client.get("/r/test-roadmap/people/volkova")
    assert page.status_code == 200 and 'id="calendar-url"' not in page.text
    assert site.tracker.verify_state() == []


# --- a person's own link ----------------------------------------------------------------------------


def person_token(roadmap: str = "test-roadmap", person: str = "volkova", stage: str = "", **options: object) -> str:
    expires = options.pop("expires", dt.date.today() + dt.timedelta(days=actionlinks.PERSON_LINK_DAYS))
    return actionlinks.issue(KEY, roadmap, person, stage, expires=expires)  # type: ignore[arg-type]


def test_a_persons_own_page_by_link(site):
    token = person_token()
    with httpx.Client(base_url=site.url) as client:
        page = client.get(f"/p/{token}")
        again = client.get(f"/p/{token}")
        html = page.text
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        for section in ("my-overdue", "my-week", "my-next", "my-done"):
            assert f'id="{section}"' in html
        overdue = section_of(html, "my-overdue")
        assert 'data-stage="late"' in overdue and "просрочен" in overdue
        links = re.findall(r'href="/a/([^"]+)"', overdue)
        assert len(links) == 1
        link = actionlinks.read(KEY, unescape(links[0]), dt.date.today())
        assert link is not None and (link.roadmap_id, link.person, link.stage_id) == ("test-roadmap", "volkova", "late")
        assert 'href="/signin"' not in html  # a link page: nothing to sign in to
        url = re.search(r'id="calendar-url" type="text" readonly value="(http://school\.example/calendars/([\w-]+)\.ics)"', html)
        assert url, html
        assert 'data-copy="calendar-url"' in html and "Добавить по URL" in html and "Подписаться из Интернета" in html
        assert url.group(1) in again.text  # the same feed is reused, not a new one per visit
        calendar = client.get(f"/calendars/{url.group(2)}.ics")
    assert calendar.status_code == 200 and b"SUMMARY:1. " in calendar.content
    assert "toropkina" not in section_of(html, "my-next")  # only the person's stages
    feeds = Feeds(site.tracker).list("test-roadmap")
    assert [(f.scope, f.scope_key) for f in feeds] == [("person", "volkova")]


def test_recently_done_on_the_persons_page(site):
    recording.done(site.tracker, "test-roadmap", "late", by="volkova", actor="test")
    with httpx.Client(base_url=site.url) as client:
        html = client.get(f"/p/{person_token()}").text
    assert 'data-stage="late"' in section_of(html, "my-done")
    assert 'data-stage="late"' not in section_of(html, "my-overdue")


def test_person_link_tokens_are_masked_in_the_access_log():
    from cyclogram.web.app import mask_path

    token = person_token()
    assert token not in mask_path(f"/p/{token}") and mask_path(f"/p/{token}") == f"/p/{token[:6]}…"


def test_bad_person_links_are_404(site):
    genuine = person_token()
    body, signature = genuine.split(".")
    forged = f"{body}.{'A' * len(signature)}"
    stage_link = person_token(stage="late")
    expired = person_token(expires=dt.date.today() - dt.timedelta(days=2))
    other_roadmap = person_token(roadmap="no-such-roadmap")
    stranger = person_token(person="nobody")
    revoked = person_token()
    reset = person_token(person="toropkina")
    links = Links(site.tracker, KEY, BASE_URL)  # how the command line revokes them
    links.revoke(f"{BASE_URL}/p/{revoked}", "deputy")
    links.reset_person("test-roadmap", "toropkina", "deputy")
    with httpx.Client(base_url=site.url) as client:
        assert client.get(f"/p/{genuine}").status_code == 200
        for token in (forged, stage_link, expired, other_roadmap, stranger, revoked, reset, "nonsense", "a.b"):
            answer = client.get(f"/p/{token}")
            assert answer.status_code == 404, token
            assert "Страница не найдена" in answer.text


# --- a big roadmap ------------------------------------------------------------------------------------


def test_a_ten_thousand_stage_board_answers(site, capsys):
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import synthetic_roadmap

    path = site.home / "synthetic.yaml"
    path.write_text(synthetic_roadmap(10_000), encoding="utf-8")
    recording.load(site.tracker, path, "deputy")
    with signed_in(site) as client:
        timings = {}
        for name, target, params in (
            ("board (first)", "/r/synthetic", {"as_of": "2024-12-02"}),
            ("board", "/r/synthetic", {"as_of": "2024-12-02"}),
            ("board, page 3", "/r/synthetic", {"as_of": "2024-12-02", "page": "3"}),
            ("board, one person", "/r/synthetic", {"as_of": "2024-12-02", "person": "p7"}),
            ("gantt", "/r/synthetic/gantt", {"as_of": "2024-12-02"}),
            ("list of roadmaps", "/", {}),
        ):
            started = time.perf_counter()
            answer = client.get(target, params=params)
            timings[name] = time.perf_counter() - started
            assert answer.status_code == 200, name
            if name == "board":
                board = answer.text
            if name == "gantt":
                gantt = answer.text
    assert len(rows(board)) == 200 and "страница 1 из 50" in board
    assert board.count('<span class="section-title">') == 2  # the page's 200 rows span two sections
    assert len(re.findall(r'<li><a href="/r/synthetic\?section=', board)) == 100  # every section's progress
    assert gantt.count('<g class="bar ') == 400 and 'id="gantt-limited"' in gantt
    with capsys.disabled():
        print("\n10,000-stage roadmap: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items()))


def test_after_a_reset_a_new_page_link_gives_working_stage_links(site):
    links = Links(site.tracker, KEY, BASE_URL)
    old = person_token()
    links.reset_person("test-roadmap", "volkova", "deputy")
    fresh = links.issue("test-roadmap", "volkova")  # what `cyclogram links issue` prints
    assert fresh.url.startswith(f"{BASE_URL}/p/")
    with httpx.Client(base_url=site.url) as client:
        assert client.get(f"/p/{old}").status_code == 404
        page = client.get(f"/p/{fresh.token}")
    assert page.status_code == 200
    (stage_token,) = re.findall(r'href="/a/([^"]+)"', section_of(page.text, "my-overdue"))
    today = site.tracker.active("test-roadmap").today()
    assert links.check(unescape(stage_token), today) is not None  # not revoked by the reset of this very second
