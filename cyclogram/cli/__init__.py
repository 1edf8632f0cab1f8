"""The `cyclogram` command line: one module per command group, thin over the service layer.

| module | commands |
|---|---|
| `roadmaps` | validate, show, plan, schema, roadmaps |
| `tracking` | load, done, import-completions, skip, reopen, status, history, audit verify |
| `reminders` | remind, dispatch, outbox, notify-test |
| `calendars` | ical, feeds …, web |
| `links` | links issue, links revoke, links revoke-one (action links from reminders) |
| `schedule` | serve, tick, runs (Prefect) |
| `users` | users add, list, passwd, disable (accounts of the web app) |

Exit codes, in one place: every refusal is a `Refusal` (engine/diagnostics.py) carrying its code,
caught here once and printed as one Russian line on stderr.

| code | meaning |
|---|---|
| 0 | done |
| 1 | refused: errors in a roadmap, an unknown stage or person, a blocked stage, … |
| 2 | wrong usage (unknown option, missing argument) |
| 3 | the database cannot be used (missing, locked, unreachable, read-only) |
| 4 | a secret is missing or its file is not private |
| 5 | some messages were not delivered (they wait for a retry, or failed): `remind`, `dispatch` |
| 130 | interrupted (Ctrl-C) |

An operating-system error (a full disk, a read-only folder) is said in Russian with exit code 1.
"""

from __future__ import annotations

import os
import sys

import typer

from cyclogram.cli import calendars, links, reminders, roadmaps, schedule, tracking, users
from cyclogram.engine.diagnostics import Refusal

app = typer.Typer(
    name="cyclogram",
    help="Дорожные карты и циклограммы учебного года: проверка, сроки, напоминания.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (roadmaps, tracking, reminders, calendars, schedule):
    app.registered_commands += group.app.registered_commands
app.add_typer(calendars.feeds_app, name="feeds")
app.add_typer(links.links_app, name="links")
app.add_typer(tracking.audit_app, name="audit")
app.add_typer(users.users_app, name="users")


def main() -> None:
    # Pydantic looks for plugins through every installed distribution's entry points (~15 ms of each
    # start); Cyclogram uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Everything this program writes is private to its user: the database (outbox texts, feed tokens),
    # evidence, compiled snapshots, calendars, exports.
    os.umask(0o077)
    try:
        app()
    except Refusal as refusal:
        print(f"ошибка: {refusal}", file=sys.stderr)
        sys.exit(refusal.exit_code)
    except OSError as error:  # a full disk, a read-only folder, a file that vanished: said in Russian
        from cyclogram.engine.russian import os_error_text

        print(f"ошибка: {os_error_text(error)}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("прервано", file=sys.stderr)
        sys.exit(130)
