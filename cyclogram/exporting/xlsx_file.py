"""The appendix as an Excel workbook (openpyxl): frozen header, filters, status colours.

Rows 1–2 are the title and the line under it, row 4 the header (frozen, filtered, repeated on
every printed page), the plan from row 5; sections are rows merged across the table. The mark
cell is filled with the status colour (green done, red overdue, yellow due soon…), and the page is
set up as A4 landscape, one page wide. Every value is written as text, never as a formula: a
title «=HYPERLINK(…)» that came from an imported document stays the words it was.
"""

from __future__ import annotations

import io
from typing import Any

from cyclogram.exporting import HEADERS, STATUS_COLOURS, Appendix, Row

WIDTHS = {"number": 8, "title": 60, "when": 22, "computed": 22, "responsible": 32, "document": 28, "result": 30, "mark": 24}
HEADER_ROW = 4


def render_xlsx(document: Appendix) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = "План"
    columns = document.columns
    last = get_column_letter(len(columns))
    sheet["A1"] = document.title
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = document.subtitle + (f" · {document.approval}" if document.approval else "")
    for row_number in (1, 2):
        sheet.merge_cells(f"A{row_number}:{last}{row_number}")
        sheet[f"A{row_number}"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[1].height = 34
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, key in enumerate(columns, 1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=HEADERS[key])
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = wrap
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[key]
    row_number = HEADER_ROW
    for row in document.rows:
        row_number += 1
        _write_row(sheet, row_number, row, columns, wrap)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(row_number, HEADER_ROW + 1)}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_row(sheet: Any, number: int, row: Row, columns: list[str], wrap: Any) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    if row.kind == "section":
        _text(sheet.cell(row=number, column=1), f"{row.number} {row.title}".strip())
        sheet.merge_cells(f"A{number}:{get_column_letter(len(columns))}{number}")
        cell = sheet.cell(row=number, column=1)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        cell.alignment = wrap
        return
    for index, text in enumerate(row.cells(columns), 1):
        cell = _text(sheet.cell(row=number, column=index), text or None)
        cell.alignment = wrap
        cell.number_format = "@"  # «1.» and «01.10.2024» stay text, as written
    if row.status is not None:
        background, text = STATUS_COLOURS[row.status]
        mark = sheet.cell(row=number, column=columns.index("mark") + 1)
        mark.fill = PatternFill("solid", fgColor=background)
        mark.font = Font(color=text, bold=row.status.value == "overdue")


def _text(cell: Any, value: str | None) -> Any:
    """A text cell, never a formula: a title «=HYPERLINK(…)» from an imported document stays text."""
    cell.value = value
    if value is not None:
        cell.data_type = "s"
    return cell
