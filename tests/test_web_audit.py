"""The auditor's pages over real HTTP (a SQLite file, uvicorn, httpx): the history in local time with
names and Russian words, filters and paging, CSV and XLSX exports, and the verification block —
including a state edited behind the log's back."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from helpers import ROADMAPS, AppServer
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from test_web_auth import PASSWORDS, Site, signed_in

from cyclogram import recording, users
from cyclogram.feeds import Feeds
from cyclogram.store import audit, open_store
from cyclogram.store.audit import HistoryFilter, parse_stamp
from cyclogram.tracker import Tracker
from cyclogram.web import WebContext, create_app

SPT = ROADMAPS / "spt-usolye-2024.yaml"
RUN_ID = "0b9d3c1e-5f4a-4c2b-9a57-1d2e3f405162"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("CYCLOGRAM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CYCLOGRAM_SECRET_AUDIT_KEY", raising=False)
    monkeypatch.setenv("PREFECT_UI_URL", "http://127.0.0.1:4200/")
    database = f"sqlite:///{tmp_path / 'cyclogram.db'}"
    store = open_store(database)
    tracker = Tracker(store, tmp_path / "evidence")
    recording.load(tracker, SPT, "deputy")
    recording.done(tracker, "spt-usolye-2024", "2", by="toropkina", actor="toropkina", at="2024-09-04", note="=1+2 план готов")
    recording.skip(tracker, "spt-usolye-2024", "15", by="melnikova", actor="deputy", reason="оплачено по договору")
    Feeds(tracker).create("spt-usolye-2024", "deputy", person="volkova")
    moved = tmp_path / "spt-v2.yaml"
    moved.write_text(SPT.read_text(encoding="utf-8").replace("due: 2024-11-15", "due: 2024-11-20"), encoding="utf-8")
    recording.load(tracker, moved, "deputy")
    with store.write() as session:
        audit.append_event(
            session,
            "dispatcher",
            "reminder.sent",
            {"outbox_id": 1, "dedupe_key": "k", "person": "volkova", "channel": "email", "kind": "lead", "attempts": 1},
            "spt-usolye-2024",
            "upload",
        )
        audit.append_event(
            session,
            "prefect",
            "flow.tick",
            {
                "as_of": "2024-10-14",
                "flow_run_id": RUN_ID,
                "stages": 28,
                "overdue": 3,
                "reminders": {"queued": 2, "sent": 2, "retrying": 0, "failed": 0},
            },
            "spt-usolye-2024",
        )
    for email in ("admin@school.example", "auditor@school.example", "viewer@school.example"):
        users.add(store, email, f"Пользователь {email.split('@')[0]}", email.split("@")[0], PASSWORDS[email], "setup")
    context = WebContext(tracker, b"k" * 32, "http://127.0.0.1")
    with AppServer(create_app(context, quiet=True)) as running:
        yield Site(running.url, tracker, context, database)
    store.close()


def rows(page: str) -> list[str]:
    """The history table's rows as plain text (one string per event)."""
    body = page.split('id="audit-table"', 1)[1].split("</table>", 1)[0] if 'id="audit-table"' in page else ""
    found = re.findall(r'<tr id="event-\d+".*?</tr>', body, re.DOTALL)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip() for row in found]


def actions(page: str) -> list[str]:
    return re.findall(r'<tr id="event-\d+" data-action="([^"]+)"', page)


def block(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}".*?</section>', page, re.DOTALL)
    assert found, element_id
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[0])))


def _sql(database: str, statement: str) -> None:
    engine = create_engine(database)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


def test_the_history_reads_like_a_journal(site: Site):
    auditor = signed_in(site, "auditor@school.example")
    page = auditor.get("/audit")
    assert page.status_code == 200
    shown = rows(page.text)
    records = site.tracker.history(HistoryFilter())
    assert len(shown) == len(records) and shown[0].startswith(str(records[-1].seq))  # newest first
    by_action = {r.action: r for r in records}
    done = next(row for row in shown if "этап выполнен" in row)
    local = parse_stamp(by_action["stage.done"].at).astimezone(ZoneInfo("Asia/Irkutsk")).strftime("%d.%m.%Y %H:%M:%S")
    assert local in done  # the roadmap's local time, not UTC
    assert "Торопкина А.А." in done and "toropkina" not in done  # names, not keys
    # typed without a time: the journal shows the day only (not a made-up noon)
    assert "когда: 04.09.2024 " in done and "04.09.2024 12:00" not in done and "комментарий: =1+2 план готов" in done
    assert "2. Разработать план" in done
    skipped = next(row for row in shown if "этап пропущен" in row)
    assert "Мельникова Н.А." in skipped and "причина: оплачено по договору" in skipped
    reminder = next(row for row in shown if "напоминание отправлено" in row)
    assert "рассылка напоминаний" in reminder and "кому: Волкова Л.А." in reminder
    assert "канал: эл. почта" in reminder and "вид: заранее" in reminder
    feed = next(row for row in shown if "создана ссылка на календарь" in row)
    assert "календарь человека: Волкова Л.А." in feed
    version = next(row for row in shown if "загружена версия" in row and "версия 2" in row)
    assert "срок перенесён" in version and "20.11.2024" in version
    tick = next(row for row in shown if "ежедневный прогон" in row)
    assert "за день: 14.10.2024" in tick and "просрочено: 3" in tick and "отправлено 2" in tick
    assert f'href="http://127.0.0.1:4200/runs/flow-run/{RUN_ID}"' in page.text
    accounts = [row for row in shown if "добавлен пользователь" in row]
    assert any("почта: auditor@school.example" in row and "роль: аудитор" in row for row in accounts)
    assert "Время местное: Asia/Irkutsk" in page.text
    for element in ('id="export-csv"', 'id="export-xlsx"', 'id="audit-verify"', 'id="audit-filters"'):
        assert element in page.text


def test_filters_and_paging(site: Site):
    auditor = signed_in(site, "auditor@school.example")
    assert set(actions(auditor.get("/audit", params={"kind": "stage.done"}).text)) == {"stage.done"}
    stages = actions(auditor.get("/audit", params={"kind": "stage.*"}).text)
    assert sorted(stages) == ["stage.done", "stage.skipped"]
    by_number = auditor.get("/audit", params={"roadmap": "spt-usolye-2024", "stage": "2"}).text
    assert actions(by_number) == ["stage.done"]
    assert actions(auditor.get("/audit", params={"person": "melnikova"}).text) == ["stage.skipped"]
    assert set(actions(auditor.get("/audit", params={"person": "volkova"}).text)) == {"reminder.sent"}
    assert actions(auditor.get("/audit", params={"since": "01.01.2100"}).text) == []
    assert len(actions(auditor.get("/audit", params={"until": "2100-01-01"}).text)) == len(site.tracker.history(HistoryFilter()))
    assert actions(auditor.get("/audit", params={"until": "2000-01-01"}).text) == []
    bad = auditor.get("/audit", params={"since": "вчера", "roadmap": "nope"})
    assert bad.status_code == 200 and "не распознана" in bad.text and "дорожной карты «nope» нет" in bad.text

    with site.tracker.store.write() as session:
        for _ in range(205):
            audit.append_event(session, "dispatcher", "reminder.requeued", {"count": 1}, "spt-usolye-2024")
    first = auditor.get("/audit", params={"kind": "reminder.requeued"})
    assert len(actions(first.text)) == 200 and 'id="page-next"' in first.text and "из 205" in first.text
    second = auditor.get("/audit", params={"kind": "reminder.requeued", "page": "2"})
    assert len(actions(second.text)) == 5 and 'id="page-prev"' in second.text
    csv_text = auditor.get("/audit/export.csv", params={"kind": "reminder.requeued", "page": "2"}).content.decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 1 + 205  # exports are not paged


def test_csv_export(site: Site):
    auditor = signed_in(site, "auditor@school.example")
    answer = auditor.get("/audit/export.csv", params={"kind": "stage.*"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert re.match(r'attachment; filename="cyclogram-audit-\d{4}-\d{2}-\d{2}\.csv"', answer.headers["content-disposition"])
    assert answer.content.startswith(b"\xef\xbb\xbf")
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "№;Когда;Часовой пояс;Кто;Действие;Дорожная карта;Этап;Подробности;Код действия;Хэш записи"
    assert len(lines) == 3 and all(";" in line for line in lines)
    done = next(line for line in lines if "stage.done" in line)
    assert "Торопкина А.А." in done and "Asia/Irkutsk" in done
    assert "комментарий: =1+2 план готов" in done  # inside the details: no cell starts with "="
    assert not any(cell.startswith(("=", "+", "@")) for line in lines for cell in line.split(";"))


def test_xlsx_export(site: Site):
    auditor = signed_in(site, "auditor@school.example")
    answer = auditor.get("/audit/export.xlsx", params={"roadmap": "spt-usolye-2024", "kind": "stage.*"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.match(
        r'attachment; filename="cyclogram-audit-spt-usolye-2024-\d{4}-\d{2}-\d{2}\.xlsx"', answer.headers["content-disposition"]
    )
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book["Журнал"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:J3"
    assert sheet.column_dimensions["H"].width >= 60
    header, *data = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("№", "Когда", "Часовой пояс", "Кто", "Действие")
    assert sorted(row[8] for row in data) == ["stage.done", "stage.skipped"]
    done = next(row for row in data if row[8] == "stage.done")
    assert done[3] == "Торопкина А.А." and "комментарий: =1+2 план готов" in done[7]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formulas
    assert "Сведения" in book.sheetnames


def test_hostile_cells_are_not_formulas(site: Site):
    hostile = '=HYPERLINK("http://evil.example","нажми")'
    recording.reopen(site.tracker, "spt-usolye-2024", "2", by="toropkina", actor=hostile, reason="-2+3")
    auditor = signed_in(site, "auditor@school.example")
    book = load_workbook(io.BytesIO(auditor.get("/audit/export.xlsx", params={"kind": "stage.reopened"}).content))
    (row,) = list(book["Журнал"].iter_rows(min_row=2))
    assert row[3].value == "'" + hostile and row[3].data_type == "s"
    csv_text = auditor.get("/audit/export.csv", params={"kind": "stage.reopened"}).content.decode("utf-8-sig")
    assert ';"\'=HYPERLINK(""http://evil.example"",""нажми"")";' in csv_text
    assert "причина: -2+3" in csv_text


def test_the_verification_block(site: Site):
    auditor = signed_in(site, "auditor@school.example")
    page = auditor.get("/audit").text
    verdict = block(page, "audit-verify")
    assert "Журнал цел" in verdict and "Цепочка записей цела" in verdict and "Ключ аудита не задан" in verdict
    chain = site.tracker.verify()
    checkpoint = f"{chain.checked}:{chain.head_hash}"
    assert f'id="audit-checkpoint" value="{checkpoint}"' in page and 'data-copy="audit-checkpoint"' in page
    same = block(auditor.get("/audit", params={"checkpoint": checkpoint}).text, "audit-verify")
    assert "совпадает: журнал до неё не изменён" in same
    forged = block(auditor.get("/audit", params={"checkpoint": f"{chain.checked}:{'0' * 64}"}).text, "audit-verify")
    assert "не совпадает с опубликованной контрольной точкой" in forged and "Найдены нарушения" in forged

    _sql(site.database, "UPDATE stage_state SET note = 'другое' WHERE stage_id = 'plan'")
    broken = auditor.get("/audit")
    assert broken.status_code == 200
    verdict = block(broken.text, "audit-verify")
    assert "Найдены нарушения: 1" in verdict
    assert "Состояние в базе расходится с журналом" in verdict and "не совпадает с событием" in verdict
    assert "Цепочка записей цела" in verdict  # the chain itself is intact


def test_signatures_are_reported_with_an_audit_key(site: Site, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CYCLOGRAM_SECRET_AUDIT_KEY", "a key kept outside the database")
    auditor = signed_in(site, "auditor@school.example")
    verdict = block(auditor.get("/audit").text, "audit-verify")
    count = len(site.tracker.history(HistoryFilter()))
    assert f"без подписи (записаны до включения ключа): {count}" in verdict


def test_only_admins_and_auditors_read_the_history(site: Site):
    viewer = signed_in(site, "viewer@school.example")
    for path in ("/audit", "/audit/export.csv", "/audit/export.xlsx"):
        assert viewer.get(path).status_code == 403
    anonymous = httpx.Client(base_url=site.url, follow_redirects=False)
    answer = anonymous.get("/audit/export.csv", params={"kind": "stage.done"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Faudit%2Fexport.csv%3Fkind%3Dstage.done"
    admin = signed_in(site, "admin@school.example")
    assert admin.get("/audit").status_code == 200
