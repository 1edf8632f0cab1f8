"""Credentials in text: finding them, masking them for messages, stripping them from links.

A roadmap names secrets (``secret:NAME``) and never holds their values; it is shared, put under
version control and printed. This module is the one detector of credentials the project has: the
validation refuses a roadmap that carries one in any string (`find_credentials`), every message
that might quote a user's value passes it through `mask`, and evidence links are stored without
their credentials (`strip_credentials`). It is pure: no I/O and nothing outside the standard
library, so that the notifiers and the recording side can use it without loading the schema.

What counts as a credential (each rule is chosen to be reliable, not exhaustive):

* a URL whose user-info carries a password: ``scheme://user:password@host`` (also ``scheme://:pw@``);
  the password is masked and so is the login but for its first character (it is half of the
  credential): ``mailtos://school:pw@smtp.example.ru`` → ``mailtos://s***:***@smtp.example.ru``. A
  URL with a user and no password (``https://user@host``) is not a credential;
* a Telegram bot token, ``<6–12 digits>:<30+ of [A-Za-z0-9_-]>``, standing alone or in a URL
  (``tgram://<token>/<chat>``); masked as ``123456789:AA…***``;
* a password-like parameter with a value: ``password=``, ``passwd=``, ``pwd=``, ``pass=``,
  ``secret=``, ``client_secret=``, ``token=``, ``access_token=``, ``auth_token=``, ``api_key=``,
  ``apikey=``, ``private_token=`` (in a URL's query or in free text; no spaces around ``=``, the
  name must not be the tail of a longer word, the value must be ASCII and at least 3 characters —
  ``pass = 100%`` in prose is not a credential), and ``password: value``
  (only the words password/passwd/pwd, the value ASCII and at least 4 characters); the value is
  replaced by ``***``;
* a PEM private key block, ``-----BEGIN … PRIVATE KEY-----`` up to its END line (or the end of the
  string), replaced by its header and ``…***``;
* access tokens of well-known services by their fixed prefixes: GitHub (``ghp_``, ``gho_``,
  ``ghu_``, ``ghs_``, ``ghr_``, ``github_pat_``), GitLab (``glpat-``), Slack (``xoxa-``, ``xoxb-``,
  ``xoxp-``, ``xoxr-``, ``xoxs-``), AWS access key ids (``AKIA``/``ASIA`` + 16), Google API keys
  (``AIza`` + 35), Yandex OAuth (``y0_`` + 50), OpenAI-style (``sk-`` + 32) and JSON Web Tokens
  (``eyJ….eyJ….…``); masked as the prefix and ``…***``.

Ordinary school text does not trip these: times and numbers (``10:00``, ``№ 12:34``, ``2.1.3``),
e-mail addresses, ``secret:NAME`` references, and links without a password
(``https://school.example/doc``, ``https://user@host``) pass.

Known limits, on purpose: a bare password with nothing around it (``qwerty123``), ``user:pass@host``
without a scheme, a password in Russian words (``пароль: 12345``) and random-looking API keys of
services without a fixed prefix are not recognised — telling them from ordinary codes, numbers and
words would refuse honest roadmaps. A URL whose password holds an unencoded space or ``/?#`` is not
recognised either: the user-info ends at that character, as for any URL parser, so no ``@`` follows.
A value already masked (``user:***@``, ``password=***``) is not found again. Everything found is
masked; nothing else is changed, so the rules above are also the limits of the masking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import unquote, urlsplit, urlunsplit

PathKey = tuple[str | int, ...]

MASK = "***"
ELLIPSIS = "…"
MAX_SHOWN = 120  # a masked value quoted in a message is cut to this length

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s<>\"'«»`]+")
_BOT_TOKEN = re.compile(r"(?<![0-9])(\d{6,12}):([A-Za-z0-9_-]{30,})")
_PARAM_NAMES = "password|passwd|pwd|pass|secret|client_secret|token|access_token|auth_token|api_key|apikey|private_token"
PASSWORD_PARAMS = frozenset(_PARAM_NAMES.split("|"))
_PARAM = re.compile(rf"(?<![A-Za-z0-9_.-])(?:{_PARAM_NAMES})=([\x21-\x7e]{{3,}})", re.IGNORECASE)
_PARAM_VALUE_END = re.compile(r"[&#;,\"'»)\]]")
_COLON_PASSWORD = re.compile(r"(?<![A-Za-z0-9_.-])(?:password|passwd|pwd)\s*:\s*([\x21-\x7e]{4,})", re.IGNORECASE)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
_PREFIXED = re.compile(
    r"(?<![A-Za-z0-9_-])("
    r"gh[pousr]_(?=[A-Za-z0-9]{36})|github_pat_(?=[A-Za-z0-9_]{50})|glpat-(?=[A-Za-z0-9_-]{20})"
    r"|xox[abprs]-(?=[A-Za-z0-9-]{10})|(?:AKIA|ASIA)(?=[0-9A-Z]{16}(?![0-9A-Za-z]))|AIza(?=[0-9A-Za-z_-]{35})"
    r"|y0_(?=[A-Za-z0-9_-]{50})|sk-(?=[A-Za-z0-9_-]{32})|eyJ(?=[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10})"
    r")[A-Za-z0-9_.-]*"
)
# Cheap first look: a string without any of these cannot hold a credential (most strings).
_QUICK = re.compile(
    r"://[^\s/?#]*@|\d{6}:|=|-----BEGIN|gh[pousr]_|github_pat_|glpat-|xox[abprs]-|A[KS]IA|AIza|y0_|sk-|eyJ|(?i:password|passwd|pwd)\s*:"
)

# What kind of credential it is, in the words of a message: "адрес с паролем «…»".
KIND_WORDS = {
    "url_password": "адрес с паролем",
    "bot_token": "токен бота Telegram",
    "param": "пароль или ключ в параметре",
    "private_key": "закрытый ключ",
    "token": "токен доступа",
}


@dataclass(frozen=True)
class Finding:
    """One credential in a string: where it is, what it is, and what to show instead of it."""

    start: int
    end: int
    kind: str
    replacement: str
    lead: int = 0  # characters before `start` that belong to what is shown ("password=" of a parameter)


def _url_findings(text: str) -> Iterator[Finding]:
    for url in _URL.finditer(text):
        after_scheme = url.start() + url.group().index("://") + 3
        authority_end = after_scheme
        while authority_end < url.end() and text[authority_end] not in "/?#":
            authority_end += 1
        authority = text[after_scheme:authority_end]
        if "@" not in authority:
            continue
        userinfo = authority.rsplit("@", 1)[0]
        if ":" not in userinfo:
            continue
        login, password = userinfo.split(":", 1)
        if password and password != MASK:  # a password after the colon, not masked already
            # The login is half of the credential: only its first character is kept, as a hint.
            shown_login = login[:1] + MASK if login else ""
            yield Finding(after_scheme, after_scheme + len(userinfo), "url_password", f"{shown_login}:{MASK}")


def _param_findings(text: str) -> Iterator[Finding]:
    for pattern in (_PARAM, _COLON_PASSWORD):
        for match in pattern.finditer(text):
            value_start = match.start(1)
            value = match.group(1)
            cut = _PARAM_VALUE_END.search(value)
            if cut:
                value = value[: cut.start()]
            if len(value) < 3 or set(value) <= {"*", ELLIPSIS}:
                continue
            yield Finding(value_start, value_start + len(value), "param", MASK, value_start - match.start())


def _token_findings(text: str) -> Iterator[Finding]:
    for match in _BOT_TOKEN.finditer(text):
        yield Finding(match.start(), match.end(), "bot_token", f"{match[1]}:{match[2][:2]}{ELLIPSIS}{MASK}")
    for match in _PRIVATE_KEY.finditer(text):
        header = f"-----BEGIN {match[1]}PRIVATE KEY-----"
        yield Finding(match.start(), match.end(), "private_key", f"{header}{ELLIPSIS}{MASK}")
    for match in _PREFIXED.finditer(text):
        yield Finding(match.start(), match.end(), "token", f"{match[1]}{ELLIPSIS}{MASK}")


def scan(text: str) -> list[Finding]:
    """Every credential in ``text``, in order, without overlaps (the earlier, then the longer wins)."""
    if not _QUICK.search(text):
        return []
    found = sorted(
        [*_url_findings(text), *_param_findings(text), *_token_findings(text)],
        key=lambda f: (f.start, -(f.end - f.start)),
    )
    kept: list[Finding] = []
    for finding in found:
        if kept and finding.start < kept[-1].end:
            continue
        kept.append(finding)
    return kept


def contains_credential(text: str) -> bool:
    return bool(scan(text))


def _apply(text: str, findings: list[Finding]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with the findings replaced, and where each replacement landed."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    length = 0
    for finding in findings:
        parts.append(text[position : finding.start])
        length += finding.start - position
        spans.append((length, length + len(finding.replacement)))
        parts.append(finding.replacement)
        length += len(finding.replacement)
        position = finding.end
    parts.append(text[position:])
    return "".join(parts), spans


def mask(value: object) -> str:
    """``value`` as text with every credential in it masked; safe to print. Other text is untouched."""
    text = str(value)
    findings = scan(text)
    return _apply(text, findings)[0] if findings else text


_WORD_EDGE = re.compile(r"[\s«»\"'<>`()\[\]{},;]")


def _shown(masked: str, start: int, end: int, finding: Finding) -> str:
    """The masked credential with the word around it (the whole link), for a message."""
    if finding.kind == "private_key":
        return finding.replacement
    left = max(0, start - finding.lead)
    while left > 0 and not _WORD_EDGE.match(masked[left - 1]):
        left -= 1
    right = end
    while right < len(masked) and not _WORD_EDGE.match(masked[right]):
        right += 1
    word = masked[left:right].rstrip(".:")
    return word if len(word) <= MAX_SHOWN else word[: MAX_SHOWN - 1] + ELLIPSIS


def describe(text: str) -> str | None:
    """``адрес с паролем «https://a***:***@host»`` for every credential in ``text``; None if none."""
    findings = scan(text)
    if not findings:
        return None
    masked, spans = _apply(text, findings)
    shown: list[str] = []
    for finding, (start, end) in zip(findings, spans, strict=True):
        phrase = f"{KIND_WORDS[finding.kind]} «{_shown(masked, start, end, finding)}»"
        if phrase not in shown:
            shown.append(phrase)
    return "; ".join(shown)


_LEAF, _TEXT, _MAPPING, _SEQUENCE, _MODEL = range(5)
_KINDS: dict[type, int] = {str: _TEXT, dict: _MAPPING, list: _SEQUENCE, tuple: _SEQUENCE, type(None): _LEAF}


def _kind(cls: type) -> int:
    """How to walk a value of this type; decided once per type (a big roadmap has ~10⁵ values)."""
    kind = _KINDS.get(cls)
    if kind is None:
        if hasattr(cls, "__pydantic_fields__"):  # a validated model: its fields are the file's keys
            kind = _MODEL
        elif issubclass(cls, str):
            kind = _TEXT
        elif issubclass(cls, Mapping):
            kind = _MAPPING
        elif issubclass(cls, (list, tuple)):
            kind = _SEQUENCE
        else:  # numbers, dates, parsed date expressions: nothing a credential could hide in
            kind = _LEAF
        _KINDS[cls] = kind
    return kind


def find_credentials(data: object, path: PathKey = ()) -> list[tuple[PathKey, str]]:
    """``(path, masked description)`` for every string of ``data`` that holds a credential.

    ``data`` is a roadmap as parsed (dicts, lists, scalars) or as validated (pydantic models: their
    fields are walked under their names, which are the file's keys). Mapping keys are checked too
    and reported at the path of their value. The description is `describe`'s: the kind of credential
    and the masked value, e.g. ``адрес с паролем «https://a***:***@mail.example.ru»``. In document
    order.
    """
    found: list[tuple[PathKey, str]] = []
    trail: list[str | int] = list(path)

    def check(text: str) -> None:
        if _QUICK.search(text):
            described = describe(text)
            if described:
                found.append((tuple(trail), described))

    def visit(node: object, kind: int) -> None:
        items: Iterable[tuple[str | int, object]]
        if kind == _MODEL:
            items = vars(node).items()
        elif kind == _MAPPING:
            items = cast(Mapping[str | int, object], node).items()
        else:
            items = enumerate(cast(Sequence[object], node))
        for key, value in items:
            trail.append(key)
            if kind == _MAPPING and type(key) is str:
                check(key)
            value_kind = _KINDS.get(type(value))
            if value_kind is None:
                value_kind = _kind(type(value))
            if value_kind == _TEXT:
                check(str(value))
            elif value_kind != _LEAF:
                visit(value, value_kind)
            trail.pop()

    top = _kind(type(data))
    if top == _TEXT:
        check(str(data))
    elif top != _LEAF:
        visit(data, top)
    return found


def strip_credentials(url: str) -> str:
    """A link without its credentials: no user-info, no password-like query parameters, tokens masked.

    ``https://user:pass@host/file?id=7&token=abc`` → ``https://host/file?id=7``. The user name goes
    too (it is half of a login). Text that is not a single ``scheme://`` link (a file path) is only
    masked, which leaves it as it is unless it holds a credential. The result is the argument itself
    when there was nothing to remove: compare them to know whether something was.
    """
    text = url.strip()
    if not _URL.fullmatch(text):
        return mask(url)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal: mask what can be recognised
        return mask(url)
    pieces = parts.query.split("&")
    kept = [piece for piece in pieces if not (piece and _param_name(piece) in PASSWORD_PARAMS)]
    if "@" in parts.netloc or len(kept) < len(pieces):
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = host + (f":{port}" if port is not None else "") if "@" in parts.netloc else parts.netloc
        text = urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), parts.fragment))
    stripped = mask(text)
    return url if stripped == url.strip() else stripped


def _param_name(piece: str) -> str:
    return unquote(piece.split("=", 1)[0]).strip().lower()
