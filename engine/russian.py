"""Russian words the roadmaps use for months, weekdays and ordinals, and date formatting.

Months are read in any case form ("сентябрь", "сентября", "сентябре") and as the abbreviations
documents use ("сент.", "окт.", "нояб."); weekdays in full or as "пн"…"вс".

Kept in one place so that parsing ("первая среда декабря", "10 августа") and output
("18.10.2024, пятница") agree on the same vocabulary.
"""

from __future__ import annotations

import datetime as dt
import re

# Stems match every case form: "сентябрь", "сентября", "сентябре".
MONTH_STEMS: dict[str, int] = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
MONTH_ENGLISH: dict[str, int] = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# Abbreviations as documents write them ("сент.", "окт. 2024"), with or without the period.
MONTH_ABBREVIATIONS: dict[str, int] = {
    "янв": 1,
    "фев": 2,
    "февр": 2,
    "мар": 3,
    "апр": 4,
    "июн": 6,
    "июл": 7,
    "авг": 8,
    "сен": 9,
    "сент": 9,
    "окт": 10,
    "ноя": 11,
    "нояб": 11,
    "дек": 12,
}
MONTH_NOMINATIVE = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTH_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

MONTH_PREPOSITIONAL = (
    "январе",
    "феврале",
    "марте",
    "апреле",
    "мае",
    "июне",
    "июле",
    "августе",
    "сентябре",
    "октябре",
    "ноябре",
    "декабре",
)

WEEKDAY_STEMS: dict[str, int] = {
    "понедельник": 0,
    "вторник": 1,
    "сред": 2,
    "четверг": 3,
    "пятниц": 4,
    "суббот": 5,
    "воскресен": 6,
    "пн": 0,
    "вт": 1,
    "ср": 2,
    "чт": 3,
    "пт": 4,
    "сб": 5,
    "вс": 6,
}
WEEKDAY_ENGLISH: dict[str, int] = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
WEEKDAY_NAMES = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")

WEEKDAY_GENDER = (0, 0, 1, 0, 1, 1, 2)  # masculine, feminine, neuter: for "первая среда"
ORDINAL_WORDS: dict[int, tuple[str, str, str]] = {
    1: ("первый", "первая", "первое"),
    2: ("второй", "вторая", "второе"),
    3: ("третий", "третья", "третье"),
    4: ("четвёртый", "четвёртая", "четвёртое"),
    5: ("пятый", "пятая", "пятое"),
    -1: ("последний", "последняя", "последнее"),
}

ORDINAL_STEMS: dict[str, int] = {
    "перв": 1,
    "втор": 2,
    "трет": 3,
    "четв": 4,
    "пят": 5,
    "последн": -1,
}


def month_number(word: str) -> int | None:
    """Month number of a Russian or English month word in any case form or abbreviated ("сент."),
    else None."""
    w = word.strip().lower().rstrip(".")
    if w in MONTH_ENGLISH:
        return MONTH_ENGLISH[w]
    if w in MONTH_ABBREVIATIONS:
        return MONTH_ABBREVIATIONS[w]
    # "ма" (май/мая) is a prefix of nothing else among month stems, but must be the whole
    # word's stem: accept only май/мая/мае.
    if w in ("май", "мая", "мае"):
        return 5
    for stem, number in MONTH_STEMS.items():
        if stem != "ма" and w.startswith(stem):
            return number
    return None


def weekday_number(word: str) -> int | None:
    w = word.strip().lower().rstrip(".")
    if w in WEEKDAY_ENGLISH:
        return WEEKDAY_ENGLISH[w]
    if w in WEEKDAY_STEMS:
        return WEEKDAY_STEMS[w]
    for stem, number in WEEKDAY_STEMS.items():
        if len(stem) > 2 and w.startswith(stem):
            return number
    return None


def ordinal_number(word: str) -> int | None:
    w = word.strip().lower()
    for stem, number in ORDINAL_STEMS.items():
        if w.startswith(stem):
            return number
    return None


def format_date(day: dt.date) -> str:
    """18.10.2024 (formatted by hand: strftime is 5× slower, and plans format tens of thousands)"""
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


def format_date_weekday(day: dt.date) -> str:
    """18.10.2024, пятница"""
    return f"{format_date(day)}, {WEEKDAY_NAMES[day.weekday()]}"


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for n: 1 день, 2 дня, 5 дней."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


_FINAL_PERIOD = re.compile(r"(?<=\w{4})\.$")  # "…тестирования." but not "т.д." or "г."


_DASH = re.compile(r"\s*[\u2010-\u2015\u2212-]\s*")


def label_key(text: str) -> str:
    """An occurrence label as people type it: case, spaces and the kind of dash do not matter
    («март-апрель 2025» is «март – апрель 2025»)."""
    return _DASH.sub("–", " ".join(text.split())).lower().replace("ё", "е")


def shorten(text: str | None, limit: int) -> str:
    """The text on one line, without a final period, cut with "…" at a word boundary to at most
    `limit` characters (for subjects, chat texts and lists: «Заполнить отчетные формы…»)."""
    flat = _FINAL_PERIOD.sub("", " ".join((text or "").split()))
    if len(flat) <= limit:
        return flat
    limit = max(limit, 2)
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:  # a word boundary not too far back; otherwise cut inside the word
        words = cut[:space].split(" ")
        while len(words) > 1 and len(words[-1].strip(".,;:«»\"'()")) <= 2:
            words.pop()  # no dangling "в", "по", "г." before the "…"
        cut = " ".join(words)
    return cut.rstrip(" ,;:.-–—(«\"'") + "…"


_OS_ERRORS = {
    "ENOSPC": "нет места на диске",
    "EDQUOT": "исчерпана дисковая квота",
    "EROFS": "диск только для чтения",
    "EACCES": "нет прав доступа",
    "EPERM": "операция запрещена",
    "ENOENT": "нет такого файла или папки",
    "EISDIR": "это папка, а не файл",
    "ENOTDIR": "это не папка",
    "EEXIST": "файл уже существует",
    "EIO": "ошибка ввода-вывода (диск повреждён или недоступен)",
    "ENAMETOOLONG": "слишком длинное имя файла",
    "EMFILE": "открыто слишком много файлов",
    "ELOOP": "слишком много символических ссылок",
    "EFBIG": "файл слишком большой",
}


def os_error_text(error: OSError) -> str:
    """An operating-system error in Russian ("нет места на диске: /srv/…"), never the English
    strerror; the file name is kept, the errno name is the fallback."""
    import errno

    name = errno.errorcode.get(error.errno or 0, "")
    words = _OS_ERRORS.get(name) or (f"системная ошибка {name}" if name else "системная ошибка")
    where = error.filename or ""
    return f"{words}: {where}" if where else words
