"""The `cyclogram` command line.

Kept quick to start: Prefect, the `holidays` package and rich's heavier parts are imported only by
the commands that need them, so `cyclogram validate` stays close to a bare Python start.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="cyclogram",
    help="Дорожные карты и циклограммы учебного года: проверка, сроки, напоминания.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class PlanFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


class StatusFormat(str, Enum):
    table = "table"
    json = "json"


class HistoryFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "--db",
        envvar="CYCLOGRAM_DATABASE_URL",
        help="База данных: sqlite:///путь.db или postgresql://… (по умолчанию файл в ~/.local/share/cyclogram)",
        show_envvar=True,
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", envvar="CYCLOGRAM_ACTOR", help="Кто выполняет команду (для журнала); по умолчанию пользователь ОС"),
]


def _fail(message: str) -> typer.Exit:
    print(f"ошибка: {message}", file=sys.stderr)
    return typer.Exit(1)


def _tracker(database: str | None):  # type: ignore[no-untyped-def]
    """Open the store; database problems become one clear line and exit code 1."""
    from cyclogram.store.db import StoreError, data_dir, open_store
    from cyclogram.tracker import Tracker

    try:
        store = open_store(database)
    except StoreError as error:
        raise _fail(str(error)) from None
    return Tracker(store, data_dir() / "evidence")


def _run(action):  # type: ignore[no-untyped-def]
    """Run a tracking action, turning refusals and store errors into messages."""
    from cyclogram.store.db import StoreError
    from cyclogram.tracker import TrackingError

    try:
        return action()
    except (TrackingError, StoreError) as error:
        raise _fail(str(error)) from None


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped output has no terminal width; rich would squeeze tables into 80 columns.
    width = None if stream.isatty() else 200
    return Console(stderr=stderr, highlight=False, width=width)


def _print_diagnostics(report, stderr: bool) -> None:  # type: ignore[no-untyped-def]
    from cyclogram.render import diagnostics_text

    lines = diagnostics_text(report.sorted())
    if not lines:
        return
    if not (sys.stderr if stderr else sys.stdout).isatty():
        # Plain text for pipes and editors: exact file:line:col lines, no wrapping.
        stream = sys.stderr if stderr else sys.stdout
        for text, _ in lines:
            print(text, file=stream)
        return
    console = _console(stderr)
    for text, style in lines:
        console.print(text, style=style, markup=False)


def _checked_or_exit(path: Path):  # type: ignore[no-untyped-def]
    from cyclogram.engine.validation import check_file

    checked = check_file(path)
    _print_diagnostics(checked.report, stderr=True)
    if checked.plan is None:
        print(
            f"{path}: в дорожной карте есть ошибки ({len(checked.report.errors)}), сроки не рассчитаны.",
            file=sys.stderr,
        )
        raise typer.Exit(1)
    return checked


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Файлы дорожных карт (YAML)", show_default=False)],
    strict: Annotated[bool, typer.Option("--strict", help="Считать предупреждения ошибками")] = False,
    output: Annotated[ReportFormat, typer.Option("--format", help="text или json")] = ReportFormat.text,
) -> None:
    """Проверить дорожные карты: синтаксис, поля, ссылки, циклы, даты. Код выхода 1 при ошибках."""
    from cyclogram.engine.validation import check_file

    failed = False
    results = []
    for path in files:
        checked = check_file(path)
        report = checked.report
        bad = bool(report.errors) or (strict and bool(report.warnings))
        failed = failed or bad
        if output is ReportFormat.json:
            results.append(
                {
                    "file": str(path),
                    "ok": not bad,
                    "stages": len(checked.plan.stages) if checked.plan else None,
                    "diagnostics": [d.to_dict() for d in report.sorted()],
                }
            )
            continue
        _print_diagnostics(report, stderr=False)
        if report.errors:
            summary = f"✗ {path}: ошибок {len(report.errors)}, предупреждений {len(report.warnings)}"
        else:
            from cyclogram.engine.russian import plural

            stages = len(checked.plan.stages) if checked.plan else 0
            summary = f"✓ {path}: {stages} {plural(stages, 'этап', 'этапа', 'этапов')}, ошибок нет" + (
                f", предупреждений {len(report.warnings)}" if report.warnings else ""
            )
        print(summary)
    if output is ReportFormat.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    raise typer.Exit(1 if failed else 0)


@app.command()
def show(file: Annotated[Path, typer.Argument(help="Файл дорожной карты", show_default=False)]) -> None:
    """Показать разделы и этапы деревом: сроки, ответственные, зависимости."""
    from cyclogram.render import plan_tree

    checked = _checked_or_exit(file)
    _console().print(plan_tree(checked.plan))


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="Файл дорожной карты", show_default=False)],
    output: Annotated[PlanFormat, typer.Option("--format", "-f", help="table, json или csv")] = PlanFormat.table,
) -> None:
    """Рассчитать плановые сроки каждого этапа и объяснить, откуда они взялись."""
    from cyclogram import render

    checked = _checked_or_exit(file)
    if output is PlanFormat.json:
        print(render.plan_json(checked.plan))
    elif output is PlanFormat.csv:
        sys.stdout.write(render.plan_csv(checked.plan))
    else:
        _console().print(render.plan_table(checked.plan))


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Записать в файл вместо вывода")] = None,
) -> None:
    """Напечатать JSON Schema формата дорожной карты (для подсказок и проверки в редакторе)."""
    from cyclogram.engine.model import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def load(
    files: Annotated[list[Path], typer.Argument(help="Файлы дорожных карт", show_default=False)],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Загрузить дорожную карту или её новую версию; показать, что изменилось."""
    from cyclogram.tracker import default_actor

    tracker = _tracker(database)
    who = actor or default_actor()
    for path in files:
        outcome = _run(lambda path=path: tracker.load(path, who))
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
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    stage: Annotated[str, typer.Argument(help="id или номер этапа", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто выполнил (ключ человека из дорожной карты)", show_default=False)],
    note: Annotated[str | None, typer.Option("--note", help="Комментарий")] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="Файл или ссылка, подтверждающие выполнение")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Когда выполнено: 2024-10-18 или 18.10.2024 15:30 (по умолчанию сейчас)")] = None,
    force: Annotated[bool, typer.Option("--force", help="Отметить, хотя этап заблокирован (нужна --reason)")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Причина (для --force)")] = None,
    occurrence: Annotated[str | None, typer.Option("--occurrence", help="Какое повторение (для этапов по месяцам, предметам, периодам)")] = None,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Отметить этап выполненным."""
    from cyclogram.tracker import default_actor

    tracker = _tracker(database)
    outcome = _run(
        lambda: tracker.done(
            roadmap, stage, by=by, actor=actor or default_actor(), note=note, evidence=evidence, at=at,
            force=force, reason=reason, occurrence=occurrence,
        )
    )
    _print_record(outcome, "выполнен")
    _announce(outcome)


def _announce(outcome) -> None:  # type: ignore[no-untyped-def]
    """After the completion is committed: tell Prefect, if one is configured (never fatal)."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        return  # no server configured: importing Prefect would only cost time; the daily run catches up
    _prefect_env()
    try:
        from cyclogram.flows.deploy import emit_stage_completed

        result = emit_stage_completed(outcome.roadmap_id, outcome.stage.id, outcome.completion.by, outcome.occurrence)
        print(result.message)
    except Exception as error:  # noqa: BLE001 - the completion is already recorded
        print(f"Prefect: событие не отправлено ({type(error).__name__}); ежедневный прогон всё учтёт.")


@app.command()
def skip(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    stage: Annotated[str, typer.Argument(help="id или номер этапа", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Почему этап не нужен", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто решил (ключ человека)", show_default=False)],
    occurrence: Annotated[str | None, typer.Option("--occurrence", help="Какое повторение")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Когда решено (по умолчанию сейчас)")] = None,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Пропустить этап (для зависимых этапов считается выполненным)."""
    from cyclogram.tracker import default_actor

    tracker = _tracker(database)
    outcome = _run(lambda: tracker.skip(roadmap, stage, by=by, actor=actor or default_actor(), reason=reason, occurrence=occurrence, at=at))
    _print_record(outcome, "пропущен")


@app.command()
def reopen(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    stage: Annotated[str, typer.Argument(help="id или номер этапа", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Почему этап снова открыт", show_default=False)],
    by: Annotated[str, typer.Option("--by", help="Кто открывает (ключ человека)", show_default=False)],
    occurrence: Annotated[str | None, typer.Option("--occurrence", help="Какое повторение")] = None,
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Снова открыть выполненный или пропущенный этап."""
    from cyclogram.tracker import default_actor

    tracker = _tracker(database)
    outcome = _run(lambda: tracker.reopen(roadmap, stage, by=by, actor=actor or default_actor(), reason=reason, occurrence=occurrence))
    _print_record(outcome, "снова открыт")


def _print_record(outcome, word: str) -> None:  # type: ignore[no-untyped-def]
    from cyclogram.engine import russian

    stage = outcome.stage
    label = f" ({outcome.occurrence})" if outcome.occurrence else ""
    when = f" {russian.format_date(outcome.completion.day)}" if outcome.completion else ""
    print(f"Этап {stage.stage.display_number}{label} «{stage.stage.title[:80]}» {word}{when}. Запись журнала № {outcome.audit_seq}.")
    if outcome.evidence:
        print(f"Подтверждение сохранено: sha256:{outcome.evidence.sha256} ({outcome.evidence.original_name})")
    for planned in outcome.unblocked:
        due = f", срок до {russian.format_date_weekday(planned.due)}" if planned.due else ""
        print(f"Теперь можно начинать этап {planned.stage.display_number} «{planned.stage.title[:80]}»{due}.")


@app.command()
def status(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="На какую дату: 2024-10-16 (по умолчанию сегодня)")] = None,
    person: Annotated[str | None, typer.Option("--person", help="Только этапы этого человека (ключ)")] = None,
    output: Annotated[StatusFormat, typer.Option("--format", "-f", help="table или json")] = StatusFormat.table,
    database: DatabaseOption = None,
) -> None:
    """Где мы сейчас: статус каждого этапа, прогресс по разделам, просрочки."""
    from cyclogram import render
    from cyclogram.tracker import parse_moment

    tracker = _tracker(database)
    active = _run(lambda: tracker.active(roadmap))
    moment = _run(lambda: parse_moment(as_of, active.zone).date()) if as_of else None
    result = _run(lambda: tracker.status(roadmap, moment))
    if person is not None and person not in active.roadmap.people:
        raise _fail(f"в дорожной карте нет человека «{person}»")
    if output is StatusFormat.json:
        print(render.status_json(result, person))
    else:
        _console().print(render.status_view(result, person))


@app.command()
def history(
    roadmap: Annotated[str | None, typer.Argument(help="id дорожной карты (по умолчанию все)", show_default=False)] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Только этот этап (id)")] = None,
    person: Annotated[str | None, typer.Option("--person", help="Только действия этого человека")] = None,
    since: Annotated[str | None, typer.Option("--since", help="С даты: 2024-10-01")] = None,
    output: Annotated[HistoryFormat, typer.Option("--format", "-f", help="table, csv или json")] = HistoryFormat.table,
    database: DatabaseOption = None,
) -> None:
    """Журнал изменений: загрузки версий, выполнения, пропуски, переоткрытия."""
    from cyclogram import render
    from cyclogram.store.audit import HistoryFilter

    tracker = _tracker(database)
    records = _run(lambda: tracker.history(HistoryFilter(roadmap, stage, person, since)))
    if output is HistoryFormat.json:
        print(render.history_json(records))
    elif output is HistoryFormat.csv:
        sys.stdout.write(render.history_csv(records))
    else:
        _console().print(render.history_table(records))


class OutboxStatus(str, Enum):
    pending = "pending"
    failed = "failed"
    sent = "sent"


@app.command()
def remind(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="За какой день: 2024-10-14 (по умолчанию сегодня)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Только показать, что и кому ушло бы; ничего не записывать и не отправлять")] = False,
    no_send: Annotated[bool, typer.Option("--no-send", help="Поставить в очередь, но не отправлять")] = False,
    database: DatabaseOption = None,
) -> None:
    """Рассчитать напоминания на день, поставить их в очередь и отправить."""
    from cyclogram import render
    from cyclogram.outbox import compose, dispatch, enqueue, queued_item_keys
    from cyclogram.tracker import parse_moment
    from cyclogram.engine import russian
    from cyclogram.engine.reminders import due_reminders, without_duplicates
    from cyclogram.notifiers.secrets import SecretError, Secrets

    tracker = _tracker(database)
    active = _run(lambda: tracker.active(roadmap))
    day = _run(lambda: parse_moment(as_of, active.zone).date()) if as_of else __import__("datetime").datetime.now(active.zone).date()
    status_now = _run(lambda: tracker.status(roadmap, day))
    calendar = status_now.plan.calendar
    if not calendar.is_working_day(day):
        name = calendar.holiday_name(day)
        print(f"{russian.format_date_weekday(day)} — нерабочий день{f' ({name})' if name else ''}: напоминания не отправляются.")
        return
    reminders = without_duplicates(due_reminders(status_now))
    secrets = Secrets()
    try:
        outgoing, problems = compose(status_now, reminders, secrets)
    except SecretError as error:
        raise _fail(str(error)) from None
    for problem in problems:
        print(f"предупреждение: {problem.message}", file=sys.stderr)
    already = _run(lambda: queued_item_keys(tracker.store, [k for o in outgoing for k in o.item_keys]))
    if dry_run:
        _console().print(render.reminders_preview(outgoing, already, status_now, day))
        return
    report = _run(lambda: enqueue(tracker.store, outgoing, active.row.id))
    print(f"{russian.format_date_weekday(day)}: напоминаний {len(reminders)}, новых сообщений в очереди {report.queued}, уже были в очереди {report.already}.")
    if no_send:
        return
    from cyclogram.outbox import graceful_stop

    sent = _run(lambda: dispatch(tracker.store, secrets, roadmap_id=active.row.id, stop=graceful_stop()))
    _print_dispatch(sent)


def _print_dispatch(report) -> None:  # type: ignore[no-untyped-def]
    print(f"Отправлено: {report.sent}; повторим позже: {report.retrying}; не удалось совсем: {report.failed}.")
    for error in report.errors[:20]:
        print(f"  не отправлено: {error}", file=sys.stderr)


@app.command("dispatch")
def dispatch_command(
    roadmap: Annotated[str | None, typer.Argument(help="Только эта дорожная карта", show_default=False)] = None,
    workers: Annotated[int, typer.Option("--workers", help="Сколько сообщений отправлять одновременно")] = 8,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Снова попробовать сообщения, которые не удалось отправить")] = False,
    database: DatabaseOption = None,
) -> None:
    """Отправить сообщения из очереди, срок которых наступил."""
    from cyclogram import outbox
    from cyclogram.notifiers.secrets import Secrets

    tracker = _tracker(database)
    roadmap_id = tracker.resolve_roadmap_id(roadmap) if roadmap else None
    if retry_failed:
        count = _run(lambda: outbox.retry_failed(tracker.store, roadmap_id))
        print(f"Снова в очереди: {count}.")
    report = _run(lambda: outbox.dispatch(tracker.store, Secrets(), roadmap_id=roadmap_id, workers=workers, stop=outbox.graceful_stop()))
    _print_dispatch(report)


@app.command("outbox")
def outbox_command(
    roadmap: Annotated[str | None, typer.Argument(help="Только эта дорожная карта", show_default=False)] = None,
    status: Annotated[OutboxStatus | None, typer.Option("--status", help="pending, failed или sent")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Сколько последних сообщений показать")] = 100,
    database: DatabaseOption = None,
) -> None:
    """Очередь напоминаний: что ждёт отправки, что отправлено, что не удалось."""
    from cyclogram import render
    from cyclogram.outbox import list_outbox

    tracker = _tracker(database)
    roadmap_id = tracker.resolve_roadmap_id(roadmap) if roadmap else None
    rows = _run(lambda: list_outbox(tracker.store, status.value if status else None, roadmap_id, limit))
    _console().print(render.outbox_table(rows))


@app.command("notify-test")
def notify_test(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    person: Annotated[str, typer.Argument(help="Ключ человека", show_default=False)],
    database: DatabaseOption = None,
) -> None:
    """Отправить одно проверочное сообщение по всем каналам человека."""
    from cyclogram.notifiers.channels import person_channels, send
    from cyclogram.notifiers.messages import render_test
    from cyclogram.notifiers.secrets import SecretError, Secrets

    tracker = _tracker(database)
    active = _run(lambda: tracker.active(roadmap))
    model = active.roadmap
    if person not in model.people:
        import difflib

        near = difflib.get_close_matches(person, list(model.people), n=1)
        raise _fail(f"в дорожной карте нет человека «{person}»" + (f"; возможно, имелся в виду «{near[0]}»" if near else ""))
    try:
        channels, problems = person_channels(person, model.people[person], Secrets())
    except SecretError as error:
        raise _fail(str(error)) from None
    for problem in problems:
        print(f"предупреждение: {problem.message}")
    message = render_test(person, model)
    failures = 0
    for channel in channels:
        result = send(channel, message.subject, message.html, message.text, message.short)
        if result.ok:
            print(f"✓ {channel.describe()}: доставлено")
        else:
            failures += 1
            print(f"✗ {channel.describe()}: {result.error}")
    if not channels:
        raise _fail(f"у «{model.people[person].name}» нет ни одного рабочего канала")
    raise typer.Exit(1 if failures else 0)


def _feeds(database: str | None):  # type: ignore[no-untyped-def]
    from cyclogram.feeds import Feeds

    return Feeds(_tracker(database))


def _print_skipped(skipped) -> None:  # type: ignore[no-untyped-def]
    if not skipped:
        return
    print(f"Не вошли в календарь (дата пока неизвестна или этап постоянный) — {len(skipped)}:", file=sys.stderr)
    for item in skipped:
        print(f"  {item.number}. {item.title[:70]} — {item.reason}", file=sys.stderr)


@app.command()
def ical(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    person: Annotated[str | None, typer.Option("--person", help="Только этапы этого человека")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Только этапы людей этой роли")] = None,
    todo: Annotated[bool, typer.Option("--todo", help="Задачи (VTODO) со статусом выполнения вместо событий")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Файл .ics (по умолчанию — вывод на экран)")] = None,
    database: DatabaseOption = None,
) -> None:
    """Выгрузить расписание в iCalendar (.ics): всей дорожной карты, человека или роли."""
    feeds = _feeds(database)
    active = _run(lambda: feeds.tracker.active(roadmap))
    if person and role:
        raise _fail("укажите либо --person, либо --role")
    people: tuple[str, ...] | None = None
    suffix = ""
    if person is not None:
        if person not in active.roadmap.people:
            raise _fail(f"в дорожной карте нет человека «{person}»")
        people, suffix = (person,), active.roadmap.people[person].name
    elif role is not None:
        if role not in active.roadmap.roles:
            raise _fail(f"в дорожной карте нет роли «{role}»")
        people, suffix = tuple(active.roadmap.roles[role].members), active.roadmap.roles[role].title
    built = _run(lambda: feeds.build(roadmap, people=people, todo=todo, name_suffix=suffix))
    if output is None:
        sys.stdout.buffer.write(built.body)
    else:
        output.write_bytes(built.body)
        print(f"Записано событий: {built.events} → {output}", file=sys.stderr)
    _print_skipped(built.skipped)


feeds_app = typer.Typer(help="Ссылки на календари для подписки (Google, Outlook, Apple, Thunderbird).", invoke_without_command=True)
app.add_typer(feeds_app, name="feeds")


def _feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/calendars/{token}.ics"


BaseUrlOption = Annotated[
    str, typer.Option("--base-url", envvar="CYCLOGRAM_BASE_URL", help="Адрес сервера cyclogram web для ссылок")
]


@feeds_app.callback()
def feeds_list(
    ctx: typer.Context,
    roadmap: Annotated[str | None, typer.Option("--roadmap", help="Только эта дорожная карта")] = None,
    all_feeds: Annotated[bool, typer.Option("--all", help="Показать и отозванные")] = False,
    base_url: BaseUrlOption = "http://127.0.0.1:8080",
    database: DatabaseOption = None,
) -> None:
    """Список ссылок на календари (без подкоманды)."""
    if ctx.invoked_subcommand is not None:
        return
    feeds = _feeds(database)
    items = _run(lambda: feeds.list(roadmap, include_revoked=all_feeds))
    if not items:
        print("Ссылок на календари нет. Создайте: cyclogram feeds create ДОРОЖНАЯ_КАРТА [--person КЛЮЧ | --role КЛЮЧ]")
        return
    for item in items:
        state = "" if item.active else " (отозвана)"
        kind = " задачи" if item.todo else ""
        print(f"{item.roadmap_id} · {item.describe()}{kind}{state}\n  {_feed_url(base_url, item.token)}")


@feeds_app.command("create")
def feeds_create(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты", show_default=False)],
    person: Annotated[str | None, typer.Option("--person", help="Календарь одного человека")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Календарь роли")] = None,
    todo: Annotated[bool, typer.Option("--todo", help="Задачи (VTODO) вместо событий")] = False,
    base_url: BaseUrlOption = "http://127.0.0.1:8080",
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Создать ссылку для подписки на календарь."""
    from cyclogram.tracker import default_actor

    feeds = _feeds(database)
    feed = _run(lambda: feeds.create(roadmap, actor or default_actor(), person=person, role=role, todo=todo))
    print(_feed_url(base_url, feed.token))


@feeds_app.command("revoke")
def feeds_revoke(
    token: Annotated[str, typer.Argument(help="Токен (или его начало, от 6 символов)", show_default=False)],
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Отозвать ссылку: календарь по ней больше не откроется."""
    from cyclogram.tracker import default_actor

    feeds = _feeds(database)
    feed = _run(lambda: feeds.revoke(token, actor or default_actor()))
    print(f"Ссылка отозвана: {feed.roadmap_id} · {feed.describe()}")


@feeds_app.command("rotate")
def feeds_rotate(
    token: Annotated[str, typer.Argument(help="Токен (или его начало, от 6 символов)", show_default=False)],
    base_url: BaseUrlOption = "http://127.0.0.1:8080",
    database: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Заменить ссылку новой (старая перестаёт работать)."""
    from cyclogram.tracker import default_actor

    feeds = _feeds(database)
    feed = _run(lambda: feeds.rotate(token, actor or default_actor()))
    print(_feed_url(base_url, feed.token))


@app.command()
def web(
    host: Annotated[str, typer.Option("--host", help="Адрес для прослушивания")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Порт")] = 8080,
    database: DatabaseOption = None,
) -> None:
    """Раздавать календари по ссылкам /calendars/<токен>.ics (для подписки в календарях)."""
    from cyclogram.web import make_server

    feeds = _feeds(database)
    server = make_server(feeds, host, port)
    print(f"Календари: http://{host}:{port}/calendars/<токен>.ics (список ссылок: cyclogram feeds). Остановить: Ctrl-C")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _prefect_env() -> None:
    """Prefect must not phone home from a school's server (and there is no internet here)."""
    import os

    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@app.command()
def serve(
    roadmaps: Annotated[list[str], typer.Argument(help="id дорожных карт", show_default=False)],
    database: DatabaseOption = None,
) -> None:
    """Запустить расписание: ежедневный прогон в местное время каждой карты и уведомления по событиям."""
    _prefect_env()
    tracker = _tracker(database)
    actives = [_run(lambda r=r: tracker.active(r)) for r in roadmaps]
    from cyclogram.flows.server import ensure_local_server

    api = ensure_local_server()  # before Prefect is imported: it reads PREFECT_API_URL at import
    from cyclogram.flows.deploy import ensure_dispatch_limit, roadmap_deployments
    from prefect import serve as prefect_serve

    ensure_dispatch_limit()

    deployments = []
    for active in actives:
        roadmap = active.roadmap
        deployments += roadmap_deployments(active.row.id, roadmap.timezone, roadmap.defaults.send_at, database)
        print(f"{active.row.id}: ежедневно в {roadmap.defaults.send_at:%H:%M} ({roadmap.timezone}) + «можно начинать» по событиям")
    print(f"Prefect API: {api}. Остановить: Ctrl-C")
    prefect_serve(*deployments)


@app.command()
def runs(
    roadmap: Annotated[str | None, typer.Argument(help="id дорожной карты (по умолчанию все)", show_default=False)] = None,
    since: Annotated[str | None, typer.Option("--since", help="С даты: 2024-10-01")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Сколько последних запусков")] = 50,
    database: DatabaseOption = None,
) -> None:
    """История запусков: состояние, начало, длительность, отправлено напоминаний, просрочено."""
    import datetime as dt

    from cyclogram import render
    from cyclogram.store.audit import HistoryFilter

    tracker = _tracker(database)
    roadmap_id = tracker.resolve_roadmap_id(roadmap) if roadmap else None
    ticks = {
        str(r.payload_data().get("flow_run_id")): r.payload_data()
        for r in _run(lambda: tracker.history(HistoryFilter(roadmap_id))) if r.action == "flow.tick"
    }
    _prefect_env()
    from cyclogram.flows.deploy import read_runs

    after = dt.datetime.fromisoformat(since).replace(tzinfo=dt.timezone.utc) if since else None
    records = read_runs(ticks, roadmap_id, after, limit)
    _console().print(render.runs_table(records))


@app.command()
def tick(
    roadmap: Annotated[str, typer.Argument(help="id дорожной карты (или её файл)", show_default=False)],
    as_of: Annotated[str | None, typer.Option("--as-of", help="За какой день (по умолчанию сегодня)")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Прогнать период день за днём: с даты")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="…по дату включительно")] = None,
    no_send: Annotated[bool, typer.Option("--no-send", help="Не отправлять напоминания (только очередь)")] = False,
    database: DatabaseOption = None,
) -> None:
    """Запустить ежедневный прогон дорожной карты в Prefect сейчас (или прогнать период)."""
    import datetime as dt

    from cyclogram.tracker import parse_moment

    tracker = _tracker(database)
    active = _run(lambda: tracker.active(roadmap))
    if (date_from is None) != (date_to is None):
        raise _fail("--from и --to указываются вместе")
    if date_from and as_of:
        raise _fail("укажите либо --as-of, либо период --from/--to")
    days: list[dt.date]
    if date_from and date_to:
        first = _run(lambda: parse_moment(date_from, active.zone).date())
        last = _run(lambda: parse_moment(date_to, active.zone).date())
        if last < first:
            raise _fail("конец периода раньше начала")
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    else:
        days = [_run(lambda: parse_moment(as_of, active.zone).date()) if as_of else dt.datetime.now(active.zone).date()]
    _prefect_env()
    from cyclogram.flows.deploy import ensure_dispatch_limit
    from cyclogram.flows.roadmap import roadmap_tick

    ensure_dispatch_limit()
    replay = len(days) > 1
    calendar = tracker.status(roadmap, days[0]).plan.calendar
    failures = 0
    for day in days:
        if replay and not calendar.is_working_day(day):
            continue  # nothing happens on a day off; the next working day catches up
        try:
            result = roadmap_tick(active.row.id, day.isoformat(), database, not no_send, detailed_tags=not replay)
        except Exception as error:  # noqa: BLE001 - the run is recorded in Prefect; say it and go on
            failures += 1
            print(f"{day.isoformat()}: прогон завершился с ошибкой: {error}", file=sys.stderr)
            continue
        reminders = result.get("reminders", {})
        print(
            f"{day.isoformat()}: этапов {result['stages']}, просрочено {result['overdue']}, "
            f"напоминаний в очереди {reminders.get('queued', 0)}, отправлено {reminders.get('sent', 0)}"
        )
    raise typer.Exit(1 if failures else 0)


audit_app = typer.Typer(help="Проверка журнала аудита.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(database: DatabaseOption = None) -> None:
    """Проверить журнал (цепочку хэшей: изменённые, удалённые, переставленные записи) и файлы подтверждений."""
    tracker = _tracker(database)
    result = _run(tracker.verify)
    files, problems = _run(tracker.verify_evidence)
    if result.ok:
        print(f"Журнал цел: проверено записей — {result.checked}.")
    else:
        print(f"Журнал нарушен: {result.problem}. Проверено целых записей до нарушения: {result.checked}.")
    for problem in problems:
        print(f"Подтверждения: {problem}.")
    if not problems:
        print(f"Файлы подтверждений целы: {files}.")
    raise typer.Exit(0 if result.ok and not problems else 1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
