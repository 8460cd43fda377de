"""CSV and XLSX exports of poll results. Text that a spreadsheet would run as a formula is neutralised.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets strip before reading
one of those) gets a leading apostrophe: respondents write free text, and a researcher opening the file
must not run it (CSV/formula injection, OWASP).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from openpyxl import Workbook

from benchmarks.polls.results import SUPPRESSED, CrossTab, PollResults, Summary
from benchmarks.surveys import measures

HEADER = ("section", "question", "answer", "n", "count", "percent", "margin_of_error")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def neutralise(value: Cell) -> Cell:
    """Text starting like a formula gets a leading apostrophe; numbers and other text are left alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def result_rows(results: PollResults) -> Iterator[tuple[Cell, ...]]:
    """Answers with shares and margins, NPS/CSAT/CES summaries, then free-text answers (alphabetical)."""
    for q in results.questions:
        for row in q.rows:
            yield ("answer", q.spec.text, row.label, q.n, row.count, _round(row.pct), _round(row.margin))
        if q.summary is not None:
            name, value = _summary_value(q.spec.library or "", q.summary)
            yield ("summary", q.spec.text, name, q.n, None, _round(value), _round(q.summary.margin))
    for q in results.questions:
        for text in q.texts:
            yield ("text", q.spec.text, text, q.n, None, None, None)
    for table in results.crosstabs:
        yield from _crosstab_rows(results, table)


def _summary_value(library: str, summary: Summary) -> tuple[str, float]:
    if isinstance(summary, measures.NpsResult):
        return "NPS", summary.score
    if isinstance(summary, measures.CsatResult):
        return "CSAT %", summary.pct
    return "CES mean", summary.mean


def _crosstab_rows(results: PollResults, table: CrossTab) -> Iterator[tuple[Cell, ...]]:
    by = results.by.text if results.by else ""
    for label, cells in table.rows:
        for group, cell in zip(table.groups, cells, strict=True):
            section = f"by {by}: {group.label}"
            n = group.n if group.n is not None else SUPPRESSED
            count = SUPPRESSED if cell.suppressed else cell.count
            yield (section, table.question.text, label, n, count, _round(cell.pct), None)


def results_csv(results: PollResults) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in result_rows(results):
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return out.getvalue()


def results_xlsx(results: PollResults) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Results")
    sheet.append([neutralise(results.title)])
    sheet.append(["responses", results.responses])
    sheet.append([])
    sheet.append(list(HEADER))
    for row in result_rows(results):
        sheet.append([neutralise(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
