"""Survey result files: raw responses or aggregated counts, validated whole and stored as counts only.

Raw: `period,question,answer[,channel][,segment]` (one row per answer). Aggregated:
`period,question,answer,count[,channel][,segment]`. Raw answers are reduced to counts on upload: nothing
that identifies a respondent is stored. Row numbers follow benchmarks.metrics.readers (header = row 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.metrics.catalogue import QUESTIONS, QuestionKind
from benchmarks.metrics.readers import (
    LINES,
    ROW,
    ReadResult,
    RowError,
    cell_column,
    read_table,
    table_from_records,
)
from benchmarks.metrics.validation import MAX_ERRORS, PERIOD_PATTERN

KEY = ("period", "question", "answer", "channel", "segment")
_OPTIONAL = ("channel", "segment")
_COUNTS_SCHEMA = {
    "period": pl.String,
    "question": pl.String,
    "answer": pl.String,
    "channel": pl.String,
    "segment": pl.String,
    "count": pl.Int64,
}
_ALLOWED = pl.DataFrame(
    [(q.code, answer) for q in QUESTIONS for answer in q.answers],
    schema={"question": pl.String, "answer": pl.String},
    orient="row",
)
_SCALES = {q.code for q in QUESTIONS if q.kind is QuestionKind.SCALE}


@dataclass(frozen=True)
class SurveyParse:
    ok: bool
    errors: list[RowError]
    error_count: int
    rows: int  # data rows read
    values: pl.DataFrame  # KEY columns + count, aggregated; empty unless ok
    aggregated: bool = False


def validate_survey_file(
    path: str | Path, filename: str, *, today: date, progress: Callable[[float], None] | None = None
) -> SurveyParse:
    """Read and validate a survey file; progress runs from 0 to 1."""
    report = progress or (lambda _fraction: None)
    parse = _validate(read_table(path, filename, progress=lambda f: report(0.7 * f), distinct=True), today)
    report(1.0)
    return parse


def validate_survey_records(records: list[dict[str, Any]], *, today: date) -> SurveyParse:
    return _validate(table_from_records(records), today)


def _rejected(errors: list[RowError], rows: int, count: int | None = None) -> SurveyParse:
    errors = sorted(errors, key=lambda e: (e.row is not None, e.row or 0, e.column or "", e.reason))
    return SurveyParse(
        False, errors[:MAX_ERRORS], count or len(errors), rows, pl.DataFrame(schema=_COUNTS_SCHEMA)
    )


def _validate(result: ReadResult, today: date) -> SurveyParse:
    if result.table is None:
        return _rejected(list(result.errors), rows=0)
    table, read_errors = result.table, list(result.errors)
    names = [h.strip().lower() for h in table.header]
    header_errors = _header_errors(names)
    if header_errors:
        return _rejected([*header_errors, *read_errors], table.cells.height)
    if table.cells.height == 0:
        return _rejected([RowError(None, None, None, "file is empty: no data rows")], 0)
    aggregated = "count" in names
    columns = {name: cell_column(position) for position, name in enumerate(names)}
    cells_columns = list(columns.values())
    # Survey files repeat a few distinct lines many times: each distinct line is validated once, standing
    # for LINES rows; the rows of wrong lines are found again by streaming the file (`lines()`).
    if table.lines is None:
        every_line = table.cells.lazy()
        distinct = table.cells.group_by(cells_columns).agg(pl.col(ROW).min(), pl.len().alias(LINES))
    else:
        every_line, distinct = table.lines(), table.cells
    rows = int(distinct.get_column(LINES).sum())
    del result, table
    frame = distinct.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.col(LINES).cast(pl.Int64),
        *cells_columns,
        *[_cell(columns, name) for name in (*KEY, "count")],
    ).with_columns(
        pl.col("question").str.strip_chars().str.to_lowercase(),
        pl.col("channel").str.strip_chars().fill_null(""),
        pl.col("segment").str.strip_chars().fill_null(""),
        _normalised_answer().alias("answer"),
        pl.col("period").str.strip_chars(),
    )
    line_errors = pl.concat(
        [
            _period_errors(frame, today),
            _question_errors(frame),
            _answer_errors(frame),
            *([_count_errors(frame)] if aggregated else []),
            _length_errors(frame),
        ]
    )
    duplicates = _duplicate_groups(frame) if aggregated else frame.clear().with_columns(first=pl.lit(0))
    total = int(line_errors.get_column(LINES).sum()) + int(
        duplicates.get_column(LINES).sum() - duplicates.select(pl.col("first").n_unique()).item()
        if duplicates.height
        else 0
    )
    if read_errors or total:
        listed = _error_rows(line_errors, duplicates, every_line, cells_columns)
        return _rejected([*read_errors, *listed], rows, total + len(read_errors))
    counts = pl.col("count").str.strip_chars().cast(pl.Int64) if aggregated else pl.col(LINES)
    values = (
        frame.with_columns(counts.cast(pl.Int64).alias("count"))
        .group_by(KEY)
        .agg(pl.col("count").sum())
        .filter(pl.col("count") > 0)
        .sort(KEY)
    )
    return SurveyParse(True, [], 0, rows, values, aggregated)


def _cell(columns: dict[str, str], name: str) -> pl.Expr:
    if name in columns:
        return pl.col(columns[name]).alias(name)
    return pl.lit(None, pl.String).alias(name)


def _error_rows(
    line_errors: pl.DataFrame, duplicates: pl.DataFrame, every_line: pl.LazyFrame, cells: list[str]
) -> list[RowError]:
    """The first MAX_ERRORS errors by row: wrong lines joined back to every row that held them."""
    found = (
        line_errors.lazy()
        .join(every_line.select(pl.col(ROW).cast(pl.Int64), *cells), on=cells, nulls_equal=True)
        .select(ROW, "column", "value", "reason")
    )
    if duplicates.height:
        repeated = (
            duplicates.lazy()
            .join(every_line.select(pl.col(ROW).cast(pl.Int64), *cells), on=cells, nulls_equal=True)
            .filter(pl.col(ROW) != pl.col("first"))
            .select(
                ROW,
                pl.lit("answer").alias("column"),
                pl.col("answer").alias("value"),
                (pl.lit(_DUPLICATE) + pl.col("first").cast(pl.String)).alias("reason"),
            )
        )
        found = pl.concat([found, repeated])
    listed = found.sort(ROW, "column").head(MAX_ERRORS).collect(engine="streaming")
    return [RowError(**row) for row in listed.iter_rows(named=True)]


def _normalised_answer() -> pl.Expr:
    """Choice answers lower-cased; scale answers as plain integers ("9", "9.0" and " 09" all mean 9)."""
    raw = pl.col("answer").str.strip_chars()
    number = raw.cast(pl.Float64, strict=False)
    integral = number.is_not_null() & (number == number.floor())
    as_int = number.cast(pl.Int64, strict=False).cast(pl.String)
    scale = pl.col("question").is_in(list(_SCALES))
    return pl.when(scale & integral).then(as_int).otherwise(raw.str.to_lowercase())


def _header_errors(names: list[str]) -> list[RowError]:
    required = ("period", "question", "answer")
    if not all(name in names for name in required):
        shown = ",".join(names)[:200]
        return [
            RowError(
                1,
                None,
                shown,
                "first line is not a survey header: expected "
                "period,question,answer[,channel][,segment] or period,question,answer,count",
            )
        ]
    errors = []
    for name in names:
        if name and names.count(name) > 1:
            errors.append(RowError(1, name, name, "column appears more than once in the header"))
        elif name and name not in (*KEY, "count"):
            errors.append(
                RowError(
                    1, name, name, "unexpected column: use period, question, answer, count, channel, segment"
                )
            )
    return sorted(set(errors), key=lambda e: e.column or "")


def _errors(frame: pl.DataFrame, condition: pl.Expr, column: str, reason: pl.Expr | str) -> pl.DataFrame:
    """Wrong distinct lines: their cells (to find their rows again), how many rows, column, value, reason."""
    return frame.filter(condition).select(
        pl.col("^c[0-9]+$"),
        pl.col(LINES),
        pl.lit(column).alias("column"),
        pl.col(column).cast(pl.String).alias("value"),
        (pl.lit(reason) if isinstance(reason, str) else reason).alias("reason"),
    )


def _period_errors(frame: pl.DataFrame, today: date) -> pl.DataFrame:
    period = pl.col("period").str.strip_chars()
    bad = period.is_null() | ~period.str.contains(PERIOD_PATTERN)
    current = f"{today.year:04d}-{today.month:02d}"
    return pl.concat(
        [
            _errors(frame, bad, "period", "bad period: use YYYY-MM"),
            _errors(frame, ~bad & (period > current), "period", f"future period: after {current}"),
        ]
    )


def _question_errors(frame: pl.DataFrame) -> pl.DataFrame:
    unknown = pl.col("question").is_null() | ~pl.col("question").is_in([q.code for q in QUESTIONS])
    return _errors(frame, unknown, "question", "unknown question code")


def _answer_errors(frame: pl.DataFrame) -> pl.DataFrame:
    known = frame.filter(pl.col("question").is_in([q.code for q in QUESTIONS]))
    invalid = known.join(_ALLOWED, on=["question", "answer"], how="anti")
    ranges = {
        q.code: (
            f"a whole number from {q.low} to {q.high}"
            if q.kind is QuestionKind.SCALE
            else "one of " + ", ".join(q.options)
        )
        for q in QUESTIONS
    }
    reason = pl.lit("answer outside the question's scale: expected ") + pl.col("question").replace_strict(
        ranges, return_dtype=pl.String
    )
    return _errors(invalid, pl.lit(True), "answer", reason)


def _count_errors(frame: pl.DataFrame) -> pl.DataFrame:
    raw = pl.col("count").str.strip_chars()
    whole = raw.cast(pl.Int64, strict=False)
    return pl.concat(
        [
            _errors(frame, raw.is_null() | (raw == ""), "count", "missing count"),
            _errors(frame, (raw != "") & whole.is_null(), "count", "count must be a whole number"),
            _errors(frame, whole < 0, "count", "count must not be negative"),
        ]
    )


_DUPLICATE = "duplicate key: the same period, question, answer, channel and segment as row "


def _duplicate_groups(frame: pl.DataFrame) -> pl.DataFrame:
    """Distinct lines sharing a key with other rows, with the key's first row (the one that stands)."""
    return (
        frame.with_columns(
            pl.col(LINES).sum().over(KEY).alias("key_rows"), pl.col("row").min().over(KEY).alias("first")
        )
        .filter(pl.col("key_rows") > 1)
        .select(pl.col("^c[0-9]+$"), "answer", LINES, "first")
    )


def _length_errors(frame: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            _errors(frame, pl.col("channel").str.len_chars() > 40, "channel", "longer than 40 characters"),
            _errors(frame, pl.col("segment").str.len_chars() > 60, "segment", "longer than 60 characters"),
        ]
    )
