"""The year as a Gantt chart: an SVG string drawn on the server from a `RoadmapStatus`.

Pure: a status (and which of its stages to draw) goes in, SVG text comes out — no HTTP, no
database, no clock (the "today" line is the status's own moment), so it is tested as a function and
the web page only embeds it. No script: the chart prints as it is shown (A4 landscape, the
stylesheet's `@page`), and links are plain `<a href>`.

What is drawn, and why:

* **One row per stage**, grouped under a heading row per section (document order, like the board).
  Rows are `ROW_HEIGHT` apart; the left column holds the number and the title shortened with "…"
  (the full title, dates and status are in the row's `<title>`, shown as a tooltip).
* **One `<g class="bar …" data-stage="id">` per stage that has a date**, holding a shape per
  occurrence: a bar for a window (start–due), a diamond for a single deadline, a thin band from the
  start to the end of the school year for continuous work. A stage held every month is one row of
  several shapes, not several rows: the number of bars is the number of dated stages (what a test
  counts). Stages without a date yet get a muted "срок не определён" instead.
* **Colours by status** (the engine's statuses, the same palette as the stylesheet's badges), as
  presentation attributes so the SVG is also right when saved on its own; the stage's current
  occurrence is drawn solid, its other occurrences lighter.
* **Dependency arrows** from the end of the stage waited for to the start of the stage that waits,
  drawn only when both rows are on the chart (a filtered chart does not point into nothing).
* **A month grid** with Russian month names (abbreviated when months are narrow), the year at
  September, January and the first month, and a red **"today" line** at the status's moment.

Every text (titles, names, section headings) is escaped; ids go into attributes escaped as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from cyclogram.engine import russian
from cyclogram.engine.plan import Occurrence, PlannedStage
from cyclogram.engine.status import STATUS_WORDS, RoadmapStatus, StageStatus, Status

WIDTH = 1400
LABEL_WIDTH = 400
CHART_LEFT = LABEL_WIDTH + 10
CHART_RIGHT = WIDTH - 20
HEADER_HEIGHT = 44
ROW_HEIGHT = 20
SECTION_HEIGHT = 26
LEGEND_HEIGHT = 40
TITLE_CHARS = 58
SECTION_CHARS = 120
CHAR_WIDTH = 6.4  # an 11 px system font, on average

COLORS: dict[Status, str] = {
    Status.OPEN: "#1f5fbf",
    Status.DUE_SOON: "#b7791f",
    Status.OVERDUE: "#c53030",
    Status.DONE: "#2f855a",
    Status.DONE_LATE: "#c05621",
    Status.BLOCKED: "#718096",
    Status.SKIPPED: "#a0aec0",
    Status.CONTINUOUS: "#2c7a7b",
    Status.UNSCHEDULED: "#805ad5",
    Status.OPTIONAL: "#cbd5e0",
}
MONTH_SHORT = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


@dataclass(frozen=True)
class Scale:
    """Days to x: the chart's first and last day over the chart's width."""

    first: dt.date
    last: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def x(self, day: dt.date) -> float:
        """The left edge of `day`."""
        return CHART_LEFT + (day - self.first).days * (CHART_RIGHT - CHART_LEFT) / self.days

    def middle(self, day: dt.date) -> float:
        return self.x(day) + self.day_width / 2

    @property
    def day_width(self) -> float:
        return (CHART_RIGHT - CHART_LEFT) / self.days

    def clamp(self, day: dt.date) -> dt.date:
        return min(max(day, self.first), self.last)


@dataclass(frozen=True)
class _Row:
    """A stage on the chart: where it is and where its arrows start and end."""

    planned: PlannedStage
    row: StageStatus
    y: float  # top of the row
    first: dt.date | None  # earliest date drawn (arrows end here)
    last: dt.date | None  # latest date drawn (arrows start here)


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def occurrence_span(occurrence: Occurrence, planned: PlannedStage, year_end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days an occurrence covers on the chart, or None when it has no known date."""
    if occurrence.unknown:
        return None
    if planned.kind == "continuous" and occurrence.start is not None:
        return occurrence.start, max(occurrence.start, year_end)
    start, due = occurrence.start, occurrence.due
    if due is None:
        return (start, start) if start is not None else None
    return (min(start, due), due) if start is not None else (due, due)


def stage_spans(planned: PlannedStage, year_end: dt.date) -> list[tuple[Occurrence, dt.date, dt.date]]:
    """Every occurrence of a stage that has a date, with its span."""
    if planned.unknown:
        return []
    spans = []
    for occurrence in planned.occurrences:
        span = occurrence_span(occurrence, planned, year_end)
        if span is not None:
            spans.append((occurrence, span[0], span[1]))
    return spans


def chart_scale(days: Sequence[dt.date], moment: dt.date, period: tuple[dt.date, dt.date]) -> Scale:
    """Whole months around every date drawn (and today, when it falls within the plan's period)."""
    wanted = list(days)
    if period[0] <= moment <= period[1] or not wanted:
        wanted.append(moment)
    low, high = min(wanted), max(wanted)
    first = dt.date(low.year, low.month, 1)
    following = dt.date(high.year + high.month // 12, high.month % 12 + 1, 1)
    return Scale(first, following - dt.timedelta(days=1))


def _scale_days(planned: Sequence[PlannedStage], spans: dict[str, list[tuple[Occurrence, dt.date, dt.date]]]) -> list[dt.date]:
    """The days the chart must show: every span, but only the start of continuous work (its band
    runs to the chart's right edge instead of stretching the chart to the end of the school year)."""
    days: list[dt.date] = []
    for stage in planned:
        for _, first, last in spans[stage.id]:
            days += (first,) if stage.kind == "continuous" else (first, last)
    return days


def _months(scale: Scale) -> list[dt.date]:
    months, cursor = [], scale.first
    while cursor <= scale.last:
        months.append(cursor)
        cursor = dt.date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def _month_label(month: dt.date, width: float, first: bool) -> str:
    """The longest of "сентябрь 2024", "сентябрь", "сен 2024", "сен" that fits the month's width
    (the year only at the first month, September and January)."""
    full, short = russian.MONTH_NOMINATIVE[month.month - 1], MONTH_SHORT[month.month - 1]
    with_year = first or month.month in (1, 9)
    candidates = [f"{full} {month.year}", full, f"{short} {month.year}", short] if with_year else [full, short]
    return next((text for text in candidates if len(text) * CHAR_WIDTH <= width - 4), "")


def _grid(scale: Scale, height: float) -> list[str]:
    parts = ['<g class="grid">']
    months = _months(scale)
    for index, month in enumerate(months):
        x = scale.x(month)
        following = months[index + 1] if index + 1 < len(months) else scale.last + dt.timedelta(days=1)
        width = scale.x(following) - x if following <= scale.last else CHART_RIGHT - x
        parts.append(f'<line x1="{_num(x)}" y1="{HEADER_HEIGHT - 6}" x2="{_num(x)}" y2="{_num(height)}" stroke="#d8dde6"/>')
        parts.append(
            f'<text x="{_num(x + 3)}" y="{HEADER_HEIGHT - 14}" font-size="11" fill="#5d6677">'
            f"{escape(_month_label(month, width, index == 0))}</text>"
        )
    parts.append(
        f'<line x1="{CHART_RIGHT}" y1="{HEADER_HEIGHT - 6}" x2="{CHART_RIGHT}" y2="{_num(height)}" stroke="#d8dde6"/></g>'
    )
    return parts


def _shape(first: dt.date, last: dt.date, continuous: bool, scale: Scale, y: float, faded: bool) -> str:
    """A bar for a span, a diamond for a single day, a thin band for continuous work; `faded`: an
    occurrence other than the one the status is about."""
    extra = ' opacity="0.35"' if faded else ""
    top = y + 4
    if continuous:
        x1, x2 = scale.x(scale.clamp(first)), scale.x(scale.clamp(last)) + scale.day_width
        return (
            f'<rect class="band" x="{_num(x1)}" y="{_num(top + 4)}" width="{_num(max(2.0, x2 - x1))}" height="4" rx="2"{extra}/>'
        )
    if first == last:
        cx, cy, r = scale.middle(scale.clamp(last)), y + ROW_HEIGHT / 2, 6
        points = f"{_num(cx)},{_num(cy - r)} {_num(cx + r)},{_num(cy)} {_num(cx)},{_num(cy + r)} {_num(cx - r)},{_num(cy)}"
        return f'<polygon class="deadline" points="{points}"{extra}/>'
    x1, x2 = scale.x(scale.clamp(first)), scale.x(scale.clamp(last)) + scale.day_width
    return f'<rect class="window" x="{_num(x1)}" y="{_num(top)}" width="{_num(max(2.0, x2 - x1))}" height="12" rx="3"{extra}/>'


def _dates_text(spans: list[tuple[Occurrence, dt.date, dt.date]], planned: PlannedStage) -> str:
    if planned.kind == "continuous":
        return "постоянно"
    texts = []
    for occurrence, first, last in spans[:6]:
        text = russian.format_date(last) if first == last else f"{russian.format_date(first)} – {russian.format_date(last)}"
        texts.append(f"{occurrence.label}: {text}" if occurrence.label and len(spans) > 1 else text)
    more = f" и ещё {len(spans) - 6}" if len(spans) > 6 else ""
    return "; ".join(texts) + more


def _stage_row(
    planned: PlannedStage,
    row: StageStatus,
    y: float,
    scale: Scale,
    spans: list[tuple[Occurrence, dt.date, dt.date]],
    stage_href: Callable[[str], str] | None,
) -> list[str]:
    stage = planned.stage
    label = f"{stage.display_number}. {russian.shorten(stage.title, TITLE_CHARS)}"
    tooltip = f"{stage.display_number}. {stage.title} — {STATUS_WORDS[row.status]}"
    if spans:
        tooltip += f"; {_dates_text(spans, planned)}"
    text = f'<text x="8" y="{_num(y + 14)}" font-size="12">{escape(label)}</text>'
    if stage_href is not None:
        text = f'<a href="{_attr(stage_href(planned.id))}">{text}</a>'
    parts = [f'<g class="row" data-row="{_attr(planned.id)}"><title>{escape(tooltip)}</title>{text}']
    if not spans:
        parts.append(
            f'<text x="{CHART_LEFT + 4}" y="{_num(y + 14)}" font-size="11" fill="#805ad5" font-style="italic">'
            f"{escape(STATUS_WORDS[Status.UNSCHEDULED])}</text></g>"
        )
        return parts
    color = COLORS[row.status]
    parts.append(f'<g class="bar s-{row.status.value}" data-stage="{_attr(planned.id)}" fill="{color}" stroke="{color}">')
    for occurrence, first, last in spans:
        current = len(spans) == 1 or (occurrence.label or "") == row.occurrence
        parts.append(_shape(first, last, planned.kind == "continuous", scale, y, faded=not current))
    parts.append("</g></g>")
    return parts


def _arrow(source: _Row, target: _Row, scale: Scale) -> str | None:
    if source.last is None or target.first is None:
        return None
    x1 = scale.x(scale.clamp(source.last)) + scale.day_width
    y1 = source.y + ROW_HEIGHT / 2
    x2 = scale.x(scale.clamp(target.first))
    y2 = target.y + ROW_HEIGHT / 2
    bend = x1 + 6
    return (
        f'<path class="dep" data-from="{_attr(source.planned.id)}" data-to="{_attr(target.planned.id)}" '
        f'd="M{_num(x1)},{_num(y1)} H{_num(bend)} V{_num(y2)} H{_num(max(x2 - 1, bend))}" '
        'fill="none" stroke="#8a94a6" stroke-width="1" marker-end="url(#gantt-arrow)"/>'
    )


def _legend(y: float) -> list[str]:
    parts = [f'<g class="legend" transform="translate(8,{_num(y + 14)})">']
    x = 0.0
    for status, color in COLORS.items():
        word = STATUS_WORDS[status]
        parts.append(f'<rect x="{_num(x)}" y="0" width="12" height="12" rx="2" fill="{color}"/>')
        parts.append(f'<text x="{_num(x + 16)}" y="10" font-size="11">{escape(word)}</text>')
        x += 16 + len(word) * 6.6 + 18
    parts.append(
        f'<polygon points="{_num(x + 6)},0 {_num(x + 12)},6 {_num(x + 6)},12 {_num(x)},6" fill="#5d6677"/>'
        f'<text x="{_num(x + 16)}" y="10" font-size="11">срок</text>'
    )
    x += 60
    parts.append(
        f'<rect x="{_num(x)}" y="1" width="24" height="10" rx="3" fill="#5d6677"/>'
        f'<text x="{_num(x + 28)}" y="10" font-size="11">период</text></g>'
    )
    return parts


def gantt_svg(
    status: RoadmapStatus,
    only: Sequence[str] | None = None,
    *,
    stage_href: Callable[[str], str] | None = None,
    title: str | None = None,
) -> str:
    """The chart of `status` (module docstring): the stages `only` names (document order), or all.

    `stage_href`: where a stage's title links (the stage page), or no links.
    """
    plan = status.plan
    wanted = set(only) if only is not None else None
    planned_rows = [p for key, p in plan.stages.items() if (wanted is None or key in wanted) and key in status.stages]
    year_end = plan.roadmap.academic_year.end
    spans = {p.id: stage_spans(p, year_end) for p in planned_rows}
    scale = chart_scale(_scale_days(planned_rows, spans), status.moment, plan.period)

    body: list[str] = []
    rows: dict[str, _Row] = {}
    y = float(HEADER_HEIGHT)
    section: str | None = None
    titles: dict[int, str] = {}  # stages of a section share its chain: title it once
    for planned in planned_rows:
        chain = planned.ref.sections
        name = titles.get(id(chain))
        if name is None:
            name = titles[id(chain)] = planned.section_title or "Этапы"
        if name != section:
            section = name
            body.append(
                f'<g class="section"><rect x="0" y="{_num(y + 2)}" width="{WIDTH}" height="{SECTION_HEIGHT - 4}" fill="#eef1f6"/>'
                f'<text x="8" y="{_num(y + 17)}" font-size="12" font-weight="700">{escape(russian.shorten(name, SECTION_CHARS))}</text></g>'
            )
            y += SECTION_HEIGHT
        found = spans[planned.id]
        row = status.stages[planned.id]
        body += _stage_row(planned, row, y, scale, found, stage_href)
        first = min((a for _, a, _ in found), default=None)
        last = max((b for _, _, b in found), default=None)
        rows[planned.id] = _Row(planned, row, y, first, last)
        y += ROW_HEIGHT
    chart_bottom = y + 4

    arrows = [
        arrow
        for target in rows.values()
        for dependency in target.planned.depends_on
        if dependency in rows and (arrow := _arrow(rows[dependency], target, scale)) is not None
    ]
    height = chart_bottom + LEGEND_HEIGHT
    heading = title or f"{plan.roadmap.title} — на {russian.format_date(status.moment)}"
    parts = [
        f'<svg id="gantt" class="gantt" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_num(height)}" '
        f'width="{WIDTH}" height="{_num(height)}" role="img" aria-labelledby="gantt-title" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Arial, sans-serif" fill="#1d2330">',
        f'<title id="gantt-title">{escape(heading)}</title>',
        '<defs><marker id="gantt-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#8a94a6"/></marker></defs>',
        *_grid(scale, chart_bottom),
        *body,
        '<g class="deps">',
        *arrows,
        "</g>",
    ]
    if scale.first <= status.moment <= scale.last:
        x = scale.middle(status.moment)
        parts.append(
            f'<g class="today"><line x1="{_num(x)}" y1="{HEADER_HEIGHT - 10}" x2="{_num(x)}" y2="{_num(chart_bottom)}" '
            'stroke="#c53030" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{_num(x + 3)}" y="{HEADER_HEIGHT - 2}" font-size="11" fill="#c53030">'
            f"сегодня, {russian.format_date(status.moment)}</text></g>"
        )
    parts += _legend(chart_bottom)
    parts.append("</svg>")
    return "\n".join(parts)


def dated_stages(status: RoadmapStatus, only: Sequence[str] | None = None) -> int:
    """How many of the stages drawn have a date (the number of bars `gantt_svg` draws)."""
    wanted = set(only) if only is not None else None
    year_end = status.plan.roadmap.academic_year.end
    return sum(
        1
        for key, planned in status.plan.stages.items()
        if (wanted is None or key in wanted) and key in status.stages and stage_spans(planned, year_end)
    )
