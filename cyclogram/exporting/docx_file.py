"""The appendix as a Word document (python-docx): A4 landscape, header row on every page.

Word repeats a row marked `w:tblHeader` at the top of every page the table reaches; rows carry
`w:cantSplit` so an item is never cut in two by a page break (that is exactly the «row split
across pages» the importer has to repair in other schools' documents). Sections are rows merged
across the table, in bold; the mark cell is tinted with the status colour.
"""

from __future__ import annotations

import io
from typing import Any

from cyclogram.exporting import HEADERS, STATUS_COLOURS, Appendix, Row

FONT = "Times New Roman"
WIDTHS_CM = {
    "number": 1.3,
    "title": 7.5,
    "when": 3.0,
    "computed": 3.0,
    "responsible": 4.2,
    "document": 3.4,
    "result": 3.6,
    "mark": 3.0,
}


def render_docx(document: Appendix) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.5))
    section.top_margin = section.bottom_margin = Cm(1.5)
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(10)

    corner = doc.add_paragraph()
    corner.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    corner.add_run("Приложение\n" + (document.approval or "к приказу от «___» ____________ 20___ г. № _____"))
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(document.title)
    run.bold = True
    run.font.size = Pt(12)
    subtitle = doc.add_paragraph(document.subtitle)
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER

    columns = document.columns
    scale = _scale(columns)
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.autofit = False
    for cell, key in zip(table.rows[0].cells, columns, strict=True):
        _write(cell, HEADERS[key], bold=True)
    _repeat_header(table.rows[0])
    for row in document.rows:
        _add_row(table, row, columns)
    for line in table.rows:
        for cell, key in zip(line.cells, columns, strict=False):
            cell.width = Cm(WIDTHS_CM[key] * scale)
    doc.add_paragraph(document.summary)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _scale(columns: list[str]) -> float:
    """Column widths fill the 26.7 cm between the margins."""
    return 26.7 / sum(WIDTHS_CM[key] for key in columns)


def _add_row(table: Any, row: Row, columns: list[str]) -> None:
    line = table.add_row()
    _keep_together(line)
    if row.kind == "section":
        merged = line.cells[0].merge(line.cells[-1])
        _write(merged, f"{row.number} {row.title}".strip(), bold=True)
        _shade(merged, "F2F2F2")
        return
    for cell, text in zip(line.cells, row.cells(columns), strict=True):
        _write(cell, text)
    if row.status is not None:
        background, _ = STATUS_COLOURS[row.status]
        _shade(line.cells[columns.index("mark")], background)


def _write(cell: Any, text: str, bold: bool = False) -> None:
    """The text in the cell, one paragraph per line."""
    lines = text.split("\n") if text else [""]
    first = cell.paragraphs[0]
    for index, line in enumerate(lines):
        paragraph = first if index == 0 else cell.add_paragraph()
        run = paragraph.add_run(line)
        run.bold = bold


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _keep_together(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    properties.append(cant_split)


def _shade(cell: Any, colour: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)
