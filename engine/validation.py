"""One call from a file to a checked plan: load, check references, plan, and report it all.

This is what `cyclogram validate`, `show` and `plan` share. Errors of every phase are collected;
planning happens only when the roadmap loaded and its references hold, so that a broken file
never produces dates that look trustworthy.

Credentials are refused here, in every string of the roadmap (`engine.credentials`): a title, a
note or a person's name with a password-bearing link or a bot token is an error at its place, with
the value masked, and such a roadmap is neither planned nor handed on (`Checked.roadmap` is None),
so nothing downstream — plan output, iCal feeds, stored versions — can carry it. The walk goes over
the validated model (or the salvaged one when the schema rejected parts): its fields are the file's
keys, so paths lead to positions. A value the schema itself rejects (a date, a key) is reported by
the schema; as a last line of defence every message and field path leaving this module is masked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cyclogram.engine.checks import check_references
from cyclogram.engine.credentials import find_credentials, mask
from cyclogram.engine.diagnostics import Diagnostic, Report, Severity
from cyclogram.engine.gcpause import gc_paused
from cyclogram.engine.loader import Loaded, format_path, load_file, load_text
from cyclogram.engine.model import Roadmap, Section
from cyclogram.engine.plan import Plan, PlanIssue, compute_plan
from cyclogram.engine.workcalendar import CountryDays
from cyclogram.engine.yamlsource import MAX_FILE_BYTES


@dataclass
class Checked:
    path: str
    roadmap: Roadmap | None
    plan: Plan | None
    report: Report


def _to_diagnostics(issues: list[PlanIssue], loaded: Loaded, model: Roadmap | None = None) -> list[Diagnostic]:
    data = _data_view(model or loaded.roadmap)
    return [
        Diagnostic(issue.severity, issue.message, loaded.path, loaded.source_map.value(issue.path), format_path(issue.path, data))
        for issue in issues
    ]


def _data_view(roadmap: Roadmap | None) -> object:
    """Enough of the file's shape for readable field paths (ids of list items)."""
    if roadmap is None:
        return {}

    def section(s: Section) -> dict[str, object]:
        return {
            "number": s.number,
            "stages": [{"id": st.id} for st in s.stages],
            "sections": [section(c) for c in s.sections],
        }

    return {
        "stages": [{"id": st.id} for st in roadmap.stages],
        "sections": [section(s) for s in roadmap.sections],
    }


CREDENTIAL_ADVICE = (
    "секреты нельзя хранить в дорожной карте: уберите его отсюда (ссылку на документ дайте без пароля); "
    "адрес для уведомлений кладут в переменную окружения или файл секретов и указывают в contacts как secret:ИМЯ"
)


def credential_diagnostics(model: Roadmap, loaded: Loaded) -> list[Diagnostic]:
    """An error, at its place, for every string of the roadmap that holds a credential (masked)."""
    found = find_credentials(model)
    if not found:
        return []
    data = _data_view(model)
    return [
        Diagnostic(
            Severity.ERROR,
            f"похоже на пароль или токен (значение скрыто): {what}; {CREDENTIAL_ADVICE}",
            loaded.path,
            loaded.source_map.value(path),
            format_path(path, data),
        )
        for path, what in found
    ]


def _masked(report: Report) -> None:
    """Mask credentials in every message and field path, whatever produced them (the last line of defence)."""
    for index, diagnostic in enumerate(report.diagnostics):
        message, field = mask(diagnostic.message), mask(diagnostic.field)
        if message != diagnostic.message or field != diagnostic.field:
            report.diagnostics[index] = dataclasses.replace(diagnostic, message=message, field=field)


def check_loaded(loaded: Loaded, completions: Mapping[str, dt.date] | None = None, country: CountryDays | None = None) -> Checked:
    checked = _check_loaded(loaded, completions, country)
    _masked(checked.report)
    return checked


def _check_loaded(loaded: Loaded, completions: Mapping[str, dt.date] | None, country: CountryDays | None) -> Checked:
    report = loaded.report
    roadmap = loaded.roadmap
    if roadmap is None:
        if loaded.salvaged is not None:  # report reference errors now, not after the next fix
            report.diagnostics.extend(credential_diagnostics(loaded.salvaged.roadmap, loaded))
            issues = check_references(loaded.salvaged.roadmap, loaded.salvaged.assume_known)
            report.diagnostics.extend(d for d in _to_diagnostics(issues, loaded, loaded.salvaged.roadmap) if d.is_error)
        return Checked(loaded.path, None, None, report)
    credentials = credential_diagnostics(roadmap, loaded)
    report.diagnostics.extend(credentials)
    reference_issues = check_references(roadmap)
    report.diagnostics.extend(_to_diagnostics(reference_issues, loaded))
    if credentials:  # refused: nothing downstream may see (or store, or print) the model
        return Checked(loaded.path, None, None, report)
    if not report.ok:
        return Checked(loaded.path, roadmap, None, report)
    plan = compute_plan(roadmap, completions=completions, country=country)
    report.diagnostics.extend(_to_diagnostics(plan.issues, loaded))
    return Checked(loaded.path, roadmap, plan, report)


def check_file(
    path: Path | str,
    max_bytes: int = MAX_FILE_BYTES,
    completions: Mapping[str, dt.date] | None = None,
    country: CountryDays | None = None,
) -> Checked:
    with gc_paused():
        return check_loaded(load_file(path, max_bytes), completions, country)


def check_text(text: str, name: str = "<roadmap>", country: CountryDays | None = None) -> Checked:
    with gc_paused():
        return check_loaded(load_text(text, name), country=country)
