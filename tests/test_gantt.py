"""The Gantt chart as a pure function: a status in, SVG text out (cyclogram/web/gantt.py)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from helpers import HEADER, ROADMAPS

from cyclogram.engine.status import RoadmapStatus, compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_file, check_text
from cyclogram.web.gantt import dated_stages, gantt_svg

SVG = "{http://www.w3.org/2000/svg}"
IRKUTSK = dt.timezone(dt.timedelta(hours=8))


def status_of(text: str, moment: dt.date, completions: list[Completion] | None = None) -> RoadmapStatus:
    checked = check_text(text, "gantt.yaml")
    assert checked.roadmap is not None and checked.plan is not None, checked.report
    return compute_status(checked.roadmap, completions or [], moment, base=checked.plan)


def bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # well-formed XML: everything escaped
    return [g for g in root.iter(f"{SVG}g") if "bar" in (g.get("class") or "").split()]


SMALL = (
    HEADER
    + """\
roles:
  class_teachers: {title: Классные руководители, members: [volkova]}
sections:
  - number: "1."
    title: Подготовка <к> тестированию & «анкеты»
    stages:
      - {id: plan, number: "1", title: План <script>alert(1)</script> & Co, due: 2024-09-10, responsible: [toropkina]}
      - {id: forms, number: "2", title: Бланки согласий, start: 2024-09-11, due: 2024-09-20, responsible: [volkova], depends_on: [plan]}
      - {id: monthly, number: "3", title: Отчёт за месяц, recurring: {every: month, start: сентябрь, end: ноябрь}, responsible: [volkova]}
  - title: Итоги
    stages:
      - {id: upload, number: "4", title: Выгрузка результатов, due: testing.end + 2wd, responsible: [toropkina], depends_on: [forms]}
      - {id: always, number: "5", title: Обеспечить конфиденциальность, due: постоянно, responsible: [class_teachers]}
      - {id: later, number: "6", title: По мере поступления, trigger: по запросу управления, within: 3wd, responsible: [toropkina]}
"""
)


def test_one_bar_per_dated_stage_and_none_for_the_undated():
    status = status_of(SMALL, dt.date(2024, 9, 16))
    svg = gantt_svg(status)
    found = bars(svg)
    assert len(found) == dated_stages(status) == 5  # "later" has no date (an external trigger)
    assert {g.get("data-stage") for g in found} == {"plan", "forms", "monthly", "upload", "always"}
    assert svg.count('class="bar') == 5
    monthly = next(g for g in found if g.get("data-stage") == "monthly")
    assert len(list(monthly)) == 3  # September, October, November: one row, three windows
    assert "срок не определён" in svg


def test_shapes_follow_the_kind_of_date():
    svg = gantt_svg(status_of(SMALL, dt.date(2024, 9, 16)))
    by_stage = {g.get("data-stage"): g for g in bars(svg)}
    assert by_stage["plan"][0].tag == f"{SVG}polygon"  # a single deadline: a diamond
    assert by_stage["forms"][0].tag == f"{SVG}rect" and by_stage["forms"][0].get("class") == "window"
    assert by_stage["always"][0].get("class") == "band"  # continuous work


def test_colours_follow_the_status():
    status = status_of(SMALL, dt.date(2024, 9, 16))  # "plan" was due on 10.09 and is not done
    by_stage = {g.get("data-stage"): g for g in bars(gantt_svg(status))}
    assert "s-overdue" in (by_stage["plan"].get("class") or "")
    assert by_stage["plan"].get("fill") == "#c53030"
    assert "s-blocked" in (by_stage["forms"].get("class") or "")
    done = [Completion("plan", CompletionState.DONE, dt.datetime(2024, 9, 9, 12, tzinfo=IRKUTSK), "toropkina")]
    after = {g.get("data-stage"): g for g in bars(gantt_svg(status_of(SMALL, dt.date(2024, 9, 16), done)))}
    assert "s-done" in (after["plan"].get("class") or "") and after["plan"].get("fill") == "#2f855a"


def test_a_today_line_at_the_moment():
    svg = gantt_svg(status_of(SMALL, dt.date(2024, 9, 16)))
    root = ET.fromstring(svg)
    (today,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "today"]
    assert "сегодня, 16.09.2024" in "".join(today.itertext())
    assert root.get("id") == "gantt"


def test_dependency_arrows_between_stages_on_the_chart():
    status = status_of(SMALL, dt.date(2024, 9, 16))
    arrows = {
        (p.get("data-from"), p.get("data-to"))
        for p in ET.fromstring(gantt_svg(status)).iter(f"{SVG}path")
        if p.get("class") == "dep"
    }
    assert arrows == {("plan", "forms"), ("forms", "upload")}
    # a filtered chart draws no arrow into a stage that is not on it
    only = ET.fromstring(gantt_svg(status, ["forms", "upload"]))
    assert {(p.get("data-from"), p.get("data-to")) for p in only.iter(f"{SVG}path") if p.get("class") == "dep"} == {
        ("forms", "upload")
    }
    assert len(bars(ET.tostring(only, encoding="unicode"))) == 2


def test_titles_and_sections_are_escaped():
    svg = gantt_svg(status_of(SMALL, dt.date(2024, 9, 16)), stage_href=lambda key: f"/r/x/s/{key}?a=1&b=<2>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "Подготовка &lt;к&gt; тестированию &amp; «анкеты»" in svg
    assert 'href="/r/x/s/plan?a=1&amp;b=&lt;2&gt;"' in svg
    root = ET.fromstring(svg)  # parses: nothing unescaped broke the XML
    texts = "".join(root.itertext())
    assert "План <script>alert(1)</script> & Co" in texts


def test_month_grid_in_russian():
    svg = gantt_svg(status_of(SMALL, dt.date(2024, 9, 16)))
    labels = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.text and re.match(r"^[а-я]+( \d{4})?$", t.text)]
    assert labels[0] == "сентябрь 2024" and "октябрь" in labels and "ноябрь" in labels


def test_the_bundled_roadmap_draws_every_stage():
    checked = check_file(ROADMAPS / "spt-usolye-2024.yaml")
    assert checked.roadmap is not None and checked.plan is not None
    status = compute_status(checked.roadmap, [], dt.date(2024, 10, 14), base=checked.plan)
    svg = gantt_svg(status)
    assert len(bars(svg)) == dated_stages(status) == 28
    dependencies = sum(len(p.depends_on) for p in status.plan.stages.values())
    assert svg.count('class="dep"') == dependencies
