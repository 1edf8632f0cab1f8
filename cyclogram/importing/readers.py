"""Reading a school's document into paragraphs and tables, whatever it was saved as.

One model for every format: a `Document` is its blocks in order — `Paragraph`s (text, bold) and
`Table`s, a table being a rectangular grid of `Cell`s. A cell knows its `origin`, the grid place of
the physical cell it belongs to, so merged cells can be read once: a row merged across the table
(a section heading) is one cell spanning every column, and a cell merged down several rows carries
the origin of its top row.

| format | reader | notes |
|---|---|---|
| .docx | python-docx (the XML of rows and cells) | `w:gridSpan` and `w:vMerge` give the merges; bold is every run bold |
| .xlsx | openpyxl | every sheet is a table; merged ranges; bold fonts; dates as 01.09.2024 |
| .csv | csv | UTF-8 (with or without BOM) or Windows-1251; `;`, `,` or tab, sniffed |
| .txt | by hand | the two shapes conversions produce (below) |
| .odt | zipfile + ElementTree | `table:number-columns-spanned`, covered cells |

Text files (the seed documents are such conversions) come in two shapes: *one row per line*,
cells separated by tabs (a merged row is its text followed by empty cells, «Организация СПТ…\t\t\t\t»),
or *one cell per line*, each cell starting with a tab and continuing on following lines without
one, rows running on — the reader groups that stream into rows by the width of its header row and
by the cells that start a row (a number «1.1.», a section «2. Мероприятия…»). Lines wrapped in
``**`` are bold; everything around the table is paragraphs.

Readers only read: cleaning text is `text.clean`, finding the plan is `tables`. Hostile input is
bounded: files over `MAX_FILE_BYTES`, sheets over `MAX_ROWS` rows or `MAX_COLUMNS` columns are cut
or refused with a Russian message, never a traceback.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from cyclogram.engine.diagnostics import Refusal
from cyclogram.importing import columns
from cyclogram.importing.text import clean, strip_bold_marks

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 40
FORMATS = (".docx", ".xlsx", ".csv", ".txt", ".odt")


class ImportRefusal(Refusal):
    """A document that cannot be imported, explained in Russian."""


@dataclass(frozen=True)
class Cell:
    text: str
    origin: tuple[int, int]  # (row, column) of the physical cell; merged cells share it
    bold: bool = False


@dataclass
class Table:
    rows: list[list[Cell]]
    number: int  # 1-based, in document order
    name: str = ""  # a sheet's name
    sheet: bool = False  # rows above the header are the document's heading, not captions

    @property
    def width(self) -> int:
        return max((len(row) for row in self.rows), default=0)


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False


Block = Paragraph | Table


@dataclass
class Document:
    name: str  # the file's name, for messages
    kind: str  # docx, xlsx, csv, txt, odt
    blocks: list[Block] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


def read_document(path: Path) -> Document:
    """The document at `path`, by its extension (see module docstring)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ImportRefusal(
            f"{path.name}: формат «{suffix or 'без расширения'}» не поддерживается; подходят {', '.join(FORMATS)}"
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImportRefusal(f"{path}: файл не найден") from None
    if size > MAX_FILE_BYTES:
        raise ImportRefusal(
            f"{path.name}: файл слишком большой ({size // 1024 // 1024} МБ; не больше {MAX_FILE_BYTES // 1024 // 1024} МБ)"
        )
    reader = {".docx": read_docx, ".xlsx": read_xlsx, ".csv": read_csv, ".txt": read_txt, ".odt": read_odt}[suffix]
    try:
        return reader(path)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeError, csv.Error, ElementTree.ParseError):
        raise ImportRefusal(
            f"{path.name}: не удалось прочитать файл {suffix} — он повреждён или сохранён в другом формате"
        ) from None


def _grid_cell(text: str, row: int, column: int, bold: bool = False) -> Cell:
    return Cell(clean(text), (row, column), bold)


def _rectangular(rows: list[list[Cell]]) -> list[list[Cell]]:
    width = min(max((len(r) for r in rows), default=0), MAX_COLUMNS)
    return [row[:width] + [Cell("", (r, c)) for c in range(len(row), width)] for r, row in enumerate(rows)]


# --- .docx ----------------------------------------------------------------------------------------


def read_docx(path: Path) -> Document:
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        source = docx.Document(str(path))
    except Exception as error:  # noqa: BLE001 - python-docx raises many kinds for a broken package
        raise ImportRefusal(
            f"{path.name}: не удалось открыть документ Word ({type(error).__name__}); пересохраните его как .docx"
        ) from None
    document = Document(path.name, "docx")
    for item in source.iter_inner_content():
        if isinstance(item, DocxParagraph):
            text = clean(item.text)
            if text:
                document.blocks.append(Paragraph(text, _docx_bold(item.runs) or _heading_style(item)))
        elif isinstance(item, DocxTable):
            document.blocks.append(Table(_docx_grid(item), len(document.tables) + 1))
    return document


def _docx_bold(runs: Iterable[Any]) -> bool:
    texts = [run for run in runs if run.text.strip()]
    return bool(texts) and all(run.bold for run in texts)


def _heading_style(paragraph: Any) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.startswith(("Heading", "Title", "Заголовок", "Название"))


def _docx_grid(table: Any) -> list[list[Cell]]:
    """The table's grid: a horizontally merged cell fills its columns, a vertically merged one
    takes the origin (and text) of the cell above it."""
    from docx.table import _Cell

    grid: list[list[Cell]] = []
    for r, tr in enumerate(table._tbl.tr_lst[:MAX_ROWS]):
        row: list[Cell] = [Cell("", (r, c)) for c in range(tr.grid_before)]
        for tc in tr.tc_lst:
            column = len(row)
            if tc.vMerge == "continue" and r > 0 and column < len(grid[r - 1]):
                above = grid[r - 1][column]
                cell = Cell(above.text, above.origin, above.bold)
            else:
                paragraphs = _Cell(tc, table).paragraphs
                text = "\n".join(p.text for p in paragraphs)
                cell = _grid_cell(
                    text, r, column, all(_docx_bold(p.runs) for p in paragraphs if p.text.strip()) and bool(text.strip())
                )
            row.extend([cell] * max(1, tc.grid_span))
        grid.append(row)
    return _rectangular(grid)


# --- .xlsx ----------------------------------------------------------------------------------------


def read_xlsx(path: Path) -> Document:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(str(path), data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken workbook
        raise ImportRefusal(
            f"{path.name}: не удалось открыть книгу Excel ({type(error).__name__}); пересохраните её как .xlsx"
        ) from None
    document = Document(path.name, "xlsx")
    for sheet in workbook.worksheets:
        grid = _sheet_grid(sheet)
        if any(cell.text for row in grid for cell in row):
            document.blocks.append(Table(grid, len(document.tables) + 1, name=str(sheet.title), sheet=True))
    return document


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%d.%m.%Y}" if value.time() == dt.time() else f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_grid(sheet: Any) -> list[list[Cell]]:
    rows = min(sheet.max_row or 0, MAX_ROWS)
    width = min(sheet.max_column or 0, MAX_COLUMNS)
    origins: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in sheet.merged_cells.ranges:
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                origins[(r, c)] = (merged.min_row, merged.min_col)
    grid: list[list[Cell]] = []
    for r in range(1, rows + 1):
        row = []
        for c in range(1, width + 1):
            top = origins.get((r, c), (r, c))
            source = sheet.cell(row=top[0], column=top[1])
            bold = bool(source.font is not None and source.font.b)
            row.append(_grid_cell(_cell_text(source.value), top[0] - 1, top[1] - 1, bold))
        grid.append(row)
    while grid and not any(cell.text for cell in grid[-1]):
        grid.pop()
    return _rectangular(grid)


# --- .csv -----------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1251 (what Russian Excel saves)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def read_csv(path: Path) -> Document:
    text = decode_text(path.read_bytes())
    sample = "\n".join(text.splitlines()[:20])
    delimiter = max((";", ",", "\t"), key=sample.count)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[:MAX_ROWS]
    grid = [[_grid_cell(value, r, c) for c, value in enumerate(row[:MAX_COLUMNS])] for r, row in enumerate(rows)]
    document = Document(path.name, "csv")
    if grid:
        document.blocks.append(Table(_rectangular(grid), 1, sheet=True))
    return document


# --- .txt -----------------------------------------------------------------------------------------


def read_txt(path: Path) -> Document:
    return parse_text(decode_text(path.read_bytes()), path.name)


def parse_text(text: str, name: str = "<text>") -> Document:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    document = Document(name, "txt")
    tab_rows = sum(1 for line in lines if len([c for c in line.split("\t") if c.strip()]) >= 2)
    if tab_rows >= 3:
        _text_blocks(lines, document, _tab_table)
    else:
        _text_blocks(lines, document, _cell_stream_table)
    return document


def _text_blocks(lines: list[str], document: Document, table_reader: Any) -> None:
    """Paragraphs (blank-line separated) around the tables `table_reader` takes from the lines."""
    paragraph: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "\t" in line:
            _flush_paragraph(paragraph, document)
            rows, index = table_reader(lines, index)
            if rows:
                document.blocks.append(Table(_rectangular(rows), len(document.tables) + 1))
            continue
        if line.strip():
            paragraph.append(line)
        else:
            _flush_paragraph(paragraph, document)
        index += 1
    _flush_paragraph(paragraph, document)


def _flush_paragraph(lines: list[str], document: Document) -> None:
    if not lines:
        return
    text, bold = strip_bold_marks("\n".join(lines))
    cleaned = clean(text)
    if cleaned:
        document.blocks.append(Paragraph(cleaned, bold))
    lines.clear()


def _tab_table(lines: list[str], start: int) -> tuple[list[list[Cell]], int]:
    """One row per line, tab-separated; blank lines inside are skipped; a line without a tab ends it."""
    rows: list[list[Cell]] = []
    index = start
    while index < len(lines) and len(rows) < MAX_ROWS:
        line = lines[index]
        if not line.strip():
            following = next((candidate for candidate in lines[index + 1 :] if candidate.strip()), "")
            if "\t" not in following:
                break
            index += 1
            continue
        if "\t" not in line:
            break
        r = len(rows)
        rows.append([_text_cell(value, r, c) for c, value in enumerate(line.split("\t")[:MAX_COLUMNS])])
        index += 1
    return rows, index


def _text_cell(value: str, row: int, column: int) -> Cell:
    text, bold = strip_bold_marks(value)
    return _grid_cell(text, row, column, bold)


def _stream_cells(lines: list[str], start: int) -> tuple[list[str], int]:
    """Cells of the one-cell-per-line shape: a line starting with a tab starts a cell, lines right
    after it (no blank line between) continue it; a line without a tab after a blank line ends it."""
    cells: list[str] = []
    index, gap = start, False
    while index < len(lines) and len(cells) < MAX_ROWS * 10:
        line = lines[index]
        if line.startswith("\t"):
            cells.append(line[1:].replace("\t", " "))
            gap = False
        elif not line.strip():
            gap = True
        elif gap or not cells:
            break
        else:
            cells[-1] += "\n" + line
        index += 1
    return cells, index


def _cell_stream_table(lines: list[str], start: int) -> tuple[list[list[Cell]], int]:
    texts, end = _stream_cells(lines, start)
    width = columns.header_width([clean(t) for t in texts[: columns.MAX_HEADER_CHARS]])
    if width == 0:  # no header: a one-column table, which `tables` leaves out as not a plan
        return [[_text_cell(t, r, 0)] for r, t in enumerate(texts)], end
    rows: list[list[Cell]] = []
    current: list[str] = []
    for text in texts:
        if current and _row_ends(current, text, width):
            rows.append([_text_cell(value, len(rows), c) for c, value in enumerate(current)])
            current = []
        current.append(text)
    if current:
        rows.append([_text_cell(value, len(rows), c) for c, value in enumerate(current)])
    return rows, end


_NUMBER_ONLY = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s*$")


def _row_ends(current: list[str], following: str, width: int) -> bool:
    """Whether the row being collected is complete before `following`."""
    if len(current) >= width:
        return True
    if len(current) == 1 and columns.SECTION_START.match(clean(current[0])):
        return True  # a section heading is a row of its own
    starts_row = bool(_NUMBER_ONLY.match(following) or columns.SECTION_START.match(clean(following)))
    return starts_row and len(current) >= width - 1


# --- .odt -----------------------------------------------------------------------------------------

_ODF = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
}


def _odf(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_ODF[prefix]}}}{local}"


def read_odt(path: Path) -> Document:
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("content.xml"))
    body = root.find(f"{_odf('office:body')}/{_odf('office:text')}")
    document = Document(path.name, "odt")
    for element in body if body is not None else ():
        if element.tag in (_odf("text:p"), _odf("text:h")):
            text = clean("".join(element.itertext()))
            if text:
                document.blocks.append(Paragraph(text, element.tag == _odf("text:h")))
        elif element.tag == _odf("table:table"):
            document.blocks.append(Table(_odt_grid(element), len(document.tables) + 1))
    return document


def _odt_rows(table: Any) -> Iterator[Any]:
    for child in table:
        if child.tag == _odf("table:table-row"):
            yield child
        elif child.tag in (_odf("table:table-header-rows"), _odf("table:table-rows")):
            yield from _odt_rows(child)


def _odt_grid(table: Any) -> list[list[Cell]]:
    grid: list[list[Cell]] = []
    spans: dict[tuple[int, int], Cell] = {}  # cells covered by a span above or to the left
    for r, tr in enumerate(_odt_rows(table)):
        if r >= MAX_ROWS:
            break
        row: list[Cell] = []
        for tc in tr:
            repeat = min(int(tc.get(_odf("table:number-columns-repeated"), "1")), MAX_COLUMNS)
            for _ in range(repeat):
                column = len(row)
                if tc.tag == _odf("table:covered-table-cell"):
                    row.append(spans.get((r, column), Cell("", (r, column))))
                    continue
                text = "\n".join("".join(p.itertext()) for p in tc if p.tag in (_odf("text:p"), _odf("text:h")))
                cell = _grid_cell(text, r, column)
                across = int(tc.get(_odf("table:number-columns-spanned"), "1"))
                down = int(tc.get(_odf("table:number-rows-spanned"), "1"))
                for dr in range(min(down, MAX_ROWS)):
                    for dc in range(min(across, MAX_COLUMNS)):
                        if dr or dc:
                            spans[(r + dr, column + dc)] = cell
                row.append(cell)
        grid.append(row)
    return _rectangular(grid)
