"""Acting from the message: the stage page a reminder's link opens, without signing in.

Pages (Russian, server-rendered; ids and names are stable for the browser tests):

* `/a/{token}` — a stage, for the person the link is bound to (`cyclogram.actionlinks`): title,
  document, expected result, the date and why, dependencies and who waits, who is responsible, the
  stage's history and evidence (`cyclogram.web.stagepage`). The status badge is `#stage-status`.
  Forms: `form#done-form` (fields `note`, `evidence_file`, `evidence_url`, `done_on`, `csrf`; for
  the owner of a blocked stage also `force` and `reason`) and, for the stage's owner (its first
  responsible person), `form#skip-form` (field `reason`). A triggered stage ("в течение 2 рабочих
  дней со дня получения запроса") adds `form#trigger-form` «Записать повод» for its responsible
  people (fields `triggered_at` — a `datetime-local`, default now — and `note`); an optional stage
  not yet put to use adds `form#activate-form` «Задействовать резервный этап» for its owner (field
  `reason`, required). All post back to the same URL with a hidden `action` (done | skip | trigger
  | activate). A link not bound to one occurrence (a triggered stage's link usually is not) lets
  the person choose which open occurrence the completion closes (`occurrence`).
* `/r/{roadmap}/s/{stage}` — the same page for signed-in accounts (`auth.require`): every role
  sees it; editors and administrators mark for anyone (a `by` field), skip and force, record
  triggers and activate optional stages (for a person they choose, `by`).
* `/evidence/{sha256}` — a stored evidence file, for signed-in accounts, or with `?link=<token>`
  for a valid link of the same roadmap (`cyclogram.web.uploads` for the response's safety).

Decisions:

* **One 404 for every bad link.** A forged, mistyped, expired (in the roadmap's own date),
  revoked or reset token, a person's page token (`/p/` is `cyclogram.web.board`'s), a link to a
  stage or person no longer in the roadmap, a person neither responsible for the stage nor a
  supervisor of its people: all get the same page, without a sign-in link (`link_page=True`).
* **The same rules as the command line**, through the same use case (`recording.done` /
  `recording.skip` / `recording.trigger` / `recording.activate` with `channel="web"`, recorded in
  the event's payload; their refusals are shown on the page as they are): a blocked stage is
  refused with the Russian reason unless the owner forces it with a reason; `evidence_required`
  needs a file or an https link; the date done defaults to today and may not be in the future;
  one completion per stage occurrence — a second submit (a double click, a second device) shows
  «уже отмечен …» on the page rather than an error page. Only the stage's responsible people may
  mark it or record a trigger through their link; only its owner may skip it or activate it; a
  supervisor's link (escalations) shows the stage. A trigger's moment may not be in the future
  nor outside 1900–2200, and one moment makes one occurrence (a second submit of the same form is
  refused: «повод … уже записан»); an empty moment is refused rather than taken as now (a
  half-typed `datetime-local` arrives empty); an optional stage is activated once.
* **Nothing cut, nothing echoed.** A note or a reason over `MAX_NOTE` characters is refused (422)
  with what was typed kept in the form; a field over the form's own bound (`uploads.BadForm`) gets
  the same page with a Russian reason. A note or a reason that looks like a password or a token
  (`recording.SecretInText`) is refused and the form comes back without it. A link bound to an
  occurrence that a new version no longer has is a bad link (404), never a completion of another.
* **Post/Redirect/Get.** A recorded completion answers 303 to the same page, which shows the
  recomputed truth: status, dates moved by the real completion, who may start now; after a
  trigger, the new occurrence with its due date («срок до 16.10.2024, среда»; the redirect names it,
  `?ok=triggered&occurrence=…`, which also chooses it in the completion form); after an
  activation, the stage's due date. A refused submission shows the page again with the reason and
  what was typed (a chosen file must be chosen again), with the status that says why: 403 (no or
  a stale CSRF token, or not allowed), 409 (blocked), 413 (over 20 MB), 415 (file type), 422 (a
  missing or wrong field, or a trigger or an activation the use case refused).
* **CSRF**: on a link page the form token is a MAC of the link itself (`WebContext.csrf_token`), so
  no cookie is set for people who never sign in.
* **Audit**: the actor of an action taken through a link is `link:<link id>` (which link did it,
  should one leak); the person is the payload's `by`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cyclogram import actionlinks, recording
from cyclogram.actionlinks import ActionLink
from cyclogram.engine import russian
from cyclogram.engine.diagnostics import Refusal
from cyclogram.engine.plan import PlannedStage
from cyclogram.engine.tracking import Completion
from cyclogram.links import Links, audience
from cyclogram.store import reads
from cyclogram.store.audit import HistoryFilter
from cyclogram.store.evidence import evidence_path
from cyclogram.tracker import ActiveRoadmap, StateFacts, TrackingError, occurrence_label, status_of
from cyclogram.web import stagepage, uploads
from cyclogram.web.stagepage import FormValues, Viewer

if TYPE_CHECKING:
    from cyclogram.engine.auditchain import AuditRecord
    from cyclogram.engine.status import RoadmapStatus
    from cyclogram.web.context import WebContext

EDITORS = ("admin", "editor")
MAX_NOTE = 2000
MAX_URL = 2000
DONE_WORDS = {"done": "Готово: этап отмечен выполненным.", "skipped": "Готово: этап отмечен пропущенным."}
OUTCOMES = {"done": "done", "skip": "skipped", "trigger": "triggered", "activate": "activated"}
STALE_FORM = "Форма устарела: обновите страницу и отправьте её ещё раз."
LONG_TEXT = f"{{what}} длиннее {MAX_NOTE} символов: сократите его (ничего не записано)."
BAD_FORM = "Форма пришла повреждённой или слишком большой (текст в поле — не больше 2000 символов): обновите страницу и отправьте её ещё раз."
NO_TRIGGER_MOMENT = "Укажите, когда случился повод: дату и время."
TOO_LARGE = f"Файл больше {uploads.MAX_UPLOAD_BYTES // 1024 // 1024} МБ: загрузите файл поменьше или укажите ссылку на документ."


@dataclass(frozen=True)
class Target:
    """The stage a page is about, and who acts on it."""

    active: ActiveRoadmap
    planned: PlannedStage
    viewer: Viewer


@dataclass(frozen=True)
class PageData:
    """One consistent read for a stage page."""

    active: ActiveRoadmap
    status: RoadmapStatus
    completions: StateFacts  # with the triggers and activations
    history: list[AuditRecord]
    files: dict[str, reads.EvidenceInfo]
    today: dt.date

    def completion(self, stage_id: str, label: str) -> Completion | None:
        return stagepage.completion_of(self.completions, stage_id, label)


class Refused(Exception):
    """A submission refused with a Russian reason (shown on the page) and an HTTP status."""

    def __init__(self, status: int, message: str, notice: bool = False, clear: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.notice = notice  # not an error: «уже отмечен …»
        self.clear = clear  # the typed texts looked like a secret: the page must not show them back

    @classmethod
    def by_use_case(cls, status: int, refusal: Refusal) -> Refused:
        """The use case's own refusal; a secret in a note or a reason is 422 and cleared from the form."""
        if isinstance(refusal, recording.SecretInText):
            return cls(422, refusal_text(refusal), clear=True)
        return cls(status, refusal_text(refusal))


# --- reading --------------------------------------------------------------------------------------


def read_page(context: WebContext, roadmap_id: str, stage_id: str) -> PageData:
    tracker = context.tracker
    active, completions = tracker.completions(roadmap_id)
    plan = active.plan
    if stage_id not in plan.stages:  # a new version without the stage was loaded meanwhile
        raise HTTPException(404, "Этого этапа больше нет в дорожной карте.")
    keys = {stage_id, *plan.stages[stage_id].depends_on, *(k for k, p in plan.stages.items() if stage_id in p.depends_on)}
    status = status_of(active, completions, dt.datetime.now(active.zone), keys)
    history = tracker.history(HistoryFilter(active.id, stage_id))
    completion_refs = [c.evidence for c in completions if c.stage_id == stage_id and c.evidence]
    shas, _ = stagepage.evidence_refs(history, None)
    shas += [ref.removeprefix("sha256:") for ref in completion_refs if ref.startswith("sha256:")]
    with tracker.store.reading() as reader:
        files = reads.evidence_files(reader, shas)
    return PageData(active, status, completions, history, files, active.today())


def link_target(context: WebContext, links: Links, token: str) -> Target | None:
    """The stage and viewer of a stage link; None for every kind of bad link (module docstring)."""
    genuine = actionlinks.read(context.key, token, dt.date.min)  # the signature; expiry in the roadmap's date
    if genuine is None or genuine.for_person_page:
        return None
    try:
        active = context.tracker.active(genuine.roadmap_id)
    except TrackingError:
        return None
    link = links.check(token, active.today())
    roadmap = active.roadmap
    planned = active.plan.stages.get(genuine.stage_id)
    if link is None or planned is None or link.person not in roadmap.people:
        return None
    supervisors = {key: person.supervisor for key, person in roadmap.people.items()}
    if link.person not in audience(planned, supervisors):
        return None
    if link.occurrence and planned.kind != "triggered" and not _has_occurrence(planned, link.occurrence):
        return None  # the occurrence the link was for is gone in a new version: acting on another would be wrong
    owner = planned.responsible[0] if planned.responsible else None
    viewer = Viewer(
        person=link.person,
        actor=f"link:{link.link_id}",
        may_mark=link.person in planned.responsible,
        may_decide=link.person == owner,
        choose_person=False,
        occurrence=link.occurrence,
        evidence_query=stagepage.link_query(token),
        greeting=f"Страница этапа для: {roadmap.people[link.person].name}",
    )
    return Target(active, planned, viewer)


def _has_occurrence(planned: PlannedStage, label: str) -> bool:
    wanted = label.strip().lower()
    return any(o.label and o.label.lower() == wanted for o in planned.occurrences)


def signed_in_target(context: WebContext, roadmap_ref: str, stage_ref: str, role: str, actor: str) -> Target:
    try:
        active = context.tracker.active(roadmap_ref)
    except TrackingError:
        raise HTTPException(404, "Такой дорожной карты нет.") from None
    planned = active.plan.by_number_or_id(stage_ref)
    if planned is None:
        raise HTTPException(404, "В дорожной карте нет такого этапа.")
    editor = role in EDITORS
    viewer = Viewer(person=None, actor=actor, may_mark=editor, may_decide=editor, choose_person=editor, occurrence=None)
    return Target(active, planned, viewer)


# --- checking a submission ------------------------------------------------------------------------


def text_field(form: FormData, name: str, limit: int = MAX_NOTE) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def form_values(form: FormData) -> FormValues:
    action = text_field(form, "action")
    reason = text_field(form, "reason", uploads.MAX_FIELD_BYTES)  # whole: a longer one is refused, not cut (`no_long_texts`)
    note = text_field(form, "note", uploads.MAX_FIELD_BYTES)
    return FormValues(
        note=note if action != "trigger" else "",
        evidence_url=text_field(form, "evidence_url", MAX_URL),
        done_on=text_field(form, "done_on", 20),
        reason=reason if action == "done" else "",
        skip_reason=reason if action == "skip" else "",
        force=text_field(form, "force") in ("1", "on", "true"),
        by=text_field(form, "by", 64),
        occurrence=text_field(form, "occurrence", 200),
        triggered_at=text_field(form, "triggered_at", 40),
        trigger_note=note if action == "trigger" else "",
        activate_reason=reason if action == "activate" else "",
    )


def no_long_texts(form: FormData) -> None:
    """A note or a reason longer than the form allows is refused, never cut silently."""
    for field, what in (("note", "Комментарий"), ("reason", "Причина")):
        value = form.get(field)
        if isinstance(value, str) and len(value.strip()) > MAX_NOTE:
            raise Refused(422, LONG_TEXT.format(what=what))


def done_day(values: FormValues, today: dt.date) -> dt.date:
    if not values.done_on:
        return today
    try:
        day = dt.date.fromisoformat(values.done_on)
    except ValueError:
        raise Refused(422, "Дата выполнения непонятна: выберите её в календаре.") from None
    if day > today:
        raise Refused(422, f"Дата выполнения ({day:%d.%m.%Y}) ещё не наступила: этап отмечают, когда он выполнен.")
    if day.year < 2000:
        raise Refused(422, "Дата выполнения слишком давняя: проверьте год.")
    return day


def evidence_link(values: FormValues) -> str | None:
    url = values.evidence_url
    if not url:
        return None
    if not url.lower().startswith("https://") or any(ch.isspace() or ord(ch) < 0x20 for ch in url) or len(url) < 12:
        raise Refused(422, "Ссылка на документ должна быть полным адресом, начинающимся с https://")
    return url


def acting_person(target: Target, values: FormValues, missing: str = "Выберите, кто выполнил этап.") -> str:
    """The person a completion (or an activation) is recorded for: the link's, or the one an editor chose."""
    if target.viewer.person is not None:
        return target.viewer.person
    people = target.active.roadmap.people
    chosen = values.by or (target.planned.responsible[0] if target.planned.responsible else "")
    if chosen not in people:
        raise Refused(422, missing)
    return chosen


def chosen_occurrence(target: Target, values: FormValues, current: str, planned: PlannedStage | None = None) -> str:
    """`planned`: the stage as the status planned it (a triggered stage's occurrences are its triggers).
    A link bound to an occurrence acts on it; otherwise the form's choice (module docstring)."""
    wanted = target.viewer.occurrence or values.occurrence or None
    return occurrence_label(planned or target.planned, wanted, current)


def check_done(target: Target, data: PageData, values: FormValues, label: str, has_evidence: bool) -> bool:
    """Whether the completion must be forced (the stage is blocked and its owner says why); Refused
    when it may not be recorded."""
    planned = target.planned
    row = data.status.stages[planned.id]
    if planned.kind == "continuous":
        raise Refused(409, "Это постоянный этап: отмечать его выполненным не нужно.")
    force = False
    if row.blocked_by:  # blocked, or late while blocked
        stages = data.status.plan.stages
        names = ", ".join(
            f"{stages[b].stage.display_number} «{russian.shorten(stages[b].stage.title, 60)}»" for b in row.blocked_by
        )
        message = f"Этап {planned.stage.display_number} ещё заблокирован: не выполнены этапы {names}."
        if not target.viewer.may_decide:
            raise Refused(409, message + " Отметить его можно, когда они будут выполнены.")
        if not (values.force and values.reason):
            raise Refused(
                409, message + " Если он всё же выполнен, отметьте «Выполнен, несмотря на блокировку» и напишите почему."
            )
        force = True
    if planned.stage.evidence_required and not has_evidence:
        what = planned.stage.document or "документ"
        raise Refused(422, f"Для этого этапа нужно подтверждение ({what}): приложите файл или укажите ссылку на документ.")
    return force


def already(data: PageData, target: Target, label: str) -> None:
    completion = data.completion(target.planned.id, label)
    if completion is not None:
        raise Refused(200, stagepage.already_text(completion, target.planned, data.active.roadmap, data.active.zone), notice=True)


def refusal_text(refusal: Refusal) -> str:
    text = str(refusal)
    return text[:1].upper() + text[1:]


# --- the pages --------------------------------------------------------------------------------------


class StagePages:
    def __init__(self, context: WebContext) -> None:
        self.context = context
        self.links = Links(context.tracker, context.key, context.base_url)

    def not_found(self, request: Request) -> Response:
        from cyclogram.web.app import ERROR_HINTS, ERROR_WORDS

        response: Response = self.context.render(
            request, "error.html.j2", status_code=404, code=404, title=ERROR_WORDS[404], hint=ERROR_HINTS[404], link_page=True
        )
        return response

    async def show(
        self,
        request: Request,
        target: Target,
        status_code: int = 200,
        error: str | None = None,
        notice: str | None = None,
        values: FormValues | None = None,
    ) -> Response:
        data = await run_in_threadpool(read_page, self.context, target.active.id, target.planned.id)
        page = stagepage.stage_values(
            data.active,
            data.status,
            data.completions,
            target.planned.id,
            target.viewer,
            data.history,
            data.files,
            data.today,
            data.completions.activations,
        )
        flash = self.flash(request, data.status.plan.stages[target.planned.id]) if request.method == "GET" else None
        if values is None:
            chosen = request.query_params.get("occurrence", "") if request.method == "GET" else ""
            values = FormValues(done_on=data.today.isoformat(), occurrence=chosen[:200])
        response: Response = self.context.render(
            request,
            "stage.html.j2",
            status_code=status_code,
            **page,
            error=error,
            notice=notice,
            flash=flash,
            form=values,
            action_url=request.url.path,
            link_page=target.viewer.person is not None,
            max_upload_mb=uploads.MAX_UPLOAD_BYTES // 1024 // 1024,
            accept=uploads.ACCEPT,
            allowed_words=uploads.ALLOWED_WORDS,
            max_upload_bytes=uploads.MAX_UPLOAD_BYTES,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def flash(request: Request, planned: PlannedStage) -> str | None:
        """What the redirect after a recorded action says (module docstring), from the recomputed plan."""
        outcome = request.query_params.get("ok", "")
        if outcome == "triggered":
            return stagepage.trigger_flash(planned, request.query_params.get("occurrence", "")) or "Готово: повод записан."
        if outcome == "activated":
            return stagepage.activated_flash(planned)
        return DONE_WORDS.get(outcome)

    async def submit(self, request: Request, target: Target) -> Response:
        try:
            form = await uploads.read_form(request)
        except uploads.TooLarge:
            response = await self.show(request, target, 413, TOO_LARGE)
            response.headers["Connection"] = "close"  # the rest of the body is not read
            return response
        except uploads.BadForm:
            return await self.show(request, target, 422, BAD_FORM)
        values = form_values(form)
        action = text_field(form, "action")
        label = ""
        try:
            if not self.context.csrf_ok(request, form.get("csrf")):
                raise Refused(403, STALE_FORM)
            no_long_texts(form)
            if action == "done":
                await self.record_done(target, form, values)
            elif action == "skip":
                await self.record_skip(target, values)
            elif action == "trigger":
                label = await self.record_trigger(target, values)
            elif action == "activate":
                await self.record_activate(target, values)
            else:
                raise Refused(400, "Непонятно, что сделать: обновите страницу.")
        except Refused as refused:
            if refused.notice:
                return await self.show(request, target, 200, notice=refused.message)
            if refused.clear:
                values = dataclasses.replace(values, note="", reason="", skip_reason="", trigger_note="", activate_reason="")
            return await self.show(request, target, refused.status, refused.message, values=values)
        finally:
            await form.close()
        query = f"?ok={OUTCOMES[action]}"
        if action == "trigger":
            query += "&occurrence=" + quote(label, safe="")
        return RedirectResponse(f"{request.url.path}{query}", status_code=303)

    async def record_done(self, target: Target, form: FormData, values: FormValues) -> None:
        if not target.viewer.may_mark:
            raise Refused(403, "Отметить этот этап может только ответственный за него.")
        data = await run_in_threadpool(read_page, self.context, target.active.id, target.planned.id)
        label = chosen_occurrence(
            target, values, data.status.stages[target.planned.id].occurrence, data.status.plan.stages[target.planned.id]
        )
        already(data, target, label)
        person = acting_person(target, values)
        day = done_day(values, data.today)
        url = evidence_link(values)
        upload = uploads.uploaded_file(form, "evidence_file")
        if upload is not None and url:
            raise Refused(422, "Укажите что-то одно: файл или ссылку на документ.")
        force = check_done(target, data, values, label, upload is not None or url is not None)
        saved = None
        if upload is not None:
            try:
                saved = await uploads.save_upload(upload)
            except uploads.TooLarge:
                raise Refused(413, TOO_LARGE) from None
            except uploads.Unacceptable as error:
                raise Refused(415, refusal_text(Refusal(str(error)))) from None
        try:
            await run_in_threadpool(
                recording.done,
                self.context.tracker,
                target.active.id,
                target.planned.id,
                by=person,
                actor=target.viewer.actor,
                note=values.note or None,
                evidence=str(saved.path) if saved else url,
                at=None if day == data.today else day.isoformat(),
                force=force,
                reason=values.reason if force else None,
                occurrence=label or None,
                channel="web",
                evidence_name=saved.name if saved else None,
            )
        except Refusal as refusal:
            await self.refused_by_recording(target, label, refusal)
        finally:
            if saved is not None:
                saved.path.unlink(missing_ok=True)

    async def record_skip(self, target: Target, values: FormValues) -> None:
        if not target.viewer.may_decide:
            raise Refused(403, "Пропустить этап может только его ответственный (первый в списке).")
        if not values.skip_reason:
            raise Refused(422, "Напишите, почему этап пропускается.")
        data = await run_in_threadpool(read_page, self.context, target.active.id, target.planned.id)
        label = chosen_occurrence(
            target, values, data.status.stages[target.planned.id].occurrence, data.status.plan.stages[target.planned.id]
        )
        already(data, target, label)
        person = acting_person(target, values)
        try:
            await run_in_threadpool(
                recording.skip,
                self.context.tracker,
                target.active.id,
                target.planned.id,
                by=person,
                actor=target.viewer.actor,
                reason=values.skip_reason,
                occurrence=label or None,
                channel="web",
            )
        except Refusal as refusal:
            await self.refused_by_recording(target, label, refusal)

    async def record_trigger(self, target: Target, values: FormValues) -> str:
        """A new outside event of a triggered stage (`recording.trigger`); its occurrence's label."""
        if not target.viewer.may_mark:
            raise Refused(403, "Записать повод может только ответственный за этап.")
        if not values.triggered_at and target.planned.stage.trigger is not None:
            raise Refused(422, NO_TRIGGER_MOMENT)  # a half-typed datetime-local arrives empty: not «now» silently
        try:
            outcome = await run_in_threadpool(
                recording.trigger,
                self.context.tracker,
                target.active.id,
                target.planned.id,
                actor=target.viewer.actor,
                at=values.triggered_at or None,
                by=target.viewer.person,
                note=values.trigger_note or None,
                channel="web",
            )
        except Refusal as refusal:
            raise Refused.by_use_case(422, refusal) from None
        return outcome.label

    async def record_activate(self, target: Target, values: FormValues) -> None:
        """An optional stage put to use (`recording.activate`), by its owner or an editor, with a reason."""
        if not target.viewer.may_decide:
            raise Refused(403, "Задействовать резервный этап может только его ответственный (первый в списке).")
        if not values.activate_reason:
            raise Refused(422, "Напишите, почему резервный этап задействован.")
        person = acting_person(target, values, "Выберите, кто решил задействовать резервный этап.")
        try:
            await run_in_threadpool(
                recording.activate,
                self.context.tracker,
                target.active.id,
                target.planned.id,
                by=person,
                actor=target.viewer.actor,
                reason=values.activate_reason,
                channel="web",
            )
        except Refusal as refusal:
            raise Refused.by_use_case(422, refusal) from None

    async def refused_by_recording(self, target: Target, label: str, refusal: Refusal) -> None:
        """The use case's own refusal: a completion recorded meanwhile reads as «уже отмечен …»."""
        data = await run_in_threadpool(read_page, self.context, target.active.id, target.planned.id)
        already(data, target, label)
        raise Refused.by_use_case(409, refusal)

    # --- endpoints ------------------------------------------------------------------------------

    async def link_page(self, request: Request) -> Response:
        token = str(request.path_params["token"])
        target = await run_in_threadpool(link_target, self.context, self.links, token)
        if target is None:
            return self.not_found(request)
        if request.method == "POST":
            return await self.submit(request, target)
        return await self.show(request, target)

    async def signed_in_page(self, request: Request) -> Response:
        from cyclogram.web.auth import require

        if request.method == "POST":
            user = require(self.context, request, *EDITORS)
        else:
            user = require(self.context, request)
        roadmap, stage = str(request.path_params["roadmap"]), str(request.path_params["stage"])
        target = await run_in_threadpool(signed_in_target, self.context, roadmap, stage, user.role, user.actor)
        if request.method == "POST":
            return await self.submit(request, target)
        return await self.show(request, target)

    async def evidence(self, request: Request) -> Response:
        sha256 = str(request.path_params["sha256"])
        token = request.query_params.get("link")
        if token is not None:
            found = await run_in_threadpool(self.linked_file, token, sha256) if uploads.is_sha256(sha256) else None
            if found is None:
                return self.not_found(request)
        else:
            from cyclogram.web.auth import require

            require(self.context, request)
            if not uploads.is_sha256(sha256):
                raise HTTPException(404)
        info = await run_in_threadpool(self.stored_file, sha256)
        path = evidence_path(self.context.tracker.evidence_root, sha256)
        if info is None or not path.is_file():
            raise HTTPException(404, "Файл подтверждения не найден.")
        return uploads.download_response(path, info.original_name)

    def linked_file(self, token: str, sha256: str) -> ActionLink | None:
        """Whether `token` is a valid link of a roadmap `sha256` was given for (any link kind)."""
        genuine = actionlinks.read(self.context.key, token, dt.date.min)
        if genuine is None:
            return None
        try:
            today = self.context.tracker.active(genuine.roadmap_id).today()
        except TrackingError:
            return None
        link = self.links.check(token, today)
        if link is None:
            return None
        with self.context.tracker.store.reading() as reader:
            return link if reads.evidence_in_roadmap(reader, link.roadmap_id, sha256) else None

    def stored_file(self, sha256: str) -> reads.EvidenceInfo | None:
        with self.context.tracker.store.reading() as reader:
            return reads.evidence(reader, sha256)


def routes(context: WebContext) -> list[BaseRoute]:
    pages = StagePages(context)
    return [
        Route("/a/{token}", pages.link_page, methods=["GET", "POST"]),
        Route("/r/{roadmap}/s/{stage}", pages.signed_in_page, methods=["GET", "POST"]),
        Route("/evidence/{sha256}", pages.evidence, methods=["GET"]),
    ]
