"""The embedded default: a local Prefect API for `cyclogram serve` when none is configured.

Schedules, event triggers and the UI need a running Prefect server. When `PREFECT_API_URL` is
not set, a `prefect server start` is launched on loopback (its database under PREFECT_HOME, SQLite)
and used for this process; for many schools use a Prefect server on PostgreSQL and workers
(docs/scaling.md).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    port: int | None = None, env: dict[str, str] | None = None, timeout: float = 120.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `prefect server start` on 127.0.0.1 and wait until it answers /health."""
    port = port or _free_port()
    environment = dict(os.environ, **(env or {}))
    environment.setdefault("DO_NOT_TRACK", "1")
    environment.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    environment.pop("PREFECT_API_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("сервер Prefect не запустился")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"сервер Prefect не ответил за {timeout:.0f} с")


def ensure_local_server() -> str:
    """The configured API, or a freshly started local server (kept for the life of this process)."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return configured
    process, url = start_server()
    os.environ["PREFECT_API_URL"] = url
    import atexit

    atexit.register(process.terminate)
    return url
