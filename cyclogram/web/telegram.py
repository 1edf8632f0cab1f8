"""Telegram in the web app: the webhook route, and «Подключить Telegram» on a person's page.

* `POST /telegram/webhook/{secret}` — updates from Telegram when the school chose the webhook
  (`cyclogram telegram webhook set`) over `cyclogram bot`: the path's secret and the
  `X-Telegram-Bot-Api-Secret-Token` header must both be the ones derived from the signing key
  (`cyclogram.bot.webhook`), else 404 / 403; a body over `MAX_UPDATE_BYTES` is 413, one that is
  not an update 400. The update goes through `cyclogram.bot.intake.process`, as with polling, and
  the answer is 200 once it is processed — 503 when the database cannot be used, so that Telegram
  delivers it again (processing is idempotent). Without the `telegram_bot_token` secret: 404.
* `POST /r/{roadmap}/people/{person}/telegram` (administrators and editors) and
  `POST /p/{token}/telegram` (the person's own page link) — a one-time code for the person
  (`cyclogram.bot.chats.invite`) shown as the deep link `https://t.me/<bot>?start=<code>` with a
  button and instructions (`telegram_link.html.j2`, never cached). Both forms carry the page's
  CSRF token. The person's page shows the chats linked now (`person_section`, `_telegram_person.html.j2`).
* The access log masks the webhook's secret path (`cyclogram.web.app.mask_path`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Refusal
from cyclogram.store import StoreError
from cyclogram.tracker import TrackingError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from aiogram import Bot, Dispatcher

    from cyclogram.bot.chats import Invitation
    from cyclogram.bot.context import BotContext
    from cyclogram.web.context import WebContext

MAX_UPDATE_BYTES = 1024 * 1024
INVITE_ROLES = ("admin", "editor")
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class PersonSection:
    """What the person's page shows about Telegram."""

    chats: int  # linked now
    since: str  # when the first of them was linked («14.10.2024»), "" without any
    action: str  # where «Подключить Telegram» posts; "" when this viewer may not
    configured: bool  # the bot's token is set


def person_section(context: WebContext, roadmap_id: str, person: str, action: str) -> PersonSection:
    from cyclogram import app
    from cyclogram.bot import chats
    from cyclogram.notifiers.channels import TELEGRAM_TOKEN_SECRET
    from cyclogram.store.audit import parse_stamp

    linked = chats.linked(context.tracker.store, roadmap_id, person)
    since = russian.format_date(parse_stamp(linked[0].linked_at).date()) if linked else ""
    configured = bool(app.secrets().get(TELEGRAM_TOKEN_SECRET))
    return PersonSection(len(linked), since, action if configured else "", configured)


class Face:
    """The bot as the web app runs it: made on the first webhook call, one per process."""

    def __init__(self, context: WebContext) -> None:
        self.context = context
        self._made: tuple[BotContext, Bot, Dispatcher] | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> tuple[BotContext, Bot, Dispatcher] | None:
        async with self._lock:
            if self._made is None:
                from cyclogram import app, settings
                from cyclogram.bot import intake
                from cyclogram.bot.client import bot_token, make_bot
                from cyclogram.bot.context import BotContext

                secrets = app.secrets()
                try:
                    token = bot_token(secrets)
                except Refusal:
                    return None
                ctx = BotContext(self.context.tracker, secrets, self.context.key, settings.configured_base_url(), token)
                self._made = (ctx, make_bot(token), intake.dispatcher(ctx))
            return self._made


def routes(context: WebContext) -> list[BaseRoute]:
    face = Face(context)

    async def webhook(request: Request) -> Response:
        from aiogram.types import Update
        from pydantic import ValidationError

        from cyclogram.bot import intake
        from cyclogram.bot.webhook import HEADER, header_ok, path_ok

        if not path_ok(context.key, str(request.path_params["secret"])):
            raise HTTPException(404)
        if not header_ok(context.key, request.headers.get(HEADER)):
            raise HTTPException(403)
        made = await face.get()
        if made is None:
            raise HTTPException(404)
        ctx, bot, dp = made
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPDATE_BYTES:
            raise HTTPException(413)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            raise HTTPException(413)
        try:
            update = Update.model_validate(json.loads(body), context={"bot": bot})
        except (ValueError, ValidationError):
            raise HTTPException(400) from None
        try:
            await intake.process(bot, dp, ctx, update)
        except StoreError:
            return PlainTextResponse("retry", status_code=503)
        return PlainTextResponse("ok")

    async def invite_signed_in(request: Request) -> Response:
        from cyclogram.web.auth import check_csrf, require

        user = require(context, request, *INVITE_ROLES)
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        roadmap_id, person = str(request.path_params["roadmap"]), str(request.path_params["person"])
        back = f"/r/{roadmap_id}/people/{person}"
        return await invitation_page(request, roadmap_id, person, user.email, back)

    async def invite_own(request: Request) -> Response:
        from cyclogram.web.board import person_link

        token = str(request.path_params["token"])
        found = await run_in_threadpool(person_link, context.tracker, context.key, token)
        if found is None:
            raise HTTPException(404)
        form = await request.form()
        if not context.csrf_ok(request, form.get("csrf")):
            raise HTTPException(403)
        link, _ = found
        return await invitation_page(request, link.roadmap_id, link.person, f"link:{link.link_id}", f"/p/{token}", link_page=True)

    async def invitation_page(
        request: Request, roadmap_id: str, person: str, actor: str, back: str, link_page: bool = False
    ) -> Response:
        from cyclogram import app
        from cyclogram.bot.client import bot_token, fetch_username
        from cyclogram.web.board import ROADMAP_ID

        try:
            token = bot_token(app.secrets())
        except Refusal:
            raise HTTPException(409, "Бот Telegram не настроен: нет секрета telegram_bot_token.") from None
        if not ROADMAP_ID.match(roadmap_id):  # an id only: a web address must never name a YAML file
            raise HTTPException(404)
        try:
            invitation, zone = await run_in_threadpool(_invite, context, roadmap_id, person, actor)
        except TrackingError as error:
            raise HTTPException(404, str(error)) from None
        username = await fetch_username(token)
        expires = invitation.expires_at.astimezone(zone)
        values: dict[str, Any] = {
            "name": invitation.name,
            "deep_link": invitation.deep_link(username) if username else "",
            "start_line": f"/start {invitation.code}",
            "expires": f"{russian.format_date(expires.date())} {expires:%H:%M}",
            "back": back,
            "link_page": link_page,
        }
        response: Response = context.render(request, "telegram_link.html.j2", **values)
        response.headers.update(NO_STORE)
        return response

    return [
        Route("/telegram/webhook/{secret}", webhook, methods=["POST"]),
        Route("/r/{roadmap}/people/{person}/telegram", invite_signed_in, methods=["POST"]),
        Route("/p/{token}/telegram", invite_own, methods=["POST"]),
    ]


def _invite(context: WebContext, roadmap_id: str, person: str, actor: str) -> tuple[Invitation, ZoneInfo]:
    from cyclogram.bot import chats

    invitation = chats.invite(context.tracker, roadmap_id, person, actor)
    return invitation, context.tracker.active(invitation.roadmap_id).zone
