"""`cyclogram import` of a 70-row plan (Word, Excel, text): whole process and in process.

Goal (the import issue): a 70-row document imported — read, understood, written and checked (the
YAML validated and planned) — in under 1 s as a whole process. The document is built from the
three seed documents' rows (their deadline phrases and responsible cells as schools write them):
sections, a row split across a page, merged section rows.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import CLI, bare, inner, ms, verdict, whole

from cyclogram.importing import import_document
from cyclogram.importing.readers import parse_text
from cyclogram.workdays import country_days

SEEDS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "seeds"
ROWS = 70
HEADER = ["№ п/п", "Мероприятия", "Сроки", "Ответственные", "Документ"]


def seed_rows() -> list[tuple[str, str, str, str]]:
    """(title, deadline, responsible, document) of every item of the three seeds, by the importer's reader."""
    from cyclogram.importing.tables import find_plans

    rows = []
    for path in sorted(SEEDS.glob("*.txt")):
        plans = find_plans(parse_text(path.read_text(encoding="utf-8"), path.name))
        for table in plans.tables:
            for item in table.all_items():
                cells = (item.title, next(iter(item.deadlines.values()), ""), item.responsible.replace("\n", ", "), item.document)
                rows.append(tuple(" ".join(cell.split()) for cell in cells))  # type: ignore[arg-type]
    return rows


def plan_rows(count: int = ROWS) -> list[list[str]]:
    """`count` items in sections of ten, numbered 1.1., 1.2., …; item 5 split across a page."""
    source = seed_rows()
    rows: list[list[str]] = [HEADER]
    for index in range(count):
        section, number = divmod(index, 10)
        if number == 0:
            rows.append([f"{section + 1}. Раздел плана номер {section + 1}", "", "", "", ""])
        title, deadline, responsible, document = source[index % len(source)]
        cells = [f"{section + 1}.{number + 1}.", title, deadline, responsible, document]
        if index == 4:
            half = len(title) // 2
            rows.append([cells[0], title[:half], deadline, responsible, document])
            rows.append(["", title[half:], "", "", ""])
            continue
        rows.append(cells)
    return rows


def write_documents(folder: Path) -> dict[str, Path]:
    import docx
    import openpyxl

    rows = plan_rows()
    heading = "План мероприятий МБОУ «СОШ №12» по г. Усолье-Сибирское в 2024-2025 учебном году"
    text = folder / "plan70.txt"
    text.write_text(f"**{heading}**\n\n" + "\n".join("\t".join(row) for row in rows) + "\n", encoding="utf-8")
    word = docx.Document()
    word.add_paragraph().add_run(heading).bold = True
    table = word.add_table(rows=0, cols=len(HEADER))
    for row in rows:
        cells = table.add_row().cells
        if row[0] and not any(row[1:]):
            cells[0].merge(cells[-1]).text = row[0]
            continue
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    word.save(str(folder / "plan70.docx"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([heading])
    for row in rows:
        sheet.append(row)
    book.save(str(folder / "plan70.xlsx"))
    return {"txt": text, "docx": folder / "plan70.docx", "xlsx": folder / "plan70.xlsx"}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        documents = write_documents(folder)
        country = country_days()
        python = bare()
        print(f"python -c pass                          median {ms(python)}")
        for kind, path in documents.items():
            out = folder / f"out-{kind}.yaml"
            t_inner, results = inner(lambda path=path, out=out: import_document(path, out, country=country))
            (result,) = results
            assert result.checked.plan is not None and result.stages == ROWS, result.stages
            whole_time, _ = whole([CLI, "import", str(path), "-o", str(out), "--timezone", "Asia/Irkutsk"], runs=7)
            stats = result.draft.stats
            print(
                f"cyclogram import {ROWS} rows ({kind:4})          median {ms(whole_time)}  {verdict(whole_time, 1.0)}; "
                f"in process {ms(t_inner).strip()}; сроки {stats.structural}/{stats.deadlines}, "
                f"ответственные {stats.resolved}/{stats.responsible}"
            )


if __name__ == "__main__":
    main()
