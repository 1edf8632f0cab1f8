"""The school's web app (`cyclogram web`): calendar feeds, the pages teachers open from reminders,
the board, the auditor's history. See `cyclogram.web.app` for the design record."""

from cyclogram.web.app import create_app, serve
from cyclogram.web.context import WebContext, web_context

__all__ = ["WebContext", "create_app", "serve", "web_context"]
