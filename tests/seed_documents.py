"""The seed documents (tests/fixtures/seeds/*.txt) rebuilt as the files schools send: Word with merged
section rows, rows split across pages, a vertically merged deadline and the table cut in two at a
page break; Excel with merged rows and a bold title; OpenDocument; and a Word plan with ЕГЭ/ОГЭ
sub-columns and two tables.

The text files are read with the importer's own text reader to get their grid, and the grid is
written out with python-docx / openpyxl like an office suite would, so that every format must give
the same plan as the text.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from cyclogram.importing.readers import Document, Paragraph, Table, parse_text

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
SPT = "spt-cyclogram-usolye-2024"
BOBROVSKY = "external-assessment-objectivity-bobrovsky-2022"
TEMKINO = "vpr-objectivity-temkino-2024"
NAMES = (SPT, BOBROVSKY, TEMKINO)


def seed_path(name: str) -> Path:
    return SEEDS / f"{name}.txt"


def seed_document(name: str) -> Document:
    return parse_text(seed_path(name).read_text(encoding="utf-8"), f"{name}.txt")


def _texts(row: list) -> list[str]:
    return [cell.text for cell in row]


def _is_merged_row(texts: list[str]) -> bool:
    filled = [t for t in texts if t]
    return len(filled) == 1 and texts[0] == filled[0]


def write_docx(name: str, path: Path, cut_at: int | None = None, merge_deadlines: tuple[str, str] | None = None) -> Path:
    """The seed as Word: sections merged across the row, the table cut in two after row `cut_at`
    (the second part without a header, as after a page break), and the deadline cells of two
    consecutive items merged vertically (`merge_deadlines`: their numbers, in the first part)."""
    import docx

    document = seed_document(name)
    out = docx.Document()
    for block in document.blocks:
        if isinstance(block, Paragraph):
            for line in block.text.split("\n"):
                out.add_paragraph().add_run(line).bold = block.bold
            continue
        rows = [_texts(row) for row in block.rows]
        parts = [rows[:cut_at], rows[cut_at:]] if cut_at else [rows]
        for index, part in enumerate(parts):
            if index:
                out.add_paragraph()  # what a page break leaves between the two parts
            table = _docx_table(out, part)
            if merge_deadlines and index == 0:
                _merge_down(table, part, *merge_deadlines)
    out.save(str(path))
    return path


def _docx_table(out: object, rows: list[list[str]]) -> object:
    width = max(len(r) for r in rows)
    table = out.add_table(rows=0, cols=width)  # type: ignore[attr-defined]
    for texts in rows:
        cells = table.add_row().cells
        if _is_merged_row(texts):
            merged = cells[0].merge(cells[-1])
            merged.text = ""
            merged.paragraphs[0].add_run(texts[0]).bold = True
            continue
        for cell, text in zip(cells, texts + [""] * (width - len(texts)), strict=True):
            lines = text.split("\n")
            cell.text = lines[0]
            for line in lines[1:]:
                cell.add_paragraph(line)
    return table


def _merge_down(table: object, rows: list[list[str]], first_number: str, last_number: str) -> None:
    column = 2  # the deadline column of the seeds
    first = next(index for index, row in enumerate(rows) if row[0] == first_number)
    last = next(index for index, row in enumerate(rows) if row[0] == last_number)
    text = rows[first][column]
    merged = table.cell(first, column).merge(table.cell(last, column))  # type: ignore[attr-defined]
    merged.text = text


def write_xlsx(name: str, path: Path) -> Path:
    """The seed as Excel: the heading in bold rows above the table, section rows merged."""
    import openpyxl
    from openpyxl.styles import Font

    document = seed_document(name)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    row_number = 0
    for block in document.blocks:
        if isinstance(block, Paragraph):
            row_number += 1
            sheet.cell(row=row_number, column=1, value=block.text.replace("\n", " ")).font = Font(bold=block.bold)
            continue
        assert isinstance(block, Table)
        for row in block.rows:
            texts = _texts(row)
            row_number += 1
            for column, text in enumerate(texts, 1):
                if text:
                    sheet.cell(row=row_number, column=column, value=text)
            if _is_merged_row(texts):
                sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number, end_column=len(texts))
    workbook.save(str(path))
    return path


def write_csv(name: str, path: Path) -> Path:
    """The seed's table as Excel saves CSV in Russia: `;` and Windows-1251."""
    import csv
    import io

    document = seed_document(name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for block in document.blocks:
        if isinstance(block, Table):
            writer.writerows(_texts(row) for row in block.rows)
    path.write_bytes(buffer.getvalue().encode("cp1251", errors="replace"))
    return path


def write_odt(name: str, path: Path) -> Path:
    """The seed as OpenDocument text: paragraphs, a table, section rows spanning the columns."""
    document = seed_document(name)
    body = []
    for block in document.blocks:
        if isinstance(block, Paragraph):
            body += [f"<text:p>{escape(line)}</text:p>" for line in block.text.split("\n")]
            continue
        assert isinstance(block, Table)
        width = block.width
        rows = []
        for row in block.rows:
            texts = _texts(row)
            if _is_merged_row(texts):
                covered = "<table:covered-table-cell/>" * (width - 1)
                rows.append(
                    f'<table:table-row><table:table-cell table:number-columns-spanned="{width}">'
                    f"<text:p>{escape(texts[0])}</text:p></table:table-cell>{covered}</table:table-row>"
                )
                continue
            cells = "".join(
                "<table:table-cell>"
                + "".join(f"<text:p>{escape(line)}</text:p>" for line in text.split("\n"))
                + "</table:table-cell>"
                for text in texts
            )
            rows.append(f"<table:table-row>{cells}</table:table-row>")
        body.append(
            f'<table:table table:name="План"><table:table-column table:number-columns-repeated="{width}"/>{"".join(rows)}</table:table>'
        )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
        f"<office:body><office:text>{''.join(body)}</office:text></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
    return path


EXAM_ROWS = [
    ("1.", "Нормативно-правовое обеспечение", None, None, None, None),
    (
        "1.1.",
        "Издать приказ о подготовке к ГИА",
        "до 15.09.2024",
        "до 15.09.2024",
        "Торопкина А.А., заместитель директора",
        "Приказ",
    ),
    ("1.2.", "Сформировать базу участников", "до 01.02.2025", "до 01.03.2025", "О.Н. Симонова", "База РИС"),
    ("1.3.", "Провести пробные экзамены", "декабрь 2024, март 2025", "февраль - март 2025", "учителя-предметники", "Протоколы"),
    ("2.", "Информационная работа", None, None, None, None),
    ("2.1.", "Родительские собрания по процедуре экзаменов", "ежемесячно", "раз в четверть", "классные руководители", ""),
    (
        "2.2.",
        "Ознакомить с результатами",
        "в течение 3 рабочих дней после получения результатов",
        "",
        "Отдел общего образования (Симонова О.Н.)",
        "",
    ),
]


def write_exams_docx(path: Path, second_table: bool = False) -> Path:
    """A plan with «Сроки» split into ЕГЭ and ОГЭ under a merged header cell; optionally a second
    plan table (another track) after a caption paragraph."""
    import docx

    out = docx.Document()
    out.add_paragraph().add_run("Дорожная карта подготовки к ГИА в МБОУ «СОШ №5» в 2024-2025 учебном году").bold = True
    out.add_paragraph("Трек 1. Организация ГИА")
    table = out.add_table(rows=2, cols=6)
    header, sub = table.rows[0].cells, table.rows[1].cells
    for index, text in ((0, "№ п/п"), (1, "Мероприятия"), (4, "Ответственные"), (5, "Документ")):
        header[index].text = text
        header[index].merge(sub[index])
    header[2].text = "Сроки"
    header[2].merge(header[3])
    sub[2].text, sub[3].text = "ЕГЭ", "ОГЭ"
    for number, title, ege, oge, who, paper in EXAM_ROWS:
        cells = table.add_row().cells
        if ege is None:
            cells[0].merge(cells[-1]).text = f"{number} {title}"
            continue
        for cell, text in zip(cells, (number, title, ege, oge, who, paper), strict=True):
            cell.text = text
    if second_table:
        out.add_paragraph("Трек 2. Итоговое собеседование")
        extra = out.add_table(rows=1, cols=4)
        for cell, text in zip(extra.rows[0].cells, ("№", "Задачи", "Срок", "Ответственный"), strict=True):
            cell.text = text
        for values in (
            ("1.", "Провести итоговое собеседование", "12.02.2025 (среда)", "Торопкина А.А."),
            ("2.", "Повторное собеседование", "12.03.2025", "Торопкина А.А."),
        ):
            for cell, text in zip(extra.add_row().cells, values, strict=True):
                cell.text = text
    out.save(str(path))
    return path
