"""Answering a reminder: «✅ Выполнено», «📎 Приложить документ», and a reply with a document.

Synchronous use cases (the handlers run them in a worker thread) returning an `Answer`: the text
to show, and what to do next — refresh a card's message, or ask for a file.

Checks, in this order, each with its own Russian answer and nothing recorded:

1. the button is genuine (`cards.read_button`) and its card exists;
2. it was pressed in the card's own chat, a private one;
3. the chat still speaks for the card's person (`chats.chat_people`: linked, or the roadmap contact);
4. the stage is still in the roadmap's current version, and the person is responsible for it
   (an escalation goes to a supervisor, who sees «Открыть» only);
5. the stage (occurrence) is not done or skipped already — then the card is refreshed instead;
6. the stage is not blocked;
7. a stage with `evidence_required` (or the «📎» button) asks for a file first.

Then `recording.done` records it — the same use case as the command line and the web, with
`channel="telegram"`, the actor `telegram:<chat id>` and the update's id written in the same
transaction (`updates.claim`). Its own refusals (a race with another completion, say) are shown.

Evidence: a document or a photo sent as a reply to the card's message (or to the bot's request),
for a card about one stage. The file is checked by name and content with the web form's rules
(`cyclogram.web.uploads`: PDF, images, office documents, text), at most 20 MB (the Bot API's
download limit, the web form's too), stored by sha256 with its original name; a photo is named
«фото-<date>-<time>.jpg».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cyclogram import recording
from cyclogram.bot import cards, chats, texts, updates
from cyclogram.bot.cards import Card, Item
from cyclogram.bot.context import BotContext
from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.tracking import Completion
from cyclogram.store import StoreError
from cyclogram.tracker import Snapshot, TrackingError, occurrence_label

MAX_FILE_BYTES = texts.MAX_FILE_MB * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """A stage a button or a reply acts on, checked (module docstring, steps 1–6)."""

    card: Card
    index: int
    item: Item
    occurrence: str  # the label recording uses ("" for a stage without separate occurrences)
    number: str
    title: str
    document: str | None
    evidence_required: bool


@dataclass(frozen=True)
class Answer:
    text: str
    alert: bool = False  # a callback's answer as a dialog rather than a passing note
    refresh: int | None = None  # the card whose message should show the new state
    ask: Target | None = None  # ask for a file about this stage


@dataclass(frozen=True)
class CardView:
    chat_id: str
    message_id: int
    text: str
    buttons: list[list[cards.Button]]


@dataclass(frozen=True)
class IncomingFile:
    file_id: str
    name: str
    size: int | None


# --- buttons ----------------------------------------------------------------------------------------


def press(ctx: BotContext, chat_id: str, data: str | None, update_id: int) -> Answer:
    """A button under a card was pressed in `chat_id`."""
    found = cards.read_button(ctx.key, data)
    card = cards.get(ctx.store, found.card_id) if found else None
    if found is None or card is None or found.index >= len(card.items):
        return Answer(texts.BAD_BUTTON, alert=True)
    if card.chat_id != chat_id:
        return Answer(texts.OTHER_CHAT, alert=True)
    target = checked(ctx, card, found.index)
    if isinstance(target, Answer):
        return target
    if found.action == cards.EVIDENCE or target.evidence_required:
        return Answer(texts.ASK_TOAST, ask=target)
    return record(ctx, target, update_id)


def checked(ctx: BotContext, card: Card, index: int) -> Target | Answer:
    """The card's item as a `Target`, or the answer that says why it cannot be marked (steps 2–6)."""
    if not cards.is_private(card.chat_id):
        return Answer(texts.GROUP_BUTTON, alert=True)
    try:
        snapshot = ctx.tracker.snapshot(card.roadmap_id)
    except TrackingError:
        return Answer(texts.GONE_ROADMAP, alert=True)
    people = chats.chat_people(ctx.tracker, ctx.secrets, card.chat_id)
    if not any(p.roadmap_id == card.roadmap_id and p.person == card.person for p in people):
        return Answer(texts.not_linked_any_more(_name(ctx, card)), alert=True)
    item = card.items[index]
    planned = snapshot.status.plan.stages.get(item.stage_id)
    if planned is None:
        return Answer(texts.GONE_STAGE, alert=True)
    roadmap = snapshot.active.roadmap
    number = planned.stage.display_number
    if card.person not in planned.responsible:
        names = [roadmap.people[key].name for key in planned.responsible if key in roadmap.people]
        return Answer(texts.not_responsible(number, names), alert=True)
    label = occurrence_label(planned, item.occurrence, snapshot.status.stages[planned.id].occurrence)
    done = completion_of(snapshot, planned.id, label)
    if done is not None:
        by = roadmap.people[done.by].name if done.by in roadmap.people else done.by
        return Answer(texts.already(number, label, done.state.value, done.at, by), refresh=card.parent_id or card.id)
    blocked_by = snapshot.status.stages[planned.id].blocked_by
    if blocked_by:
        plan = snapshot.status.plan
        waits = [
            texts.stage_name(plan.stages[key].stage.display_number, plan.stages[key].stage.title, limit=50) for key in blocked_by
        ]
        return Answer(texts.blocked(number, waits), alert=True)
    stage = planned.stage
    return Target(card, index, item, label, number, stage.title, stage.document, bool(stage.evidence_required))


def record(ctx: BotContext, target: Target, update_id: int, evidence: Path | None = None, name: str | None = None) -> Answer:
    """Record the completion (with the update, in one transaction)."""
    card = target.card
    try:
        recording.done(
            ctx.tracker,
            card.roadmap_id,
            target.item.stage_id,
            by=card.person,
            actor=f"telegram:{card.chat_id}",
            evidence=str(evidence) if evidence else None,
            evidence_name=name,
            occurrence=target.occurrence or None,
            channel="telegram",
            guard=updates.claim(update_id, "done"),
        )
    except updates.AlreadyProcessed:
        return Answer(texts.DUPLICATE, refresh=card.parent_id or card.id)
    except StoreError:
        raise  # the database is busy or away: the update is tried again, not answered
    except Refusal as refusal:
        again = checked(ctx, card, target.index)  # a completion recorded meanwhile reads as «уже отмечен …»
        return again if isinstance(again, Answer) else Answer(texts.refused(str(refusal)), alert=True)
    text = texts.file_saved(target.number, name) if name else texts.done_ok(target.number)
    return Answer(text, refresh=card.parent_id or card.id)


def ask_card(ctx: BotContext, target: Target, text: str, message_id: int) -> Card:
    """Remember the bot's request for a file, so that a reply to it finds its stage."""
    card = target.card
    return cards.create(
        ctx.store,
        roadmap_id=card.roadmap_id,
        person=card.person,
        chat_id=card.chat_id,
        items=[target.item],
        body=text,
        parent_id=card.parent_id or card.id,
        message_id=message_id,
    )


# --- files ------------------------------------------------------------------------------------------


def reply_target(ctx: BotContext, chat_id: str, reply_to: int | None) -> Target | Answer:
    """The stage a document sent as a reply to `reply_to` is evidence for."""
    card = cards.by_message(ctx.store, chat_id, reply_to) if reply_to is not None else None
    if card is None:
        return Answer(texts.NO_TARGET)
    if len(card.items) != 1:
        return Answer(texts.MANY_ITEMS)
    if not card.items[0].actionable:
        return Answer(texts.GROUP_BUTTON if not cards.is_private(chat_id) else texts.NO_TARGET)
    return checked(ctx, card, 0)


def incoming_name(file_name: str | None, photo: bool, moment: dt.datetime) -> str | Answer:
    """The evidence's name as it will be kept, or why such a file is not taken (before downloading)."""
    from cyclogram.web import uploads

    if photo:
        return f"фото-{moment:%Y-%m-%d-%H%M}.jpg"
    name = uploads.clean_name(file_name or "")
    try:
        uploads.kind_of(name)
    except uploads.Unacceptable as error:
        return Answer(texts.refused(str(error)))
    return name


def attach(ctx: BotContext, target: Target, path: Path, name: str, update_id: int) -> Answer:
    """A downloaded file as the stage's evidence: checked by content, then recorded."""
    from cyclogram.web import uploads

    if path.stat().st_size == 0:
        return Answer(texts.FILE_EMPTY)
    kind = uploads.kind_of(name)
    if not uploads.sniff(path, kind):
        return Answer(
            texts.refused(f"содержимое файла «{name}» не похоже на {uploads.KIND_WORDS[kind]}: такой файл не принимается")
        )
    return record(ctx, target, update_id, path, name)


# --- the edited message -----------------------------------------------------------------------------


def card_view(ctx: BotContext, card_id: int) -> CardView | None:
    """A card's message as it should look now: done items marked, their buttons gone."""
    card = cards.get(ctx.store, card_id)
    if card is None or card.message_id is None:
        return None
    try:
        snapshot = ctx.tracker.snapshot(card.roadmap_id)
    except TrackingError:
        return None
    finished: set[int] = set()
    lines: list[str] = []
    for index, item in enumerate(card.items):
        planned = snapshot.status.plan.stages.get(item.stage_id)
        if planned is None:
            continue
        current = snapshot.status.stages[planned.id].occurrence
        done = completion_of(snapshot, planned.id, occurrence_label(planned, item.occurrence, current))
        if done is not None:
            finished.add(index)
            number = planned.stage.display_number if len(card.items) > 1 else None
            lines.append(texts.done_line(done.state.value, done.at, number))
    return CardView(card.chat_id, card.message_id, cards.view(card, lines), cards.keyboard(ctx.key, card, finished))


# --- helpers ----------------------------------------------------------------------------------------


def completion_of(snapshot: Snapshot, stage_id: str, label: str) -> Completion | None:
    return next((c for c in snapshot.completions if c.stage_id == stage_id and c.occurrence == label), None)


def _name(ctx: BotContext, card: Card) -> str:
    try:
        person = ctx.tracker.active(card.roadmap_id).roadmap.people.get(card.person)
    except TrackingError:
        return card.person
    return person.name if person else card.person
