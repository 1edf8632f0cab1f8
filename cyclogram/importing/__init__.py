"""Importing the plans schools already have (Word, Excel, CSV, text, OpenDocument) as roadmaps.

The pipeline, one module per step:

| step | module | what |
|---|---|---|
| read | `readers` | the file → paragraphs and tables of cells (merged cells know their origin) |
| find | `columns`, `tables` | the plan tables by their header row; sections, items, rows split across pages |
| understand | `deadlines`, `people` | deadline phrases → structured forms; responsible cells → people and roles |
| assemble | `heading`, `assemble`, `draft` | title, approval, academic year; a draft per roadmap: ids, years, anchors bound to stages and events, review notes |
| write | `writer` | YAML in document order with «# ПРОВЕРИТЬ: …» above every uncertain field |
| check | `engine.validation.check_text` | the written text validates and plans like any roadmap file |

`import_document` runs it and returns, per roadmap, the text, where it goes, what to review and
the check's result; the command (`cyclogram import`, cli/documents.py) writes the files and prints
`summary`. Passwords and tokens found in the document are masked as it is read (`readers`), and
the summary and the roadmap's first comment say where. Nothing is guessed silently: whatever the importer assumed is a review note with the
document's own words, and the original wording stays in the roadmap (`when:`, comments).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cyclogram.importing.draft import Draft, ImportOptions, Review, Stats
from cyclogram.importing.readers import ImportRefusal

if TYPE_CHECKING:
    from cyclogram.engine.validation import Checked
    from cyclogram.engine.workcalendar import CountryDays

__all__ = ["ImportOptions", "ImportRefusal", "Imported", "combined", "import_document", "output_paths", "summary"]


@dataclass
class Imported:
    draft: Draft
    path: Path
    text: str
    checked: Checked

    @property
    def reviews(self) -> list[Review]:
        return self.draft.reviews()

    @property
    def stages(self) -> int:
        return sum(1 for _ in self.draft.all_stages())


def output_paths(source: Path, output: Path | None, drafts: list[Draft]) -> list[Path]:
    """FILE.docx → FILE.yaml next to it (or `output`); several roadmaps: FILE-1.yaml, FILE-ege.yaml."""
    base = output if output is not None else source.with_suffix(".yaml")
    extension = base.suffix or ".yaml"
    return [base.with_name(f"{base.stem}-{d.suffix}{extension}") if d.suffix else base for d in drafts]


def import_document(
    source: Path, output: Path | None = None, options: ImportOptions | None = None, country: CountryDays | None = None
) -> list[Imported]:
    """Read, understand, write and check (module docstring); files are not written here."""
    from cyclogram.engine.validation import check_text
    from cyclogram.importing.assemble import build_drafts
    from cyclogram.importing.readers import read_document
    from cyclogram.importing.writer import write

    document = read_document(source)
    drafts = build_drafts(document, options or ImportOptions())
    for draft in drafts:
        draft.masked = list(document.masked)
        if not any(True for _ in draft.all_stages()):
            raise ImportRefusal(f"{document.name}: в таблице плана нет ни одной строки с мероприятием — только заголовки")
    results = []
    for draft, path in zip(drafts, output_paths(source, output, drafts), strict=True):
        text = write(draft)
        results.append(Imported(draft, path, text, check_text(text, str(path), country)))
    return results


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


def combined(imported: list[Imported]) -> Stats:
    """The document's counts over all its roadmaps (a split document counts each item once per roadmap)."""
    total = Stats()
    for result in imported:
        stats = result.draft.stats
        total.deadlines += stats.deadlines
        total.structural += stats.structural
        total.deadline_misses += stats.deadline_misses
        total.empty_deadlines += stats.empty_deadlines
        total.responsible += stats.responsible
        total.resolved += stats.resolved
        total.responsible_misses += stats.responsible_misses
        total.empty_responsible += stats.empty_responsible
    return total


def summary(imported: list[Imported]) -> str:
    """What the command prints: per roadmap its counts, then every review item with its line."""
    from cyclogram.engine.russian import plural

    lines = []
    for result in imported:
        stats = result.draft.stats
        reviews = result.reviews
        report = result.checked.report
        stages = result.stages
        lines.append(f"{result.path}: {stages} {plural(stages, 'этап', 'этапа', 'этапов')}")
        lines.append(
            f"  сроки поняты структурно: {stats.structural} из {stats.deadlines} ({_percent(stats.structural, stats.deadlines)})"
            + (f"; без срока в документе: {stats.empty_deadlines}" if stats.empty_deadlines else "")
        )
        lines.append(
            f"  ответственные распознаны: {stats.resolved} из {stats.responsible} ({_percent(stats.resolved, stats.responsible)})"
            + (f"; не указаны: {stats.empty_responsible}" if stats.empty_responsible else "")
        )
        masked = result.draft.masked
        if masked:
            places = "; ".join(masked[:10]) + (" …" if len(masked) > 10 else "")
            lines.append(f"  пароли и токены из документа скрыты (***): {places}")
        lines.append(f"  на проверку: {len(reviews)}" + (":" if reviews else ""))
        for review in reviews:
            source = f" — «{' '.join(review.source.split())[:100]}»" if review.source else ""
            lines.append(f"    {result.path}:{review.line}: {review.where}: {review.message}{source}")
        if report.errors:
            lines.append(f"  ошибки проверки: {len(report.errors)} (это ошибка импорта — сообщите о ней)")
            lines += [f"    {d.format()}" for d in report.errors]
        elif result.checked.plan is not None:
            warned = f", предупреждений {len(report.warnings)}" if report.warnings else ""
            lines.append(f"  проверка: ошибок нет{warned}; сроки рассчитаны (cyclogram plan {result.path})")
    return "\n".join(lines) + "\n"
