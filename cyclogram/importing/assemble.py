"""From a document's plan to a roadmap draft: stages, deadlines bound to what they name, people.

`build_drafts` takes the plan tables (`tables.find_plans`) and makes one `Draft` per roadmap —
one for the whole document, or one per table (`--split-tables`) and per exam or track
(`--split-exams`; otherwise an item with different deadlines per track is one stage per track,
«1.2. ЕГЭ» and «1.2. ОГЭ»). A draft is the roadmap in document order with every field's review
notes attached to it, ready for `writer`.

The heading gives the title, approval, organization and academic year (`heading`); options given
on the command line win; a missing time zone is Europe/Moscow, a review note.

Deadlines (`deadlines.parse`, then `deadlines.resolve_years`) that name something are bound here,
knowing the whole plan:

* «после выгрузки», «по окончании X», «в течение N дней после X» — the nearest *earlier* stage
  whose title has every significant word of X («Произвести выгрузку…»), giving `stage.done + N`
  (the engine makes it a dependency); several candidates → the nearest, marked for review;
* anything else named («ЕМ СПТ», «проведения СПТ», «графику проведения ВПР», «тестирования») is an
  event — one per thing, «СПТ» and «ЕМ СПТ» being one — created without dates and marked for
  review (with the window most stages share as a hint); «по предмету» is an event group with one
  placeholder event, so `group.start - 2mo` gives one occurrence per subject once they are listed;
* an unnamed «за 3 дня» counts from the only event of the roadmap (marked for review), or is
  left as a trigger when there is none or several; «незамедлительно» follows the stage above it.

A table exported by Cyclogram carries the computed dates next to the document's words («Срок
(расчётный)»): they date the placeholder events («на период проведения СПТ» = 01.10–15.10), and a
stage whose words still give no date takes them as a fixed date, marked for review — so
import(export(roadmap)) plans the same dates.

A reserve — a title, deadline or note saying «резервный день», «резерв», «может быть использован
(в случае …)» — becomes `optional: true` (listed with its dates, never overdue, reminded of only
once activated), marked for review: the words decide, so a person confirms.

Counts for the summary and the goal (`Stats`): deadline cells understood by the grammar (every
part of the phrase matched a rule), and responsible cells whose every part is a name or a known
position or group.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from cyclogram.importing import deadlines as dl
from cyclogram.importing import people
from cyclogram.importing.draft import Draft, DraftSection, Entry, Field, ImportOptions, Review, Stats
from cyclogram.importing.heading import Heading, read_heading, school_year
from cyclogram.importing.readers import Document, ImportRefusal
from cyclogram.importing.tables import SECTION_LINE, SECTION_WORDS, Item, Plans, PlanTable, SectionNode, find_plans
from cyclogram.importing.text import (
    KeyBook,
    capitalize,
    is_acronym,
    make_key,
    nominative,
    one_line,
    paragraphs,
    stems,
    transliterate,
    words,
)

MAX_TEXT = 4000
# «Резервный день», «резерв», «может быть использован в случае …»: an optional stage (module docstring).
RESERVE = re.compile(r"\bрезерв|\bмо(?:жет|гут) быть использован", re.IGNORECASE)
DEFAULT_TIMEZONE = "Europe/Moscow"
PERIOD_REACH_DAYS = 92  # dates this close outside the school year widen the plan's period
GENERIC_STEMS = frozenset(
    {"прове", "окон", "оконч", "завер", "начал", "получ", "соотв", "учебн", "каждо", "резул", "итога", "работ"}
)
# --- stages ------------------------------------------------------------------------------------------------


@dataclass
class Seed:
    """One stage to be: an item (and a track of it), with what the importer found out."""

    item: Item
    label: str  # the track («ЕГЭ») when the item is split by tracks, else «»
    text: str  # the deadline as written
    key: str = ""
    parsed: dl.Parsed | None = None
    form: dl.Form | None = None
    anchor: str | None = None  # the stage, event or group the deadline hangs on
    anchor_kind: str = ""  # stage | event | group
    depends_on: list[str] = field(default_factory=list)
    deadline_reviews: list[str] = field(default_factory=list)

    @property
    def number(self) -> str | None:
        if not self.item.number:
            return None
        return f"{self.item.number} {self.label}" if self.label else self.item.number

    @property
    def where(self) -> str:
        return f"п. {self.number}" if self.number else f"строка {self.item.row + 1}"

    @property
    def title(self) -> str:
        title = one_line(self.item.title) or "(без названия)"
        return f"{title} ({self.label})" if self.label else title

    @property
    def deadline(self) -> str:
        return self.text


@dataclass
class EventSeed:
    key: str
    title: str
    identity: frozenset[str]
    group: str | None = None
    start: str | None = None
    end: str | None = None
    note: str = ""
    users: list[Seed] = field(default_factory=list)


@dataclass
class Outline:
    """The draft's sections with their seeds, before they become entries."""

    number: str | None
    title: str
    seeds: list[Seed] = field(default_factory=list)
    children: list[Outline] = field(default_factory=list)


def build_drafts(document: Document, options: ImportOptions) -> list[Draft]:
    """One draft per roadmap the document becomes (module docstring)."""
    plans = find_plans(document)
    if not plans.tables:
        raise ImportRefusal(
            f"{document.name}: не найдено таблицы плана — нужна строка заголовков со столбцом мероприятий "
            "(«Мероприятия», «Задачи», «Наименование мероприятия»…) и столбцом сроков или ответственных"
        )
    heading = read_heading(plans.heading)
    groups = [[table] for table in plans.tables] if options.split_tables and len(plans.tables) > 1 else [plans.tables]
    drafts = []
    for index, tables in enumerate(groups, 1):
        tracks = list(dict.fromkeys(label for table in tables for label in table.tracks if label))  # «»: no sub-columns
        split = options.split_exams and len(tracks) > 1
        for track in tracks if split else [None]:
            suffix = "-".join(filter(None, [str(index) if len(groups) > 1 else "", make_key(track, 2) if track else ""]))
            builder = _Builder(document, plans, heading, tables, track, options)
            drafts.append(builder.build(suffix, track))
    return drafts


class _Builder:
    def __init__(
        self,
        document: Document,
        plans: Plans,
        heading: Heading,
        tables: list[PlanTable],
        track: str | None,
        options: ImportOptions,
    ) -> None:
        self.document = document
        self.plans = plans
        self.heading = heading
        self.tables = tables
        self.track = track
        self.options = options
        self.outline = self._outline()
        self.seeds = list(_walk(self.outline))
        self.stage_keys = KeyBook()
        self.events: list[EventSeed] = []
        self.stats = Stats()
        self.header_reviews: dict[str, list[Review]] = {}

    # --- outline ---------------------------------------------------------------------------------------

    def _outline(self) -> Outline:
        root = Outline(None, "")
        for table in self.tables:
            target = root
            caption = self._caption(table)
            if len(self.tables) > 1 or caption:
                target = Outline(None, caption or f"Таблица {table.number}")
                root.children.append(target)
            target.seeds += self._seeds(table.top_items)
            target.children += [self._section(node) for node in table.sections]
        return root

    def _caption(self, table: PlanTable) -> str:
        """Rows above the header, else the paragraphs since the table before, else (for the first
        table) a last heading paragraph that reads as a section («Трек 1. Организация ГИА»)."""
        if table.caption:
            return table.caption[-1]
        between = self.plans.between.get(table.number, [])
        if between:
            return one_line(" ".join(p.text for p in between))
        last = self.plans.heading[-1].text if self.plans.heading and table is self.plans.tables[0] else ""
        if last and not self.plans.heading[-1].bold and (SECTION_WORDS.match(last) or SECTION_LINE.match(last)):
            return one_line(last)
        return table.name

    def _section(self, node: SectionNode) -> Outline:
        outline = Outline(node.number, node.title, self._seeds(node.items))
        outline.children = [self._section(child) for child in node.children]
        return outline

    def _seeds(self, items: list[Item]) -> list[Seed]:
        """One seed per item, or per track when the tracks' deadlines differ (a track with no
        deadline of its own, beside tracks that have one, is left out). A roadmap of one track
        (`--split-exams`) takes that track's deadlines and the items of tables without tracks."""
        seeds = []
        for item in items:
            labels = [label for label in item.deadlines if not self.track or label in (self.track, "")]
            if not labels:
                if self.track and item.deadlines:
                    continue
                labels = [""]
            texts = [one_line(item.deadlines.get(label, "")) for label in labels]
            if len(set(texts)) == 1:
                if self.track and not texts[0] and any(item.deadlines.values()):
                    continue
                seeds.append(Seed(item, "", texts[0]))
                continue
            seeds += [Seed(item, label, text) for label, text in zip(labels, texts, strict=True) if text]
        return seeds

    # --- the whole draft ---------------------------------------------------------------------------------

    def build(self, suffix: str, track: str | None) -> Draft:
        self.school, year_notes = school_year(self.options.academic_year, self.heading, [s.deadline for s in self.seeds])
        if year_notes:
            self.header_reviews["academic_year"] = [Review("шапка", n, " ".join(self.heading.texts)[:200]) for n in year_notes]
        for seed in self.seeds:
            seed.key = self.stage_keys.unique(
                make_key(seed.item.title, fallback="stage") + (f"_{make_key(seed.label, 1)}" if seed.label else "")
            )
        cells = [people.parse_cell(seed.item.responsible) for seed in self.seeds]
        self.directory = people.build_directory(cells)
        for seed in self.seeds:
            self._parse_deadline(seed)
        for index, seed in enumerate(self.seeds):
            self._bind(seed, index)
        self._date_events_from_computed()
        for index, seed in enumerate(self.seeds):
            self._bind_unnamed(seed, index)
            self._fallback_to_computed(seed)
        stage_entries = {seed.key: self._stage(seed, cell) for seed, cell in zip(self.seeds, cells, strict=True)}
        draft = Draft(
            self.document.name,
            self._header(suffix, track),
            self._people(),
            self._roles(),
            self._events(),
            [stage_entries[s.key] for s in self.outline.seeds],
            [self._draft_section(child, stage_entries) for child in self.outline.children],
            self._intro(),
            self.stats,
            suffix,
        )
        return draft

    def _draft_section(self, outline: Outline, entries: dict[str, Entry]) -> DraftSection:
        section = DraftSection(outline.number, outline.title, [entries[s.key] for s in outline.seeds])
        section.sections = [self._draft_section(child, entries) for child in outline.children]
        return section

    def _intro(self) -> list[str]:
        lines = [
            f"Импортировано из «{self.document.name}» командой cyclogram import.",
            "when — срок словами документа; due/start/months/recurring/trigger — тот же срок для движка.",
            "«# ПРОВЕРИТЬ: …» — то, что программа поняла неуверенно: проверьте, исправьте и удалите пометку.",
        ]
        for table in self.tables:
            for caption in table.caption[:-1]:
                lines.append(f"В документе над таблицей: {caption}")
        if self.document.masked:
            places = "; ".join(self.document.masked[:10]) + (" …" if len(self.document.masked) > 10 else "")
            lines.append(
                f"ПРОВЕРИТЬ: в документе были пароли или токены ({places}); здесь они скрыты (***) — "
                "секреты не хранятся в дорожной карте (secret:ИМЯ, см. README)."
            )
        return lines

    # --- deadlines ---------------------------------------------------------------------------------------

    def _parse_deadline(self, seed: Seed) -> None:
        text = seed.deadline
        if not text:
            self.stats.empty_deadlines += 1
            seed.form = dl.Trigger("срок в документе не указан")
            seed.deadline_reviews.append("срок в документе не указан")
            return
        parsed = dl.parse(text)
        seed.parsed = parsed
        self.stats.deadlines += 1
        if parsed.form is None or not parsed.understood:
            self.stats.deadline_misses.append(f"{seed.where}: «{text}»")
        else:
            self.stats.structural += 1
        if parsed.form is None:
            seed.form = dl.Trigger(text)
            seed.deadline_reviews.append("срок не распознан: записан как внешний повод (trigger); укажите дату или событие")
            return
        form, notes = dl.resolve_years(parsed.form, self.school)
        seed.form = form
        seed.deadline_reviews += [*parsed.notes, *notes]

    def _bind(self, seed: Seed, index: int) -> None:
        form = seed.form
        if isinstance(form, dl.Scheduled):
            self._to_event(seed, form.ref)
        elif isinstance(form, dl.Anchored) and form.ref is not None:
            if form.after and not form.ref.group:
                found = self._stage_named(form.ref, index)
                if found is not None:
                    seed.anchor, seed.anchor_kind = found[0].key, "stage"
                    if found[1]:
                        seed.deadline_reviews.append(
                            f"«{form.ref.name}» подходит к нескольким этапам выше; принят ближайший — {found[0].where}"
                        )
                    return
            self._to_event(seed, form.ref)
        elif isinstance(form, dl.Keyword) and form.word == "immediately":
            if index > 0:
                previous = self.seeds[index - 1]
                seed.depends_on.append(previous.key)
                seed.deadline_reviews.append(f"не сказано, после чего; принято: сразу после {previous.where}")
            else:
                seed.deadline_reviews.append("не сказано, после чего: укажите depends_on")

    def _stage_named(self, ref: dl.Ref, index: int) -> tuple[Seed, bool] | None:
        wanted = {s for s in stems(ref.name) if s not in GENERIC_STEMS} - _acronym_stems(ref.name)
        if not wanted:
            return None
        matches = [s for s in self.seeds[:index] if wanted <= stems(s.item.title) and s.item is not self.seeds[index].item]
        if not matches:
            return None
        return matches[-1], len({m.item.row for m in matches}) > 1

    def _to_event(self, seed: Seed, ref: dl.Ref) -> None:
        event = self._event_for(ref)
        event.users.append(seed)
        if event.group is not None:
            seed.anchor, seed.anchor_kind = event.group, "group"
            seed.deadline_reviews.append(
                f"срок — по событиям группы «{event.group}» (по каждому предмету): впишите события с датами"
            )
        else:
            seed.anchor, seed.anchor_kind = event.key, "event"

    def _event_for(self, ref: dl.Ref) -> EventSeed:
        identity = frozenset((stems(ref.name) | _acronym_stems(ref.name)) - GENERIC_STEMS)
        group = ref.group
        for event in self.events:
            if (event.group is not None) == group and (_same_thing(event.identity, identity) or (group and event.group)):
                if len(nominative(ref.name)) > len(event.title):
                    event.title = capitalize(nominative(ref.name))
                return event
        if group:
            group_key = self.stage_keys.unique("po_predmetam")
            key = self.stage_keys.unique(f"{group_key}_1")
            event = EventSeed(key, "Проведение по предмету — заполнитель (впишите предмет и даты)", identity, group_key)
        else:
            key = self.stage_keys.unique(make_key(nominative(ref.name), fallback="event"))
            event = EventSeed(key, capitalize(nominative(ref.name)), identity)
        self.events.append(event)
        return event

    def _date_events_from_computed(self) -> None:
        """A window over an event with computed dates next to it (Cyclogram's own export) dates the event."""
        for seed in self.seeds:
            if seed.anchor_kind != "event" or not seed.item.computed:
                continue
            window = isinstance(seed.form, dl.Scheduled) or (isinstance(seed.form, dl.Anchored) and seed.form.window)
            plain = isinstance(seed.form, dl.Anchored) and seed.form.shift is None and not seed.form.window
            computed = _computed_days(seed.item.computed)
            event = next(e for e in self.events if e.key == seed.anchor)
            if computed is None or event.start is not None:
                continue
            start, due = computed
            if window and start is not None:
                event.start, event.end = start.isoformat(), due.isoformat()
            elif plain and isinstance(seed.form, dl.Anchored):
                if seed.form.edge == "start":
                    event.start = due.isoformat()
                else:
                    event.start = event.end = due.isoformat()
            else:
                continue
            event.note = "даты взяты из столбца «Срок (расчётный)» документа"

    def _bind_unnamed(self, seed: Seed, index: int) -> None:
        form = seed.form
        if not (isinstance(form, dl.Anchored) and form.ref is None):
            return
        events = [e for e in self.events if e.group is None]
        if len(events) == 1:
            seed.anchor, seed.anchor_kind = events[0].key, "event"
            events[0].users.append(seed)
            seed.deadline_reviews = [
                f"не сказано, до чего отсчитывать срок; принято: до начала «{events[0].title}» ({events[0].key})"
            ]
            return
        seed.form = dl.Trigger(seed.deadline)
        seed.deadline_reviews = ["не сказано, до чего отсчитывать срок: укажите событие, например due: СОБЫТИЕ.start - 3d"]

    def _fallback_to_computed(self, seed: Seed) -> None:
        """A computed date beside the words (Cyclogram's own export) wins when the words give no date
        (an undated event, a trigger) or another one (the roadmap corrected a typo of the document)."""
        if not seed.item.computed:
            return
        computed = _computed_days(seed.item.computed)
        if computed is None:
            return
        written = _fixed_span(seed.form) if seed.anchor is None else None
        if self._undated(seed):
            note = f"по словам документа дату не вычислить; взята из столбца «Срок (расчётный)»: {seed.item.computed}"
        elif written is not None and _normal(written) != _normal(computed):
            note = f"рассчитанный срок ({seed.item.computed}) отличается от написанного; принят рассчитанный"
        else:
            return
        start, due = computed
        seed.form = dl.Fixed(_day(due), _day(start) if start is not None else None)
        seed.anchor, seed.anchor_kind = None, ""
        seed.deadline_reviews = [note]

    def _undated(self, seed: Seed) -> bool:
        if isinstance(seed.form, dl.Trigger) or seed.anchor_kind == "group":
            return True
        if seed.anchor_kind == "event":
            return next(e for e in self.events if e.key == seed.anchor).start is None
        return False

    # --- entries -----------------------------------------------------------------------------------------

    def _stage(self, seed: Seed, cell: people.Cell) -> Entry:
        item = seed.item
        fields = [Field("id", seed.key)]
        if seed.number:
            fields.append(Field("number", seed.number))
        fields.append(Field("title", paragraphs(seed.title), _too_long(seed, seed.title)))
        if seed.deadline:
            fields.append(Field("when", seed.deadline))
        fields += self._timing(seed)
        if item.document:
            fields.append(Field("document", paragraphs(item.document)))
        results = list(item.results)
        if results:
            fields.append(Field("expected_result", paragraphs(results[0][1], lines=True)))
        notes = [f"{label}: {text}" for label, text in results[1:] + item.notes if text]
        if item.participants:
            notes.append(f"Участники: {item.participants}")
        if notes:
            fields.append(Field("notes", paragraphs("\n".join(notes), lines=True)))
        reserve = RESERVE.search(" ".join([seed.title, seed.deadline or "", *notes]))
        if reserve:
            message = f"по словам «{reserve[0]}» этап записан резервным (optional: true): проверьте"
            fields.append(Field("optional", True, [Review(seed.where, message, seed.title)]))
        fields.append(self._responsible(seed, cell))
        if seed.depends_on:
            fields.append(Field("depends_on", seed.depends_on))
        return Entry(seed.key, fields)

    def _timing(self, seed: Seed) -> list[Field]:
        reviews = [Review(seed.where, note, seed.deadline) for note in dict.fromkeys(seed.deadline_reviews)]
        anchored = self._anchored_values(seed)
        form = seed.form
        fields: list[Field]
        if anchored is not None:
            fields = [Field(k, v) for k, v in anchored]
        elif isinstance(form, dl.Fixed):
            fields = ([Field("start", dl.point_value(form.start))] if form.start is not None else []) + [
                Field("due", dl.point_value(form.due))
            ]
        elif isinstance(form, dl.Months):
            fields = [Field("months", [dl.point_value(m) for m in form.months])]
        elif isinstance(form, dl.Windows):
            fields = [Field("windows", [dl.window_value(w) for w in form.windows])]
        elif isinstance(form, dl.Recurring):
            rule: dict[str, object] = {"every": form.every}
            if form.day:
                rule["day"] = form.day
            if form.weekday:
                rule["weekday"] = form.weekday
            fields = [Field("recurring", rule)]
        elif isinstance(form, dl.Keyword):
            fields = [Field("due", form.word)]
        else:
            text = form.text if isinstance(form, dl.Trigger) else seed.deadline or "срок в документе не указан"
            fields = [Field("trigger", text[:MAX_TEXT])]
            if isinstance(form, dl.Trigger) and form.within is not None:
                fields.append(Field("within", dl.shift_value(form.within).replace(" ", "").lstrip("+")))
        fields[0].reviews = reviews
        return fields

    def _anchored_values(self, seed: Seed) -> list[tuple[str, str]] | None:
        form, anchor = seed.form, seed.anchor
        if anchor is None:
            return None
        if isinstance(form, dl.Scheduled) or (isinstance(form, dl.Anchored) and form.window):
            return [("start", f"{anchor}.start"), ("due", f"{anchor}.end")]
        if not isinstance(form, dl.Anchored):
            return None
        shift = dl.shift_value(form.shift)
        if form.edge == "start":
            return [("due", f"{anchor}.start{shift}")]
        edge = "done" if seed.anchor_kind == "stage" else "end"
        return [("due", f"{anchor}.{edge}{shift}")]

    def _responsible(self, seed: Seed, cell: people.Cell) -> Field:
        text = one_line(seed.item.responsible)
        keys = self.directory.keys(cell)
        reviews = []
        if not text:
            self.stats.empty_responsible += 1
            keys = [self._nobody()]
            reviews.append(Review(seed.where, "ответственный в документе не указан", ""))
        else:
            self.stats.responsible += 1
            if cell.resolved:
                self.stats.resolved += 1
            else:
                self.stats.responsible_misses.append(f"{seed.where}: «{text}»")
                unknown = [m.text for m in cell.mentions if not m.known]
                reviews.append(Review(seed.where, f"не удалось понять, кто это: {', '.join(unknown)}; записано как роль", text))
            if not keys:  # a cell of punctuation only («...», «—»): nobody to name, said once
                keys = [self._nobody()]
                reviews = [Review(seed.where, "ответственный в документе не понят (нет ни одного слова)", text)]
        comment = f"в документе: {text}" if text and not _as_written(cell) else None
        return Field("responsible", keys, reviews, comment)

    def _nobody(self) -> str:
        key = "otvetstvennyy_ne_ukazan"
        if key not in self.directory.people:
            self.directory.people[key] = people.PersonEntry(key, "Ответственный не указан", None, placeholder=True)
        return key

    def _people(self) -> list[Entry]:
        entries = []
        role_members = {m for role in self.directory.roles.values() for m in role.members}
        for person in self.directory.people.values():
            fields = [Field("name", person.name)]
            if person.position:
                fields.append(Field("position", person.position))
            if person.key in role_members:
                fields[0].comment = "заполнитель роли: замените настоящими людьми (см. roles)"
            elif person.placeholder:
                fields[0].reviews.append(
                    Review(f"человек {person.key}", "в документе должность без ФИО: впишите имя (name)", person.name)
                )
            entries.append(Entry(person.key, fields))
        return entries

    def _roles(self) -> list[Entry]:
        entries = []
        for role in self.directory.roles.values():
            members = Field("members", role.members)
            members.reviews.append(
                Review(f"роль {role.key}", "в документе роль без имён: замените заполнитель ключами людей из people", role.title)
            )
            entries.append(Entry(role.key, [Field("title", role.title), members]))
        return entries

    def _events(self) -> list[Entry]:
        common = _common_window(self.seeds)
        order = {id(seed): index for index, seed in enumerate(self.seeds)}
        entries = []
        for event in self.events:
            users = sorted(event.users, key=lambda seed: order[id(seed)])
            phrases = "; ".join(dict.fromkeys(seed.deadline for seed in users))
            title = Field("title", event.title)
            fields = [title]
            if event.group:
                fields.append(Field("group", event.group))
            if event.start:
                fields.append(Field("start", event.start))
                if event.end and event.end != event.start:
                    fields.append(Field("end", event.end))
            if event.start is None:
                hint = f" (у пунктов документа чаще всего окно {common})" if common and not event.group else ""
                title.reviews.append(
                    Review(f"событие {event.key}", f"даты события в документе не указаны: впишите start и end{hint}", phrases)
                )
            elif event.note:
                title.reviews.append(Review(f"событие {event.key}", event.note, phrases))
            numbers = ", ".join(dict.fromkeys(seed.number or seed.where for seed in users))
            fields.append(Field("notes", f"От этого события отсчитываются сроки пунктов {numbers}"))
            entries.append(Entry(event.key, fields))
        return entries

    def _header(self, suffix: str, track: str | None) -> list[Field]:
        roadmap_id = file_key(self.document.name) + (f"-{suffix}" if suffix else "")
        title = self.heading.title or capitalize(self.document.name.rsplit(".", 1)[0])
        if len(self.tables) == 1 and len(self.plans.tables) > 1:
            title = f"{title} — {self._caption(self.tables[0]) or f'таблица {self.tables[0].number}'}"
        if track:
            title = f"{title} ({track})"
        fields = [Field("id", roadmap_id), Field("title", paragraphs(title))]
        if not self.heading.title:
            fields[1].reviews.append(
                Review("шапка", "название плана в документе не найдено; взято имя файла", self.document.name)
            )
        organization = self.options.organization or self.heading.organization
        if organization:
            fields.append(Field("organization", organization))
        fields.append(
            Field("academic_year", f"{self.school.first}-{self.school.second}", self.header_reviews.get("academic_year", []))
        )
        period = self._period()
        if period is not None:
            fields.append(Field("period", {"start": period[0].isoformat(), "end": period[1].isoformat()}))
        timezone = Field("timezone", self.options.timezone or DEFAULT_TIMEZONE)
        if not self.options.timezone:
            timezone.reviews.append(
                Review("шапка", "часовой пояс в документе не указан; принят Europe/Moscow (или укажите --timezone)")
            )
        fields += [timezone, Field("calendar", {"country": "RU"})]
        if self.heading.approval:
            fields.append(Field("approval", {"order": self.heading.approval}))
        return fields

    def _period(self) -> tuple[dt.date, dt.date] | None:
        days = [d for seed in self.seeds if seed.form is not None for d in dl.concrete_dates(seed.form)]
        low, high = self.school.start, self.school.end
        early = [d for d in days if low - dt.timedelta(days=PERIOD_REACH_DAYS) <= d < low]
        late = [d for d in days if high < d <= high + dt.timedelta(days=PERIOD_REACH_DAYS)]
        if not early and not late:
            return None
        start = min(early).replace(day=1) if early else low
        end = dl.point_date(dl.Month(max(late).month, max(late).year), end=True) if late else high
        return start, end


# --- helpers -------------------------------------------------------------------------------------------------


def _too_long(seed: Seed, text: str) -> list[Review]:
    return [Review(seed.where, f"текст длиннее {MAX_TEXT} знаков и обрезан", text[:80])] if len(text) > MAX_TEXT else []


def _walk(outline: Outline) -> Iterator[Seed]:
    yield from outline.seeds
    for child in outline.children:
        yield from _walk(child)


def file_key(name: str) -> str:
    """A roadmap id from a file name: «ВПР Темкино 2024.docx» → vpr-temkino-2024."""
    latin = re.sub(r"[^a-z0-9]+", "-", transliterate(name.rsplit(".", 1)[0])).strip("-")[:56].strip("-")
    return latin if latin[:1].isalpha() else f"roadmap-{latin}".strip("-")


def _same_thing(known: frozenset[str], named: frozenset[str]) -> bool:
    """«СПТ» and «ЕМ СПТ» name one thing: the same words, and acronyms that one of them adds to
    acronyms the other already has («графику» and «графику проведения ВПР» are two things)."""
    if known == named:
        return True
    small, large = sorted((known, named), key=len)
    extra = large - small
    return (
        bool(small)
        and small < large
        and all(is_acronym(word.upper()) and len(word) <= 4 for word in extra)
        and any(len(word) <= 4 for word in small)
    )


def _acronym_stems(text: str) -> set[str]:
    return {w.lower() for w in words(text) if is_acronym(w)}


def _as_written(cell: people.Cell) -> bool:
    """Whether the roadmap shows the cell as the document wrote it (names with their positions,
    roles by their titles), so that no comment is needed to keep the wording."""
    shown = ", ".join(m.text + (f", {m.position}" if m.position else "") for m in cell.mentions)
    return bool(cell.mentions) and one_line(cell.text.replace("\n", ", ")).lower() == shown.lower()


def _computed_days(text: str) -> tuple[dt.date | None, dt.date] | None:
    """«20.09.2024» or «01.10.2024 – 15.10.2024» from Cyclogram's export; None for anything else."""
    parsed = dl.parse(text)
    if not isinstance(parsed.form, dl.Fixed) or parsed.notes or not parsed.understood:
        return None
    due, start = parsed.form.due, parsed.form.start
    if (
        not isinstance(due, dl.Day)
        or due.year is None
        or (start is not None and (not isinstance(start, dl.Day) or start.year is None))
    ):
        return None
    return (dl.point_date(start) if isinstance(start, dl.Day) else None), dl.point_date(due)


def _fixed_span(form: dl.Form | None) -> tuple[dt.date | None, dt.date] | None:
    if not isinstance(form, dl.Fixed) or isinstance(form.due, dl.Nth) or isinstance(form.start, dl.Nth) or form.due.year is None:
        return None
    start = dl.point_date(form.start) if form.start is not None and form.start.year is not None else None
    return start, dl.point_date(form.due, end=True)


def _normal(span: tuple[dt.date | None, dt.date]) -> tuple[dt.date, dt.date]:
    start, due = span
    return (start or due), due


def _day(day: dt.date) -> dl.Day:
    return dl.Day(day.day, day.month, day.year)


def _common_window(seeds: list[Seed]) -> str | None:
    """The window most items share («с 01.10.24 по 15.10.24» three times), as a hint for events."""
    windows = Counter(
        s.deadline for s in seeds if isinstance(s.form, dl.Fixed) and isinstance(s.form.start, dl.Day) and s.anchor is None
    )
    if not windows:
        return None
    text, count = windows.most_common(1)[0]
    return f"«{text}»" if count >= 2 else None
