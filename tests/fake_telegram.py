"""A fake Telegram Bot API on loopback, for the bot's tests: no test touches the real Telegram.

What it serves, at `<url>/bot<token>/<method>` (form, JSON or query parameters, as the real one):
getMe, getUpdates (offset confirms, timeout long-polls), sendMessage (inline keyboards, replies,
force_reply), editMessageText, answerCallbackQuery, getFile and the file itself at
`<url>/file/bot<token>/<path>`, setWebhook / deleteWebhook / getWebhookInfo (getUpdates answers
409 while a webhook is set). A wrong token gets 401, as Telegram answers.

The test side (thread-safe): `message`, `press`, `document`, `photo` put updates in the queue the
way Telegram would build them; `sent`, `edits`, `answers`, `offsets` are what the bot did; `stall`
makes a method hang until `release` (to kill the bot mid-update); `replay` hands an update out once
more whatever the offset (a delivery repeated, as after a lost acknowledgement); `blocked` chats
answer 403; `hide_sizes` makes getFile keep a file's size to itself; `raw` queues an update of any
kind (an edited message, a chat member change, a kind Telegram may add);
`batch_limit` is how many updates one getUpdates hands out (Telegram's 100). `wait` polls for a condition with a generous bound — never a timing assertion.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

T = TypeVar("T")
BOT_ID = 7012345678
TOKEN = f"{BOT_ID}:AAH-fake-token-for-tests-only-0123456789ab"
USERNAME = "cyclogram_test_bot"


def wait(condition: Callable[[], T | None], what: str, timeout: float = 90.0) -> T:
    """The first truthy value of `condition()`, polled; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"не дождались: {what}")
        time.sleep(0.05)


@dataclass
class Sent:
    chat_id: int | str
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    message: dict[str, Any] = field(repr=False)

    def buttons(self) -> list[dict[str, Any]]:
        return [button for row in (self.reply_markup or {}).get("inline_keyboard", []) for button in row]

    def button(self, text: str) -> dict[str, Any]:
        for button in self.buttons():
            if button["text"].startswith(text):
                return button
        raise AssertionError(f"нет кнопки «{text}» в {[b['text'] for b in self.buttons()]}")


class FakeTelegram:
    POLL_INTERVAL_S = 0.05  # how often a waiting getUpdates looks at the queue (a bench sets it lower)
    batch_limit = 100

    def __init__(self, token: str = TOKEN, username: str = USERNAME) -> None:
        self.token = token
        self.username = username
        self.lock = threading.Lock()
        self.queue: list[dict[str, Any]] = []  # unconfirmed updates
        self.replays: list[dict[str, Any]] = []
        self.delivered: list[int] = []  # update ids handed out, in order
        self.offsets: list[int | None] = []
        self.sent: list[Sent] = []
        self.edits: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self.webhook: dict[str, Any] = {}
        self.blocked: set[int] = set()
        self.hide_sizes = False  # getFile without file_size (the size is then known only while downloading)
        self.stalled: set[str] = set()
        self.released = threading.Event()
        self._update_ids = itertools.count(5001)
        self._message_ids = itertools.count(101)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )

    # --- the test side ------------------------------------------------------------------------

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            self.queue.append(update)
            return update

    def raw(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An update of any kind (`replay` hands out one with an old id)."""
        return self._enqueue(kind, payload)

    @staticmethod
    def _user(chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": f"Учитель {chat_id}", "language_code": "ru"}

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"Учитель {chat_id}"}
        return {"id": chat_id, "type": "group", "title": "Группа"}

    def message(self, chat_id: int, text: str | None = None, *, reply_to: Sent | None = None, **extra: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self._user(abs(chat_id)),
            **extra,
        }
        if text is not None:
            payload["text"] = text
        if reply_to is not None:
            payload["reply_to_message"] = reply_to.message
        return self._enqueue("message", payload)

    def press(self, chat_id: int, sent: Sent, data: str) -> dict[str, Any]:
        message = dict(sent.message, chat=self._chat(chat_id))
        payload = {
            "id": str(next(self._callback_ids)),
            "from": self._user(abs(chat_id)),
            "chat_instance": f"ci-{chat_id}",
            "message": message,
            "data": data,
        }
        return self._enqueue("callback_query", payload)

    def add_file(self, name: str, content: bytes) -> str:
        with self.lock:
            file_id = f"file-{next(self._file_ids)}"
            self.files[file_id] = (f"documents/{file_id}-{name}", content)
            return file_id

    def document(
        self, chat_id: int, name: str, content: bytes, reply_to: Sent | None, mime: str = "application/pdf", **extra: Any
    ) -> dict[str, Any]:
        file_id = self.add_file(name, content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self.message(chat_id, reply_to=reply_to, document=document, **extra)

    def photo(
        self, chat_id: int, content: bytes, reply_to: Sent | None, declared_size: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        small = self.add_file("small.jpg", content[: max(1, len(content) // 4)])
        big = self.add_file("photo.jpg", content)
        sizes = [
            {"file_id": small, "file_unique_id": f"u{small}", "width": 90, "height": 60, "file_size": max(1, len(content) // 4)},
            {
                "file_id": big,
                "file_unique_id": f"u{big}",
                "width": 1280,
                "height": 853,
                "file_size": declared_size or len(content),
            },
        ]
        return self.message(chat_id, reply_to=reply_to, photo=sizes, **extra)

    def replay(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.replays.append(update)

    def stall(self, method: str) -> None:
        self.released.clear()
        self.stalled.add(method)

    def release(self) -> None:
        self.stalled.clear()
        self.released.set()

    def sent_to(self, chat_id: int) -> list[Sent]:
        with self.lock:
            return [s for s in self.sent if s.chat_id == chat_id]

    def answered(self, callback: dict[str, Any]) -> list[dict[str, Any]]:
        query_id = callback["callback_query"]["id"]
        with self.lock:
            return [a for a in self.answers if a.get("callback_query_id") == query_id]

    def edits_of(self, sent: Sent) -> list[dict[str, Any]]:
        with self.lock:
            return [
                e for e in self.edits if str(e.get("chat_id")) == str(sent.chat_id) and int(e["message_id"]) == sent.message_id
            ]

    def confirmed(self, update: dict[str, Any]) -> bool:
        """Telegram saw getUpdates with an offset past this update (the bot acknowledged it)."""
        with self.lock:
            return any(o is not None and o > update["update_id"] for o in self.offsets)

    # --- the Bot API side -----------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            kind = request.headers.get("content-type", "")
            if kind.startswith("application/json"):
                params.update(await request.json())
            else:
                form = await request.form()
                params.update({key: value for key, value in form.items() if isinstance(value, str)})
        for key in ("reply_markup", "allowed_updates", "reply_parameters", "link_preview_options"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    pass
        return params

    @staticmethod
    def _ok(result: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str) -> JSONResponse:
        return JSONResponse({"ok": False, "error_code": code, "description": description}, status_code=code)

    async def _method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = str(request.path_params["method"])
        params = await self._params(request)
        with self.lock:
            self.calls.append(method)
        while method in self.stalled and not self.released.is_set():
            await asyncio.sleep(0.05)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result: Response = await handler(params)
        return result

    async def _m_getme(self, params: dict[str, Any]) -> Response:
        return self._ok(
            {"id": BOT_ID, "is_bot": True, "first_name": "Циклограмма", "username": self.username, "can_join_groups": True}
        )

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> Response:
        with self.lock:
            return self._ok(
                {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": len(self.queue)}
            )

    async def _m_setwebhook(self, params: dict[str, Any]) -> Response:
        with self.lock:
            self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return self._ok(True)

    async def _m_deletewebhook(self, params: dict[str, Any]) -> Response:
        with self.lock:
            self.webhook = {}
        return self._ok(True)

    async def _m_getupdates(self, params: dict[str, Any]) -> Response:
        if self.webhook.get("url"):
            return self._error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
        timeout = float(params.get("timeout") or 0)
        with self.lock:
            self.offsets.append(offset)
            if offset is not None:
                self.queue = [u for u in self.queue if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                ready = self.replays + [u for u in self.queue if offset is None or u["update_id"] >= offset]
                self.replays = []
                if ready:
                    batch = ready[: self.batch_limit]
                    self.delivered.extend(u["update_id"] for u in batch)
                    return self._ok(batch)
            if time.monotonic() >= deadline:
                return self._ok([])
            await asyncio.sleep(self.POLL_INTERVAL_S)

    def _chat_of(self, raw: Any) -> dict[str, Any]:
        text = str(raw)
        if text.lstrip("-").isdigit():
            return self._chat(int(text))
        return {"id": -1001000000001, "type": "channel", "title": text, "username": text.lstrip("@")}

    async def _m_sendmessage(self, params: dict[str, Any]) -> Response:
        chat = self._chat_of(params["chat_id"])
        if chat["id"] in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        reply = params.get("reply_parameters") or {}
        reply_to = int(reply["message_id"]) if isinstance(reply, dict) and reply.get("message_id") else None
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Циклограмма", "username": self.username},
            "text": params["text"],
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        with self.lock:
            self.sent.append(
                Sent(
                    chat["id"],
                    message["message_id"],
                    params["text"],
                    markup if isinstance(markup, dict) else None,
                    reply_to,
                    message,
                )
            )
        return self._ok(message)

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Response:
        with self.lock:
            self.edits.append(params)
            original = next(
                (s for s in self.sent if str(s.chat_id) == str(params["chat_id"]) and s.message_id == int(params["message_id"])),
                None,
            )
        if original is None:
            return self._error(400, "Bad Request: message to edit not found")
        message = dict(original.message, text=params["text"])
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        return self._ok(message)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Response:
        with self.lock:
            self.answers.append(params)
        return self._ok(True)

    async def _m_getfile(self, params: dict[str, Any]) -> Response:
        with self.lock:
            found = self.files.get(str(params["file_id"]))
        if found is None:
            return self._error(400, "Bad Request: invalid file_id")
        path, content = found
        result: dict[str, Any] = {"file_id": params["file_id"], "file_unique_id": f"u{params['file_id']}", "file_path": path}
        if not self.hide_sizes:
            result["file_size"] = len(content)
        return self._ok(result)

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        with self.lock:
            self.calls.append("file")
            found = next((content for path, content in self.files.values() if path == request.path_params["path"]), None)
        if found is None:
            return Response(status_code=404)
        return Response(found, media_type="application/octet-stream")
