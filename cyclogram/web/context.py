"""What every request of the web app shares: the tracker, the feeds, the signing key, the templates.

One `WebContext` per process (made by `cyclogram.web.create_app`). The signing key signs session
cookies, action links and link-page CSRF tokens; it is the secret `web_secret` when configured
(env `CYCLOGRAM_SECRET_WEB_SECRET` or the secrets file), otherwise a random key created once in
`<data dir>/web.key` (0600) — never in the database, so a copy of the database cannot forge links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets as random_secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from cyclogram import settings
from cyclogram.engine import russian
from cyclogram.feeds import Feeds
from cyclogram.tracker import Tracker

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
WEB_SECRET = "web_secret"
ROLES = ("admin", "editor", "viewer", "auditor")
ROLE_WORDS = {"admin": "администратор", "editor": "редактор", "viewer": "просмотр", "auditor": "аудитор"}


def signing_key(environ_secret: str | None, data_dir: Path) -> bytes:
    """The configured `web_secret`, else the key kept in `<data dir>/web.key` (created once)."""
    if environ_secret:
        return hashlib.sha256(environ_secret.encode("utf-8")).digest()
    path = data_dir / "web.key"
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        pass
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = random_secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex())
    except FileExistsError:  # another process created it first: use theirs
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    return key


@dataclass
class WebContext:
    tracker: Tracker
    key: bytes
    base_url: str
    feeds: Feeds = field(init=False)
    templates: Jinja2Templates = field(init=False)

    def __post_init__(self) -> None:
        self.feeds = Feeds(self.tracker)
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        env = self.templates.env
        # Starlette's default escapes only templates named *.html/*.htm/*.xml; ours are *.html.j2,
        # which it would leave unescaped (every title and name a stored XSS): escape everything.
        env.autoescape = True
        env.filters["date"] = lambda d: russian.format_date(d) if d else "—"
        env.filters["date_weekday"] = lambda d: russian.format_date_weekday(d) if d else "—"
        env.filters["shorten"] = russian.shorten
        env.filters["plural"] = lambda n, one, few, many: russian.plural(int(n), one, few, many)
        env.globals["role_words"] = ROLE_WORDS

    # --- derived secrets ---------------------------------------------------------------------------

    def mac(self, purpose: str, message: str) -> str:
        """A short keyed digest for `purpose` ("csrf", "link", …): URL-safe, constant-time comparable."""
        digest = hmac.new(self.key, f"{purpose}\0{message}".encode(), hashlib.sha256).hexdigest()
        return digest[:32]

    def csrf_token(self, request: Request) -> str:
        """The form token of this browser session, or of this action link (pages without a session)."""
        link = request.path_params.get("token")
        if isinstance(link, str):
            return self.mac("csrf-link", link)
        session = request.session
        token = session.get("csrf")
        if not isinstance(token, str):
            token = session["csrf"] = random_secrets.token_urlsafe(24)
        return token

    def csrf_ok(self, request: Request, sent: object) -> bool:
        return isinstance(sent, str) and hmac.compare_digest(sent, self.csrf_token(request))

    # --- rendering ---------------------------------------------------------------------------------

    def render(self, request: Request, template: str, status_code: int = 200, **values: Any) -> Any:
        from cyclogram.web.auth import current_user

        context = {
            "request": request,
            "user": current_user(self, request),
            "csrf": self.csrf_token(request),
            "today": dt.date.today(),
            "base_url": self.base_url,
            **values,
        }
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)


def web_context(tracker: Tracker, base_url: str | None = None) -> WebContext:
    from cyclogram import app as services

    key = signing_key(services.secrets().get(WEB_SECRET), settings.data_dir())
    return WebContext(tracker, key, settings.base_url(base_url))
