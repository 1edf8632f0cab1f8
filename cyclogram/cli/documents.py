"""Documents in and out: `import` a school's plan (Word, Excel, CSV, text, ODT) as roadmap YAML,
`export` a loaded roadmap back as the appendix of an order (Word, Excel, PDF).

Both are thin: the work is `cyclogram.importing` and `cyclogram.exporting`, imported inside the
commands so that the other commands do not pay for python-docx, openpyxl or WeasyPrint.

Files are written whole or not at all (`write_whole`: a temporary file beside the target, then
renamed over it), so a refusal or a crash leaves no truncated roadmap or export behind.

Overwriting is the same rule for both commands: without `-o` an existing file is never overwritten
(`import` beside the document, `export` as ./ID.docx) — the command refuses before any work and
says to name the file with `-o` — and the file is created only if it is still absent when written
(linked into place, so a file that appeared meanwhile is not replaced either). Regenerating an
appendix is common, but the ./ID.docx of last month may be the one the deputy director edited by
hand for the order; naming it in `-o` is saying "overwrite it". `-o` names the file to (over)write,
but never the document being imported; a missing folder is refused before any work.
"""

from __future__ import annotations

import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cyclogram.cli._common import DatabaseOption, RoadmapArgument, refuse, tracker
from cyclogram.engine.diagnostics import Refusal

app = typer.Typer()


class ExportFormat(str, Enum):
    docx = "docx"
    xlsx = "xlsx"
    pdf = "pdf"


def _check_timezone(name: str | None) -> None:
    if name is None:
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise refuse(f"неизвестный часовой пояс «{name}»; пишите в формате IANA: Asia/Irkutsk, Europe/Moscow") from None


class AlreadyThere(Exception):
    """The file appeared between the check and the write (`write_whole(…, overwrite=False)`)."""


def write_whole(path: Path, data: bytes, overwrite: bool = True) -> None:
    """`data` into `path` atomically: a temporary file in the same folder, renamed over the target —
    or, with `overwrite=False`, linked to its name, which fails when the name exists (AlreadyThere)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if overwrite:
            os.replace(temporary, path)
            return
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise AlreadyThere(str(path)) from None
        except OSError:  # a file system without hard links: checked, then renamed
            if path.exists():
                raise AlreadyThere(str(path)) from None
            os.replace(temporary, path)
            return
        Path(temporary).unlink(missing_ok=True)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _exists_refusal(paths: list[str]) -> Refusal:
    return refuse(f"файл уже есть: {', '.join(paths)}; чтобы перезаписать, укажите его явно: -o {paths[0]}")


def _check_output(path: Path, source: Path | None = None) -> None:
    """Refused before any work: a missing folder, a folder as the file, the source document itself."""
    if path.is_dir():
        raise refuse(f"{path}: это папка; укажите имя файла: -o {path / 'plan.yaml'}")
    if not path.parent.is_dir():
        raise refuse(f"{path}: папки {path.parent} нет; создайте её или укажите другой путь в -o")
    if source is not None and source.exists() and path.exists() and path.resolve() == source.resolve():
        raise refuse(f"{path}: это сам импортируемый документ; укажите другой файл в -o")


@app.command("import")
def import_document(
    file: Annotated[Path, typer.Argument(help="Документ: .docx, .xlsx, .csv, .txt или .odt", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл YAML (по умолчанию рядом с документом)")] = None,
    academic_year: Annotated[
        str | None, typer.Option("--academic-year", help="Учебный год, если его нет в документе: 2024-2025")
    ] = None,
    timezone: Annotated[str | None, typer.Option("--timezone", help="Часовой пояс школы: Asia/Irkutsk")] = None,
    organization: Annotated[str | None, typer.Option("--organization", help="Название организации")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Код выхода 1, если что-то требует проверки")] = False,
    split_tables: Annotated[bool, typer.Option("--split-tables", help="Каждая таблица — отдельная дорожная карта")] = False,
    split_exams: Annotated[
        bool, typer.Option("--split-exams", help="Сроки ЕГЭ/ОГЭ (подстолбцы) — отдельные дорожные карты")
    ] = False,
) -> None:
    """Превратить план школы (Word, Excel, текст) в дорожную карту YAML с пометками «ПРОВЕРИТЬ»."""
    from cyclogram.importing import ImportOptions, import_document, summary
    from cyclogram.workdays import country_days

    _check_timezone(timezone)
    if output is not None:
        _check_output(output, file)
    options = ImportOptions(academic_year, timezone, organization, split_tables, split_exams)
    results = import_document(file, output, options, country_days())
    if output is None:
        existing = [str(r.path) for r in results if r.path.exists()]
        if existing:
            raise _exists_refusal(existing)
    for result in results:
        if result.path != output:
            _check_output(result.path, file)
    for result in results:
        try:
            write_whole(result.path, result.text.encode("utf-8"), overwrite=output is not None)
        except AlreadyThere as error:
            raise _exists_refusal([str(error)]) from None
    sys.stdout.write(summary(results))
    failed = any(not r.checked.report.ok or r.checked.plan is None for r in results)
    needs_review = any(r.reviews for r in results)
    raise typer.Exit(1 if failed or (strict and needs_review) else 0)


@app.command()
def export(
    roadmap: RoadmapArgument,
    output_format: Annotated[ExportFormat, typer.Option("--format", "-f", help="docx, xlsx или pdf")] = ExportFormat.docx,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Состояние на дату: 2024-10-16 (по умолчанию сегодня)")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Файл (по умолчанию ID.docx в текущей папке; существующий — только явно через -o)"),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Выгрузить план как приложение к приказу (Word, Excel, PDF): сроки, ответственные, отметки о выполнении."""
    from zoneinfo import ZoneInfo

    from cyclogram import exporting
    from cyclogram.engine.russian import format_date, plural
    from cyclogram.tracker import parse_day

    if output is not None:
        _check_output(output)
    day = parse_day(as_of, ZoneInfo("UTC")) if as_of else None  # a written day is the same in every zone
    snapshot = tracker(database).snapshot(roadmap, day)  # without --as-of: today in the roadmap's zone
    path = output or Path(f"{snapshot.active.id}.{output_format.value}")
    if output is None and path.exists():  # before any work: maybe the one edited by hand (module docstring)
        raise _exists_refusal([str(path)])
    document = exporting.appendix(snapshot.status)
    data = exporting.render(document, output_format.value)
    try:
        write_whole(path, data, overwrite=output is not None)
    except AlreadyThere:
        raise _exists_refusal([str(path)]) from None
    stages = document.stage_count
    print(f"{path}: {stages} {plural(stages, 'этап', 'этапа', 'этапов')}, состояние на {format_date(document.as_of)}")
