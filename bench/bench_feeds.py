"""Calendar feeds: build+serialize 10,000 events (full vs one stage changed), and HTTP latency of
a 300-event feed under 50 concurrent requests on loopback.

Goals (issue #5): a 10,000-event feed rebuilt in < 1 s when one stage changed; p50/p99 printed.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import synthetic_roadmap

from cyclogram.engine.status import compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_text
from cyclogram.notifiers.ical import EventCache, build_specs, render_calendar

CONCURRENCY, REQUESTS_PER_CLIENT = 50, 20


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def big_feed() -> None:
    checked = check_text(synthetic_roadmap(10_000), "synthetic.yaml")
    roadmap = checked.roadmap
    assert roadmap is not None
    moment = dt.date(2024, 10, 1)
    status = compute_status(roadmap, [], moment)
    cache = EventCache()
    (specs, _), t_specs = timed(lambda: build_specs(status))
    body, t_cold = timed(lambda: render_calendar(specs, name="x", timezone=roadmap.timezone, cache=cache))
    _, t_uncached = timed(lambda: render_calendar(specs, name="x", timezone=roadmap.timezone))
    # one stage changes: it is completed
    done = Completion("s5000", CompletionState.DONE, dt.datetime(2024, 9, 30, 12, tzinfo=ZoneInfo(roadmap.timezone)), "p1")
    changed_status, t_status = timed(lambda: compute_status(roadmap, [done], moment))
    (changed_specs, _), t_specs2 = timed(lambda: build_specs(changed_status))
    changed = sum(1 for a, b in zip(specs, changed_specs, strict=True) if a.content_hash != b.content_hash)
    _, t_warm = timed(lambda: render_calendar(changed_specs, name="x", timezone=roadmap.timezone, cache=cache))
    print(f"10,000-stage roadmap → {len(specs)} events, {len(body) / 1024 / 1024:.1f} MB")
    print(
        f"  full build: specs {t_specs * 1000:.0f} ms + serialize {t_cold * 1000:.0f} ms (no cache: {t_uncached * 1000:.0f} ms)"
    )
    print(
        f"  one stage changed ({changed} event(s) differ): status {t_status * 1000:.0f} ms + specs {t_specs2 * 1000:.0f} ms "
        f"+ serialize {t_warm * 1000:.0f} ms = {(t_status + t_specs2 + t_warm) * 1000:.0f} ms (goal < 1000 ms)"
    )


def roadmap_300() -> str:
    lines = ["id: feed-300", "title: Календарь на 300 событий", "academic_year: 2024-2025", "timezone: Asia/Irkutsk", "people:"]
    lines += [f"  p{i}: {{name: Сотрудник {i}, contacts: {{email: p{i}@school.example}}}}" for i in range(10)]
    lines.append("stages:")
    start = dt.date(2024, 9, 2)
    lines += [
        f"  - {{id: s{i}, title: Этап {i} — подготовить справку, due: {(start + dt.timedelta(days=i)).isoformat()}, responsible: [p{i % 10}]}}"
        for i in range(300)
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_latency() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CYCLOGRAM_HOME=tmp)
        cli = [sys.executable, "-m", "cyclogram"]
        path = Path(tmp) / "feed.yaml"
        path.write_text(roadmap_300(), encoding="utf-8")
        subprocess.run([*cli, "load", str(path)], env=env, check=True, capture_output=True)
        url = subprocess.run(
            [*cli, "feeds", "create", "feed-300"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        token_path = "/calendars/" + url.rsplit("/calendars/", 1)[1]
        port = free_port()
        server = subprocess.Popen(
            [*cli, "web", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", token_path)
            first = connection.getresponse()
            body = first.read()
            etag = first.getheader("ETag")
            events = body.count(b"BEGIN:VEVENT")
            for label, headers in (("200 (full body)", {}), ("304 (If-None-Match)", {"If-None-Match": etag})):
                latencies: list[float] = []
                lock = threading.Lock()

                def client() -> None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    for _ in range(REQUESTS_PER_CLIENT):
                        start = time.perf_counter()
                        conn.request("GET", token_path, headers=headers)
                        response = conn.getresponse()
                        response.read()
                        elapsed = time.perf_counter() - start
                        with lock:
                            latencies.append(elapsed)
                    conn.close()

                threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
                wall = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                wall = time.perf_counter() - wall
                latencies.sort()
                p50 = statistics.median(latencies) * 1000
                p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
                print(
                    f"HTTP feed, {events} events ({len(body) // 1024} KB), {CONCURRENCY} concurrent clients × {REQUESTS_PER_CLIENT}, "
                    f"{label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, {len(latencies) / wall:.0f} req/s"
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    big_feed()
    http_latency()
