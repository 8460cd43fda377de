"""Cohort statistics and positions as pure functions (DESIGN.md 7); no database, no Flask.

Every organisation-level value is first rounded with `round_value` (9 decimals), so that two equal means
computed in a different order tie. Percentiles are numpy's default `method="linear"`, reproduced exactly
(numpy is not needed); the polars batch functions give bit-identical results to the scalar ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from benchmarks.engine.cohorts import DIMENSIONS, LEVELS, CohortLevel, cohort_key_expr
from benchmarks.metrics.catalogue import METRICS_BY_CODE, Direction

MIN_COHORT = 5  # anonymity: smaller cells are suppressed, n included
MIN_COHORT_FOR_DECILES = 11  # p10/p90 below this mix in a single organisation's value
VALUE_DECIMALS = 9
SUPPRESSED_REASON = f"fewer than {MIN_COHORT} organisations"
# From here on a double has no digit left at 1e-9 (value * 1e9 >= 2**53): rounding would only add noise.
_ROUNDING_LIMIT = 2.0**53 / 10.0**VALUE_DECIMALS
_QUANTILES = {"p10": 0.1, "p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}


def round_value(value: float) -> float:
    """`value` rounded half-to-even at 9 decimals, computed as round(value * 1e9) / 1e9 (= polars `round(9)`).

    Values of 2**53 / 1e9 (about 9.007e6) or more are returned unchanged; NaN and infinities raise ValueError.
    """
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    value = float(value)
    if abs(value) >= _ROUNDING_LIMIT:
        return value
    return round(value * 1e9) / 1e9


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """numpy's `quantile(values, q, method="linear")` of already sorted values, to the last bit."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be within 0..1, not {q}")
    h = (n - 1) * q  # numpy's virtual index for "linear"
    lower = math.floor(h)
    gamma = h - lower
    a = sorted_values[lower]
    b = sorted_values[min(lower + 1, n - 1)]
    diff = b - a
    # numpy's _lerp: interpolate from the nearer end so that gamma = 1 gives b exactly
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


@dataclass(frozen=True, slots=True)
class CellStats:
    """Publishable statistics of a cell of at least `MIN_COHORT` organisations."""

    n: int
    p25: float
    median: float
    p75: float
    p10: float | None = None  # only when n >= MIN_COHORT_FOR_DECILES
    p90: float | None = None

    suppressed = False


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A cell too small to publish: the reason only, deliberately without n or any figure."""

    reason: str = SUPPRESSED_REASON

    suppressed = True


CellResult = CellStats | Suppressed


def _clean(values: Iterable[float]) -> list[float]:
    return sorted(round_value(value) for value in values)


def sorted_percentiles(ordered: Sequence[float]) -> CellResult:
    """`percentiles` of values already rounded and sorted ascending."""
    n = len(ordered)
    # suppress first: a cell of 4 must not leak through its n or percentiles
    if n < MIN_COHORT:
        return Suppressed()
    deciles = n >= MIN_COHORT_FOR_DECILES
    return CellStats(
        n=n,
        p25=quantile(ordered, 0.25),
        median=quantile(ordered, 0.5),
        p75=quantile(ordered, 0.75),
        p10=quantile(ordered, 0.1) if deciles else None,
        p90=quantile(ordered, 0.9) if deciles else None,
    )


def percentiles(values: Iterable[float]) -> CellResult:
    """The cell's published statistics over organisation values (one each), or `Suppressed` below 5."""
    return sorted_percentiles(_clean(values))


def percentile_rank(value: float, peers: Sequence[float], direction: Direction) -> float:
    """Share of peers this value beats, ties counting half, read in the metric's direction (0-100).

    `peers` are the other organisations of the cell, never the organisation itself; `=` counts higher as
    beating. Values are rounded with `round_value` first.
    """
    if not peers:
        raise ValueError("percentile rank needs at least one peer")
    own = round_value(value)
    rounded = [round_value(peer) for peer in peers]
    higher = sum(1 for peer in rounded if own > peer)
    lower = sum(1 for peer in rounded if own < peer)
    ties = len(rounded) - higher - lower
    beats = lower if Direction(direction) is Direction.LOWER_IS_BETTER else higher
    return 100.0 * (beats + 0.5 * ties) / len(rounded)


def quartile(rank: float) -> int:
    """4 (top) when rank >= 75, 3 when >= 50, 2 when >= 25, else 1."""
    if rank >= 75:
        return 4
    if rank >= 50:
        return 3
    if rank >= 25:
        return 2
    return 1


def gap_to_median(value: float, median: float) -> float:
    """value - median in the metric's unit, rounded like organisation values."""
    return round_value(round_value(value) - median)


class Reading(StrEnum):
    BETTER = "better"  # better than the cohort median in the metric's direction
    WORSE = "worse"
    AT_MEDIAN = "at_median"


def _reading(gap: float, direction: Direction) -> Reading | None:
    if direction is Direction.DESCRIPTIVE:
        return None  # mixes are described, not judged
    if gap == 0:
        return Reading.AT_MEDIAN
    better = gap > 0 if direction is Direction.HIGHER_IS_BETTER else gap < 0
    return Reading.BETTER if better else Reading.WORSE


@dataclass(frozen=True, slots=True)
class Position:
    """An organisation's place in one cell; rank, quartile, gap and reading are None when suppressed."""

    value: float
    direction: Direction
    cohort: CellResult
    rank: float | None = None
    quartile: int | None = None
    gap: float | None = None
    reading: Reading | None = None  # always None for '=' metrics

    @property
    def suppressed(self) -> bool:
        return self.cohort.suppressed


def position(value: float, peers: Sequence[float], direction: Direction) -> Position:
    """The organisation's position among `peers` (the cell's other organisations, itself excluded)."""
    direction = Direction(direction)
    own = round_value(value)
    cohort = percentiles([own, *peers])
    if isinstance(cohort, Suppressed):
        return Position(value=own, direction=direction, cohort=cohort)
    rank = percentile_rank(own, peers, direction)
    gap = gap_to_median(own, cohort.median)
    return Position(
        value=own,
        direction=direction,
        cohort=cohort,
        rank=rank,
        quartile=quartile(rank),
        gap=gap,
        reading=_reading(gap, direction),
    )


def is_watermelon(sla_quartile: int | None, nps_quartile: int | None, csat_quartile: int | None) -> bool:
    """SLA resolution in the top quartile while NPS or CSAT is in the bottom one; unknown counts as no."""
    return sla_quartile == 4 and (nps_quartile == 1 or csat_quartile == 1)


# --- batch (polars) versions, bit-identical to the scalar functions above ------------------------------


def rounded_values(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Rows with a finite `value`, rounded as `round_value` does and -0.0 made 0.0 (lazy)."""
    value = pl.col("value").cast(pl.Float64)
    # + 0.0 turns -0.0 into 0.0: a number has one stored form (see cells.normalise)
    rounded = pl.when(value.abs() < _ROUNDING_LIMIT).then(value.round(VALUE_DECIMALS)).otherwise(value) + 0.0
    return frame.lazy().filter(value.is_not_null() & value.is_finite()).with_columns(rounded.alias("value"))


def _quantile_expr(values: pl.Expr, n: pl.Expr, q: float) -> pl.Expr:
    h = (n - 1).cast(pl.Float64) * q
    lower = h.floor()
    gamma = h - lower
    lower_index = lower.cast(pl.Int64)
    a = values.list.get(lower_index)
    b = values.list.get(pl.min_horizontal(lower_index + 1, n.cast(pl.Int64) - 1))
    diff = b - a
    return pl.when(gamma >= 0.5).then(b - diff * (1 - gamma)).otherwise(a + diff * gamma)


def _grouped_statistics(rounded: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    n = pl.col("n")
    grouped = rounded.group_by(keys).agg(
        pl.col("value").sort().alias("_values"), pl.len().cast(pl.Int64).alias("n")
    )
    published = n >= MIN_COHORT
    deciles = n >= MIN_COHORT_FOR_DECILES
    figures = []
    for name, q in _QUANTILES.items():
        shown = deciles if name in ("p10", "p90") else published
        figures.append(
            pl.when(shown).then(_quantile_expr(pl.col("_values"), n, q)).otherwise(None).alias(name)
        )
    # suppress first: n itself is withheld for a small cell (`true_n` stays for the engine, never published)
    return grouped.with_columns(figures).with_columns(
        pl.when(published).then(n).otherwise(None).alias("n"),
        (~published).alias("suppressed"),
        n.alias("true_n"),
    )


_STAT_COLUMNS = ["n", "p10", "p25", "median", "p75", "p90", "suppressed"]


def cell_statistics(frame: pl.DataFrame, by: Sequence[str] | None = None) -> pl.DataFrame:
    """Per cell (`by`, default every column but `value`): n, p10, p25, median, p75, p90 and `suppressed`.

    Rows hold one organisation value each; null and non-finite values are left out. Each row equals
    `percentiles()` of the cell: a suppressed cell has `suppressed` true and every figure null, n included;
    p10/p90 are null below `MIN_COHORT_FOR_DECILES`. Sorted by the cell columns.
    """
    keys = list(by) if by is not None else [c for c in frame.columns if c != "value"]
    rounded = rounded_values(frame.select([*keys, "value"]))
    return _grouped_statistics(rounded, keys).select([*keys, *_STAT_COLUMNS]).sort(keys).collect()


def cohort_statistics(
    frame: pl.DataFrame, by: Sequence[str] = ("metric",), levels: Sequence[CohortLevel] = LEVELS
) -> pl.DataFrame:
    """`cell_statistics` of every cohort cell of every level at once (the recompute's grouping sets).

    `frame` has one row per organisation and `by` cell (e.g. metric and window) with string columns industry,
    size, region and `value`; the result has `cohort_level`, `cohort_key` (`CohortKey.code`), the `by`
    columns and the statistics, sorted by cohort_key and `by`.
    """
    keys = list(by)
    dimensions = [d.value for d in DIMENSIONS]
    # categorical keys group about twice as fast as strings; cast back on the small result
    strings = [c for c in [*dimensions, *keys] if frame.schema[c] == pl.String]
    rounded = rounded_values(
        frame.select([*dimensions, *keys, "value"]).with_columns(pl.col(strings).cast(pl.Categorical))
    ).cache()
    parts = [
        _grouped_statistics(rounded, [*level.dimensions, *keys]).select(
            pl.lit(level.code).alias("cohort_level"),
            cohort_key_expr(level).alias("cohort_key"),
            *[pl.col(c).cast(pl.String) if c in strings else pl.col(c) for c in keys],
            *_STAT_COLUMNS,
        )
        for level in levels
    ]
    return pl.concat(pl.collect_all(parts)).sort(["cohort_key", *keys])


def cohort_cells(
    frame: pl.DataFrame, by: Sequence[str] = ("metric",), levels: Sequence[CohortLevel] = LEVELS
) -> pl.DataFrame:
    """`cohort_statistics` plus, per cell, `true_n` and `values`: the cell's rounded values sorted ascending.

    This is what the recompute stores (the values as `peer_values`) and the one place where every cell of a
    metric and window is known, with its true n, before anything is written.
    """
    keys = list(by)
    dimensions = [d.value for d in DIMENSIONS]
    strings = [c for c in [*dimensions, *keys] if frame.schema[c] == pl.String]
    rounded = rounded_values(
        frame.select([*dimensions, *keys, "value"]).with_columns(pl.col(strings).cast(pl.Categorical))
    ).cache()
    parts = [
        _grouped_statistics(rounded, [*level.dimensions, *keys]).select(
            pl.lit(level.code).alias("cohort_level"),
            cohort_key_expr(level).alias("cohort_key"),
            *[pl.col(c).cast(pl.String) if c in strings else pl.col(c) for c in keys],
            *_STAT_COLUMNS,
            "true_n",
            pl.col("_values").alias("values"),
        )
        for level in levels
    ]
    return pl.concat(pl.collect_all(parts)).sort(["cohort_key", *keys])


def _directions_by_code(directions: Mapping[str, Direction] | None) -> dict[str, str]:
    chosen = directions if directions is not None else {c: m.direction for c, m in METRICS_BY_CODE.items()}
    return {code: Direction(direction).value for code, direction in chosen.items()}


def _positions(rounded: pl.LazyFrame, keys: list[str], direction_of: dict[str, str]) -> pl.LazyFrame:
    medians = _grouped_statistics(rounded, keys).select([*keys, "median", "suppressed"])
    n = pl.len().over(keys).cast(pl.Int64)
    first = pl.col("value").rank("min").over(keys).cast(pl.Int64)  # 1 + peers below
    last = pl.col("value").rank("max").over(keys).cast(pl.Int64)  # n - peers above
    lower_is_better = (
        pl.col("metric").cast(pl.String).replace_strict(direction_of, return_dtype=pl.String) == "-"
    )
    beats = pl.when(lower_is_better).then(n - last).otherwise(first - 1)
    ties = last - first
    # same operations in the same order as percentile_rank, so the floats are identical
    rank = 100.0 * (beats.cast(pl.Float64) + 0.5 * ties.cast(pl.Float64)) / (n - 1).cast(pl.Float64)
    shown = ~pl.col("suppressed")
    gap = pl.col("value") - pl.col("median")
    gap = pl.when(gap.abs() < _ROUNDING_LIMIT).then(gap.round(VALUE_DECIMALS)).otherwise(gap)
    quartile_expr = (
        pl.when(pl.col("rank").is_null())
        .then(None)
        .when(pl.col("rank") >= 75)
        .then(4)
        .when(pl.col("rank") >= 50)
        .then(3)
        .when(pl.col("rank") >= 25)
        .then(2)
        .otherwise(1)
    )
    return (
        rounded.with_columns(rank.alias("rank"))
        .join(medians, on=keys, how="left", nulls_equal=True)
        .with_columns(
            pl.when(shown).then(pl.col("rank")).otherwise(None).alias("rank"),
            pl.when(shown).then(gap).otherwise(None).alias("gap"),
        )
        .with_columns(quartile_expr.cast(pl.Int8).alias("quartile"))
        .drop(["median", "suppressed"])
    )


def cell_positions(
    frame: pl.DataFrame, by: Sequence[str], directions: Mapping[str, Direction] | None = None
) -> pl.DataFrame:
    """Every row's `rank`, `quartile` and `gap` within its cell (`by`), equal to `position()` for that row.

    `frame` has one row per organisation and cell: the `by` columns (including `metric`, whose code selects
    the direction from `directions`, by default the catalogue's), `value`, and any id columns, which are kept.
    The value is returned rounded; in a suppressed cell rank, quartile and gap are null.
    """
    keys = list(by)
    if "metric" not in keys:
        raise ValueError("cell_positions needs 'metric' among the cell columns, to read the direction")
    return _positions(rounded_values(frame), keys, _directions_by_code(directions)).collect()


def cohort_positions(
    frame: pl.DataFrame,
    by: Sequence[str] = ("metric",),
    levels: Sequence[CohortLevel] = LEVELS,
    directions: Mapping[str, Direction] | None = None,
) -> pl.DataFrame:
    """`cell_positions` in every cohort level at once: one row per input row and level.

    `frame` is as for `cohort_statistics` plus id columns (e.g. org_id), which are kept; industry, size and
    region are replaced by `cohort_level` and `cohort_key`.
    """
    keys = list(by)
    if "metric" not in keys:
        raise ValueError("cohort_positions needs 'metric' among the cell columns, to read the direction")
    direction_of = _directions_by_code(directions)
    dimensions = [d.value for d in DIMENSIONS]
    rounded = rounded_values(frame).cache()
    parts = [
        _positions(rounded, [*level.dimensions, *keys], direction_of)
        .with_columns(pl.lit(level.code).alias("cohort_level"), cohort_key_expr(level).alias("cohort_key"))
        .drop(dimensions)
        for level in levels
    ]
    return pl.concat(pl.collect_all(parts))
