"""The web app: one Starlette application, server-rendered Russian pages, no external assets.

Routes come from one module per area — `feeds` (calendar subscriptions), `auth` (sign-in for the
deputy director, director and auditors), `admin` (the administrator's users and calendar links),
`links` (the stage page — opened from a reminder by a signed link without signing in, or signed
in — with its forms: completion, skip, «Записать повод», «Задействовать резервный этап»), `board`
(roadmaps, the board, the Gantt chart, a person's stages), `audit` (history, exports,
verification), `telegram` (the bot's webhook, «Подключить Telegram») — each exporting `routes`.

Every response carries the security headers (`SecurityHeaders`): a Content-Security-Policy without
inline script or style and with `frame-ancestors 'none'`, `X-Frame-Options: DENY`, `nosniff`, and
`Referrer-Policy: no-referrer` (an action link's token must not leak to another site through the
Referer). Errors are Russian pages without a stack trace; an HTTPException's headers are kept (a
3xx becomes a bare redirect: that is how `auth.require` sends a signed-out visitor to /signin).
The access log is ours (`AccessLog`): calendar tokens, action-link tokens and the Telegram webhook's
secret path are masked in it
whatever the case of the path; uvicorn's own access log is off.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cyclogram.web.context import STATIC, WebContext

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_SECRETS_IN_PATHS = re.compile(r"(/(?:calendars|a|p|telegram/webhook)/)([A-Za-z0-9_-]{6})[A-Za-z0-9_.~-]+", re.IGNORECASE)
ERROR_WORDS = {
    400: "Неверный запрос",
    403: "Доступ запрещён",
    404: "Страница не найдена",
    405: "Так нельзя",
    413: "Файл слишком большой",
    415: "Такой файл не принимается",
    429: "Слишком много попыток",
    500: "Ошибка на сервере",
}
ERROR_HINTS = {
    403: "Форма устарела или у вас нет прав на это действие. Обновите страницу и попробуйте ещё раз.",
    404: "Ссылка неверна, устарела или отозвана. Попросите заместителя директора прислать новую.",
    413: "Загрузите файл поменьше или укажите ссылку на документ.",
    429: "Подождите минуту и попробуйте снова.",
    500: "Мы уже знаем об ошибке. Попробуйте ещё раз позже.",
}

log = logging.getLogger("cyclogram.web")


def mask_path(path: str) -> str:
    return _SECRETS_IN_PATHS.sub(lambda m: f"{m[1]}{m[2]}…", path)


class SecurityHeaders:
    """Adds the security headers to every HTTP response (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    """One line per request, secrets in paths masked (uvicorn's own access log would print them)."""

    def __init__(self, app: ASGIApp, quiet: bool = False) -> None:
        self.app = app
        self.quiet = quiet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.quiet:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            client = scope.get("client") or ("-", 0)
            elapsed = (time.perf_counter() - started) * 1000
            print(f"{client[0]} {scope['method']} {mask_path(scope['path'])} {status} {elapsed:.0f} мс", file=sys.stderr)


def error_page(context: WebContext) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        code = error.status_code if isinstance(error, HTTPException) else 500
        if code == 500:
            log.error("ошибка при ответе на %s %s: %s", request.method, mask_path(request.url.path), type(error).__name__)
        detail = (
            error.detail if isinstance(error, HTTPException) and error.detail and error.detail != ERROR_WORDS.get(code) else None
        )
        if isinstance(detail, str) and not any("а" <= ch <= "я" for ch in detail.lower()):
            detail = None  # Starlette's own English phrases are not shown
        headers = dict(error.headers or {}) if isinstance(error, HTTPException) else {}
        if 300 <= code < 400:  # `auth.require` sends a signed-out visitor to /signin this way
            return Response(status_code=code, headers=headers)
        response: Response = context.render(
            request,
            "error.html.j2",
            status_code=code,
            code=code,
            title=ERROR_WORDS.get(code, "Ошибка"),
            hint=detail or ERROR_HINTS.get(code, ""),
        )
        response.headers.update(headers)  # Retry-After, Allow, …
        return response

    return handle


def create_app(context: WebContext, *, quiet: bool = False, https: bool | None = None) -> Starlette:
    """The application; `https` marks cookies Secure (default: when the base URL is https)."""
    from cyclogram.web import admin, audit, auth, board, feeds, links, telegram

    routes: list[BaseRoute] = [
        *feeds.routes(context),
        *auth.routes(context),
        *admin.routes(context),
        *links.routes(context),
        *board.routes(context),
        *audit.routes(context),
        *telegram.routes(context),
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    secure = context.base_url.startswith("https://") if https is None else https
    middleware = [
        Middleware(AccessLog, quiet=quiet),
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=context.key.hex(),
            session_cookie="cyclogram_session",
            same_site="lax",
            https_only=secure,
            max_age=12 * 3600,
        ),
    ]
    handler = error_page(context)
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: handler, Exception: handler})
    app.state.context = context
    return app


def serve(context: WebContext, host: str, port: int) -> None:
    """Run the app with uvicorn: idle connections closed after 5 s (also before a first request,
    `cyclogram.web.protocol`), no access log of its own (ours masks tokens)."""
    import uvicorn

    from cyclogram.web.protocol import FirstRequestTimeout

    uvicorn.run(
        create_app(context),
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        timeout_keep_alive=5,
        server_header=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        http=FirstRequestTimeout,
    )
