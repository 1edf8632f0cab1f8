"""Evidence through the web: uploads within limits, downloads that cannot run in the browser.

Uploads (the completion form of `cyclogram.web.links`):

* **Size**: at most `MAX_UPLOAD_BYTES` (20 MB, said on the form). A request whose Content-Length
  is larger is refused before its body is read; a body without one (chunked) is read only up to
  the limit plus the form's own fields (`read_form`), so nobody can fill the disk through the form;
  a field over `MAX_FIELD_BYTES`, too many fields or broken framing is `BadForm` (a Russian page,
  not Starlette's English 400).
  The caller answers 413 with a Russian page.
* **Type**, by the name's extension *and* by the content (`sniff`): PDF, PNG, JPEG, DOCX, XLSX,
  ODT, ODS (zip containers with the parts their format requires), TXT and CSV (text in UTF-8 or
  Windows-1251, without control bytes, and not an HTML document). Anything else — an .exe, an
  .html, a PDF that is really a zip — is refused with 415.
* **Storage**: the upload is copied into a private temporary file (0600, `save_upload`), then
  stored by `cyclogram.recording` through the existing evidence store (by sha256, 0600 in a 0700
  folder); the original file name, cleaned of folders and control characters, is kept in the
  database. The temporary file is removed by the caller whatever happens.

Downloads (`download_response`): always `Content-Disposition: attachment` with the original name
(an ASCII fallback and the RFC 5987 `filename*`), `application/octet-stream` unless the content
is a PDF, PNG or JPEG, never cached by shared caches; `X-Content-Type-Options: nosniff` comes with
every response of the app. Files are found only by a 64-hex sha256 (`is_sha256`), so no path can be
named.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.types import Message

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024  # a note or a reason as sent: a form-encoded Cyrillic letter takes 6 bytes; 20 fields at most
FORM_OVERHEAD_BYTES = 128 * 1024
CHUNK = 1024 * 1024
MAX_NAME = 150
ACCEPT = ".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.ods,.txt,.csv"
ALLOWED_WORDS = "PDF, PNG, JPG, DOCX, XLSX, ODT, ODS, TXT или CSV"
KINDS = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".odt": "odt",
    ".ods": "ods",
    ".txt": "text",
    ".csv": "text",
}
KIND_WORDS = {
    "pdf": "PDF",
    "png": "картинку PNG",
    "jpeg": "фотографию JPEG",
    "docx": "документ Word (DOCX)",
    "xlsx": "таблицу Excel (XLSX)",
    "odt": "документ ODT",
    "ods": "таблицу ODS",
    "text": "текст",
}
_ODF_TYPES = {
    "odt": b"application/vnd.oasis.opendocument.text",
    "ods": b"application/vnd.oasis.opendocument.spreadsheet",
}
_OOXML_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_START = re.compile(rb"^\s*<(?:!doctype|html|head|body|script|svg|\?xml)", re.IGNORECASE)


class TooLarge(Exception):
    """The request body or the file is larger than the limit."""


class BadForm(Exception):
    """The form could not be read: a field over `MAX_FIELD_BYTES`, too many fields or files, broken framing."""


class Unacceptable(Exception):
    """A file of a type the form does not take; the message is Russian, for the page."""


@dataclass(frozen=True)
class SavedUpload:
    path: Path  # a private temporary file: the caller removes it
    name: str  # the original name, cleaned
    size: int


def is_sha256(text: str) -> bool:
    return bool(_SHA256.match(text))


# --- reading the form ---------------------------------------------------------------------------


async def read_form(request: Request, limit: int = MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES) -> FormData:
    """The form, reading at most `limit` bytes of body (TooLarge beyond; see module docstring)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise TooLarge
    received = 0
    receive = request.receive

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge
        return message

    bounded = Request(request.scope, limited)
    try:
        return await bounded.form(max_files=1, max_fields=20, max_part_size=MAX_FIELD_BYTES)
    except HTTPException as error:  # Starlette's parser says 400 in English; the page says it in Russian
        if error.status_code == 400:
            raise BadForm(error.detail) from None
        raise
    except MultiPartException as error:
        raise BadForm(error.message) from None


def uploaded_file(form: FormData, field: str) -> UploadFile | None:
    """The file sent in `field`, if one was chosen (an empty file input sends a nameless part)."""
    value = form.get(field)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def clean_name(raw: str) -> str:
    """The file's own name: no folders (some browsers send C:\\…\\x.pdf), no control characters,
    no quotes, at most `MAX_NAME` characters with its extension kept."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\"'<>|*?:").strip().lstrip(".")
    if len(name) > MAX_NAME:
        suffix = Path(name).suffix[:20]
        name = name[: MAX_NAME - len(suffix)] + suffix if suffix else name[:MAX_NAME]
    return name or "файл"


def kind_of(name: str) -> str:
    """The kind the extension promises, or Unacceptable."""
    kind = KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise Unacceptable(f"файлы такого типа не принимаются; можно: {ALLOWED_WORDS}")
    return kind


async def save_upload(upload: UploadFile, limit: int = MAX_UPLOAD_BYTES) -> SavedUpload:
    """Copy the upload into a private temporary file, checking its size and its type (by extension
    and content). The caller removes `path`."""
    name = clean_name(upload.filename or "")
    kind = kind_of(name)
    fd, temporary = tempfile.mkstemp(prefix="cyclogram-upload-")  # 0600
    path = Path(temporary)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                out.write(chunk)
        if size == 0:
            raise Unacceptable("файл пустой: выберите файл с документом")
        if not sniff(path, kind):
            raise Unacceptable(f"содержимое файла «{name}» не похоже на {KIND_WORDS[kind]}: такой файл не принимается")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return SavedUpload(path, name, size)


# --- what a file really is ----------------------------------------------------------------------


def sniff(path: Path, kind: str) -> bool:
    """Whether the content is what `kind` promises (module docstring)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "png":
        return head == b"\x89PNG\r\n\x1a\n"
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind in _OOXML_PARTS or kind in _ODF_TYPES:
        return head.startswith(b"PK\x03\x04") and _zip_is(path, kind)
    if kind == "text":
        return _is_text(path.read_bytes())
    return False


def _zip_is(path: Path, kind: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if kind in _OOXML_PARTS:
                return "[Content_Types].xml" in names and _OOXML_PARTS[kind] in names
            if not names or names[0] != "mimetype":
                return False
            return archive.read("mimetype").strip() == _ODF_TYPES[kind]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError, RuntimeError):
        return False


def _is_text(data: bytes) -> bool:
    if _CONTROL.search(data) or _HTML_START.match(data.removeprefix(b"\xef\xbb\xbf")):
        return False
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


# --- downloads ----------------------------------------------------------------------------------


def safe_media_type(path: Path) -> str:
    """The type a browser may show itself: PDF, PNG or JPEG by content; everything else is bytes."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "application/octet-stream"


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one in RFC 5987 form (`filename*`)."""
    cleaned = clean_name(name)
    path = Path(cleaned)
    stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in path.stem).strip()
    suffix = "".join(ch for ch in path.suffix if ch.isascii() and (ch.isalnum() or ch == "."))
    fallback = (stem if any(ch.isalnum() for ch in stem) else "file") + suffix
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(cleaned, safe='')}"


def download_response(path: Path, name: str) -> FileResponse:
    return FileResponse(
        path,
        media_type=safe_media_type(path),
        headers={"Content-Disposition": content_disposition(name), "Cache-Control": "private, no-store"},
    )
