"""Everything the bot says, in Russian, in one place (plain text: messages are sent without markup).

Functions take plain values (numbers, names, dates) so that the wording can change without
touching the use cases; nothing here reads the database or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cyclogram.engine import russian

DONE_BUTTON = "✅ Выполнено"
EVIDENCE_BUTTON = "📎 Приложить документ"
OPEN_BUTTON = "Открыть"
MAX_FILE_MB = 20
FILE_TYPES = "PDF, JPG, PNG, DOCX, XLSX, ODT, ODS, TXT или CSV"

NOT_LINKED = (
    "Этот чат пока ни к кому не привязан. Попросите у заместителя директора ссылку для подключения Telegram "
    "или откройте свою страницу «Мои этапы» и нажмите «Подключить Telegram»."
)
BAD_CODE = "Ссылка для подключения недействительна: она уже использована, устарела или заменена новой. Попросите новую."
PRIVATE_ONLY = "Подключить можно только личный чат с ботом: откройте ссылку в личной переписке с ним."
CODE_BURNED = "Эта ссылка показана всей группе, поэтому больше не действует: попросите новую."
STOP_NOTHING = "Этот чат ни к кому не привязан: отвязывать нечего."
BAD_BUTTON = "Кнопка не распознана или устарела. Свежий список этапов — /мои."
OTHER_CHAT = "Эта кнопка из другого чата: отметить этап можно только в чате, куда пришло напоминание."
GROUP_BUTTON = "Отмечать этапы можно только в личном чате с ботом."
GONE_STAGE = "Этого этапа больше нет в текущей версии дорожной карты."
GONE_ROADMAP = "Дорожной карты этого напоминания больше нет: отмечать нечего."
DUPLICATE = "Уже учтено."
NO_TARGET = (
    "Чтобы приложить документ, пришлите его ответом на напоминание об этапе (смахните сообщение влево "
    "или выберите «Ответить»), либо нажмите под напоминанием «📎 Приложить документ»."
)
MANY_ITEMS = "В этом сообщении несколько этапов: нажмите «📎» у нужного и пришлите файл ответом на мой вопрос."
ASK_TOAST = "Пришлите файл или фото документа ответом на сообщение."
FAILED = "Не получилось обработать сообщение. Попробуйте ещё раз чуть позже."
UNKNOWN = "Я понимаю кнопки под напоминаниями и команды /мои, /сегодня, /помощь. Документ пришлите ответом на напоминание."
FILE_TOO_BIG = (
    f"Файл больше {MAX_FILE_MB} МБ: Telegram не даёт ботам скачивать такие. Сожмите его или отметьте этап "
    "по кнопке «Открыть», указав ссылку на документ."
)
FILE_EMPTY = "Файл пустой: пришлите файл с документом."
FILE_LOST = "Не удалось получить файл от Telegram. Пришлите его ещё раз."
ONLY_SUPERVISORS = (
    "Команда /просрочено — для руководства школы: директора и его заместителей (по должности в дорожной карте) "
    "и тех, кто указан в ней как supervisor других (им же приходят сообщения о просрочках)."
)


def person_line(name: str, roadmap_title: str) -> str:
    return f"{name} — «{russian.shorten(roadmap_title, 80)}»"


def linked(name: str, roadmap_title: str) -> str:
    return (
        f"Готово! Этот чат привязан: {person_line(name, roadmap_title)}.\n"
        "Сюда будут приходить напоминания о сроках с кнопками «✅ Выполнено» и «📎 Приложить документ».\n"
        "/мои — ваши этапы, /помощь — что я умею, /stop — отвязать чат."
    )


def already_linked(name: str, roadmap_title: str) -> str:
    return f"Этот чат уже привязан: {person_line(name, roadmap_title)}. /мои — ваши этапы."


def unlinked(lines: Sequence[str]) -> str:
    return "Чат отвязан: " + "; ".join(lines) + ". Напоминания сюда больше не придут; подключиться снова — по новой ссылке."


def still_in_roadmap(lines: Sequence[str]) -> str:
    return (
        "Этот чат записан в контактах дорожной карты (" + "; ".join(lines) + "): такие напоминания будут приходить, "
        "пока заместитель директора не уберёт его из карты."
    )


def help_text(people: Sequence[str], supervisor: bool) -> str:
    lines = ["Я присылаю напоминания о сроках этапов и принимаю отметки о выполнении."]
    if people:
        lines.append("Этот чат привязан: " + "; ".join(people) + ".")
    lines += [
        "",
        f"• «{DONE_BUTTON}» под напоминанием — этап отмечен выполненным.",
        f"• «{EVIDENCE_BUTTON}» — пришлите файл или фото документа ответом на сообщение (до {MAX_FILE_MB} МБ: {FILE_TYPES}).",
        f"• «{OPEN_BUTTON}» — страница этапа в веб-приложении школы.",
        "",
        "/мои — просроченные этапы и этапы этой недели",
        "/сегодня — этапы со сроком сегодня",
    ]
    if supervisor:
        lines.append("/просрочено — все просроченные этапы дорожной карты")
    lines += ["/stop — отвязать этот чат", "/помощь — эта справка"]
    return "\n".join(lines)


def stage_name(number: str, title: str, occurrence: str = "", limit: int = 80) -> str:
    label = f" ({occurrence})" if occurrence else ""
    return f"{number} «{russian.shorten(title, limit)}»{label}"


def moment(at: dt.datetime) -> str:
    """«14.10.2024 в 10:32»."""
    return f"{russian.format_date(at.date())} в {at:%H:%M}"


def done_ok(number: str) -> str:
    return f"Этап {number} отмечен выполненным."


def done_line(state: str, at: dt.datetime, number: str | None = None) -> str:
    """The line added to a reminder once its stage is done: «✅ выполнено 14.10.2024 в 10:32»."""
    icon, verb = ("✅", "выполнено") if state == "done" else ("⊘", "пропущено")
    head = f"{icon} Этап {number}: {verb}" if number else f"{icon} {verb}"
    return f"{head} {moment(at)}"


def already(number: str, occurrence: str, state: str, at: dt.datetime, by: str) -> str:
    word = "выполненным" if state == "done" else "пропущенным"
    label = f" ({occurrence})" if occurrence else ""
    return f"Этап {number}{label} уже отмечен {word} {moment(at)} ({by})."


def blocked(number: str, waits_for: Sequence[str]) -> str:
    return f"Этап {number} пока заблокирован: не выполнены этапы {', '.join(waits_for)}. Отметьте его, когда они будут выполнены."


def not_responsible(number: str, names: Sequence[str]) -> str:
    return _sentence(f"Отметить этап {number} может только ответственный: {', '.join(names) or 'не назначен'}")


def _sentence(text: str) -> str:
    """A final period, unless the text ends with one already («…Волкова Л.А.»)."""
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def not_linked_any_more(name: str) -> str:
    return f"Этот чат больше не привязан к {name}: отметки отсюда не принимаются."


def ask_file(number: str, title: str, document: str | None) -> str:
    what = f" — {russian.shorten(document, 150)}" if document else ""
    return (
        f"Этап {stage_name(number, title)}: нужно подтверждение{what}.\n"
        f"Пришлите файл или фото документа ответом на это сообщение (до {MAX_FILE_MB} МБ: {FILE_TYPES})."
    )


def file_saved(number: str, name: str) -> str:
    return f"Этап {number} отмечен выполненным, подтверждение «{name}» сохранено."


def refused(reason: str) -> str:
    return "Не отмечено: " + (reason[:1].lower() + reason[1:] if reason else "причина неизвестна")


def list_heading(title: str, name: str, roadmap_title: str) -> str:
    return f"{title} — {person_line(name, roadmap_title)}"


def nothing_listed(today_only: bool) -> str:
    return "На сегодня сроков нет." if today_only else "Просроченных этапов и сроков на этой неделе нет."


def overdue_more(count: int) -> str:
    return f"…и ещё {count} {russian.plural(count, 'этап', 'этапа', 'этапов')}"


def days_late(days: int | None) -> str:
    if not days:
        return "просрочен"
    return f"просрочен на {days} {russian.plural(days, 'рабочий день', 'рабочих дня', 'рабочих дней')}"


def due_text(day: dt.date | None) -> str:
    return f"срок {russian.format_date_weekday(day)}" if day else "срок не определён"
