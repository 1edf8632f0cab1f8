"""Today's reminders, the one use case: status → working day? → due reminders → compose → enqueue → dispatch.

Called by `cyclogram remind`, by the daily flow (`flows.roadmap.send_reminders`) and by the
event-driven "можно начинать" flow (`flows.roadmap.notify_unblocked`, with `only=` and
`immediate=True`), so the rules are written once. The caller may hand in a status it has already
computed for the same day (the daily flow computes one per run); otherwise it is read here.

A person's channels are their roadmap contacts and the Telegram chats linked to them through the
bot (`cyclogram.bot.chats`); Telegram messages carry buttons (`cyclogram.bot.delivery`).

When a base URL of the web app is configured (`--base-url`, `CYCLOGRAM_BASE_URL`), every message
carries the recipient's action link to its stage (`cyclogram.app.action_links`, signed with the
web app's key); without one nothing changes. A dry run shows the links with their tokens cut, so a
preview on a terminal never prints a working link. `CYCLOGRAM_SHOW_COMMAND=1` keeps the
`cyclogram done …` line next to the links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from threading import Event

from cyclogram import outbox, settings
from cyclogram.engine.reminders import Reminder, due_reminders, without_duplicates
from cyclogram.engine.status import RoadmapStatus
from cyclogram.notifiers.channels import ChannelProblem
from cyclogram.notifiers.messages import LinkMaker
from cyclogram.notifiers.secrets import Secrets
from cyclogram.tracker import Tracker


@dataclass
class RemindReport:
    day: dt.date
    status: RoadmapStatus
    working_day: bool = True
    reminders: list[Reminder] = field(default_factory=list)
    outgoing: list[outbox.Outgoing] = field(default_factory=list)
    problems: list[ChannelProblem] = field(default_factory=list)
    already_queued: set[str] = field(default_factory=set)  # item keys (dry runs only)
    queued: outbox.EnqueueReport | None = None
    sent: outbox.DispatchReport | None = None

    @property
    def holiday_name(self) -> str | None:
        return self.status.plan.calendar.holiday_name(self.day)

    @property
    def delivered_all(self) -> bool:
        """Nothing left waiting or failed in what this run tried to send."""
        return self.sent is None or not (self.sent.retrying or self.sent.failed)


def remind(
    tracker: Tracker,
    roadmap_ref: str,
    day: dt.date,
    secrets: Secrets,
    *,
    status: RoadmapStatus | None = None,
    only: Callable[[Reminder], bool] | None = None,
    dry_run: bool = False,
    send: bool = True,
    immediate: bool = False,
    workers: int = 8,
    ignore_backoff: bool = False,
    stop: Event | None = None,
    dispatch_guard: Callable[[], AbstractContextManager[object]] | None = None,
    base_url: str | None = None,
    links: LinkMaker | None = None,
) -> RemindReport:
    """Compute `day`'s reminders of a roadmap and queue (and send) them; see module docstring.

    `dry_run`: compose only, and say which messages are queued already; nothing is written.
    `dispatch_guard`: wraps sending (the flows take Prefect's global concurrency slot in it).
    `base_url`: the web app's address for action links (default: `CYCLOGRAM_BASE_URL`, else none);
    `links`: a link-maker of the caller's own instead.
    """
    if status is None:
        status = tracker.status(roadmap_ref, day)
    roadmap_id = status.plan.roadmap.id
    report = RemindReport(day, status)
    if not status.plan.calendar.is_working_day(day):
        report.working_day = False
        return report
    reminders = without_duplicates(due_reminders(status))
    if only is not None:
        reminders = [r for r in reminders if only(r)]
    report.reminders = reminders
    maker = _link_maker(base_url, links, secrets, dry_run) if reminders else None
    report.outgoing, report.problems = outbox.compose(
        status,
        reminders,
        secrets,
        digest=False if immediate else None,
        immediate=immediate,
        links=maker,
        show_command=settings.show_command(),
        linked=_linked_chats(tracker, roadmap_id) if reminders else None,
    )
    if dry_run:
        report.already_queued = outbox.queued_item_keys(tracker.store, [k for o in report.outgoing for k in o.item_keys])
        return report
    report.queued = outbox.enqueue(tracker.store, report.outgoing, roadmap_id)
    if send:
        with (dispatch_guard or nullcontext)():
            report.sent = outbox.dispatch(
                tracker.store, secrets, roadmap_id=roadmap_id, workers=workers, ignore_backoff=ignore_backoff, stop=stop
            )
    return report


def _linked_chats(tracker: Tracker, roadmap_id: str) -> dict[str, list[str]]:
    """The Telegram chats people linked through the bot (`cyclogram.bot.chats`): their channels too."""
    from cyclogram.bot.chats import linked_chats

    return linked_chats(tracker.store, roadmap_id)


def _link_maker(base_url: str | None, links: LinkMaker | None, secrets: Secrets, dry_run: bool) -> LinkMaker | None:
    if links is None:
        from cyclogram.app import action_links

        links = action_links(base_url, secrets)
    if links is not None and dry_run:
        from cyclogram.links import masked_links

        links = masked_links(links)
    return links
