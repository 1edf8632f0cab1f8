"""`cyclogram export`: a loaded roadmap as the appendix of an order — Word and Excel opened again
with python-docx and openpyxl (rows, dates, marks, landscape, repeated header, frozen header,
filters, colours), the PDF's first page rendered with pdftoppm — and the round trip
import(export(roadmap)) giving the same plan."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROADMAPS
from seed_documents import NAMES, seed_path

from cyclogram import exporting, recording
from cyclogram.engine.status import Status, compute_status
from cyclogram.engine.validation import check_file
from cyclogram.importing import import_document
from cyclogram.store import open_store
from cyclogram.tracker import Tracker, status_of

SPT = ROADMAPS / "spt-usolye-2024.yaml"
BOBROVSKY = ROADMAPS / "objectivity-bobrovsky-2022.yaml"
AS_OF = dt.date(2024, 10, 10)

pytestmark = pytest.mark.xdist_group("export")


@pytest.fixture
def tracker(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'cyclogram.db'}")
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    recording.done_many(
        tracker,
        "spt-usolye-2024",
        [recording.Mark(n, "2024-09-02", evidence="https://school.example/plan") for n in ("1", "2", "6")]
        + [recording.Mark("3", "2024-09-03", evidence="https://school.example/act")],
        by="toropkina",
        actor="deputy",
        force=True,
        reason="бумажные отметки",
    )
    yield tracker
    store.close()


@pytest.fixture
def document(tracker: Tracker) -> exporting.Appendix:
    active, completions = tracker.completions("spt-usolye-2024")
    return exporting.appendix(status_of(active, completions, AS_OF))


def _appendix(path: Path, day: dt.date = AS_OF) -> exporting.Appendix:
    checked = check_file(path)
    assert checked.roadmap is not None and checked.plan is not None
    return exporting.appendix(compute_status(checked.roadmap, [], day, checked.plan.calendar, base=checked.plan))


def test_appendix_rows(document: exporting.Appendix) -> None:
    stages = [row for row in document.rows if row.kind == "stage"]
    assert len(stages) == 28 and document.stage_count == 28
    assert document.rows[0].kind == "section" and document.rows[0].title.startswith("Организация СПТ-2023")
    by_number = {row.number: row for row in stages}
    assert by_number["1."].mark == "выполнен 02.09.2024 (Торопкина А.А.)" and by_number["1."].status is Status.DONE
    assert by_number["14."].when == "с 01.10.24 по 15.10.24"
    assert by_number["14."].computed == "01.10.2024 – 15.10.2024"
    assert by_number["4."].when == "До 06.09.2023г." and by_number["4."].computed == "06.09.2024"
    assert (
        by_number["7."].responsible
        == "Торопкина А.А., заместитель директора\nВолкова Л.А., педагог-психолог\nКлассные руководители"
    )
    assert by_number["5."].status is Status.OVERDUE and by_number["5."].mark.startswith("просрочен на ")
    assert by_number["24."].computed == "постоянно"
    assert document.subtitle == "МБОУ «СОШ №12», г. Усолье-Сибирское · 2024-2025 учебный год · состояние на 10.10.2024"
    assert not document.with_results and "result" not in document.columns


def test_docx_is_a_landscape_appendix_with_a_repeated_header(document: exporting.Appendix, tmp_path: Path) -> None:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn

    path = tmp_path / "spt.docx"
    path.write_bytes(exporting.render(document, "docx"))
    opened = docx.Document(str(path))
    section = opened.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE and section.page_width > section.page_height
    assert round(section.page_width.cm, 1) == 29.7
    assert opened.paragraphs[0].text.startswith("Приложение")
    (table,) = opened.tables
    header = table.rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert [c.text for c in header.cells] == [exporting.HEADERS[k] for k in document.columns]
    assert len(table.rows) == 1 + len(document.rows)
    rows = {row.cells[0].text: [c.text for c in row.cells] for row in table.rows[1:]}
    assert rows["14."][2:4] == ["с 01.10.24 по 15.10.24", "01.10.2024 – 15.10.2024"]
    assert rows["1."][-1] == "выполнен 02.09.2024 (Торопкина А.А.)"
    assert rows["21."][3] == "23.10.2024"
    section_row = table.rows[1]
    assert len({id(c._tc) for c in section_row.cells}) == 1  # merged across the table


def test_xlsx_has_frozen_header_filters_and_status_colours(document: exporting.Appendix, tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "spt.xlsx"
    path.write_bytes(exporting.render(document, "xlsx"))
    sheet = openpyxl.load_workbook(str(path)).active
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == f"A4:G{4 + len(document.rows)}"
    assert [c.value for c in sheet[4]] == [exporting.HEADERS[k] for k in document.columns]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$4:$4"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    assert rows["14."][3].value == "01.10.2024 – 15.10.2024"
    assert rows["1."][6].value == "выполнен 02.09.2024 (Торопкина А.А.)"
    assert rows["1."][6].fill.fgColor.rgb.endswith("C6EFCE")  # green: done
    assert rows["5."][6].fill.fgColor.rgb.endswith("FFC7CE")  # red: overdue
    assert "A5:G5" in {str(r) for r in sheet.merged_cells.ranges}  # the section row


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is installed by `make test`")
def test_pdf_first_page_renders(document: exporting.Appendix, tmp_path: Path) -> None:
    path = tmp_path / "spt.pdf"
    data = exporting.render(document, "pdf")
    assert data.startswith(b"%PDF")
    path.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(path), str(tmp_path / "page")], check=True
    )
    page = tmp_path / "page.png"
    assert page.stat().st_size > 5000
    from PIL import Image

    with Image.open(page) as image:
        width, height = image.size
        assert width > height  # landscape
        dark = sum(image.convert("L").histogram()[:128])
    assert dark > 2000  # text and table lines, not a blank page


def test_pdf_html_repeats_the_header_and_escapes_text(document: exporting.Appendix) -> None:
    from cyclogram.exporting.pdf_file import render_html

    html = render_html(document)
    assert "size: A4 landscape" in html and "<thead>" in html
    assert "МБОУ «СОШ №12»" in html
    assert "status-overdue" in html and "status-done" in html


# --- round trips ----------------------------------------------------------------------------------------------


def _facts(plan) -> list[tuple[str | None, str, dt.date | None, dt.date | None]]:
    """Every stage's number, title, start and due date, in order: the plan, compared date for date."""
    return [(p.stage.number, " ".join(p.stage.title.split()), p.start, p.due) for p in plan.stages.values()]


@pytest.mark.parametrize("source", [SPT, BOBROVSKY], ids=lambda p: p.name)
@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_round_trip_of_hand_written_roadmaps(source: Path, kind: str, tmp_path: Path) -> None:
    original = check_file(source).plan
    assert original is not None
    path = tmp_path / f"export.{kind}"
    path.write_bytes(exporting.render(_appendix(source), kind))
    (result,) = import_document(path, tmp_path / "back.yaml")
    assert result.checked.plan is not None and result.checked.report.ok
    assert _facts(result.checked.plan) == _facts(original)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_round_trip_of_imported_seeds(name: str, kind: str, tmp_path: Path) -> None:
    (first,) = import_document(seed_path(name), tmp_path / "first.yaml")
    first.path.write_text(first.text, encoding="utf-8")
    assert first.checked.plan is not None
    path = tmp_path / f"export.{kind}"
    path.write_bytes(exporting.render(_appendix(first.path), kind))
    (again,) = import_document(path, tmp_path / "again.yaml")
    assert again.checked.plan is not None
    assert _facts(again.checked.plan) == _facts(first.checked.plan)
    assert again.stages == first.stages


# --- the command ----------------------------------------------------------------------------------------------------


def test_command_exports_each_format(tmp_path: Path) -> None:
    env = dict(os.environ, CYCLOGRAM_HOME=str(tmp_path / "home"), CYCLOGRAM_CACHE_DIR=str(tmp_path / "cache"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=env, timeout=120)

    assert run("load", str(SPT)).returncode == 0
    done = run(
        "done", "spt-usolye-2024", "1", "--by", "toropkina", "--at", "2024-09-02", "--evidence", "https://school.example/plan"
    )
    assert done.returncode == 0, done.stderr
    for kind in ("docx", "xlsx", "pdf"):
        out = tmp_path / f"appendix.{kind}"
        result = run("export", "spt-usolye-2024", "--format", kind, "--as-of", "2024-10-10", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{out}: 28 этапов, состояние на 10.10.2024"
        assert out.stat().st_size > 5000
    missing = run("export", "nope", "--format", "docx")
    assert missing.returncode == 1 and "не загружена" in missing.stderr
    (back,) = import_document(tmp_path / "appendix.docx", tmp_path / "back.yaml")
    assert back.stages == 28


def test_recurring_and_windows_in_the_appendix_and_back(tmp_path: Path) -> None:
    """A weekly stage's computed cell says how many periods and from when to when (not 52 ranges);
    a stage with several windows lists them; both come back the same through Word."""
    source = tmp_path / "plan.txt"
    source.write_text(
        "План работы на 2024-2025 учебный год\n\n"
        "№\tМероприятия\tСроки\tОтветственные\n"
        "1.\tОтчёт\tеженедельно по пятницам\tТоропкина А.А.\n"
        "2.\tСовещание\tраз в четверть\tТоропкина А.А.\n"
        "3.\tДиагностика\tноябрь 2024, март – апрель 2025\tТоропкина А.А.\n",
        encoding="utf-8",
    )
    (first,) = import_document(source, tmp_path / "first.yaml")
    first.path.write_text(first.text, encoding="utf-8")
    document = _appendix(first.path)
    rows = {row.number: row for row in document.rows if row.kind == "stage"}
    assert rows["1."].computed == "52 срока: с 06.09.2024 по 29.08.2025"
    assert rows["2."].computed.count(";") == 3  # four quarters, each listed
    assert rows["3."].computed == "ноябрь 2024: 01.11.2024 – 30.11.2024; март – апрель 2025: 01.03.2025 – 30.04.2025"
    path = tmp_path / "export.docx"
    path.write_bytes(exporting.render(document, "docx"))
    (again,) = import_document(path, tmp_path / "again.yaml")
    assert again.checked.plan is not None and first.checked.plan is not None

    def occurrences(plan) -> list[list[tuple[dt.date | None, dt.date | None]]]:
        return [[(o.start, o.due) for o in p.occurrences] for p in plan.stages.values()]

    assert occurrences(again.checked.plan) == occurrences(first.checked.plan)
