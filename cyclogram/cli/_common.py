"""What the command groups share: options, output helpers, opening the tracker.

Commands are thin: they parse options, call the service layer (`cyclogram.tracker`,
`cyclogram.recording`, `cyclogram.reminding`, `cyclogram.feeds`) and print. Refusals are not
caught here: every `Refusal` reaches `cyclogram.cli.main`, which prints it and exits with its code.
Heavy modules (rich, the ORM, Prefect) are imported inside the commands that need them, so that
`validate` and `status` start quickly.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cyclogram.engine.diagnostics import Refusal

if TYPE_CHECKING:
    from cyclogram.engine.diagnostics import Report
    from cyclogram.tracker import Tracker

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "--db",
        envvar="CYCLOGRAM_DATABASE_URL",
        help="База данных: sqlite:///путь.db или postgresql://… (по умолчанию файл в ~/.local/share/cyclogram)",
        show_envvar=True,
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", envvar="CYCLOGRAM_ACTOR", help="Кто выполняет команду (для журнала); по умолчанию пользователь ОС"),
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", envvar="CYCLOGRAM_BASE_URL", help="Адрес сервера cyclogram web для ссылок")
]
RoadmapArgument = Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)]


def refuse(message: str) -> Refusal:
    """A usage refusal of the command line itself (raised, printed by `main`)."""
    return Refusal(message)


def tracker(database: str | None) -> Tracker:
    from cyclogram.app import open_tracker

    return open_tracker(database)


def actor(explicit: str | None) -> str:
    from cyclogram import settings

    return settings.actor(explicit)


def is_tty(stream: Any = None) -> bool:
    return bool((stream or sys.stdout).isatty())


def width(stream: Any = None) -> int:
    """The terminal's width; 80 columns when piped, unless COLUMNS says otherwise."""
    if is_tty(stream):
        return os.get_terminal_size((stream or sys.stdout).fileno()).columns
    try:
        return max(40, int(os.environ.get("COLUMNS", "80")))
    except ValueError:
        return 80


def console(stderr: bool = False, wide: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output has no terminal width; a wide table is wanted whole (rich would squeeze it).
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else (200 if wide else width(stream)))


def print_diagnostics(report: Report, stderr: bool) -> None:
    stream = sys.stderr if stderr else sys.stdout
    diagnostics = report.sorted()
    if not diagnostics:
        return
    if not stream.isatty():
        # Plain text for pipes and editors: exact file:line:col lines, no wrapping.
        for diagnostic in diagnostics:
            print(diagnostic.format(), file=stream)
        return
    out = console(stderr)
    for diagnostic in diagnostics:
        out.print(diagnostic.format(), style="red" if diagnostic.is_error else "yellow", markup=False)


def write(text: str | bytes) -> None:
    if isinstance(text, bytes):
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)


def prefect_env() -> None:
    """Prefect must not phone home from a school's server (and there is no internet here)."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
