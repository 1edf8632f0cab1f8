"""Telegram both ways, with real parts: the real `cyclogram bot` process (long polling) and the real
command line against a fake Bot API on loopback (tests/fake_telegram.py) and a real database —
linking a chat with a deep link, reminders with buttons from `cyclogram remind`, «Выполнено»,
evidence as a document or a photo, refusals, /мои, /просрочено, /stop, the bot killed mid-update,
the webhook route of the web app, and the person page's «Подключить Telegram».

No test touches the real Telegram; no assertion is about time (waits are bounded polls)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fake_telegram import TOKEN, USERNAME, FakeTelegram, Sent, wait
from helpers import AppServer

ROADMAP = """\
id: tg-roadmap
title: Выгрузка и отчёты СПТ
organization: МБОУ «СОШ №12»
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  melnikova: {name: Мельникова Н.А., position: директор}
  toropkina: {name: Торопкина А.А., position: заместитель директора по УВР, supervisor: melnikova}
  volkova: {name: Волкова Л.А., position: педагог-психолог, supervisor: melnikova}
  petrova: {name: Петрова П.П., position: классный руководитель, supervisor: melnikova, contacts: {telegram: "7770001"}}
stages:
  - {id: upload, number: "20", title: Произвести выгрузку результатов тестирования, due: 2024-10-14, responsible: [volkova]}
  - id: forms
    number: "21"
    title: Заполнить отчётные формы
    document: Отчётные формы по СПТ
    evidence_required: true
    due: 2024-10-14
    responsible: [volkova]
  - {id: photos, number: "22", title: Фотоотчёт о классном часе, evidence_required: true, due: 2024-10-14, responsible: [volkova]}
  - {id: codes, number: "10", title: Выдать коды участникам тестирования, due: 2024-10-14, responsible: [volkova]}
  - {id: review, number: "30", title: Проверить списки классов, due: 2024-10-14, responsible: [petrova]}
  - {id: summary, number: "31", title: Подготовить итоговую справку, due: 2024-10-16, depends_on: [review], responsible: [volkova]}
"""
DAY = "2024-10-14"
VOLKOVA = 5550001
TOROPKINA = 5550002
PETROVA = 7770001  # the roadmap's own `telegram:` contact
STRANGER = 9990001
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
DEEP_LINK = re.compile(rf"https://t\.me/{USERNAME}\?start=([A-Za-z0-9_-]+)")
DONE_AT = re.compile(r"✅ выполнено (\d\d\.\d\d\.\d{4} в \d\d:\d\d)")
ZONE = ZoneInfo("Asia/Irkutsk")  # the roadmap's


@dataclass
class World:
    tmp: Path
    fake: FakeTelegram
    api_url: str
    bots: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def home(self) -> Path:
        return self.tmp / "home"

    @property
    def database(self) -> str:
        return f"sqlite:///{self.home / 'cyclogram.db'}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CYCLOGRAM_", "PREFECT_API"))}
        env.update(
            CYCLOGRAM_HOME=str(self.home),
            CYCLOGRAM_CACHE_DIR=str(self.tmp / "cache"),
            CYCLOGRAM_SECRET_TELEGRAM_BOT_TOKEN=TOKEN,
            CYCLOGRAM_SECRET_WEB_SECRET="a web secret for the telegram tests",
            CYCLOGRAM_TELEGRAM_API_URL=self.api_url,
            CYCLOGRAM_BASE_URL="https://cyclogram.school12.example",
            CYCLOGRAM_ACTOR="zavuch",
            COLUMNS="200",
        )
        return env

    def cli(self, *args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "cyclogram", *args], capture_output=True, text=True, env=self.env(), timeout=180
        )
        if code is not None:
            assert done.returncode == code, f"{args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def start_bot(self) -> subprocess.Popen[bytes]:
        polls = len(self.fake.offsets)
        log = (self.tmp / f"bot-{len(self.bots)}.log").open("wb")
        bot = subprocess.Popen(
            [sys.executable, "-m", "cyclogram", "bot", "--poll-timeout", "1"], env=self.env(), stdout=log, stderr=log
        )
        self.bots.append(bot)
        wait(lambda: len(self.fake.offsets) > polls or bot.poll() is not None, "бот начал опрашивать Telegram")
        assert bot.poll() is None, self.bot_log()
        return bot

    def bot_log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("bot-*.log")))

    def stop_bots(self) -> None:
        for bot in self.bots:
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
                try:
                    bot.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    bot.kill()
                    bot.wait()

    def link(self, person: str, chat: int) -> None:
        """Link a chat through the bot with a code made in-process (the command line's own path is
        in `test_a_reminder_answered_from_telegram`)."""
        from cyclogram.bot import chats
        from cyclogram.store import open_store
        from cyclogram.tracker import Tracker

        store = open_store(self.database)
        try:
            code = chats.invite(Tracker(store, self.home / "evidence"), "tg-roadmap", person, "zavuch").code
        finally:
            store.close()
        self.fake.message(chat, f"/start {code}")
        wait(lambda: any("Готово! Этот чат привязан" in s.text for s in self.fake.sent_to(chat)), f"{person}: чат привязан")

    def status(self) -> dict[str, dict[str, Any]]:
        """`cyclogram status --format json`, by stage id."""
        return {row["id"]: row for row in json.loads(self.cli("status", "tg-roadmap", "--format", "json").stdout)["stages"]}

    def cli_history(self) -> list[dict[str, Any]]:
        """`cyclogram history --format json`."""
        return list(json.loads(self.cli("history", "tg-roadmap", "--format", "json").stdout))

    def history(self) -> list[dict[str, Any]]:
        """The audit log read from the database directly (the command line costs a process per look)."""
        with sqlite3.connect(self.home / "cyclogram.db") as connection:
            rows = connection.execute("SELECT actor, action, stage_id, payload FROM audit_event ORDER BY seq").fetchall()
        return [{"actor": r[0], "action": r[1], "stage_id": r[2], "payload": json.loads(r[3])} for r in rows]

    def done_events(self, stage: str) -> list[dict[str, Any]]:
        return [e for e in self.history() if e["action"] == "stage.done" and e["stage_id"] == stage]

    def recorded(self, stage: str) -> bool:
        with sqlite3.connect(self.home / "cyclogram.db") as connection:
            row = connection.execute(
                "SELECT state FROM stage_state WHERE roadmap_id = 'tg-roadmap' AND stage_id = ?", (stage,)
            ).fetchone()
        return bool(row and row[0] == "done")


def reminder(fake: FakeTelegram, chat: int, number: str) -> Sent:
    return wait(
        lambda: next((s for s in fake.sent_to(chat) if f"Этап {number} «" in s.text and s.reply_markup), None),
        f"напоминание {number}",
    )


def answer_of(fake: FakeTelegram, update: dict[str, Any]) -> dict[str, Any]:
    return wait(lambda: (fake.answered(update) or [None])[-1], f"ответ на нажатие {update['update_id']}")


def done_at(text: str) -> dt.datetime:
    """The moment «✅ выполнено 14.10.2024 в 10:32» in an edited message says, in the roadmap's zone."""
    found = DONE_AT.search(text)
    assert found, text
    return dt.datetime.strptime(found[1], "%d.%m.%Y в %H:%M").replace(tzinfo=ZONE)


def reply_after(fake: FakeTelegram, chat: int, count: int, what: str) -> Sent:
    return wait(lambda: (fake.sent_to(chat)[count:] or [None])[0], what)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fake = FakeTelegram()
    with AppServer(fake.app) as server:
        world = World(tmp_path, fake, server.url)
        (tmp_path / "tg-roadmap.yaml").write_text(ROADMAP, encoding="utf-8")
        world.cli("load", str(tmp_path / "tg-roadmap.yaml"))
        try:
            yield world
        finally:
            world.stop_bots()


def test_a_reminder_answered_from_telegram(world: World) -> None:
    fake = world.fake
    world.start_bot()

    # Linking: the deep link's code, once; nobody else can use it again.
    printed = world.cli("telegram", "link", "tg-roadmap", "volkova").stdout
    code = DEEP_LINK.search(printed)
    assert code and "Волкова Л.А." in printed, printed
    fake.message(VOLKOVA, f"/start {code[1]}")
    greeting = reply_after(fake, VOLKOVA, 0, "ответ на /start")
    assert "Готово! Этот чат привязан: Волкова Л.А." in greeting.text
    fake.message(STRANGER, f"/start {code[1]}")
    assert "недействительна" in reply_after(fake, STRANGER, 0, "отказ повторному коду").text
    linked = [e for e in world.history() if e["action"] == "telegram.linked"]
    assert [(e["payload"]["person"], e["payload"]["chat"]) for e in linked] == [("volkova", str(VOLKOVA))]
    assert code[1] not in json.dumps(world.history(), ensure_ascii=False)  # the code is never in the log
    world.link("toropkina", TOROPKINA)

    # Reminders: one message per stage, with buttons, to the linked chat and to the roadmap's contact.
    remind = world.cli("remind", "tg-roadmap", "--as-of", DAY)
    assert "Отправлено: 5" in remind.stdout, remind.stdout + remind.stderr
    upload, forms, photos = reminder(fake, VOLKOVA, "20"), reminder(fake, VOLKOVA, "21"), reminder(fake, VOLKOVA, "22")
    assert [b["text"] for b in upload.buttons()] == ["✅ Выполнено", "📎 Приложить документ", "Открыть"]
    assert upload.button("Открыть")["url"].startswith("https://cyclogram.school12.example/a/")
    assert all(len(b["callback_data"].encode()) <= 64 for b in upload.buttons() if "callback_data" in b)
    assert TOKEN not in world.cli("outbox").stdout

    # «Выполнено»: recorded once, the message edited, the audit log says Telegram.
    press = fake.press(VOLKOVA, upload, upload.button("✅")["callback_data"])
    assert answer_of(fake, press)["text"] == "Этап 20 отмечен выполненным."
    edit = wait(lambda: fake.edits_of(upload), "сообщение исправлено")[-1]
    assert edit["text"].startswith(upload.text.rstrip()) and edit["text"].rstrip().endswith(DONE_AT.search(edit["text"])[0])
    # «выполнено DD.MM.YYYY в HH:MM» is when it was pressed, in the school's own time zone
    assert abs(done_at(edit["text"]) - dt.datetime.now(ZONE)) < dt.timedelta(minutes=5)
    assert [b["text"] for row in edit["reply_markup"]["inline_keyboard"] for b in row] == ["Открыть"]
    assert world.status()["upload"]["status"] in ("done", "done_late")
    (event,) = [e for e in world.cli_history() if e["action"] == "stage.done" and e["stage_id"] == "upload"]
    assert (
        event["actor"] == f"telegram:{VOLKOVA}"
        and event["payload"]["channel"] == "telegram"
        and event["payload"]["by"] == "volkova"
    )

    # Pressed again, or by a stranger: nothing doubled, nothing recorded.
    again = fake.press(VOLKOVA, upload, upload.button("✅")["callback_data"])
    assert "уже отмечен выполненным" in answer_of(fake, again)["text"]
    stranger = fake.press(STRANGER, upload, upload.button("✅")["callback_data"])
    assert "из другого чата" in answer_of(fake, stranger)["text"]
    forged = fake.press(VOLKOVA, upload, upload.button("✅")["callback_data"][:-2] + "AA")
    assert "не распознана" in answer_of(fake, forged)["text"]
    assert len(world.done_events("upload")) == 1
    fake.message(STRANGER, "/мои")
    assert "не привязан" in reply_after(fake, STRANGER, 1, "ответ незнакомцу").text

    # Evidence required: «Выполнено» asks for a file; a document in reply records it with its name.
    ask_press = fake.press(VOLKOVA, forms, forms.button("✅")["callback_data"])
    assert "Пришлите файл" in answer_of(fake, ask_press)["text"]
    ask = wait(lambda: next((s for s in fake.sent_to(VOLKOVA) if "нужно подтверждение" in s.text), None), "просьба прислать файл")
    assert ask.reply_to == forms.message_id and ask.message.get("reply_markup") is None
    assert not world.recorded("forms")
    sent_before = len(fake.sent_to(VOLKOVA))
    fake.document(VOLKOVA, "virus.exe", b"MZ\x90\x00", reply_to=ask)
    assert "не принимаются" in reply_after(fake, VOLKOVA, sent_before, "отказ в .exe").text
    fake.document(VOLKOVA, "Протокол заседания.pdf", PDF, reply_to=ask)
    saved = reply_after(fake, VOLKOVA, sent_before + 1, "файл принят")
    assert saved.text == "Этап 21 отмечен выполненным, подтверждение «Протокол заседания.pdf» сохранено."
    assert DONE_AT.search(wait(lambda: fake.edits_of(forms), "напоминание 21 исправлено")[-1]["text"])
    digest = hashlib.sha256(PDF).hexdigest()
    (forms_done,) = world.done_events("forms")
    assert forms_done["payload"]["evidence"] == f"sha256:{digest}"
    stored = [e["payload"] for e in world.history() if e["action"] == "evidence.stored"]
    assert {"sha256": digest, "name": "Протокол заседания.pdf", "size": len(PDF)} in stored
    assert (world.home / "evidence" / digest[:2] / digest).read_bytes() == PDF

    # A photo as a reply to the reminder itself; too big a photo is refused before downloading.
    sent_before, downloads = len(fake.sent_to(VOLKOVA)), fake.calls.count("getFile")
    fake.photo(VOLKOVA, JPEG, reply_to=photos, declared_size=25 * 1024 * 1024)
    assert "больше 20 МБ" in reply_after(fake, VOLKOVA, sent_before, "отказ в большом фото").text
    assert fake.calls.count("getFile") == downloads and not world.recorded("photos")
    fake.photo(VOLKOVA, JPEG, reply_to=photos)
    photo_saved = reply_after(fake, VOLKOVA, sent_before + 1, "фото принято")
    photo_name = re.fullmatch(
        r"Этап 22 отмечен выполненным, подтверждение «(фото-\d{4}-\d\d-\d\d-\d{4}\.jpg)» сохранено\.", photo_saved.text
    )
    assert photo_name and fake.calls.count("getFile") == downloads + 1 and "file" in fake.calls
    jpeg_digest = hashlib.sha256(JPEG).hexdigest()  # the largest size of the photo, downloaded whole
    assert world.done_events("photos")[0]["payload"]["evidence"] == f"sha256:{jpeg_digest}"
    assert (world.home / "evidence" / jpeg_digest[:2] / jpeg_digest).read_bytes() == JPEG
    assert {"sha256": jpeg_digest, "name": photo_name[1], "size": len(JPEG)} in [
        e["payload"] for e in world.history() if e["action"] == "evidence.stored"
    ]

    # /мои: overdue and this week's stages with buttons; a blocked stage is explained, not recorded.
    sent_before = len(fake.sent_to(VOLKOVA))
    fake.message(VOLKOVA, "/мои")
    mine = reply_after(fake, VOLKOVA, sent_before, "ответ на /мои")
    assert "Мои этапы — Волкова Л.А." in mine.text and "10 «Выдать коды" in mine.text and "ждёт этапов 30" in mine.text
    blocked = fake.press(VOLKOVA, mine, mine.button("✅ 31")["callback_data"])
    answer = answer_of(fake, blocked)
    assert answer["show_alert"] in (True, "true") and "заблокирован" in answer["text"]
    assert not world.recorded("summary")
    sent_before = len(fake.sent_to(VOLKOVA))
    fake.message(VOLKOVA, "/сегодня")
    assert "На сегодня сроков нет." in reply_after(fake, VOLKOVA, sent_before, "ответ на /сегодня").text
    fake.message(VOLKOVA, "/ПОМОЩЬ")
    help_text = reply_after(fake, VOLKOVA, sent_before + 1, "ответ на /помощь").text
    assert "/мои" in help_text and "Волкова Л.А." in help_text and "/просрочено" not in help_text

    # The roadmap's own contact: Петрова answers from her chat.
    review = reminder(fake, PETROVA, "30")
    assert (
        answer_of(fake, fake.press(PETROVA, review, review.button("✅")["callback_data"]))["text"]
        == "Этап 30 отмечен выполненным."
    )
    assert world.done_events("review")[0]["payload"]["by"] == "petrova"

    # /просрочено: the deputy director by position (she supervises nobody here, as in the seed roadmaps).
    fake.message(TOROPKINA, "/просрочено")
    overdue = reply_after(fake, TOROPKINA, 1, "ответ на /просрочено")
    assert overdue.text.startswith("Просрочено — «Выгрузка и отчёты СПТ»") and "10 «Выдать коды" in overdue.text
    assert "Волкова Л.А." in overdue.text and "20 «" not in overdue.text  # who answers; done stages are not late
    fake.message(TOROPKINA, "/help")
    assert "/просрочено" in reply_after(fake, TOROPKINA, 2, "справка заместителю").text
    sent_before = len(fake.sent_to(VOLKOVA))
    fake.message(VOLKOVA, "/overdue")
    refusal = reply_after(fake, VOLKOVA, sent_before, "отказ в /просрочено").text
    assert "для руководства школы" in refusal and "Просрочено" not in refusal

    # /stop: unlinked, audited; the chat is a stranger again.
    fake.message(VOLKOVA, "/stop")
    assert "Чат отвязан" in reply_after(fake, VOLKOVA, sent_before + 1, "ответ на /stop").text
    unlinked = [e["payload"] for e in world.history() if e["action"] == "telegram.unlinked"]
    assert unlinked == [{"person": "volkova", "chat": str(VOLKOVA), "via": "stop"}]
    codes = reminder(fake, VOLKOVA, "10")
    late = fake.press(VOLKOVA, codes, codes.button("✅")["callback_data"])
    assert "больше не привязан" in answer_of(fake, late)["text"]
    assert not world.recorded("codes")
    assert world.cli("audit", "verify").returncode == 0  # the bot's events are links of the same chain
    chats = world.cli("telegram", "chats", "tg-roadmap").stdout
    assert "toropkina" in chats and "volkova" not in chats
    assert TOKEN not in world.bot_log() and TOKEN.split(":")[1] not in world.bot_log()
    for stored in world.home.glob("cyclogram.db*"):  # the database, its WAL: no token, no link code
        assert TOKEN.split(":")[1].encode() not in stored.read_bytes() and code[1].encode() not in stored.read_bytes()


def test_the_bot_killed_between_recording_and_acknowledging_records_once(world: World) -> None:
    fake = world.fake
    first = world.start_bot()
    world.link("volkova", VOLKOVA)
    world.cli("remind", "tg-roadmap", "--as-of", DAY)
    codes = reminder(fake, VOLKOVA, "10")

    fake.stall("answerCallbackQuery")  # the bot records, then hangs answering the button
    press = fake.press(VOLKOVA, codes, codes.button("✅")["callback_data"])
    wait(lambda: world.recorded("codes"), "выполнение записано")
    assert not fake.confirmed(press)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    fake.replay(press)  # Telegram delivers it again: it never saw the acknowledgement
    fake.release()

    world.start_bot()
    assert wait(lambda: [a for a in fake.answered(press) if a.get("text") == "Уже учтено."], "повтор отвечен")
    wait(lambda: fake.confirmed(press), "обновление подтверждено")
    assert press["update_id"] + 1 in fake.offsets  # the restarted bot resumed from the database
    assert len(world.done_events("codes")) == 1
    assert world.status()["codes"]["status"] in ("done", "done_late")


def test_the_webhook_instead_of_polling(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclogram import app
    from cyclogram.bot import chats
    from cyclogram.bot.webhook import secret_path, secret_token
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker
    from cyclogram.web import WebContext, create_app

    for key, value in world.env().items():
        if key.startswith("CYCLOGRAM_"):
            monkeypatch.setenv(key, value)
    tracker = Tracker(open_store(world.database), world.home / "evidence")
    context = WebContext(tracker, app.web_key(), "https://cyclogram.school12.example")
    fake = world.fake
    polling = world.start_bot()
    with AppServer(create_app(context, quiet=True)) as site:
        world.cli("telegram", "webhook", "set", "--base-url", site.url)
        # one receiver at a time: the polling bot stops once the webhook is set, and refuses to start
        assert polling.wait(timeout=90) == 1
        assert "cyclogram telegram webhook delete" in world.bot_log()
        assert fake.webhook == {
            "url": f"{site.url}/telegram/webhook/{secret_path(context.key)}",
            "secret_token": secret_token(context.key),
        }
        refused = world.cli("bot", code=1)
        assert "вебхук" in refused.stderr and "cyclogram telegram webhook delete" in refused.stderr
        assert "Вебхук:" in world.cli("telegram", "webhook", "info").stdout

        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token(context.key)}
        url = fake.webhook["url"]
        invitation = chats.invite(tracker, "tg-roadmap", "volkova", "zavuch")
        start = fake.message(VOLKOVA, f"/start {invitation.code}")
        with httpx.Client(timeout=60) as client:
            assert client.post(url, json=start).status_code == 403
            assert client.post(url, json=start, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
            assert client.post(url.rsplit("/", 1)[0] + "/0123456789abcdef", json=start, headers=headers).status_code == 404
            assert client.post(url, content=b"not json", headers=headers).status_code == 400
            assert client.post(url, json=start, headers=headers).status_code == 200
            assert "Готово! Этот чат привязан" in reply_after(fake, VOLKOVA, 0, "ответ через вебхук").text

            world.cli("remind", "tg-roadmap", "--as-of", DAY)
            upload = reminder(fake, VOLKOVA, "20")
            press = fake.press(VOLKOVA, upload, upload.button("✅")["callback_data"])
            for _ in range(2):  # Telegram retried the same update
                assert client.post(url, json=press, headers=headers).status_code == 200
        assert [a["text"] for a in fake.answered(press)] == ["Этап 20 отмечен выполненным.", "Уже учтено."]
        assert len(world.done_events("upload")) == 1
        world.cli("telegram", "webhook", "delete")
        assert fake.webhook == {}
    tracker.store.close()


def test_connect_telegram_from_the_person_pages(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclogram import app, users
    from cyclogram.links import Links
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker
    from cyclogram.web import WebContext, create_app

    for key, value in world.env().items():
        if key.startswith("CYCLOGRAM_"):
            monkeypatch.setenv(key, value)
    store = open_store(world.database)
    tracker = Tracker(store, world.home / "evidence")
    users.add(store, "zavuch@school.example", "Торопкина А.А.", "editor", "editor-password-1", "setup")
    users.add(store, "viewer@school.example", "Наблюдатель", "viewer", "viewer-password-1", "setup")
    context = WebContext(tracker, app.web_key(), "https://cyclogram.school12.example")
    with AppServer(create_app(context, quiet=True, https=False)) as site:

        def signed_in(email: str, password: str) -> httpx.Client:
            client = httpx.Client(base_url=site.url, timeout=60)
            form = client.get("/signin").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form)
            assert csrf
            client.post("/signin", data={"csrf": csrf[1], "email": email, "password": password, "next": "/"})
            return client

        editor = signed_in("zavuch@school.example", "editor-password-1")
        page = editor.get("/r/tg-roadmap/people/volkova").text
        assert 'id="my-telegram"' in page and "Подключить Telegram" in page
        csrf = re.search(r'id="telegram-form".*?name="csrf" value="([^"]+)"', page, re.S)
        assert csrf
        shown = editor.post("/r/tg-roadmap/people/volkova/telegram", data={"csrf": "wrong"})
        assert shown.status_code == 403
        shown = editor.post("/r/tg-roadmap/people/volkova/telegram", data={"csrf": csrf[1]})
        assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
        code = DEEP_LINK.search(shown.text)
        assert code and 'id="telegram-deep-link"' in shown.text

        viewer = signed_in("viewer@school.example", "viewer-password-1")
        assert 'id="telegram-form"' not in viewer.get("/r/tg-roadmap/people/volkova").text
        assert viewer.post("/r/tg-roadmap/people/volkova/telegram", data={"csrf": "x"}).status_code == 403

        own = Links(tracker, context.key, site.url).issue("tg-roadmap", "petrova").url
        own_path = "/" + own.split("/", 3)[3]
        anonymous = httpx.Client(base_url=site.url, timeout=60)
        own_page = anonymous.get(own_path).text
        own_csrf = re.search(r'id="telegram-form".*?name="csrf" value="([^"]+)"', own_page, re.S)
        assert own_csrf
        mine = anonymous.post(own_path + "/telegram", data={"csrf": own_csrf[1]})
        assert mine.status_code == 200 and DEEP_LINK.search(mine.text)
        assert anonymous.post("/p/forged.token/telegram", data={"csrf": own_csrf[1]}).status_code == 404

        world.start_bot()
        world.fake.message(VOLKOVA, f"/start {code[1]}")
        wait(lambda: world.fake.sent_to(VOLKOVA), "ответ на /start")
        assert "чатов: 1" in editor.get("/r/tg-roadmap/people/volkova").text
        invited = [e for e in world.history() if e["action"] == "telegram.invited"]
        assert [e["actor"] for e in invited][:1] == ["zavuch@school.example"] and invited[1]["actor"].startswith("link:")
    store.close()


# --- the pieces, in-process -------------------------------------------------------------------------


def test_buttons_are_signed_and_small() -> None:
    from cyclogram.bot.cards import DONE, EVIDENCE, button_data, read_button

    key = b"k" * 32
    data = button_data(key, DONE, 2_147_483_647, 7)
    assert len(data.encode()) <= 64
    press = read_button(key, data)
    assert press is not None and (press.action, press.card_id, press.index) == (DONE, 2_147_483_647, 7)
    assert read_button(key, button_data(key, EVIDENCE, 5, 0)) is not None
    body, mac = data.rsplit(":", 1)
    for forged in (body.replace("2147483647", "2147483646") + ":" + mac, f"{body}:{'A' * len(mac)}", "x:1:0:abc", "", "d:1:0"):
        assert read_button(key, forged) is None
    assert read_button(b"other key".ljust(32), data) is None


def test_outbox_sends_each_chat_once_and_gives_up_on_an_unlinked_chat(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from cyclogram import app, outbox, reminding
    from cyclogram.bot import chats, updates
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker

    for key, value in world.env().items():
        if key.startswith("CYCLOGRAM_"):
            monkeypatch.setenv(key, value)
    tracker = Tracker(open_store(world.database), world.home / "evidence")
    secrets = app.secrets()
    # Петрова's roadmap contact is 7770001; a linked chat with the same id adds no second message.
    invitation = chats.invite(tracker, "tg-roadmap", "petrova", "zavuch")
    chats.redeem(tracker, invitation.code, str(PETROVA), updates.claim(1, "link"), bad_code="?")
    invitation = chats.invite(tracker, "tg-roadmap", "volkova", "zavuch")
    chats.redeem(tracker, invitation.code, str(VOLKOVA), updates.claim(2, "link"), bad_code="?")
    report = reminding.remind(tracker, "tg-roadmap", dt.date(2024, 10, 14), secrets, send=False)
    assert sorted((o.person, o.channel.key) for o in report.outgoing if o.person == "petrova") == [("petrova", "telegram")]
    assert {o.channel.key for o in report.outgoing if o.person == "volkova"} == {f"telegram:{VOLKOVA}"}
    assert report.queued is not None and report.queued.queued == 5

    world.fake.blocked.add(PETROVA)
    chats.unlink_person(tracker, "tg-roadmap", "volkova", "zavuch")  # after queueing, before sending
    sent = outbox.dispatch(tracker.store, secrets)
    assert (sent.sent, sent.failed, sent.retrying) == (0, 5, 0)
    failed = outbox.list_outbox(tracker.store, "failed")
    assert all(row.attempts == 1 for row in failed)
    assert {row.last_error.split(":")[0] for row in failed if row.person == "volkova" and row.last_error} == {
        f"чат {VOLKOVA} отвязан от volkova (/stop)"
    }
    assert all("заблокирован" in (row.last_error or "") for row in failed if row.person == "petrova")
    assert all(TOKEN not in (row.last_error or "") for row in failed)
    assert world.fake.sent_to(VOLKOVA) == []
    tracker.store.close()


def test_only_the_responsible_may_mark_and_errors_never_show_the_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import GetMe

    from cyclogram import app
    from cyclogram.bot import answering, cards, chats, updates
    from cyclogram.bot.client import explain
    from cyclogram.bot.context import BotContext
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker

    for key, value in world.env().items():
        if key.startswith("CYCLOGRAM_"):
            monkeypatch.setenv(key, value)
    tracker = Tracker(open_store(world.database), world.home / "evidence")
    secrets = app.secrets()
    ctx = BotContext(tracker, secrets, app.web_key(secrets), None, TOKEN)
    invitation = chats.invite(tracker, "tg-roadmap", "toropkina", "zavuch")
    chats.redeem(tracker, invitation.code, str(TOROPKINA), updates.claim(1, "link"), bad_code="?")
    # A card (as after a new roadmap version moved the stage to someone else) for Торопкина about stage 10.
    card = cards.create(
        tracker.store,
        roadmap_id="tg-roadmap",
        person="toropkina",
        chat_id=str(TOROPKINA),
        items=[cards.Item("codes", number="10")],
        body="…",
    )
    answer = answering.press(ctx, str(TOROPKINA), cards.button_data(ctx.key, cards.DONE, card.id, 0), 2)
    assert answer.text == "Отметить этап 10 может только ответственный: Волкова Л.А." and answer.alert
    assert not world.recorded("codes")
    # The same update again finds it processed: a read-only refusal still leaves the guard unused.
    assert not updates.processed(tracker.store, 2)

    error = TelegramNetworkError(GetMe(), f"Cannot connect to {world.api_url}/bot{TOKEN}/getMe")
    text = explain(error, TOKEN)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text and "нет связи с Telegram" in text
    tracker.store.close()


def test_overdue_is_for_the_director_and_deputies_by_position() -> None:
    """/просрочено by role: in both seed roadmaps every teacher's supervisor is the director, so the
    deputy director gets it by her position, not as somebody's supervisor."""
    import yaml

    from cyclogram.bot.asking import is_leadership
    from cyclogram.engine.model import Roadmap

    root = Path(__file__).parent.parent / "roadmaps"
    allowed = {}
    for name in ("spt-usolye-2024.yaml", "objectivity-bobrovsky-2022.yaml"):
        roadmap = Roadmap.model_validate(yaml.safe_load((root / name).read_text(encoding="utf-8")))
        allowed[name] = sorted(key for key in roadmap.people if is_leadership(roadmap, key))
    assert allowed == {
        "spt-usolye-2024.yaml": ["kochneva", "melnikova", "toropkina"],  # директор, заместитель руководителя/директора
        "objectivity-bobrovsky-2022.yaml": ["deputy_uvr", "director"],  # not «руководитель ШМО», not «классный руководитель»
    }
    roadmap = Roadmap.model_validate(yaml.safe_load(ROADMAP))
    assert [k for k in roadmap.people if is_leadership(roadmap, k)] == ["melnikova", "toropkina"]
    # a role titled so counts too; a plain supervisor (gets the escalations anyway) keeps it
    data = yaml.safe_load(ROADMAP)
    data["people"]["volkova"]["position"] = None
    data["roles"] = {"admin": {"title": "Зам. директора по ВР", "members": ["volkova"]}}
    data["people"]["petrova"]["supervisor"] = "volkova"
    assert is_leadership(Roadmap.model_validate(data), "volkova")
    del data["roles"]
    assert is_leadership(Roadmap.model_validate(data), "volkova")
    data["people"]["petrova"]["supervisor"] = "melnikova"
    assert not is_leadership(Roadmap.model_validate(data), "volkova")


def test_today_lists_only_the_stages_due_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/сегодня against a roadmap dated around the real today (the bot has no clock of its own)."""
    from cyclogram import app
    from cyclogram.bot import asking, chats, texts, updates
    from cyclogram.bot.context import BotContext
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker

    today = dt.datetime.now(ZONE).date()
    start = today.year if today.month >= 9 else today.year - 1
    later = today + dt.timedelta(days=20)  # another day of the same academic year, not today
    if later > dt.date(start + 1, 8, 31):
        later = today - dt.timedelta(days=20)
    roadmap = f"""\
id: tg-today
title: Сегодняшние дела
academic_year: {start}-{start + 1}
timezone: Asia/Irkutsk
calendar: {{working_days: ["{today.isoformat()}", "{later.isoformat()}"]}}
people:
  volkova: {{name: Волкова Л.А., position: педагог-психолог}}
stages:
  - {{id: now, number: "1", title: Сдать отчёт сегодня, due: {today.isoformat()}, responsible: [volkova]}}
  - {{id: soon, number: "2", title: Сдать отчёт в другой день, due: {later.isoformat()}, responsible: [volkova]}}
"""
    (tmp_path / "tg-today.yaml").write_text(roadmap, encoding="utf-8")
    home = tmp_path / "home"
    monkeypatch.setenv("CYCLOGRAM_HOME", str(home))
    monkeypatch.setenv("CYCLOGRAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CYCLOGRAM_SECRET_WEB_SECRET", "a web secret for the telegram tests")
    monkeypatch.delenv("CYCLOGRAM_DATABASE_URL", raising=False)
    loaded = subprocess.run(
        [sys.executable, "-m", "cyclogram", "load", str(tmp_path / "tg-today.yaml")],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=180,
    )
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    tracker = Tracker(open_store(f"sqlite:///{home / 'cyclogram.db'}"), home / "evidence")
    secrets = app.secrets()
    ctx = BotContext(tracker, secrets, app.web_key(secrets), None, TOKEN)
    invitation = chats.invite(tracker, "tg-today", "volkova", "zavuch")
    chats.redeem(tracker, invitation.code, str(VOLKOVA), updates.claim(1, "link"), bad_code="?")

    todays = asking.my_stages(ctx, str(VOLKOVA), today_only=True)
    assert not isinstance(todays, str)
    (listing,) = todays
    assert listing.text.startswith("Сроки сегодня — Волкова Л.А.")
    assert "1 «Сдать отчёт сегодня»" in listing.text and "Сдать отчёт в другой день" not in listing.text
    assert [item.stage_id for item in listing.items] == ["now"]
    week = asking.my_stages(ctx, str(VOLKOVA))
    assert not isinstance(week, str) and week[0].text.startswith("Мои этапы") and "Сдать отчёт сегодня" in week[0].text
    assert asking.my_stages(ctx, str(STRANGER), today_only=True) == texts.NOT_LINKED
    tracker.store.close()


def test_downloads_are_capped_even_when_telegram_does_not_say_the_size(tmp_path: Path) -> None:
    """getFile, then the file itself, into a private temporary file; over the cap nothing is kept —
    whether getFile declared the size or the bytes only turned out too many while streaming."""
    import asyncio

    from cyclogram.bot.client import fetch_username, make_bot
    from cyclogram.bot.handlers import TooLarge, download

    fake = FakeTelegram()
    content = bytes(range(256)) * 12  # 3 KB
    with AppServer(fake.app) as server:

        async def run() -> None:
            bot = make_bot(TOKEN, server.url)
            try:
                small = await download(bot, fake.add_file("small.pdf", content), limit=len(content))
                assert small.read_bytes() == content and small.stat().st_mode & 0o077 == 0
                small.unlink()
                with pytest.raises(TooLarge):  # declared by getFile: not downloaded at all
                    await download(bot, fake.add_file("big.pdf", content), limit=1000)
                assert fake.calls.count("file") == 1
                fake.hide_sizes = True
                with pytest.raises(TooLarge):  # found out while streaming: the partial file is removed
                    await download(bot, fake.add_file("big.pdf", content), limit=1000)
                assert fake.calls.count("file") == 2
            finally:
                await bot.session.close()

        before = set(Path(tempfile.gettempdir()).glob("cyclogram-telegram-*"))
        asyncio.run(run())
        assert set(Path(tempfile.gettempdir()).glob("cyclogram-telegram-*")) == before

        # the deep link's @username: one getMe without aiogram (its import costs seconds); None on failure
        assert asyncio.run(fetch_username(TOKEN, server.url)) == USERNAME
        assert asyncio.run(fetch_username(TOKEN.replace("AAH", "BBH"), server.url)) is None
        assert asyncio.run(fetch_username(TOKEN, server.url + "/nowhere")) is None


# --- hostile and careless input, against the real bot process -----------------------------------------

SECRET_TEXTS = (
    f"вот токен бота: {TOKEN}",
    "журнал тут https://director:Sup3rSecret!@files.school12.example/report.pdf",
)


def _member_update(chat: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    member = {"status": "member", "user": user}
    return {
        "chat": chat,
        "from": user,
        "date": 1700000000,
        "old_chat_member": {"status": "left", "user": user},
        "new_chat_member": member,
    }


def test_hostile_updates_get_a_clear_answer_and_record_nothing(world: World) -> None:
    fake = world.fake
    world.start_bot()
    world.link("volkova", VOLKOVA)
    world.cli("remind", "tg-roadmap", "--as-of", DAY)
    upload, codes, photos = reminder(fake, VOLKOVA, "20"), reminder(fake, VOLKOVA, "10"), reminder(fake, VOLKOVA, "22")
    review = reminder(fake, PETROVA, "30")  # Петрова's card, by the roadmap's own contact

    def updates_done(update: dict[str, Any]) -> bool:
        with sqlite3.connect(world.home / "cyclogram.db") as connection:
            return (
                connection.execute("SELECT 1 FROM telegram_update WHERE update_id = ?", (update["update_id"],)).fetchone()
                is not None
            )

    # Forged and foreign buttons: truncated, re-signed, another person's card; nothing recorded.
    data = upload.button("✅")["callback_data"]
    for forged in (data[:20], data[:-1], data.replace(":0:", ":1:"), "d:1:0:" + "A" * 16, "x" * 64, "😀" * 16):
        assert answer_of(fake, fake.press(VOLKOVA, upload, forged))["text"] == texts_of("BAD_BUTTON")
    foreign = fake.press(VOLKOVA, review, review.button("✅")["callback_data"])
    assert "из другого чата" in answer_of(fake, foreign)["text"]
    assert not world.recorded("upload") and not world.recorded("review")

    # Text a teacher should not have sent: long, emoji only, a token, a password link. Answered with
    # the short help, never echoed, stored or logged.
    sent_before = len(fake.sent_to(VOLKOVA))
    texts_sent = ["я" * 4096, "👍🎉🔥" * 10, *SECRET_TEXTS, "/неизвестная", "/foo bar"]
    for text in texts_sent:
        fake.message(VOLKOVA, text)
    replies = wait(
        lambda: fake.sent_to(VOLKOVA)[sent_before:] if len(fake.sent_to(VOLKOVA)) >= sent_before + 6 else None, "ответы"
    )
    assert [r.text for r in replies] == [texts_of("UNKNOWN")] * 6
    fake.message(VOLKOVA, "/мои 123")
    assert "Мои этапы — Волкова Л.А." in reply_after(fake, VOLKOVA, sent_before + 6, "ответ на /мои 123").text

    # Updates that are not ours: marked, unanswered, and nothing of them on stderr.
    private, user = fake._chat(VOLKOVA), fake._user(VOLKOVA)
    others = [
        fake.raw(
            "edited_message",
            {
                "message_id": 1,
                "date": 1700000000,
                "edit_date": 1700000001,
                "chat": private,
                "from": user,
                "text": SECRET_TEXTS[0],
            },
        ),
        fake.raw(
            "channel_post",
            {
                "message_id": 2,
                "date": 1700000000,
                "chat": {"id": -1001000000009, "type": "channel", "title": "Канал"},
                "text": "/мои",
            },
        ),
        fake.raw("chat_member", _member_update({"id": -100500, "type": "supergroup", "title": "Учительская"}, user)),
        fake.raw("my_chat_member", _member_update({"id": -100500, "type": "supergroup", "title": "Учительская"}, user)),
        fake.raw("some_future_kind", {"secret": SECRET_TEXTS[1]}),
    ]
    for update in others:
        wait(lambda u=update: updates_done(u), f"обновление {update['update_id']} отмечено")

    # A group the bot was added to: commands answered without anyone's stages, a file ignored, a
    # deep link's code shown there stops working; nothing of a linked teacher leaks into it.
    group = -100500
    fake.message(group, "/мои")
    fake.message(group, "/сегодня")
    fake.document(group, "Протокол.pdf", PDF, reply_to=None)
    invitation = world.cli("telegram", "link", "tg-roadmap", "toropkina").stdout
    code = DEEP_LINK.search(invitation)
    assert code
    shown_code = fake.message(group, f"/start {code[1]}")
    wait(lambda: updates_done(shown_code), "код в группе обработан")
    in_group = [s.text for s in fake.sent_to(group)]
    assert in_group[:2] == [texts_of("NOT_LINKED")] * 2 and len(in_group) == 3
    assert "больше не действует" in in_group[2]
    assert not any("Волкова" in text or "Выгрузк" in text for text in in_group)
    fake.message(TOROPKINA, f"/start {code[1]}")
    assert "недействительна" in reply_after(fake, TOROPKINA, 0, "сожжённый код").text

    # Files: empty, a path for a name, control characters, 500 characters; an album of two.
    forms = reminder(fake, VOLKOVA, "21")
    ask_press = fake.press(VOLKOVA, forms, forms.button("📎")["callback_data"])
    answer_of(fake, ask_press)
    ask = wait(lambda: next((s for s in fake.sent_to(VOLKOVA) if "нужно подтверждение" in s.text), None), "просьба о файле")
    sent_before = len(fake.sent_to(VOLKOVA))
    fake.document(VOLKOVA, "пусто.pdf", b"", reply_to=ask)
    assert reply_after(fake, VOLKOVA, sent_before, "пустой файл").text == texts_of("FILE_EMPTY")
    fake.document(VOLKOVA, "../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n", reply_to=ask)
    assert "не принимаются" in reply_after(fake, VOLKOVA, sent_before + 1, "passwd").text
    assert not world.recorded("forms")
    fake.document(VOLKOVA, "Протокол\x00\x07\u202e" + "я" * 500 + ".pdf", PDF, reply_to=ask)
    saved = reply_after(fake, VOLKOVA, sent_before + 2, "длинное имя").text
    name = re.fullmatch(r"Этап 21 отмечен выполненным, подтверждение «(.+)» сохранено\.", saved)
    assert name and len(name[1]) <= 150 and name[1].endswith(".pdf") and name[1].startswith("Протокол")
    assert not any(ch in name[1] for ch in "\x00\x07\u202e/")

    sent_before = len(fake.sent_to(VOLKOVA))
    fake.photo(VOLKOVA, JPEG, reply_to=photos, media_group_id="album-1")
    fake.document(VOLKOVA, "Фотоотчёт.pdf", PDF, reply_to=photos, media_group_id="album-1")
    album = wait(lambda: fake.sent_to(VOLKOVA)[sent_before:] if len(fake.sent_to(VOLKOVA)) >= sent_before + 2 else None, "альбом")
    assert "отмечен выполненным, подтверждение" in album[0].text and "уже отмечен выполненным" in album[1].text
    assert len(world.done_events("photos")) == 1

    # A stage gone in a new version: its button is refused.
    (world.tmp / "tg-roadmap.yaml").write_text(
        ROADMAP.replace(
            '  - {id: codes, number: "10", title: Выдать коды участникам тестирования, due: 2024-10-14, responsible: [volkova]}\n',
            "",
        ),
        encoding="utf-8",
    )
    world.cli("load", str(world.tmp / "tg-roadmap.yaml"))
    gone = fake.press(VOLKOVA, codes, codes.button("✅")["callback_data"])
    assert answer_of(fake, gone)["text"] == texts_of("GONE_STAGE")
    assert not world.recorded("codes")

    # An old update delivered again, and one never seen with an id older than the offset: once each.
    fake.replay(shown_code)
    stale = {"update_id": 17, "message": {"message_id": 9, "date": 1700000000, "chat": private, "from": user, "text": "/помощь"}}
    sent_before = len(fake.sent_to(VOLKOVA))
    fake.replay(stale)
    wait(lambda: updates_done(stale), "старое обновление обработано")
    assert len(fake.sent_to(group)) == 3  # the replayed /start in the group: not answered again
    assert [s.text.splitlines()[0] for s in fake.sent_to(VOLKOVA)[sent_before:]] == [
        "Я присылаю напоминания о сроках этапов и принимаю отметки о выполнении."
    ]

    # Nothing secret anywhere: not in the log, not in the database, not in any message sent.
    log = world.bot_log()
    assert "Traceback" not in log and "Update:" not in log and "Sup3rSecret" not in log and TOKEN.split(":")[1] not in log
    for stored in world.home.glob("cyclogram.db*"):
        content = stored.read_bytes()
        assert b"Sup3rSecret" not in content and TOKEN.split(":")[1].encode() not in content
    assert not any("Sup3rSecret" in s.text or TOKEN.split(":")[1] in s.text for s in fake.sent)
    assert len(world.done_events("upload")) == 0 and len(world.done_events("forms")) == 1


def test_a_thousand_updates_in_one_batch_are_processed_once(world: World) -> None:
    fake = world.fake
    fake.batch_limit = 1000  # more than Telegram hands out at once
    user, private = fake._user(STRANGER), fake._chat(STRANGER)
    queued = []
    for index in range(1000):
        if index % 50 == 0:
            queued.append(fake.message(STRANGER, f"сообщение {index}"))
        else:
            payload = {
                "message_id": index,
                "date": 1700000000,
                "edit_date": 1700000001,
                "chat": private,
                "from": user,
                "text": "x",
            }
            queued.append(fake.raw("edited_message", payload))
    world.start_bot()
    last = queued[-1]
    wait(lambda: fake.confirmed(last), "последнее обновление подтверждено", timeout=300)
    with sqlite3.connect(world.home / "cyclogram.db") as connection:
        done = {row[0] for row in connection.execute("SELECT update_id FROM telegram_update")}
    assert {u["update_id"] for u in queued} <= done
    assert len(fake.sent_to(STRANGER)) == 20  # one answer per message, none twice
    assert "Traceback" not in world.bot_log()


def texts_of(name: str) -> str:
    from cyclogram.bot import texts

    value = getattr(texts, name)
    assert isinstance(value, str)
    return value


def test_codes_expired_foreign_or_malformed_and_cards_of_a_gone_roadmap(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the fake cannot stage: a code past its 72 hours, a code another bot (or nobody) issued,
    a button whose roadmap is no longer in the database — each refused in Russian, nothing written."""
    import secrets as random_secrets

    from cyclogram import app
    from cyclogram.bot import answering, cards, chats, texts, updates
    from cyclogram.bot.context import BotContext
    from cyclogram.store import open_store
    from cyclogram.tracker import Tracker, TrackingError

    for key, value in world.env().items():
        if key.startswith("CYCLOGRAM_"):
            monkeypatch.setenv(key, value)
    tracker = Tracker(open_store(world.database), world.home / "evidence")
    secrets = app.secrets()
    ctx = BotContext(tracker, secrets, app.web_key(secrets), None, TOKEN)
    old = chats.invite(tracker, "tg-roadmap", "volkova", "zavuch", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=73))
    foreign = random_secrets.token_urlsafe(16)  # the form of a code, issued by nobody here (another bot's)
    for number, code in enumerate((old.code, foreign, "../../etc/passwd", "A" * 500, "", "код-по-русски-1234567890"), start=1):
        with pytest.raises(TrackingError) as refused:
            chats.redeem(tracker, code, str(VOLKOVA), updates.claim(number, "link"), bad_code=texts.BAD_CODE)
        assert str(refused.value) == texts.BAD_CODE
        assert not updates.processed(tracker.store, number)  # the refusal rolled the guard back
    assert chats.linked(tracker.store) == []
    assert not chats.burn(tracker, old.code) and not chats.burn(tracker, foreign)

    fresh = chats.invite(tracker, "tg-roadmap", "volkova", "zavuch")
    assert chats.burn(tracker, fresh.code) and not chats.burn(tracker, fresh.code)
    with pytest.raises(TrackingError):
        chats.redeem(tracker, fresh.code, str(VOLKOVA), updates.claim(10, "link"), bad_code=texts.BAD_CODE)

    card = cards.create(
        tracker.store,
        roadmap_id="unloaded-roadmap",
        person="volkova",
        chat_id=str(VOLKOVA),
        items=[cards.Item("upload")],
        body="…",
    )
    gone = answering.press(ctx, str(VOLKOVA), cards.button_data(ctx.key, cards.DONE, card.id, 0), 11)
    assert gone.text == texts.GONE_ROADMAP and gone.alert
    assert answering.press(ctx, str(VOLKOVA), None, 12).text == texts.BAD_BUTTON
    assert (
        answering.press(ctx, str(VOLKOVA), cards.button_data(ctx.key, cards.DONE, card.id + 999, 0), 13).text == texts.BAD_BUTTON
    )
    assert not updates.processed(tracker.store, 11) and not world.recorded("upload")
    tracker.store.close()


TRIGGERED = """\
id: tg-trigger
title: Информация по запросам
academic_year: 2024-2025
timezone: Asia/Irkutsk
people:
  volkova: {name: Волкова Л.А., position: педагог-психолог}
stages:
  - {id: answer, number: "7", title: Направить информацию по запросу, trigger: по мере поступления запросов, within: 3wd, responsible: [volkova]}
"""


def test_done_on_an_old_card_of_a_triggered_stage_finds_its_completion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One recorded trigger, its occurrence completed: «✅» on the reminder about it answers «уже отмечен»
    (the occurrence chosen as recording and the pages choose it) — no second trigger, no second completion."""
    from cyclogram import app, recording
    from cyclogram.bot import answering, cards, chats, texts, updates
    from cyclogram.bot.context import BotContext
    from cyclogram.store import open_store
    from cyclogram.store.audit import HistoryFilter
    from cyclogram.tracker import Tracker

    for key in [k for k in os.environ if k.startswith("CYCLOGRAM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CYCLOGRAM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CYCLOGRAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CYCLOGRAM_SECRET_WEB_SECRET", "a web secret for the telegram tests")
    (tmp_path / "tg-trigger.yaml").write_text(TRIGGERED, encoding="utf-8")
    tracker = Tracker(open_store(f"sqlite:///{tmp_path / 'cyclogram.db'}"), tmp_path / "evidence")
    recording.load(tracker, tmp_path / "tg-trigger.yaml", "zavuch")
    secrets = app.secrets()
    ctx = BotContext(tracker, secrets, app.web_key(secrets), None, TOKEN)
    invitation = chats.invite(tracker, "tg-trigger", "volkova", "zavuch")
    chats.redeem(tracker, invitation.code, str(VOLKOVA), updates.claim(1, "link"), bad_code="?")

    label = recording.trigger(tracker, "tg-trigger", "answer", actor="zavuch", at="14.10.2024 10:00").label
    recording.done(tracker, "tg-trigger", "answer", by="volkova", actor="zavuch", at="15.10.2024 12:00", occurrence=label)

    def events(action: str) -> int:
        return sum(e.action == action for e in tracker.history(HistoryFilter("tg-trigger", stage_id="answer")))

    def completions() -> int:
        return sum(c.stage_id == "answer" for c in tracker.snapshot("tg-trigger").completions)

    before = (events("stage.triggered"), events("stage.done"), completions())
    assert before == (1, 1, 1)
    # The reminder sent about that occurrence before it was done, as the outbox describes it.
    card = cards.create(
        tracker.store,
        roadmap_id="tg-trigger",
        person="volkova",
        chat_id=str(VOLKOVA),
        items=[cards.Item("answer", occurrence=label, kind="due", number="7")],
        body="…",
    )
    done_button = cards.keyboard(ctx.key, card)[0][0]
    assert done_button.text == texts.DONE_BUTTON and done_button.data is not None

    answer = answering.press(ctx, str(VOLKOVA), done_button.data, 2)
    assert answer.text.startswith(f"Этап 7 ({label}) уже отмечен выполненным"), answer.text
    assert "(Волкова Л.А.)" in answer.text
    assert (events("stage.triggered"), events("stage.done"), completions()) == before
    assert not updates.processed(tracker.store, 2)
    tracker.store.close()
