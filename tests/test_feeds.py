"""Calendar feeds over real HTTP on loopback (the web app under uvicorn): tokens, 304s, revocation,
isolation, freshness, hostile clients."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys

import pytest
from helpers import ROADMAPS, AppServer
from icalendar import Calendar

from cyclogram import recording
from cyclogram.feeds import Feeds
from cyclogram.store import open_store
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app

SPT = ROADMAPS / "spt-usolye-2024.yaml"


@pytest.fixture
def feeds(database_url, tmp_path):
    store = open_store(database_url)
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    yield Feeds(tracker)
    store.close()


def _app(feeds: Feeds, quiet: bool = True) -> object:
    return create_app(WebContext(feeds.tracker, b"k" * 32, "http://127.0.0.1"), quiet=quiet)


@pytest.fixture
def server(feeds):
    with AppServer(_app(feeds)) as running:
        yield running.port


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(c["UID"]): c for c in calendar.walk() if c.name in ("VEVENT", "VTODO")}


def test_feed_is_served_with_etag_and_304(feeds, server):
    feed = feeds.create("spt-usolye-2024", "admin")
    status, headers, body = get(server, f"/calendars/{feed.token}.ics")
    assert status == 200
    assert headers["content-type"] == "text/calendar; charset=utf-8"
    assert headers["etag"] and headers["last-modified"]
    assert b"BEGIN:VCALENDAR" in body and "Произвести выгрузку".encode() in body.replace(b"\r\n ", b"")
    again, again_headers, again_body = get(server, f"/calendars/{feed.token}.ics", {"If-None-Match": headers["etag"]})
    assert (again, again_body) == (304, b"")
    assert again_headers["etag"] == headers["etag"]
    since, _, _ = get(server, f"/calendars/{feed.token}.ics", {"If-Modified-Since": headers["last-modified"]})
    assert since == 304


def test_unknown_and_revoked_tokens_look_the_same(feeds, server):
    feed = feeds.create("spt-usolye-2024", "admin")
    assert get(server, f"/calendars/{feed.token}.ics")[0] == 200
    feeds.revoke(feed.token, "admin")
    revoked = get(server, f"/calendars/{feed.token}.ics")
    unknown = get(server, "/calendars/" + "A" * len(feed.token) + ".ics")
    assert revoked[0] == unknown[0] == 404
    assert revoked[2] == unknown[2]
    assert get(server, "/calendars/short.ics")[0] == 404
    assert get(server, "/calendars/")[0] == 404 and get(server, "/no-such-page")[0] == 404


def test_rotation_replaces_the_link(feeds, server):
    old = feeds.create("spt-usolye-2024", "admin", person="volkova")
    new = feeds.rotate(old.token[:8], "admin")
    assert new.token != old.token and (new.scope, new.scope_key) == ("person", "volkova")
    assert get(server, f"/calendars/{old.token}.ics")[0] == 404
    assert get(server, f"/calendars/{new.token}.ics")[0] == 200
    assert [f.token for f in feeds.list("spt-usolye-2024")] == [new.token]


def test_a_persons_token_never_returns_another_persons_feed(feeds, server):
    volkova = feeds.create("spt-usolye-2024", "admin", person="volkova")
    kochneva = feeds.create("spt-usolye-2024", "admin", person="kochneva")
    everyone = feeds.create("spt-usolye-2024", "admin")
    v = events(get(server, f"/calendars/{volkova.token}.ics")[2])
    k = events(get(server, f"/calendars/{kochneva.token}.ics")[2])
    all_events = events(get(server, f"/calendars/{everyone.token}.ics")[2])
    assert v and k and set(v) <= set(all_events) and set(k) <= set(all_events)
    assert any(uid.startswith("upload") for uid in v) and not any(uid.startswith("upload") for uid in k)
    assert any(uid.startswith("timetable") for uid in k) and not any(uid.startswith("timetable") for uid in v)
    teachers = feeds.create("spt-usolye-2024", "admin", role="class_teachers")
    t = events(get(server, f"/calendars/{teachers.token}.ics")[2])
    assert any(uid.startswith("info_campaign") for uid in t) and not any(uid.startswith("upload") for uid in t)


def test_feeds_reflect_completions_and_new_versions_at_once(feeds, server, tmp_path):
    feed = feeds.create("spt-usolye-2024", "admin")
    _, first_headers, first = get(server, f"/calendars/{feed.token}.ics")
    before = events(first)
    recording.done(feeds.tracker, "spt-usolye-2024", "2", by="toropkina", actor="t", at="2024-09-04")
    status, headers, body = get(server, f"/calendars/{feed.token}.ics", {"If-None-Match": first_headers["etag"]})
    assert status == 200 and headers["etag"] != first_headers["etag"]
    after = events(body)
    plan_uid = next(uid for uid in after if uid.startswith(("plan@", "plan-")))
    assert str(after[plan_uid]["SUMMARY"]).startswith("✓")

    # a new version moves one deadline: UIDs stay, only that event's SEQUENCE goes up
    moved = tmp_path / "spt.yaml"
    moved.write_text(SPT.read_text(encoding="utf-8").replace("due: 2024-11-30", "due: 2024-11-29"), encoding="utf-8")
    recording.load(feeds.tracker, moved, "deputy")
    newer = events(get(server, f"/calendars/{feed.token}.ics")[2])
    assert set(newer) == set(before)
    bumped = {uid for uid in newer if int(newer[uid].get("SEQUENCE", 0)) > int(after[uid].get("SEQUENCE", 0))}
    assert bumped == {uid for uid in newer if uid.startswith("feedback")}
    assert int(after[plan_uid].get("SEQUENCE", 0)) == 1  # it changed once: marked done


def test_ical_command_writes_a_file_and_lists_what_was_left_out(tmp_path):
    env = dict(os.environ, CYCLOGRAM_HOME=str(tmp_path))
    run = lambda *a: subprocess.run([sys.executable, "-m", "cyclogram", *a], capture_output=True, text=True, env=env, timeout=120)  # noqa: E731
    assert run("load", str(ROADMAPS / "objectivity-bobrovsky-2022.yaml")).returncode == 0
    out = tmp_path / "plan.ics"
    result = run("ical", "objectivity-bobrovsky-2022", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "Не вошли в календарь" in result.stderr and "ещё не известна" in result.stderr
    calendar = Calendar.from_ical(out.read_bytes())
    assert any(c.name == "VTIMEZONE" for c in calendar.walk())
    todo = run("ical", "objectivity-bobrovsky-2022", "--todo")
    assert todo.returncode == 0 and "BEGIN:VTODO" in todo.stdout
    created = run("feeds", "create", "objectivity-bobrovsky-2022", "--base-url", "http://school.example:8080")
    assert re.fullmatch(r"http://school\.example:8080/calendars/[A-Za-z0-9_-]+\.ics\n", created.stdout)
    listing = run("feeds", "--base-url", "http://school.example:8080")
    assert created.stdout.strip() in listing.stdout
    unknown = run("ical", "objectivity-bobrovsky-2022", "--person", "nobody")
    assert unknown.returncode == 1 and "нет человека" in unknown.stderr


def test_sequence_does_not_move_with_the_calendar_alone(feeds):
    """ "Скоро срок" and "просрочен" change every day; subscribed events must not."""
    early = events(feeds.build("spt-usolye-2024", as_of=__import__("datetime").date(2024, 9, 2)).body)
    late = events(feeds.build("spt-usolye-2024", as_of=__import__("datetime").date(2024, 10, 21)).body)
    assert set(early) == set(late)
    assert all(int(late[uid].get("SEQUENCE", 0)) == 0 for uid in late)


def test_a_weak_etag_gets_304_as_rfc_9110_says(feeds, server):
    feed = feeds.create("spt-usolye-2024", "admin")
    _, headers, _ = get(server, f"/calendars/{feed.token}.ics")
    weak = "W/" + headers["etag"]
    assert get(server, f"/calendars/{feed.token}.ics", {"If-None-Match": weak})[0] == 304
    assert get(server, f"/calendars/{feed.token}.ics", {"If-None-Match": f'"other", {weak}'})[0] == 304
    assert get(server, f"/calendars/{feed.token}.ics", {"If-None-Match": 'W/"other"'})[0] == 200


def test_idle_connections_are_closed_and_disconnects_are_quiet(feeds, capfd):
    import socket

    feed = feeds.create("spt-usolye-2024", "admin")
    from cyclogram.web.protocol import FirstRequestTimeout

    with AppServer(_app(feeds, quiet=False), timeout_keep_alive=1, http=FirstRequestTimeout) as running:
        idle = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        idle.settimeout(10)
        assert idle.recv(1) == b""  # the server let the silent client go (after ~1 s, not never)
        idle.close()
        for _ in range(5):  # ask and hang up before the answer
            rude = socket.create_connection(("127.0.0.1", running.port), timeout=10)
            rude.sendall(f"GET /CALENDARS/{feed.token}.ics HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            rude.close()
        assert get(running.port, f"/calendars/{feed.token}.ics")[0] == 200  # still serving
    logged = capfd.readouterr().err
    assert "Traceback" not in logged and "BrokenPipe" not in logged
    assert feed.token not in logged and feed.token[:6] + "…" in logged  # masked, whatever the case of the path
