"""Validate a metrics upload, long (`period,metric,value`) or wide (`period,<code>,...`), as one whole.

Every check is a polars expression over all rows at once; no Python loop runs per row. A file is accepted
only when no check finds anything; then `values` holds every (period, metric, value), sorted by period and
metric. Otherwise `errors` holds the first MAX_ERRORS errors in (row, column, value, reason) order and
`error_count` their total. Row numbers follow benchmarks.metrics.readers (header = row 1; JSON records
from 1).
A period is in the future when its first day is after `today`: the current month may be uploaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.metrics.catalogue import METRICS, MIX_TOLERANCE, MIXES, MetricSource
from benchmarks.metrics.readers import (
    ROW,
    ReadResult,
    RowError,
    Table,
    cell_column,
    is_blank,
    read_table,
    table_from_records,
)

MAX_ERRORS = 1_000
# every month since 1900 for every uploadable code, with room to spare: a longer file must repeat a key
MAX_METRIC_ROWS = 40_000
LONG_COLUMNS = ("period", "metric", "value")
COMPUTED_REASON = "computed by Peerbench, not uploaded"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

_COLUMN, _VALUE, _REASON = "column", "value", "reason"
_VALUES_SCHEMA = {"period": pl.String, "metric": pl.String, "value": pl.Float64}
_MIX_COLUMNS = {list(MIXES).index("channel"): "channel_*_pct", list(MIXES).index("tier"): "tier*_pct"}
# Metrics are carried as their index in METRICS (UInt8), which keeps 1.4M-row frames small.
_INDEX = {m.code: i for i, m in enumerate(METRICS)}
_CODE = dict(enumerate(m.code for m in METRICS))
_UPLOADED = [i for i, m in enumerate(METRICS) if m.source is MetricSource.UPLOADED]
_MINIMUM = {i: float(m.minimum) for i, m in enumerate(METRICS)}
_MAXIMUM = {i: float(m.maximum) for i, m in enumerate(METRICS)}
_RANGE = {i: f"{m.minimum:g} and {m.maximum:g}" for i, m in enumerate(METRICS)}
_MIX_NAMES = dict(enumerate(MIXES))
_MIX = {i: list(MIXES).index(m.mix) for i, m in enumerate(METRICS) if m.mix}
_CODES = {m.code: m for m in METRICS}
_ID = "id"  # position of a value in the frame its strings are gathered from


@dataclass(frozen=True, slots=True)
class _Check:
    """Compact facts of every error of one kind; strings are gathered from source for the first few only."""

    found: pl.LazyFrame  # _ID (position in source), ROW and the facts the reason needs
    source: pl.DataFrame | None  # the strings the column, value and reason read, by _ID
    column: pl.Expr
    value: pl.Expr
    reason: pl.Expr


@dataclass(frozen=True, slots=True)
class MetricsParse:
    ok: bool
    errors: list[RowError]
    error_count: int
    rows: int  # data rows read, blank rows not counted
    values: pl.DataFrame  # period (str), metric (str), value (float64); empty unless ok


def validate_metrics_file(
    path: str | Path, filename: str, *, today: date, progress: Callable[[float], None] | None = None
) -> MetricsParse:
    """Read and validate a metrics file; progress runs from 0 to 1 as it is processed."""
    report = progress or (lambda _fraction: None)
    lines = _count_lines(Path(path))
    if lines > MAX_METRIC_ROWS + 1:
        # a valid file cannot be this long: refuse before holding it (memory stays bounded)
        reason = (
            f"file has {lines - 1:,} rows; a metrics file holds one value per month and metric of one "
            f"organisation, at most {MAX_METRIC_ROWS:,} rows: split it by organisation"
        )
        return _rejected([RowError(None, None, None, reason)], rows=lines - 1)
    parse = _validate(read_table(path, filename, progress=lambda f: report(0.7 * f)), today, report)
    report(1.0)
    return parse


def _count_lines(path: Path) -> int:
    """Lines of a text file, counted in 1 MB blocks (0 for a workbook: its sheet is bounded by its size)."""
    count = 0
    with path.open("rb") as f:
        if f.read(2) == b"PK":
            return 0
        f.seek(0)
        while block := f.read(1024 * 1024):
            count += block.count(b"\n")
    return count


def validate_metric_records(records: list[dict[str, Any]], *, today: date) -> MetricsParse:
    """Validate API or JSON records by the file rules, row 1 being the first record."""
    return _validate(table_from_records(records), today, lambda _fraction: None)


def _validate(result: ReadResult, today: date, report: Callable[[float], None]) -> MetricsParse:
    if result.table is None:
        return _rejected(list(result.errors), rows=0)
    table = result.table
    rows = table.cells.height
    names = tuple(h.strip().lower() for h in table.header)
    header_errors, used = _check_header(names, table.cells)
    if header_errors:
        return _rejected([*header_errors, *result.errors], rows)
    if rows == 0:
        return _rejected([RowError(None, None, None, "file is empty: no data rows")], rows)
    wide = "metric" not in used
    period = table.cells.get_column(cell_column(used["period"])).alias("period_raw")
    by_row = pl.DataFrame([table.cells.get_column(ROW), period])
    long_values = _long_values(table, used, wide)
    annotated = _annotate(long_values, table.decimal_comma)
    strings = _strings(long_values)
    # Wide: a value's column is its metric code; long: the fixed metric and value columns.
    metric_column = pl.col("metric_raw") if wide else pl.lit("metric")
    value_column = pl.col("metric_raw") if wide else pl.lit("value")
    checks = [
        _period_errors(by_row, today),
        *([] if wide else [_metric_errors(annotated, strings)]),
        _value_errors(annotated, strings, value_column),
        _duplicate_errors(
            annotated, strings, today, metric_column, pl.col("value_raw" if wide else "metric_raw")
        ),
        _mix_errors(annotated, today, None if wide else value_column),
    ]
    errors, error_count = list(result.errors), len(result.errors)
    for done, check in enumerate(checks, start=1):
        found = check.found.collect()  # one check at a time bounds the memory of error-heavy files
        error_count += found.height
        # Every error among the first MAX_ERRORS by row has a row <= the MAX_ERRORS-th smallest row.
        first = found.filter(pl.col(ROW) <= pl.col(ROW).bottom_k(MAX_ERRORS).max())
        if check.source is not None:
            first = pl.concat([first, check.source[first.get_column(_ID)]], how="horizontal")
        shown = first.select(
            ROW, check.column.alias(_COLUMN), check.value.alias(_VALUE), check.reason.alias(_REASON)
        )
        errors += [RowError(*r) for r in shown.iter_rows()]
        report(0.7 + 0.3 * done / len(checks))
    if error_count:
        return _rejected(errors, rows, error_count)
    clean = pl.concat([annotated, strings], how="horizontal").select(
        pl.col("period_raw").str.strip_chars().alias("period"),
        pl.col("code").replace_strict(_CODE, return_dtype=pl.String).alias("metric"),
        pl.col("number").alias("value"),
    )
    return MetricsParse(True, [], 0, rows, clean.sort("period", "metric"))


def _rejected(errors: list[RowError], rows: int, count: int | None = None) -> MetricsParse:
    errors.sort(key=_error_order)
    return MetricsParse(
        False, errors[:MAX_ERRORS], count or len(errors), rows, pl.DataFrame(schema=_VALUES_SCHEMA)
    )


def _error_order(error: RowError) -> tuple[Any, ...]:  # Any: mixed key parts, None sorting first
    return (
        error.row is not None,
        error.row or 0,
        error.column is not None,
        error.column or "",
        error.value is not None,
        error.value or "",
        error.reason,
    )


def _check_header(names: tuple[str, ...], cells: pl.DataFrame) -> tuple[list[RowError], dict[str, int]]:
    """Errors of the header row, and the position of each used column by its normalised name."""
    if not any(name in LONG_COLUMNS for name in names):
        shown = ",".join(names)[:200]
        reason = (
            "first line is not a metrics header: expected period,metric,value or period,<metric code>,..."
        )
        return [RowError(1, None, shown, reason)], {}
    errors: list[RowError] = []
    used: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            column = cells.get_column(cell_column(position))
            if column.str.strip_chars().fill_null("").str.len_bytes().sum():
                errors.append(RowError(1, None, None, f"column {position + 1} has cells but no header name"))
        elif name in used:
            errors.append(RowError(1, name, name, "column appears more than once in the header"))
        else:
            used[name] = position
    if "metric" in used or "value" in used:
        errors += [RowError(1, c, None, "missing required column") for c in LONG_COLUMNS if c not in used]
        errors += [
            RowError(1, n, n, "unexpected column: the long form has only period,metric,value")
            for n in used
            if n not in LONG_COLUMNS
        ]
        return errors, used
    if "period" not in used:
        errors.append(RowError(1, "period", None, "missing required column"))
    codes = [n for n in used if n != "period"]
    if not codes:
        errors.append(
            RowError(1, None, None, "missing required columns: metric,value or metric code columns")
        )
    for code in codes:
        metric = _CODES.get(code)
        if metric is None:
            errors.append(RowError(1, code, code, "unknown metric code"))
        elif metric.source is not MetricSource.UPLOADED:
            errors.append(RowError(1, code, code, COMPUTED_REASON))
    return errors, used


def _long_values(table: Table, used: dict[str, int], wide: bool) -> pl.DataFrame:
    """One row per value: ROW, period_raw, metric_raw, value_raw (wide: metric_raw is the column name)."""
    period = table.cells.get_column(cell_column(used["period"])).alias("period_raw")
    if not wide:
        # Series shared with the table: a select would copy every string view.
        metric = table.cells.get_column(cell_column(used["metric"])).alias("metric_raw")
        value = table.cells.get_column(cell_column(used["value"])).alias("value_raw")
        return pl.DataFrame([table.cells.get_column(ROW), period, metric, value])
    codes = [name for name in used if name != "period"]
    return (
        table.cells.lazy()
        .select(ROW, period, *(pl.col(cell_column(used[c])).alias(c) for c in codes))
        .unpivot(index=[ROW, "period_raw"], on=codes, variable_name="metric_raw", value_name="value_raw")
        .filter(~is_blank("value_raw"))
        .collect()
    )


def _annotate(values: pl.DataFrame, decimal_comma: bool) -> pl.DataFrame:
    """Per value, by position: ROW, the month index (year * 12 + month - 1) of a well-formed period, the
    metric's index in METRICS and the number; compact types, no strings, so that the copy stays small."""
    text = pl.col("value_raw").str.strip_chars()
    if decimal_comma:
        text = pl.when(text.str.contains(r"^[+-]?\d+,\d+$")).then(text.str.replace(",", ".")).otherwise(text)
    number = text.cast(pl.Float64, strict=False)
    period = pl.col("period_raw").str.strip_chars()
    month = period.str.slice(0, 4).cast(pl.Int32, strict=False) * 12 + period.str.slice(5, 2).cast(
        pl.Int32, strict=False
    )
    code = pl.col("metric_raw").str.strip_chars().str.to_lowercase()
    return (
        values.lazy()
        .with_row_index(_ID)
        .select(
            _ID,
            ROW,
            pl.when(period.str.contains(PERIOD_PATTERN)).then(month - 1).alias("month"),
            code.replace_strict(_INDEX, default=None, return_dtype=pl.UInt8).alias("code"),
            pl.when(number.is_finite()).then(number).alias("number"),
        )
        .collect()
    )


def _month(today: date) -> int:
    return today.year * 12 + today.month - 1


def _period_errors(by_row: pl.DataFrame, today: date) -> _Check:
    period = pl.col("period_raw").str.strip_chars()
    well_formed = period.str.contains(PERIOD_PATTERN)
    found = (
        by_row.lazy()
        .with_row_index(_ID)
        .filter(is_blank("period_raw") | ~well_formed | (period > f"{today:%Y-%m}"))
        .select(_ID, ROW)
    )
    reason = (
        pl.when(is_blank("period_raw"))
        .then(pl.lit("period is missing"))
        .when(~well_formed)
        .then(pl.lit("bad period: expected YYYY-MM with month 01-12"))
        .otherwise(pl.lit(f"future period: after today ({today.isoformat()})"))
    )
    return _Check(found, by_row.select("period_raw"), pl.lit("period"), pl.col("period_raw"), reason)


def _metric_errors(annotated: pl.DataFrame, strings: pl.DataFrame) -> _Check:
    code = pl.col("code")
    found = annotated.lazy().filter(code.is_null() | ~code.is_in(_UPLOADED)).select(_ID, ROW, "code")
    reason = (
        pl.when(is_blank("metric_raw"))
        .then(pl.lit("metric code is missing"))
        .when(code.is_null())
        .then(pl.lit("unknown metric code"))
        .otherwise(pl.lit(COMPUTED_REASON))
    )
    return _Check(found, strings, pl.lit("metric"), pl.col("metric_raw"), reason)


def _value_errors(annotated: pl.DataFrame, strings: pl.DataFrame, column: pl.Expr) -> _Check:
    code, number = pl.col("code"), pl.col("number")
    minimum = code.replace_strict(_MINIMUM, default=None, return_dtype=pl.Float64)
    maximum = code.replace_strict(_MAXIMUM, default=None, return_dtype=pl.Float64)
    out_of_range = code.is_in(_UPLOADED) & ((number < minimum) | (number > maximum))
    found = (
        annotated.lazy()
        .filter(number.is_null() | out_of_range.fill_null(False))
        .select(_ID, ROW, "code", "number")
    )
    reason = (
        pl.when(is_blank("value_raw"))
        .then(pl.lit("value is missing"))
        .when(number.is_null())
        .then(pl.lit("value is not a number"))
        .otherwise(
            pl.format(
                "value out of range: {} must be between {}",
                code.replace_strict(_CODE, return_dtype=pl.String),
                code.replace_strict(_RANGE, return_dtype=pl.String),
            )
        )
    )
    return _Check(found, strings, column, pl.col("value_raw"), reason)


def _keyed(annotated: pl.DataFrame, today: date) -> pl.LazyFrame:
    """Values that have a well-formed, not future period and an uploaded metric: the ones a key applies to."""
    return annotated.lazy().filter((pl.col("month") <= _month(today)) & pl.col("code").is_in(_UPLOADED))


def _duplicate_errors(
    annotated: pl.DataFrame, strings: pl.DataFrame, today: date, column: pl.Expr, value: pl.Expr
) -> _Check:
    found = (
        _keyed(annotated, today)
        .select(_ID, ROW, "month", "code", pl.col(ROW).min().over("month", "code").alias("first"))
        .filter(pl.col(ROW) != pl.col("first"))
    )
    reason = pl.format(
        "duplicate key: {} for period {} is already given on row {}",
        pl.col("code").replace_strict(_CODE, return_dtype=pl.String),
        pl.col("period_raw").str.strip_chars(),
        "first",
    )
    return _Check(found, strings, column, value, reason)


def _mix_errors(annotated: pl.DataFrame, today: date, column: pl.Expr | None) -> _Check:
    """A supplied mix must sum to 100 +- MIX_TOLERANCE; a mix with a bad or repeated value is not summed."""
    found = (
        _keyed(annotated, today)
        .filter(pl.col("code").is_in(list(_MIX)))
        .with_columns(pl.col("code").replace_strict(_MIX, return_dtype=pl.UInt8).alias("mix"))
        .group_by("month", "mix")
        .agg(
            pl.col("number").sum().round(6).alias("total"),
            pl.col("number").is_null().any().alias("unreadable"),
            (pl.len() != pl.col("code").n_unique()).alias("repeated"),
            pl.col(ROW).min().alias(ROW),
            pl.col(ROW).unique().sort().cast(pl.String).str.join(", ").alias("rows"),
            pl.col(ROW).n_unique().alias("row_count"),
        )
        .filter(~pl.col("unreadable") & ~pl.col("repeated") & ((pl.col("total") - 100).abs() > MIX_TOLERANCE))
    )
    named = pl.col("mix").replace_strict(_MIX_COLUMNS, return_dtype=pl.String) if column is None else column
    reason = pl.format(
        "{} mix for period {}-{} sums to {}, not 100 ±{} ({} {})",
        pl.col("mix").replace_strict(_MIX_NAMES, return_dtype=pl.String),
        (pl.col("month") // 12).cast(pl.String).str.zfill(4),
        (pl.col("month") % 12 + 1).cast(pl.String).str.zfill(2),
        pl.col("total").cast(pl.String),
        pl.lit(f"{MIX_TOLERANCE:g}"),
        pl.when(pl.col("row_count") == 1).then(pl.lit("row")).otherwise(pl.lit("rows")),
        "rows",
    )
    return _Check(found, None, named, pl.col("total").cast(pl.String), reason)


def _strings(values: pl.DataFrame) -> pl.DataFrame:
    """The raw strings of every value by position, sharing memory with values (a select would copy)."""
    return pl.DataFrame([values.get_column(c) for c in ("period_raw", "metric_raw", "value_raw")])
