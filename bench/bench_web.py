"""The web app under load, on loopback: `cyclogram web` as a whole process (uvicorn), clients in
threads of this process.

Goals (issue #11): 50 concurrent users on the board of the 28-stage roadmap, p99 < 100 ms; the
board of a 10,000-stage roadmap < 1 s; a calendar feed's 304 answers keep their p99.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap
from timing import CLI

ROOT = Path(__file__).resolve().parent.parent
SPT = ROOT / "roadmaps" / "spt-usolye-2024.yaml"
USERS, REQUESTS = 50, 20
PASSWORD = "нагрузочный-тест-пароль-2024"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run([CLI, *args], env=env, input=stdin, capture_output=True, text=True, check=True)
    return done.stdout


def sign_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, "no CSRF field on /signin"
    answer = client.post("/signin", data={"email": "director@school.example", "password": PASSWORD, "csrf": csrf[1]})
    assert answer.status_code in (200, 303), answer.status_code
    return client


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def hammer(clients: list[httpx.Client], path: str, headers: dict[str, str] | None = None, think: float = 0.0) -> list[float]:
    """Every client asks `REQUESTS` times; `think` seconds between a user's requests (0: back to back)."""
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients))

    def user(client: httpx.Client) -> None:
        barrier.wait()
        if think:
            time.sleep(think * (clients.index(client) / len(clients)))  # people arrive over a second, not all at once
        for _ in range(REQUESTS):
            start = time.perf_counter()
            response = client.get(path, headers=headers)
            elapsed = time.perf_counter() - start
            assert response.status_code in (200, 304), response.status_code
            with lock:
                latencies.append(elapsed)
            if think:
                time.sleep(think * (0.5 + (hash((id(client), elapsed)) % 100) / 100))  # 0.5–1.5 × think, spread out

    threads = [threading.Thread(target=user, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CYCLOGRAM_HOME=tmp, CYCLOGRAM_ACTOR="bench")
        env.pop("CYCLOGRAM_DATABASE_URL", None)
        big = Path(tmp) / "synthetic.yaml"
        big.write_text(synthetic_roadmap(10_000), encoding="utf-8")
        cli("load", str(SPT), env=env)
        cli("load", str(big), env=env)
        cli(
            "users",
            "add",
            "director@school.example",
            "--name",
            "Директор",
            "--role",
            "admin",
            "--password-stdin",
            env=env,
            stdin=PASSWORD + "\n",
        )
        feed_url = cli("feeds", "create", "spt-usolye-2024", env=env).strip()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([CLI, "web", "--port", str(port), "--base-url", base], env=env, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    httpx.get(base + "/signin", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            clients = [sign_in(base) for _ in range(USERS)]
            clients[0].get("/r/spt-usolye-2024")  # warm: the compiled roadmap in the server's memory
            single = [hammer(clients[:1], "/r/spt-usolye-2024")[0] for _ in range(20)]
            print(f"board of the 28-stage roadmap, one user alone: median {statistics.median(single) * 1000:.0f} ms")
            for think, label in ((1.0, "each reading ~1 s between pages"), (0.0, "back to back, no pause")):
                started = time.perf_counter()
                board = hammer(clients, "/r/spt-usolye-2024", think=think)
                rate = len(board) / (time.perf_counter() - started)
                p99 = percentile(board, 0.99)
                print(
                    f"board of the 28-stage roadmap, {USERS} users {label}: p50 {statistics.median(board) * 1000:.0f} ms, "
                    f"p99 {p99 * 1000:.0f} ms, {rate:.0f} pages/s — goal p99 < 100 ms: {'met' if p99 < 0.1 else 'NOT met'}"
                )
            clients[0].get("/r/synthetic")  # first: compiles the 10,000-stage version in the server
            samples = []
            for _ in range(5):
                start = time.perf_counter()
                assert clients[0].get("/r/synthetic").status_code == 200
                samples.append(time.perf_counter() - start)
            median = statistics.median(samples)
            print(
                f"board of a 10,000-stage roadmap: median {median * 1000:.0f} ms — goal < 1000 ms: {'met' if median < 1 else 'NOT met'}"
            )
            path = urlsplit(feed_url).path  # the link names the configured public address
            etag = clients[0].get(path).headers["etag"]
            feeds = hammer(clients, path, {"If-None-Match": etag})
            print(
                f"calendar feed 304, {USERS} clients × {REQUESTS}: p50 {statistics.median(feeds) * 1000:.0f} ms, p99 {percentile(feeds, 0.99) * 1000:.0f} ms"
            )
            for client in clients:
                client.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
