"""`make demo`, part two: September–October 2024 replayed day by day through Prefect.

Each working day: the completions the school reported that day are recorded (some late, one with
a file as evidence), then the roadmap's daily flow runs — stage tasks, reminders (to a local SMTP
catcher started here, so nothing leaves the machine), calendar refresh, artifacts.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import socket
import sys
from collections import Counter

from aiosmtpd.controller import Controller

ROADMAP = "spt-usolye-2024"
# (day, stage number, person, evidence) — what the school reported, in the order it happened
REPORTS = [
    ("2024-09-02", "1", "toropkina", "demo/plan-vospitatelnoy-raboty-2024.txt"),
    ("2024-09-03", "3", "melnikova", "https://school12.example/docs/polozhenie.pdf"),
    ("2024-09-04", "2", "toropkina", None),
    ("2024-09-05", "6", "volkova", None),
    ("2024-09-06", "5", "melnikova", "https://school12.example/docs/prikaz-spt.pdf"),
    ("2024-09-10", "4", "toropkina", "demo/protokol-pedsoveta-2024-09-10.txt"),
    ("2024-09-13", "7", "toropkina", "https://school12.example/docs/spiski.pdf"),
    ("2024-09-18", "12", "melnikova", "https://school12.example/docs/grafik.pdf"),
    ("2024-09-19", "13", "kochneva", None),
    ("2024-09-19", "8", "toropkina", None),
    ("2024-09-20", "9", "melnikova", "https://school12.example/docs/prikaz-spiski.pdf"),
    ("2024-09-24", "10", "volkova", None),
    ("2024-09-25", "11", "volkova", None),
    ("2024-09-27", "16", "kochneva", None),
    ("2024-10-15", "14", "melnikova", "https://school12.example/docs/prikaz-tech.pdf"),
    ("2024-10-15", "15", "melnikova", None),
    ("2024-10-15", "18", "melnikova", None),
    ("2024-10-15", "17", "melnikova", None),
    ("2024-10-16", "19", "toropkina", "https://school12.example/docs/akt.pdf"),
    ("2024-10-21", "20", "volkova", None),
    ("2024-10-24", "21", "volkova", "https://school12.example/docs/otchet.xlsx"),
    ("2024-10-25", "25", "melnikova", "https://school12.example/docs/otchet-mo.pdf"),
]


class Catcher:
    def __init__(self) -> None:
        self.subjects: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.subjects.append((list(envelope.rcpt_tos), str(message["Subject"])))
        return "250 OK"


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    catcher = Catcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ["CYCLOGRAM_SECRET_SMTP"] = f"mailto://127.0.0.1:{port}?from=Школа №12 <school12@example.org>&mode=insecure"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    from cyclogram import recording
    from cyclogram.app import open_tracker
    from cyclogram.flows.deploy import ensure_dispatch_limit
    from cyclogram.flows.roadmap import roadmap_tick

    ensure_dispatch_limit()

    tracker = open_tracker()
    calendar = tracker.status(ROADMAP, dt.date(2024, 9, 2)).plan.calendar
    day = dt.date(2024, 9, 2)
    pending = list(REPORTS)
    print(f"Почта уходит на локальный SMTP-сервер 127.0.0.1:{port} (ничего не покидает машину).")
    while day <= dt.date(2024, 10, 31):
        if calendar.is_working_day(day):
            done_today = []
            while pending and pending[0][0] == day.isoformat():
                _, number, person, evidence = pending.pop(0)
                outcome = recording.done(
                    tracker, ROADMAP, number, by=person, actor="demo", at=f"{day.isoformat()}T15:00", evidence=evidence
                )
                done_today.append(outcome.stage.stage.display_number)
            before = len(catcher.subjects)
            result = roadmap_tick(ROADMAP, day.isoformat(), None, True, detailed_tags=False)
            sent = len(catcher.subjects) - before
            marks = f"выполнено: {', '.join(done_today)}; " if done_today else ""
            print(f"{day:%d.%m.%Y} {marks}просрочено {result['overdue']}, писем отправлено {sent}")
        day += dt.timedelta(days=1)
    controller.stop()
    kinds = Counter(subject.split(":")[0] if ":" in subject else subject.split(" ")[0] for _, subject in catcher.subjects)
    print(f"\nВсего писем за два месяца: {len(catcher.subjects)}; по видам: {dict(kinds.most_common(6))}")
    for rcpts, subject in catcher.subjects[-3:]:
        print(f"  пример → {rcpts[0]}: {subject}")


if __name__ == "__main__":
    sys.exit(main())
