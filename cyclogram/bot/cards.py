"""Cards: the bot's messages that carry buttons, and the buttons themselves.

A card (table `telegram_card`) is one message the bot sent — a reminder from the outbox, an answer
to /мои or /сегодня, a request for a file — with what it is about: one or more items (stage,
occurrence, kind of reminder, the recipient's action link), the person and the chat it was sent
to, and its text (to edit it later). A reminder's items come from its outbox row (`outbox.items`,
written when it was queued).

Buttons (`keyboard`): for one item «✅ Выполнено» and «📎 Приложить документ», then «Открыть» (the
action link, when the web app's address is configured); for several items (a digest, /мои) a row
«✅ 20», «📎 20», «Открыть 20» per item, at most `MAX_BUTTON_ITEMS`. Escalations (the recipient
is a supervisor, not the responsible) and chats that are not private get «Открыть» only. Done items
lose their buttons, and the text gains «✅ выполнено 14.10.2024 в 10:32» (`view`).

Callback data (`button_data`): ``<action>:<card id>:<item>:<MAC>``, where the MAC is
HMAC-SHA256(signing key, "telegram-button" + the rest) cut to 12 bytes (16 characters of base64url):
about 30 bytes of Telegram's 64, and a client that sends made-up data (Telegram does not stop a
modified client) cannot name another card or item. Which chat and person a card belongs to is in
the database, not in the data: a genuine button pressed elsewhere is still refused by `answering`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cyclogram.bot import texts
from cyclogram.store import Store, audit
from cyclogram.store.tables import OutboxRow, TelegramCardRow

MAX_BUTTON_ITEMS = 8
MAC_BYTES = 12
DONE, EVIDENCE = "d", "e"
ACTIONS = (DONE, EVIDENCE)
NO_ACTION_KINDS = frozenset({"escalation"})


@dataclass(frozen=True)
class Item:
    """One stage occurrence a card is about (JSON keys: s, o, k, l, n — `outbox.compose` writes the same)."""

    stage_id: str
    occurrence: str = ""
    kind: str = ""
    link: str | None = None  # the recipient's action link
    number: str = ""  # the stage's number as shown («20»), for the buttons of several items

    def as_json(self) -> dict[str, Any]:
        return {"s": self.stage_id, "o": self.occurrence, "k": self.kind, "l": self.link, "n": self.number}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        link = data.get("l")
        return cls(
            str(data.get("s") or ""),
            str(data.get("o") or ""),
            str(data.get("k") or ""),
            str(link) if link else None,
            str(data.get("n") or ""),
        )

    @property
    def actionable(self) -> bool:
        return self.kind not in NO_ACTION_KINDS


def items_json(items: Iterable[Item]) -> str:
    return json.dumps([item.as_json() for item in items], ensure_ascii=False, separators=(",", ":"))


def parse_items(text: str | None) -> list[Item]:
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return []
    return (
        [Item.from_json(entry) for entry in data if isinstance(entry, dict) and entry.get("s")] if isinstance(data, list) else []
    )


def outbox_items(row: OutboxRow) -> list[Item]:
    """What a queued reminder is about: its `items`, or (rows queued before they were kept) its stage."""
    items = parse_items(row.items)
    if not items and row.stage_id:
        items = [Item(row.stage_id, row.occurrence or "", row.kind, None)]
    return items


@dataclass(frozen=True)
class Card:
    id: int
    roadmap_id: str
    person: str
    chat_id: str
    message_id: int | None
    outbox_id: int | None
    parent_id: int | None
    items: list[Item]
    body: str


# --- buttons --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    action: str  # DONE | EVIDENCE
    card_id: int
    index: int


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None  # callback data
    url: str | None = None


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, b"telegram-button\0" + body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def button_data(key: bytes, action: str, card_id: int, index: int) -> str:
    body = f"{action}:{card_id}:{index}"
    return f"{body}:{_mac(key, body)}"


def read_button(key: bytes, data: str | None) -> Press | None:
    """The press a genuine button stands for; None for anything else (forged, damaged, foreign)."""
    if not data or len(data) > 64 or data.count(":") != 3:
        return None
    action, card, index, mac = data.split(":")
    if action not in ACTIONS or not card.isdigit() or not index.isdigit():
        return None
    if not hmac.compare_digest(mac, _mac(key, f"{action}:{card}:{index}")):
        return None
    return Press(action, int(card), int(index))


def is_private(chat_id: str) -> bool:
    """A private chat with a person (positive numeric id); groups are negative, channels may be @names."""
    return chat_id.isdigit()


def keyboard(key: bytes, card: Card, finished: Collection[int] = ()) -> list[list[Button]]:
    """The buttons of a card whose items `finished` are done (module docstring)."""
    actions = is_private(card.chat_id)
    rows: list[list[Button]] = []
    single = len(card.items) == 1
    for index, item in enumerate(card.items[:MAX_BUTTON_ITEMS]):
        number = item.number or str(index + 1)
        row: list[Button] = []
        if actions and item.actionable and index not in finished:
            row.append(Button(texts.DONE_BUTTON if single else f"✅ {number}", data=button_data(key, DONE, card.id, index)))
            row.append(
                Button(texts.EVIDENCE_BUTTON if single else f"📎 {number}", data=button_data(key, EVIDENCE, card.id, index))
            )
        if item.link and item.link.startswith(("https://", "http://")):
            link = Button(texts.OPEN_BUTTON if single else f"{texts.OPEN_BUTTON} {number}", url=item.link)
            if single and row:
                rows.append(row)
                row = []
            row.append(link)
        if row:
            rows.append(row)
    return rows


def view(card: Card, lines: Sequence[str]) -> str:
    """The card's text with what happened since («✅ выполнено …»)."""
    return card.body if not lines else card.body.rstrip() + "\n\n" + "\n".join(lines)


# --- the table ------------------------------------------------------------------------------------


def create(
    store: Store,
    *,
    roadmap_id: str,
    person: str,
    chat_id: str,
    items: Sequence[Item],
    body: str,
    outbox_id: int | None = None,
    parent_id: int | None = None,
    message_id: int | None = None,
) -> Card:
    with store.write() as session:
        row = TelegramCardRow(
            roadmap_id=roadmap_id,
            person=person,
            chat_id=chat_id,
            message_id=message_id,
            outbox_id=outbox_id,
            parent_id=parent_id,
            items=items_json(items),
            body=body,
            created_at=audit.utc_now(),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return _card(row)


def set_message(store: Store, card_id: int, message_id: int) -> None:
    with store.write() as session:
        row = session.get(TelegramCardRow, card_id)
        if row is not None:
            row.message_id = message_id
            session.add(row)


_COLUMNS = "id, roadmap_id, person, chat_id, message_id, outbox_id, parent_id, items, body"


def get(store: Store, card_id: int) -> Card | None:
    with store.reading() as reader:
        row = reader.row(f"SELECT {_COLUMNS} FROM telegram_card WHERE id = ?", (card_id,))
    return _from_tuple(row) if row else None


def by_message(store: Store, chat_id: str, message_id: int) -> Card | None:
    """The card of a message the bot sent to this chat (the newest, should a message be re-sent)."""
    with store.reading() as reader:
        row = reader.row(
            f"SELECT {_COLUMNS} FROM telegram_card WHERE chat_id = ? AND message_id = ? ORDER BY id DESC LIMIT 1",
            (chat_id, message_id),
        )
    return _from_tuple(row) if row else None


def of_outbox(store: Store, outbox_id: int) -> Card | None:
    """The card made for an outbox message earlier (a retry reuses it)."""
    with store.reading() as reader:
        row = reader.row(f"SELECT {_COLUMNS} FROM telegram_card WHERE outbox_id = ? ORDER BY id DESC LIMIT 1", (outbox_id,))
    return _from_tuple(row) if row else None


def _from_tuple(row: tuple[Any, ...]) -> Card:
    return Card(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        int(row[4]) if row[4] is not None else None,
        int(row[5]) if row[5] is not None else None,
        int(row[6]) if row[6] is not None else None,
        parse_items(row[7]),
        str(row[8]),
    )


def _card(row: TelegramCardRow) -> Card:
    assert row.id is not None
    return Card(
        row.id,
        row.roadmap_id,
        row.person,
        row.chat_id,
        row.message_id,
        row.outbox_id,
        row.parent_id,
        parse_items(row.items),
        row.body,
    )
