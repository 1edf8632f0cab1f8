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
| `documents` | import (a school's plan from Word, Excel, CSV, text → roadmap YAML), export (docx, xlsx, pdf) |
| `telegram` | bot; telegram link, unlink, chats, webhook set/delete/info (the Telegram bot) |

Usage errors (a missing argument, an unknown option or command, a value not among the choices) are
said in Russian with the command's usage line and exit code 2 (`cli/usage.py`).

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

from cyclogram.cli import calendars, documents, links, reminders, roadmaps, schedule, telegram, tracking, users
from cyclogram.engine.diagnostics import Refusal

app = typer.Typer(
    name="cyclogram",
    help="Дорожные карты и циклограммы учебного года: проверка, сроки, напоминания.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (roadmaps, tracking, reminders, calendars, schedule, telegram, documents):
    app.registered_commands += group.app.registered_commands
app.add_typer(calendars.feeds_app, name="feeds")
app.add_typer(links.links_app, name="links")
app.add_typer(tracking.audit_app, name="audit")
app.add_typer(users.users_app, name="users")
app.add_typer(telegram.telegram_app, name="telegram")


def main() -> None:
    # Pydantic looks for plugins through every installed distribution's entry points (~15 ms of each
    # start); Cyclogram uses none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # Everything this program writes is private to its user: the database (outbox texts, feed tokens),
    # evidence, compiled snapshots, calendars, exports.
    os.umask(0o077)
    from cyclogram.cli import usage

    try:
        # Standalone mode off: click's usage errors reach us and are said in Russian (cli/usage.py).
        code = app(standalone_mode=False)
    except usage.NoArgsIsHelpError as error:  # `cyclogram` or a group alone: its help, as before
        print(error.format_message(), file=sys.stderr)
        sys.exit(2)
    except usage.UsageError as error:
        print("\n".join(usage.usage_lines(error)), file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("прервано", file=sys.stderr)
        sys.exit(1)
    except usage.ClickException as error:
        print(f"ошибка: {error.format_message()}", file=sys.stderr)
        sys.exit(error.exit_code)
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
    if code == 130:  # typer turns Ctrl-C into exit code 130
        print("прервано", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)
