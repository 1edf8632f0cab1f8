"""What `cyclogram status` learnt, everywhere else too: a stage done «по мере необходимости» is
counted under that word and left out of progress (`engine.status.counts` / `progress`, one rule for
the command line, the web board and the exported appendix), and a deadline's hour («за 1 час до
начала» → 04.06.2025 09:00) shows on the board, «Мои этапы», the stage page and the appendix. Also:
a PDF of a roadmap too big for WeasyPrint is refused with advice, and `export` without `-o` does not
overwrite ./ID.docx (the one a deputy director may have edited by hand)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from helpers import AppServer
from test_language_trial import GIA, REQUESTS, SCHOOL, at, model
from test_web_board import BASE_URL, KEY, Site, rows, section_of, signed_in

from cyclogram import exporting, recording, render
from cyclogram.engine.status import Status, compute_status, counts, progress
from cyclogram.engine.tracking import Completion, CompletionState, Trigger
from cyclogram.store import open_store
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app
from cyclogram.web.board import person_stages

D = dt.date
CONSULTED = [Completion("consult", CompletionState.DONE, at(D(2024, 11, 6), 15), "psy", "повод 06.11.2024 14:00")]
OCCASION = [Trigger("consult", at(D(2024, 11, 6), 14), "повод 06.11.2024 14:00", "psy")]


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[Site]:
    """Two roadmaps of the trial: «requests» (triggered and as-needed stages), «exams» (an hour)."""
    monkeypatch.setenv("CYCLOGRAM_HOME", str(tmp_path))
    monkeypatch.setenv("CYCLOGRAM_SECRETS_FILE", str(tmp_path / "none.env"))
    store = open_store(f"sqlite:///{tmp_path / 'cyclogram.db'}")
    tracker = Tracker(store, tmp_path / "evidence")
    for key, text in (("requests", REQUESTS), ("exams", GIA)):
        path = tmp_path / f"{key}.yaml"
        path.write_text(SCHOOL.replace("id: trial", f"id: {key}") + text, encoding="utf-8")
        recording.load(tracker, path, "deputy")
    app = create_app(WebContext(tracker, KEY, BASE_URL), quiet=True)
    with AppServer(app) as server:
        yield Site(tracker, store, server.url, tmp_path)
    store.close()


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


# --- 1. «по мере необходимости»: one rule ------------------------------------------------------------


def test_the_engine_rule_is_the_one_status_uses():
    result = model(REQUESTS)
    for completions in ([], CONSULTED):
        status = compute_status(result.roadmap, completions, D(2024, 11, 8), triggers=OCCASION)
        found = counts(status.stages.values(), status.plan)
        assert found.as_needed == 1 and found.by_status[Status.UNSCHEDULED] == 1 and found.by_status[Status.DONE] == 0
        summary = render.status_lines(status, 120).splitlines()[-1]
        assert summary == "Итого — " + ", ".join(f"{word}: {n}" for word, n in found.words())
        assert progress(status.stages.values(), status.plan) == (0, 3)  # register, answer, report


def test_the_board_counts_as_needed_apart_and_leaves_it_out_of_progress(site):
    with signed_in(site) as client:
        page = client.get("/r/requests", params={"as_of": "2024-11-08"})
        as_needed = client.get("/r/requests", params={"as_of": "2024-11-08", "status": "as_needed"})
        unscheduled = client.get("/r/requests", params={"as_of": "2024-11-08", "status": "unscheduled"})
        index = client.get("/")
    assert page.status_code == 200
    counted = text_of(section_of(page.text, "board-summary"))
    assert "срок не определён: 1" in counted and "по мере необходимости: 1" in counted  # not «срок не определён: 2»
    assert "Выполнено 0 из 3" in counted
    assert 'data-status="as_needed" href="/r/requests?status=as_needed&amp;as_of=2024-11-08"' in page.text
    sections = re.findall(
        r'<span class="section-title">([^<]+)</span>.*?<span class="muted">(\d+ из \d+)</span>', page.text, re.DOTALL
    )
    assert [(unescape(t), p) for t, p in sections] == [("1. Приём обращений", "0 из 2"), ("2. Сопровождение", "0 из 1")]
    # each count's link shows those rows: the as-needed stage under its word, not under «срок не определён»
    assert [key for key, _ in rows(as_needed.text)] == ["consult"]
    assert [key for key, _ in rows(unscheduled.text)] == ["answer"]
    card = re.search(r'<tr data-roadmap="requests">.*?</tr>', index.text, re.DOTALL)
    assert card and "0 из 3 (0%)" in card.group(0)  # register and report overdue today, answer waiting


def test_my_stages_keep_an_as_needed_stage_among_the_next_ones():
    result = model(REQUESTS)
    status = compute_status(result.roadmap, CONSULTED, D(2024, 11, 8), triggers=OCCASION)
    assert status.stages["consult"].status is Status.DONE  # one completion: «выполнен 1 раз», not finished
    mine = person_stages(status, "psy")
    assert [r.stage_id for r in mine.next] == ["consult"] and mine.done == []


def test_the_appendix_counts_and_marks_as_needed_by_its_word():
    result = model(REQUESTS)
    status = compute_status(result.roadmap, CONSULTED, D(2024, 11, 8), triggers=OCCASION)
    document = exporting.appendix(status)
    assert document.summary == "Итого: открыт — 1, просрочен — 1, срок не определён — 1, по мере необходимости — 1"
    mark = next(row.mark for row in document.rows if row.title == "Консультации для родителей")
    assert mark == "по мере необходимости, выполнен 1 раз, последний раз 06.11.2024"


# --- 2. the hour of a deadline -------------------------------------------------------------------------


def test_the_hour_shows_on_the_board_my_stages_and_the_stage_page(site):
    with signed_in(site, "admin") as client:
        board = client.get("/r/exams", params={"as_of": "2025-06-02"}).text
        mine = client.get("/r/exams/people/dep").text  # today: long overdue
        stage = client.get("/r/exams/s/tech").text
    row = re.search(r'data-stage="tech".*?<td class="when">([^<]*)<', board, re.DOTALL)
    assert row and row.group(1) == "04.06.2025 09:00"
    main = re.search(r'data-stage="main_day".*?<td class="when">([^<]*)<', board, re.DOTALL)
    assert main and main.group(1) == "04.06.2025 10:00"
    assert "04.06.2025 09:00" in text_of(section_of(mine, "my-overdue"))
    assert "09:00" in text_of(stage)


def test_the_hour_is_in_the_exported_computed_deadline():
    status = compute_status(model(GIA).roadmap, [], D(2025, 6, 2))
    computed = {row.title: row.computed for row in exporting.appendix(status).rows if row.kind == "stage"}
    assert computed["Техническая подготовка ППЭ"] == "04.06.2025 09:00"


# --- 3. a PDF too big for WeasyPrint ---------------------------------------------------------------------


def test_a_pdf_over_the_limit_is_refused_with_advice(monkeypatch):
    assert exporting.PDF_MAX_STAGES == 1000  # chosen by measuring (bench/README.md)
    document = exporting.appendix(compute_status(model(REQUESTS).roadmap, [], D(2024, 11, 8)))
    monkeypatch.setattr(exporting, "PDF_MAX_STAGES", document.stage_count - 1)
    with pytest.raises(exporting.ExportRefusal) as refused:
        exporting.render(document, "pdf")
    message = str(refused.value)
    assert f"{document.stage_count} этап" in message and "--format docx" in message and "xlsx" in message
    assert exporting.render(document, "xlsx")  # the other formats have no such bound


# --- 4. export without -o does not overwrite -----------------------------------------------------------


def test_export_without_output_keeps_an_existing_file(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYCLOGRAM_")}
    env.update(CYCLOGRAM_HOME=str(tmp_path / "home"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
        )

    plan = tmp_path / "plan.yaml"
    plan.write_text(SCHOOL + REQUESTS, encoding="utf-8")
    assert run("load", str(plan)).returncode == 0
    first = run("export", "trial", "--as-of", "2024-11-08")
    assert first.returncode == 0, first.stderr
    edited = tmp_path / "trial.docx"
    edited.write_bytes(b"edited by hand")
    again = run("export", "trial", "--as-of", "2024-11-08")
    assert again.returncode != 0 and "файл уже есть: trial.docx" in again.stderr and "-o trial.docx" in again.stderr
    assert edited.read_bytes() == b"edited by hand"
    explicit = run("export", "trial", "--as-of", "2024-11-08", "-o", "trial.docx")
    assert explicit.returncode == 0, explicit.stderr
    assert edited.read_bytes()[:2] == b"PK"  # named explicitly: overwritten, whole
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
