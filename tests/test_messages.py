"""Message texts: every reminder kind rendered from real `due_reminders()` output, in Russian,
in four forms (subject, text, HTML, chat), with escaping, limits, digests and the test message."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from helpers import HEADER, ROADMAPS

from cyclogram.engine.reminders import Kind, Reminder, due_reminders, without_duplicates
from cyclogram.engine.status import compute_status
from cyclogram.engine.tracking import Completion, CompletionState
from cyclogram.engine.validation import check_file, check_text
from cyclogram.notifiers.messages import (
    SHORT_LIMIT,
    SUBJECT_LIMIT,
    Message,
    available_languages,
    render_digest,
    render_reminder,
    render_test,
    shorten,
)

D = dt.date
IRKUTSK = ZoneInfo("Asia/Irkutsk")
SPT = ROADMAPS / "spt-usolye-2024.yaml"


@pytest.fixture(scope="module")
def spt():
    checked = check_file(str(SPT))
    assert checked.roadmap is not None
    return checked.roadmap


def done(stage_id: str, day: dt.date, by: str = "volkova", occurrence: str = "") -> Completion:
    return Completion(stage_id, CompletionState.DONE, dt.datetime.combine(day, dt.time(15), IRKUTSK), by, occurrence)


def reminders_on(roadmap, day, completions=()):
    status = compute_status(roadmap, list(completions), day)
    return status, without_duplicates(due_reminders(status))


def pick(reminders, kind: Kind, stage_id: str, person: str | None = None) -> Reminder:
    found = [r for r in reminders if r.kind is kind and r.stage_id == stage_id and (person is None or r.person == person)]
    assert found, f"no {kind.value} reminder for {stage_id}: {[(r.person, r.kind.value, r.stage_id) for r in reminders]}"
    return found[0]


def custom(stages: str):
    checked = check_text(HEADER + "stages:\n" + stages, "t.yaml")
    assert checked.roadmap is not None and checked.report.ok, [d.format() for d in checked.report.diagnostics]
    return checked.roadmap


# Labels that always begin a line of the text and chat forms.
LINE_LABELS = (
    "Срок:",
    "Документ:",
    "Нужно подтверждение",
    "Вместе с вами:",
    "Также отвечают:",
    "Ответственный:",
    "Отметить выполнение",
)


class _Balance(HTMLParser):
    """Checks that every opened element is closed, in order (void elements aside)."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> but open: {self.stack}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.data.append(data)


def check_message(message: Message) -> None:
    """What holds for every message: limits, one-line subject, sane HTML, no contacts."""
    assert isinstance(message, Message)
    assert message.subject and "\n" not in message.subject and len(message.subject) <= SUBJECT_LIMIT
    assert message.short and len(message.short) <= SHORT_LIMIT
    assert message.text.endswith("\n") and "\n\n\n" not in message.text
    html = message.html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ru">' in html and '<meta charset="utf-8">' in html
    parser = _Balance()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert not parser.tags & {"script", "style", "link", "img", "iframe"}  # inline styles, no external resources
    assert "src=" not in html and "url(" not in html and "http" not in html
    for body in (message.text, message.short):  # a label glued to the line above: a template ate a newline
        glued = re.findall(rf"[^\s]({'|'.join(LINE_LABELS)})", body)
        assert not glued, f"{glued} glued to the previous line in:\n{body}"
    for body in (message.subject, message.text, html, message.short):
        assert "@school12.example" not in body and "@school.example" not in body and "secret:" not in body
        assert "Ð" not in body and "\ufffd" not in body  # no mojibake
    assert any("а" <= ch <= "я" for ch in message.subject.lower())


# --- every kind from the real СПТ roadmap --------------------------------------------------------


def test_overdue_and_escalation_on_10_october(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 10))
    overdue = pick(reminders, Kind.OVERDUE, "local_act", "melnikova")
    message = render_reminder(overdue, status)
    check_message(message)
    assert message.subject == (
        "Просрочено: этап 3 «Актуализировать локальный акт о конфиденциальной…» — срок был 03.09.2024, вторник"
    )
    assert message.text.startswith("Здравствуйте, Мельникова Н.А.!\n\nПросрочено на 27 рабочих дней.\n")
    assert "Этап 3. Актуализировать локальный акт о конфиденциальной информации в ОО\n" in message.text
    assert "Срок: 03.09.2024, вторник — просрочен на 27 рабочих дней" in message.text
    assert "Документ: Положение" in message.text
    assert "Нужно подтверждение" in message.text
    assert "cyclogram done spt-usolye-2024 3 --by melnikova --evidence ФАЙЛ" in message.text
    assert (
        "Дорожная карта: План проведения СПТ по ЕМ в МБОУ «СОШ №12» по г. Усолье-Сибирское в 2024-2025 учебном году"
        in message.text
    )
    assert "Организация: МБОУ «СОШ №12», г. Усолье-Сибирское" in message.text
    assert message.short.startswith("⚠️ Просрочено на 27 рабочих дней\nЭтап 3 «Актуализировать")
    assert "cyclogram done spt-usolye-2024 3 --by melnikova --evidence ФАЙЛ" in message.short

    escalation = pick(reminders, Kind.ESCALATION, "include_in_plan", "melnikova")
    assert escalation.about == "toropkina"
    message = render_reminder(escalation, status)
    check_message(message)
    assert message.subject.startswith("Этап 1 «Включить проведение СПТ в план")
    assert message.subject.endswith("» просрочен на 28 рабочих дней — ответственный: Торопкина А.А.")
    assert "Здравствуйте, Мельникова Н.А.!" in message.text
    assert "Этап 1 просрочен на 28 рабочих дней — ответственный: Торопкина А.А.\n" in message.text  # no "А.А.."
    assert "Ответственный: Торопкина А.А., заместитель директора" in message.text
    # the supervisor is told how the owner marks it done, not to mark it herself
    assert "cyclogram done spt-usolye-2024 1 --by toropkina --evidence ФАЙЛ" in message.text
    assert "--by melnikova" not in message.text
    # the full title in the body, shortened (at a word boundary, with "…") in subject and chat text
    assert "организация индивидуальной коррекционной работы для психолога и т.д.)" in message.text
    title_in_short = re.search(r"«([^\n]*)»", message.short.splitlines()[1]).group(1)
    assert title_in_short.endswith("…") and "организация индивидуальной" not in title_in_short


def test_lead_plural_forms(spt):
    # internet (этап 15, melnikova) is due 15.10.2024 (Tue): 5, 2 and 1 working days before
    for day, words in [
        (D(2024, 10, 8), "5 рабочих дней"),
        (D(2024, 10, 11), "2 рабочих дня"),
        (D(2024, 10, 14), "1 рабочий день"),
    ]:
        status, reminders = reminders_on(spt, day)
        lead = pick(reminders, Kind.LEAD, "internet")
        message = render_reminder(lead, status)
        check_message(message)
        assert (
            message.subject
            == "Напоминание: этап 15 «Обеспечить своевременную оплату за пользование Интернетом» — срок 15.10.2024, вторник"
        )
        assert f"Напоминание: срок через {words}." in message.text
        verb = "остался" if words.startswith("1 ") else "осталось"
        assert f"Срок: 15.10.2024, вторник — {verb} {words}" in message.text
        assert message.short.startswith(f"⏰ Напоминание: срок через {words}\n")
        assert "Срок: 15.10.2024, вторник" in message.short


def test_overdue_by_one_working_day(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 16))
    message = render_reminder(pick(reminders, Kind.OVERDUE, "internet"), status)
    check_message(message)
    assert "Просрочено на 1 рабочий день." in message.text
    assert "просрочен на 1 рабочий день" in message.text


UPLOADED = [done("upload", D(2024, 10, 17))]


def test_unblocked_after_upload(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 18), UPLOADED)
    unblocked = {r.stage_id for r in reminders if r.kind is Kind.UNBLOCKED}
    assert unblocked == {"report_forms", "analysis", "feedback", "reports"}
    reminder = pick(reminders, Kind.UNBLOCKED, "report_forms", "volkova")
    message = render_reminder(reminder, status)
    check_message(message)
    assert "Этап 20 выполнен — можно начинать этап 21, срок до 22.10.2024, вторник." in message.text
    assert message.subject.startswith("Этап 20 выполнен — можно начинать этап 21 «Заполнить отчетные формы")
    assert message.subject.endswith("срок до 22.10.2024, вторник")
    assert "Этап 21. Заполнить отчетные формы по итогам тестирования.\n" in message.text
    assert "Документ: Отчетные формы" in message.text
    assert "cyclogram done spt-usolye-2024 21 --by volkova --evidence ФАЙЛ" in message.text
    assert message.short.startswith("✅ Этап 20 выполнен — можно начинать этап 21, срок до 22.10.2024, вторник\n")
    assert "осталось 2 рабочих дня" in message.short


def test_due_today_and_due_on_a_day_off(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 18), UPLOADED)
    message = render_reminder(pick(reminders, Kind.DUE, "reports"), status)
    check_message(message)
    assert message.subject.startswith("Сегодня срок: этап 25 «Подготовить и направить отчеты")
    assert message.subject.endswith("— 18.10.2024, пятница")
    assert "Сегодня срок." in message.text and "Срок: сегодня, 18.10.2024, пятница" in message.text
    assert "Примечание: Отчёты опираются на отчётные формы (п. 21)" in message.text
    assert message.short.startswith("⏰ Сегодня срок\n")

    # analysis (этап 22) is due upload.done + 10d = Sunday 27.10.2024: announced on Friday 25.10
    status, reminders = reminders_on(spt, D(2024, 10, 25), UPLOADED)
    reminder = pick(reminders, Kind.DUE, "analysis")
    assert reminder.due == D(2024, 10, 27) and reminder.days_left == 0
    message = render_reminder(reminder, status)
    check_message(message)
    assert "Срок 27.10.2024, воскресенье — нерабочий день, поэтому напоминаем сегодня." in message.text
    assert message.subject.startswith("Срок 27.10.2024, воскресенье: этап 22 «Провести анализ")
    assert "срок сегодня" not in message.text


def test_co_responsible_names_exclude_the_recipient(spt):
    # этап 7 (info_campaign): toropkina, volkova and the class teachers; unblocked when 4 and 6 are done
    completions = [
        done("plan", D(2024, 9, 5), "toropkina"),
        done("local_act", D(2024, 9, 3), "melnikova"),
        done("teachers_council", D(2024, 9, 6), "toropkina"),
        done("consent_forms", D(2024, 9, 5)),
    ]
    status, reminders = reminders_on(spt, D(2024, 9, 9), completions)
    reminder = pick(reminders, Kind.UNBLOCKED, "info_campaign", "volkova")
    message = render_reminder(reminder, status)
    check_message(message)
    assert "Вместе с вами отвечают: Торопкина А.А., Иванова И.И., Петрова П.П., Сидорова С.С." in message.text
    assert "Вместе с вами: Торопкина А.А., Иванова И.И., Петрова П.П. и ещё 1" in message.short
    assert "Волкова Л.А." not in message.text.split("Здравствуйте, Волкова Л.А.!", 1)[1]
    assert "Вместе с вами" in message.html and "Сидорова С.С." in message.html


def test_every_spt_stage_and_kind_fits_the_limits(spt):
    """Subjects ≤ 120 and chat texts ≤ 1000 characters even for the longest titles and documents."""
    status, _ = reminders_on(spt, D(2024, 10, 10))
    longest = max(status.plan.stages.values(), key=lambda planned: len(planned.stage.title))
    assert len(longest.stage.title) > 300
    for stage_id, planned in status.plan.stages.items():
        for kind in Kind:
            due = (
                D(2024, 10, 10)
                if kind is Kind.DUE
                else D(2024, 9, 23)
                if kind in (Kind.OVERDUE, Kind.ESCALATION)
                else D(2024, 10, 23)
            )
            reminder = Reminder(
                spt.id,
                stage_id,
                "",
                planned.responsible[0],
                kind,
                None if kind is Kind.CHECKIN else due,
                D(2024, 10, 10),
                days_left=9 if kind in (Kind.LEAD, Kind.UNBLOCKED) else 0 if kind is Kind.DUE else None,
                days_late=12 if kind in (Kind.OVERDUE, Kind.ESCALATION, Kind.BLOCKING) else None,
                step="checkin:2024-10-01" if kind is Kind.CHECKIN else "x",
                about={Kind.UNBLOCKED: "upload", Kind.ESCALATION: "toropkina", Kind.BLOCKING: "report_forms"}.get(kind),
            )
            if kind is Kind.ESCALATION:
                reminder = dataclasses.replace(reminder, person="melnikova")
            message = render_reminder(reminder, status)
            check_message(message)
            assert "<" not in message.short and "&" not in message.short  # plain text, no markup
            assert planned.stage.title.split()[0] in message.subject
            assert " ".join(planned.stage.title.split()) in " ".join(message.text.split())  # the full title


# --- occurrences, check-ins, unknown dates, escaping (small roadmaps) ---------------------------

SMALL = """\
  - {id: safe, number: "24", title: Обеспечить конфиденциальность данных, due: continuous, check_every: month, document: Сейф и ключи, responsible: [volkova]}
  - {id: order, number: "5", title: Издать приказ, months: [сентябрь 2024, март 2025], document: Приказ, evidence_required: true, responsible: [volkova, toropkina]}
  - {id: first, number: "1", title: Первый этап, due: 2024-10-01, responsible: [volkova]}
  - {id: waiting, number: "2", title: Выдать справки, trigger: по мере поступления запросов, within: 3wd, depends_on: [first], responsible: [volkova]}
"""


def test_checkin_on_the_first_working_day_of_the_month():
    model = custom(SMALL)
    status, reminders = reminders_on(model, D(2024, 10, 1))
    reminder = pick(reminders, Kind.CHECKIN, "safe")
    message = render_reminder(reminder, status)
    check_message(message)
    assert message.subject == "Постоянный этап 24 «Обеспечить конфиденциальность данных»: отметьте, как идёт работа"
    assert "Постоянный этап: отметьте, как идёт работа." in message.text
    assert "Срок: постоянно (отчётный период с 01.10.2024)" in message.text
    assert "сообщите руководителю (Торопкина А.А.)" in message.text
    assert "cyclogram done" not in message.text  # a continuous stage is never marked done
    assert message.short.startswith("ℹ️ Постоянный этап: отметьте, как идёт работа\n")


def test_occurrence_label_is_shown_and_passed_to_done():
    model = custom(SMALL)
    status, reminders = reminders_on(model, D(2024, 10, 1))
    reminder = pick(reminders, Kind.OVERDUE, "order", "volkova")
    assert reminder.occurrence == "сентябрь 2024"
    message = render_reminder(reminder, status)
    check_message(message)
    assert "этап 5 «Издать приказ» (сентябрь 2024)" in message.subject
    assert "Повторение: сентябрь 2024" in message.text
    assert "Срок: 30.09.2024, понедельник — просрочен на 1 рабочий день" in message.text
    assert "cyclogram done test-roadmap 5 --by volkova --occurrence 'сентябрь 2024' --evidence ФАЙЛ" in message.text
    assert "Вместе с вами отвечает: Торопкина А.А." in message.text
    assert "Этап 5 «Издать приказ» (сентябрь 2024)" in message.short


def test_unblocked_without_a_date_yet():
    model = custom(SMALL)
    status, reminders = reminders_on(model, D(2024, 10, 2), [done("first", D(2024, 10, 1))])
    reminder = pick(reminders, Kind.UNBLOCKED, "waiting")
    assert reminder.due is None
    message = render_reminder(reminder, status)
    check_message(message)
    assert "Этап 1 выполнен — можно начинать этап 2, срок пока не определён." in message.text
    assert "Срок: пока не определён" in message.text
    assert message.subject.endswith("срок пока не определён")


NASTY = """\
  - id: xss
    number: "7"
    title: 'Проверить <script>alert("x")</script> & «кавычки» ''одинарные'' в отчёте'
    due: 2024-10-21
    document: 'Акт <b>№1</b> & "копия"'
    expected_result: 'Все <i>формы</i> заполнены'
    notes: "Первая строка <br>\\nвторая строка & всё"
    notes_for_staff: true
    responsible: [volkova, toropkina]
"""


def test_roadmap_text_is_escaped_in_html_and_verbatim_elsewhere():
    model = custom(NASTY)
    status, reminders = reminders_on(model, D(2024, 10, 14))
    reminder = pick(reminders, Kind.LEAD, "xss", "volkova")
    message = render_reminder(reminder, status)
    check_message(message)
    raw_title = "Проверить <script>alert(\"x\")</script> & «кавычки» 'одинарные' в отчёте"
    assert "<script>" not in message.html and "<b>№1</b>" not in message.html and "<i>формы</i>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; «кавычки» &#39;одинарные&#39;" in message.html
    assert "Акт &lt;b&gt;№1&lt;/b&gt; &amp; &#34;копия&#34;" in message.html
    assert "Первая строка &lt;br&gt;<br>\nвторая строка &amp; всё" in message.html  # line breaks kept, text escaped
    assert f"Этап 7. {raw_title}\n" in message.text
    assert 'Документ: Акт <b>№1</b> & "копия"' in message.text
    assert "Ожидаемый результат: Все <i>формы</i> заполнены" in message.text
    assert raw_title in message.short
    assert "<script>" in message.subject  # a subject is plain text: the mail client shows it as is
    # the data of the HTML reads like the text
    parser = _Balance()
    parser.feed(message.html)
    assert raw_title in "".join(parser.data)


def test_long_texts_still_fit_the_chat_limit():
    long_title = " ".join(["Очень длинное название этапа"] * 120)[:3990]
    long_doc = " ".join(["документ"] * 400)[:3990]
    people = "".join(f"  p{i}: {{name: Педагогова{i} П.П.}}\n" for i in range(30))
    text = (
        HEADER.replace("events:\n", "  " + people.strip() + "\nevents:\n")
        + "stages:\n"
        + f"  - {{id: big, number: '99', title: '{long_title}', due: 2024-10-21, document: '{long_doc}', expected_result: '{long_doc}', notes: '{long_doc}', notes_for_staff: true, responsible: [volkova, toropkina, "
        + ", ".join(f"p{i}" for i in range(30))
        + "]}\n"
    )
    checked = check_text(text, "t.yaml")
    assert checked.roadmap is not None, [d.format() for d in checked.report.diagnostics]
    status, reminders = reminders_on(checked.roadmap, D(2024, 10, 14))
    message = render_reminder(pick(reminders, Kind.LEAD, "big", "volkova"), status)
    check_message(message)
    assert "и ещё" in message.short
    assert long_title in message.text


# --- digest -------------------------------------------------------------------------------------


def test_digest_orders_most_urgent_first(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 10))
    mine = [r for r in reminders if r.person == "melnikova"]
    # stage 5 (the order) is late while it waits for stages 2 and 3: melnikova, owner of 3, is told
    assert {r.kind for r in mine} == {Kind.ESCALATION, Kind.OVERDUE, Kind.LEAD, Kind.BLOCKING}
    (blocking,) = [r for r in mine if r.kind is Kind.BLOCKING]  # one, however many stages wait
    assert (blocking.stage_id, blocking.about) == ("local_act", "consent_forms")
    assert "order" in blocking.held and len(blocking.held) == 7
    message = render_digest(list(reversed(mine)), status)  # the input order does not matter
    assert "не может начаться, пока не выполнен ваш этап 3" in message.text  # merged into stage 3's item
    assert "Из-за этого ждут и другие просроченные этапы: 5," in message.text
    check_message(message)
    assert message.subject.startswith("Напоминания на 10.10.2024: 5 этапов, просрочено: 3 — План проведения СПТ")
    text = message.text
    assert text.startswith("Здравствуйте, Мельникова Н.А.!\n\nНапоминания на 10.10.2024, четверг: 5 этапов")
    order = [
        text.index(marker)
        for marker in (
            "Просрочено у сотрудников (вы — руководитель):",
            "• Этап 1. Включить",
            "• Этап 2. Разработать",  # 28 days late before 24
            "Просрочено:",
            "• Этап 3. Актуализировать",
            "Скоро срок:",
            "• Этап 15. Обеспечить",
            "• Этап 18. Осуществлять",
        )
    ]
    assert order == sorted(order)
    assert "Ответственный: Торопкина А.А." in text
    assert "cyclogram done spt-usolye-2024 3 --by melnikova --evidence ФАЙЛ" in text
    short = message.short
    assert short.startswith("⚠️ Напоминания на 10.10.2024: 5 этапов\n")
    assert short.index("Просрочено:") < short.index("Скоро срок:")
    assert short.index("• Этап 3 ") < short.index("• Этап 15 ")
    html = message.html
    assert html.index("Этап 3. Актуализировать") < html.index("Этап 15. Обеспечить")


def test_digest_merges_kinds_about_one_stage(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 18), UPLOADED)
    mine = [r for r in reminders if r.person == "volkova"]
    assert sorted((r.stage_id, r.kind.value) for r in mine if r.stage_id == "report_forms") == [
        ("report_forms", "lead"),
        ("report_forms", "unblocked"),
    ]
    message = render_digest(mine, status)
    check_message(message)
    assert message.text.count("• Этап 21.") == 1
    assert "Можно начинать:" in message.text and "Этап 20 выполнен — можно начинать." in message.text
    assert message.subject.startswith("Напоминания на 18.10.2024: 3 этапа — ")


def test_digest_chat_text_says_how_many_did_not_fit():
    stages = "".join(
        f"  - {{id: s{i}, number: '{i}', title: 'Длинное название этапа номер {i} о разном, чтобы места не хватило на всё сразу', due: 2024-10-0{1 + i % 3}, responsible: [volkova]}}\n"
        for i in range(1, 25)
    )
    model = custom(stages)
    status, reminders = reminders_on(model, D(2024, 10, 10))
    reminders = [r for r in reminders if r.person == "volkova"]
    assert len(reminders) == 24
    message = render_digest(reminders, status)
    check_message(message)
    assert re.search(r"…и ещё \d+ этап(а|ов)? — подробности в письме", message.short)
    assert message.text.count("• Этап ") == 24


def test_digest_refuses_mixed_people_and_nothing(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 10))
    with pytest.raises(ValueError, match="одного человека"):
        render_digest(reminders, status)
    with pytest.raises(ValueError):
        render_digest([], status)


# --- test message, languages, helpers -----------------------------------------------------------


def test_render_test(spt):
    message = render_test("volkova", spt)
    check_message(message)
    assert message.subject == "Проверка канала уведомлений Cyclogram"
    assert message.text.startswith("Здравствуйте, Волкова Л.А.!\n")
    assert "Вы указаны ответственным в 12 этапах." in message.text
    assert "около 09:00 (Asia/Irkutsk)" in message.text
    assert "План проведения СПТ" in message.short and "Волкова Л.А." in message.short
    assert "Проверка канала уведомлений Cyclogram" in message.html
    assert "Вы указаны ответственным в 1 этапе." in render_test("karandina", spt).text
    with pytest.raises(ValueError, match="nobody"):
        render_test("nobody", spt)


def test_languages(spt):
    assert "ru" in available_languages()
    for language in ("xx", "../ru", "ru/../ru", ""):
        with pytest.raises(ValueError, match=r"есть: .*ru"):
            render_test("volkova", spt, language=language)
    status, reminders = reminders_on(spt, D(2024, 10, 10))
    with pytest.raises(ValueError, match="ru"):
        render_reminder(reminders[0], status, language="en")
    with pytest.raises(ValueError, match="ru"):
        render_digest(reminders[:1], status, language="de")


def test_reminder_must_match_the_status(spt):
    status, reminders = reminders_on(spt, D(2024, 10, 10))
    with pytest.raises(ValueError, match="нет этапа"):
        render_reminder(dataclasses.replace(reminders[0], stage_id="no_such_stage"), status)
    with pytest.raises(ValueError, match=r"другой|относится"):
        render_reminder(dataclasses.replace(reminders[0], roadmap_id="other"), status)


def test_shorten_cuts_at_a_word_boundary():
    assert shorten("Заполнить отчетные формы по итогам тестирования.", 30) == "Заполнить отчетные формы…"  # not "по…"
    assert (
        shorten("План проведения СПТ по ЕМ в МБОУ «СОШ №12» по г. Усолье-Сибирское", 52)
        == "План проведения СПТ по ЕМ в МБОУ «СОШ №12»…"
    )
    assert shorten("Заполнить отчетные формы по итогам тестирования.", 100) == "Заполнить отчетные формы по итогам тестирования"
    assert shorten("и т.д.", 100) == "и т.д."
    assert shorten("Одно\n  слово", 100) == "Одно слово"
    assert len(shorten("Сверхдлинноесловобезпробеловвообще", 10)) == 10
