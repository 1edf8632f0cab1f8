"""Roadmap files: validate, show, plan, schema — and the list of loaded roadmaps.

`validate --strict` counts warnings as errors and says so ("✗ …: предупреждения считаются ошибками"),
never "✓ ошибок нет" next to exit code 1."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cyclogram.cli._common import DatabaseOption, console, is_tty, print_diagnostics, tracker, width, write

if TYPE_CHECKING:
    from cyclogram.engine.validation import Checked

app = typer.Typer()


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


def _check(path: Path) -> Checked:
    from cyclogram import settings
    from cyclogram.compiled import CheckedFiles
    from cyclogram.workdays import country_days

    return CheckedFiles(settings.checked_files_dir(), country_days).check(path)


def _checked_or_exit(path: Path) -> Checked:
    checked = _check(path)
    print_diagnostics(checked.report, stderr=True)
    if checked.plan is None:
        print(f"{path}: в дорожной карте есть ошибки ({len(checked.report.errors)}), сроки не рассчитаны.", file=sys.stderr)
        raise typer.Exit(1)
    return checked


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Файлы дорожных карт (YAML)", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Считать предупреждения ошибками")] = False,
    output: Annotated[ReportFormat, typer.Option("--format", help="text или json")] = ReportFormat.text,
) -> None:
    """Проверить дорожные карты: синтаксис, поля, ссылки, циклы, даты. Код выхода 1 при ошибках."""
    from cyclogram.engine.russian import plural

    failed = False
    results = []
    for path in files:
        checked = _check(path)
        report = checked.report
        bad = bool(report.errors) or (strict and bool(report.warnings))
        failed = failed or bad
        if output is ReportFormat.json:
            results.append(
                {
                    "file": str(path),
                    "ok": not bad,
                    "stages": len(checked.plan.stages) if checked.plan else None,
                    "diagnostics": [d.to_dict() for d in report.sorted()],
                }
            )
            continue
        print_diagnostics(report, stderr=False)
        if report.errors:
            summary = f"✗ {path}: ошибок {len(report.errors)}, предупреждений {len(report.warnings)}"
        elif bad:  # --strict with warnings: not "✓ ошибок нет" with exit code 1
            summary = (
                f"✗ {path}: предупреждения считаются ошибками (--strict): {len(report.warnings)} "
                f"{plural(len(report.warnings), 'предупреждение', 'предупреждения', 'предупреждений')}"
            )
        else:
            stages = len(checked.plan.stages) if checked.plan else 0
            summary = f"✓ {path}: {stages} {plural(stages, 'этап', 'этапа', 'этапов')}, ошибок нет" + (
                f", предупреждений {len(report.warnings)}" if report.warnings else ""
            )
        print(summary)
    if output is ReportFormat.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    raise typer.Exit(1 if failed else 0)


@app.command()
def show(file: Annotated[Path, typer.Argument(help="Файл дорожной карты", show_default=False)]) -> None:
    """Показать разделы и этапы деревом: сроки, ответственные, зависимости."""
    from cyclogram.render import plan_tree

    checked = _checked_or_exit(file)
    assert checked.plan is not None
    console().print(plan_tree(checked.plan))


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="Файл дорожной карты", show_default=False)],
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="table, json или csv (для Excel)")] = PlanFormat.table,
    wide: Annotated[bool, typer.Option("--wide", help="Полная таблица: все столбцы и объяснение каждого срока")] = False,
) -> None:
    """Рассчитать плановые сроки каждого этапа и объяснить, откуда они взялись."""
    from cyclogram import render

    checked = _checked_or_exit(file)
    assert checked.plan is not None
    if output is PlanFormat.json:
        write(render.plan_json(checked.plan))
    elif output is PlanFormat.csv:
        write(render.plan_csv(checked.plan))
    elif wide:
        console(wide=True).print(render.plan_table(checked.plan))
    else:
        write(render.plan_lines(checked.plan, width(), color=is_tty()))


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Записать в файл вместо вывода")] = None,
) -> None:
    """Напечатать JSON Schema формата дорожной карты (для подсказок и проверки в редакторе)."""
    from cyclogram.engine.model import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def roadmaps(database: DatabaseOption = None) -> None:
    """Загруженные дорожные карты: id, название, текущая версия."""
    found = tracker(database).roadmaps()
    if not found:
        print("Дорожных карт не загружено. Загрузите: cyclogram load ФАЙЛ.yaml")
        return
    for row in found:
        print(f"{row.id}\tверсия {row.current_version}\t{row.title}")
