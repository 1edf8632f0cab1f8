"""The command line as a user runs it: real processes, exit codes, output formats."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import HEADER, ROADMAPS

SPT = ROADMAPS / "spt-usolye-2024.yaml"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_validate_clean_file_exits_zero(write_roadmap):
    path = write_roadmap(HEADER + "stages:\n  - {id: a, title: A, due: 2024-10-10, responsible: [volkova]}\n")
    result = run("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 этап, ошибок нет" in result.stdout


def test_validate_reports_all_errors_with_positions_and_exits_one(write_roadmap):
    path = write_roadmap(
        HEADER
        + "stages:\n"
        + "  - {id: a, titel: A, due: 2024-10-10, responsible: [volkova]}\n"
        + "  - {id: b, title: B, due: 31.02.2025, responsible: [volkov]}\n"
    )
    result = run("validate", str(path))
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert f"{path}:11:13: stages[a].titel: неизвестное поле «titel»; возможно, имелось в виду «title»" in lines
    assert any(":12:28: stages[b].due: такой даты не существует: «31.02.2025»" in line for line in lines)
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_several_files_and_strict(write_roadmap, tmp_path):
    good = write_roadmap(HEADER + "stages:\n  - {id: a, title: A, due: 2024-10-10, responsible: [volkova]}\n", "good.yaml")
    warned = write_roadmap(HEADER + "stages:\n  - {id: a, title: A, due: 2023-10-10, responsible: [volkova]}\n", "warned.yaml")
    result = run("validate", str(good), str(warned))
    assert result.returncode == 0
    assert "предупреждение: дата 10.10.2023 вне учебного года" in result.stdout
    assert run("validate", "--strict", str(good), str(warned)).returncode == 1
    missing = run("validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1 and "файл не найден" in missing.stdout


def test_validate_json_output(write_roadmap):
    path = write_roadmap(HEADER + "stages:\n  - {id: a, title: A, due: 2024-10-10, responsible: [ghost]}\n")
    result = run("validate", "--format", "json", str(path))
    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)
    assert entry["ok"] is False
    assert entry["diagnostics"][0]["field"] == "stages[a].responsible[0]"
    assert entry["diagnostics"][0]["line"] == 11


def test_plan_json_has_the_promised_fields():
    result = run("plan", str(SPT), "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert len(records) == 28
    for record in records:
        assert {"id", "number", "title", "start", "due", "responsible", "depends_on", "explain"} <= set(record)
    by_number = {r["number"].rstrip("."): r for r in records}
    assert by_number["21"]["due"] == "2024-10-23"
    assert by_number["21"]["responsible"] == ["Волкова Л.А."]
    assert "3 рабочих дня" in by_number["21"]["explain"]
    assert by_number["24"]["due"] is None and by_number["24"]["kind"] == "continuous"


def test_plan_csv_is_ready_for_excel():
    result = run("plan", str(SPT), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeff№;Этап;"), result.stdout[:40]  # BOM, `;`, Russian headers
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 28 and rows[0]["№"] == "1."
    by_number = {row["№"]: row for row in rows}
    assert by_number["21."]["Срок"] == "23.10.2024" and by_number["21."]["Ответственные"] == "Волкова Л.А."


def test_plan_and_status_fit_80_columns_one_line_per_stage():
    table = run("plan", str(SPT))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    stage_lines = [line for line in lines if line.lstrip().split(" ", 1)[0].rstrip(".").isdigit()]
    assert len(stage_lines) == 28  # one line per stage, each with its title and person
    upload = next(line for line in stage_lines if "Произвести выгрузку" in line)
    assert "23.10.2024" in table.stdout and "Волкова Л.А." in upload and "18.10.2024" in upload
    wide = run("plan", str(SPT), "--wide")
    assert wide.returncode == 0 and "рабочих дня" in wide.stdout  # the explanations


def test_show_tree():
    result = run("show", str(SPT))
    assert result.returncode == 0, result.stderr
    assert "Произвести выгрузку" in result.stdout and "23.10.2024" in result.stdout


def test_plan_of_broken_file_fails_cleanly(write_roadmap):
    path = write_roadmap("id: x\ntitle: [unclosed\n")
    result = run("plan", str(path))
    assert result.returncode == 1
    assert "ошибка синтаксиса YAML" in result.stderr and "Traceback" not in result.stderr


def test_schema_command_matches_the_published_file(tmp_path):
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    published = json.loads((ROADMAPS.parent / "docs" / "roadmap.schema.json").read_text(encoding="utf-8"))
    assert schema == published, "docs/roadmap.schema.json is stale: run `make schema`"


def test_validate_imports_neither_prefect_nor_holidays_when_the_calendar_is_cached():
    warm = run("validate", str(SPT))  # fills the calendar cache if needed
    assert warm.returncode == 0, warm.stdout
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['cyclogram', 'validate', {str(SPT)!r}]\n"
        "try:\n    runpy.run_module('cyclogram', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0, e.code\n"
        "print(sorted(m for m in ('prefect', 'holidays', 'sqlmodel', 'apprise', 'icalendar') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("validate", "show", "plan", "schema"):
        assert command in result.stdout


@pytest.mark.parametrize("name", ["spt-usolye-2024.yaml", "objectivity-bobrovsky-2022.yaml"])
def test_bundled_roadmaps_validate_clean(name):
    result = run("validate", "--strict", str(ROADMAPS / name))
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_and_reference_errors_come_in_one_pass(write_roadmap):
    """A deputy director fixing a file gets every problem at once, without spurious ones."""
    path = write_roadmap(
        "id: x\ntitle: План\nacademic_year: 2024-20234\n"
        "people:\n"
        "  toropkina: {name: Торопкина А.А., contacts: {email: t@s.example}}\n"
        "  broken: {name: Иванов, postion: учитель, contacts: {email: i@s.example}}\n"
        "sections:\n"
        "  - number: '1.'\n"
        "    stages:\n"
        "      - {id: a, title: A, due: 31.02.2024, responsible: [toropkina]}\n"
        "      - {id: b, title: B, due: 2024-10-10, responsible: [toropkin], depends_on: [a]}\n"
        "      - {id: c, title: C, due: 2024-10-11, responsible: [broken], depends_on: [zz]}\n"
    )
    result = run("validate", "--format", "json", str(path))
    assert result.returncode == 1
    (entry,) = json.loads(result.stdout)
    found = {(d["field"], d["line"]) for d in entry["diagnostics"]}
    assert found == {
        ("academic_year", 3),  # schema: the year
        ("people.broken.postion", 6),  # schema: a misspelt key
        ("sections[1.].title", 8),  # schema: the section has no title
        ("sections[1.].stages[a].due", 10),  # schema: no 31 February
        ("sections[1.].stages[b].responsible[0]", 11),  # reference: unknown person, in the same pass
        ("sections[1.].stages[c].depends_on[0]", 12),  # reference: unknown stage
    }, entry["diagnostics"]
