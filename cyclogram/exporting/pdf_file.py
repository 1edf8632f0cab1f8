"""The appendix as a PDF: an HTML page (Jinja2, autoescaped) printed by WeasyPrint.

`@page { size: A4 landscape }` and a `<thead>` that WeasyPrint repeats on every page give the
order's appendix; rows are not split across pages; page numbers «стр. N из M» sit at the bottom.
WeasyPrint needs pango from the system: when it cannot load it, the export refuses in Russian with
the packages to install (see the package docstring for why WeasyPrint).
"""

from __future__ import annotations

from pathlib import Path

from cyclogram.engine import russian
from cyclogram.exporting import HEADERS, STATUS_COLOURS, Appendix, ExportRefusal

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_html(document: Appendix) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES), encoding="utf-8"), autoescape=True, undefined=StrictUndefined
    )
    template = environment.get_template("appendix.html.j2")
    return template.render(
        doc=document,
        columns=document.columns,
        headers=HEADERS,
        colours={status.value: colours for status, colours in STATUS_COLOURS.items()},
        as_of=russian.format_date(document.as_of),
    )


def render_pdf(document: Appendix) -> bytes:
    html = render_html(document)
    try:
        from weasyprint import HTML
    except OSError as error:  # pango (or its friends) missing from the system
        raise ExportRefusal(
            "для PDF нужна системная библиотека pango (WeasyPrint): установите пакеты "
            f"libpango-1.0-0 и libpangoft2-1.0-0 (apt-get install libpango-1.0-0 libpangoft2-1.0-0) — {error}"
        ) from None
    pdf = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
