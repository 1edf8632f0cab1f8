"""Secrets, channels and sending, against real local servers (SMTP via aiosmtpd, HTTP via http.server)."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import socket
import subprocess
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import apprise
import pytest

from cyclogram.engine.model import Person
from cyclogram.notifiers.channels import Channel, person_channels, redact, secret_fragments, send
from cyclogram.notifiers.secrets import SecretError, Secrets, env_name
from cyclogram.settings import secrets_file as default_secrets_file

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklmno"
SMTP_PASSWORD = "Sup3r-Secret-Pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def secrets_from(env: dict[str, str], tmp_path: Path) -> Secrets:
    # Always an explicit (absent) secrets file: tests must never read the real user's file.
    return Secrets(environ=env, secrets_file=tmp_path / "absent-secrets.env", use_prefect=False)


def person(**contacts: object) -> Person:
    return Person(name="Волкова Л.А.", contacts=contacts)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


# --- local servers -----------------------------------------------------------------------------


class _SmtpHandler:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    controller_module = pytest.importorskip("aiosmtpd.controller")
    handler = _SmtpHandler()
    port = free_port()  # Controller.start() cannot bind port 0
    controller = controller_module.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append((self.path, self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


# --- email over a real SMTP server -----------------------------------------------------------------


def test_email_through_local_smtp_server(smtp_server, tmp_path, monkeypatch):
    port, handler = smtp_server
    env = {"CYCLOGRAM_SECRET_SMTP": f"mailto://127.0.0.1:{port}?from=Школа <school@example.org>&mode=insecure"}
    channels, problems = person_channels("volkova", person(email="volkova@school12.example"), secrets_from(env, tmp_path))
    assert problems == []
    [channel] = channels
    assert (channel.kind, channel.key, channel.target) == ("email", "email", "volkova@school12.example")
    assert channel.describe() == "почта volkova@school12.example"

    subject = "Напоминание: отчёт по ЕМ СПТ до 15 октября"
    html = "<p>Здравствуйте, Людмила Александровна!</p><p>Срок — <b>15 октября</b>.</p>"
    # Apprise throttles per plugin instance (~5.5 s between sends): each message must get its own.
    instances: list[object] = []

    class Counted(apprise.Apprise):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            instances.append(self)

    monkeypatch.setattr(apprise, "Apprise", Counted)
    first = send(channel, subject, html, "Здравствуйте!", "Срок 15 октября", headers={"X-Cyclogram-Key": "spt/report/1"})
    second = send(channel, subject, html, "Здравствуйте!", "Срок 15 октября", headers={"X-Cyclogram-Key": "spt/report/2"})
    assert first.ok and second.ok, (first, second)
    assert first.error is None
    assert len(instances) == 2 and instances[0] is not instances[1], "one Apprise instance reused: throttling is back"

    assert len(handler.messages) == 2  # one message per send
    keys = []
    for mail_from, rcpt_tos, message in handler.messages:
        assert mail_from == "school@example.org"
        assert rcpt_tos == ["volkova@school12.example"]
        assert message["Subject"] == subject
        assert "volkova@school12.example" in message["To"]
        assert "Школа" in str(message["From"])
        keys.append(message["X-Cyclogram-Key"])
        parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
        assert set(parts) == {"text/plain", "text/html"}
        assert "Людмила Александровна" in parts["text/html"]
        assert "<b>15 октября</b>" in parts["text/html"]
        assert "Людмила Александровна" in parts["text/plain"]
        assert "<b>" not in parts["text/plain"]
    assert keys == ["spt/report/1", "spt/report/2"]


def test_smtp_server_down_gives_redacted_error(tmp_path):
    port = free_port()  # nothing listens there
    env = {"CYCLOGRAM_SECRET_SMTP": f"mailto://school:{SMTP_PASSWORD}@127.0.0.1:{port}?from=school@example.org&mode=insecure"}
    [channel], problems = person_channels("volkova", person(email="volkova@school12.example"), secrets_from(env, tmp_path))
    assert problems == []
    result = send(channel, "Тема", "<p>Текст</p>", "Текст", "Текст", headers={"X-Cyclogram-Key": "k"}, timeout=10)
    assert result.ok is False
    assert result.error and result.error.startswith("почта volkova@school12.example: не отправлено")
    assert "Connection" in result.error or "refused" in result.error  # Apprise's technical detail is kept
    assert SMTP_PASSWORD not in result.error
    assert SMTP_PASSWORD not in repr(channel) and SMTP_PASSWORD not in channel.describe()


def test_email_url_gets_recipient_and_html_format(tmp_path):
    env = {
        "CYCLOGRAM_SECRET_SMTP": "mailtos://school:p%2Bss@smtp.example.org?from=school@example.org&to=old@example.org&format=text&+X-Mailer=cyclogram"
    }
    [channel], problems = person_channels("volkova", person(email="volkova@school12.example"), secrets_from(env, tmp_path))
    assert problems == []
    query = channel.url.split("?", 1)[1].split("&")
    assert "to=volkova%40school12.example" in query and "format=html" in query
    assert not any(part.startswith(("to=old", "format=text")) for part in query)
    assert "+X-Mailer=cyclogram" in query  # other parameters kept byte for byte
    plugin = apprise.Apprise.instantiate(channel.url)
    assert [address for _, address in plugin.targets] == ["volkova@school12.example"]
    assert plugin.headers == {"X-Mailer": "cyclogram"}
    assert plugin.password == "p+ss"


def test_sender_with_own_recipients_or_wrong_scheme_is_a_problem(tmp_path):
    for sender, expected in [
        ("mailtos://school:pw12345@smtp.example.org/boss@example.org?from=school@example.org", "получател"),
        ("json://user:pw12345@example.org/hook", "mailtos://"),
    ]:
        channels, problems = person_channels(
            "volkova", person(email="volkova@school12.example"), secrets_from({"CYCLOGRAM_SECRET_SMTP": sender}, tmp_path)
        )
        assert channels == []
        [problem] = problems
        assert expected in problem.message and "«smtp»" in problem.message
        assert "pw12345" not in problem.message


# --- any Apprise URL: a real local HTTP receiver ----------------------------------------------------


def test_apprise_json_channel_through_local_http_receiver(http_receiver, tmp_path):
    port, received = http_receiver
    secrets = secrets_from({"CYCLOGRAM_SECRET_CHAT": f"json://127.0.0.1:{port}/hooks/cyclogram"}, tmp_path)
    [channel], problems = person_channels("volkova", person(apprise=["secret:chat"]), secrets)
    assert problems == []
    assert (channel.kind, channel.key, channel.target) == ("apprise", "apprise:chat", "secret:chat")
    assert channel.describe() == "Apprise (секрет chat)"
    assert str(port) not in channel.describe()

    result = send(channel, "Срок отчёта", "<p>длинный</p>", "длинный текст", "Отчёт по ЕМ СПТ — до 15 октября")
    assert result == (result.__class__(True, None))
    [(path, body)] = received
    assert path == "/hooks/cyclogram"
    payload = json.loads(body)
    assert payload["title"] == "Срок отчёта"
    assert payload["message"] == "Отчёт по ЕМ СПТ — до 15 октября"


def test_unparseable_apprise_secret_is_a_problem_without_the_url(tmp_path, caplog):
    url = "nosuchservice://admin:Hunter2Hunter2@example.org/tok3nTok3nTok3nTok3n"
    caplog.set_level(logging.DEBUG)
    channels, problems = person_channels(
        "volkova", person(apprise="secret:broken"), secrets_from({"CYCLOGRAM_SECRET_BROKEN": url}, tmp_path)
    )
    assert channels == []
    [problem] = problems
    assert "«broken»" in problem.message
    assert "Unparseable URL" in caplog.text  # Apprise did log the URL ...
    for piece in (url, "Hunter2Hunter2", "tok3nTok3nTok3nTok3n"):
        assert piece not in problem.message
        assert piece not in caplog.text  # Apprise logs the URL at ERROR; the guard redacts it


# --- Telegram ---------------------------------------------------------------------------------------


def test_telegram_channel_is_validated_offline_and_never_shows_the_token(tmp_path, monkeypatch):
    env = {"CYCLOGRAM_SECRET_TELEGRAM_BOT_TOKEN": BOT_TOKEN, "CYCLOGRAM_SECRET_VOLKOVA_CHAT": "-1001234567"}
    secrets = secrets_from(env, tmp_path)
    [channel], problems = person_channels("volkova", person(telegram="12345"), secrets)
    assert problems == []
    assert channel.url == f"tgram://{BOT_TOKEN}/12345"
    assert apprise.Apprise().add(channel.url) is True
    assert channel.describe() == "Telegram 12345"
    assert BOT_TOKEN not in repr(channel) and BOT_TOKEN not in str(channel)

    [secret_chat], _ = person_channels("volkova", person(telegram="secret:volkova_chat"), secrets)
    assert secret_chat.describe() == "Telegram (секрет volkova_chat)"
    assert secret_chat.url.endswith("/-1001234567")

    # Sending fails locally (a proxy on a closed port stands in for "no network") and the error,
    # which quotes the request URL https://api.telegram.org/bot<token>/sendMessage, is redacted.
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    result = send(channel, "Тема", "<p>x</p>", "x", "Коротко", timeout=10)
    assert result.ok is False
    assert result.error and result.error.startswith("Telegram 12345: не отправлено")
    assert BOT_TOKEN not in result.error and BOT_TOKEN.split(":")[1] not in result.error
    assert "/bot***/sendMessage" in result.error  # the detail was there, and redacted


def test_missing_bot_token_and_sender_are_problems_naming_the_secret(tmp_path):
    secrets = secrets_from({"CYCLOGRAM_SECRET_OTHER": "value-that-must-not-leak"}, tmp_path)
    secrets.get("other")
    channels, problems = person_channels("volkova", person(email="volkova@school12.example", telegram="12345"), secrets)
    assert channels == []
    email_problem, telegram_problem = (p.message for p in problems)
    assert "«smtp»" in email_problem and "CYCLOGRAM_SECRET_SMTP" in email_problem
    assert "«telegram_bot_token»" in telegram_problem and "CYCLOGRAM_SECRET_TELEGRAM_BOT_TOKEN" in telegram_problem
    assert all(p.person == "volkova" for p in problems)
    assert not any("value-that-must-not-leak" in p.message for p in problems)


def test_person_without_contacts_is_a_problem(tmp_path):
    channels, problems = person_channels("volkova", person(), secrets_from({}, tmp_path))
    assert channels == []
    [problem] = problems
    assert problem.person == "volkova"
    assert "нет ни одного контакта" in problem.message and "Волкова Л.А." in problem.message


def test_bad_value_in_a_contact_secret_is_not_echoed(tmp_path):
    env = {"CYCLOGRAM_SECRET_SMTP": "mailto://127.0.0.1:25?from=school@example.org", "CYCLOGRAM_SECRET_MAIL": "not an address 42"}
    channels, problems = person_channels("volkova", person(email="secret:mail"), secrets_from(env, tmp_path))
    assert channels == []
    [problem] = problems
    assert "«mail»" in problem.message and "not an address" not in problem.message


def test_send_never_raises(tmp_path):
    bogus = Channel("apprise", "apprise:x", "secret:x", "nosuchservice://user:Pw0rdPw0rd@host")
    result = send(bogus, "Тема", "", "", "текст")
    assert result.ok is False and "Pw0rdPw0rd" not in (result.error or "")
    email_channel = Channel("email", "email", "a@example.org", "mailto://127.0.0.1:1?from=s@example.org&to=a%40example.org")
    result = send(email_channel, "Тема", "<p>x</p>", "x", "x", headers={"X-Bad\r\nBcc": "evil@example.org"})
    assert result.ok is False and "заголов" in (result.error or "")


# --- redaction ----------------------------------------------------------------------------------------


def test_redact_urls_tokens_and_known_values():
    assert redact("mailtos://school:p%40ss@smtp.yandex.ru?from=a@b.ru") == "mailtos://school:***@smtp.yandex.ru?from=a@b.ru"
    assert redact(f"tgram://{BOT_TOKEN}/12345") == "tgram://***/12345"
    assert (
        redact(f"POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage") == "POST https://api.telegram.org/bot***/sendMessage"
    )
    assert redact("ошибка: пароль s3cr3t-value не подошёл", ["s3cr3t-value"]) == "ошибка: пароль *** не подошёл"
    # a known URL secret also hides its pieces, decoded or not
    url = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
    assert "JHMHI8qBe7bk2ZwO5U711o3dV_js" in secret_fragments(url)
    assert redact("token JHMHI8qBe7bk2ZwO5U711o3dV_js refused", [url]) == "token *** refused"
    assert redact("login failed for p@ss w", ["mailto://u:p%40ss%20w@host"]) == "login failed for ***"
    assert redact("nothing secret here 12", ["12"]) == "nothing secret here 12"  # too short to redact


# --- secrets ----------------------------------------------------------------------------------------


def write_secrets(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_env_lookup_and_names(tmp_path):
    secrets = secrets_from({"CYCLOGRAM_SECRET_MATRIX_VOLKOVA": "  matrix://token@host  ", "CYCLOGRAM_SECRET_EMPTY": ""}, tmp_path)
    assert env_name("matrix.volkova") == "CYCLOGRAM_SECRET_MATRIX_VOLKOVA"
    assert secrets.get("matrix.volkova") == "matrix://token@host"
    assert secrets.get("matrix_volkova") == "matrix://token@host"
    assert secrets.get("empty") is None
    assert secrets.resolve("secret:matrix_volkova") == "matrix://token@host"
    assert secrets.resolve("volkova@school12.example") == "volkova@school12.example"
    assert secrets.known_values() == ["matrix://token@host"]
    with pytest.raises(SecretError):
        secrets.get("bad name")


def test_file_lookup(tmp_path):
    path = write_secrets(
        tmp_path / "secrets.env",
        "# school accounts\n"
        "smtp=mailtos://school:pa#ss@smtp.yandex.ru?from=school@yandex.ru\n"
        "export TELEGRAM_BOT_TOKEN='123:abc'\n"
        'matrix.volkova = "matrix://tok\\"en@host"\n'
        "CYCLOGRAM_SECRET_CHAT=json://host/x\n"
        "\n",
    )
    secrets = Secrets(environ={"CYCLOGRAM_SECRET_SMTP": "from-env"}, secrets_file=path, use_prefect=False)
    assert secrets.get("smtp") == "from-env"  # the environment wins
    assert secrets.get("telegram_bot_token") == "123:abc"
    assert secrets.get("matrix.volkova") == 'matrix://tok"en@host'
    assert secrets.get("chat") == "json://host/x"
    assert secrets.get("absent") is None
    assert "mailtos://school:pa#ss@smtp.yandex.ru?from=school@yandex.ru" in secrets.known_values()  # whole file, for redaction
    path.write_text("chat=changed\n", encoding="utf-8")
    assert secrets.get("chat") == "json://host/x"  # read once per instance


def test_file_open_to_others_is_refused(tmp_path):
    path = write_secrets(tmp_path / "secrets.env", "smtp=mailtos://school:VerySecret1@smtp.example.org\n", mode=0o644)
    secrets = Secrets(environ={"CYCLOGRAM_SECRET_TELEGRAM_BOT_TOKEN": "x" * 10}, secrets_file=path, use_prefect=False)
    assert secrets.get("telegram_bot_token") == "x" * 10  # the environment is consulted first
    with pytest.raises(SecretError) as info:
        secrets.get("smtp")
    message = str(info.value)
    assert f"chmod 600 {path}" in message and "644" in message
    assert "VerySecret1" not in message


def test_bad_file_line_is_not_echoed(tmp_path):
    path = write_secrets(tmp_path / "secrets.env", "ok=1\nthis line has VerySecret2 and no equals sign\n")
    with pytest.raises(SecretError) as info:
        Secrets(environ={}, secrets_file=path, use_prefect=False).get("ok")
    assert "строка 2" in str(info.value) and "VerySecret2" not in str(info.value)


def test_missing_secret_message(tmp_path):
    path = write_secrets(tmp_path / "secrets.env", "other=VerySecret3\n")
    secrets = Secrets(environ={"CYCLOGRAM_SECRET_X": "VerySecret4"}, secrets_file=path, use_prefect=False)
    secrets.get("x")
    with pytest.raises(SecretError) as info:
        secrets.require("volkova_email")
    message = str(info.value)
    assert message == (
        "секрет «volkova_email» не найден: задайте переменную окружения CYCLOGRAM_SECRET_VOLKOVA_EMAIL "
        f"или добавьте его в файл секретов {path}"
    )
    with pytest.raises(SecretError):
        secrets.resolve("secret:volkova_email")


def test_default_secrets_file():
    assert default_secrets_file({"CYCLOGRAM_SECRETS_FILE": "/etc/cyclogram/secrets"}) == Path("/etc/cyclogram/secrets")
    assert default_secrets_file({"CYCLOGRAM_HOME": "/srv/cyclogram"}) == Path("/srv/cyclogram/secrets.env")
    assert default_secrets_file({"XDG_DATA_HOME": "/data"}) == Path("/data/cyclogram/secrets.env")
    assert default_secrets_file({}) == Path.home() / ".local" / "share" / "cyclogram" / "secrets.env"


def _fake_prefect(monkeypatch: pytest.MonkeyPatch, blocks: dict[str, str]) -> list[str]:
    """Stand-in modules for prefect.blocks.system, so the test neither imports Prefect nor needs a server."""
    calls: list[str] = []

    class FakeSecret:
        def __init__(self, value: str) -> None:
            self.value = types.SimpleNamespace(get_secret_value=lambda: value)

        @classmethod
        def load(cls, name: str) -> FakeSecret:
            calls.append(name)
            if name not in blocks:
                raise ValueError(f"Unable to find block document named {name} for block type secret")
            return cls(blocks[name])

    system = types.ModuleType("prefect.blocks.system")
    system.Secret = FakeSecret  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prefect", types.ModuleType("prefect"))
    monkeypatch.setitem(sys.modules, "prefect.blocks", types.ModuleType("prefect.blocks"))
    monkeypatch.setitem(sys.modules, "prefect.blocks.system", system)
    return calls


def test_prefect_secret_blocks(tmp_path, monkeypatch):
    calls = _fake_prefect(monkeypatch, {"matrix-volkova": "123456"})
    enabled = Secrets(environ={"PREFECT_API_URL": "http://127.0.0.1:4200/api"}, secrets_file=tmp_path / "none.env")
    assert enabled.use_prefect
    assert enabled.get("matrix_volkova") == "123456"  # a string, not json-decoded to an int
    assert enabled.get("absent") is None
    with pytest.raises(SecretError) as info:
        enabled.require("absent")
    assert "Prefect Secret «absent»" in str(info.value)
    assert calls == ["matrix-volkova", "absent"]  # misses are cached too

    calls.clear()
    disabled = Secrets(environ={}, secrets_file=tmp_path / "none.env")
    assert not disabled.use_prefect and disabled.get("matrix_volkova") is None and calls == []


def test_importing_channels_does_not_import_prefect():
    code = "import sys, cyclogram.notifiers.channels, cyclogram.notifiers.secrets; sys.exit('prefect' in sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_concurrent_sends_keep_their_own_errors_and_logger_level_is_restored(http_receiver, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    port, received = http_receiver
    apprise_logger = logging.getLogger("apprise")
    level_before = apprise_logger.level
    good = Channel("apprise", "apprise:chat", "secret:chat", f"json://127.0.0.1:{port}/ok")
    down = Channel("apprise", "apprise:down", "secret:down", f"json://127.0.0.1:{free_port()}/down")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(send, channel, "Тема", "", "", "текст") for channel in [good, down] * 4]
        results = [future.result() for future in futures]
    assert [r.ok for r in results] == [True, False] * 4
    for result in results[1::2]:
        assert result.error and result.error.startswith("Apprise (секрет down): не отправлено")
    assert len(received) == 4
    assert apprise_logger.level == level_before


def test_a_silent_server_is_cut_off_by_the_timeout():
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        channel = Channel(
            "email",
            "email",
            "a@example.org",
            f"mailto://school:Pw0rdPw0rd@127.0.0.1:{port}?from=s@example.org&mode=insecure&to=a%40example.org&format=html",
        )
        result = send(channel, "Тема", "<p>x</p>", "x", "x", timeout=1)  # the message below says the timeout fired
    assert result.ok is False
    assert "истекло время ожидания" in (result.error or "") and "Pw0rdPw0rd" not in (result.error or "")


def test_describe_never_shows_an_apprise_url():
    assert Channel("apprise", "apprise:x", "json://u:p@host", "json://u:p@host").describe() == "Apprise (адрес скрыт)"
