"""The roadmap draft: what the importer found, in document order, with review notes on its fields.

`assemble` builds a `Draft` per roadmap, `writer` prints it. Every value that goes into the YAML is
a `Field` of an `Entry` (a stage, a person, a role, an event) or of the header, and carries the
`Review`s that concern it — the writer puts each as a comment right above that key and records the
key's line, so the command can list «файл:строка: п. 4: … — «слова документа»». `Stats` are the
counts the command prints and the tests hold to the goal (deadline phrases understood, responsible
cells resolved).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

Value = str | bool | list[str] | dict[str, object] | None


@dataclass(frozen=True)
class ImportOptions:
    academic_year: str | None = None
    timezone: str | None = None
    organization: str | None = None
    split_tables: bool = False
    split_exams: bool = False


@dataclass
class Review:
    where: str  # «п. 4», «шапка», «событие spt»
    message: str
    source: str = ""  # the document's words
    line: int = 0  # in the written YAML (set by the writer)


@dataclass
class Field:
    key: str
    value: Value
    reviews: list[Review] = field(default_factory=list)
    comment: str | None = None  # a plain comment above the key


@dataclass
class Entry:
    """One mapping of the roadmap: a stage, a person, a role, an event."""

    key: str
    fields: list[Field]

    def get(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.key == name), None)


@dataclass
class DraftSection:
    number: str | None
    title: str
    stages: list[Entry] = field(default_factory=list)
    sections: list[DraftSection] = field(default_factory=list)


@dataclass
class Stats:
    deadlines: int = 0
    structural: int = 0
    deadline_misses: list[str] = field(default_factory=list)
    empty_deadlines: int = 0
    responsible: int = 0
    resolved: int = 0
    responsible_misses: list[str] = field(default_factory=list)
    empty_responsible: int = 0


@dataclass
class Draft:
    source: str
    header: list[Field]
    people: list[Entry]
    roles: list[Entry]
    events: list[Entry]
    stages: list[Entry]  # before any section
    sections: list[DraftSection]
    intro: list[str] = field(default_factory=list)  # comments at the top
    stats: Stats = field(default_factory=Stats)
    suffix: str = ""  # «1», «ege», «1-oge» when the document becomes several roadmaps
    masked: list[str] = field(default_factory=list)  # where the document's credentials were masked

    def all_stages(self) -> Iterator[Entry]:
        yield from self.stages

        def visit(section: DraftSection) -> Iterator[Entry]:
            yield from section.stages
            for child in section.sections:
                yield from visit(child)

        for section in self.sections:
            yield from visit(section)

    def entries(self) -> Iterator[Entry]:
        yield from self.people
        yield from self.roles
        yield from self.events
        yield from self.all_stages()

    def reviews(self) -> list[Review]:
        found = [r for f in self.header for r in f.reviews]
        found += [r for entry in self.entries() for f in entry.fields for r in f.reviews]
        return sorted(found, key=lambda r: r.line)
