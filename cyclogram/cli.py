"""The `cyclogram` command line.

Kept quick to start: Prefect, the `holidays` package and rich's heavier parts are imported only by
the commands that need them, so `cyclogram validate` stays close to a bare Python start.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="cyclogram",
    help="Дорожные карты и циклограммы учебного года: проверка, сроки, напоминания.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output has no terminal width; rich would squeeze tables into 80 columns.
    width = None if stream.isatty() else 200
    return Console(stderr=stderr, highlight=False, width=width)


def _print_diagnostics(report, stderr: bool) -> None:  # type: ignore[no-untyped-def]
    from cyclogram.render import diagnostics_text

    lines = diagnostics_text(report.sorted())
    if not lines:
        return
    if not (sys.stderr if stderr else sys.stdout).isatty():
        # Plain text for pipes and editors: exact file:line:col lines, no wrapping.
        stream = sys.stderr if stderr else sys.stdout
        for text, _ in lines:
            print(text, file=stream)
        return
    console = _console(stderr)
    for text, style in lines:
        console.print(text, style=style, markup=False)


def _checked_or_exit(path: Path):  # type: ignore[no-untyped-def]
    from engine.validation import check_file

    checked = check_file(path)
    _print_diagnostics(checked.report, stderr=True)
    if checked.plan is None:
        print(
            f"{path}: в дорожной карте есть ошибки ({len(checked.report.errors)}), сроки не рассчитаны.",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    return checked


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Файлы дорожных карт (YAML)", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Считать предупреждения ошибками")] = False,
    output: Annotated[ReportFormat, typer.Option("--format", help="text или json")] = ReportFormat.text,
) -> None:
    """Проверить дорожные карты: синтаксис, поля, ссылки, циклы, даты. Код выхода 1 при ошибках."""
    from engine.validation import check_file

    failed = False
    results = []
    for path in files:
        checked = check_file(path)
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
        _print_diagnostics(report, stderr=False)
        if report.errors:
            summary = f"✗ {path}: ошибок {len(report.errors)}, предупреждений {len(report.warnings)}"
        else:
            from engine.russian import plural

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
    _console().print(plan_tree(checked.plan))


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="Файл дорожной карты", show_default=False)],
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="table, json или csv")] = PlanFormat.table,
) -> None:
    """Рассчитать плановые сроки каждого этапа и объяснить, откуда они взялись."""
    from cyclogram import render

    checked = _checked_or_exit(file)
    if output is PlanFormat.json:
        print(render.plan_json(checked.plan))
    elif output is PlanFormat.csv:
        sys.stdout.write(render.plan_csv(checked.plan))
    else:
        _console().print(render.plan_table(checked.plan))


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Записать в файл вместо вывода")] = None,
) -> None:
    """Напечатать JSON Schema формата дорожной карты (для подсказок и проверки в редакторе)."""
    from engine.model import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
