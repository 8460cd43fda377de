"""Downloadable metrics templates (long CSV, wide CSV, wide XLSX, JSON), each a valid upload of real codes."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook

_EXAMPLE: dict[str, dict[str, float]] = {
    "2025-01": {
        "fcr_rate": 72.5,
        "cost_per_ticket": 16.2,
        "channel_phone_pct": 45,
        "channel_email_pct": 30,
        "channel_portal_pct": 15,
        "channel_chat_pct": 8,
        "channel_walkup_pct": 2,
    },
    "2025-02": {
        "fcr_rate": 73.1,
        "cost_per_ticket": 15.9,
        "channel_phone_pct": 44,
        "channel_email_pct": 30,
        "channel_portal_pct": 16,
        "channel_chat_pct": 8,
        "channel_walkup_pct": 2,
    },
}
_CODES = tuple(_EXAMPLE["2025-01"])


def long_csv_template() -> bytes:
    """`period,metric,value` with one example row per period and metric, UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period", "metric", "value"))
    writer.writerows((period, code, value) for period, row in _EXAMPLE.items() for code, value in row.items())
    return out.getvalue().encode("utf-8")


def wide_csv_template() -> bytes:
    """`period,<code>,...` with one example row per period, UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period", *_CODES))
    writer.writerows((period, *(row[c] for c in _CODES)) for period, row in _EXAMPLE.items())
    return out.getvalue().encode("utf-8")


def wide_xlsx_template() -> bytes:
    """The wide form as a workbook; periods are text cells so that Excel does not turn them into dates."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "metrics"
    sheet.append(("period", *_CODES))
    for period, row in _EXAMPLE.items():
        sheet.append((period, *(row[c] for c in _CODES)))
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def json_template() -> bytes:
    """The API envelope `{"kind": "metrics", "records": [...]}` of long-form records."""
    records = [
        {"period": period, "metric": code, "value": value}
        for period, row in _EXAMPLE.items()
        for code, value in row.items()
    ]
    return json.dumps({"kind": "metrics", "records": records}, indent=2).encode("utf-8")


TEMPLATES = {
    "peerbench-metrics-long.csv": long_csv_template,
    "peerbench-metrics-wide.csv": wide_csv_template,
    "peerbench-metrics-wide.xlsx": wide_xlsx_template,
    "peerbench-metrics.json": json_template,
}

# what each template is, for the upload and definitions pages: file name -> (label, hint)
TEMPLATE_LABELS = {
    "peerbench-metrics-long.csv": ("Long CSV", "period, metric, value: one row per value"),
    "peerbench-metrics-wide.csv": ("Wide CSV", "period, then one column per metric code"),
    "peerbench-metrics-wide.xlsx": ("Wide Excel", "the wide form as an .xlsx workbook"),
    "peerbench-metrics.json": ("JSON", 'the API\'s {"kind", "records"} envelope'),
}
