"""The scale-out path, for real: a Prefect server on the machine's PostgreSQL, a process work
pool with a separate worker, a deployment of one roadmap, a run triggered through the API, and
its history read back (from Prefect and from our audit log).

Slow (a server and a worker start here, ~1 min), so it runs in its own xdist group.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from helpers import ROADMAPS
from sqlalchemy import create_engine, text

from cyclogram.flows.server import start_server

pytestmark = pytest.mark.xdist_group("prefect-server")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pg_databases(pg_server):
    names = [f"cyclogram_prefect_{uuid.uuid4().hex[:8]}", f"cyclogram_data_{uuid.uuid4().hex[:8]}"]
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = pg_server.rsplit("/", 1)[0].split("://", 1)[1]
    yield f"postgresql+asyncpg://{base}/{names[0]}", f"postgresql://{base}/{names[1]}"
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(cmd: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_prefect_server_on_postgresql_with_a_process_worker(pg_databases, tmp_path):
    prefect_db, data_db = pg_databases
    env = dict(
        os.environ,
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_API_DATABASE_CONNECTION_URL=prefect_db,
        CYCLOGRAM_HOME=str(tmp_path / "data"),
        CYCLOGRAM_SECRETS_FILE=str(tmp_path / "none.env"),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    server, api = start_server(env=env, timeout=180)
    worker = None
    try:
        env["PREFECT_API_URL"] = api
        env.pop("PREFECT_API_DATABASE_CONNECTION_URL")
        cli = [sys.executable, "-m", "cyclogram"]
        run([*cli, "load", str(ROADMAPS / "spt-usolye-2024.yaml"), "--db", data_db], env)
        run([sys.executable, "-m", "prefect", "work-pool", "create", "cyclogram-test", "--type", "process"], env)
        deploy = textwrap.dedent(
            f"""
            from cyclogram.flows.roadmap import roadmap_tick
            from prefect.deployments import run_deployment
            roadmap_tick.from_source(source={str(ROOT)!r}, entrypoint="flows/roadmap.py:roadmap_tick").deploy(
                name="spt-usolye-2024-daily", work_pool_name="cyclogram-test",
                parameters={{"roadmap_id": "spt-usolye-2024", "as_of": "2024-10-14", "database_url": {data_db!r},
                             "send": False, "detailed_tags": False}},
            )
            run = run_deployment("cyclogram-roadmap/spt-usolye-2024-daily", timeout=0)
            print(run.id)
            """
        )
        flow_run_id = run([sys.executable, "-c", deploy], env).stdout.strip().splitlines()[-1]
        worker = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "cyclogram-test", "--limit", "1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        read = textwrap.dedent(
            f"""
            from prefect import get_client
            with get_client(sync_client=True) as client:
                run = client.read_flow_run({flow_run_id!r})
                print(run.state.type.value if run.state else "NONE", run.name)
            """
        )
        deadline = time.monotonic() + 240
        state = ""
        while time.monotonic() < deadline:
            state = run([sys.executable, "-c", read], env).stdout.strip()
            if state.split(" ")[0] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            time.sleep(2)
        assert state.startswith("COMPLETED"), state
        assert "spt-usolye-2024 · 2024-10-14" in state
        history = run([*cli, "runs", "spt-usolye-2024", "--db", data_db], env).stdout
        assert "spt-usolye-2024 · 2024-10-14" in history and "завершён" in history
        audit = run([*cli, "history", "spt-usolye-2024", "--format", "json", "--db", data_db], env).stdout
        assert flow_run_id in audit  # the tick is in our own audit log too
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
