"""Finding the plan in a document's tables: header, sections, items, rows split across pages.

A plan table is a table with a header row (`columns.looks_like_header`) among its first rows; a
table without one that has the width of the plan table before it continues that table (Word and
converters cut long tables at page breaks); other tables are not plans and are left out (counted).

Rows below the header are, in order of the checks in `_classify`:

* **skipped** — empty, the header repeated on a new page, the row of column numbers «1 2 3 4 5»;
* **a section** — one cell merged across the row, or a lone text in the № column, or a «number
  and text» («1. Нормативно-правовое обеспечение», «2.1. …»), «Раздел …», «Трек 1 …», a Roman
  numeral, or a bold lone title; one cell may hold several headings on separate lines
  («2. Мероприятия…» and «2.1. Организационно-технологическое…»), each a section. Sections nest
  by their numbers (2.1 under 2.), unnumbered ones sit at the top;
* **a continuation** of the item above — the № cell empty (or merged down from the item above)
  and no deadline of its own, or a lone fragment in a column other than the title's: a row the
  page cut in two. Its cells are joined to the item's, each merged cell read once;
* **an item** — everything else, its number kept exactly as the document writes it.

Rows above the header inside the table (a caption, «Организация СПТ-2023 по единой методике»)
become the table's section when the table has none of its own; on a sheet (Excel, CSV) they are
the document's heading instead, as a spreadsheet has no paragraphs.

A deadline column may have sub-columns (ЕГЭ | ОГЭ, «Трек 1» | «Трек 2»; the labels are in the
row below the header, under a merged «Сроки») or come twice («Сроки ЕГЭ», «Сроки ОГЭ»): an item
then has one deadline per track (`Item.deadlines`). Sub-columns named «начало»/«окончание» (or
«с»/«по») are a window, joined into «с … по …»; so are columns «Дата начала» and «Срок».
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from cyclogram.importing.columns import SECTION_START, Role, looks_like_header, role_of
from cyclogram.importing.readers import Cell, Document, Paragraph, Table
from cyclogram.importing.text import one_line

HEADER_SEARCH_ROWS = 8
NUMBER_ONLY = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.)\s*$")
SECTION_WORDS = re.compile(r"^(?:раздел|трек|блок|направление|модуль|глава|часть)\b", re.IGNORECASE)
SECTION_LINE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)*\.?|[IVXLC]+\.)\s+(?P<title>\S.*)$")
WINDOW_START = re.compile(r"^(?:начал[оа]|с|от|дата начала|срок начала)$", re.IGNORECASE)
WINDOW_END = re.compile(r"^(?:окончани[ея]|по|до|конец|завершени[ея]|дата окончания|срок окончания)$", re.IGNORECASE)
_DEADLINE_WORDS = re.compile(r"\b(?:сроки?|дат[аы]|проведения|реализации|выполнения|исполнения)\b", re.IGNORECASE)


@dataclass
class Item:
    number: str
    title: str
    row: int  # first row of the item in its table (0-based)
    deadlines: dict[str, str] = field(default_factory=dict)  # track label ("" for a single column) → text
    computed: str = ""  # Cyclogram's own «Срок (расчётный)», a hint for round trips
    responsible: str = ""
    document: str = ""
    results: list[tuple[str, str]] = field(default_factory=list)  # (column header, text)
    participants: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)
    joined_rows: int = 0  # continuation rows joined into it
    origins: set[tuple[int, int]] = field(default_factory=set)  # cells already read


@dataclass
class SectionNode:
    number: str | None
    title: str
    depth: int
    items: list[Item] = field(default_factory=list)
    children: list[SectionNode] = field(default_factory=list)


@dataclass
class Columns:
    """Grid columns by role; deadlines by track label."""

    by_role: dict[Role, list[int]]
    headers: dict[int, str]
    tracks: dict[str, int]  # label → grid column («» for a single deadline column)
    start_column: int | None = None  # «Дата начала», or the «начало» sub-column

    def first(self, role: Role) -> int | None:
        found = self.by_role.get(role)
        return found[0] if found else None


@dataclass
class PlanTable:
    number: int
    columns: Columns
    caption: list[str] = field(default_factory=list)  # rows above the header (not on sheets)
    heading: list[Paragraph] = field(default_factory=list)  # sheets: rows above the header
    top_items: list[Item] = field(default_factory=list)  # items before any section
    sections: list[SectionNode] = field(default_factory=list)
    name: str = ""

    @property
    def tracks(self) -> list[str]:
        return list(self.columns.tracks)

    def all_items(self) -> list[Item]:
        found = list(self.top_items)

        def visit(node: SectionNode) -> None:
            found.extend(node.items)
            for child in node.children:
                visit(child)

        for section in self.sections:
            visit(section)
        return found


@dataclass
class Plans:
    heading: list[Paragraph]  # paragraphs before the first plan table (title, approval)
    tables: list[PlanTable]
    between: dict[int, list[Paragraph]]  # table number → paragraphs right before it (captions)
    ignored_tables: int = 0


class Kind(str, Enum):
    SKIP = "skip"
    SECTION = "section"
    CONTINUATION = "continuation"
    ITEM = "item"


def find_plans(document: Document) -> Plans:
    """The plan tables of a document, with the paragraphs around them."""
    heading: list[Paragraph] = []
    between: dict[int, list[Paragraph]] = {}
    pending: list[Paragraph] = []
    tables: list[PlanTable] = []
    ignored = 0
    for block in document.blocks:
        if isinstance(block, Paragraph):
            pending.append(block)
            continue
        found = _plan_table(block, tables[-1] if tables else None)
        if found is None:
            ignored += 1
            continue
        if found is not (tables[-1] if tables else None):
            if not tables:
                heading = pending + found.heading
            else:
                between[found.number] = pending + found.heading
            tables.append(found)
        pending = []
    return Plans(heading or pending, tables, between, ignored)


def _plan_table(table: Table, previous: PlanTable | None) -> PlanTable | None:
    header_row = next((r for r in range(min(HEADER_SEARCH_ROWS, len(table.rows))) if _is_header(table.rows[r])), None)
    if header_row is None:
        if previous is not None and table.width == _width(previous):
            _read_rows(previous, table.rows, 0)  # a table cut at a page break goes on
            return previous
        return None
    sub_row = header_row + 1 if _is_sub_header(table.rows, header_row) else None
    plan = PlanTable(len_tables(previous) + 1, _columns(table.rows, header_row, sub_row), name=table.name)
    above: list[str] = []
    for row in table.rows[:header_row]:
        texts = [t for t in _distinct_texts(row) if t]
        if texts and table.sheet:
            plan.heading.append(Paragraph(" ".join(texts), all(c.bold for c in row if c.text)))
        elif texts:
            above.append(one_line(" ".join(texts)))
    plan.caption = above
    _read_rows(plan, table.rows, (sub_row if sub_row is not None else header_row) + 1)
    return plan


def len_tables(previous: PlanTable | None) -> int:
    return previous.number if previous is not None else 0


def _width(plan: PlanTable) -> int:
    return max(plan.columns.headers, default=-1) + 1


def _is_header(row: list[Cell]) -> bool:
    return looks_like_header(_distinct_texts(row))


def _distinct_texts(row: Sequence[Cell]) -> list[str]:
    """The row's texts, each merged cell once."""
    seen: set[tuple[int, int]] = set()
    texts = []
    for cell in row:
        if cell.origin in seen:
            continue
        seen.add(cell.origin)
        texts.append(cell.text)
    return texts


def _spans(row: list[Cell], column: int) -> list[int]:
    """The grid columns the cell at `column` covers in its row."""
    return [c for c, cell in enumerate(row) if cell.origin == row[column].origin]


def _is_sub_header(rows: list[list[Cell]], header_row: int) -> bool:
    """A row of short labels (ЕГЭ | ОГЭ) under a merged deadline header cell."""
    if header_row + 1 >= len(rows):
        return False
    header, below = rows[header_row], rows[header_row + 1]
    for column, cell in enumerate(header):
        if role_of(cell.text) is not Role.DEADLINE:
            continue
        span = _spans(header, column)
        labels = [below[c].text for c in span if c < len(below)]
        if len(span) > 1 and len(set(labels)) == len(labels) and all(0 < len(label) <= 40 for label in labels):
            return True
    return False


def _columns(rows: list[list[Cell]], header_row: int, sub_row: int | None) -> Columns:
    header = rows[header_row]
    by_role: dict[Role, list[int]] = {}
    headers: dict[int, str] = {}
    tracks: dict[str, int] = {}
    start_column = None
    seen: set[tuple[int, int]] = set()
    for column, cell in enumerate(header):
        role = role_of(cell.text)
        label = rows[sub_row][column].text if sub_row is not None and column < len(rows[sub_row]) else ""
        merged_sub = sub_row is not None and len(_spans(header, column)) > 1
        if cell.origin in seen and not (merged_sub and role is Role.DEADLINE):
            continue
        seen.add(cell.origin)
        if role is None:
            continue
        headers[column] = one_line(cell.text + (f" {label}" if merged_sub and label else ""))
        if role is Role.START or (role is Role.DEADLINE and merged_sub and WINDOW_START.match(label)):
            start_column = column
            continue
        if role is Role.DEADLINE:
            if merged_sub and WINDOW_END.match(label):
                label = ""
            elif not merged_sub:
                label = one_line(_DEADLINE_WORDS.sub("", cell.text)).strip(" ,.:()")
            tracks[label] = column
            continue
        by_role.setdefault(role, []).append(column)
    if len(tracks) == 1:
        tracks = {"": next(iter(tracks.values()))}
    return Columns(by_role, headers, tracks, start_column)


# --- rows ---------------------------------------------------------------------------------------------


def _read_rows(plan: PlanTable, rows: list[list[Cell]], first: int) -> None:
    stack: list[SectionNode] = list(_open_sections(plan))
    header_texts = [one_line(plan.columns.headers.get(c, "")) for c in sorted(plan.columns.headers)]
    last: Item | None = _last_item(plan)
    for index in range(first, len(rows)):
        row = rows[index]
        kind = _classify(row, rows[index - 1] if index > first else None, plan.columns, header_texts, last is not None)
        if kind is Kind.SKIP:
            continue
        if kind is Kind.SECTION:
            for number, title, depth in section_parts(_lone_text(row)):
                _open_section(plan, stack, SectionNode(number, title, depth))
            continue
        if kind is Kind.CONTINUATION and last is not None:
            _join(last, row, plan.columns)
            continue
        last = _item(row, index, plan.columns)
        if stack:
            stack[-1].items.append(last)
        else:
            plan.top_items.append(last)


def _open_sections(plan: PlanTable) -> list[SectionNode]:
    """The chain of sections still open at the end of the table (a continued table goes on in it)."""
    chain: list[SectionNode] = []
    nodes = plan.sections
    while nodes:
        chain.append(nodes[-1])
        nodes = nodes[-1].children
    return chain


def _last_item(plan: PlanTable) -> Item | None:
    items = plan.all_items()
    return items[-1] if items else None


def _open_section(plan: PlanTable, stack: list[SectionNode], node: SectionNode) -> None:
    while stack and stack[-1].depth >= node.depth:
        stack.pop()
    (stack[-1].children if stack else plan.sections).append(node)
    stack.append(node)


def section_parts(text: str) -> list[tuple[str | None, str, int]]:
    """«2. Мероприятия…\\n2.1. Организационно-…» → [("2.", "Мероприятия…", 1), ("2.1.", "…", 2)];
    lines without a number continue the heading above them."""
    parts: list[tuple[str | None, str, int]] = []
    for line in text.split("\n"):
        match = SECTION_LINE.match(line)
        if match:
            number = match["number"]
            depth = number.rstrip(".").count(".") + 1 if number[0].isdigit() else 1
            parts.append((number, one_line(match["title"]), depth))
        elif parts:
            number, title, depth = parts[-1]
            parts[-1] = (number, one_line(f"{title} {line}"), depth)
        else:
            parts.append((None, one_line(line), 0 if SECTION_WORDS.match(line) else 1))
    return [part for part in parts if part[1]]


def _lone_text(row: list[Cell]) -> str:
    return "\n".join(t for t in _distinct_texts(row) if t)


def _cell(row: list[Cell], column: int | None) -> Cell | None:
    return row[column] if column is not None and column < len(row) else None


def _text(row: list[Cell], column: int | None) -> str:
    cell = _cell(row, column)
    return cell.text if cell is not None else ""


def _classify(row: list[Cell], above: list[Cell] | None, columns: Columns, header: list[str], have_item: bool) -> Kind:
    filled = _filled(row)
    if not filled:
        return Kind.SKIP
    texts = [cell.text for _, cell in filled]
    if [one_line(t) for t in texts] == [t for t in header if t]:
        return Kind.SKIP  # the header repeated on a new page
    if all(t.isdigit() for t in texts) and [int(t) for t in texts] == list(range(1, len(texts) + 1)) and len(texts) > 2:
        return Kind.SKIP  # the row of column numbers under the header
    number_column = columns.first(Role.NUMBER)
    title_column = columns.first(Role.TITLE)
    if len(filled) == 1:
        return _lone_kind(row, filled[0], number_column, title_column, have_item)
    number = _cell(row, number_column)
    if number is not None and SECTION_START.match(number.text) and not NUMBER_ONLY.match(number.text):
        title = _cell(row, title_column)
        if title is None or not title.text or title.origin == number.origin:
            return Kind.SECTION
    if have_item and number_column is not None and _continues(row, above, columns):
        return Kind.CONTINUATION
    return Kind.ITEM


def _filled(row: list[Cell]) -> list[tuple[int, Cell]]:
    seen: set[tuple[int, int]] = set()
    found = []
    for column, cell in enumerate(row):
        if cell.origin in seen:
            continue
        seen.add(cell.origin)
        if cell.text:
            found.append((column, cell))
    return found


def _lone_kind(
    row: list[Cell], lone: tuple[int, Cell], number_column: int | None, title_column: int | None, have_item: bool
) -> Kind:
    column, cell = lone
    if len(_spans(row, column)) >= 2 and len(row) >= 3:
        return Kind.SECTION  # merged across the row
    if column == (number_column if number_column is not None else 0):
        return Kind.SKIP if NUMBER_ONLY.match(cell.text) else Kind.SECTION
    if column == title_column:
        if cell.bold or SECTION_WORDS.match(cell.text) or SECTION_START.match(cell.text) or not have_item:
            return Kind.SECTION
        return Kind.CONTINUATION
    return Kind.CONTINUATION if have_item else Kind.SKIP


def _continues(row: list[Cell], above: list[Cell] | None, columns: Columns) -> bool:
    """An empty № (or one merged down from the row above) and no deadline of its own."""
    number = _cell(row, columns.first(Role.NUMBER))
    merged_down = (
        number is not None and above is not None and number.text != "" and _cell(above, columns.first(Role.NUMBER)) == number
    )
    if number is not None and number.text and not merged_down:
        return False
    for column in columns.tracks.values():
        cell = _cell(row, column)
        if cell is not None and cell.text and not (above is not None and _cell(above, column) == cell):
            return False
    return True


def _item(row: list[Cell], index: int, columns: Columns) -> Item:
    item = Item(_text(row, columns.first(Role.NUMBER)).strip(), "", index)
    _join(item, row, columns)
    item.joined_rows = 0
    return item


def _join(item: Item, row: list[Cell], columns: Columns) -> None:
    """Add a row's cells to the item (a new item, or a continuation); each physical cell once."""
    item.joined_rows += 1

    def take(column: int | None) -> str:
        cell = _cell(row, column)
        if cell is None or not cell.text or cell.origin in item.origins:
            return ""
        item.origins.add(cell.origin)
        return cell.text

    for column in columns.by_role.get(Role.NUMBER, []):
        take(column)
    item.title = _joined(item.title, take(columns.first(Role.TITLE)), lines=False)
    for label, column in columns.tracks.items():
        start = take(columns.start_column) if columns.start_column is not None else ""
        text = take(column)
        if not text and not start and label in item.deadlines:
            continue
        if start:
            text = f"с {start} по {text}" if text else f"с {start}"
        item.deadlines[label] = _joined(item.deadlines.get(label, ""), text, lines=False)
    item.computed = _joined(item.computed, take(columns.first(Role.COMPUTED)), lines=False)
    for column in columns.by_role.get(Role.RESPONSIBLE, []):
        item.responsible = _joined(item.responsible, take(column), lines=True)
    item.document = _joined(
        item.document, " ".join(filter(None, (take(c) for c in columns.by_role.get(Role.DOCUMENT, [])))), lines=False
    )
    item.participants = _joined(item.participants, take(columns.first(Role.PARTICIPANTS)), lines=False)
    for role, target in ((Role.RESULT, item.results), (Role.NOTES, item.notes)):
        for column in columns.by_role.get(role, []):
            _add_labelled(target, columns.headers.get(column, ""), take(column))


def _add_labelled(target: list[tuple[str, str]], header: str, text: str) -> None:
    if not text:
        return
    for index, (label, value) in enumerate(target):
        if label == header:
            target[index] = (label, _joined(value, text, lines=False))
            return
    target.append((header, text))


def _joined(before: str, more: str, lines: bool) -> str:
    """A value continued on the next row: a space when the text runs on (a comma before, a small
    letter after), a new line between parts of a list of people."""
    if not more:
        return before
    if not before:
        return more
    runs_on = before.rstrip().endswith((",", "-", "–", ";")) or more[:1].islower()
    return f"{before}{' ' if runs_on or not lines else chr(10)}{more}"
