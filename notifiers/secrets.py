"""Where secret values come from: environment variables, a private secrets file, Prefect Secret blocks.

A roadmap only names a secret (``secret:NAME``); its value is looked up here, in this order:

1. the environment variable ``CYCLOGRAM_SECRET_<NAME>`` (upper case, every character that is not a
   letter or a digit replaced by ``_``): ``secret:matrix.volkova`` → ``CYCLOGRAM_SECRET_MATRIX_VOLKOVA``;
2. the secrets file the caller names (`cyclogram.settings.secrets_file()`: ``CYCLOGRAM_SECRETS_FILE``,
   else ``<data dir>/secrets.env``), dotenv-like ``NAME=value`` lines; the file must be private to
   its owner (``chmod 600``), otherwise it is refused;
3. a Prefect ``Secret`` block — only when Prefect is enabled (``use_prefect=True``, or by default when
   ``PREFECT_API_URL`` is set). Prefect block names allow only lowercase letters, digits and dashes, so
   ``matrix_volkova`` is looked up as the block ``matrix-volkova``.

Secret values never appear in the messages of this module; a secret's name, which comes from a
roadmap or a command line, is quoted through `cyclogram.engine.credentials.mask` in case someone
wrote the value where the name belongs.
"""

from __future__ import annotations

import inspect
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from cyclogram.engine.credentials import mask
from cyclogram.engine.diagnostics import Refusal

ENV_PREFIX = "CYCLOGRAM_SECRET_"

SECRET_PREFIX = "secret:"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_FILE_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")


class SecretError(Refusal):
    """A secret cannot be found or read; the message is Russian and never contains a secret value."""

    exit_code = 4


def env_name(name: str) -> str:
    """The environment variable that holds secret ``name``: CYCLOGRAM_SECRET_<NAME>."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def prefect_block_name(name: str) -> str:
    """The Prefect Secret block name for secret ``name`` (lowercase letters, digits, dashes)."""
    return re.sub(r"[^a-z0-9-]", "-", name.lower())


def _normalized(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def is_reference(value: str) -> bool:
    return value.startswith(SECRET_PREFIX)


def reference_name(value: str) -> str:
    """``secret:NAME`` → ``NAME`` (checked)."""
    name = value[len(SECRET_PREFIX) :].strip() if is_reference(value) else value
    _check_name(name)
    return name


def _check_name(name: str) -> None:
    if not _NAME.match(name or ""):
        raise SecretError(
            f"имя секрета «{mask(name)}» записано неверно: нужны латинские буквы, цифры, «_», «.» или «-», например secret:smtp"
        )


def _unquote(raw: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), inner)
    # No inline comments for unquoted values: "#" is common in passwords and Apprise URLs.
    return value


def parse_secrets_text(text: str, path: Path | str = "") -> dict[str, str]:
    """Parse dotenv-like text: ``NAME=value``, ``export NAME=value``, ``# comments``, optional quotes.

    Keys are matched case-insensitively and a ``CYCLOGRAM_SECRET_`` prefix is allowed, so ``smtp=``,
    ``SMTP=`` and ``CYCLOGRAM_SECRET_SMTP=`` all define the secret ``smtp``.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _FILE_LINE.match(stripped)
        if not match:
            # The line itself is not echoed: it may hold a value.
            raise SecretError(f"файл секретов {path}, строка {number}: ожидается ИМЯ=значение")
        key = _normalized(match[1])
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX):
            key = key[len(ENV_PREFIX) :]
        values[key] = _unquote(match[2])
    return values


class Secrets:
    """Secret lookup for one run; the secrets file is read (and checked) at most once per instance."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        secrets_file: Path | None = None,
        use_prefect: bool | None = None,
    ) -> None:
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self.secrets_file: Path | None = Path(secrets_file) if secrets_file is not None else None
        if use_prefect is None:
            use_prefect = bool(self._environ.get("PREFECT_API_URL"))
        self.use_prefect = use_prefect
        self._file_values: dict[str, str] | None = None
        self._found: dict[str, str] = {}  # name → value, every value handed out so far
        self._prefect_misses: set[str] = set()

    # --- lookup ------------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        """The value of secret ``name``, or None if it is defined nowhere.

        Raises SecretError when a source exists but cannot be used (a secrets file open to others,
        an unreadable file, a Prefect error other than "no such block").
        """
        _check_name(name)
        value = self._environ.get(env_name(name))
        if value is not None and value.strip():
            return self._remember(name, value.strip())
        value = self._load_file().get(_normalized(name))
        if value:
            return self._remember(name, value)
        if self.use_prefect:
            value = self._from_prefect(name)
            if value:
                return self._remember(name, value)
        return None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            where = f"задайте переменную окружения {env_name(name)}"
            if self.secrets_file is not None:
                where += f" или добавьте его в файл секретов {self.secrets_file}"
            if self.use_prefect:
                where += f" или создайте блок Prefect Secret «{prefect_block_name(name)}»"
            raise SecretError(f"секрет «{mask(name)}» не найден: {where}")
        return value

    def resolve(self, value: str) -> str:
        """``secret:NAME`` → the secret's value (SecretError if missing); anything else as is."""
        if is_reference(value):
            return self.require(reference_name(value))
        return value

    def known_values(self) -> list[str]:
        """Every secret value loaded so far (the whole secrets file once read), for redaction."""
        values = set(self._found.values())
        if self._file_values:
            values.update(v for v in self._file_values.values() if v)
        return sorted(values, key=len, reverse=True)

    # --- sources -----------------------------------------------------------------------------

    def _remember(self, name: str, value: str) -> str:
        self._found[name] = value
        return value

    def _load_file(self) -> dict[str, str]:
        if self._file_values is None:
            self._file_values = self._read_file(self.secrets_file) if self.secrets_file is not None else {}
        return self._file_values

    @staticmethod
    def _read_file(path: Path) -> dict[str, str]:
        try:
            info = path.stat()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretError(f"не удалось открыть файл секретов {path}: {exc.strerror or type(exc).__name__}") from None
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(f"файл секретов {path} — не обычный файл")
        if os.name == "posix" and info.st_mode & 0o077:
            raise SecretError(
                f"файл секретов {path} доступен не только владельцу (права {stat.S_IMODE(info.st_mode):o}), "
                f"поэтому не используется; закройте его: chmod 600 {path}"
            )
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise SecretError(f"файл секретов {path} должен быть в кодировке UTF-8") from None
        except OSError as exc:
            raise SecretError(f"не удалось прочитать файл секретов {path}: {exc.strerror or type(exc).__name__}") from None
        return parse_secrets_text(text, path)

    def _from_prefect(self, name: str) -> str | None:
        if name in self._prefect_misses:
            return None
        block_name = prefect_block_name(name)
        try:
            # Imported only here: importing Prefect takes over a second.
            from prefect.blocks.system import Secret

            block = Secret.load(block_name)
            if inspect.isawaitable(block):
                # Called from inside a running event loop, Prefect hands back a coroutine;
                # load in a worker thread instead, where it runs synchronously.
                if hasattr(block, "close"):
                    block.close()
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=1) as pool:
                    block = pool.submit(Secret.load, block_name).result()
            assert isinstance(block, Secret)  # loaded synchronously: the block, not a coroutine
            raw = block.value.get_secret_value()
        except ValueError as exc:
            if "Unable to find" in str(exc):
                self._prefect_misses.add(name)
                return None
            raise SecretError(
                f"не удалось получить секрет «{name}» из Prefect (блок {block_name}): {type(exc).__name__}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any Prefect/network failure becomes a SecretError
            raise SecretError(
                f"не удалось получить секрет «{name}» из Prefect (блок {block_name}): {type(exc).__name__}"
            ) from None
        # Secret.get() would json-decode the value ("123456" → int); the raw string is what we want.
        value = raw if isinstance(raw, str) else str(raw)
        if not value.strip():
            self._prefect_misses.add(name)
            return None
        return value.strip()
