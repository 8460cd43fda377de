"""A report document to HTML (Jinja, autoescaped) and HTML to PDF (WeasyPrint). No Flask, no database.

WeasyPrint may fetch nothing but `data:` URIs while it renders (the logo is inlined as one), so a report
cannot be made to read a local file or call out to the network, whatever a tenant managed to put in it.
"""

from __future__ import annotations

import ctypes.util
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from benchmarks.reports.document import ReportDocument

TEMPLATES = Path(__file__).resolve().parent / "templates"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core"
_HEX = re.compile(r"#[0-9a-f]{6}")
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one INFO line per stylesheet parsed


class RendererMissing(RuntimeError):
    """WeasyPrint cannot load its system libraries (Pango, HarfBuzz, fontconfig)."""


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["brand_colour"] = _brand_colour
    return env


def _brand_colour(value: str) -> str:
    # the only tenant-controlled value placed in CSS: it must be a plain #rrggbb
    return value if _HEX.fullmatch(value) else "#1f5fae"


def render_html(document: ReportDocument) -> str:
    """The report as one self-contained HTML document (styles inline, charts as inline SVG)."""
    return _environment().get_template("reports/pdf/report.html").render(doc=document)


def check_renderer() -> None:
    """Raise RendererMissing naming the Debian packages when the system libraries WeasyPrint loads are absent.

    A library lookup, not an import: importing WeasyPrint costs every web and worker process ~25 MB, which
    only the processes that render a PDF should pay (render_pdf imports it, and checks again).
    """
    missing = [
        name for name in ("pango-1.0", "pangoft2-1.0", "harfbuzz") if ctypes.util.find_library(name) is None
    ]
    if missing:
        raise RendererMissing(
            f"PDF reports need Pango and fonts; these libraries are missing: {', '.join(missing)}. "
            f"On Debian or Ubuntu: apt-get install {PANGO_PACKAGES} (scripts/setup does this)."
        )


def _import_renderer() -> None:
    try:
        import weasyprint  # noqa: F401 - the import itself loads Pango through cffi
    except OSError as error:
        raise RendererMissing(
            f"PDF reports need Pango and fonts, which WeasyPrint could not load ({error}). "
            f"On Debian or Ubuntu: apt-get install {PANGO_PACKAGES} (scripts/setup does this)."
        ) from error


def render_pdf(html: str) -> RenderedPdf:
    """Lay out and write the PDF: tagged (structure for screen readers), metadata from the HTML head."""
    _import_renderer()
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=html, url_fetcher=fetcher).render(pdf_tags=True)
    return RenderedPdf(document.write_pdf(pdf_tags=True), len(document.pages))
