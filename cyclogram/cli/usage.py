"""Usage errors in Russian: what click and typer say in English, said for people.

`cyclogram.cli.main` runs the application with click's standalone mode off, so a usage error (a
missing argument, an unknown option or command, a value that is not one of the choices) reaches it
as a `click.UsageError`; this module turns it into three Russian lines on stderr — what is wrong,
how the command is called, where its help is — and the exit code stays 2. The common errors are
recognised by their exception class and the facts they carry (the parameter, the option name, the
choices), never by translating click's sentences word for word; an error this module does not know
is still said in Russian, with click's own text in brackets.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

try:  # typer vendors click (typer._click) from 0.2x on; older ones use click itself
    from typer._click import exceptions as errors
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import exceptions as errors  # type: ignore[no-redef]

UsageError = errors.UsageError
NoArgsIsHelpError = errors.NoArgsIsHelpError
ClickException = errors.ClickException

_VALUE = re.compile(r"'(?P<value>.*?)' is not")
_ONE_OF = re.compile(r"is not one of (?P<choices>.+?)\.?$")
_COMMAND = re.compile(r"No such command '(?P<name>[^']*)'")
_EXTRA = re.compile(r"unexpected extra arguments? \((?P<args>.*)\)")
_NEEDS_VALUE = re.compile(r"Option '(?P<name>[^']+)' requires (?:an argument|\d+ arguments)")


def _is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def _name(param: Any) -> str:
    if param is None:
        return ""
    if _is_argument(param):
        return str(getattr(param, "name", "") or "").upper()
    opts = getattr(param, "opts", None)
    return " / ".join(opts) if opts else str(getattr(param, "name", "") or "")


def _help(param: Any) -> str:
    text = getattr(param, "help", None)
    return f" — {text}" if isinstance(text, str) and text else ""


def _choices(param: Any) -> list[str]:
    kind = getattr(param, "type", None)
    found = getattr(kind, "choices", None)
    return [str(getattr(choice, "value", choice)) for choice in found] if found else []


def describe(error: Any) -> str:
    """The error as one Russian sentence (module docstring)."""
    ctx, message = error.ctx, str(error.message or "")
    if isinstance(error, errors.MissingParameter):
        word = "аргумент" if _is_argument(error.param) else "параметр"
        return f"не указан {word} {_name(error.param)}{_help(error.param)}"
    if isinstance(error, errors.NoSuchOption):
        near = f"; возможно, имелось в виду {', '.join(error.possibilities)}" if error.possibilities else ""
        return f"нет такого параметра {error.option_name}{near}"
    if isinstance(error, errors.BadParameter):
        name = _name(error.param) or (error.param_hint if isinstance(error.param_hint, str) else "")
        value = _VALUE.search(message)
        shown = f" «{value['value']}»" if value else ""
        one_of = _ONE_OF.search(message)
        choices = _choices(error.param) or (re.findall(r"'([^']*)'", one_of["choices"]) if one_of else [])
        allowed = f"; допустимо: {', '.join(choices)}" if choices else ""
        return f"недопустимое значение{shown} для {name}{allowed}"
    if found := _COMMAND.search(message):
        group = ctx.command if ctx is not None else None
        names: list[str] = list(getattr(group, "commands", {}) or {})
        close = difflib.get_close_matches(found["name"], names, n=1, cutoff=0.6)
        hint = f"; возможно, имелась в виду «{close[0]}»" if close else "; список команд: cyclogram --help"
        return f"нет такой команды «{found['name']}»{hint}"
    if found := _EXTRA.search(message):
        return f"лишние аргументы: {found['args']}"
    if found := _NEEDS_VALUE.search(message):
        return f"у параметра {found['name']} не указано значение"
    return f"неверный вызов команды ({message})"


def usage_lines(error: Any) -> list[str]:
    """What is printed: the error, the command's usage line and where its help is."""
    lines = [f"ошибка: {describe(error)}"]
    ctx = error.ctx
    if ctx is not None:
        usage = ctx.command.get_usage(ctx)
        for english, russian in (
            ("Usage:", "Использование:"),
            ("[OPTIONS]", "[ПАРАМЕТРЫ]"),
            ("COMMAND [ARGS]", "КОМАНДА [АРГУМЕНТЫ]"),
        ):
            usage = usage.replace(english, russian)
        usage = re.sub(r"\{(\w+)\}", lambda m: m[1].upper(), usage)  # typer writes arguments as {roadmap}
        lines.append(" ".join(usage.split()))
        lines.append(f"Справка: {ctx.command_path} --help")
    return lines
