"""Calendar feeds over HTTP: `/calendars/<token>.ics` for Google, Outlook, Apple and Thunderbird.

Conditional requests (ETag / Last-Modified → 304; If-None-Match compared weakly, RFC 9110
§13.1.2), and nothing that tells an unknown token from a revoked one: both get the same 404.
Feed bytes come from `cyclogram.feeds.Feeds`, which rebuilds only when the roadmap, its
completions or the day change and re-serializes only the changed events; building runs in a
worker thread so one slow feed does not hold the others.
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cyclogram.feeds import BuiltFeed
from cyclogram.web.context import WebContext

CONTENT_TYPE = "text/calendar; charset=utf-8"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NOT_FOUND = "Календарь не найден: ссылка неверна или отозвана.\n"


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match against our ETag with the weak comparison: `W/"x"` matches `"x"`; `*` any."""
    if header.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in header.split(","))


def not_modified(request: Request, built: BuiltFeed) -> bool:
    wanted = request.headers.get("if-none-match")
    if wanted is not None:
        return etag_matches(wanted, built.etag)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return built.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def routes(context: WebContext) -> list[BaseRoute]:
    async def calendar(request: Request) -> Response:
        token = str(request.path_params["token"])
        feed = await run_in_threadpool(context.feeds.lookup, token) if _TOKEN.match(token) else None
        if feed is None:
            return PlainTextResponse(NOT_FOUND, status_code=404)
        built = await run_in_threadpool(context.feeds.build_for, feed)
        headers = {"ETag": built.etag, "Last-Modified": built.last_modified_http, "Cache-Control": "private, max-age=300"}
        if not_modified(request, built):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
        body = built.body if request.method == "GET" else b""
        response = Response(body, media_type=CONTENT_TYPE, headers=headers)
        if request.method == "HEAD":
            response.headers["content-length"] = str(len(built.body))
        return response

    return [Route("/calendars/{token}.ics", calendar, methods=["GET", "HEAD"])]
