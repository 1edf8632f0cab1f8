"""Constants and small helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROADMAPS = ROOT / "roadmaps"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

HEADER = """\
id: test-roadmap
title: Тестовая дорожная карта
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  toropkina: {name: Торопкина А.А., position: заместитель директора, contacts: {email: t@school.example}}
  volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: toropkina, contacts: {telegram: "123456"}}
events:
  testing: {title: Тестирование ЕМ СПТ, start: 2024-10-01, end: 2024-10-15}
"""


class AppServer:
    """A real uvicorn serving an ASGI app on a free loopback port, in a thread (for tests)."""

    def __init__(self, app: object = None, factory: Any = None, **options: object) -> None:
        """`app`, or `factory(url)` building it once the port (and so the URL) is known."""
        import socket
        import threading

        import uvicorn

        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        if factory is not None:
            app = factory(self.url)
        config = uvicorn.Config(app, log_level="warning", access_log=False, **options)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> AppServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
