"""Text as documents give it: cleaning cells, transliterating keys, comparing words.

Documents come through Word, LibreOffice, web editors and PDF converters, and carry their
remnants: HTML tags and entities from a web editor (``<p>``, ``<ul style=…>``, ``&nbsp;``), soft
hyphens (U+00AD) and zero-width characters from Word's hyphenation, bookmarks a converter printed
(``[bookmark: _GoBack]``), Markdown-style bold (``**…**``) and non-breaking spaces. `clean` removes
them and normalises spaces, keeping line breaks that separate parts of a cell (people, results).

Keys are readable transliterations (a simplified passport/ICAO scheme: «Торопкина» → toropkina,
«Выгрузка» → vygruzka) of a text's key words, skipping prepositions and conjunctions; `KeyBook`
makes them unique in document order with ``_2``, ``_3``, so the same document always gets the same
keys. `stems` gives the comparison form of words (lower case, the first five letters), enough to
see that «выгрузки» and «выгрузку» name the same thing without a morphological dictionary.
"""

from __future__ import annotations

import html
import re

_TAG_BREAK = re.compile(r"</p\s*>|<br\s*/?>|</li\s*>|</div\s*>|</tr\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,400}>")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]", re.IGNORECASE)
# soft hyphens, zero-width marks, the BOM, and control characters (C0 but tab and line ends, DEL,
# C1), which carry no text and would make the roadmap unreadable as YAML; line-like ones break lines
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
_BOLD_MARK = re.compile(r"\*\*")

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

STOP_WORDS = frozenset(
    [
        "а",
        "в",
        "во",
        "на",
        "по",
        "с",
        "со",
        "к",
        "ко",
        "о",
        "об",
        "обо",
        "от",
        "до",
        "для",
        "за",
        "из",
        "при",
        "через",
        "над",
        "под",
        "про",
        "у",
        "и",
        "или",
        "но",
        "также",
        "как",
        "что",
        "чтобы",
        "не",
        "ни",
        "же",
        "ли",
        "бы",
        "его",
        "ее",
        "её",
        "их",
        "все",
        "всех",
        "всем",
        "каждому",
        "каждого",
        "каждый",
        "этот",
        "эта",
        "это",
        "эти",
        "том",
        "той",
        "т",
        "д",
        "др",
        "т.д",
        "т.п",
        "п",
        "г",
        "гг",
        "год",
        "года",
        "году",
        "а",
        "также",
        "либо",
    ]
)


def clean(text: str | None) -> str:
    """A cell's or paragraph's text without markup remnants; lines kept, spaces normalised."""
    if not text:
        return ""
    value = _BOOKMARK.sub("", text)
    if "<" in value:
        value = _TAG.sub(" ", _TAG_BREAK.sub("\n", value))
    if "&" in value:
        value = html.unescape(value)
    value = _LINE_BREAKS.sub("\n", _INVISIBLE.sub("", value))
    lines = (_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return "\n".join(line for line in lines if line)


def strip_bold_marks(text: str) -> tuple[str, bool]:
    """'**План**' → ('План', True): Markdown bold that text conversions leave around headings."""
    stripped = text.strip()
    bold = stripped.startswith("**") and stripped.endswith("**") and len(stripped) > 4
    return _BOLD_MARK.sub("", text), bold


def one_line(text: str) -> str:
    """The text on one line (a title, a deadline phrase)."""
    return " ".join(text.split())


def transliterate(text: str) -> str:
    out = []
    for char in text.lower():
        if char in _TRANSLIT:
            out.append(_TRANSLIT[char])
        elif char.isascii() and char.isalnum():
            out.append(char)
        else:
            out.append(" ")
    return "".join(out)


def words(text: str) -> list[str]:
    """The words of a text (letters and digits; hyphenated words kept whole)."""
    return re.findall(r"[0-9A-Za-zА-Яа-яЁё]+(?:-[0-9A-Za-zА-Яа-яЁё]+)*", text)


def key_words(text: str, limit: int = 3) -> list[str]:
    """The first `limit` words of a text that are not prepositions, conjunctions or numbers."""
    found: list[str] = []
    for word in words(text):
        lower = word.lower()
        if lower in STOP_WORDS or lower.isdigit() or len(lower) < 2:
            continue
        found.append(word)
        if len(found) == limit:
            break
    return found


def make_key(text: str, limit: int = 3, fallback: str = "item", max_length: int = 40) -> str:
    """A readable key from a text's key words: «Произвести выгрузку результатов» → proizvesti_vygruzku_rezultatov."""
    parts = []
    for word in key_words(text, limit):
        latin = re.sub(r"[^a-z0-9]+", "_", transliterate(word)).strip("_")
        if latin:
            parts.append(latin[:24].rstrip("_"))
    key = "_".join(parts)[:max_length].rstrip("_") or fallback
    return key if key[0].isalpha() else f"{fallback}_{key}"


class KeyBook:
    """Unique keys in the order they are asked for: the second «plan» becomes plan_2."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken: set[str] = set(taken or ())

    def unique(self, key: str) -> str:
        candidate, number = key, 2
        while candidate in self.taken:
            candidate = f"{key}_{number}"
            number += 1
        self.taken.add(candidate)
        return candidate


def stem(word: str) -> str:
    return word.lower().replace("ё", "е")[:5]


def stems(text: str) -> set[str]:
    """Comparison forms of a text's significant words («выгрузки» and «выгрузку» → {'выгру'})."""
    return {stem(w) for w in words(text) if w.lower() not in STOP_WORDS and len(w) > 2 and not w.isdigit()}


def is_acronym(word: str) -> bool:
    """ВПР, ЕМ, СПТ, ОУ: capital letters only (two or more)."""
    letters = word.replace("-", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def paragraphs(value: str, lines: bool = False, limit: int = 4000) -> str:
    """A cell's text for the roadmap: one line, or (`lines`) its paragraphs — a line that starts a
    sentence («Ознакомление…») or a list item starts one; a line the page or the column cut
    («…процедуры в» / «ОУ», «и объективности») goes on the line before."""
    if not lines:
        return one_line(value)[:limit]
    paragraphs: list[str] = []
    for line in (one_line(line) for line in value.split("\n")):
        if not line:
            continue
        if paragraphs and not re.match(r"^(?:[-–•·*]\s|\d+[.)]\s|[А-ЯЁA-Z][а-яёa-z])", line):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return "\n".join(paragraphs)[:limit]


_NOMINATIVE_HEADS = (
    ("план", "план"), ("график", "график"), ("расписани", "расписание"), ("приказ", "приказ"), ("регламент", "регламент"),
    ("порядк", "порядок"), ("календар", "календарь"), ("распоряжени", "распоряжение"), ("срок", "сроки"), ("экзамен", "экзамен"),
)  # fmt: skip
_NOMINATIVE_ENDINGS = (
    ("иями", "ия"), ("ию", "ие"), ("ием", "ие"), ("ия", "ие"), ("ки", "ка"), ("ку", "ка"), ("кой", "ка"),
    ("ами", "ы"), ("ам", "ы"), ("ом", ""), ("у", ""), ("а", ""),
)  # fmt: skip


def nominative(name: str) -> str:
    """The first word of a named thing in the nominative, roughly: «графиком проведения ВПР» →
    «график проведения ВПР», «плану-графику» → «план-график», «выгрузки» → «выгрузка»,
    «тестирования» → «тестирование»."""
    found = name.split(" ", 1)
    first = found[0].rstrip(",.;:")
    if not first or is_acronym(first) or not re.fullmatch(r"[а-яё-]+", first):
        return name
    parts = [_nominative_word(part) for part in first.split("-")]
    return " ".join(["-".join(parts), *found[1:]])


def _nominative_word(word: str) -> str:
    for head, nominative_form in _NOMINATIVE_HEADS:
        if word.startswith(head) and len(word) - len(head) <= 3:
            return nominative_form
    for ending, replacement in _NOMINATIVE_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 3:
            return word[: -len(ending)] + replacement
    return word
