"""An accepted upload's recompute: only what the organisation's new values change (cost follows the change).

For the windows the upload's months fall in (the month's quarter and the up to four trailing twelve months
holding it), the organisation's window values are recomputed from its own rows alone and compared with the
ones stored in `benchmark_org_values`. Only where a value changed are the cells touched: the old value is
taken out of the 8 cells of the organisation's stored cohort cell, the new one put into the 8 cells of its
current one, and each touched cell's statistics recomputed from its stored sorted values. No other
organisation's rows are read. A window that did not exist before (the first month of a new quarter) has no
stored cells to update: it is computed whole from every organisation's values, as the full recompute would.

The result equals the full recompute's (`recompute.recompute_benchmarks`), cell for cell and byte for byte:
tests/benchmarks/engine/test_incremental.py checks it after random upload sequences on both backends.
"""

from __future__ import annotations

import json
from array import array
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, text

from benchmarks.engine.bulk import literal, literals, write_frame
from benchmarks.engine.cells import add_value, cell_result, pack_values, remove_value, unpack_values
from benchmarks.engine.cohorts import CohortKey, all_keys_for, cohort_key_expr
from benchmarks.engine.inputs import (
    FINEST,
    months_of,
    org_value_rows,
    read_counts,
    read_monthly,
    read_organisations,
    window_values,
)
from benchmarks.engine.recompute import (
    SNAPSHOT_COLUMNS,
    RecomputeSummary,
    finish_run,
    lock,
    replace_profiles,
    replace_windows,
    start_run,
)
from benchmarks.engine.statistics import CellStats
from benchmarks.engine.windows import Window, quarter_of, shift_period
from core.db import transaction

_ALL = CohortKey().code
CellId = tuple[str, str, str]  # window code, cohort key, metric


def recompute_organisation(org_id: int, periods: Iterable[str] | None, *, now: datetime) -> RecomputeSummary:
    """After an accepted upload of `org_id` holding `periods`: recompute what it changed, nothing more.

    `periods` None: every month the organisation has values in (after a change of its cohort, say).
    """
    with transaction(recompute=True) as session:
        connection = session.connection()
        lock(connection)
        run = start_run(session, now, "organisation")
        months = sorted(set(periods)) if periods is not None else _periods_of(connection, org_id)
        codes, cells, placed = _apply(connection, org_id, months, now=now, run_id=run.id)
        replace_profiles(connection, read_organisations(connection))
        return finish_run(run, now, codes, 1 if placed else 0, cells, placed)


def _periods_of(connection: Connection, org_id: int) -> list[str]:
    org = literal(org_id)
    rows = connection.execute(
        text(
            f"select period from metric_values where org_id = {org}"
            f" union select period from survey_counts where org_id = {org}"
        )
    )
    return sorted(row[0] for row in rows)


def windows_holding(periods: Iterable[str]) -> list[Window]:
    """Every window (DESIGN.md 7) a month falls in: its quarter and the trailing windows ending at the next
    four quarter ends."""
    found: set[Window] = set()
    for period in periods:
        quarter = quarter_of(period)
        found.add(quarter)
        for step in range(4):
            trailing = Window.trailing_12_months(shift_period(quarter.last, 3 * step))
            if trailing.contains(period):
                found.add(trailing)
    return sorted(found, key=lambda w: w.sort_key)


def _apply(
    connection: Connection, org_id: int, periods: list[str], *, now: datetime, run_id: int
) -> tuple[list[str], int, int]:
    org = read_organisations(connection, org_id)
    if org.height == 0 or not periods:
        return [], 0, 0  # the organisation was deleted meanwhile: the next full recompute tidies up
    candidates = windows_holding(periods)
    quarters = {quarter_of(w.last) for w in candidates}
    existing = _existing(connection, [*candidates, *quarters])
    uploaded = {quarter_of(p).code for p in periods}

    def has_data(window: Window) -> bool:  # a window exists when its (last) quarter holds any value
        quarter = quarter_of(window.last).code
        return quarter in existing or quarter in uploaded

    fresh = [w for w in candidates if w.code not in existing and has_data(w)]
    stored = _stored(connection, org_id)
    cell = org.select(cohort_key_expr(FINEST)).item()
    delta = {w for w in candidates if w.code in existing}
    if any(cell_key != cell for cell_key, _ in stored.values()):
        # the organisation changed cohort since: move its values of every window it has
        delta |= {Window.parse(code) for code in stored}
    cells = 0
    if fresh:
        everyone = read_organisations(connection)
        months = months_of(fresh)
        values = window_values(
            read_monthly(connection, months=months), read_counts(connection, months=months), fresh, everyone
        )
        cells += replace_windows(connection, [w.code for w in fresh], values, now=now, run_id=run_id)
    ordered = sorted(delta, key=lambda w: w.sort_key)
    placed = 0
    if ordered:
        months = months_of(ordered)
        mine = window_values(
            read_monthly(connection, org_id, months), read_counts(connection, org_id, months), ordered, org
        )
        placed = mine.height
        cells += _update_cells(connection, stored, mine, cell, [w.code for w in ordered], now, run_id)
        codes = literals([w.code for w in ordered])
        connection.execute(
            text(
                f"delete from benchmark_org_values where org_id = {literal(org_id)}"
                f" and window_code in {codes}"
            )
        )
        write_frame(connection, "benchmark_org_values", org_value_rows(mine, run_id))
    touched = sorted({*fresh, *ordered}, key=lambda w: w.sort_key)
    return [w.code for w in touched], cells, placed


def _existing(connection: Connection, windows: list[Window]) -> set[str]:
    """The windows among `windows` that have cells (every such window has the "all organisations" cell)."""
    rows = connection.execute(
        text(
            "select distinct window_code from benchmark_snapshots"
            f" where cohort_key = {literal(_ALL)}"
            f" and window_code in {literals(sorted({w.code for w in windows}))}"
        )
    )
    return {row[0] for row in rows}


def _stored(connection: Connection, org_id: int) -> dict[str, tuple[str, dict[str, float]]]:
    """window code -> (cell key, {metric: value}) as the last recompute stored them for the organisation."""
    rows = connection.execute(
        text(
            "select window_code, cell_key, window_values from benchmark_org_values"
            f" where org_id = {literal(org_id)}"
        )
    )
    return {code: (cell_key, _decoded(values)) for code, cell_key, values in rows}


def _decoded(values: str | dict) -> dict[str, float]:
    return dict(json.loads(values)) if isinstance(values, str) else dict(values)


def _cell_keys(cell_key: str) -> list[str]:
    key = CohortKey.parse(cell_key)
    return [k.code for k in all_keys_for(key.industry, key.size, key.region)]


def _update_cells(
    connection: Connection,
    stored: dict[str, tuple[str, dict[str, float]]],
    mine: pl.DataFrame,
    cell: str,
    codes: list[str],
    now: datetime,
    run_id: int,
) -> int:
    """Take the organisation's old values out of its old cells, put the new ones in; rewrite those cells."""
    new: dict[str, dict[str, float]] = defaultdict(dict)
    for code, metric, value in mine.select("window_code", "metric", "value").iter_rows():
        new[code][metric] = value
    removals: dict[CellId, list[float]] = defaultdict(list)
    additions: dict[CellId, list[float]] = defaultdict(list)
    new_keys = _cell_keys(cell)
    for code in codes:
        old_cell, old_values = stored.get(code, (cell, {}))
        old_keys = _cell_keys(old_cell)
        for metric in sorted(set(old_values) | set(new[code])):
            old, value = old_values.get(metric), new[code].get(metric)
            if old_cell == cell and old == value:
                continue  # unchanged: none of its cells is touched
            if old is not None:
                for key in old_keys:
                    removals[(code, key, metric)].append(old)
            if value is not None:
                for key in new_keys:
                    additions[(code, key, metric)].append(value)
    touched = sorted(set(removals) | set(additions))
    if not touched:
        return 0
    current = _read_cells(connection, touched)
    rows = []
    for cell_id in touched:
        values = unpack_values(current.get(cell_id))
        for old in removals.get(cell_id, []):
            remove_value(values, old)
        for value in additions.get(cell_id, []):
            add_value(values, value)
        if values:
            rows.append(_snapshot_row(cell_id, values, now, run_id))
    _delete_cells(connection, touched)
    write_frame(connection, "benchmark_snapshots", _snapshot_frame(rows))
    return len(touched)


def _read_cells(connection: Connection, cells: list[CellId]) -> dict[CellId, bytes]:
    windows = literals(sorted({c[0] for c in cells}))
    keys = literals(sorted({c[1] for c in cells}))
    metrics = literals(sorted({c[2] for c in cells}))
    rows = connection.execute(
        text(
            "select window_code, cohort_key, metric, peer_values from benchmark_snapshots"
            f" where window_code in {windows} and cohort_key in {keys} and metric in {metrics}"
        )
    )
    wanted = set(cells)
    return {(w, k, m): bytes(blob or b"") for w, k, m, blob in rows if (w, k, m) in wanted}


def _delete_cells(connection: Connection, cells: list[CellId]) -> None:
    for start in range(0, len(cells), 500):
        chunk = cells[start : start + 500]
        tuples = ", ".join(f"({literal(w)}, {literal(k)}, {literal(m)})" for w, k, m in chunk)
        connection.execute(
            text(f"delete from benchmark_snapshots where (window_code, cohort_key, metric) in ({tuples})")
        )


def _snapshot_row(cell_id: CellId, values: array, now: datetime, run_id: int) -> dict:
    code, key, metric = cell_id
    result = cell_result(values)
    shown = isinstance(result, CellStats)
    return {
        "window_code": code,
        "cohort_level": CohortKey.parse(key).level.code,
        "cohort_key": key,
        "metric": metric,
        "suppressed": not shown,
        "n": result.n if shown else None,
        "p10": result.p10 if shown else None,
        "p25": result.p25 if shown else None,
        "median": result.median if shown else None,
        "p75": result.p75 if shown else None,
        "p90": result.p90 if shown else None,
        "computed_at": now,
        "peer_values": pack_values(values),
        "run_id": run_id,
    }


def _snapshot_frame(rows: list[dict]) -> pl.DataFrame:
    schema = {
        "window_code": pl.String,
        "cohort_level": pl.String,
        "cohort_key": pl.String,
        "metric": pl.String,
        "suppressed": pl.Boolean,
        "n": pl.Int64,
        "p10": pl.Float64,
        "p25": pl.Float64,
        "median": pl.Float64,
        "p75": pl.Float64,
        "p90": pl.Float64,
        "computed_at": pl.Datetime("us", "UTC"),
        "peer_values": pl.Binary,
        "run_id": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema).select(SNAPSHOT_COLUMNS)
