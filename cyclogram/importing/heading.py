"""The document's heading: title, approval, organization and academic year.

The heading is the paragraphs before the first plan table (on a sheet, the rows above the header).
The title is its bold paragraphs, else all of them («ПЛАН» capitalised as a word); an approval
block («Приложение № 1 к распоряжению Администрации … от 05.03.2024 г. № 56 р») becomes the order
«Распоряжение Администрации … № 56 р»; the organization is the school («МБОУ «СОШ №12» по г.
Усолье-Сибирское» → «МБОУ «СОШ №12», г. Усолье-Сибирское») or the municipality. The academic year
is «2024-2025» written anywhere in the heading; a typo («2023-20234») is read by its first year
and reported; without one, the dates the table writes decide (the most common school year of
their written years), and failing that, the current school year — each a note for review.
Options given on the command line win over all of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from cyclogram.engine.model import AcademicYear
from cyclogram.importing import deadlines as dl
from cyclogram.importing.readers import ImportRefusal, Paragraph
from cyclogram.importing.text import capitalize, one_line

ORGANIZATION = re.compile(
    r"(?P<type>МБОУ|МАОУ|МКОУ|МОУ|ГБОУ|ГАОУ|ГКОУ|ОГБОУ|ОГАОУ|КГБОУ|ГБПОУ|ЧОУ|АНО|МБДОУ|МАДОУ|ДОУ)\s*(?P<name>«[^»]{1,200}»|\"[^\"]{1,200}\")"
    r"(?:[\s,]+(?:по\s+)?(?P<place>(?:г\.|п\.|пос\.|с\.|д\.|пгт\.?|р\.п\.)\s*[А-ЯЁ][А-Яа-яЁё-]+))?"
)
MUNICIPALITY = re.compile(
    r"муниципальн\w*\s+образовани\w*\s+(?P<name>«[^»]{1,100}»)(?P<region>\s+[А-ЯЁ]\w+\s+области)?", re.IGNORECASE
)
SCHOOL_YEAR = re.compile(r"(?P<first>(?:19|20)\d\d)\s*[-–/]\s*(?P<second>\d{2,5})(?=\s*(?:уч|г\.|гг|год|\)|$))", re.IGNORECASE)
APPROVAL_START = re.compile(r"^(?:приложение|утвержд[её]н|утверждаю|согласован)", re.IGNORECASE)
_DATIVE = {"приказу": "Приказ", "распоряжению": "Распоряжение", "постановлению": "Постановление", "решению": "Решение"}


@dataclass
class Heading:
    title: str
    approval: str | None
    organization: str | None
    texts: list[str]  # every heading paragraph, for the academic year


def read_heading(paragraphs: list[Paragraph]) -> Heading:
    approval: list[str] = []
    rest: list[Paragraph] = []
    in_approval = False
    for paragraph in paragraphs:
        text = paragraph.text
        if APPROVAL_START.match(text):
            in_approval = True
            approval.append(text)
        elif in_approval and not paragraph.bold and re.match(r"^(?:к |от |№|«|[а-яё])", text):
            approval.append(text)
        else:
            in_approval = False
            rest.append(paragraph)
    bold = [p.text for p in rest if p.bold]
    title = one_line(" ".join(bold or [p.text for p in rest]))
    if m := re.match(r"^([А-ЯЁ]{4,})(\s)", title):
        title = capitalize(m[1].lower()) + title[len(m[1]) :]
    texts = [p.text for p in paragraphs]
    return Heading(title, _approval(" ".join(approval)), _organization(texts), texts)


def _approval(text: str) -> str | None:
    match = re.search(r"\bк\s+(\w+)\s+(.+)$", one_line(text), re.IGNORECASE)
    if not match or "__" in text:
        return None
    first = _DATIVE.get(match[1].lower(), capitalize(match[1]))
    return one_line(f"{first} {match[2]}")[:400]


def _organization(texts: list[str]) -> str | None:
    for text in texts:
        flat = one_line(text)
        if m := ORGANIZATION.search(flat):
            return f"{m['type']} {m['name']}" + (f", {m['place']}" if m["place"] else "")
    for text in texts:
        if m := MUNICIPALITY.search(one_line(text)):
            return f"Муниципальное образование {m['name']}{m['region'] or ''}"
    return None


# --- the academic year -----------------------------------------------------------------------------------


def school_year(option: str | None, heading: Heading, deadline_texts: list[str]) -> tuple[AcademicYear, list[str]]:
    """The academic year and what to check about it (module docstring)."""
    if option:
        match = SCHOOL_YEAR.search(option + " уч") or re.fullmatch(r"\s*(\d{4})\s*", option)
        if not match:
            raise ImportRefusal(f"учебный год записывается как 2024-2025, а не «{option}»")
        return AcademicYear.starting(int(match[1])), []
    for text in heading.texts:
        if m := SCHOOL_YEAR.search(one_line(text)):
            first, second = int(m["first"]), m["second"]
            if int(second) in (first + 1, (first + 1) % 100):
                return AcademicYear.starting(first), []
            return AcademicYear.starting(first), [f"в документе учебный год «{m[0]}»; принят {first}-{first + 1} (проверьте)"]
    years = Counter(y for text in deadline_texts for y in _school_years_of(text))
    if years:
        first = years.most_common(1)[0][0]
        return AcademicYear.starting(first), [f"учебный год в документе не указан; по датам плана принят {first}-{first + 1}"]
    today = dt.date.today()
    first = today.year if today.month >= 9 else today.year - 1
    return AcademicYear.starting(first), [
        f"учебный год в документе не указан; принят текущий {first}-{first + 1} (укажите --academic-year)"
    ]


def _school_years_of(text: str) -> Iterator[int]:
    parsed = dl.parse(text)
    for day in dl.concrete_dates(parsed.form) if parsed.form else []:
        yield day.year if day.month >= 9 else day.year - 1
