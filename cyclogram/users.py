"""People who sign in to the web app: adding them, their passwords, disabling them.

The service layer under `cyclogram users …` and the admin's `/users` page (teachers never sign in:
they act through signed links). Decisions:

* **E-mail is the login**, stored lower-cased and trimmed, so `Volkova@School.ru` and
  `volkova@school.ru` are one account (the column is unique).
* **Passwords are argon2id hashes** (argon2-cffi's `PasswordHasher`, its RFC 9106 defaults:
  64 MiB, 3 passes); a hash made with older parameters is replaced at the next sign-in
  (`needs_rehash`). A password is 10–256 characters: long enough to resist guessing, short enough
  that hashing cannot be used to tie up the server. Generated passwords are 4 groups of 5 letters
  and digits from an alphabet without look-alikes (0/O, 1/l/I): ~110 bits, typed from a sheet of
  paper without mistakes.
* **Every change is an audit event** in the same transaction as the row: `user.created`,
  `user.disabled`, `user.password_changed`. The payload names the account (id, e-mail, name, role),
  never the password or its hash. Signing in is not an audit event (it changes no state the log
  proves); `last_sign_in_at` records it.
* **Accounts are disabled, never deleted**: the audit log keeps naming their actions, and a
  disabled account is out at once (the web app reads the account on every request). The last
  active administrator cannot be disabled — nobody could add users from the web again.
* Reads on the sign-in path (`by_email`, `by_id`) go through the lean DB-API reader; writes through
  `Store.write()` (SQLModel, `WebUserRow`).
"""

from __future__ import annotations

import re
import secrets as random_secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from cyclogram.engine.diagnostics import Refusal
from cyclogram.store import Store, audit
from cyclogram.store.tables import WebUserRow

ROLES = ("admin", "editor", "viewer", "auditor")
ROLE_WORDS = {"admin": "администратор", "editor": "редактор", "viewer": "просмотр", "auditor": "аудитор"}
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_NAME = 200
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class UserError(Refusal):
    """A refused change of a web user, explained in Russian."""


@dataclass(frozen=True)
class WebUser:
    id: int
    email: str
    name: str
    role: str
    created_at: str
    created_by: str
    disabled_at: str | None
    last_sign_in_at: str | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True)
class Credentials:
    """What signing in needs of an account (read on every request: no ORM)."""

    id: int
    email: str
    name: str
    role: str
    password_hash: str
    disabled: bool


# --- passwords ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a mismatch or a damaged hash (never raises)."""
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, so both answers take the same time."""
    return hash_password(random_secrets.token_urlsafe(16))


def generate_password() -> str:
    """A strong password that is easy to type from paper (see module docstring)."""
    groups = ("".join(random_secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"пароль слишком короткий: нужно не меньше {MIN_PASSWORD} символов")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"пароль слишком длинный: не больше {MAX_PASSWORD} символов")
    if password != password.strip():
        raise UserError("пароль не должен начинаться или заканчиваться пробелом")
    if len(set(password)) < 4:
        raise UserError("пароль слишком простой: в нём почти одни и те же символы")
    return password


# --- input --------------------------------------------------------------------------------------


def normalize_email(text: str) -> str:
    email = text.strip().lower()
    if not email:
        raise UserError("укажите адрес электронной почты")
    if len(email) > 254 or not _EMAIL.match(email):
        raise UserError(f"«{email[:80]}» — не адрес электронной почты (пример: zavuch@school.ru)")
    return email


def check_role(role: str) -> str:
    value = role.strip().lower()
    if value not in ROLES:
        choices = ", ".join(f"{key} ({word})" for key, word in ROLE_WORDS.items())
        raise UserError(f"неизвестная роль «{role[:40]}»; возможные: {choices}")
    return value


def check_name(name: str) -> str:
    value = " ".join(name.split())
    if not value:
        raise UserError("укажите имя пользователя (например: Торопкина А.А.)")
    if len(value) > MAX_NAME:
        raise UserError(f"имя слишком длинное: не больше {MAX_NAME} символов")
    return value


# --- reads --------------------------------------------------------------------------------------

_CREDENTIALS = "SELECT id, email, name, role, password_hash, disabled_at FROM web_user"


def _credentials(row: tuple[object, ...] | None) -> Credentials | None:
    if row is None:
        return None
    return Credentials(int(str(row[0])), str(row[1]), str(row[2]), str(row[3]), str(row[4]), row[5] is not None)


def by_email(store: Store, email: str) -> Credentials | None:
    with store.reading() as reader:
        return _credentials(reader.row(f"{_CREDENTIALS} WHERE email = ?", (email.strip().lower(),)))


def by_id(store: Store, user_id: int) -> Credentials | None:
    with store.reading() as reader:
        return _credentials(reader.row(f"{_CREDENTIALS} WHERE id = ?", (user_id,)))


def _user(row: WebUserRow) -> WebUser:
    assert row.id is not None
    return WebUser(row.id, row.email, row.name, row.role, row.created_at, row.created_by, row.disabled_at, row.last_sign_in_at)


def list_users(store: Store) -> list[WebUser]:
    """Every account, active ones first, then by name."""
    with store.read() as session:
        rows = [_user(row) for row in session.exec(select(WebUserRow))]
    return sorted(rows, key=lambda u: (not u.active, u.name.lower(), u.email))


# --- changes ------------------------------------------------------------------------------------


def add(store: Store, email: str, name: str, role: str, password: str, actor: str) -> WebUser:
    """A new account (`user.created`); refused when the e-mail is taken, even by a disabled one."""
    address, shown, kind = normalize_email(email), check_name(name), check_role(role)
    check_password(password)
    password_hash = hash_password(password)  # before the transaction: ~0.1 s, no lock held
    with store.write() as session:
        if session.exec(select(WebUserRow).where(WebUserRow.email == address)).first() is not None:
            raise UserError(f"пользователь {address} уже есть")
        row = WebUserRow(
            email=address, name=shown, role=kind, password_hash=password_hash, created_at=audit.utc_now(), created_by=actor
        )
        session.add(row)
        session.flush()
        audit.append_event(session, actor, "user.created", {"user_id": row.id, "email": address, "name": shown, "role": kind})
        return _user(row)


def set_password(store: Store, email: str, password: str, actor: str) -> WebUser:
    """A new password (`user.password_changed`); every session of the account ends with the old one."""
    address = normalize_email(email)
    check_password(password)
    password_hash = hash_password(password)
    with store.write() as session:
        row = _find(session, address)
        row.password_hash = password_hash
        session.add(row)
        audit.append_event(session, actor, "user.password_changed", {"user_id": row.id, "email": row.email})
        return _user(row)


def disable(store: Store, email: str, actor: str) -> WebUser:
    """Disable an account (`user.disabled`): it cannot sign in, and its open sessions end at once."""
    address = normalize_email(email)
    with store.write() as session:
        row = _find(session, address)
        if row.disabled_at is not None:
            raise UserError(f"пользователь {address} уже отключён")
        if row.role == "admin":
            admins = session.exec(
                select(WebUserRow).where(WebUserRow.role == "admin", col(WebUserRow.disabled_at).is_(None))
            ).all()
            if len(admins) <= 1:
                raise UserError(f"{address} — последний администратор: сначала добавьте другого, иначе управлять будет некому")
        row.disabled_at = audit.utc_now()
        session.add(row)
        audit.append_event(session, actor, "user.disabled", {"user_id": row.id, "email": row.email, "role": row.role})
        return _user(row)


def record_sign_in(store: Store, user_id: int, new_hash: str | None = None) -> None:
    """The moment of a successful sign-in (and a hash upgraded to current parameters): no event."""
    with store.write() as session:
        row = session.get(WebUserRow, user_id)
        if row is None:
            return
        row.last_sign_in_at = audit.utc_now()
        if new_hash is not None:
            row.password_hash = new_hash
        session.add(row)


def _find(session: Session, email: str) -> WebUserRow:
    row = session.exec(select(WebUserRow).where(WebUserRow.email == email)).first()
    if row is None:
        raise UserError(f"пользователя {email} нет; список: cyclogram users list")
    return row
