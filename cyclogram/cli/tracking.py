"""Tracking a loaded roadmap: load, done (one or many), import-completions, skip, reopen, trigger,
activate, status, history, audit verify.

`history` reads like the auditor's page (`cyclogram.web.audit`): people by name, Russian event kinds
and details, times in the roadmap's zone; `--stage` takes a document number like `done`, `--person`
also finds the reminders sent to that person. `--format json` stays the raw chain, for checking
elsewhere."""

from __future__ import annotations

import datetime as dt
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cyclogram.cli._common import (
    ActorOption,
    DatabaseOption,
    RoadmapArgument,
    actor,
    console,
    is_tty,
    prefect_env,
    refuse,
    tracker,
    width,
    write,
)

if TYPE_CHECKING:
    from cyclogram.recording import RecordOutcome

app = typer.Typer()
audit_app = typer.Typer(help="Проверка журнала аудита.", no_args_is_help=True)


class StatusFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class HistoryFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="Файлы дорожных карт", show_default=False)],
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Загрузить дорожную карту или её новую версию; показать, что изменилось."""
    from cyclogram import recording

    opened = tracker(database)
    who = actor(actor_key)
    for path in files:
        outcome = recording.load(opened, path, who)
        for warning in outcome.warnings:
            print(warning.format())
        if outcome.unchanged:
            print(f"{outcome.roadmap_id}: не изменилась (версия {outcome.version})")
            continue
        if outcome.created:
            print(f"{outcome.roadmap_id}: загружена, версия 1")
            continue
        print(f"{outcome.roadmap_id}: загружена версия {outcome.version}")
        lines = outcome.diff.lines() if outcome.diff else []
        for line in lines or ["сроки, этапы и ответственные не изменились (изменены только тексты или комментарии)"]:
            print(f"  {line}")


@app.command()
def done(
    roadmap: RoadmapArgument,
    stages: Annotated[list[str], typer.Argument(help="id или номера этапов (несколько — одной транзакцией)", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто выполнил (ключ человека из дорожной карты)", show_default=False)],
    note: Annotated[str | None, typer.Option("--note", help="Комментарий")] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="Файл или ссылка, подтверждающие выполнение")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Когда выполнено: 2024-10-18 или 18.10.2024 15:30 (по умолчанию сейчас)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Отметить, хотя этап заблокирован (нужна --reason)")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Причина (для --force)")] = None,
    occurrence: Annotated[
        str | None, typer.Option("--occurrence", help="Какое повторение (для этапов по месяцам, предметам, периодам, поводам)")
    ] = None,
    activate: Annotated[
        list[str] | None,
        typer.Option("--activate", help="Задействовать резервный этап, который ждёт отмеченного (можно несколько)"),
    ] = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Отметить этап (или несколько этапов сразу) выполненным."""
    from cyclogram import recording

    marks = [recording.Mark(stage, at, by, note, evidence, occurrence) for stage in stages]
    opened = tracker(database)
    outcomes = recording.done_many(
        opened, roadmap, marks, by=by, actor=actor(actor_key), force=force, reason=reason, activate=activate or ()
    )
    _report(outcomes, "выполнен")
    if activate:
        from cyclogram.engine import russian
        from cyclogram.render import activated_due
        from cyclogram.tracker import find_stage

        plan = opened.active(roadmap).plan
        for key in activate:
            planned = find_stage(plan, key)
            due = activated_due(planned)
            print(
                f"Резервный этап {planned.stage.display_number} «{russian.shorten(planned.stage.title, 80)}» "
                f"задействован{due}: теперь по нему будут приходить напоминания."
            )


@app.command("import-completions")
def import_completions(
    roadmap: RoadmapArgument,
    file: Annotated[Path, typer.Argument(help="CSV: этап; дата; кто; комментарий; подтверждение", show_default=False)],
    by: Annotated[str | None, typer.Option("--by", help="Кто выполнил, если в файле не указано")] = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Внести отметки о выполнении из таблицы (CSV из Excel) одной транзакцией: всё или ничего."""
    from cyclogram import recording
    from cyclogram.completions_csv import read_marks

    marks = read_marks(file)
    outcomes = recording.done_many(tracker(database), roadmap, marks, by=by, actor=actor(actor_key))
    _report(outcomes, "выполнен")
    print(f"Внесено отметок: {len(outcomes)} (из {file}).")


@app.command()
def skip(
    roadmap: RoadmapArgument,
    stage: Annotated[str, typer.Argument(help="id или номер этапа", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Почему этап не нужен", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто решил (ключ человека)", show_default=False)],
    occurrence: Annotated[str | None, typer.Option("--occurrence", help="Какое повторение")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Когда решено (по умолчанию сейчас)")] = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Пропустить этап (для зависимых этапов считается выполненным)."""
    from cyclogram import recording

    outcome = recording.skip(
        tracker(database), roadmap, stage, by=by, actor=actor(actor_key), reason=reason, occurrence=occurrence, at=at
    )
    _report([outcome], "пропущен")


@app.command()
def reopen(
    roadmap: RoadmapArgument,
    stage: Annotated[str, typer.Argument(help="id или номер этапа", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Почему этап снова открыт", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто открывает (ключ человека)", show_default=False)],
    occurrence: Annotated[str | None, typer.Option("--occurrence", help="Какое повторение")] = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Снова открыть выполненный или пропущенный этап."""
    from cyclogram import recording

    outcome = recording.reopen(
        tracker(database), roadmap, stage, by=by, actor=actor(actor_key), reason=reason, occurrence=occurrence
    )
    _report([outcome], "снова открыт")


@app.command()
def trigger(
    roadmap: RoadmapArgument,
    stage: Annotated[str, typer.Argument(help="id или номер этапа «по внешнему поводу»", show_default=False)],
    at: Annotated[
        str | None,
        typer.Option("--at", help="Когда случился повод: «14.10.2024 10:00», «сегодня», «вчера 15:30» (по умолчанию сейчас)"),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Кто записывает (ключ человека)")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Что за повод: «запрос прокуратуры № 12»")] = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Записать повод этапа, который выполняется по внешнему событию (запрос, поступление ДК): срок — within после него."""
    from cyclogram import recording, render
    from cyclogram.engine.diagnostics import Refusal
    from cyclogram.tracker import find_stage

    opened = tracker(database)
    outcome = recording.trigger(opened, roadmap, stage, actor=actor(actor_key), at=at, by=by, note=note)
    number = outcome.stage.stage.display_number
    try:  # the hint names the stage by its number only when the number says which stage it is
        reference = number if find_stage(opened.active(roadmap).plan, number).id == outcome.stage.id else outcome.stage.id
    except Refusal:
        reference = outcome.stage.id
    due = render.trigger_due(outcome.occurrence)
    print(f"Этап {number}: записан повод «{outcome.label}»{due}. Запись журнала № {outcome.audit_seq}.")
    print(f'Отметить выполнение: cyclogram done {outcome.roadmap_id} {reference} --occurrence "{outcome.label}" --by …')


@app.command()
def activate(
    roadmap: RoadmapArgument,
    stage: Annotated[str, typer.Argument(help="id или номер резервного этапа (optional: true)", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто решил (ключ человека)", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Почему резерв задействован", show_default=False)],
    at: Annotated[str | None, typer.Option("--at", help="Когда решено (по умолчанию сейчас)")] = None,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Задействовать резервный этап: с этого момента он считается обычным — со сроком, напоминаниями и просрочкой."""
    from cyclogram import recording, render
    from cyclogram.engine import russian

    outcome = recording.activate(tracker(database), roadmap, stage, by=by, actor=actor(actor_key), reason=reason, at=at)
    planned = outcome.stage
    print(
        f"Резервный этап {planned.stage.display_number} «{russian.shorten(planned.stage.title, 80)}» задействован{render.activated_due(planned)}. "
        f"Запись журнала № {outcome.audit_seq}."
    )


def _report(outcomes: list[RecordOutcome], word: str) -> None:
    from cyclogram.engine import russian

    for outcome in outcomes:
        stage = outcome.stage
        label = f" ({outcome.occurrence})" if outcome.occurrence else ""
        when = f" {russian.format_date(outcome.completion.day)}" if outcome.completion else ""
        print(
            f"Этап {stage.stage.display_number}{label} «{russian.shorten(stage.stage.title, 80)}» {word}{when}. Запись журнала № {outcome.audit_seq}."
        )
        if outcome.evidence:
            print(f"Подтверждение сохранено: sha256:{outcome.evidence.sha256} ({outcome.evidence.original_name})")
        if outcome.evidence_notice:
            print(outcome.evidence_notice)
    done_ids = {o.stage.id for o in outcomes}
    for outcome in outcomes:
        for planned in outcome.unblocked:
            if planned.id in done_ids:
                continue  # marked in the same batch
            due = f", срок до {russian.format_date_weekday(planned.due)}" if planned.due else ""
            print(f"Теперь можно начинать этап {planned.stage.display_number} «{russian.shorten(planned.stage.title, 80)}»{due}.")
    for outcome in outcomes:
        if outcome.completion is not None:
            _announce(outcome)


def _announce(outcome: RecordOutcome) -> None:
    """After the completion is committed: tell Prefect, if one is configured (never fatal)."""
    if not os.environ.get("PREFECT_API_URL"):
        return  # no server configured: importing Prefect would only cost time; the daily run catches up
    prefect_env()
    try:
        from cyclogram.flows.deploy import emit_stage_completed

        assert outcome.completion is not None
        result = emit_stage_completed(outcome.roadmap_id, outcome.stage.id, outcome.completion.by, outcome.occurrence)
        print(result.message)
    except Exception as error:  # noqa: BLE001 - the completion is already recorded
        print(f"Prefect: событие не отправлено ({type(error).__name__}); ежедневный прогон всё учтёт.")


@app.command()
def status(
    roadmap: RoadmapArgument,
    as_of: Annotated[str | None, typer.Option("--as-of", help="На какую дату: 2024-10-16 (по умолчанию сегодня)")] = None,
    person: Annotated[str | None, typer.Option("--person", help="Только этапы этого человека (ключ)")] = None,
    output: Annotated[StatusFormat, typer.Option("--format", "-f", help="table, json или csv (для Excel)")] = StatusFormat.table,
    wide: Annotated[bool, typer.Option("--wide", help="Полная таблица с переносами вместо строки на этап")] = False,
    database: DatabaseOption = None,
) -> None:
    """Где мы сейчас: статус каждого этапа, прогресс по разделам, просрочки."""
    from cyclogram import render
    from cyclogram.tracker import parse_day, status_of

    active, completions = tracker(database).completions(roadmap)
    if person is not None and person not in active.roadmap.people:
        raise refuse(f"в дорожной карте нет человека «{person}»")
    result = status_of(active, completions, parse_day(as_of, active.zone))
    if output is StatusFormat.json:
        write(render.status_json(result, person))
    elif output is StatusFormat.csv:
        write(render.status_csv(result, person))
    elif wide:
        console(wide=True).print(render.status_view(result, person))
    else:
        write(render.status_lines(result, width(), person, color=is_tty()))


@app.command()
def history(
    roadmap: Annotated[str | None, typer.Argument(help="id дорожной карты (по умолчанию все)", show_default=False)] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Только этот этап (id или номер, как в done)")] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="Только действия этого человека и напоминания, отправленные ему")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="С даты: 2024-10-01, 01.10.2024, «вчера», «пятница»")] = None,
    output: Annotated[
        HistoryFormat, typer.Option("--format", "-f", help="table, csv (для Excel) или json")
    ] = HistoryFormat.table,
    database: DatabaseOption = None,
) -> None:
    """Журнал изменений: загрузки версий, выполнения, пропуски, поводы, напоминания — с именами и по местному времени."""
    from cyclogram import render
    from cyclogram.store.audit import HistoryFilter, utc_stamp
    from cyclogram.tracker import find_stage, parse_when
    from cyclogram.web.audit import describe, directory

    opened = tracker(database)
    stage_id = stage
    if stage is not None and roadmap is not None:
        stage_id = find_stage(opened.active(roadmap).plan, stage).id
    elif stage is not None:
        raise refuse("--stage указывается вместе с дорожной картой: cyclogram history КАРТА --stage НОМЕР")
    found = directory(opened)
    since_stamp = None
    if since is not None:  # a moment as people write it, from the start of its day in the roadmap's time
        zone = opened.active(roadmap).zone if roadmap is not None else found.zone_of(None)
        when = parse_when(since, zone)
        start = dt.datetime.combine(when.moment.date(), dt.time(), zone) if when.day_only else when.moment
        since_stamp = utc_stamp(start)
    records = opened.history(HistoryFilter(roadmap, stage_id, person, since_stamp))
    if output is HistoryFormat.json:
        write(render.history_json(records))
        return
    entries = [describe(record, found) for record in records]
    if output is HistoryFormat.csv:
        write(render.history_csv(entries))
    else:
        console(wide=True).print(render.history_table(entries))


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        str | None, typer.Option("--checkpoint", help="Опубликованная контрольная точка N:ХЭШ (или файл с ней)")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Проверить журнал и всё, что от него зависит: цепочку хэшей, подписи ключом аудита, состояние этапов,
    версии дорожных карт, ссылки на календари, файлы подтверждений — и контрольную точку, если она дана."""
    from cyclogram import app as services
    from cyclogram.engine.auditchain import Checkpoint

    wanted = None
    if checkpoint is not None:
        text = Path(checkpoint).read_text(encoding="utf-8") if Path(checkpoint).is_file() else checkpoint
        wanted = Checkpoint.parse(text.split()[-1] if text.split() else "")
        if wanted is None:
            raise refuse(f"контрольная точка записывается как НОМЕР:ХЭШ (64 шестнадцатеричных знака), а не «{checkpoint[:80]}»")
    opened = tracker(database)
    key = services.audit_key()
    result = opened.verify(key)
    problems: list[str] = []
    if result.ok:
        signed = (
            ""
            if key is None
            else (
                ", все подписаны ключом аудита"
                if not result.unsigned
                else f"; без подписи ключом (до его включения): {result.unsigned}"
            )
        )
        print(f"Цепочка журнала цела: проверено записей — {result.checked}{signed}.")
    else:
        problems.append(f"журнал нарушен: {result.problem} (целых записей до нарушения: {result.checked})")
    if key is None:
        print("Ключ аудита не задан (секрет audit_key): пересчёт журнала целиком обнаружит только контрольная точка.")
    if wanted is not None:
        broken = opened.verify_checkpoint(wanted)
        if broken:
            problems.append(broken)
        else:
            print(f"Контрольная точка {wanted.seq}:{wanted.hash[:12]}… совпадает: журнал до неё не изменён.")
    state = opened.verify_state()
    problems += state
    if not state:
        print(
            "Состояние в базе совпадает с журналом: выполнения, пропуски, версии дорожных карт, подтверждения, ссылки на календари."
        )
    files, missing = opened.verify_evidence()
    problems += missing
    if not missing:
        print(f"Файлы подтверждений целы: {files}.")
    for problem in problems:
        print(f"НАРУШЕНИЕ: {problem}.")
    raise typer.Exit(1 if problems else 0)


@audit_app.command("checkpoint")
def audit_checkpoint(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Записать контрольную точку в файл")] = None,
    database: DatabaseOption = None,
) -> None:
    """Контрольная точка журнала (номер и хэш последней записи): опубликуйте её вне базы — в приказе,
    письмом директору — и сверяйте: cyclogram audit verify --checkpoint НОМЕР:ХЭШ."""
    from cyclogram import app as services
    from cyclogram.engine.auditchain import Checkpoint

    opened = tracker(database)
    result = opened.verify(services.audit_key())
    if not result.ok:
        raise refuse(f"журнал нарушен ({result.problem}): контрольную точку по нему ставить нельзя")
    point = Checkpoint(result.checked, result.head_hash)
    if output is not None:
        output.write_text(f"{point}\n", encoding="utf-8")
    print(point)
    print(
        f"Записей в журнале: {result.checked}. Сохраните эту строку вне базы (приказ, письмо директору); "
        f"проверка: cyclogram audit verify --checkpoint {point.seq}:{point.hash}",
        file=sys.stderr,
    )
