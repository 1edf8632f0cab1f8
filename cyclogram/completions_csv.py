"""Reading a table of completions (`cyclogram import-completions`): a month of paper marks at once.

The file is what a deputy director saves from Excel: CSV in UTF-8 (with or without a BOM) or in
Windows-1251 (Excel's "CSV" on a Russian Windows), `;` or `,` between fields, a header row naming
the columns in Russian or English (the order does not matter):

| column | also | meaning |
|---|---|---|
| этап | stage, №, номер | the stage's id or document number (required) |
| дата | date, когда, at | when it was done: 18.10.2024, 2024-10-18, 18.10.2024 15:30 (required) |
| кто | by, исполнитель, выполнил | the person's key or full name (else `--by`) |
| комментарий | note, примечание | a note |
| подтверждение | evidence, документ | a file path or a link |

Bounded: at most `MAX_BYTES` and `MAX_ROWS`; a bad row is refused with its line number and nothing
is recorded (the whole file is one transaction).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cyclogram.engine.diagnostics import Refusal
from cyclogram.recording import Mark

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

COLUMNS = {
    "stage": ("этап", "stage", "№", "номер", "номер этапа", "id"),
    "at": ("дата", "date", "когда", "at", "дата выполнения"),
    "by": ("кто", "by", "исполнитель", "выполнил", "ответственный"),
    "note": ("комментарий", "note", "примечание"),
    "evidence": ("подтверждение", "evidence", "документ", "ссылка"),
}


class CompletionsFileError(Refusal):
    """The completions table cannot be read; the message names the file and the line."""


def _decode(data: bytes, path: Path) -> str:
    if b"\0" in data[:4096]:
        raise CompletionsFileError(f"{path}: это не текстовый файл (сохраните таблицу как CSV)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _header_map(header: list[str], path: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = " ".join(cell.strip().lower().replace("ё", "е").split())
        for key, names in COLUMNS.items():
            if name in names and key not in found:
                found[key] = index
    missing = [COLUMNS[key][0] for key in ("stage", "at") if key not in found]
    if missing:
        raise CompletionsFileError(
            f"{path}, строка 1: нет столбцов {', '.join('«' + m + '»' for m in missing)}; "
            "первая строка должна называть столбцы: этап; дата; кто; комментарий; подтверждение"
        )
    return found


def read_marks(path: Path) -> list[Mark]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise CompletionsFileError(f"файл не найден: {path}") from None
    except OSError as error:
        raise CompletionsFileError(f"не удаётся прочитать {path}: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise CompletionsFileError(f"{path}: файл больше {MAX_BYTES // (1024 * 1024)} МБ — это не таблица отметок")
    text = _decode(data, path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        raise CompletionsFileError(f"{path}: файл пуст")
    columns = _header_map(header, path)
    marks: list[Mark] = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(marks) >= MAX_ROWS:
            raise CompletionsFileError(f"{path}: больше {MAX_ROWS} строк — разделите файл")

        def cell(key: str, row: list[str] = row) -> str | None:
            index = columns.get(key)
            value = row[index].strip() if index is not None and index < len(row) else ""
            return value or None

        stage, at = cell("stage"), cell("at")
        if stage is None:
            raise CompletionsFileError(f"{path}, строка {line}: не указан этап")
        if at is None:
            raise CompletionsFileError(f"{path}, строка {line}: не указана дата выполнения этапа {stage}")
        marks.append(Mark(stage, at, cell("by"), cell("note"), cell("evidence"), line=line))
    if not marks:
        raise CompletionsFileError(f"{path}: в таблице нет ни одной отметки")
    return marks
