"""Diagnostics: what validation says about a roadmap, with the place it refers to.

Every problem found in a roadmap file (YAML syntax, schema, references, plan) becomes one
`Diagnostic`, printed as ``file:line:col: field: message`` so that editors and people can jump
straight to it. Messages are written in Russian for the people who maintain the roadmaps.

`Refusal` is the one base of every refusal explained to people, in every layer (a stage that
cannot be marked, a database that does not answer, a secret that is missing): its message is
Russian, names the place and never carries a secret; `exit_code` is what the command line exits
with (the codes are listed in `cyclogram.cli`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Refusal(Exception):
    """A refused request, explained in Russian (see module docstring)."""

    exit_code: int = 1


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    message: str
    file: str = "<roadmap>"
    position: Position | None = None
    field: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self) -> str:
        place = self.file
        if self.position is not None:
            place = f"{place}:{self.position}"
        field_part = f" {self.field}:" if self.field else ""
        label = "" if self.is_error else " предупреждение:"
        return f"{place}:{field_part}{label} {self.message}"

    def sort_key(self) -> tuple[str, int, int]:
        pos = self.position or Position(0, 0)
        return (self.file, pos.line, pos.column)

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "file": self.file,
            "line": self.position.line if self.position else None,
            "column": self.position.column if self.position else None,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class Report:
    """All diagnostics for one file, in file order."""

    file: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.diagnostics, key=Diagnostic.sort_key)
