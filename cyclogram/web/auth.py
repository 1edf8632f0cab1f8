"""Signing in (deputy director, director, auditors), sessions, roles, and guarding pages.

Teachers never sign in (they act through signed links, `cyclogram.web.links`); the people who do
are accounts in `web_user` (`cyclogram.users`). Decisions:

* **E-mail and password**; the password is checked against its argon2id hash in a worker thread
  (~0.15 s of CPU and 64 MiB each), at most `HASHING_AT_ONCE` at a time so a flood of sign-ins
  cannot exhaust memory. A hash made with older parameters is replaced after a successful sign-in.
* **One answer for every failure**: an unknown e-mail, a wrong password and a disabled account all
  get `GENERIC_ERROR` with status 401 (which also lets fail2ban count them in the access log), and an
  unknown e-mail is verified against a dummy hash so the answer takes as long as a real check.
* **Rate limit**: at most `MAX_FAILURES` (5) failed attempts per e-mail and per client address in
  `WINDOW_S` (15 minutes); the next attempt gets 429 with a Russian page and `Retry-After`, without
  checking the password. Attempts are charged before the check and refunded on success, so parallel
  requests cannot slip past the limit. The counters live in memory, in the `SignInLimiter` made by
  `routes()` — one per application, which is one per process: enough for the single `cyclogram web`
  process a school runs; several processes would each count on their own (a shared store would
  then be needed). The client address is the one uvicorn reports (`X-Forwarded-For` is trusted
  from 127.0.0.1 only, see `app.serve`).
* **Sessions**: Starlette's signed cookie (`SessionMiddleware` in `app.py`, 12 hours, HttpOnly,
  SameSite=Lax, Secure behind https) holds only the account's id and a *session version* — a MAC of
  the account's password hash, so changing the password ends every other session. The account is
  read again on every request (one lean query, cached for the request): a disabled account or a
  changed role takes effect at once. Signing in clears the session first (a new CSRF token, nothing
  carried over from before).
* **Roles**: admin (loads roadmaps, manages calendar links and users), editor (marks stages for
  others), viewer (sees the boards), auditor (reads the history, read-only). `require(context,
  request, *roles)` lets through exactly the roles named — admin is not implied — and any signed-in
  account when none are named; a signed-out visitor gets 303 to `/signin?next=<this path>`.
* **No open redirect**: `next` is honoured only when it is a path on this site (`safe_next`).
* Every POST checks the form's CSRF token (`check_csrf`) and answers 403 without it.
* The audit actor of a signed-in account's actions is its e-mail (`User.actor`).
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import anyio
import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cyclogram import users
from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Refusal

if TYPE_CHECKING:
    from cyclogram.store import Store
    from cyclogram.web.context import WebContext

MAX_FAILURES = 5
WINDOW_S = 15 * 60
HASHING_AT_ONCE = 4
GENERIC_ERROR = "Неверный адрес почты или пароль."
TOO_MANY = "Слишком много неудачных попыток входа. Попробуйте снова через {minutes}."
CSRF_FAILED = "Форма устарела. Обновите страницу и отправьте её ещё раз."
_SESSION_USER = "uid"
_SESSION_VERSION = "sv"
_SCOPE_KEY = "cyclogram.user"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    role: str

    @property
    def actor(self) -> str:
        """Who this account is in the audit log."""
        return self.email


# --- the rate limit -----------------------------------------------------------------------------


class SignInLimiter:
    """Failed sign-ins per key ("email:…", "ip:…") in a sliding window, in memory (module docstring)."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def wait(self, *keys: str) -> float:
        """Seconds until any of `keys` may try again; 0 when all may."""
        now = self.clock()
        with self._lock:
            longest = 0.0
            for key in keys:
                stamps = self._recent(key, now)
                if len(stamps) >= self.limit:
                    longest = max(longest, stamps[-self.limit] + self.window - now)
            return longest

    def charge(self, *keys: str) -> float:
        """Count an attempt as failed before it is checked (refunded on success); returns its stamp."""
        now = self.clock()
        with self._lock:
            if len(self._failures) > 10_000:  # a scan of many addresses: forget what has expired
                for key in list(self._failures):
                    self._recent(key, now)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
        return now

    def refund(self, stamp: float, *keys: str, forget: tuple[str, ...] = ()) -> None:
        """Take back a charged attempt that succeeded; `forget` clears a key's failures entirely."""
        with self._lock:
            for key in keys:
                stamps = self._failures.get(key)
                if stamps is not None and stamp in stamps:
                    stamps.remove(stamp)
            for key in forget:
                self._failures.pop(key, None)


# --- sessions and the current user --------------------------------------------------------------


def session_version(context: WebContext, credentials: users.Credentials) -> str:
    return context.mac("session", f"{credentials.id}:{credentials.password_hash}")[:20]


def remember(context: WebContext, request: Request, credentials: users.Credentials) -> None:
    """Start a fresh session for the account (nothing from the signed-out session is kept)."""
    request.session.clear()
    request.session[_SESSION_USER] = credentials.id
    request.session[_SESSION_VERSION] = session_version(context, credentials)
    request.scope.pop(_SCOPE_KEY, None)


def current_user(context: WebContext, request: Request) -> User | None:
    """The signed-in account, read from the database once per request; None when signed out,
    disabled, or its password changed since this session began."""
    scope = request.scope
    if _SCOPE_KEY in scope:
        cached: User | None = scope[_SCOPE_KEY]
        return cached
    if "session" not in scope:
        return None
    scope[_SCOPE_KEY] = None  # a failing read below leaves the error page signed out, not failing again
    user_id, version = request.session.get(_SESSION_USER), request.session.get(_SESSION_VERSION)
    if not isinstance(user_id, int) or not isinstance(version, str):
        return None
    credentials = users.by_id(context.tracker.store, user_id)
    if (
        credentials is None
        or credentials.disabled
        or credentials.role not in users.ROLES
        or not hmac.compare_digest(version, session_version(context, credentials))
    ):
        request.session.pop(_SESSION_USER, None)
        request.session.pop(_SESSION_VERSION, None)
        return None
    user = User(credentials.id, credentials.email, credentials.name, credentials.role)
    scope[_SCOPE_KEY] = user
    return user


def safe_next(value: object) -> str:
    """`value` when it is a path on this site; "/" otherwise (no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return "/"
    if value.startswith("//") or "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/"  # //host and /\host are other sites to a browser; it drops tabs and newlines
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/signin", "/signout")):
        return "/"
    return value


def signin_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    wanted = safe_next(here)
    return "/signin" if wanted == "/" else "/signin?" + urlencode({"next": wanted})


def require(context: WebContext, request: Request, *roles: str) -> User:
    """The signed-in account when its role is one of `roles` (any role when none are given);
    otherwise 303 to the sign-in page (signed out) or 403 (another role)."""
    user = current_user(context, request)
    if user is None:
        raise HTTPException(303, headers={"Location": signin_url(request)})
    if roles and user.role not in roles:
        needed = ", ".join(users.ROLE_WORDS.get(role, role) for role in roles)
        raise HTTPException(
            403, f"Эта страница недоступна для роли «{users.ROLE_WORDS.get(user.role, user.role)}». Нужна роль: {needed}."
        )
    return user


def check_csrf(context: WebContext, request: Request, sent: object) -> None:
    if not context.csrf_ok(request, sent):
        raise HTTPException(403, CSRF_FAILED)


# --- one-time notices after a redirect ----------------------------------------------------------


def flash(request: Request, kind: str, text: str) -> None:
    """A notice for the next page (kind "ok" or "error"), kept in the session until shown."""
    request.session["flash"] = {"kind": kind, "text": text}


def take_flash(request: Request) -> dict[str, str] | None:
    value = request.session.pop("flash", None)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return {"kind": str(value.get("kind", "ok")), "text": value["text"]}
    return None


# --- checking a password --------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    credentials: users.Credentials
    new_hash: str | None  # the password hashed with current parameters, when the stored hash is older


def check_sign_in(store: Store, email: str, password: str) -> Accepted | None:
    """The account when the password is right and the account active; None otherwise, in the same
    time for an unknown e-mail (a dummy hash is verified). Blocking: run it in a worker thread."""
    password = password[: users.MAX_PASSWORD + 1]
    credentials = users.by_email(store, email) if email and len(email) <= 254 else None
    if credentials is None:
        users.verify_password(users.dummy_hash(), password)
        return None
    if not users.verify_password(credentials.password_hash, password):
        return None
    if credentials.disabled or credentials.role not in users.ROLES:
        return None
    new_hash = users.hash_password(password) if users.needs_rehash(credentials.password_hash) else None
    return Accepted(credentials, new_hash)


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} {russian.plural(minutes, 'минуту', 'минуты', 'минут')}"


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


# --- routes ---------------------------------------------------------------------------------------


def routes(context: WebContext) -> list[BaseRoute]:
    limiter = SignInLimiter()
    hashing = anyio.CapacityLimiter(HASHING_AT_ONCE)
    store = context.tracker.store

    def signin_page(request: Request, status: int = 200, **values: Any) -> Response:
        values.setdefault("email", "")
        values.setdefault("next", "/")
        values.setdefault("error", None)
        response: Response = context.render(request, "signin.html.j2", status_code=status, **values)
        return response

    async def signin_form(request: Request) -> Response:
        wanted = safe_next(request.query_params.get("next"))
        if current_user(context, request) is not None:
            return RedirectResponse(wanted, status_code=303)
        return signin_page(request, next=wanted)

    async def signin(request: Request) -> Response:
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        email = str(form.get("email") or "").strip().lower()
        password = str(form.get("password") or "")
        wanted = safe_next(form.get("next"))
        keys = (f"email:{email[:254]}", f"ip:{_client(request)}")
        wait = limiter.wait(*keys)
        if wait > 0:
            response = signin_page(request, 429, email=email, next=wanted, error=TOO_MANY.format(minutes=_minutes(wait)))
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        stamp = limiter.charge(*keys)
        accepted = await anyio.to_thread.run_sync(check_sign_in, store, email, password, limiter=hashing)
        if accepted is None:
            return signin_page(request, 401, email=email, next=wanted, error=GENERIC_ERROR)
        limiter.refund(stamp, keys[1], forget=(keys[0],))
        await anyio.to_thread.run_sync(users.record_sign_in, store, accepted.credentials.id, accepted.new_hash)
        credentials = accepted.credentials
        if accepted.new_hash is not None:
            credentials = users.Credentials(
                credentials.id, credentials.email, credentials.name, credentials.role, accepted.new_hash, False
            )
        remember(context, request, credentials)
        return RedirectResponse(wanted, status_code=303)

    async def signout(request: Request) -> Response:
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        request.session.clear()
        request.scope.pop(_SCOPE_KEY, None)
        return RedirectResponse("/signin", status_code=303)

    def password_page(request: Request, status: int = 200, error: str | None = None) -> Response:
        response: Response = context.render(
            request,
            "password.html.j2",
            status_code=status,
            error=error,
            notice=take_flash(request),
            min_length=users.MIN_PASSWORD,
        )
        return response

    async def password_form(request: Request) -> Response:
        require(context, request)
        return password_page(request)

    async def change_password(request: Request) -> Response:
        user = require(context, request)
        form = await request.form()
        check_csrf(context, request, form.get("csrf"))
        current = str(form.get("current_password") or "")
        new, repeat = str(form.get("new_password") or ""), str(form.get("repeat_password") or "")
        key = f"email:{user.email}"
        wait = limiter.wait(key)
        if wait > 0:
            response = password_page(request, 429, TOO_MANY.format(minutes=_minutes(wait)))
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        stamp = limiter.charge(key)
        accepted = await anyio.to_thread.run_sync(check_sign_in, store, user.email, current, limiter=hashing)
        if accepted is None:
            return password_page(request, 400, "Текущий пароль указан неверно.")
        limiter.refund(stamp, key)
        if new != repeat:
            return password_page(request, 400, "Новый пароль и его повтор не совпадают.")
        if new == current:
            return password_page(request, 400, "Новый пароль совпадает с прежним.")
        try:
            await anyio.to_thread.run_sync(users.set_password, store, user.email, new, user.actor, limiter=hashing)
        except Refusal as refusal:
            return password_page(request, 400, sentence(str(refusal)))
        fresh = users.by_id(store, user.id)
        if fresh is not None:
            remember(context, request, fresh)  # this session goes on; every other one has ended
        flash(request, "ok", "Пароль изменён. На других устройствах войдите заново.")
        return RedirectResponse("/password", status_code=303)

    users.dummy_hash()  # made now, so the first unknown e-mail takes no longer than the others
    return [
        Route("/signin", signin_form, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/password", password_form, methods=["GET"]),
        Route("/password", change_password, methods=["POST"]),
    ]


def sentence(text: str) -> str:
    """A refusal's message as a sentence for a page: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
