"""Dispatch of 1,000 reminders to a local SMTP server (aiosmtpd): sequential vs parallel sending,
then duplicates and losses after killing the dispatcher mid-run (both must be 0).

Every email carries X-Cyclogram-Key; the server counts keys, so a duplicate or a loss is seen
where it matters — at the receiving end.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

from cyclogram import outbox, recording
from cyclogram.engine.reminders import due_reminders, without_duplicates
from cyclogram.notifiers.secrets import Secrets
from cyclogram.store import open_store
from cyclogram.tracker import Tracker

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000"))
PEOPLE = 50
DAY = dt.date(2024, 10, 14)


class Inbox:
    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.keys[str(message["X-Cyclogram-Key"])] += 1
        return "250 OK"


def roadmap_text(stages: int) -> str:
    lines = [
        "id: bench-dispatch",
        "title: Нагрузка на рассылку",
        "academic_year: 2024-2025",
        "timezone: Europe/Moscow",
        "people:",
    ]
    lines += [f"  p{i}: {{name: Сотрудник {i}, contacts: {{email: p{i}@school.example}}}}" for i in range(PEOPLE)]
    lines.append("stages:")
    lines += [
        f"  - {{id: s{i}, title: Этап {i} — сдать отчёт, due: {DAY.isoformat()}, responsible: [p{i % PEOPLE}]}}"
        for i in range(stages)
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_queue(workdir: Path, name: str, secrets: Secrets) -> tuple[str, int]:
    url = f"sqlite:///{workdir / f'{name}.db'}"
    path = workdir / f"{name}.yaml"
    path.write_text(roadmap_text(MESSAGES), encoding="utf-8")
    store = open_store(url)
    tracker = Tracker(store, workdir / "evidence")
    recording.load(tracker, path, "bench")
    status = tracker.status("bench-dispatch", DAY)
    outgoing, problems = outbox.compose(status, without_duplicates(due_reminders(status)), secrets, digest=False)
    assert not problems, problems[:3]
    report = outbox.enqueue(store, outgoing, "bench-dispatch")
    store.close()
    return url, report.queued


DISPATCHER = """
import sys
from pathlib import Path
from cyclogram import outbox
from cyclogram.store import open_store
from cyclogram.notifiers.secrets import Secrets
store = open_store(sys.argv[1])
secrets = Secrets(environ={"CYCLOGRAM_SECRET_SMTP": sys.argv[2]}, secrets_file=Path("/nonexistent"))
report = outbox.dispatch(store, secrets, workers=int(sys.argv[3]), lease_s=float(sys.argv[4]), stop=outbox.graceful_stop())
print(report.sent)
"""


def main() -> None:
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    sender = f"mailto://127.0.0.1:{port}?from=Школа <school@example.org>&mode=insecure"
    secrets = Secrets(environ={"CYCLOGRAM_SECRET_SMTP": sender}, secrets_file=Path("/nonexistent"))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            for workers in (1, 4, 16):
                # The dispatcher runs in its own process, as in production: the SMTP server here
                # must not share its interpreter (and GIL) with the sender.
                inbox.keys.clear()
                url, queued = fresh_queue(workdir, f"w{workers}", secrets)
                start = time.perf_counter()
                run = subprocess.run(
                    [sys.executable, "-c", DISPATCHER, url, sender, str(workers), "300"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=1200,
                )
                elapsed = time.perf_counter() - start
                assert run.returncode == 0, run.stderr
                sent = int(run.stdout.split()[-1])
                dupes = sum(1 for n in inbox.keys.values() if n > 1)
                print(
                    f"{queued} emails, {workers:2d} sending thread(s): {elapsed:6.1f} s, {sent / elapsed:6.1f} msg/s "
                    f"(sent {sent}, received {sum(inbox.keys.values())}, duplicates {dupes}; includes ~1 s process start)"
                )

            for name, signum in (("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL)):
                # Stop a dispatcher mid-run, then let another take over (after the lease, if needed).
                inbox.keys.clear()
                url, queued = fresh_queue(workdir, f"kill-{name}", secrets)
                lease = 3.0
                victim = subprocess.Popen(
                    [sys.executable, "-c", DISPATCHER, url, sender, "8", str(lease)],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                while sum(inbox.keys.values()) < queued // 3:
                    time.sleep(0.005)
                victim.send_signal(signum)
                victim.wait()
                at_kill = sum(inbox.keys.values())
                time.sleep(lease + 0.5)
                survivor = subprocess.run(
                    [sys.executable, "-c", DISPATCHER, url, sender, "8", str(lease)],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                assert survivor.returncode == 0, survivor.stderr
                store = open_store(url)
                rows = outbox.list_outbox(store, limit=100_000)
                store.close()
                expected = {row.dedupe_key for row in rows}
                duplicates = sum(n - 1 for n in inbox.keys.values() if n > 1)
                losses = len(expected - set(inbox.keys))
                unsent = sum(1 for row in rows if row.status != "sent")
                print(
                    f"{name} after {at_kill} of {queued} delivered, a second dispatcher finished the rest: "
                    f"duplicates {duplicates}, losses {losses}, rows not marked sent {unsent}"
                )
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
