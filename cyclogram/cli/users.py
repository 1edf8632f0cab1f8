"""Web app accounts: users add, list, passwd, disable.

The first administrator can only be added here (the `/users` page needs one to sign in). A
password is generated and printed once — to stdout, so it can be piped — unless `--password-stdin`
reads one (a script, a password manager); it is never taken as an argument, where `ps` and the
shell's history would keep it. Roles are checked by the service (a Russian refusal), not by a
typer choice (whose complaint would be English).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cyclogram.cli._common import ActorOption, DatabaseOption, actor, console, refuse, tracker

users_app = typer.Typer(help="Пользователи веб-приложения: завуч, директор, аудитор.", no_args_is_help=True)

PasswordStdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Прочитать пароль из стандартного ввода (иначе он создаётся и печатается)")
]


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated): read from stdin, or generated."""
    from cyclogram import users

    if not from_stdin:
        return users.generate_password(), True
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise refuse("пароль не получен: передайте его в стандартный ввод одной строкой")
    return users.check_password(password), False


def _show_password(password: str, generated: bool) -> None:
    if generated:
        print(f"Пароль (показан один раз, передайте его лично): {password}")
        print("После входа пароль меняют на странице /password (своё имя в шапке страницы).", file=sys.stderr)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="Адрес электронной почты (логин)", show_default=False)],
    name: Annotated[str, typer.Option("--name", help="Имя, как его показывать: «Торопкина А.А.»", show_default=False)],
    role: Annotated[str, typer.Option("--role", help="admin, editor, viewer или auditor", show_default=False)],
    password_stdin: PasswordStdinOption = False,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Добавить пользователя веб-приложения с ролью: admin (администратор), editor (отмечает этапы за других),
    viewer (просмотр), auditor (журнал)."""
    from cyclogram import users

    # The input is checked before a password is read or generated.
    users.normalize_email(email)
    users.check_name(name)
    users.check_role(role)
    password, generated = _password(password_stdin)
    added = users.add(tracker(database).store, email, name, role, password, actor(actor_key))
    print(f"Добавлен: {added.name} <{added.email}>, роль — {users.ROLE_WORDS[added.role]}")
    _show_password(password, generated)


@users_app.command("list")
def users_list(database: DatabaseOption = None) -> None:
    """Список пользователей: роль, когда добавлен, последний вход, отключён ли."""
    from rich.table import Table

    from cyclogram import users

    found = users.list_users(tracker(database).store)
    if not found:
        print("Пользователей нет. Добавьте администратора: cyclogram users add ПОЧТА --name «Имя» --role admin")
        return
    table = Table(title="Пользователи веб-приложения")
    for column in ("Почта", "Имя", "Роль", "Добавлен (UTC)", "Последний вход (UTC)", "Состояние"):
        table.add_column(column)
    for user in found:
        table.add_row(
            user.email,
            user.name,
            users.ROLE_WORDS.get(user.role, user.role),
            _stamp(user.created_at),
            _stamp(user.last_sign_in_at),
            "действует" if user.active else f"отключён {_stamp(user.disabled_at)}",
            style=None if user.active else "dim",
        )
    console(wide=True).print(table)


@users_app.command("passwd")
def users_passwd(
    email: Annotated[str, typer.Argument(help="Адрес электронной почты пользователя", show_default=False)],
    password_stdin: PasswordStdinOption = False,
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Задать пользователю новый пароль (его открытые сеансы закончатся)."""
    from cyclogram import users

    users.normalize_email(email)
    password, generated = _password(password_stdin)
    changed = users.set_password(tracker(database).store, email, password, actor(actor_key))
    print(f"Пароль изменён: {changed.name} <{changed.email}>")
    _show_password(password, generated)


@users_app.command("disable")
def users_disable(
    email: Annotated[str, typer.Argument(help="Адрес электронной почты пользователя", show_default=False)],
    database: DatabaseOption = None,
    actor_key: ActorOption = None,
) -> None:
    """Отключить пользователя: войти он больше не сможет, открытые сеансы закончатся сразу."""
    from cyclogram import users

    disabled = users.disable(tracker(database).store, email, actor(actor_key))
    print(f"Отключён: {disabled.name} <{disabled.email}>")


def _stamp(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "—"
