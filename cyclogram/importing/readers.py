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
refused with one Russian line naming the file (and the table, sheet, row or cell), never a
traceback, and nothing is cut silently — a document the limits would cut is refused:

* the path must be a regular file (a folder, FIFO or device is refused before it is opened, so
  /dev/zero and a pipe nobody writes to are not read) of at most `MAX_FILE_BYTES`, read once,
  at most that many bytes; an empty file is refused;
* the content must be what the extension says: a Word, Excel or OpenDocument file is a ZIP
  package of that kind («это книга Excel, а не документ Word»); a PDF, an image, an old binary
  .doc/.xls or a password-protected (encrypted, OLE) Office file is named as such; a text file
  with NUL bytes is refused (UTF-16 with a BOM is read);
* a package is checked from its central directory before anything is inflated: at most
  `MAX_ZIP_ENTRIES` members, none over `MAX_PART_BYTES` and all together at most
  `MAX_UNPACKED_BYTES` unpacked (zipfile stops a member at its declared size, so a lying
  directory gives a CRC error, not a bomb);
* a table (or all tables together) over `MAX_ROWS` rows with text, or a cell with text beyond
  `MAX_COLUMNS` columns, is refused; Excel is read as a stream (openpyxl's worksheet parser, not
  the whole workbook), merged ranges over `MAX_MERGED_CELLS` cells are refused, formulas are read
  as their saved values; a CSV cell over `MAX_CELL_CHARS` (or an unclosed quote) is refused with
  its line;
* credentials in the text (a URL with a password, a bot token, `password=…` —
  `engine.credentials`) are masked as the document is read (`Document.masked` says where), so
  they never reach the roadmap, its review notes or the summary.
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

from cyclogram.engine.credentials import contains_credential, mask
from cyclogram.engine.diagnostics import Refusal
from cyclogram.importing import columns
from cyclogram.importing.text import clean, strip_bold_marks

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 40
MAX_ZIP_ENTRIES = 1000
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
MAX_MERGED_CELLS = MAX_ROWS * MAX_COLUMNS
MAX_CELL_CHARS = 100_000
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
    masked: list[str] = field(default_factory=list)  # where credentials were masked: «таблица 1, строка 5»
    rows: int = 0  # over all tables, against MAX_ROWS

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def add_table(self, rows: list[list[Cell]], **details: Any) -> None:
        """A table appended in document order, refused when the document's rows exceed MAX_ROWS."""
        table = Table(_rectangular(rows, self.name), len(self.tables) + 1, **details)
        self.count_rows(len(table.rows), table.number)
        self.blocks.append(table)

    def count_rows(self, rows: int, table: int) -> None:
        self.rows += rows
        if self.rows > MAX_ROWS:
            raise ImportRefusal(
                f"{self.name}: таблица {table}: в документе больше {MAX_ROWS} строк таблиц — план не может быть "
                "таким; проверьте, тот ли это файл, или разделите его"
            )


_ZIP_KINDS = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".odt": "content.xml"}
_KIND_WORDS = {".docx": "документ Word (.docx)", ".xlsx": "книга Excel (.xlsx)", ".odt": "документ OpenDocument (.odt)"}
_MAGIC = (
    (b"%PDF", "это PDF, а не документ с таблицей: откройте исходный документ Word или Excel"),
    (b"\x89PNG", "это картинка PNG, а не документ"),
    (b"\xff\xd8\xff", "это картинка JPEG, а не документ"),
    (b"GIF8", "это картинка GIF, а не документ"),
    (b"{\\rtf", "это документ RTF: пересохраните его в Word как .docx"),
    (b"Rar!", "это архив RAR, а не документ"),
    (b"\x1f\x8b", "это архив gzip, а не документ"),
    (b"7z\xbc\xaf", "это архив 7z, а не документ"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} МБ"


def read_bytes(path: Path) -> bytes:
    """The file's bytes, at most MAX_FILE_BYTES (`yamlsource.read_bounded`: a folder, pipe or device is
    refused before it is opened), its refusals said for a document."""
    from cyclogram.engine.russian import os_error_text
    from cyclogram.engine.yamlsource import FileTooLarge, NotARegularFile, read_bounded

    try:
        return read_bounded(path, MAX_FILE_BYTES)
    except NotARegularFile as error:
        raise ImportRefusal(f"{path.name}: это не обычный файл: {error.kind}; укажите путь к документу") from None
    except FileTooLarge as error:
        shown = f"{_megabytes(error.size)}; не больше" if error.size is not None else "больше"
        raise ImportRefusal(f"{path.name}: файл слишком большой ({shown} {_megabytes(MAX_FILE_BYTES)})") from None
    except FileNotFoundError:
        raise ImportRefusal(f"{path}: файл не найден") from None
    except OSError as error:
        raise ImportRefusal(f"{path}: {os_error_text(error)}") from None


def _not_a_package(name: str, suffix: str, data: bytes) -> str:
    """Why `data` is not the ZIP package a .docx/.xlsx/.odt is, in words."""
    if data.startswith(_OLE):
        if "EncryptionInfo".encode("utf-16-le") in data:
            return f"{name}: файл защищён паролем (зашифрован): снимите пароль в Word или Excel и сохраните файл заново"
        old = {".docx": ".doc", ".xlsx": ".xls"}.get(suffix, ".doc или .xls")
        return f"{name}: это файл старого формата Office ({old}): пересохраните его как {suffix}"
    for magic, words in _MAGIC:
        if data.startswith(magic):
            return f"{name}: {words}"
    return f"{name}: это не {_KIND_WORDS[suffix]}: файл повреждён или сохранён в другом формате"


def open_package(data: bytes, name: str, suffix: str) -> zipfile.ZipFile:
    """The ZIP package, its central directory checked before anything is inflated (module docstring)."""
    if not data.startswith(b"PK\x03\x04"):
        raise ImportRefusal(_not_a_package(name, suffix, data))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportRefusal(f"{name}: это не {_KIND_WORDS[suffix]}: архив повреждён") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_ENTRIES:
        raise ImportRefusal(
            f"{name}: в архиве документа {len(members)} файлов (не больше {MAX_ZIP_ENTRIES}) — это не похоже на документ"
        )
    largest = max(members, key=lambda m: m.file_size, default=None)
    if largest is not None and largest.file_size > MAX_PART_BYTES:
        raise ImportRefusal(
            f"{name}: часть документа {largest.filename} распаковывается в {_megabytes(largest.file_size)} "
            f"(не больше {_megabytes(MAX_PART_BYTES)}) — это не похоже на план"
        )
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED_BYTES:
        raise ImportRefusal(
            f"{name}: документ распаковывается в {_megabytes(total)} (не больше {_megabytes(MAX_UNPACKED_BYTES)})"
        )
    names = {m.filename for m in members}
    if _ZIP_KINDS[suffix] not in names:
        actual = next((s for s, part in _ZIP_KINDS.items() if part in names), None)
        if actual is not None:
            raise ImportRefusal(
                f"{name}: это {_KIND_WORDS[actual]}, а не {_KIND_WORDS[suffix]}: переименуйте файл в {Path(name).stem}{actual}"
            )
        if "EncryptedPackage" in names or "EncryptionInfo" in names:
            raise ImportRefusal(f"{name}: файл защищён паролем (зашифрован): снимите пароль и сохраните файл заново")
        raise ImportRefusal(f"{name}: это архив ZIP, а не {_KIND_WORDS[suffix]}")
    return archive


def read_document(path: Path) -> Document:
    """The document at `path`, by its extension (see module docstring)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ImportRefusal(
            f"{path.name}: формат «{suffix or 'без расширения'}» не поддерживается; подходят {', '.join(FORMATS)}"
        )
    data = read_bytes(path)
    if not data.strip():
        raise ImportRefusal(f"{path.name}: файл пустой")
    name = path.name
    try:
        if suffix in _ZIP_KINDS:
            archive = open_package(data, name, suffix)
            readers = {".docx": read_docx, ".xlsx": read_xlsx, ".odt": read_odt}
            document = readers[suffix](archive, name)
        elif suffix == ".csv":
            document = read_csv(decode_text(data, name), name)
        else:
            document = parse_text(decode_text(data, name), name)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeError, ElementTree.ParseError, EOFError, RecursionError):
        raise ImportRefusal(f"{name}: не удалось прочитать файл {suffix} — он повреждён или сохранён в другом формате") from None
    except MemoryError:
        raise ImportRefusal(f"{name}: документ слишком сложный: не хватило памяти, чтобы его прочитать") from None
    _mask_credentials(document)
    return document


def _where(table: Table, row: int) -> str:
    return f"таблица {table.number}" + (f" («{table.name}»)" if table.name else "") + f", строка {row + 1}"


def _mask_credentials(document: Document) -> None:
    """Passwords and tokens in the text never reach the roadmap (module docstring)."""
    for index, block in enumerate(document.blocks):
        if isinstance(block, Paragraph):
            if contains_credential(block.text):
                document.blocks[index] = Paragraph(mask(block.text), block.bold)
                document.masked.append("текст вне таблиц")
            continue
        done: dict[int, Cell] = {}
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                if id(cell) in done:
                    row[c] = done[id(cell)]
                elif contains_credential(cell.text):
                    row[c] = done[id(cell)] = Cell(mask(cell.text), cell.origin, cell.bold)
                    document.masked.append(_where(block, r))
    document.masked[:] = list(dict.fromkeys(document.masked))


def _grid_cell(text: str, row: int, column: int, bold: bool = False) -> Cell:
    return Cell(clean(text), (row, column), bold)


def _rectangular(rows: list[list[Cell]], name: str = "") -> list[list[Cell]]:
    """The rows padded to one width; text beyond MAX_COLUMNS is refused, not cut."""
    for r, row in enumerate(rows):
        beyond = next((c for c, cell in enumerate(row[MAX_COLUMNS:], MAX_COLUMNS) if cell.text), None)
        if beyond is not None:
            raise ImportRefusal(
                f"{name}: строка {r + 1}: текст в столбце {beyond + 1} — в таблице плана не больше {MAX_COLUMNS} столбцов"
            )
    width = min(max((len(r) for r in rows), default=0), MAX_COLUMNS)
    return [row[:width] + [Cell("", (r, c)) for c in range(len(row), width)] for r, row in enumerate(rows)]


# --- .docx ----------------------------------------------------------------------------------------


def read_docx(archive: zipfile.ZipFile, name: str) -> Document:
    import docx
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    assert archive.fp is not None
    archive.fp.seek(0)
    try:
        source = docx.Document(archive.fp)
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - python-docx and lxml raise many kinds for a broken package
        raise ImportRefusal(
            f"{name}: не удалось открыть документ Word ({type(error).__name__}); пересохраните его как .docx"
        ) from None
    document = Document(name, "docx")
    for item in source.iter_inner_content():
        if isinstance(item, DocxParagraph):
            text = clean(item.text)
            if text:
                document.blocks.append(Paragraph(text, _docx_bold(item.runs) or _heading_style(item)))
        elif isinstance(item, DocxTable):
            document.count_rows(len(item._tbl.tr_lst), len(document.tables) + 1)  # before building the grid
            document.rows -= len(item._tbl.tr_lst)
            document.add_table(_docx_grid(item, name))
    return document


def _docx_bold(runs: Iterable[Any]) -> bool:
    texts = [run for run in runs if run.text.strip()]
    return bool(texts) and all(run.bold for run in texts)


def _heading_style(paragraph: Any) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.startswith(("Heading", "Title", "Заголовок", "Название"))


def _docx_grid(table: Any, name: str) -> list[list[Cell]]:
    """The table's grid: a horizontally merged cell fills its columns, a vertically merged one
    takes the origin (and text) of the cell above it."""
    from docx.table import _Cell

    grid: list[list[Cell]] = []
    for r, tr in enumerate(table._tbl.tr_lst):
        row: list[Cell] = [Cell("", (r, c)) for c in range(min(tr.grid_before, MAX_COLUMNS))]
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
            if column >= MAX_COLUMNS:
                if cell.text:
                    raise ImportRefusal(
                        f"{name}: строка {r + 1}: текст в столбце {column + 1} — в таблице плана не больше {MAX_COLUMNS} столбцов"
                    )
                continue
            row.extend([cell] * max(1, min(tc.grid_span, MAX_COLUMNS - column)))
        grid.append(row)
    return grid


# --- .xlsx ----------------------------------------------------------------------------------------


def read_xlsx(archive: zipfile.ZipFile, name: str) -> Document:
    import openpyxl

    assert archive.fp is not None
    archive.fp.seek(0)
    try:  # read-only: sheets are streamed below, never loaded whole (nor their merged ranges expanded)
        workbook = openpyxl.load_workbook(archive.fp, read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken workbook
        raise ImportRefusal(
            f"{name}: не удалось открыть книгу Excel ({type(error).__name__}); пересохраните её как .xlsx"
        ) from None
    document = Document(name, "xlsx")
    try:
        for sheet in workbook.worksheets:
            grid = _sheet_grid(workbook, sheet, name)
            if any(cell.text for row in grid for cell in row):
                document.add_table(grid, name=str(sheet.title), sheet=True)
    finally:
        workbook.close()
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


def _bold_style(workbook: Any, style_id: object) -> bool:
    try:
        font = workbook._fonts[workbook._cell_styles[int(str(style_id or 0))].fontId]
    except (IndexError, TypeError, ValueError, AttributeError):
        return False
    return bool(font is not None and font.b)


def _sheet_grid(workbook: Any, sheet: Any, name: str) -> list[list[Cell]]:
    """A sheet streamed by openpyxl's worksheet parser: only cells with text are kept; text beyond
    MAX_ROWS or MAX_COLUMNS is refused; merged ranges are clipped to the grid."""
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._reader import WorkSheetParser

    where = f"{name}: лист «{sheet.title}»"
    texts: dict[tuple[int, int], tuple[str, bool]] = {}
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for _, values in parser.parse():
            for value in values:
                text = _cell_text(value.get("value"))
                if not text.strip():
                    continue
                r, c = int(value["row"]), int(value["column"])
                if r > MAX_ROWS or c > MAX_COLUMNS:
                    raise ImportRefusal(
                        f"{where}: ячейка {get_column_letter(c)}{r} с текстом за пределами таблицы плана "
                        f"(не больше {MAX_ROWS} строк и {MAX_COLUMNS} столбцов) — удалите лишнее или разделите лист"
                    )
                texts[(r, c)] = (text, _bold_style(workbook, value.get("style_id")))
        ranges = parser.merged_cells.mergeCell if parser.merged_cells is not None else []
    rows = max((r for r, _ in texts), default=0)
    width = max((c for _, c in texts), default=0)
    origins: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in ranges:
        min_col, min_row, max_col, max_row = range_boundaries(merged.ref)
        if (min_row, min_col) not in texts or min_row > MAX_ROWS or min_col > MAX_COLUMNS:
            continue
        max_row, max_col = min(max_row, MAX_ROWS), min(max_col, MAX_COLUMNS)
        rows, width = max(rows, max_row), max(width, max_col)
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                origins[(r, c)] = (min_row, min_col)
        if len(origins) > MAX_MERGED_CELLS:
            raise ImportRefusal(f"{where}: объединённых ячеек больше {MAX_MERGED_CELLS} — это не похоже на план")
    grid: list[list[Cell]] = []
    for r in range(1, rows + 1):
        row = []
        for c in range(1, width + 1):
            top = origins.get((r, c), (r, c))
            text, bold = texts.get(top, ("", False))
            row.append(_grid_cell(text, top[0] - 1, top[1] - 1, bold))
        grid.append(row)
    return grid


# --- .csv -----------------------------------------------------------------------------------------

_BINARY_TEXT = (
    (
        b"PK\x03\x04",
        "это архив ZIP (документ Word, Excel или OpenDocument?), а не текст: укажите файл с его настоящим расширением",
    ),
    (_OLE, "это файл Office старого формата (.doc/.xls) или защищённый паролем, а не текст"),
    *_MAGIC,
)


def decode_text(data: bytes, name: str = "<text>") -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows-1251 (what Russian Excel
    saves); binary files and NUL bytes are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for magic, words in _BINARY_TEXT:
        if data.startswith(magic):
            raise ImportRefusal(f"{name}: {words}")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ImportRefusal(
            f"{name}: строка {line}: нулевой байт — это не текстовый файл (или текст в UTF-16 без метки): "
            "сохраните его как текст UTF-8"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def read_csv(text: str, name: str) -> Document:
    sample = "\n".join(text[:100_000].splitlines()[:20])
    delimiter = max((";", ",", "\t"), key=sample.count)
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS and any(value.strip() for value in row):
                raise ImportRefusal(f"{name}: строка {reader.line_num}: больше {MAX_ROWS} строк — разделите файл")
            rows.append(row)
    except csv.Error:
        raise ImportRefusal(
            f"{name}: строка {reader.line_num}: ячейка длиннее {MAX_CELL_CHARS} знаков или не закрыта кавычка"
        ) from None
    grid = [[_grid_cell(value, r, c) for c, value in enumerate(row)] for r, row in enumerate(rows[:MAX_ROWS])]
    document = Document(name, "csv")
    if grid:
        document.add_table(grid, sheet=True)
    return document


# --- .txt -----------------------------------------------------------------------------------------


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
                document.add_table(rows)
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


def _next_text(lines: list[str], index: int) -> str:
    """The first non-blank line from `index` on (without copying the rest of the file)."""
    while index < len(lines):
        if lines[index].strip():
            return lines[index]
        index += 1
    return ""


def _tab_table(lines: list[str], start: int) -> tuple[list[list[Cell]], int]:
    """One row per line, tab-separated; blank lines inside are skipped; a line without a tab ends it.
    One row more than MAX_ROWS is read, for `Document.add_table` to refuse."""
    rows: list[list[Cell]] = []
    index = start
    while index < len(lines) and len(rows) <= MAX_ROWS:
        line = lines[index]
        if not line.strip():
            if "\t" not in _next_text(lines, index + 1):
                break
            index += 1
            continue
        if "\t" not in line:
            break
        r = len(rows)
        rows.append([_text_cell(value, r, c) for c, value in enumerate(line.split("\t"))])
        index += 1
    return rows, index


def _text_cell(value: str, row: int, column: int) -> Cell:
    text, bold = strip_bold_marks(value)
    return _grid_cell(text, row, column, bold)


def _stream_cells(lines: list[str], start: int) -> tuple[list[str], int]:
    """Cells of the one-cell-per-line shape: a line starting with a tab starts a cell, lines right
    after it (no blank line between) continue it; a line without a tab after a blank line ends it."""
    cells: list[list[str]] = []  # each cell's lines, joined at the end (no quadratic string growth)
    index, gap = start, False
    while index < len(lines) and len(cells) <= MAX_ROWS * MAX_COLUMNS:
        line = lines[index]
        if line.startswith("\t"):
            cells.append([line[1:].replace("\t", " ")])
            gap = False
        elif not line.strip():
            gap = True
        elif gap or not cells:
            break
        else:
            cells[-1].append(line)
        index += 1
    return ["\n".join(cell) for cell in cells], index


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


def read_odt(archive: zipfile.ZipFile, name: str) -> Document:
    root = ElementTree.fromstring(archive.read("content.xml"))  # expat: entity expansion is bounded
    body = root.find(f"{_odf('office:body')}/{_odf('office:text')}")
    document = Document(name, "odt")
    for element in body if body is not None else ():
        if element.tag in (_odf("text:p"), _odf("text:h")):
            text = clean("".join(element.itertext()))
            if text:
                document.blocks.append(Paragraph(text, element.tag == _odf("text:h")))
        elif element.tag == _odf("table:table"):
            document.add_table(_odt_grid(element, name))
    return document


def _odt_rows(table: Any) -> Iterator[Any]:
    for child in table:
        if child.tag == _odf("table:table-row"):
            yield child
        elif child.tag in (_odf("table:table-header-rows"), _odf("table:table-rows")):
            yield from _odt_rows(child)


def _odt_grid(table: Any, name: str) -> list[list[Cell]]:
    grid: list[list[Cell]] = []
    spans: dict[tuple[int, int], Cell] = {}  # cells covered by a span above or to the left
    for r, tr in enumerate(_odt_rows(table)):
        if r > MAX_ROWS:  # one more than the limit: `Document.add_table` refuses it
            break
        row: list[Cell] = []
        for tc in tr:
            repeat = min(int(tc.get(_odf("table:number-columns-repeated"), "1")), MAX_COLUMNS)
            for _ in range(repeat):
                column = len(row)
                if tc.tag == _odf("table:covered-table-cell"):
                    if column < MAX_COLUMNS:
                        row.append(spans.get((r, column), Cell("", (r, column))))
                    continue
                text = "\n".join("".join(p.itertext()) for p in tc if p.tag in (_odf("text:p"), _odf("text:h")))
                cell = _grid_cell(text, r, column)
                if column >= MAX_COLUMNS:
                    if cell.text:
                        raise ImportRefusal(
                            f"{name}: строка {r + 1}: текст в столбце {column + 1} — в таблице плана не больше {MAX_COLUMNS} столбцов"
                        )
                    break
                across = int(tc.get(_odf("table:number-columns-spanned"), "1"))
                down = int(tc.get(_odf("table:number-rows-spanned"), "1"))
                for dr in range(min(down, MAX_ROWS + 1 - r)):
                    for dc in range(min(across, MAX_COLUMNS - column)):
                        if dr or dc:
                            spans[(r + dr, column + dc)] = cell
                if len(spans) > MAX_MERGED_CELLS:
                    raise ImportRefusal(f"{name}: объединённых ячеек больше {MAX_MERGED_CELLS} — это не похоже на план")
                row.append(cell)
        grid.append(row)
    return grid
