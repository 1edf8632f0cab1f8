"""Responsible cells → people and roles.

A cell is split into parts at commas, semicolons and line breaks (not inside parentheses); each
part is one of:

* **a named person** — «Торопкина А.А.», «О.Н. Симонова», «Симонова Ольга Николаевна», with a
  position written next to it («Торопкина А.А., заместитель директора», «Торопкина А.А.
  заместитель директора») or around it («Отдел общего образования (Симонова О.Н.)»); a lone
  singular position right after a name without one is that person's position («Мельникова Н.А.,
  директор»). The same person written two ways is one person: the key is the transliterated
  surname (toropkina), the name always «Фамилия И.О.», initials in either order;
* **a position without a name** — «Директор ОУ», «школьный координатор», «Зам.директора по
  УВР»: one person whose name the document does not give (a placeholder to fill in);
* **a group** — a plural («классные руководители», «учителя-предметники», «Руководители ОО») or
  a unit («отдел по образованию», «ШМО»): a role, with a placeholder member to replace.

Positions and groups are compared by a crude lemma (`lemma`: «зам.» expanded, each word made
singular by its ending, prepositions dropped), so «руководитель ОУ» and «Руководители ОУ» are the
same role, and «Зам.директора по УВР» and «Заместитель директора по УВР» the same person. A part
is *known* when it is a name or uses the vocabulary of school positions (`POSITION_STEMS`); an
unknown part still becomes a role, and the importer asks to check it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cyclogram.importing.text import KeyBook, capitalize, is_acronym, make_key, one_line, transliterate, words

_SURNAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
SURNAME_FIRST = re.compile(rf"(?P<surname>{_SURNAME})\s*(?P<i1>[А-ЯЁ])\.\s*(?:(?P<i2>[А-ЯЁ])\.?)?(?![а-яё])")
INITIALS_FIRST = re.compile(
    r"(?<![А-ЯЁа-яё])(?P<i1>[А-ЯЁ])\.\s*(?:(?P<i2>[А-ЯЁ])\.\s*)?(?P<surname>[А-ЯЁ][а-яё]{2,}(?:-[А-ЯЁ][а-яё]+)?)"
)
FULL_NAME = re.compile(
    rf"(?P<surname>{_SURNAME})\s+(?P<first>[А-ЯЁ][а-яё]+)\s+(?P<patronymic>[А-ЯЁ][а-яё]+(?:вич|вна|чна|ична|ич))(?![а-яё])"
)
_PARTS = re.compile(r"[;\n]|,(?![^()]*\))")
_PARENS = re.compile(r"\(([^()]*)\)")

POSITION_STEMS = (
    "директор", "заместител", "зам", "завуч", "руководител", "учител", "педагог", "психолог", "логопед", "дефектолог",
    "координатор", "специалист", "отдел", "управлени", "комитет", "комисси", "администрац", "ответствен", "организатор",
    "эксперт", "наблюдател", "секретар", "председател", "методист", "библиотекар", "тьютор", "вожат", "советник",
    "инспектор", "классн", "преподавател", "воспитател", "член", "сотрудник", "работник", "совет", "коллектив",
    "медицинск", "медсестр", "фельдшер", "завхоз", "бухгалтер", "социальн", "техническ", "программист", "лаборант",
    "учащи", "обучающи", "родител", "оператор", "муниципальн", "служб", "центр", "групп", "объединени", "администратор",
    "куратор", "наставник", "инженер", "системн", "ассистент", "помощник", "представител", "штаб", "команд",
)  # fmt: skip
UNIT_STEMS = (
    "отдел", "управлени", "комитет", "комисси", "администрац", "совет", "служб", "центр", "групп", "объединени",
    "коллектив", "команд", "штаб", "методическ",
)  # fmt: skip
UNIT_ACRONYMS = frozenset({"шмо", "рмо", "мо", "пмпк", "ппк", "впр", "ук"})
LEMMA_STOP = frozenset({"по", "за", "в", "во", "на", "с", "со", "и", "для", "при", "от", "о", "об", "из"})
_SINGULAR = (
    ("ители", "итель"), ("ели", "ель"), ("ники", "ник"), ("ики", "ик"), ("ги", "г"), ("ки", "к"), ("ры", "р"), ("ты", "т"),
    ("ны", "н"), ("ды", "д"), ("ые", "ый"), ("ие", "ий"), ("ля", "ль"), ("ы", ""),
)  # fmt: skip


@dataclass(frozen=True)
class Mention:
    kind: str  # person | position | group
    text: str  # as written (a person: «Фамилия И.О.»)
    lemma: str = ""  # positions and groups
    surname: str = ""
    initials: str = ""
    position: str | None = None
    known: bool = True


@dataclass
class Cell:
    text: str
    mentions: list[Mention]

    @property
    def resolved(self) -> bool:
        return bool(self.mentions) and all(m.known for m in self.mentions)


def expand(text: str) -> str:
    """«Зам.директора по УВР» → «Заместитель директора по УВР»."""
    value = re.sub(r"\b([Зз])ам\.\s*", lambda m: ("З" if m[1] == "З" else "з") + "аместитель ", text)
    value = re.sub(
        r"\b([Зз])ам\s+(?=директор|руководител|заведующ)", lambda m: ("З" if m[1] == "З" else "з") + "аместитель ", value
    )
    return one_line(value)


def _singular(word: str) -> str:
    parts = word.split("-")
    out = []
    for part in parts:
        lowered = part.lower()
        for plural, single in _SINGULAR:
            if lowered.endswith(("ние", "тие")):  # проведение, развитие: singular nouns
                break
            if lowered.endswith(plural) and len(lowered) > len(plural) + 2:
                lowered = lowered[: -len(plural)] + single
                break
        out.append(lowered)
    return "-".join(out)


def lemma(text: str) -> str:
    """The comparison form of a position or group (module docstring)."""
    found = [w for w in words(_PARENS.sub(" ", expand(text))) if w.lower() not in LEMMA_STOP]
    return " ".join(w.lower() if is_acronym(w) else _singular(w) for w in found)


def is_plural(text: str) -> bool:
    head = words(expand(text))
    if not head:
        return False
    first = head[0].lower().split("-")[-1]
    return first.endswith(("и", "ы", "ые", "ие")) or (first.endswith("я") and not first.endswith("ия"))


def is_unit(text: str) -> bool:
    lowered = [w.lower() for w in words(text)]
    return bool(lowered) and (lowered[0].startswith(UNIT_STEMS) or lowered[0] in UNIT_ACRONYMS)


def is_known(text: str) -> bool:
    return any(w.lower().startswith(POSITION_STEMS) or w.lower() in UNIT_ACRONYMS for w in words(expand(text)))


def _person(match: re.Match[str], position: str | None) -> Mention:
    groups = match.groupdict()
    surname = match["surname"]
    if groups.get("first"):
        initials = f"{groups['first'][0]}.{groups['patronymic'][0]}."
    else:
        initials = f"{match['i1']}." + (f"{groups['i2']}." if groups.get("i2") else "")
    return Mention("person", f"{surname} {initials}", surname=surname, initials=initials, position=position)


def _names(part: str) -> tuple[list[re.Match[str]], str]:
    """The names in a part and what is left of it (a position written next to them)."""
    for pattern in (SURNAME_FIRST, INITIALS_FIRST, FULL_NAME):
        found = list(pattern.finditer(part))
        if found:
            rest = pattern.sub(" ", part)
            return found, one_line(rest).strip(" ,.;:-–—")
    return [], part


def _position_text(text: str) -> str:
    value = one_line(text).strip(" ,.;:-–—")
    return value[:1].lower() + value[1:] if value[:2] != value[:2].upper() else value


def parse_cell(text: str) -> Cell:
    """The people and groups of one responsible cell, in the order written."""
    mentions: list[Mention] = []
    last_named_without_position: int | None = None
    for raw in _PARTS.split(text or ""):
        part = one_line(raw).strip(" ,.;:-–—")
        if not part:
            continue
        inner = _PARENS.search(part)
        if inner and _names(inner[1])[0]:  # «Отдел общего образования (Симонова О.Н.)»
            outer = one_line(_PARENS.sub(" ", part))
            for match in _names(inner[1])[0]:
                mentions.append(_person(match, _position_text(outer) or None))
            last_named_without_position = None
            continue
        found, rest = _names(part)
        if found:
            position = _position_text(rest) if rest and len(found) == 1 and re.search(r"[а-яё]{3}", rest) else None
            for match in found:
                mentions.append(_person(match, position))
            last_named_without_position = len(mentions) - 1 if position is None and len(found) == 1 else None
            continue
        if last_named_without_position is not None and not is_plural(part) and not is_unit(part) and is_known(part):
            person = mentions[last_named_without_position]
            mentions[last_named_without_position] = Mention(
                "person", person.text, surname=person.surname, initials=person.initials, position=_position_text(part)
            )
            last_named_without_position = None
            continue
        kind = "group" if is_plural(part) or is_unit(part) else "position"
        mentions.append(Mention(kind, expand(part), lemma=lemma(part), known=is_known(part)))
        last_named_without_position = None
    return Cell(text, mentions)


# --- the document's people --------------------------------------------------------------------------------


@dataclass
class PersonEntry:
    key: str
    name: str
    position: str | None = None
    placeholder: bool = False  # a position without a name, or a role's stand-in
    note: str = ""


@dataclass
class RoleEntry:
    key: str
    title: str
    members: list[str] = field(default_factory=list)
    known: bool = True


@dataclass
class Directory:
    """Everyone a document names, with keys (module docstring)."""

    people: dict[str, PersonEntry] = field(default_factory=dict)
    roles: dict[str, RoleEntry] = field(default_factory=dict)
    keys_of: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, identity) → key

    def keys(self, cell: Cell) -> list[str]:
        found = [self.keys_of[_identity(m)] for m in cell.mentions]
        return list(dict.fromkeys(found))


def _identity(mention: Mention) -> tuple[str, str]:
    if mention.kind == "person":
        return ("person", f"{mention.surname.lower()} {mention.initials}")
    return ("lemma", mention.lemma or mention.text.lower())


def build_directory(cells: list[Cell]) -> Directory:
    """Keys for every person, position and group of the document's responsible cells."""
    directory = Directory()
    book = KeyBook()
    mentions = [m for cell in cells for m in cell.mentions]
    plural_lemmas = {m.lemma for m in mentions if m.kind == "group"}
    for mention in mentions:
        identity = _identity(mention)
        if identity in directory.keys_of:
            _enrich(directory, directory.keys_of[identity], mention)
            continue
        if mention.kind == "person":
            key = _person_key(directory, mention, book)
            if key in directory.people:
                _enrich(directory, key, mention)
            else:
                directory.people[key] = PersonEntry(key, mention.text, mention.position)
        elif mention.lemma in plural_lemmas or mention.kind == "group":
            key = book.unique(make_key(mention.lemma, limit=4, fallback="role"))
            plural = next((m.text for m in mentions if m.kind == "group" and m.lemma == mention.lemma), mention.text)
            directory.roles[key] = RoleEntry(key, capitalize(plural), known=mention.known)
        else:
            key = book.unique(make_key(mention.lemma, limit=4, fallback="person"))
            directory.people[key] = PersonEntry(key, capitalize(mention.text), None, placeholder=True)
        directory.keys_of[identity] = key
    for role in directory.roles.values():
        stand_in = book.unique(f"{role.key}_1")
        directory.people[stand_in] = PersonEntry(stand_in, f"{role.title} — заполнитель", None, placeholder=True)
        role.members.append(stand_in)
    return directory


def _person_key(directory: Directory, mention: Mention, book: KeyBook) -> str:
    """The surname, transliterated; with the initials when another person has that surname, and
    the same key when the initials agree (one written «А.» and the other «А.А.»)."""
    base = make_key(mention.surname, limit=1, fallback="person")
    for (kind, identity), key in directory.keys_of.items():
        surname, _, initials = identity.partition(" ")
        if kind == "person" and surname == mention.surname.lower() and _compatible(initials, mention.initials):
            return key
    if base not in book.taken:
        return book.unique(base)
    return book.unique(f"{base}_{transliterate(mention.initials).replace(' ', '')}")


def _compatible(first: str, second: str) -> bool:
    a, b = first.replace(".", ""), second.replace(".", "")
    return a.startswith(b) or b.startswith(a)


def _enrich(directory: Directory, key: str, mention: Mention) -> None:
    """A later mention may say more: a person's position, a position's fuller wording."""
    if key in directory.people:
        entry = directory.people[key]
        if mention.kind == "person" and entry.position is None and mention.position:
            entry.position = mention.position
        elif mention.kind == "position" and entry.placeholder and len(mention.text) > len(entry.name):
            entry.name = capitalize(mention.text)
