"""Documents back out: a loaded roadmap as the appendix of an order, in Word, Excel or PDF.

One picture of the plan, `Appendix` (built by `appendix` from a status — the plan recomputed with
the completions at the chosen day), drawn three ways:

| format | module | how |
|---|---|---|
| docx | `docx_file` | python-docx: A4 landscape, the header row repeated on every page (`w:tblHeader`), rows not split across pages, sections as merged bold rows, the mark cell tinted by status |
| xlsx | `xlsx_file` | openpyxl: frozen header, filters, status colours, A4 landscape print setup with the header row repeated |
| pdf | `pdf_file` | WeasyPrint from an HTML rendering (`templates/appendix.html.j2`): `@page` A4 landscape, `<thead>` repeated on every page, page numbers |

The table is the one schools sign: №, мероприятие, срок as the document wrote it (`when`; the
computed dates when the roadmap wrote none) and as computed, ответственные (name and position, a
role by its title), документ, ожидаемый результат (when any stage has one) and the mark of
completion («выполнен 18.10.2024 (Волкова Л.А.)», «просрочен на 3 р. д.», «ждёт п. 20»; a stage done
as often as needed «по мере необходимости, выполнен 2 раза, последний раз 06.11.2024» — it is never
finished for good). The summary under the table counts by the same words as `cyclogram status`
(`engine.status.counts`, «по мере необходимости» apart). The computed deadline keeps its hour
(«04.06.2025 09:00» for «за 1 час до начала»).

The columns are named so that `cyclogram import` reads the file back (`importing.columns`): the
document's deadline is the source, «Срок (расчётный)» only dates what the words cannot — so
import(export(roadmap)) plans the same stages, numbers and due dates.

Why WeasyPrint for PDF rather than LibreOffice headless: it is a Python library (pip, no office
suite of ~500 MB on a school's server), renders in-process in about a second without a profile
directory or a second process to supervise, and the page is our HTML and CSS — the same Jinja2
the web app uses — so the PDF can be laid out exactly (repeated header, landscape, page numbers).
Its one system dependency is pango (Debian: libpango-1.0-0, libpangoft2-1.0-0); without it the
export refuses with that advice instead of failing obscurely. It lays the whole table out in memory,
so a PDF is bounded: above `PDF_MAX_STAGES` (1,000 stages: ~7 s and ~220 MB as a whole process;
3,000 took 23 s and 500 MB) the export refuses and suggests docx or xlsx, which take seconds at any
size. The export has no section or person filter to suggest instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.plan import PlannedStage, occurrence_dates
from cyclogram.engine.status import (
    STATUS_WORDS,
    RoadmapStatus,
    StageStatus,
    Status,
    StatusCounts,
    counted_as_needed,
    counts,
    status_text,
)

HEADERS = {
    "number": "№",
    "title": "Мероприятие",
    "when": "Срок (как в документе)",
    "computed": "Срок (расчётный)",
    "responsible": "Ответственные",
    "document": "Документ",
    "result": "Ожидаемый результат",
    "mark": "Отметка о выполнении",
}
STATUS_COLOURS = {  # background, text (Excel's good/neutral/bad palette)
    Status.DONE: ("C6EFCE", "006100"),
    Status.DONE_LATE: ("FCE4D6", "833C0B"),
    Status.SKIPPED: ("EDEDED", "595959"),
    Status.OVERDUE: ("FFC7CE", "9C0006"),
    Status.DUE_SOON: ("FFEB9C", "9C5700"),
    Status.OPEN: ("FFFFFF", "000000"),
    Status.BLOCKED: ("F2F2F2", "7F7F7F"),
    Status.CONTINUOUS: ("DDEBF7", "1F4E78"),
    Status.UNSCHEDULED: ("E4DFEC", "5B2C6F"),
    Status.OPTIONAL: ("F2F2F2", "7F7F7F"),
}


# WeasyPrint lays the whole table out in memory: as a whole process 300 stages take 2.6 s and 117 MB,
# 1,000 stages 7.3 s and 218 MB, 3,000 stages 23 s and 503 MB (bench/README.md). A bigger PDF is
# refused with advice rather than holding a school's small server for half a minute.
PDF_MAX_STAGES = 1000


class ExportRefusal(Refusal):
    """An export that cannot be made, explained in Russian."""


@dataclass(frozen=True)
class Row:
    kind: str  # section | stage
    number: str
    title: str
    when: str = ""
    computed: str = ""
    responsible: str = ""  # one line per person or role
    document: str = ""
    result: str = ""
    mark: str = ""
    status: Status | None = None
    depth: int = 0  # of a section

    def cells(self, columns: list[str]) -> list[str]:
        """The texts of a stage row under the given columns (keys of `HEADERS`)."""
        return [str(getattr(self, key)) for key in columns]


@dataclass(frozen=True)
class Appendix:
    roadmap_id: str
    title: str
    organization: str | None
    academic_year: str
    approval: str | None
    as_of: dt.date
    rows: list[Row]
    with_results: bool
    counts: StatusCounts = field(default_factory=lambda: StatusCounts(dict.fromkeys(Status, 0)))

    @property
    def columns(self) -> list[str]:
        return [key for key in HEADERS if key != "result" or self.with_results]

    @property
    def stage_count(self) -> int:
        return sum(1 for row in self.rows if row.kind == "stage")

    @property
    def subtitle(self) -> str:
        parts = [self.organization or "", f"{self.academic_year} учебный год", f"состояние на {russian.format_date(self.as_of)}"]
        return " · ".join(p for p in parts if p)

    @property
    def summary(self) -> str:
        """«Итого: открыт — 3, …, по мере необходимости — 1»: the words `cyclogram status` sums up."""
        return "Итого: " + ", ".join(f"{word} — {n}" for word, n in self.counts.words())


def appendix(status: RoadmapStatus) -> Appendix:
    """The plan table of a roadmap at the status's day (module docstring)."""
    plan = status.plan
    roadmap = plan.roadmap
    rows: list[Row] = []
    shown: list[int] = []  # the chain of sections already written (by identity)
    for planned in plan.stages.values():
        chain = planned.ref.sections
        for depth, section in enumerate(chain):
            if depth < len(shown) and shown[depth] == id(section):
                continue
            del shown[depth:]
            shown.append(id(section))
            rows.append(Row("section", section.number or "", section.title, depth=depth))
        del shown[len(chain) :]
        rows.append(_stage_row(planned, status.stages.get(planned.id), status))
    with_results = any(p.stage.expected_result for p in plan.stages.values())
    approval = roadmap.approval.order if roadmap.approval else None
    return Appendix(
        roadmap.id,
        roadmap.title,
        roadmap.organization,
        str(roadmap.academic_year),
        approval,
        status.moment,
        rows,
        with_results,
        counts(status.stages.values(), plan),
    )


def _stage_row(planned: PlannedStage, row: StageStatus | None, status: RoadmapStatus) -> Row:
    stage = planned.stage
    computed = computed_text(planned)
    return Row(
        "stage",
        stage.number or "",
        stage.title,
        " ".join((stage.when or computed).split()),
        computed,
        responsible_text(planned, status),
        stage.document or "",
        stage.expected_result or "",
        mark_text(row, status) if row is not None else "",
        row.status if row is not None else None,
    )


MAX_LISTED = 4  # a weekly stage lists 52 periods: the cell says how many and from when to when


def _recurring_summary(planned: PlannedStage) -> str:
    """«52 срока: с 06.09.2024 по 29.08.2025» — every period's dates would fill a page."""
    dues = [o.due for o in planned.occurrences if o.due is not None]
    count = len(planned.occurrences)
    text = f"{count} {russian.plural(count, 'срок', 'срока', 'сроков')}"
    return f"{text}: с {russian.format_date(min(dues))} по {russian.format_date(max(dues))}" if dues else text


def computed_text(planned: PlannedStage) -> str:
    """The computed dates on one line: «20.09.2024», «01.10.2024 – 15.10.2024», «постоянно»."""
    if planned.kind == "continuous":
        return "постоянно"
    if planned.unknown:
        return "дата не определена"
    if not planned.occurrences:
        return "незамедлительно" if planned.kind == "immediate" else "дата не определена"
    if planned.kind == "recurring" and len(planned.occurrences) > MAX_LISTED:
        return _recurring_summary(planned)
    return "; ".join(occurrence_dates(planned, "дата не определена"))


def responsible_text(planned: PlannedStage, status: RoadmapStatus) -> str:
    """«Торопкина А.А., заместитель директора» per person, a role by its title; one per line."""
    roadmap = status.plan.roadmap
    lines = []
    for key in planned.stage.responsible:
        if key in roadmap.people:
            person = roadmap.people[key]
            lines.append(f"{person.name}, {person.position}" if person.position else person.name)
        elif key in roadmap.roles:
            lines.append(roadmap.roles[key].title)
    return "\n".join(dict.fromkeys(lines))


def mark_text(row: StageStatus, status: RoadmapStatus) -> str:
    """The mark of completion, as a director reads it."""
    plan = status.plan
    word = STATUS_WORDS[row.status]
    completion = row.completion
    if counted_as_needed(row, plan):  # never finished for good: «по мере необходимости, выполнен 2 раза»
        text = status_text(row, plan)
        if completion is not None:
            text += f", последний раз {russian.format_date(completion.day)}"
        return text
    if row.status in (Status.DONE, Status.DONE_LATE, Status.SKIPPED) and completion is not None:
        who = plan.roadmap.people[completion.by].name if completion.by in plan.roadmap.people else completion.by
        text = f"{word} {russian.format_date(completion.day)}" + (f" ({who})" if who else "")
    elif row.status is Status.OVERDUE and row.days_late is not None:
        text = f"просрочен на {row.days_late} р. д."
    elif row.status is Status.BLOCKED and row.blocked_by:
        text = "ждёт п. " + ", ".join(plan.stages[b].stage.display_number for b in row.blocked_by if b in plan.stages)
    else:
        text = word
    if row.occurrences_total > 1:
        text += f" ({row.occurrences_done} из {row.occurrences_total})"
    return text


def render(document: Appendix, output_format: str) -> bytes:
    """The document as docx, xlsx or pdf bytes."""
    if output_format == "docx":
        from cyclogram.exporting.docx_file import render_docx

        return render_docx(document)
    if output_format == "xlsx":
        from cyclogram.exporting.xlsx_file import render_xlsx

        return render_xlsx(document)
    if output_format == "pdf":
        from cyclogram.exporting.pdf_file import render_pdf

        stages = document.stage_count
        if stages > PDF_MAX_STAGES:
            raise ExportRefusal(
                f"в дорожной карте {stages} {russian.plural(stages, 'этап', 'этапа', 'этапов')}: PDF выгружается "
                f"до {PDF_MAX_STAGES} этапов (больше — минуты работы и сотни мегабайт памяти); выгрузите её в Word "
                "или Excel: --format docx или --format xlsx — Word сохранит и PDF"
            )

        return render_pdf(document)
    raise ExportRefusal(f"неизвестный формат «{output_format}»: docx, xlsx или pdf")
