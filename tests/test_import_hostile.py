"""`cyclogram import` against hostile and careless input: ZIP bombs, huge sheets, wrong extensions,
devices, pipes, encrypted and old Office files, NUL bytes, credentials and control characters in
cells, `-o` at the document itself. Each refusal is one Russian line naming the file, exit 1, no
traceback and no file written; the risky ones run in a child limited in memory (tests/test_limits.py's
runner) — memory bounds, no timing assertions."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from seed_documents import SPT, write_csv, write_docx, write_xlsx
from test_limits import Run, run_bounded

from cyclogram.importing import import_document
from cyclogram.importing.readers import MAX_PART_BYTES, MAX_ROWS, MAX_ZIP_ENTRIES, ImportRefusal

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="resource limits, FIFOs and /dev/zero as on Linux")

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
SS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def refused(run: Run, *words: str) -> None:
    lines = run.output.strip().splitlines()
    assert run.returncode == 1, run
    assert "Traceback" not in run.output, run.output
    assert len(lines) == 1 and lines[0].startswith("ошибка: "), run.output
    for word in words:
        assert word in lines[0], lines[0]


def import_bounded(tmp_path: Path, source: Path, memory_mb: int = 400) -> Run:
    output = tmp_path / "out.yaml"
    run = run_bounded(tmp_path, "import", str(source), "-o", str(output), memory_mb=memory_mb, timeout=60)
    if run.returncode != 0:
        assert not output.exists(), "a refused import left a file behind"
    return run


def package(path: Path, members: dict[str, bytes], big: tuple[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        for name, data in members.items():
            archive.writestr(name, data)
        if big is not None:  # a member inflating to `size` bytes of one letter
            with archive.open(big[0], "w", force_zip64=True) as stream:
                block = b"A" * (1 << 20)
                for _ in range(big[1] >> 20):
                    stream.write(block)
    return path


# --- packages --------------------------------------------------------------------------------------


def test_docx_bomb_is_refused_from_the_central_directory(tmp_path: Path) -> None:
    bomb = package(tmp_path / "bomb.docx", {}, ("word/document.xml", 2 * MAX_PART_BYTES))
    assert bomb.stat().st_size < 1024 * 1024
    run = import_bounded(tmp_path, bomb)
    refused(run, "bomb.docx", "word/document.xml", "распаковывается")
    assert run.max_rss_mb < 100, run


def test_package_with_thousands_of_entries_is_refused(tmp_path: Path) -> None:
    members = {f"word/media/{i}.xml": b"" for i in range(MAX_ZIP_ENTRIES + 1)}
    members["word/document.xml"] = f"<w:document {W}/>".encode()
    run = import_bounded(tmp_path, package(tmp_path / "many.docx", members))
    refused(run, "many.docx", "файлов")
    assert run.max_rss_mb < 120, run


def test_shared_strings_bomb_is_refused(tmp_path: Path) -> None:
    members = {"xl/workbook.xml": b"<workbook/>"}
    run = import_bounded(tmp_path, package(tmp_path / "strings.xlsx", members, ("xl/sharedStrings.xml", 2 * MAX_PART_BYTES)))
    refused(run, "strings.xlsx", "xl/sharedStrings.xml")
    assert run.max_rss_mb < 100, run


def test_sheet_with_a_cell_at_the_far_corner_is_refused_while_streaming(tmp_path: Path) -> None:
    sheet = tmp_path / "corner.xlsx"
    write_xlsx(SPT, sheet)
    with zipfile.ZipFile(sheet) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    name = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    xml = parts[name].decode()
    corner = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    parts[name] = xml.replace("</sheetData>", corner).encode()
    with zipfile.ZipFile(sheet, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in parts.items():
            archive.writestr(member, data)
    run = import_bounded(tmp_path, sheet)
    refused(run, "corner.xlsx", "XFD1048576")
    assert run.max_rss_mb < 150, run


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("plan.docx", b"%PDF-1.4\n" + bytes(2000), "это PDF"),
        ("plan.txt", b"\x89PNG\r\n\x1a\n" + bytes(2000), "картинка PNG"),
        (
            "plan.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + bytes(2000),
            "защищён паролем",
        ),
        ("plan.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), "старого формата Office (.xls)"),
        ("plan.docx", b"", "файл пустой"),
        ("plan.csv", "№;Мероприятие\x00;Срок\n".encode(), "нулевой байт"),
        ("plan.csv", b'a;b\n"' + b"x" * 200_000 + b"\n", "строка 2: ячейка длиннее"),
        ("plan.csv", "№;Мероприятие;Срок;Ответственный\n".encode(), "только заголовки"),
    ],
)
def test_what_is_not_a_plan_is_named(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    refused(import_bounded(tmp_path, path), name, words)


def test_wrong_extension_names_the_real_kind(tmp_path: Path) -> None:
    workbook = write_xlsx(SPT, tmp_path / "plan.xlsx")
    renamed = workbook.rename(tmp_path / "plan.docx")
    refused(import_bounded(tmp_path, renamed), "plan.docx", "книга Excel", "plan.xlsx")


@pytest.mark.parametrize("kind", ["dev", "fifo", "dir"])
def test_devices_pipes_and_folders_are_refused_before_opening(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "plan.docx"
    if kind == "dev":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)  # nobody writes: opening it would wait forever
    else:
        path.mkdir()
    run = import_bounded(tmp_path, path)
    refused(run, "plan.docx", "это не обычный файл")
    assert run.max_rss_mb < 100, run


def test_too_many_rows_are_refused_not_cut(tmp_path: Path) -> None:
    rows = ["№;Мероприятие;Срок;Ответственный"] + [f"{i};Дело {i};до 01.09.2024;Иванов И.И." for i in range(1, MAX_ROWS + 10)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = import_bounded(tmp_path, path)
    refused(run, "long.csv", f"больше {MAX_ROWS} строк")
    assert run.max_rss_mb < 150, run


def test_many_tab_rows_in_text_are_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes("1.\tМероприятие\tдо 01.09.2024\tИванов И.И.\n".encode() * 250_000)
    run = import_bounded(tmp_path, path)
    refused(run, "huge.txt", "строк")
    assert run.max_rss_mb < 250, run


# --- what reaches the roadmap -------------------------------------------------------------------------


def test_utf16_with_a_bom_is_read(tmp_path: Path) -> None:
    source = write_csv(SPT, tmp_path / "plan.csv")
    text = source.read_bytes().decode("cp1251")
    source.write_bytes(text.encode("utf-16"))
    assert sum(r.stages for r in import_document(source)) == 28


def test_credentials_and_control_characters_never_reach_the_roadmap(tmp_path: Path) -> None:
    cells = [
        "Отправить на https://admin:Sup3rPass@mail.school.ru/inbox",
        "Токен 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "Отчёт\x01\x07\x1b[31m и\x0bвторая строка",
        "!!python/object/apply:os.system ['id']",
        "...",
    ]
    rows = ["№;Мероприятие;Срок;Ответственный"]
    rows += [f'{i};"{c}";до 01.09.2024;"{c if i % 2 else "Иванов И.И."}"' for i, c in enumerate(cells, 1)]
    path = tmp_path / "secrets.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    output = tmp_path / "secrets.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "cyclogram", "import", str(path), "-o", str(output)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = output.read_text(encoding="utf-8")
    for secret in ("Sup3rPass", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"):
        assert secret not in text and secret not in result.stdout
    assert "пароли и токены из документа скрыты" in result.stdout
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in text)
    assert "вторая строка" in text


def test_output_at_the_document_or_a_missing_folder_is_refused(tmp_path: Path) -> None:
    source = write_docx(SPT, tmp_path / "plan.docx")
    before = source.read_bytes()
    for target, words in ((source, "сам импортируемый документ"), (tmp_path / "no" / "x.yaml", "папки")):
        result = subprocess.run(
            [sys.executable, "-m", "cyclogram", "import", str(source), "-o", str(target)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1 and words in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.docx"]


def test_in_process_refusal_is_an_import_refusal(tmp_path: Path) -> None:
    path = tmp_path / "plan.odt"
    path.write_bytes(b"PK\x03\x04broken")
    with pytest.raises(ImportRefusal, match=r"plan\.odt"):
        import_document(path)


def test_exported_excel_keeps_formula_like_text_as_text() -> None:
    import openpyxl

    from cyclogram.exporting.xlsx_file import _text

    cell = _text(openpyxl.Workbook().active.cell(row=1, column=1), '=HYPERLINK("http://evil.example","x")')
    assert cell.data_type == "s"
