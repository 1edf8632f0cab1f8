"""Action links: what a teacher opens from a reminder to mark a stage done, without signing in.

A link is `<base URL>/a/<token>`; the token is the link's facts and a signature:

    base64url(compact JSON {r: roadmap, p: person, s: stage or "" for the person's own page,
                            o: occurrence, e: expiry date, i: link id, t: issued at})
    + "." + base64url(HMAC-SHA256(key, that text)[:18])

* **Bound** to one person, one roadmap and one stage (and occurrence): the page acts for that
  person only, on that stage only. A person's page token (stage "") lists their stages and opens
  each through its own link.
* **Signed** with the web app's key (`cyclogram.web.context.signing_key`, never in the database):
  a copy of the database cannot forge links; compared in constant time.
* **Expiring**: a stage link lives until 60 days after the stage's due date (`LINK_DAYS_AFTER_DUE`),
  a person's page link `PERSON_LINK_DAYS` days.
* **Revocable**: one link by its id (`revoked_link`), or every link of a person issued before a
  moment (`link_reset`: a lost phone, a leaked mailbox).
* **Never logged**: the web app's access log masks `/a/<token>` (`cyclogram.web.app.mask_path`),
  and the audit log records the link id only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets as random_secrets
from dataclasses import dataclass

LINK_DAYS_AFTER_DUE = 60
PERSON_LINK_DAYS = 400  # a school year and a summer
UNDATED_LINK_DAYS = 400  # stages without a due date yet
_SIGNATURE_BYTES = 18


@dataclass(frozen=True)
class ActionLink:
    roadmap_id: str
    person: str
    stage_id: str  # "" for the person's own page
    occurrence: str
    expires: dt.date
    link_id: str
    issued_at: int  # Unix seconds

    @property
    def for_person_page(self) -> bool:
        return not self.stage_id


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, b"action-link\0" + body.encode("ascii"), hashlib.sha256).digest()[:_SIGNATURE_BYTES])


def issue(
    key: bytes,
    roadmap_id: str,
    person: str,
    stage_id: str = "",
    occurrence: str = "",
    *,
    expires: dt.date,
    now: dt.datetime | None = None,
) -> str:
    """A signed token (see module docstring)."""
    moment = now or dt.datetime.now(dt.UTC)
    payload = {
        "r": roadmap_id,
        "p": person,
        "s": stage_id,
        "o": occurrence,
        "e": expires.isoformat(),
        "i": random_secrets.token_hex(8),
        "t": int(moment.timestamp()),
    }
    body = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_signature(key, body)}"


def stage_expiry(due: dt.date | None, today: dt.date) -> dt.date:
    """When a stage's link stops working: 60 days after its due date (a year ahead if undated)."""
    if due is None:
        return today + dt.timedelta(days=UNDATED_LINK_DAYS)
    return max(due, today) + dt.timedelta(days=LINK_DAYS_AFTER_DUE)


def read(key: bytes, token: str, today: dt.date) -> ActionLink | None:
    """The link's facts when the token is genuine and not expired; None otherwise (no reason given:
    a forged, mistyped, expired or foreign token all look the same to the caller's visitor)."""
    if len(token) > 2000 or token.count(".") != 1:
        return None
    body, signature = token.split(".")
    try:
        if not hmac.compare_digest(signature, _signature(key, body)):
            return None
        data = json.loads(_unb64(body))
        link = ActionLink(
            str(data["r"]),
            str(data["p"]),
            str(data["s"]),
            str(data["o"]),
            dt.date.fromisoformat(str(data["e"])),
            str(data["i"]),
            int(data["t"]),
        )
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    return link if today <= link.expires else None


def revoked(link: ActionLink, revoked_ids: set[str], reset_at: dt.datetime | None) -> bool:
    """Whether a genuine link was revoked: by its id, or by a reset of its person's links."""
    if link.link_id in revoked_ids:
        return True
    return reset_at is not None and link.issued_at <= int(reset_at.timestamp())
