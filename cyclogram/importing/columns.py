"""What a plan table's columns are, whatever the document calls them.

Schools name the same columns many ways («№», «№ п/п»; «Мероприятия», «Задачи», «Наименование
мероприятия», «Меры», «Виды работ», «Содержание работы»; «Сроки», «Срок», «Дата проведения»,
«Сроки реализации»; «Ответственный», «Ответственные (исполнители)», «Исполнители», «Уровень
ответственности»; «Документ», «Вид подтверждающего документа», «Форма отчётности»; «Ожидаемый
результат», «Управленческие решения»; «Участники»; «Примечание»). `role_of` maps a header cell to
its role by the first matching pattern of `ROLE_PATTERNS`; the order matters — «Ответственные за
выполнение мероприятий» is about people although it mentions мероприятия, and «Срок (расчётный)»
(a column Cyclogram's own export writes) is not the document's deadline.

A header row is a row with a title column and a deadline or responsible column
(`looks_like_header`); a header cell is short and never starts with a number followed by text
(that is a section row: «1. Нормативно-правовое обеспечение»).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum


class Role(str, Enum):
    NUMBER = "number"
    TITLE = "title"
    DEADLINE = "deadline"
    START = "start"  # «Дата начала» when a table splits a window into two columns
    COMPUTED = "computed"  # «Срок (расчётный)» of Cyclogram's own export: a hint, never the source
    RESPONSIBLE = "responsible"
    DOCUMENT = "document"
    RESULT = "result"
    PARTICIPANTS = "participants"
    NOTES = "notes"
    STATUS = "status"  # «Отметка о выполнении»: read past, not imported


ROLE_PATTERNS: tuple[tuple[Role, re.Pattern[str]], ...] = tuple(
    (role, re.compile(pattern, re.IGNORECASE))
    for role, pattern in (
        (Role.NUMBER, r"^(№|n|no|номер|п/п|п\.п\.|№\s*п/п|№\s*п\.п\.|№\s*пункта)\.?$"),
        (Role.COMPUTED, r"расч[её]тн|вычисл"),
        (Role.STATUS, r"статус|отметк[аи] о выполнении|о выполнении|исполнено|выполнено"),
        (Role.RESPONSIBLE, r"ответствен|исполнител|уровень ответственности|^кто\b"),
        (Role.START, r"^(дата|срок)\s+начала|^начало$"),
        (Role.DEADLINE, r"срок|^дата|даты|^период|когда|^время|график"),
        (Role.DOCUMENT, r"документ|форм[аы] отч[её]тности|отч[её]тност|подтвержд|продукт"),
        (Role.RESULT, r"результат|управленческ|показател|эффект"),
        (Role.PARTICIPANTS, r"участник|целевая|категори"),
        (Role.NOTES, r"примечани|комментари|пояснени"),
        (
            Role.TITLE,
            r"мероприят|задач|наименовани|^меры|вид[ыа]? работ|содержани|направлени|действи|название|^работ[аы]|^этап|^пункт",
        ),
    )
)

SECTION_START = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.)\s+\S{2,}")
MAX_HEADER_CHARS = 80


def role_of(text: str) -> Role | None:
    """The role of a header cell, or None."""
    flat = " ".join(text.split()).strip(" :.")
    if not flat or len(flat) > MAX_HEADER_CHARS or SECTION_START.match(flat):
        return None
    for role, pattern in ROLE_PATTERNS:
        if pattern.search(flat):
            return role
    return None


def looks_like_header(texts: Sequence[str]) -> bool:
    roles = {role_of(text) for text in texts if text.strip()}
    return Role.TITLE in roles and bool(roles & {Role.DEADLINE, Role.RESPONSIBLE, Role.START})


def header_width(texts: Sequence[str]) -> int:
    """How many leading cells of a stream of cells form a header row (0: none). A role may repeat
    only for deadlines (sub-columns per exam or track)."""
    seen: set[Role] = set()
    width = 0
    for text in texts:
        role = role_of(text)
        if role is None or (role in seen and role is not Role.DEADLINE):
            break
        seen.add(role)
        width += 1
    return width if looks_like_header(list(texts[:width])) else 0
