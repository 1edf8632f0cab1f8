"""The school's web app (`cyclogram web`): calendar feeds, the pages teachers open from reminders,
the board, the auditor's history. See `cyclogram.web.app` for the design record.

The app and its context are imported on first use (PEP 562): `cyclogram history` reads events with
`cyclogram.web.audit.describe` and the bot checks files with `cyclogram.web.uploads`, neither of
which needs Starlette's application, Jinja2 or the password hasher."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cyclogram.web.app import create_app, serve
    from cyclogram.web.context import WebContext, web_context

__all__ = ["WebContext", "create_app", "serve", "web_context"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "serve"):
        from cyclogram.web import app

        return getattr(app, name)
    if name in ("WebContext", "web_context"):
        from cyclogram.web import context

        return getattr(context, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
