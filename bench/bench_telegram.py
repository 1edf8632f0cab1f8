"""The Telegram bot as a teacher meets it: `cyclogram bot` as a whole process (long polling) against
the fake Bot API of the tests (tests/fake_telegram.py) on loopback, with a real SQLite database.

Figures (medians; the fake records the moment of each call the bot makes, in this process's clock):

* **link**: `cyclogram telegram link ROADMAP PERSON` as a whole process (the deep link: a code in
  the database, getMe for the bot's @username).
* **start**: `cyclogram bot` launched → its first getUpdates (imports, secrets, database, getMe,
  getWebhookInfo); and SIGTERM → the process gone.
* **/мои**: the update handed to the bot → the answer with buttons sent (status of the roadmap,
  a signed card stored, sendMessage).
* **«✅ Выполнено»**: the press handed to the bot → answerCallbackQuery (the button stops spinning)
  and → editMessageText («✅ Этап N: выполнено …»): recording with the update in one transaction,
  then the card's new view.
* **a document in reply** (1 MB PDF, after «📎»): the message handed to the bot → «… сохранено»
  (getFile, download, type check, sha256, evidence stored, completion recorded).

"Handed to the bot" is when the fake's waiting getUpdates returns the update; the fake looks at its
queue every 5 ms here, as Telegram answers a long poll at once. Roadmap: BENCH_TG_STAGES stages
(default 300), a tenth of them Волкова's, all overdue (2024) — so /мои always has 8 to press.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tests"))

from fake_telegram import TOKEN, FakeTelegram, Sent, wait  # noqa: E402
from helpers import AppServer  # noqa: E402
from timing import CLI, bare, ms, whole  # noqa: E402

STAGES = int(os.environ.get("BENCH_TG_STAGES", "300"))
STARTS = int(os.environ.get("BENCH_TG_STARTS", "5"))
ROUNDS = int(os.environ.get("BENCH_TG_ROUNDS", "3"))  # /мои rounds of 8 presses each
FILES = int(os.environ.get("BENCH_TG_FILES", "5"))
VOLKOVA = 5550001
PDF = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 20) + b"\n%%EOF\n"


class TimedFake(FakeTelegram):
    """The fake Bot API, noting when each update was handed out and each answer arrived."""

    POLL_INTERVAL_S = 0.005

    def __init__(self) -> None:
        super().__init__()
        self.handed: dict[int, float] = {}
        self.at: list[tuple[str, float, dict[str, Any]]] = []

    async def _m_getupdates(self, params: dict[str, Any]) -> Any:
        response = await super()._m_getupdates(params)
        now = time.perf_counter()
        with self.lock:
            for update_id in self.delivered:
                self.handed.setdefault(update_id, now)
        return response

    def _note(self, method: str, params: dict[str, Any]) -> None:
        with self.lock:
            self.at.append((method, time.perf_counter(), params))

    async def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        response = await super()._m_sendmessage(params)
        self._note("sendMessage", params)
        return response

    async def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        response = await super()._m_editmessagetext(params)
        self._note("editMessageText", params)
        return response

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        response = await super()._m_answercallbackquery(params)
        self._note("answerCallbackQuery", params)
        return response

    def first(self, method: str, after: float, match: Any = None) -> float | None:
        with self.lock:
            return next((t for m, t, p in self.at if m == method and t >= after and (match is None or match(p))), None)


def roadmap_text(stages: int) -> str:
    lines = [
        "id: bench-tg",
        "title: Нагрузочная карта бота",
        "academic_year: 2024-2025",
        "timezone: Asia/Irkutsk",
        "people:",
        "  toropkina: {name: Торопкина А.А., position: заместитель директора}",
        "  volkova: {name: Волкова Л.А., position: педагог-психолог}",
        "  petrova: {name: Петрова П.П., position: классный руководитель}",
        "stages:",
    ]
    for n in range(1, stages + 1):
        who = "volkova" if n % 10 == 0 else "petrova"
        day = 1 + n % 28
        lines.append(f'  - {{id: s{n}, number: "{n}", title: Этап номер {n}, due: 2024-10-{day:02d}, responsible: [{who}]}}')
    return "\n".join(lines) + "\n"


def env_for(tmp: Path, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CYCLOGRAM_", "PREFECT_API"))}
    env.update(
        CYCLOGRAM_HOME=str(tmp / "home"),
        CYCLOGRAM_CACHE_DIR=str(tmp / "cache"),
        CYCLOGRAM_SECRET_TELEGRAM_BOT_TOKEN=TOKEN,
        CYCLOGRAM_SECRET_WEB_SECRET="a web secret for the telegram bench",
        CYCLOGRAM_TELEGRAM_API_URL=api_url,
        CYCLOGRAM_ACTOR="bench",
    )
    return env


def start_bot(fake: TimedFake, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], float]:
    polls = len(fake.offsets)
    began = time.perf_counter()
    bot = subprocess.Popen([CLI, "bot", "--poll-timeout", "5"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"))
    wait(lambda: len(fake.offsets) > polls or bot.poll() is not None, "первый getUpdates")
    if bot.poll() is not None:
        raise SystemExit(f"бот не запустился:\n{log.read_text(errors='replace')}")
    return bot, time.perf_counter() - began


def stop_bot(bot: subprocess.Popen[bytes]) -> float:
    began = time.perf_counter()
    bot.send_signal(signal.SIGTERM)
    bot.wait(timeout=60)
    return time.perf_counter() - began


def handed(fake: TimedFake, update: dict[str, Any]) -> float:
    return wait(lambda: fake.handed.get(update["update_id"]), f"обновление {update['update_id']} отдано боту")


def mine(fake: TimedFake) -> tuple[Sent, float]:
    """/мои: the listing with buttons, and the latency."""
    count = len(fake.sent_to(VOLKOVA))
    update = fake.message(VOLKOVA, "/мои")
    sent = wait(lambda: fake.sent_to(VOLKOVA)[count:], "ответ на /мои")[0]
    start = handed(fake, update)
    answered = fake.first("sendMessage", start)
    assert answered is not None and sent.reply_markup, sent.text
    return sent, answered - start


def main() -> None:
    fake = TimedFake()
    with tempfile.TemporaryDirectory(prefix="bench-tg-") as scratch, AppServer(fake.app) as server:
        tmp = Path(scratch)
        env = env_for(tmp, server.url)
        (tmp / "bench-tg.yaml").write_text(roadmap_text(STAGES), encoding="utf-8")
        subprocess.run([CLI, "load", str(tmp / "bench-tg.yaml")], env=env, check=True, capture_output=True)
        log = tmp / "bot.log"
        python_start = bare()

        link_time, _ = whole([CLI, "telegram", "link", "bench-tg", "petrova"], runs=5, env=env)

        starts, stops = [], []
        for _ in range(STARTS):
            bot, took = start_bot(fake, env, log)
            starts.append(took)
            stops.append(stop_bot(bot))

        bot, _ = start_bot(fake, env, log)
        try:
            link = subprocess.run(
                [CLI, "telegram", "link", "bench-tg", "volkova"], env=env, check=True, capture_output=True, text=True
            ).stdout
            code = link.strip().rsplit("start=", 1)[-1]
            fake.message(VOLKOVA, f"/start {code}")
            wait(lambda: any("привязан" in s.text for s in fake.sent_to(VOLKOVA)), "чат привязан")

            listings, toasts, edits = [], [], []
            for _ in range(ROUNDS):
                card, took = mine(fake)
                listings.append(took)
                for button in [b for b in card.buttons() if b["text"].startswith("✅")]:
                    press = fake.press(VOLKOVA, card, button["callback_data"])
                    query = press["callback_query"]["id"]
                    wait(lambda q=query: fake.first("answerCallbackQuery", 0, lambda p: p.get("callback_query_id") == q), "ответ")
                    start = handed(fake, press)
                    toast = fake.first("answerCallbackQuery", start, lambda p, q=query: p.get("callback_query_id") == q)
                    edited = wait(
                        lambda s=start, m=card.message_id: fake.first("editMessageText", s, lambda p: int(p["message_id"]) == m),
                        "сообщение исправлено",
                    )
                    assert toast is not None
                    toasts.append(toast - start)
                    edits.append(edited - start)

            saves = []
            for _ in range(FILES):
                card, _ = mine(fake)
                clip = next(b for b in card.buttons() if b["text"].startswith("📎"))
                count = len(fake.sent_to(VOLKOVA))
                fake.press(VOLKOVA, card, clip["callback_data"])
                ask = wait(lambda c=count: [s for s in fake.sent_to(VOLKOVA)[c:] if s.reply_to], "просьба о файле")[0]
                count = len(fake.sent_to(VOLKOVA))
                update = fake.document(VOLKOVA, "Протокол.pdf", PDF, reply_to=ask)
                saved = wait(lambda c=count: fake.sent_to(VOLKOVA)[c:], "файл принят")[0]
                assert "сохранено" in saved.text, saved.text
                start = handed(fake, update)
                answered = fake.first("sendMessage", start, lambda p: "сохранено" in str(p.get("text")))
                assert answered is not None
                saves.append(answered - start)
        finally:
            stop_bot(bot)
        if TOKEN in log.read_text(errors="replace"):
            raise SystemExit("токен в журнале бота!")

    median = statistics.median
    print(f"roadmap: {STAGES} stages, {STAGES // 10} of them Волкова's; python -c pass: {ms(python_start)}")
    print(f"link   `cyclogram telegram link` whole process (median of 5): {ms(link_time)}")
    print(f"start  `cyclogram bot` → first getUpdates (median of {STARTS}): {ms(median(starts))}  (max {ms(max(starts))})")
    print(f"stop   SIGTERM → exit (median of {STARTS}):                 {ms(median(stops))}")
    print(f"/мои   update handed → listing with buttons sent (n={len(listings)}): {ms(median(listings))}")
    print(f"«✅»   press handed → answerCallbackQuery (n={len(toasts)}):      {ms(median(toasts))}  (max {ms(max(toasts))})")
    print(f"«✅»   press handed → editMessageText (n={len(edits)}):           {ms(median(edits))}  (max {ms(max(edits))})")
    print(f"«📎»   1 MB PDF handed → «сохранено» sent (n={len(saves)}):        {ms(median(saves))}  (max {ms(max(saves))})")


if __name__ == "__main__":
    main()
