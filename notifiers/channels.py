"""A person's contacts → Apprise URLs (channels), and sending one message through one channel.

The full Apprise URL of a channel carries credentials (SMTP password, bot token, service tokens), so
it lives only in ``Channel.url`` and is never printed, logged or stored; ``Channel.key``,
``Channel.target`` and ``Channel.describe()`` are the safe parts. Every error text passes through
``redact()``, and so does every log record of the ``apprise`` logger once this module is imported
(Apprise logs unparseable URLs verbatim at ERROR level).

Where the pieces come from:

* email — the school's sending account is the secret ``smtp`` (``CYCLOGRAM_SECRET_SMTP``): an Apprise
  ``mailto://``/``mailtos://`` URL such as ``mailtos://user:pass@smtp.yandex.ru?from=Школа <school@…>``;
  the recipient is added as ``to=`` and the format forced to HTML;
* Telegram — ``tgram://<bot token>/<chat id>``, the token from the secret ``telegram_bot_token``
  (a roadmap's ``telegram:`` contact, key ``telegram``; a chat linked through the bot, key
  ``telegram:<chat id>``). The outbox sends Telegram through the Bot API for its buttons
  (`cyclogram.bot.delivery`); ``send`` here (Apprise) stays for other callers;
* apprise — ``secret:NAME`` entries; the secret is a complete Apprise URL, used as is.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypedDict
from urllib.parse import quote, unquote

import apprise
from apprise import NotifyFormat

from cyclogram.engine.credentials import mask
from cyclogram.notifiers.secrets import SecretError, Secrets, env_name, is_reference, reference_name

if TYPE_CHECKING:
    from cyclogram.engine.model import Person

SMTP_SECRET = "smtp"
TELEGRAM_TOKEN_SECRET = "telegram_bot_token"

ChannelKind = Literal["email", "telegram", "apprise"]

_EMAIL = re.compile(r"^[^@\s:/<>,;]+@[^@\s:/<>,;]+\.[^@\s:/<>,;]+$")
_CHAT_ID = re.compile(r"^(-?\d{3,20}|@[A-Za-z0-9_]{4,64})$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_MAX_ERROR = 1500


# --- redaction ---------------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@?#]*):[^\s/?#]*@")
_TGRAM_TOKEN = re.compile(r"(tgrams?://)[^\s/?#]+", re.IGNORECASE)
_BOT_TOKEN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
_TOKENISH = re.compile(r"^[A-Za-z0-9_\-+/=.:~]{16,}$")
_MIN_SECRET_LEN = 4  # shorter "secrets" would turn ordinary words and numbers into ***


def secret_fragments(value: str) -> list[str]:
    """A secret value and, for an Apprise URL, the pieces of it that might be printed on their own.

    For a URL: the password (as written and URL-decoded), a Telegram bot token, and long token-like
    path segments and query values (webhook ids/tokens, access tokens). Heuristic by design: it backs
    up the pattern-based redaction in ``redact()``; it never needs to be exact.
    """
    fragments = {value, value.strip()}
    decoded = unquote(value)
    fragments.add(decoded)
    if "://" in value:
        scheme, rest = value.split("://", 1)
        netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
        tail = rest[len(netloc) :]
        if "@" in netloc:
            userinfo = netloc.rsplit("@", 1)[0]
            if ":" in userinfo:
                password = userinfo.split(":", 1)[1]
                fragments.update({password, unquote(password)})
        elif scheme.lower() in ("tgram", "tgrams"):
            fragments.update({netloc, unquote(netloc)})
        for piece in re.split(r"[/?&#;]", tail):
            piece_value = piece.split("=", 1)[1] if "=" in piece else piece
            for candidate in (piece_value, unquote(piece_value)):
                if _TOKENISH.match(candidate) and re.search(r"\d", candidate) and "@" not in candidate:
                    fragments.add(candidate)
    else:
        fragments.add(quote(value, safe=""))
    return [f for f in fragments if len(f) >= _MIN_SECRET_LEN]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and anything that looks like a credential replaced by ``***``.

    Known values (and their URL pieces, see ``secret_fragments``) are replaced first, then patterns:
    ``scheme://user:pass@`` → ``scheme://user:***@``, ``tgram://<token>/`` → ``tgram://***/``,
    bot-token-looking strings ``123456789:AA…`` → ``***``, and then whatever else the engine's
    credential detector recognises (``password=…`` parameters, private keys, service tokens; see
    `cyclogram.engine.credentials`).
    """
    known: set[str] = set()
    for value in secrets:
        if value:
            known.update(secret_fragments(str(value)))
    return _redact_fragments(str(text), known)


def _redact_fragments(text: str, fragments: Iterable[str]) -> str:
    """`redact` for fragments already computed (the log guard runs on every Apprise log line)."""
    for value in sorted(fragments, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    text = _TGRAM_TOKEN.sub(r"\1***", text)
    text = _BOT_TOKEN.sub("***", text)
    return mask(text)


# Secret values this process has turned into channels, so that the apprise log guard below can
# redact them even in records that do not pass through our own code. Memory only.
_sensitive: set[str] = set()
_sensitive_lock = threading.Lock()


def _remember(values: Iterable[str]) -> None:
    with _sensitive_lock:
        for value in values:
            if value:
                _sensitive.update(secret_fragments(value))


def _sensitive_now() -> list[str]:
    with _sensitive_lock:
        return list(_sensitive)


# --- apprise log guard and capture ---------------------------------------------------------------
#
# apprise.LogCapture is not used: it adds a handler to the shared "apprise" logger, so concurrent
# sends would read each other's lines, and at DEBUG (where Apprise puts the actual cause, e.g.
# "Socket Exception: [Errno 111] Connection refused" or an SMTP 535 reply) it would also let the
# debug lines — message bodies, full request URLs — through to the application's root handlers.
# Instead, one filter on the "apprise" logger redacts every record, hands the record to the capture
# that is active in the current context (contextvars follow Apprise into its worker threads), and
# lets through to ordinary handlers only the records the application would have seen anyway.

_APPRISE_LOGGER = logging.getLogger("apprise")
_capture_sink: ContextVar[list[tuple[int, str]] | None] = ContextVar("cyclogram_apprise_capture", default=None)
_level_lock = threading.Lock()
_level_users = 0
_saved_level = logging.NOTSET
_pass_level: int | None = None  # while capturing: records below this level are for the capture only


class _AppriseLogGuard(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = _redact_fragments(record.getMessage(), _sensitive_now())
        except Exception:  # noqa: BLE001 - a broken record must not break sending
            message = "(сообщение Apprise скрыто: не удалось его обработать)"
        record.msg, record.args = message, None
        if record.exc_info:
            record.exc_text = _redact_fragments(logging.Formatter().formatException(record.exc_info), _sensitive_now())
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = _redact_fragments(record.exc_text, _sensitive_now())
        sink = _capture_sink.get()
        if sink is not None:
            sink.append((record.levelno, message))
        threshold = _pass_level
        return threshold is None or record.levelno >= threshold


class _RedactFilter(logging.Filter):
    """Redaction only, for the HTTP library under Apprise: at DEBUG urllib3 logs request lines such as
    ``POST /bot<token>/sendMessage``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = _redact_fragments(record.getMessage(), _sensitive_now()), None
        except Exception:  # noqa: BLE001
            record.msg, record.args = "(сообщение скрыто: не удалось его обработать)", None
        return True


_HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


def _install_guard() -> None:
    if not any(isinstance(f, _AppriseLogGuard) for f in _APPRISE_LOGGER.filters):
        _APPRISE_LOGGER.addFilter(_AppriseLogGuard())
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactFilter) for f in logger.filters):
            logger.addFilter(_RedactFilter())


_install_guard()


@contextlib.contextmanager
def _capturing() -> Iterator[list[tuple[int, str]]]:
    """Collect the (redacted) apprise log lines of this context, DEBUG and up."""
    global _level_users, _saved_level, _pass_level
    lines: list[tuple[int, str]] = []
    token = _capture_sink.set(lines)
    with _level_lock:
        if _level_users == 0:
            _saved_level = _APPRISE_LOGGER.level
            _pass_level = _APPRISE_LOGGER.getEffectiveLevel()
            if _pass_level > logging.DEBUG:
                _APPRISE_LOGGER.setLevel(logging.DEBUG)
        _level_users += 1
    try:
        yield lines
    finally:
        with _level_lock:
            _level_users -= 1
            if _level_users == 0:
                _APPRISE_LOGGER.setLevel(_saved_level)
                _pass_level = None
        _capture_sink.reset(token)


# Apprise's DEBUG lines that carry the cause of a failure (the WARNING line only says "failed").
_CAUSE = re.compile(r"^(socket exception|response details|notification exception)|exception:", re.IGNORECASE)


def _reason(lines: list[tuple[int, str]]) -> str:
    """The failure reason from captured lines: warnings and errors, plus the debug lines with the cause."""
    picked: list[str] = []
    for level, message in lines:
        text = " ".join(message.split())
        if (level >= logging.WARNING or (level >= logging.DEBUG and _CAUSE.search(text))) and text and text not in picked:
            picked.append(text[:400])
    return "; ".join(picked)


# Apprise and the servers behind it answer in English; each known cause gets a Russian lead-in
# (the original text follows it, for whoever has to look further).
_LEAD_INS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words)
    for pattern, words in (
        (r"auth|535|534|username and password|credentials|unauthori[sz]ed|\b401\b", "сервер не принял логин или пароль"),
        (r"connection refused|errno 111", "сервер отклонил соединение (не запущен или закрыт порт)"),
        (
            r"name or service not known|nodename nor servname|name resolution|getaddrinfo|errno -[23]\b",
            "адрес сервера не найден (DNS)",
        ),
        (r"timed out|timeout", "сервер не ответил вовремя"),
        (r"network is unreachable|no route to host", "нет сети до сервера"),
        (r"ssl|tls|certificate", "ошибка защищённого соединения (SSL/TLS)"),
        (r"chat not found|forbidden|blocked|\b403\b", "получатель не найден или заблокировал отправителя"),
        (r"connection|socket", "нет соединения с сервером"),
    )
)


def lead_in(reason: str) -> str:
    """A Russian sentence for an English error from Apprise or a server ("Connection refused" →
    «сервер отклонил соединение …»); the caller keeps the original after it."""
    for pattern, words in _LEAD_INS:
        if pattern.search(reason):
            return words
    return "сервис ответил ошибкой"


def _validate(url: str) -> tuple[apprise.Apprise | None, str]:
    """Check a URL with Apprise, without any network access. Returns (Apprise with it, reason)."""
    notifier = apprise.Apprise()
    with _capturing() as lines:
        ok = notifier.add(url)
    return (notifier if ok and len(notifier) > 0 else None), _reason(lines)


# --- channels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    kind: ChannelKind
    key: str  # stable id for dedupe/outbox: "email", "telegram", "apprise:<secret name>"
    target: str  # safe to show: the address / chat id as written in the roadmap, or "secret:NAME"
    url: str = field(repr=False)  # the full Apprise URL — SECRET: never print, log or store it

    def describe(self) -> str:
        shown = f"(секрет {self.target[len('secret:') :]})" if is_reference(self.target) else self.target
        if self.kind == "email":
            return f"почта {shown}"
        if self.kind == "telegram":
            return f"Telegram {shown}"
        # An apprise target is always "secret:NAME"; anything else could be a URL with credentials.
        return f"Apprise {shown}" if is_reference(self.target) else "Apprise (адрес скрыт)"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class ChannelProblem:
    person: str
    message: str  # Russian, without secret values


def _with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` set in its query string (existing keys replaced, case-insensitively).

    Other parameters are kept byte for byte: Apprise does not turn "+" into a space and gives a leading
    "+" in a key a meaning (an extra header), so re-encoding them through urllib would change them.
    """
    base, _, query = url.partition("?")
    wanted = {key.lower() for key in params}
    kept = [part for part in query.split("&") if part and unquote(part.split("=", 1)[0]).strip().lower() not in wanted]
    added = [f"{key}={quote(value, safe='')}" for key, value in params.items()]
    return f"{base}?{'&'.join(kept + added)}"


def _email_channel(contact: str, secrets: Secrets) -> Channel:
    address = secrets.resolve(contact).strip()
    if not _EMAIL.match(address):
        if is_reference(contact):
            raise SecretError(f"в секрете «{reference_name(contact)}» должен быть адрес почты, а там что-то другое")
        raise SecretError(f"адрес почты «{mask(address)}» записан неверно")
    try:
        sender = secrets.require(SMTP_SECRET)
    except SecretError as exc:
        raise SecretError(f"не настроен почтовый ящик школы для отправки: {exc}") from None
    scheme = sender.split("://", 1)[0].lower() if "://" in sender else ""
    if scheme not in ("mailto", "mailtos"):
        raise SecretError(
            f"секрет «{SMTP_SECRET}» ({env_name(SMTP_SECRET)}) должен быть адресом Apprise вида "
            "mailtos://логин:пароль@smtp.example.ru?from=Школа <school@example.ru>"
            + (f", а в нём схема «{mask(scheme)}»" if scheme and len(scheme) < 20 else "")
        )
    url = _with_query(sender, {"to": address, "format": "html"})
    _remember([sender])  # the secret part of every email URL; recipients are not secret
    notifier, reason = _validate(url)
    if notifier is None:
        raise SecretError(f"Apprise не принимает адрес из секрета «{SMTP_SECRET}»" + (f": {reason}" if reason else ""))
    targets = getattr(notifier[0], "targets", None)
    if targets is not None and len(targets) != 1:
        raise SecretError(
            f"в секрете «{SMTP_SECRET}» указаны свои получатели (в пути после адреса сервера); уберите их — "
            "получатель берётся из contacts.email"
        )
    return Channel("email", "email", contact, url)


def _telegram_channel(contact: str, secrets: Secrets) -> Channel:
    chat = secrets.resolve(contact).strip()
    if not _CHAT_ID.match(chat):
        if is_reference(contact):
            raise SecretError(f"в секрете «{reference_name(contact)}» должен быть chat id Telegram (число или @имя)")
        raise SecretError(f"chat id Telegram «{mask(chat)}» записан неверно: нужно число или @имя")
    try:
        token = secrets.require(TELEGRAM_TOKEN_SECRET)
    except SecretError as exc:
        raise SecretError(f"не настроен бот Telegram: {exc}") from None
    url = f"tgram://{token.strip()}/{chat}"
    _remember([token])
    notifier, reason = _validate(url)
    if notifier is None:
        raise SecretError(
            f"Apprise не принимает адрес Telegram: проверьте токен бота в секрете «{TELEGRAM_TOKEN_SECRET}»"
            + (f" ({reason})" if reason else "")
        )
    return Channel("telegram", "telegram", contact, url)


def linked_telegram_channel(chat_id: str, secrets: Secrets) -> Channel:
    """A chat linked to a person through the bot (`cyclogram.bot.chats`), keyed by its id: one
    message per chat, and a different outbox key from the roadmap's own `telegram:` contact."""
    channel = _telegram_channel(chat_id, secrets)
    return Channel("telegram", f"telegram:{chat_id}", chat_id, channel.url)


def _apprise_channel(contact: str, secrets: Secrets) -> Channel:
    name = reference_name(contact)
    url = secrets.require(name).strip()
    _remember([url])
    notifier, reason = _validate(url)
    if notifier is None:
        raise SecretError(f"Apprise не распознал адрес из секрета «{name}»" + (f": {reason}" if reason else ""))
    return Channel("apprise", f"apprise:{name}", contact, url)


def person_channels(person_key: str, person: Person, secrets: Secrets) -> tuple[list[Channel], list[ChannelProblem]]:
    """The channels a person can be reached by, and what prevents the others (Russian, no secrets).

    Nothing here touches the network: URLs are only checked by Apprise's parser.
    """
    channels: list[Channel] = []
    problems: list[ChannelProblem] = []
    contacts = person.contacts
    who = f"{person.name} ({person_key})"

    def problem(text: str) -> None:
        problems.append(ChannelProblem(person_key, _redact_fragments(redact(text, secrets.known_values()), _sensitive_now())))

    if not contacts.any:
        problem(
            f"у {who} нет ни одного контакта: напоминания не будут доставлены; добавьте contacts: email, telegram или apprise"
        )
        return channels, problems

    attempts: list[tuple[str, str, Callable[[str, Secrets], Channel]]] = []
    if contacts.email:
        attempts.append(("почта", contacts.email, _email_channel))
    if contacts.telegram:
        attempts.append(("Telegram", contacts.telegram, _telegram_channel))
    for entry in dict.fromkeys(contacts.apprise):
        attempts.append(("Apprise", entry, _apprise_channel))

    for label, contact, build in attempts:
        shown = mask(contact) if not is_reference(contact) else f"секрет {mask(contact[len('secret:') :])}"
        try:
            channels.append(build(contact, secrets))
        except SecretError as exc:
            problem(f"{who}, {label} ({shown}): {exc}")
        except Exception as exc:  # noqa: BLE001 - a channel problem must not stop the others
            problem(f"{who}, {label} ({shown}): непредвиденная ошибка {type(exc).__name__}: {exc}")
    return channels, problems


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    ok: bool
    error: str | None  # already redacted: Russian, then Apprise's technical detail


_notify_takes_timeout: bool | None = None


class _NotifyTimeout(TypedDict, total=False):
    """The keyword arguments of `Apprise.notify` that only some versions take."""

    timeout: float


def _timeout_kwargs(timeout: float) -> _NotifyTimeout:
    global _notify_takes_timeout
    if _notify_takes_timeout is None:
        # Apprise 2.x: notify(timeout=...) limits the whole call; 1.9 has no such argument.
        _notify_takes_timeout = "timeout" in inspect.signature(apprise.Apprise.notify).parameters
    return {"timeout": max(float(timeout), 0.0)} if _notify_takes_timeout else {}


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def send(
    channel: Channel,
    subject: str,
    html: str,
    text: str,
    short: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> SendResult:
    """Send one message through one channel. Never raises; the error is redacted.

    * email: ``html`` as the HTML body (Apprise builds the text/plain alternative from it; ``text`` is
      used only when ``html`` is empty), ``subject`` as the subject, ``headers`` as extra mail headers
      (``X-Cyclogram-Key``…; headers are ignored for the other kinds);
    * Telegram: ``short`` only, without a title (Telegram would show the title in bold above the body);
    * other Apprise services: ``subject`` as the title and ``short`` as the body.

    ``timeout`` limits the whole call (Apprise 2.x); a service still running then is reported as not
    sent, although Apprise's worker may finish it later (up to the service's own socket timeout).
    """
    known = [channel.url]
    try:
        url = channel.url
        if channel.kind == "email":
            if headers:
                extra: dict[str, str] = {}
                for name, value in headers.items():
                    if not _HEADER_NAME.match(name) or re.search(r"[\r\n]", str(value)):
                        return SendResult(False, _clip(redact(f"недопустимый заголовок письма «{name}»", known)))
                    extra[f"+{name}"] = str(value)
                url = _with_query(url, extra)
                known.append(url)
            if html.strip():
                body, title, body_format = html, subject, NotifyFormat.HTML
            else:
                body, title, body_format = text, subject, NotifyFormat.TEXT
        elif channel.kind == "telegram":
            body, title, body_format = (short or text), "", NotifyFormat.TEXT
        else:
            body, title, body_format = (short or text), subject, NotifyFormat.TEXT

        # A new Apprise object for every message, on purpose: Apprise throttles each plugin *instance*
        # (request_rate_per_sec, 5.5 s for most services) between its sends, so reusing one object
        # would make the second message to the same channel wait ~5.5 s. A fresh instance starts with
        # no send history and goes out at once; rate limits of the services themselves are the
        # caller's business (it sends a handful of reminders per run).
        notifier = apprise.Apprise()
        with _capturing() as lines:
            if not notifier.add(url):
                reason = _reason(lines)
                return SendResult(
                    False,
                    _clip(
                        redact(
                            f"{channel.describe()}: Apprise не принял адрес канала" + (f" ({reason})" if reason else ""), known
                        )
                    ),
                )
            result = notifier.notify(body=body, title=title, body_format=body_format, **_timeout_kwargs(timeout))
        try:
            if result:
                return SendResult(True, None)
            status = getattr(getattr(result, "status", None), "name", "")
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        reason = _reason(lines)
        if status == "TIMEOUT":
            message = f"{channel.describe()}: не отправлено за {timeout:g} с (истекло время ожидания)"
        else:
            message = f"{channel.describe()}: не отправлено"
        if reason:
            message += f" — {lead_in(reason)}: {reason}"
        return SendResult(False, _clip(redact(message, known)))
    except Exception as exc:  # noqa: BLE001 - send() reports, it never raises
        return SendResult(False, _clip(redact(f"{channel.describe()}: ошибка при отправке: {type(exc).__name__}: {exc}", known)))
