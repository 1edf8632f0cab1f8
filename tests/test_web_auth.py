"""Signing in, sessions, roles and the administrator's pages over real HTTP: a SQLite file, the app
under uvicorn on loopback, httpx as the browser; and the `cyclogram users` commands as processes."""

from __future__ import annotations

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
from argon2 import PasswordHasher
from helpers import ROADMAPS, AppServer
from sqlmodel import select

from cyclogram import recording, users
from cyclogram.store import open_store
from cyclogram.store.audit import HistoryFilter
from cyclogram.store.tables import WebUserRow
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app
from cyclogram.web.auth import GENERIC_ERROR, SignInLimiter, check_sign_in, safe_next

SPT = ROADMAPS / "spt-usolye-2024.yaml"
PASSWORDS = {
    "admin@school.example": "admin-password-1",
    "viewer@school.example": "viewer-password-1",
    "auditor@school.example": "auditor-password-1",
    "editor@school.example": "editor-password-1",
}


@dataclass
class Site:
    url: str
    tracker: Tracker
    context: WebContext
    database: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("CYCLOGRAM_HOME", str(tmp_path / "home"))  # no secrets file: no audit key
    monkeypatch.delenv("CYCLOGRAM_SECRET_AUDIT_KEY", raising=False)
    database = f"sqlite:///{tmp_path / 'cyclogram.db'}"
    store = open_store(database)
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    for email, password in PASSWORDS.items():
        role = email.split("@")[0]
        users.add(store, email, f"Пользователь {role}", role, password, "setup")
    context = WebContext(tracker, b"k" * 32, "http://127.0.0.1")
    with AppServer(create_app(context, quiet=True)) as running:
        yield Site(running.url, tracker, context, database)
    store.close()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found[1]


def sign_in(client: httpx.Client, email: str, password: str | None = None, next_path: str = "/") -> httpx.Response:
    form = client.get("/signin")
    assert form.status_code == 200
    data = {
        "csrf": csrf_of(form.text),
        "email": email,
        "password": password or PASSWORDS[email.strip().lower()],
        "next": next_path,
    }
    return client.post("/signin", data=data)


def signed_in(site: Site, email: str) -> httpx.Client:
    client = site.client()
    answer = sign_in(client, email)
    assert answer.status_code == 303, answer.text
    return client


def error_text(page: str) -> str:
    found = re.search(r'id="signin-error"[^>]*>([^<]*)<', page)
    assert found, "no error on the page"
    return found[1]


# --- signing in -----------------------------------------------------------------------------------


def test_sign_in_works_and_the_session_survives(site: Site):
    client = site.client()
    form = client.get("/signin")
    for field in ('name="email"', 'name="password"', 'name="csrf"', 'id="signin-form"'):
        assert field in form.text
    answer = sign_in(client, "ADMIN@School.example ", next_path="/audit")  # case and spaces do not matter
    assert answer.status_code == 303 and answer.headers["location"] == "/audit"
    cookie = answer.headers["set-cookie"].lower()
    assert "cyclogram_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    for _ in range(2):
        page = client.get("/audit")
        assert page.status_code == 200 and "Пользователь admin" in page.text
    assert client.get("/users").status_code == 200
    assert site.client().get("/audit").status_code == 303  # another browser is not signed in
    (admin,) = [u for u in users.list_users(site.tracker.store) if u.email == "admin@school.example"]
    assert admin.last_sign_in_at is not None
    # signing out ends the session
    out = client.post("/signout", data={"csrf": csrf_of(client.get("/users").text)})
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert client.get("/users").status_code == 303


def test_wrong_password_and_unknown_email_give_the_same_answer(site: Site, monkeypatch: pytest.MonkeyPatch):
    client = site.client()
    verified: list[str] = []
    real_verify = users.verify_password

    def counted(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(users, "verify_password", counted)
    wrong = sign_in(client, "admin@school.example", "not-the-password")
    unknown = sign_in(client, "nobody@school.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert error_text(wrong.text) == error_text(unknown.text) == GENERIC_ERROR
    # The unknown e-mail is checked against a dummy argon2 hash, so it costs one verification too
    # (the same work as a wrong password: the answer's timing does not tell which accounts exist).
    assert len(verified) == 2 and verified[1] == users.dummy_hash() and verified[0] != verified[1]
    assert all(h.startswith("$argon2") for h in verified)
    users.disable(site.tracker.store, "viewer@school.example", "setup")
    disabled = sign_in(client, "viewer@school.example")  # the right password of a disabled account
    assert disabled.status_code == 401 and error_text(disabled.text) == GENERIC_ERROR


def test_the_sixth_failure_is_refused_with_429(site: Site):
    client = site.client()
    for _ in range(5):
        assert sign_in(client, "admin@school.example", "guess-guess-guess").status_code == 401
    sixth = sign_in(client, "admin@school.example", "guess-guess-guess")
    assert sixth.status_code == 429
    assert "Слишком много неудачных попыток входа" in sixth.text and "Traceback" not in sixth.text
    assert 0 < int(sixth.headers["retry-after"]) <= 15 * 60
    assert sign_in(client, "admin@school.example").status_code == 429  # even the right password waits


def test_failures_are_counted_per_client_address_too(site: Site):
    client = site.client()
    for n in range(5):
        assert sign_in(client, f"guess{n}@school.example", "guess-guess-guess").status_code == 401
    assert sign_in(client, "guess5@school.example", "guess-guess-guess").status_code == 429


def test_the_limiter_forgets_after_its_window_and_refunds_successes():
    now = [1000.0]
    limiter = SignInLimiter(limit=2, window=60, clock=lambda: now[0])
    first = limiter.charge("email:a", "ip:x")
    limiter.refund(first, "ip:x", forget=("email:a",))  # a success
    assert limiter.wait("email:a", "ip:x") == 0
    limiter.charge("email:a", "ip:x")
    now[0] += 10
    limiter.charge("email:a", "ip:x")
    assert limiter.wait("email:a") == pytest.approx(50)
    now[0] += 51
    assert limiter.wait("email:a", "ip:x") == 0


def test_post_without_csrf_is_refused(site: Site):
    anonymous = site.client()
    refused = anonymous.post("/signin", data={"email": "admin@school.example", "password": PASSWORDS["admin@school.example"]})
    assert refused.status_code == 403 and "Форма устарела" in refused.text
    admin = signed_in(site, "admin@school.example")
    assert admin.post("/users", data={"email": "x@school.example", "name": "Икс", "role": "viewer"}).status_code == 403
    assert (
        admin.post("/users", data={"csrf": "forged", "email": "x@school.example", "name": "Икс", "role": "viewer"}).status_code
        == 403
    )
    assert users.by_email(site.tracker.store, "x@school.example") is None
    assert admin.post("/signout").status_code == 403
    assert admin.post("/feeds", data={"roadmap": "spt-usolye-2024", "target": "roadmap"}).status_code == 403
    assert admin.get("/users").status_code == 200  # still signed in


def test_roles_guard_the_pages(site: Site):
    viewer = signed_in(site, "viewer@school.example")
    for path in ("/users", "/feeds", "/audit", "/audit/export.csv", "/audit/export.xlsx"):
        answer = viewer.get(path)
        assert answer.status_code == 403, path
        assert "Доступ запрещён" in answer.text and "просмотр" in answer.text
    assert viewer.get("/password").status_code == 200
    auditor = signed_in(site, "auditor@school.example")
    assert auditor.get("/audit").status_code == 200
    assert auditor.get("/users").status_code == 403
    editor = signed_in(site, "editor@school.example")
    assert editor.get("/users").status_code == 403 and editor.get("/audit").status_code == 403
    admin = signed_in(site, "admin@school.example")
    for path in ("/users", "/feeds", "/audit"):
        assert admin.get(path).status_code == 200


def test_signed_out_visitors_go_to_signin_with_a_local_next_only(site: Site):
    client = site.client()
    answer = client.get("/audit?kind=stage.done")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Faudit%3Fkind%3Dstage.done"
    assert client.get("/users").headers["location"] == "/signin?next=%2Fusers"
    for hostile in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)"):
        form = client.get("/signin", params={"next": hostile})
        assert 'name="next" value="/"' in form.text, hostile
        answer = sign_in(client, "admin@school.example", next_path=hostile)
        assert answer.status_code == 303 and answer.headers["location"] == "/", hostile
        client.cookies.clear()
    assert sign_in(client, "admin@school.example", next_path="/audit?page=2").headers["location"] == "/audit?page=2"
    assert safe_next("/signin?next=/x") == "/"


def test_a_disabled_account_is_out_at_once(site: Site):
    auditor = signed_in(site, "auditor@school.example")
    assert auditor.get("/audit").status_code == 200
    users.disable(site.tracker.store, "auditor@school.example", "setup")
    answer = auditor.get("/audit")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


def test_changing_the_password_ends_the_other_sessions(site: Site):
    here, there = signed_in(site, "editor@school.example"), signed_in(site, "editor@school.example")
    page = here.get("/password")
    for field in ('name="current_password"', 'name="new_password"', 'name="repeat_password"'):
        assert field in page.text
    new = "a-new-editor-password"
    wrong = here.post(
        "/password",
        data={"csrf": csrf_of(page.text), "current_password": "nope-nope-nope", "new_password": new, "repeat_password": new},
    )
    assert wrong.status_code == 400 and "Текущий пароль указан неверно" in wrong.text
    short = here.post(
        "/password",
        data={
            "csrf": csrf_of(page.text),
            "current_password": PASSWORDS["editor@school.example"],
            "new_password": "short",
            "repeat_password": "short",
        },
    )
    assert short.status_code == 400 and "пароль слишком короткий" in short.text.lower()
    done = here.post(
        "/password",
        data={
            "csrf": csrf_of(page.text),
            "current_password": PASSWORDS["editor@school.example"],
            "new_password": new,
            "repeat_password": new,
        },
    )
    assert done.status_code == 303
    assert "Пароль изменён" in here.get("/password").text  # this session goes on
    assert there.get("/password").status_code == 303  # the other one has ended
    assert sign_in(site.client(), "editor@school.example", new).status_code == 303
    (event,) = [r for r in site.tracker.history(HistoryFilter()) if r.action == "user.password_changed"]
    assert new not in event.payload and "argon2" not in event.payload


def test_error_pages_are_russian_without_a_stack_trace(site: Site):
    client = site.client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Страница не найдена" in missing.text
    wrong_method = client.put("/signin")
    assert wrong_method.status_code == 405 and "Так нельзя" in wrong_method.text
    for answer in (missing, wrong_method):
        assert "Traceback" not in answer.text and 'lang="ru"' in answer.text


# --- the administrator's pages --------------------------------------------------------------------


def test_admin_adds_resets_and_disables_accounts(site: Site):
    admin = signed_in(site, "admin@school.example")
    page = admin.get("/users")
    assert 'id="users-table"' in page.text and "auditor@school.example" in page.text
    bad = admin.post("/users", data={"csrf": csrf_of(page.text), "email": "not-an-email", "name": "Икс", "role": "viewer"})
    assert bad.status_code == 400 and "не адрес электронной почты" in bad.text
    added = admin.post(
        "/users",
        data={"csrf": csrf_of(page.text), "email": "Director@School.example", "name": "Мельникова Н.А.", "role": "viewer"},
    )
    assert added.status_code == 200
    password = re.search(r'id="new-password" value="([^"]+)"', added.text)
    assert password, "the new password is shown once"
    assert sign_in(site.client(), "director@school.example", password[1]).status_code == 303
    assert password[1] not in admin.get("/users").text  # and only once
    again = admin.post(
        "/users", data={"csrf": csrf_of(page.text), "email": "director@school.example", "name": "Д", "role": "viewer"}
    )
    assert again.status_code == 400 and "уже есть" in again.text

    director = users.by_email(site.tracker.store, "director@school.example")
    assert director is not None
    reset = admin.post(f"/users/{director.id}/password", data={"csrf": csrf_of(page.text)})
    fresh = re.search(r'id="new-password" value="([^"]+)"', reset.text)
    assert reset.status_code == 200 and fresh and fresh[1] != password[1]
    assert sign_in(site.client(), "director@school.example", password[1]).status_code == 401
    assert sign_in(site.client(), "director@school.example", fresh[1]).status_code == 303

    disabled = admin.post(f"/users/{director.id}/disable", data={"csrf": csrf_of(page.text)})
    assert disabled.status_code == 303 and disabled.headers["location"] == "/users"
    assert "отключён" in admin.get("/users").text
    me = users.by_email(site.tracker.store, "admin@school.example")
    assert me is not None
    admin.post(f"/users/{me.id}/disable", data={"csrf": csrf_of(page.text)})
    assert "Свою учётную запись отключить нельзя" in admin.get("/users").text
    assert admin.get("/users").status_code == 200

    events = [r for r in site.tracker.history(HistoryFilter()) if r.action.startswith("user.")]
    assert [r.action for r in events][-3:] == ["user.created", "user.password_changed", "user.disabled"]
    for event in events:
        assert event.actor in ("setup", "admin@school.example")
        assert "argon2" not in event.payload and password[1] not in event.payload and fresh[1] not in event.payload


def test_feed_links_are_shown_once_and_can_be_revoked(site: Site):
    admin = signed_in(site, "admin@school.example")
    page = admin.get("/feeds")
    assert page.status_code == 200 and 'value="person:volkova"' in page.text and "Волкова Л.А." in page.text
    created = admin.post("/feeds", data={"csrf": csrf_of(page.text), "roadmap": "spt-usolye-2024", "target": "person:volkova"})
    assert created.status_code == 200
    url = re.search(r'id="feed-url" value="([^"]+)"', created.text)
    assert url and url[1].startswith("http://127.0.0.1/calendars/") and url[1].endswith(".ics")
    token = url[1].rsplit("/", 1)[1].removesuffix(".ics")
    calendar = site.client().get(f"/calendars/{token}.ics")
    assert calendar.status_code == 200 and b"BEGIN:VCALENDAR" in calendar.content
    listing = admin.get("/feeds")
    assert token not in listing.text and f"/calendars/{token[:6]}…" in listing.text  # masked afterwards
    unknown = admin.post("/feeds", data={"csrf": csrf_of(page.text), "roadmap": "spt-usolye-2024", "target": "person:ghost"})
    assert unknown.status_code == 400 and "нет человека" in unknown.text
    handle = re.search(r'name="feed" value="([^"]+)"', listing.text)
    assert handle
    revoked = admin.post("/feeds/revoke", data={"csrf": csrf_of(listing.text), "feed": handle[1]})
    assert revoked.status_code == 303 and "отозвана" in admin.get("/feeds").text
    assert site.client().get(f"/calendars/{token}.ics").status_code == 404
    assert admin.post("/feeds/revoke", data={"csrf": csrf_of(listing.text), "feed": handle[1]}).status_code == 404


# --- the command line -------------------------------------------------------------------------------


def run(*args: str, stdin: str | None = None, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CYCLOGRAM_HOME": str(home), "CYCLOGRAM_ACTOR": "zavuch"}
    return subprocess.run(
        [sys.executable, "-m", "cyclogram", *args], input=stdin, capture_output=True, text=True, timeout=60, env=env
    )


def test_users_commands(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    db = ("--db", database)
    added = run("users", "add", "Zavuch@School.example", "--name", "Торопкина А.А.", "--role", "admin", *db, home=tmp_path)
    assert added.returncode == 0, added.stderr
    password = re.search(r"показан один раз[^:]*: (\S+)", added.stdout)
    assert password and len(password[1]) >= 20
    bad_role = run("users", "add", "x@school.example", "--name", "Икс", "--role", "boss", *db, home=tmp_path)
    assert bad_role.returncode == 1 and "неизвестная роль «boss»" in bad_role.stderr and "Traceback" not in bad_role.stderr
    bad_email = run("users", "add", "nobody", "--name", "Икс", "--role", "viewer", *db, home=tmp_path)
    assert bad_email.returncode == 1 and "не адрес электронной почты" in bad_email.stderr
    chosen = "chosen-password-42"
    piped = run(
        "users",
        "add",
        "auditor@school.example",
        "--name",
        "Аудитор",
        "--role",
        "auditor",
        "--password-stdin",
        *db,
        stdin=chosen + "\n",
        home=tmp_path,
    )
    assert piped.returncode == 0 and chosen not in piped.stdout
    listing = run("users", "list", *db, home=tmp_path)
    assert "zavuch@school.example" in listing.stdout and "аудитор" in listing.stdout
    store = open_store(database)
    account = users.by_email(store, "auditor@school.example")
    assert account and users.verify_password(account.password_hash, chosen)
    changed = run("users", "passwd", "auditor@school.example", *db, home=tmp_path)
    assert changed.returncode == 0 and "Пароль изменён" in changed.stdout
    last_admin = run("users", "disable", "zavuch@school.example", *db, home=tmp_path)
    assert last_admin.returncode == 1 and "последний администратор" in last_admin.stderr
    assert run("users", "disable", "auditor@school.example", *db, home=tmp_path).returncode == 0
    again = run("users", "disable", "auditor@school.example", *db, home=tmp_path)
    assert again.returncode == 1 and "уже отключён" in again.stderr
    missing = run("users", "passwd", "ghost@school.example", *db, home=tmp_path)
    assert missing.returncode == 1 and "пользователя ghost@school.example нет" in missing.stderr
    history = json.loads(run("history", "--format", "json", *db, home=tmp_path).stdout)
    assert [e["action"] for e in history] == ["user.created", "user.created", "user.password_changed", "user.disabled"]
    assert all(e["actor"] == "zavuch" for e in history)
    text = json.dumps(history, ensure_ascii=False)
    assert chosen not in text and password[1] not in text and "argon2" not in text
    store.close()


def test_accounts_on_both_databases(database_url: str, tmp_path: Path):
    """The sign-in path reads accounts through the driver itself (`?` placeholders): both backends."""
    store = open_store(database_url)
    added = users.add(store, " Zavuch@School.example", "Торопкина  А.А.", "admin", "first-password-1", "setup")
    assert (added.email, added.name, added.role) == ("zavuch@school.example", "Торопкина А.А.", "admin")
    found = users.by_email(store, "ZAVUCH@school.example")
    assert found is not None and users.by_id(store, found.id) == found and not found.disabled
    accepted = check_sign_in(store, "zavuch@school.example", "first-password-1")
    assert accepted is not None and accepted.credentials.id == found.id and accepted.new_hash is None
    assert check_sign_in(store, "zavuch@school.example", "wrong-password-1") is None
    assert check_sign_in(store, "ghost@school.example", "first-password-1") is None
    with pytest.raises(users.UserError, match="уже есть"):
        users.add(store, "zavuch@school.example", "Другой", "viewer", "first-password-1", "setup")
    users.add(store, "second@school.example", "Второй", "admin", "second-password", "setup")
    users.set_password(store, "zavuch@school.example", "changed-password", "setup")
    assert check_sign_in(store, "zavuch@school.example", "first-password-1") is None
    users.disable(store, "zavuch@school.example", "setup")
    with pytest.raises(users.UserError, match="последний администратор"):
        users.disable(store, "second@school.example", "setup")
    assert check_sign_in(store, "zavuch@school.example", "changed-password") is None  # disabled
    users.record_sign_in(store, found.id)
    listed = users.list_users(store)
    assert [u.email for u in listed] == ["second@school.example", "zavuch@school.example"]  # active first
    assert listed[1].disabled_at is not None and listed[1].last_sign_in_at is not None
    store.close()


def test_an_old_hash_is_upgraded_at_sign_in(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    users.add(store, "old@school.example", "Старый", "viewer", "an-old-password", "setup")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("an-old-password")
    with store.write() as session:
        row = session.exec(select(WebUserRow)).one()
        row.password_hash = weak
        session.add(row)
    accepted = check_sign_in(store, "old@school.example", "an-old-password")
    assert accepted is not None and accepted.new_hash is not None and not users.needs_rehash(accepted.new_hash)
    users.record_sign_in(store, accepted.credentials.id, accepted.new_hash)
    account = users.by_email(store, "old@school.example")
    assert account is not None and account.password_hash == accepted.new_hash
    store.close()
