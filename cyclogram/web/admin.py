"""The administrator's pages: accounts (`/users`) and calendar subscription links (`/feeds`).

Admin role only (`auth.require`); every POST checks the CSRF token. Decisions:

* **Passwords are made by the server** (`users.generate_password`) when an account is added or a
  password reset, and shown once, on the page that answers the POST — never put in a URL, the
  session or a log. The person changes it at `/password` after signing in.
* An account is **disabled, not deleted**; an administrator cannot disable their own account here
  (that would lock them out mid-session) and the service refuses to disable the last admin.
* **Calendar links**: the subscription URL `{base_url}/calendars/<token>.ics` is shown in full only
  on the page that answers its creation (or its replacement); the list shows it masked
  (`…/calendars/AbCdEf…`). Forms never carry a token: a revoke or replace names the link by a
  keyed handle (`feed_handle`), so the page's HTML holds no working link either.
* Changes go through the service layer (`cyclogram.users`, `cyclogram.feeds.Feeds`), which writes
  the audit events (`user.*`, `feed.*`); the actor is the signed-in account's e-mail.
* After a change that shows nothing new the page redirects (303) with a one-time notice (`flash`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cyclogram import users
from cyclogram.engine.diagnostics import Refusal
from cyclogram.feeds import Feed
from cyclogram.web.audit import common_zone, local_time
from cyclogram.web.auth import User, check_csrf, flash, require, sentence, take_flash

if TYPE_CHECKING:
    from cyclogram.tracker import ActiveRoadmap
    from cyclogram.web.context import WebContext

ROLE_HINTS = {
    "admin": "загружает дорожные карты, управляет календарями и пользователями",
    "editor": "отмечает этапы за других",
    "viewer": "смотрит доски и сроки",
    "auditor": "читает журнал и проверяет его",
}


@dataclass(frozen=True)
class FeedView:
    handle: str
    roadmap_id: str
    roadmap_title: str
    what: str
    todo: bool
    created: str
    masked_url: str
    active: bool


def feed_handle(context: WebContext, token: str) -> str:
    """A name for a calendar link in forms that is not the link (module docstring)."""
    return context.mac("feed-handle", token)[:20]


def feed_url(context: WebContext, token: str) -> str:
    return f"{context.base_url}/calendars/{token}.ics"


def routes(context: WebContext) -> list[BaseRoute]:
    tracker = context.tracker
    store = tracker.store

    def actives() -> dict[str, ActiveRoadmap]:
        """The loaded roadmaps' current versions (one that no longer compiles is left out)."""
        found: dict[str, ActiveRoadmap] = {}
        for row in tracker.roadmaps():
            try:
                found[row.id] = tracker.active(row.id)
            except Refusal:
                continue
        return found

    # --- accounts -------------------------------------------------------------------------------

    def users_page(request: Request, me: User, status: int = 200, **values: Any) -> Response:
        accounts = users.list_users(store)
        zone = common_zone(active.roadmap.timezone for active in actives().values())
        values.setdefault("error", None)
        values.setdefault("new_password", None)
        values.setdefault("shown", None)
        values.setdefault("form", {"email": "", "name": "", "role": "viewer"})
        response: Response = context.render(
            request,
            "users.html.j2",
            status_code=status,
            accounts=accounts,
            me=me,
            roles=[(role, users.ROLE_WORDS[role], ROLE_HINTS[role]) for role in users.ROLES],
            local=lambda stamp: local_time(stamp, zone, seconds=False),
            zone=zone.key,
            notice=take_flash(request),
            **values,
        )
        return response

    def list_accounts(request: Request) -> Response:
        me = require(context, request, "admin")
        return users_page(request, me)

    async def add_account(request: Request) -> Response:
        me = require(context, request, "admin")
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        fields = {key: str(form.get(key) or "").strip() for key in ("email", "name", "role")}
        password = users.generate_password()
        try:
            added = await run_in_threadpool(users.add, store, fields["email"], fields["name"], fields["role"], password, me.actor)
        except Refusal as refusal:
            return await run_in_threadpool(users_page, request, me, 400, error=sentence(str(refusal)), form=fields)
        return await run_in_threadpool(users_page, request, me, 200, new_password=password, shown=added)

    def account(user_id: int) -> users.WebUser:
        for found in users.list_users(store):
            if found.id == user_id:
                return found
        raise HTTPException(404, "Такого пользователя нет.")

    async def disable_account(request: Request) -> Response:
        me = require(context, request, "admin")
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        target = await run_in_threadpool(account, int(request.path_params["user_id"]))
        if target.id == me.id:
            flash(request, "error", "Свою учётную запись отключить нельзя: попросите другого администратора.")
            return RedirectResponse("/users", status_code=303)
        try:
            await run_in_threadpool(users.disable, store, target.email, me.actor)
        except Refusal as refusal:
            flash(request, "error", sentence(str(refusal)))
        else:
            flash(request, "ok", f"Пользователь {target.name} <{target.email}> отключён; его сеансы закончены.")
        return RedirectResponse("/users", status_code=303)

    async def reset_password(request: Request) -> Response:
        me = require(context, request, "admin")
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        target = await run_in_threadpool(account, int(request.path_params["user_id"]))
        if target.id == me.id:
            flash(request, "error", "Свой пароль меняйте на странице «Сменить пароль».")
            return RedirectResponse("/users", status_code=303)
        if not target.active:
            flash(request, "error", f"Пользователь {target.email} отключён: новый пароль ему не нужен.")
            return RedirectResponse("/users", status_code=303)
        password = users.generate_password()
        try:
            changed = await run_in_threadpool(users.set_password, store, target.email, password, me.actor)
        except Refusal as refusal:
            return await run_in_threadpool(users_page, request, me, 400, error=sentence(str(refusal)))
        return await run_in_threadpool(users_page, request, me, 200, new_password=password, shown=changed)

    # --- calendar links ---------------------------------------------------------------------------

    def describe(feed: Feed, loaded: dict[str, ActiveRoadmap]) -> FeedView:
        active = loaded.get(feed.roadmap_id)
        if active is not None and feed.scope == "person":
            person = active.roadmap.people.get(feed.scope_key or "")
            what = f"человек: {person.name if person else feed.scope_key}"
        elif active is not None and feed.scope == "role":
            role = active.roadmap.roles.get(feed.scope_key or "")
            what = f"роль: {role.title if role else feed.scope_key}"
        else:
            what = feed.describe()
        zone = active.zone if active is not None else common_zone(a.roadmap.timezone for a in loaded.values())
        return FeedView(
            feed_handle(context, feed.token),
            feed.roadmap_id,
            active.roadmap.title if active is not None else feed.roadmap_id,
            what,
            feed.todo,
            local_time(feed.created_at, zone, seconds=False),
            f"{context.base_url}/calendars/{feed.token[:6]}…",
            feed.active,
        )

    def feeds_page(request: Request, status: int = 200, **values: Any) -> Response:
        loaded = actives()
        show_all = request.query_params.get("all") == "1"
        chosen = request.query_params.get("roadmap") or values.pop("chosen", None) or ""
        if chosen not in loaded:
            chosen = next(iter(sorted(loaded)), "")
        active = loaded.get(chosen)
        targets: list[tuple[str, str, str]] = [("roadmap", "", "Вся дорожная карта")]
        if active is not None:
            people = sorted(active.roadmap.people.items(), key=lambda item: item[1].name)
            targets += [("Люди", f"person:{key}", person.name) for key, person in people]
            targets += [("Роли", f"role:{key}", role.title) for key, role in active.roadmap.roles.items()]
        values.setdefault("error", None)
        values.setdefault("new_url", None)
        values.setdefault("new_feed", None)
        response: Response = context.render(
            request,
            "feeds_admin.html.j2",
            status_code=status,
            feeds=[describe(feed, loaded) for feed in context.feeds.list(include_revoked=show_all)],
            roadmaps=sorted(loaded.values(), key=lambda a: a.roadmap.title),
            chosen=chosen,
            targets=targets,
            show_all=show_all,
            notice=take_flash(request),
            **values,
        )
        return response

    def list_feeds(request: Request) -> Response:
        require(context, request, "admin")
        return feeds_page(request)

    def find_feed(handle: str) -> Feed:
        for feed in context.feeds.list():
            if feed_handle(context, feed.token) == handle:
                return feed
        raise HTTPException(404, "Такой действующей ссылки на календарь нет: возможно, её уже отозвали.")

    def create_feed(roadmap_id: str, target: str, todo: bool, actor: str) -> Feed:
        kind, _, key = target.partition(":")
        if kind == "person" and key:
            return context.feeds.create(roadmap_id, actor, person=key, todo=todo)
        if kind == "role" and key:
            return context.feeds.create(roadmap_id, actor, role=key, todo=todo)
        return context.feeds.create(roadmap_id, actor, todo=todo)

    async def add_feed(request: Request) -> Response:
        me = require(context, request, "admin")
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        roadmap_id = str(form.get("roadmap") or "")
        target = str(form.get("target") or "roadmap")
        todo = form.get("todo") == "1"
        if not roadmap_id:
            return await run_in_threadpool(feeds_page, request, 400, error="Выберите дорожную карту.")
        try:
            feed = await run_in_threadpool(create_feed, roadmap_id, target, todo, me.actor)
        except Refusal as refusal:
            return await run_in_threadpool(feeds_page, request, 400, error=sentence(str(refusal)), chosen=roadmap_id)
        loaded = await run_in_threadpool(actives)
        return await run_in_threadpool(
            feeds_page, request, 200, new_url=feed_url(context, feed.token), new_feed=describe(feed, loaded), chosen=roadmap_id
        )

    async def revoke_feed(request: Request) -> Response:
        me = require(context, request, "admin")
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        feed = await run_in_threadpool(find_feed, str(form.get("feed") or ""))
        try:
            await run_in_threadpool(context.feeds.revoke, feed.token, me.actor)
        except Refusal as refusal:
            flash(request, "error", sentence(str(refusal)))
        else:
            flash(request, "ok", f"Ссылка {feed.token[:6]}… отозвана: календарь по ней больше не откроется.")
        return RedirectResponse("/feeds", status_code=303)

    async def rotate_feed(request: Request) -> Response:
        me = require(context, request, "admin")
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        feed = await run_in_threadpool(find_feed, str(form.get("feed") or ""))
        try:
            fresh = await run_in_threadpool(context.feeds.rotate, feed.token, me.actor)
        except Refusal as refusal:
            flash(request, "error", sentence(str(refusal)))
            return RedirectResponse("/feeds", status_code=303)
        loaded = await run_in_threadpool(actives)
        return await run_in_threadpool(
            feeds_page,
            request,
            200,
            new_url=feed_url(context, fresh.token),
            new_feed=describe(fresh, loaded),
            chosen=fresh.roadmap_id,
        )

    return [
        Route("/users", list_accounts, methods=["GET"]),
        Route("/users", add_account, methods=["POST"]),
        Route("/users/{user_id:int}/disable", disable_account, methods=["POST"]),
        Route("/users/{user_id:int}/password", reset_password, methods=["POST"]),
        Route("/feeds", list_feeds, methods=["GET"]),
        Route("/feeds", add_feed, methods=["POST"]),
        Route("/feeds/revoke", revoke_feed, methods=["POST"]),
        Route("/feeds/rotate", rotate_feed, methods=["POST"]),
    ]
