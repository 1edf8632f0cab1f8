"""Differences between two versions of a roadmap, as a deputy director reads them."""

from __future__ import annotations

import json
import re

import pytest
from helpers import HEADER, ROADMAPS

from cyclogram.engine.diff import RoadmapDiff, StageChange, diff_roadmaps
from cyclogram.engine.validation import check_text

SPT = ROADMAPS / "spt-usolye-2024.yaml"

STAGES = """\
stages:
  - {id: organize, number: "17", title: Организовать тестирование, start: testing.start, due: testing.end, responsible: [toropkina]}
  - {id: upload, number: "20", title: Выгрузка результатов, depends_on: [organize], due: testing.end + 3d, responsible: [volkova]}
  - {id: forms, number: "21", title: Заполнить отчетные формы, depends_on: ["20"], due: upload.done + 3wd, responsible: [volkova]}
  - {id: report, number: "25", title: Направить отчёты, due: 2024-10-18, responsible: [toropkina]}
  - {id: order, number: "5", title: Издать приказ, months: [сентябрь 2024, март 2025], responsible: [toropkina]}
  - {id: dk, title: Получить ДК, trigger: по мере поступления ДК, within: 3wd, responsible: [volkova]}
"""


def plan_of(text: str):
    checked = check_text(text, "t.yaml")
    assert checked.plan is not None, [d.format() for d in checked.report.errors]
    return checked.plan


def diff_of(old_text: str, new_text: str, completed: tuple[str, ...] = ()) -> RoadmapDiff:
    return diff_roadmaps(plan_of(old_text), plan_of(new_text), completed)


def only(diff: RoadmapDiff, kind: str) -> StageChange:
    found = diff.of_kind(kind)
    assert len(found) == 1, found
    return found[0]


def test_identical_versions_give_an_empty_diff():
    diff = diff_of(HEADER + STAGES, HEADER + STAGES)
    assert diff.empty
    assert diff.lines() == []
    assert diff.to_dict()["counts"] == dict.fromkeys(
        ("removed", "added", "moved", "reassigned", "retitled", "dependencies", "timing"), 0
    )


def test_deadline_moved_is_described_with_both_dates():
    diff = diff_of(HEADER + STAGES, HEADER + STAGES.replace("due: upload.done + 3wd", "due: upload.done + 5wd"))
    change = only(diff, "moved")
    assert (change.stage_id, change.number, change.before, change.after) == ("forms", "21", "23.10.2024", "25.10.2024")
    assert change.describe() == "этап 21 «Заполнить отчетные формы»: срок перенесён с 23.10.2024 на 25.10.2024"
    assert diff.changes == (change,) and diff.header_changes == ()


def test_event_moved_moves_everything_computed_from_it():
    diff = diff_of(HEADER + STAGES, HEADER.replace("end: 2024-10-15", "end: 2024-10-17") + STAGES)
    moved = {c.stage_id: (c.before, c.after) for c in diff.of_kind("moved")}
    assert moved == {
        "organize": ("01.10.2024 – 15.10.2024", "01.10.2024 – 17.10.2024"),
        "upload": ("18.10.2024", "20.10.2024"),
        # 18.10 (Fri) + 3 wd = 23.10 and 20.10 (Sun) + 3 wd = 23.10: the same day, not moved
    }
    assert diff.header_changes == (
        "событие «Тестирование ЕМ СПТ» перенесено — было: 01.10.2024 – 15.10.2024; стало: 01.10.2024 – 17.10.2024",
    )
    organize = next(c for c in diff.changes if c.stage_id == "organize")
    assert organize.describe().endswith("срок перенесён с 15.10.2024 на 17.10.2024 (начало — 01.10.2024)")


def test_added_and_removed_stages():
    report = '  - {id: report, number: "25", title: Направить отчёты, due: 2024-10-18, responsible: [toropkina]}\n'
    feedback = '  - {id: feedback, number: "23", title: Обратная связь, due: 30.11.2024, responsible: [volkova]}\n'
    new = STAGES.replace(report, feedback)
    diff = diff_of(HEADER + STAGES, HEADER + new)
    assert only(diff, "added").describe() == "добавлен этап 23 «Обратная связь» (срок: 30.11.2024)"
    removed = only(diff, "removed")
    assert (removed.stage_id, removed.number, removed.before, removed.after) == ("report", "25", "18.10.2024", None)
    assert removed.describe() == "удалён этап 25 «Направить отчёты» (срок был: 18.10.2024)"
    assert len(diff.changes) == 2
    # removed comes before added, whatever the document order
    assert [c.kind for c in diff.changes] == ["removed", "added"]


def test_removed_stage_with_completion_is_reported_not_dropped():
    new = STAGES.replace(
        '  - {id: report, number: "25", title: Направить отчёты, due: 2024-10-18, responsible: [toropkina]}\n', ""
    )
    diff = diff_of(HEADER + STAGES, HEADER + new, completed=("report", "upload", "report", "very_old"))
    assert diff.orphaned_completions == ("report", "very_old")
    assert diff.lines()[-2:] == [
        "внимание: выполнение этапа 25 «Направить отчёты» сохранено, но этапа нет в новой версии",
        "внимание: выполнение этапа «very_old» сохранено, но этапа нет в новой версии",
    ]
    assert not diff.empty


def test_completion_of_a_still_existing_stage_is_not_orphaned():
    diff = diff_of(HEADER + STAGES, HEADER + STAGES, completed=("upload", "forms"))
    assert diff.orphaned_completions == () and diff.empty


def test_reassigned_names_old_people_from_old_version_and_new_from_new():
    old = HEADER + "roles:\n  psy: {title: Психологи, members: [volkova]}\n" + STAGES
    new = old.replace("name: Волкова Л.А.", "name: Волкова-Петрова Л.А.").replace(
        "due: 2024-10-18, responsible: [toropkina]", "due: 2024-10-18, responsible: [psy, toropkina]"
    )
    diff = diff_of(old, new)
    change = only(diff, "reassigned")
    assert (change.stage_id, change.before, change.after) == ("report", "Торопкина А.А.", "Психологи, Торопкина А.А.")
    assert change.describe() == (
        "этап 25 «Направить отчёты»: ответственные изменены — было: Торопкина А.А.; стало: Психологи, Торопкина А.А."
    )
    assert "сотрудник Волкова Л.А.: ФИО изменено на «Волкова-Петрова Л.А.»" in diff.header_changes


def test_owner_swap_is_a_reassignment():
    old = STAGES.replace("due: 2024-10-18, responsible: [toropkina]", "due: 2024-10-18, responsible: [toropkina, volkova]")
    new = STAGES.replace("due: 2024-10-18, responsible: [toropkina]", "due: 2024-10-18, responsible: [volkova, toropkina]")
    change = only(diff_of(HEADER + old, HEADER + new), "reassigned")
    assert (change.before, change.after) == ("Торопкина А.А., Волкова Л.А.", "Волкова Л.А., Торопкина А.А.")


def test_number_and_title_changes_are_one_retitled_change():
    renumbered = diff_of(HEADER + STAGES, HEADER + STAGES.replace('number: "25"', 'number: "26"'))
    change = only(renumbered, "retitled")
    assert (change.number, change.before, change.after) == ("26", "№ 25 «Направить отчёты»", "№ 26 «Направить отчёты»")
    assert change.describe() == "этап 26 «Направить отчёты»: номер изменён (был 25)"
    assert renumbered.changes == (change,)

    renamed = only(
        diff_of(HEADER + STAGES, HEADER + STAGES.replace("Направить отчёты", "Направить отчёты оператору")), "retitled"
    )
    assert renamed.describe() == "этап 25: название изменено — было: «Направить отчёты»; стало: «Направить отчёты оператору»"

    both = HEADER + STAGES.replace('number: "25", title: Направить отчёты', 'number: "26", title: Отчёты')
    assert only(diff_of(HEADER + STAGES, both), "retitled").describe() == (
        "этап 26: номер и название изменены — было: № 25 «Направить отчёты»; стало: № 26 «Отчёты»"
    )


def test_dependency_references_by_number_are_not_a_change():
    new = HEADER + STAGES.replace('depends_on: ["20"]', "depends_on: [upload]")
    assert diff_of(HEADER + STAGES, new).empty


def test_dependencies_changed():
    new = HEADER + STAGES.replace("title: Направить отчёты, due", "title: Направить отчёты, depends_on: [upload, organize], due")
    change = only(diff_of(HEADER + STAGES, new), "dependencies")
    assert (change.before, change.after) == ("нет", "этапы 20, 17")
    assert change.describe() == "этап 25 «Направить отчёты»: зависимости изменены — было: нет; стало: этапы 20, 17"


def test_same_dates_written_differently():
    # 2024-10-18 is exactly testing.end + 3d: dates stay, the deadline now follows the event
    new = HEADER + STAGES.replace("due: 2024-10-18,", "due: testing.end + 3d,")
    diff = diff_of(HEADER + STAGES, new)
    assert [c.kind for c in diff.changes] == ["timing"]
    assert diff.changes[0].describe() == (
        "этап 25 «Направить отчёты»: запись срока изменена («2024-10-18» → «testing.end + 3d»), даты прежние"
    )
    # another notation of the very same date is no change at all
    assert diff_of(HEADER + STAGES, HEADER + STAGES.replace("due: 2024-10-18,", "due: 18.10.2024,")).empty


def test_only_the_occurrences_that_moved_are_shown():
    diff = diff_of(HEADER + STAGES, HEADER + STAGES.replace("март 2025]", "апрель 2025]"))
    change = only(diff, "moved")
    assert change.before == "март 2025: 01.03.2025 – 31.03.2025"
    assert change.after == "апрель 2025: 01.04.2025 – 30.04.2025"
    assert change.describe().startswith("этап 5 «Издать приказ»: сроки изменены — было: март 2025")


def test_a_recurring_stage_lists_a_few_moved_occurrences_not_all():
    old = HEADER + "stages:\n  - {id: monthly, title: Отчёт, recurring: {every: month, day: 25}, responsible: [volkova]}\n"
    change = only(diff_of(old, old.replace("day: 25", "day: 20")), "moved")
    assert change.before.startswith("сентябрь 2024: 01.09.2024 – 25.09.2024, октябрь 2024: ")
    assert change.after.endswith(", и ещё 9 сроков")
    assert change.before.count("2024:") + change.before.count("2025:") == 3


def test_trigger_becoming_a_date_and_back():
    old, new = HEADER + STAGES, HEADER + STAGES.replace("trigger: по мере поступления ДК, within: 3wd", "due: 2024-11-01")
    forward = only(diff_of(old, new), "moved")
    assert (forward.number, forward.before, forward.after) == ("dk", "по внешнему поводу", "01.11.2024")
    backward = only(diff_of(new, old), "moved")
    assert backward.describe() == "этап dk «Получить ДК»: сроки изменены — было: 01.11.2024; стало: по внешнему поводу"


def test_deadline_becoming_unknown():
    unknown_event = HEADER.replace(
        "start: 2024-10-01, end: 2024-10-15", "start: 2024-10-01, end: 2024-10-15}\n  later: {title: Позже"
    )
    old = unknown_event + STAGES
    new = unknown_event + STAGES.replace("due: 2024-10-18,", "due: later.start,")
    change = only(diff_of(old, new), "moved")
    assert change.after == "дата неизвестна"
    assert change.describe() == "этап 25 «Направить отчёты»: срок стал неизвестен (был: 18.10.2024)"


def test_header_changes_never_print_contact_values():
    new = (
        HEADER.replace("title: Тестовая дорожная карта", "title: Новая дорожная карта")
        .replace("timezone: Asia/Irkutsk", "timezone: Europe/Moscow")
        .replace("t@school.example", "secret-new@school.example")
        .replace("position: педагог-психолог, supervisor: toropkina", "position: старший педагог-психолог")
        + "  vpr: {title: ВПР, start: 2025-04-15}\n"
        + STAGES
    )
    diff = diff_of(HEADER + STAGES, new)
    assert diff.changes == ()
    assert diff.header_changes == (
        "название дорожной карты: было «Тестовая дорожная карта», стало «Новая дорожная карта»",
        "часовой пояс: было «Asia/Irkutsk», стало «Europe/Moscow»",
        "Торопкина А.А.: контакты изменены",
        "Волкова Л.А.: должность изменена — было «педагог-психолог», стало «старший педагог-психолог»",
        "Волкова Л.А.: руководитель для эскалации — было Торопкина А.А., стало не указан",
        "добавлено событие «ВПР» (15.04.2025)",
    )
    assert "secret-new" not in "\n".join(diff.lines())
    assert diff.lines()[: len(diff.header_changes)] == list(diff.header_changes)


def test_people_and_roles_added_removed():
    old = HEADER + "roles:\n  teachers: {title: Классные руководители, members: [volkova]}\n" + STAGES
    new = (
        HEADER.replace("events:", "  kazarinova: {name: Казаринова О.А., position: социальный педагог}\nevents:")
        + "roles:\n  teachers: {title: Классные руководители, members: [volkova, kazarinova]}\n"
        + STAGES
    )
    diff = diff_of(old, new)
    assert diff.header_changes == (
        "добавлен сотрудник Казаринова О.А. (социальный педагог)",
        "роль «Классные руководители»: состав изменён — было: Волкова Л.А.; стало: Волкова Л.А., Казаринова О.А.",
    )


def test_to_dict_is_json_serializable_with_counts():
    new = STAGES.replace("due: upload.done + 3wd", "due: upload.done + 5wd").replace('number: "25"', 'number: "26"')
    summary = diff_of(HEADER + STAGES, HEADER + new, completed=("gone",)).to_dict()
    decoded = json.loads(json.dumps(summary, ensure_ascii=False))
    assert decoded["counts"]["moved"] == 1 and decoded["counts"]["retitled"] == 1 and decoded["counts"]["added"] == 0
    assert {"kind": "moved", "stage_id": "forms", "number": "21", "before": "23.10.2024", "after": "25.10.2024"} in decoded[
        "changes"
    ]
    assert decoded["orphaned_completions"] == ["gone"]


# --- the real roadmap ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spt_text() -> str:
    return SPT.read_text(encoding="utf-8")


def _without_stage(text: str, stage_id: str) -> str:
    pattern = rf"      - id: {stage_id}\n.*?(?=      - id: )"
    result, count = re.subn(pattern, "", text, count=1, flags=re.DOTALL)
    assert count == 1
    return result


def test_spt_identical_is_empty(spt_text):
    plan = plan_of(spt_text)
    assert diff_roadmaps(plan, plan_of(spt_text), ["plan", "order"]).empty


def test_spt_testing_end_moved(spt_text):
    assert "    end: 2024-10-15\n" in spt_text
    diff = diff_of(spt_text, spt_text.replace("    end: 2024-10-15\n", "    end: 2024-10-17\n"))
    moved = {c.number: (c.before, c.after) for c in diff.of_kind("moved")}
    window = ("01.10.2024 – 15.10.2024", "01.10.2024 – 17.10.2024")
    assert moved == {
        # due: testing.end
        "14": window,
        "15": window,
        "17": window,
        "18": window,
        "19": ("16.10.2024", "18.10.2024"),  # testing.end + 1wd
        "20": ("18.10.2024", "20.10.2024"),  # testing.end + 3d
        "22": ("28.10.2024", "30.10.2024"),  # upload.done + 10d
        # 21 = upload.done + 3wd: from Fri 18.10 and from Sun 20.10 both land on Wed 23.10
    }
    assert [c.kind for c in diff.changes] == ["moved"] * 7
    lines = diff.lines()
    assert lines[0].startswith("событие «Тестирование ЕМ СПТ» перенесено")
    assert any(
        line.startswith("этап 20 «Произвести выгрузку") and line.endswith("срок перенесён с 18.10.2024 на 20.10.2024")
        for line in lines
    )
    for change in diff.of_kind("moved"):
        text = change.describe()
        assert change.before.split(" – ")[-1] in text and change.after.split(" – ")[-1] in text
        assert re.search("[а-яё]", text)


def test_spt_reassigned_renamed_and_removed_with_completion(spt_text):
    new = spt_text.replace(
        "        due: upload.done + 3wd\n        document: Отчетные формы\n        evidence_required: true\n        responsible: [volkova]",
        "        due: upload.done + 3wd\n        document: Отчетные формы\n        evidence_required: true\n        responsible: [kazarinova, volkova]",
    )
    new = new.replace("name: Волкова Л.А.", "name: Волкова-Сидорова Л.А.")
    new = _without_stage(new, "staff_meeting")
    diff = diff_of(spt_text, new, completed=("plan", "staff_meeting"))

    reassigned = only(diff, "reassigned")
    assert (reassigned.number, reassigned.before, reassigned.after) == (
        "21",
        "Волкова Л.А.",
        "Казаринова О.А., Волкова-Сидорова Л.А.",
    )
    assert only(diff, "removed").number == "26"
    assert diff.of_kind("moved") == []
    assert diff.orphaned_completions == ("staff_meeting",)
    assert diff.lines()[-1].startswith("внимание: выполнение этапа 26 «Провести рабочее совещание")
    assert diff.lines()[-1].endswith("сохранено, но этапа нет в новой версии")
    assert "сотрудник Волкова Л.А.: ФИО изменено на «Волкова-Сидорова Л.А.»" in diff.header_changes
    json.dumps(diff.to_dict(), ensure_ascii=False)
