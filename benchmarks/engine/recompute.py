"""The benchmark recompute: organisations' window values -> cohort snapshots (with their sorted values).

The one code path that reads every tenant's values. On PostgreSQL it runs under the fenced recompute role
(`transaction(recompute=True)`), which may read metric values and survey counts of all organisations but
write only snapshots, the organisations' window values and its own run record.

Two ways in, with the same output (tests/benchmarks/engine/test_incremental.py compares them):

- `recompute_benchmarks`: the full recompute (`peerbench recompute --all`), every window from every value;
- `incremental.recompute_organisation`: after an accepted upload, only the windows its periods fall in,
  and in them only the cohort cells of the organisation whose value changed.

Positions are not stored: a snapshot keeps its cell's sorted values and the read path places the
organisation in them (benchmarks/engine/cells.py), so a recompute writes ~211,000 cells and ~44,000
organisation-window rows at 2,000 organisations instead of 8.8 M position rows.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from benchmarks.engine.bulk import literals, read_frame, write_frame
from benchmarks.engine.cells import pack_values
from benchmarks.engine.cohorts import LEVELS, cohort_key_expr
from benchmarks.engine.inputs import (
    months_of,
    org_value_rows,
    read_counts,
    read_monthly,
    read_organisations,
    window_values,
)
from benchmarks.engine.models import RecomputeRun
from benchmarks.engine.statistics import MIN_COHORT, cohort_cells
from benchmarks.engine.windows import Window, windows_for_periods
from core.db import transaction

SNAPSHOT_COLUMNS = [
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
    "peer_values",
    "run_id",
]
_LOCK_KEY = 4_711_011  # one recompute at a time: two could otherwise add to the same cell concurrently
_PACK_VALUES = 400_000  # values turned into Python floats at a time while packing cells (bounded memory)


@dataclass(frozen=True)
class RecomputeSummary:
    windows: tuple[str, ...]
    organisations: int
    cells: int
    positions: int  # organisation x window x metric values placed in the cells (x 8 cohort levels)


def recompute_benchmarks(*, now: datetime, windows: Iterable[Window] | None = None) -> RecomputeSummary:
    """Recompute the snapshots of `windows` (default: every window with data) from every value, atomically."""
    with transaction(recompute=True) as session:
        connection = session.connection()
        lock(connection)
        run = start_run(session, now, "full")
        orgs = read_organisations(connection)
        if windows is None:
            monthly, counts = read_monthly(connection), read_counts(connection)
            periods = set(monthly.get_column("period").unique().to_list()) | set(
                counts.get_column("period").unique().to_list()
            )
            chosen = windows_for_periods(periods)
        else:
            chosen = sorted(set(windows), key=lambda w: w.sort_key)
            months = months_of(chosen)
            monthly, counts = read_monthly(connection, months=months), read_counts(connection, months=months)
        values = window_values(monthly, counts, chosen, orgs)
        del monthly, counts
        codes = [w.code for w in chosen]
        cells = replace_windows(connection, codes, values, now=now, run_id=run.id)
        replace_profiles(connection, orgs)
        return finish_run(run, now, codes, values.get_column("org_id").n_unique(), cells, values.height)


def lock(connection: Connection) -> None:
    """Serialise recomputes (PostgreSQL advisory lock until commit; SQLite serialises writers itself)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def start_run(session: Session, now: datetime, kind: str) -> RecomputeRun:
    run = RecomputeRun(started_at=now, kind=kind)
    session.add(run)
    session.flush()
    return run


def finish_run(
    run: RecomputeRun, now: datetime, codes: list[str], organisations: int, cells: int, placed: int
) -> RecomputeSummary:
    run.finished_at = now
    run.windows = codes
    run.organisations = organisations
    run.cells = cells
    run.positions = placed * len(LEVELS)
    return RecomputeSummary(tuple(codes), organisations, cells, placed * len(LEVELS))


def replace_windows(
    connection: Connection, codes: list[str], values: pl.DataFrame, *, now: datetime, run_id: int
) -> int:
    """Replace every snapshot and organisation value of the windows `codes` with those of `values`."""
    cells = cohort_cells(values.drop("org_id"), by=("metric", "window_code"))
    snapshots = snapshot_rows(cells, now=now, run_id=run_id)
    in_windows = f"window_code in {literals(codes)}"
    connection.execute(text(f"delete from benchmark_snapshots where {in_windows}"))
    connection.execute(text(f"delete from benchmark_org_values where {in_windows}"))
    write_frame(connection, "benchmark_snapshots", snapshots)
    write_frame(connection, "benchmark_org_values", org_value_rows(values, run_id))
    return snapshots.height


def snapshot_rows(cells: pl.DataFrame, *, now: datetime, run_id: int) -> pl.DataFrame:
    """`benchmark_snapshots` rows of `cohort_cells` output: the figures, and the values packed."""
    packed = pl.Series("peer_values", _packed(cells.get_column("values")), dtype=pl.Binary)
    return cells.with_columns(
        packed, pl.lit(now).alias("computed_at"), pl.lit(run_id, dtype=pl.Int64).alias("run_id")
    ).select(SNAPSHOT_COLUMNS)


def _packed(lists: pl.Series) -> list[bytes]:
    """Each cell's sorted values as bytes, a bounded number of values in Python floats at a time."""
    lengths = lists.list.len().to_list()
    out: list[bytes] = []
    start = 0
    while start < len(lengths):
        end, total = start, 0
        while end < len(lengths) and (total == 0 or total + lengths[end] <= _PACK_VALUES):
            total += lengths[end]
            end += 1
        data = pack_values(array("d", lists.slice(start, end - start).explode().drop_nulls().to_list()))
        offset = 0
        for length in lengths[start:end]:
            out.append(data[offset : offset + 8 * length])
            offset += 8 * length
        start = end
    return out


def replace_profiles(connection: Connection, orgs: pl.DataFrame) -> None:
    """Organisations per profile answer in every cohort cell; a cell under 5 answering keeps no figure."""
    answers = read_frame(
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
    connection.execute(text("delete from profile_distributions"))
    write_frame(connection, "profile_distributions", pl.concat(parts))
