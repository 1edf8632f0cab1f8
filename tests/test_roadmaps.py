"""The real roadmaps in roadmaps/: they validate clean, plan sensibly and match the documents."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from helpers import FIXTURES, ROADMAPS

from cyclogram.engine.validation import check_file

SPT = ROADMAPS / "spt-usolye-2024.yaml"
BOBROVSKY = ROADMAPS / "objectivity-bobrovsky-2022.yaml"


@pytest.mark.parametrize("path", [SPT, BOBROVSKY], ids=lambda p: p.name)
def test_roadmap_is_clean(path):
    checked = check_file(path)
    assert checked.plan is not None
    assert checked.report.diagnostics == [], [d.format() for d in checked.report.diagnostics]


@pytest.mark.parametrize("path", [SPT, BOBROVSKY], ids=lambda p: p.name)
def test_roadmap_satisfies_the_published_json_schema(path):
    import jsonschema
    import yaml

    def as_editor_sees_it(value):  # YAML language servers treat timestamps as strings
        if isinstance(value, dict):
            return {k: as_editor_sees_it(v) for k, v in value.items()}
        if isinstance(value, list):
            return [as_editor_sees_it(v) for v in value]
        return value.isoformat() if isinstance(value, dt.date) else value

    schema = json.loads((ROADMAPS.parent / "docs" / "roadmap.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(as_editor_sees_it(yaml.safe_load(path.read_text(encoding="utf-8"))), schema)


def test_spt_has_all_28_stages_with_the_documents_dates():
    plan = check_file(SPT).plan
    stages = {p.stage.display_number: p for p in plan.stages.values()}
    assert sorted(stages, key=int) == [str(n) for n in range(1, 29)]
    expected = {
        "1": (None, dt.date(2024, 9, 1)),
        "11": (dt.date(2024, 9, 20), dt.date(2024, 9, 25)),
        "16": (None, dt.date(2024, 9, 28)),  # за 3 дня до тестирования
        "17": (dt.date(2024, 10, 1), dt.date(2024, 10, 15)),
        "20": (None, dt.date(2024, 10, 18)),  # в течение 3 дней после окончания
        "21": (None, dt.date(2024, 10, 23)),  # 3 рабочих дня после выгрузки
        "22": (None, dt.date(2024, 10, 28)),  # 10 дней после выгрузки
        "23": (None, dt.date(2024, 11, 30)),
        "28": (dt.date(2024, 11, 1), dt.date(2024, 11, 1)),  # незамедлительно после п. 27
    }
    for number, (start, due) in expected.items():
        assert (stages[number].start, stages[number].due) == (start, due), number
    assert stages["24"].kind == "continuous"
    assert stages["21"].depends_on == ("upload",)
    assert "Волкова Л.А." in {check_file(SPT).roadmap.people[k].name for k in stages["21"].responsible}
    # relative deadlines stay relative in the file
    assert str(stages["21"].stage.due) == "upload.done + 3wd"


def test_bobrovsky_sections_and_per_subject_deadlines():
    checked = check_file(BOBROVSKY)
    plan = checked.plan
    assert [s.number for s in checked.roadmap.sections] == ["1.", "2.", "3.", "4."]
    stages = {p.stage.display_number: p for p in plan.stages.values()}
    coordinator = stages["1.1"]
    assert coordinator.kind == "months"
    assert [(o.start, o.due) for o in coordinator.occurrences] == [
        (dt.date(2022, 9, 1), dt.date(2022, 9, 30)),
        (dt.date(2023, 3, 1), dt.date(2023, 3, 31)),
    ]
    # "За 2 месяца до проведения по соответствующему учебному предмету": one occurrence per subject
    control = stages["2.1.8"]
    assert len(control.occurrences) == len([e for e in checked.roadmap.events.values() if e.group == "vpr"])
    known = [o for o in control.occurrences if not o.unknown]
    assert known and all(o.explain.endswith("− 2 месяца") for o in known)
    assert any(o.unknown for o in control.occurrences)  # a subject whose date is not set yet
    analysis = stages["2.1.1"]  # "Август. сентябрь"
    assert (analysis.start, analysis.due) == (dt.date(2022, 8, 1), dt.date(2022, 9, 30))


def test_the_documents_slip_is_flagged_where_it_stands():
    """The СПТ document says "До 06.09.2023г." in a 2024-2025 plan; the fixture keeps it."""
    path = FIXTURES / "spt-with-document-slip.yaml"
    checked = check_file(path)
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "due: До 06.09.2023г." in text)
    (warning,) = checked.report.warnings
    assert (warning.position.line, warning.field) == (line, "sections[0].stages[teachers_council].due")
    assert "06.09.2023 вне учебного года 2024-2025" in warning.message
    # and since stage 4 follows stage 2 (due 06.09.2024), the slip also breaks the order of work
    (error,) = checked.report.errors
    assert error.position.line == line and "раньше срока этапа 2" in error.message
