"""The benchmark recompute: every organisation's window values -> cohort snapshots and positions.

The one code path that reads every tenant's values. On PostgreSQL it runs under the fenced recompute role
(`transaction(recompute=True)`), which may read metric values and survey counts of all organisations but
write only snapshots, positions and its own run record. Reads never compute: pages and the API read what
this wrote.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, text

from benchmarks.engine.cohorts import LEVELS, cohort_key_expr
from benchmarks.engine.models import RecomputeRun
from benchmarks.engine.statistics import MIN_COHORT, cohort_positions, cohort_statistics
from benchmarks.engine.windows import Window, windows_for_periods
from benchmarks.metrics.catalogue import MIXES
from benchmarks.surveys.measures import MIN_SURVEY_RESPONSES
from core.db import transaction

_SNAPSHOT_COLUMNS = [
    "window_code",
    "cohort_level",
    "cohort_key",
    "metric",
    "suppressed",
    "n",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
    "computed_at",
]
_POSITION_COLUMNS = [
    "org_id",
    "window_code",
    "cohort_level",
    "cohort_key",
    "metric",
    "value",
    "rank",
    "quartile",
    "gap",
]


_INDEX_ORDER = {
    "benchmark_positions": ["org_id", "window_code", "cohort_level", "metric"],
    "benchmark_snapshots": ["window_code", "cohort_key", "metric"],
    "profile_distributions": ["cohort_key", "question", "answer"],
}


@dataclass(frozen=True)
class RecomputeSummary:
    windows: tuple[str, ...]
    organisations: int
    cells: int
    positions: int


def recompute_benchmarks(*, now: datetime, windows: Iterable[Window] | None = None) -> RecomputeSummary:
    """Recompute the snapshots and positions of `windows` (default: every window with data), atomically."""
    with transaction(recompute=True) as session:
        connection = session.connection()
        run = RecomputeRun(started_at=now)
        session.add(run)
        session.flush()
        orgs = _read(
            connection,
            "select id as org_id, industry, size_band as size, region from organisations",
            {"org_id": pl.Int64, "industry": pl.String, "size": pl.String, "region": pl.String},
        )
        monthly = _monthly_values(connection)
        counts = _survey_counts(connection)
        periods = set(monthly.get_column("period").unique().to_list()) | set(
            counts.get_column("period").unique().to_list()
        )
        chosen = sorted(
            set(windows) if windows is not None else set(windows_for_periods(periods)),
            key=lambda w: w.sort_key,
        )
        months = _window_months(chosen)
        values = pl.concat([_metric_window_values(monthly, months), _survey_window_values(counts, months)])
        values = values.join(orgs, on="org_id", how="inner")
        stats = cohort_statistics(values.drop("org_id"), by=("metric", "window_code"))
        positions = cohort_positions(values, by=("metric", "window_code"))
        codes = [w.code for w in chosen]
        _replace(connection, codes, stats.with_columns(pl.lit(now).alias("computed_at")), positions)
        _replace_profiles(connection, _profile_distributions(connection, orgs))
        run.finished_at = now
        run.windows = codes
        run.organisations = values.get_column("org_id").n_unique()
        run.cells = stats.height
        run.positions = positions.height
        return RecomputeSummary(tuple(codes), run.organisations, run.cells, run.positions)


def _window_months(windows: list[Window]) -> pl.DataFrame:
    rows = [(w.code, month) for w in windows for month in w.months]
    return pl.DataFrame(rows, schema={"window_code": pl.String, "period": pl.String}, orient="row")


def _monthly_values(connection: Connection) -> pl.DataFrame:
    frame = _read(
        connection,
        "select org_id, period, metric, value from metric_values",
        {"org_id": pl.Int64, "period": pl.String, "metric": pl.String, "value": pl.Float64},
    )
    tiers = MIXES["tier"]
    # shift-left is derived per month from the tier mix: self-service plus service desk resolutions
    shift_left = (
        frame.filter(pl.col("metric").is_in(tiers[:2]))
        .group_by("org_id", "period")
        .agg(pl.col("value").sum(), pl.len().alias("parts"))
        .filter(pl.col("parts") == 2)
        .select("org_id", "period", pl.lit("shift_left_rate").alias("metric"), "value")
    )
    return pl.concat([frame, shift_left])


def _metric_window_values(monthly: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """Mean of the months an organisation reported in each window (one month is enough to contribute)."""
    return (
        monthly.join(months, on="period", how="inner")
        .group_by("org_id", "window_code", "metric")
        .agg(pl.col("value").mean())
        .select("org_id", "window_code", "metric", "value")
    )


def _survey_counts(connection: Connection) -> pl.DataFrame:
    return _read(
        connection,
        "select org_id, period, question, answer, sum(count) as count from survey_counts"
        " where question in ('nps', 'csat', 'ces') group by org_id, period, question, answer",
        {
            "org_id": pl.Int64,
            "period": pl.String,
            "question": pl.String,
            "answer": pl.String,
            "count": pl.Int64,
        },
    )


def _survey_window_values(counts: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """NPS, CSAT and CES from the pooled answers of each window; fewer than 30 answers: not a cohort value."""
    pooled = (
        counts.join(months, on="period", how="inner")
        .with_columns(pl.col("answer").cast(pl.Int64, strict=False).alias("score"))
        .group_by("org_id", "window_code", "question")
        .agg(
            pl.col("count").sum().alias("n"),
            pl.col("count").filter(pl.col("score") >= 9).sum().alias("promoters"),
            pl.col("count").filter(pl.col("score") <= 6).sum().alias("detractors"),
            pl.col("count").filter(pl.col("score") >= 4).sum().alias("satisfied"),
            (pl.col("count") * pl.col("score")).sum().alias("total"),
        )
        .filter(pl.col("n") >= MIN_SURVEY_RESPONSES)
    )
    n = pl.col("n").cast(pl.Float64)
    measures = pooled.select(
        "org_id",
        "window_code",
        pl.col("question")
        .replace_strict({"nps": "nps", "csat": "csat_pct", "ces": "ces_avg"})
        .alias("metric"),
        pl.when(pl.col("question") == "nps")
        .then(100.0 * (pl.col("promoters") - pl.col("detractors")).cast(pl.Float64) / n)
        .when(pl.col("question") == "csat")
        .then(100.0 * pl.col("satisfied").cast(pl.Float64) / n)
        .otherwise(pl.col("total").cast(pl.Float64) / n)
        .alias("value"),
    )
    responses = pooled.group_by("org_id", "window_code").agg(
        pl.col("n").max().cast(pl.Float64).alias("value")
    )
    responses = responses.select("org_id", "window_code", pl.lit("survey_responses").alias("metric"), "value")
    return pl.concat([measures, responses])


def _profile_distributions(connection: Connection, orgs: pl.DataFrame) -> pl.DataFrame:
    """Organisations per profile answer in every cohort cell; a cell under 5 answering keeps no figure."""
    answers = _read(
        connection,
        "select org_id, question, answer from profile_answers",
        {"org_id": pl.Int64, "question": pl.String, "answer": pl.String},
    ).join(orgs, on="org_id")
    parts = []
    for level in LEVELS:
        keyed = answers.with_columns(cohort_key_expr(level).alias("cohort_key"))
        counts = keyed.group_by("cohort_key", "question", "answer").agg(pl.len().alias("organisations"))
        respondents = keyed.group_by("cohort_key", "question").agg(pl.len().alias("respondents"))
        cells = counts.join(respondents, on=["cohort_key", "question"])
        suppressed = pl.col("respondents") < MIN_COHORT
        parts.append(
            cells.select(
                pl.lit(level.code).alias("cohort_level"),
                "cohort_key",
                "question",
                pl.when(suppressed).then(pl.lit("*")).otherwise(pl.col("answer")).alias("answer"),
                suppressed.alias("suppressed"),
                pl.when(suppressed).then(None).otherwise(pl.col("organisations")).alias("organisations"),
                pl.when(suppressed).then(None).otherwise(pl.col("respondents")).alias("respondents"),
            ).unique(["cohort_key", "question", "answer"])
        )
    return pl.concat(parts) if parts else pl.DataFrame()


def _replace_profiles(connection: Connection, distributions: pl.DataFrame) -> None:
    connection.execute(text("delete from profile_distributions"))
    _write(connection, "profile_distributions", distributions)


def _read(connection: Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"copy ({sql}) to stdout with (format csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=schema)
    rows = connection.exec_driver_sql(sql).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _replace(
    connection: Connection, windows: list[str], stats: pl.DataFrame, positions: pl.DataFrame
) -> None:
    params = {f"w{i}": code for i, code in enumerate(windows)}
    placeholders = ", ".join(f":w{i}" for i in range(len(windows))) or "''"
    connection.execute(text(f"delete from benchmark_snapshots where window_code in ({placeholders})"), params)
    connection.execute(text(f"delete from benchmark_positions where window_code in ({placeholders})"), params)
    _write(connection, "benchmark_snapshots", stats.select(_SNAPSHOT_COLUMNS))
    _write(connection, "benchmark_positions", positions.select(_POSITION_COLUMNS))


def _write(connection: Connection, table: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    columns = frame.columns
    if connection.dialect.name == "postgresql":
        # COPY cannot load a table under row-level security: stage the rows, then one INSERT ... SELECT
        names = ", ".join(columns)
        staging = f"staging_{table}"
        connection.execute(
            text(
                f"create temporary table {staging} on commit drop as select {names} from {table} where false"
            )
        )
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"copy {staging} ({names}) from stdin with (format csv)") as copy,
        ):
            for chunk in frame.iter_slices(200_000):
                copy.write(chunk.write_csv(include_header=False, datetime_format="%Y-%m-%dT%H:%M:%S%.f%z"))
        connection.execute(text(f"insert into {table} ({names}) select {names} from {staging}"))
        connection.execute(text(f"drop table {staging}"))
        return
    placeholders = ", ".join("?" for _ in columns)
    # rows in the order of the table's unique index insert several times faster into SQLite's b-tree
    frame = frame.sort(_INDEX_ORDER.get(table, columns[:1]))
    rows = frame.with_columns(
        [pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S.%f") for c in columns if frame.schema[c] == pl.Datetime]
    ).iter_rows()
    connection.exec_driver_sql(
        f"insert into {table} ({', '.join(columns)}) values ({placeholders})", list(rows)
    )
