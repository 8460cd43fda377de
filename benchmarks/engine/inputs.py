"""What the recompute reads, and the organisation-window values it makes of it (DESIGN.md 7).

The same functions serve the full recompute (every organisation) and an upload's incremental one (one
organisation, or every organisation of a window that has just appeared), so that both give the same floats:
a window mean is taken over the organisation's monthly values in ascending order, whatever order the
database returned them in.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from sqlalchemy import Connection

from benchmarks.engine.bulk import literal, literals, read_frame
from benchmarks.engine.cohorts import LEVELS, cohort_key_expr
from benchmarks.engine.statistics import rounded_values
from benchmarks.engine.windows import Window
from benchmarks.metrics.catalogue import MIXES
from benchmarks.surveys.measures import MIN_SURVEY_RESPONSES

ORG_SCHEMA = {"org_id": pl.Int64, "industry": pl.String, "size": pl.String, "region": pl.String}
VALUE_COLUMNS = ["org_id", "window_code", "metric", "value", "industry", "size", "region"]
# the organisation's finest cohort cell: the other seven follow from it
FINEST = LEVELS[-1]


def read_organisations(connection: Connection, org_id: int | None = None) -> pl.DataFrame:
    where = "" if org_id is None else f" where id = {literal(org_id)}"
    return read_frame(
        connection,
        f"select id as org_id, industry, size_band as size, region from organisations{where}",
        ORG_SCHEMA,
    )


def _where(org_id: int | None, months: Iterable[str] | None) -> str:
    clauses = []
    if org_id is not None:
        clauses.append(f"org_id = {literal(org_id)}")
    if months is not None:
        clauses.append(f"period in {literals(sorted(set(months)))}")
    return (" where " + " and ".join(clauses)) if clauses else ""


def read_monthly(
    connection: Connection, org_id: int | None = None, months: Iterable[str] | None = None
) -> pl.DataFrame:
    """Monthly metric values, with `shift_left_rate` derived per month from the tier mix."""
    frame = read_frame(
        connection,
        "select org_id, period, metric, value from metric_values" + _where(org_id, months),
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


def read_counts(
    connection: Connection, org_id: int | None = None, months: Iterable[str] | None = None
) -> pl.DataFrame:
    where = _where(org_id, months)
    where = (where + " and" if where else " where") + " question in ('nps', 'csat', 'ces')"
    return read_frame(
        connection,
        "select org_id, period, question, answer, sum(count) as count from survey_counts"
        f"{where} group by org_id, period, question, answer",
        {
            "org_id": pl.Int64,
            "period": pl.String,
            "question": pl.String,
            "answer": pl.String,
            "count": pl.Int64,
        },
    )


def months_of(windows: Iterable[Window]) -> list[str]:
    return sorted({month for window in windows for month in window.months})


def window_values(
    monthly: pl.DataFrame, counts: pl.DataFrame, windows: Iterable[Window], orgs: pl.DataFrame
) -> pl.DataFrame:
    """One row per organisation, window and metric: `VALUE_COLUMNS`, the value rounded (`rounded_values`)."""
    rows = [(w.code, month) for w in windows for month in w.months]
    months = pl.DataFrame(rows, schema={"window_code": pl.String, "period": pl.String}, orient="row")
    values = pl.concat([_metric_window_values(monthly, months), _survey_window_values(counts, months)])
    joined = values.join(orgs, on="org_id", how="inner")
    return rounded_values(joined).select(VALUE_COLUMNS).collect()


def _metric_window_values(monthly: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    """Mean of the months an organisation reported in each window (one month is enough to contribute)."""
    return (
        monthly.join(months, on="period", how="inner")
        .group_by("org_id", "window_code", "metric")
        .agg(pl.col("value").sort().mean())  # sorted first: the same sum whatever the row order
        .select("org_id", "window_code", "metric", "value")
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


def org_value_rows(values: pl.DataFrame, run_id: int) -> pl.DataFrame:
    """`benchmark_org_values` rows: per organisation and window its cell and `{metric: value}` as JSON text.

    The JSON is written here for both recompute paths (metrics in code order, polars' shortest float form),
    so the same values always give the same bytes.
    """
    if values.height == 0:
        return pl.DataFrame(
            schema={
                "org_id": pl.Int64,
                "window_code": pl.String,
                "cell_key": pl.String,
                "window_values": pl.String,
                "run_id": pl.Int64,
            }
        )
    pair = pl.concat_str(pl.lit('"'), pl.col("metric"), pl.lit('":'), pl.col("value").cast(pl.String))
    return (
        values.with_columns(cohort_key_expr(FINEST).alias("cell_key"))
        .sort("org_id", "window_code", "metric")
        .group_by("org_id", "window_code", maintain_order=True)
        .agg(pl.col("cell_key").first(), pair.str.join(",").alias("window_values"))
        .select(
            "org_id",
            "window_code",
            "cell_key",
            pl.concat_str(pl.lit("{"), pl.col("window_values"), pl.lit("}")).alias("window_values"),
            pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        )
    )
