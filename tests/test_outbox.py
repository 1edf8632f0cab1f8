"""The outbox end to end: a real SMTP server (aiosmtpd), a real database, faults and races.

Exactly once is checked where it matters: at the receiving server, by the X-Cyclogram-Key header
each email carries.
"""

from __future__ import annotations

import datetime as dt
import email
import email.header
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from helpers import HEADER, ROADMAPS

from cyclogram import outbox, recording
from cyclogram.engine.reminders import due_reminders, without_duplicates
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

SPT = ROADMAPS / "spt-usolye-2024.yaml"
DAY = dt.date(2024, 10, 10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def keys(self) -> Counter[str]:
        return Counter(str(message["X-Cyclogram-Key"]) for _, message in self.messages)


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def sender_url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=Школа №12 <school12@example.org>&mode=insecure"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tracker(database_url, tmp_path):
    store = open_store(database_url)
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    yield tracker
    store.close()


def secrets_for(server: SmtpServer) -> Secrets:
    return Secrets(environ={"CYCLOGRAM_SECRET_SMTP": server.sender_url}, secrets_file=Path("/nonexistent/secrets.env"))


def queue_day(tracker: Tracker, secrets: Secrets, day: dt.date = DAY, roadmap: str = "spt-usolye-2024"):
    status = tracker.status(roadmap, day)
    outgoing, problems = outbox.compose(status, without_duplicates(due_reminders(status)), secrets)
    return outbox.enqueue(tracker.store, outgoing, roadmap), outgoing, problems


def test_reminders_reach_the_smtp_server_once_in_russian(tracker, smtp):
    secrets = secrets_for(smtp)
    report, outgoing, problems = queue_day(tracker, secrets)
    assert problems == [] and report.queued == len(outgoing) > 0
    sent = outbox.dispatch(tracker.store, secrets)
    assert (sent.sent, sent.failed, sent.retrying) == (report.queued, 0, 0)
    assert len(smtp.inbox.messages) == report.queued
    assert set(smtp.inbox.keys().values()) == {1}
    recipients = {rcpt for rcpts, _ in smtp.inbox.messages for rcpt in rcpts}
    assert {"melnikova@school12.example", "toropkina@school12.example"} <= recipients
    subjects = [str(message["Subject"]) for _, message in smtp.inbox.messages]
    assert all(any("а" <= ch <= "я" for ch in subject.lower()) for subject in subjects)
    _, first = smtp.inbox.messages[0]
    parts = {part.get_content_type(): part.get_content() for part in first.walk() if not part.is_multipart()}
    assert {"text/plain", "text/html"} <= set(parts)
    assert "Здравствуйте" in parts["text/plain"]

    # the same day again: nothing new queued, nothing sent twice
    again, _, _ = queue_day(tracker, secrets)
    assert again.queued == 0 and again.already > 0
    assert outbox.dispatch(tracker.store, secrets).sent == 0
    assert len(smtp.inbox.messages) == report.queued
    events = [
        e.action
        for e in tracker.history(__import__("cyclogram.store.audit", fromlist=["HistoryFilter"]).HistoryFilter("spt-usolye-2024"))
    ]
    assert events.count("reminder.sent") == report.queued


def test_server_down_keeps_messages_pending_then_delivers_once(tracker):
    server = SmtpServer()  # not started: nothing listens on its port
    secrets = secrets_for(server)
    report, _, _ = queue_day(tracker, secrets)
    now = dt.datetime(2024, 10, 10, 3, 0, tzinfo=dt.UTC)
    down = outbox.dispatch(tracker.store, secrets, clock=lambda: now)
    assert down.sent == 0 and down.retrying == report.queued
    pending = outbox.list_outbox(tracker.store, "pending")
    assert len(pending) == report.queued and all(row.attempts == 1 and row.last_error for row in pending)
    # a retry before the back-off has passed does nothing
    assert outbox.dispatch(tracker.store, secrets, clock=lambda: now + dt.timedelta(seconds=5)).retrying == 0
    server.start()
    try:
        later = now + dt.timedelta(days=1)
        up = outbox.dispatch(tracker.store, secrets, clock=lambda: later)
        assert up.sent == report.queued
        assert set(server.inbox.keys().values()) == {1} and len(server.inbox.messages) == report.queued
        assert outbox.dispatch(tracker.store, secrets, clock=lambda: later + dt.timedelta(days=1)).sent == 0
    finally:
        server.stop()


def test_gives_up_after_max_attempts_and_can_be_retried(tracker):
    server = SmtpServer()
    secrets = secrets_for(server)
    report, _, _ = queue_day(tracker, secrets)
    moment = dt.datetime(2024, 10, 10, 3, 0, tzinfo=dt.UTC)
    for attempt in range(3):
        outbox.dispatch(tracker.store, secrets, max_attempts=3, clock=lambda m=moment + dt.timedelta(days=attempt): m)
    failed = outbox.list_outbox(tracker.store, "failed")
    assert len(failed) == report.queued and all(row.attempts == 3 for row in failed)
    assert outbox.retry_failed(tracker.store) == report.queued
    server.start()
    try:
        assert outbox.dispatch(tracker.store, secrets).sent == report.queued
    finally:
        server.stop()


def test_two_dispatchers_at_once_send_each_message_once(tracker, smtp, database_url, tmp_path):
    secrets = secrets_for(smtp)
    report, _, _ = queue_day(tracker, secrets)
    queue_day(tracker, secrets, dt.date(2024, 10, 14))
    total = len(outbox.list_outbox(tracker.store, "pending", limit=10_000))
    assert total > report.queued
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from cyclogram import outbox\n"
        "from cyclogram.store import open_store\n"
        "from cyclogram.notifiers.secrets import Secrets\n"
        "store = open_store(sys.argv[1])\n"
        "secrets = Secrets(environ={'CYCLOGRAM_SECRET_SMTP': sys.argv[2]}, secrets_file=Path('/nonexistent'))\n"
        "start = float(sys.argv[3])\n"
        "while time.time() < start: time.sleep(0.001)\n"
        "r = outbox.dispatch(store, secrets, batch=3, workers=4)\n"
        "print(r.sent)\n"
    )
    start = time.time() + 3
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, database_url, smtp.sender_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    sent = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        sent.append(int(out.split()[-1]))
    assert sum(sent) == total
    assert all(count > 0 for count in sent), sent  # both really worked
    keys = smtp.inbox.keys()
    assert len(keys) == total and set(keys.values()) == {1}
    assert tracker.verify().ok


def test_a_dispatcher_that_died_mid_send_is_taken_over_after_its_lease(tracker, smtp):
    secrets = secrets_for(smtp)
    report, _, _ = queue_day(tracker, secrets)
    now = dt.datetime.now(dt.UTC)
    claimed = outbox.claim(tracker.store, "dead-worker", limit=1000, lease_s=60, now=now)
    assert len(claimed) == report.queued
    # still leased: a second dispatcher leaves them alone
    assert outbox.dispatch(tracker.store, secrets, clock=lambda: now + dt.timedelta(seconds=30)).sent == 0
    taken_over = outbox.dispatch(tracker.store, secrets, clock=lambda: now + dt.timedelta(seconds=61))
    assert taken_over.sent == report.queued
    assert set(smtp.inbox.keys().values()) == {1}


def test_a_person_without_contacts_is_a_warning_not_a_crash(database_url, tmp_path, smtp, write_roadmap):
    text = HEADER.replace("people:\n", "people:\n  silent: {name: Молчунова М.М.}\n")
    path = write_roadmap(text + "stages:\n  - {id: a, title: Отчёт, due: 2024-10-10, responsible: [silent, toropkina]}\n")
    store = open_store(database_url)
    tracker = Tracker(store, tmp_path / "ev")
    recording.load(tracker, path, "deputy")
    _report, outgoing, problems = queue_day(tracker, secrets_for(smtp), roadmap="test-roadmap")
    assert any("Молчунова" in p.message and "нет ни одного контакта" in p.message for p in problems)
    assert {o.person for o in outgoing} == {"toropkina"}
    store.close()


def test_digest_sends_one_message_per_person(tracker, smtp):
    secrets = secrets_for(smtp)
    status = tracker.status("spt-usolye-2024", DAY)
    reminders = without_duplicates(due_reminders(status))
    per_person = Counter(r.person for r in reminders)
    outgoing, _ = outbox.compose(status, reminders, secrets, digest=True)
    assert Counter(o.person for o in outgoing) == Counter(dict.fromkeys(per_person, 1))
    outbox.enqueue(tracker.store, outgoing, "spt-usolye-2024")
    outbox.dispatch(tracker.store, secrets)
    assert len(smtp.inbox.messages) == len(per_person)
    # the individual reminders of a digest are never queued again on their own
    single, _ = outbox.compose(status, reminders, secrets, digest=False)
    assert outbox.enqueue(tracker.store, single, "spt-usolye-2024").queued == 0


def test_remind_command_dry_run_and_real_run(tmp_path, smtp):
    env = dict(
        os.environ,
        CYCLOGRAM_HOME=str(tmp_path),
        CYCLOGRAM_SECRET_SMTP=smtp.sender_url,
        CYCLOGRAM_SECRETS_FILE=str(tmp_path / "none.env"),
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)

    assert cli("load", str(SPT)).returncode == 0
    dry = cli("remind", "spt-usolye-2024", "--as-of", "2024-10-10", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "пробный запуск" in dry.stdout and "Мельникова Н.А." in dry.stdout
    assert smtp.inbox.messages == []
    holiday = cli("remind", "spt-usolye-2024", "--as-of", "2024-11-04")
    assert "нерабочий день" in holiday.stdout and smtp.inbox.messages == []
    real = cli("remind", "spt-usolye-2024", "--as-of", "2024-10-10")
    assert real.returncode == 0, real.stderr
    assert "Отправлено:" in real.stdout
    count = len(smtp.inbox.messages)
    assert count > 0
    listing = cli("outbox", "--status", "sent")
    assert listing.returncode == 0 and "отправлено" in listing.stdout
    assert cli("remind", "spt-usolye-2024", "--as-of", "2024-10-10").returncode == 0
    assert len(smtp.inbox.messages) == count  # nothing twice
    test_message = cli("notify-test", "spt-usolye-2024", "melnikova")
    assert test_message.returncode == 0, test_message.stdout + test_message.stderr
    assert len(smtp.inbox.messages) == count + 1
