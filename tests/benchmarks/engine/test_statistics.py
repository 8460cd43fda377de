import random
import statistics as stdlib_statistics

import duckdb
import polars as pl
import pytest

from benchmarks.engine.cohorts import with_cohort_keys
from benchmarks.engine.statistics import (
    MIN_COHORT,
    SUPPRESSED_REASON,
    CellStats,
    Reading,
    Suppressed,
    cell_positions,
    cell_statistics,
    cohort_positions,
    cohort_statistics,
    gap_to_median,
    is_watermelon,
    percentile_rank,
    percentiles,
    position,
    quantile,
    quartile,
    round_value,
)
from benchmarks.metrics.catalogue import Direction

UP, DOWN, MIX = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER, Direction.DESCRIPTIVE


# --- rounding ---------------------------------------------------------------------------------------------


def test_rounding_makes_point_one_plus_point_two_equal_point_three():
    assert 0.1 + 0.2 != 0.3
    assert round_value(0.1 + 0.2) == 0.3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.0000000004, 2.0),
        (2.0000000006, 2.000000001),
        (-1.23456789049, -1.23456789),
        (70.25, 70.25),
        (0.0, 0.0),
    ],
)
def test_round_value_keeps_nine_decimals(value, expected):
    assert round_value(value) == expected


def test_round_value_leaves_values_too_large_for_nine_decimals_alone():
    # 638342608038 * 1e9 is not exact in a double; dividing back would not give the integer
    assert round_value(638342608038.0) == 638342608038.0
    assert round_value(12_345_678.123456789) == 12_345_678.123456789


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_round_value_rejects_non_finite_values(value):
    with pytest.raises(ValueError, match="not a finite number"):
        round_value(value)


def test_round_value_equals_polars_round_nine():
    rng = random.Random(7)
    values = [rng.uniform(-1000, 1000) for _ in range(20_000)] + [
        k / 1e10 + 5e-10 for k in range(-5000, 5000)
    ]
    polars_rounded = pl.Series(values).round(9).to_list()
    assert [round_value(v) for v in values] == polars_rounded


# --- percentiles --------------------------------------------------------------------------------------------


def test_five_organisations_show_quartiles_but_no_p10_p90():
    # sorted 1, 2, 4, 7, 11; index h = 4q: p25 h=1 -> 2, median h=2 -> 4, p75 h=3 -> 7
    result = percentiles([7, 1, 11, 4, 2])
    assert result == CellStats(n=5, p25=2.0, median=4.0, p75=7.0, p10=None, p90=None)
    assert result.suppressed is False


def test_four_organisations_are_suppressed_without_n():
    result = percentiles([1, 2, 3, 4])
    assert isinstance(result, Suppressed)
    assert result.reason == "fewer than 5 organisations" == SUPPRESSED_REASON
    assert result.suppressed is True
    assert not hasattr(result, "n")
    assert not hasattr(result, "median")


def test_no_organisations_are_suppressed():
    assert isinstance(percentiles([]), Suppressed)


def test_six_organisations_interpolate_linearly():
    # sorted 1, 2, 4, 7, 11, 16; h = 5q
    # p25: h=1.25 -> 2 + (4 - 2) * 0.25 = 2.5
    # median: h=2.5 -> 4 + (7 - 4) * 0.5 = 5.5
    # p75: h=3.75 -> 7 + (11 - 7) * 0.75 = 10
    assert percentiles([16, 11, 7, 4, 2, 1]) == CellStats(n=6, p25=2.5, median=5.5, p75=10.0)


def test_ten_organisations_still_hide_p10_p90():
    result = percentiles(range(10))
    assert (result.n, result.p10, result.p90) == (10, None, None)


def test_eleven_organisations_show_p10_and_p90():
    # sorted 1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 9; h = 10q
    # p10 h=1 -> 1; p25 h=2.5 -> 2 + (3 - 2) * 0.5 = 2.5; median h=5 -> 4; p75 h=7.5 -> 5; p90 h=9 -> 6
    result = percentiles([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
    assert result == CellStats(n=11, p10=1.0, p25=2.5, median=4.0, p75=5.0, p90=6.0)


def test_twelve_organisations_interpolate_p10_and_p90():
    # 10, 20, ..., 120; h = 11q
    # p10 h=1.1 -> 20 + 10 * 0.1 = 21; p90 h=9.9 -> 100 + 10 * 0.9 = 109; median h=5.5 -> 65
    result = percentiles([10 * k for k in range(1, 13)])
    assert result.p10 == pytest.approx(21.0, abs=1e-9)
    assert result.p90 == pytest.approx(109.0, abs=1e-9)
    assert result.median == 65.0
    assert (result.p25, result.p75) == (37.5, 92.5)  # h=2.75 -> 30 + 7.5; h=8.25 -> 90 + 2.5


def test_ties_do_not_move_percentiles():
    # sorted 5, 5, 5, 5, 9: p25 h=1 -> 5, median h=2 -> 5, p75 h=3 -> 5
    assert percentiles([5, 9, 5, 5, 5]) == CellStats(n=5, p25=5.0, median=5.0, p75=5.0)


def test_values_are_rounded_before_percentiles():
    result = percentiles([0.1 + 0.2, 0.3, 0.3, 0.3, 0.3])
    assert (result.p25, result.median, result.p75) == (0.3, 0.3, 0.3)


def test_quantile_matches_the_stdlib_inclusive_method_and_duckdb():
    # statistics.quantiles(method="inclusive") and DuckDB's quantile_cont are both numpy's "linear"
    rng = random.Random(3)
    connection = duckdb.connect()
    for size in (2, 5, 7, 11, 12, 23, 100):
        values = sorted(round_value(rng.uniform(0, 100)) for _ in range(size))
        deciles = stdlib_statistics.quantiles(values, n=10, method="inclusive")
        quartiles = stdlib_statistics.quantiles(values, n=4, method="inclusive")
        assert quantile(values, 0.1) == pytest.approx(deciles[0], rel=1e-12)
        assert quantile(values, 0.9) == pytest.approx(deciles[8], rel=1e-12)
        assert [quantile(values, q) for q in (0.25, 0.5, 0.75)] == pytest.approx(quartiles, rel=1e-12)
        expected = connection.execute(
            "select quantile_cont(v, [0.1, 0.25, 0.5, 0.75, 0.9]) from unnest($1::double[]) t(v)", [values]
        ).fetchone()[0]
        assert [quantile(values, q) for q in (0.1, 0.25, 0.5, 0.75, 0.9)] == pytest.approx(
            expected, rel=1e-12
        )


def test_quantile_ends_are_the_extremes_and_bad_input_raises():
    assert (quantile([1.0, 4.0], 0.0), quantile([1.0, 4.0], 1.0)) == (1.0, 4.0)
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        quantile([1.0], 1.5)


# --- rank, quartile, gap, position ----------------------------------------------------------------------


def test_rank_higher_is_better_counts_ties_half():
    # 20 among 10, 20, 30, 40: beats 10, ties 20 -> 100 * (1 + 0.5) / 4 = 37.5
    assert percentile_rank(20, [10, 20, 30, 40], UP) == 37.5


def test_rank_lower_is_better():
    # 20 among 10, 20, 30, 40 where lower wins: beats 30 and 40, ties 20 -> 100 * 2.5 / 4 = 62.5
    assert percentile_rank(20, [10, 20, 30, 40], DOWN) == 62.5


def test_rank_of_descriptive_metric_reads_higher_as_beating():
    assert percentile_rank(20, [10, 20, 30, 40], MIX) == 37.5
    assert percentile_rank(20, [10, 20, 30, 40], "=") == 37.5


def test_rank_extremes():
    assert percentile_rank(50, [10, 20, 30, 40], UP) == 100.0
    assert percentile_rank(50, [10, 20, 30, 40], DOWN) == 0.0
    assert percentile_rank(7, [7, 7, 7, 7], UP) == 50.0  # all ties -> 4 * 0.5 / 4


def test_rank_rounds_so_point_one_plus_point_two_ties_with_point_three():
    # peers 0.1 + 0.2, 0.5, 0.1, 0.2: beats 0.1 and 0.2, ties 0.1 + 0.2 -> 100 * 2.5 / 4 = 62.5
    # unrounded, 0.3 < 0.30000000000000004 would lose that peer and rank 50
    assert percentile_rank(0.3, [0.1 + 0.2, 0.5, 0.1, 0.2], UP) == 62.5


def test_rank_needs_peers():
    with pytest.raises(ValueError, match="at least one peer"):
        percentile_rank(1.0, [], UP)


@pytest.mark.parametrize(
    ("rank", "expected"),
    [(100, 4), (75, 4), (74.999, 3), (50, 3), (49.99, 2), (25, 2), (24.99, 1), (0, 1)],
)
def test_quartile_boundaries(rank, expected):
    assert quartile(rank) == expected


def test_gap_to_median_is_rounded_value_minus_median():
    assert gap_to_median(35, 30) == 5.0
    assert gap_to_median(0.1 + 0.2, 0.1) == 0.2  # 0.3 - 0.1 = 0.19999999999999998 unrounded


def test_position_higher_is_better():
    # cohort 10, 20, 30, 35, 40 (n=5): p25 20, median 30, p75 35
    # 35 beats 10, 20, 30 of 4 peers -> 75 -> quartile 4; gap 35 - 30 = +5 -> better
    result = position(35, [10, 20, 30, 40], UP)
    assert result.cohort == CellStats(n=5, p25=20.0, median=30.0, p75=35.0)
    assert (result.value, result.rank, result.quartile, result.gap) == (35.0, 75.0, 4, 5.0)
    assert result.reading is Reading.BETTER
    assert result.suppressed is False


def test_position_lower_is_better():
    # 35 beats only 40 of 4 peers -> 25 -> quartile 2; a gap of +5 is worse when lower is better
    result = position(35, [10, 20, 30, 40], DOWN)
    assert (result.rank, result.quartile, result.gap, result.reading) == (25.0, 2, 5.0, Reading.WORSE)


def test_position_of_a_descriptive_metric_has_no_reading():
    result = position(35, [10, 20, 30, 40], MIX)
    assert (result.rank, result.quartile, result.gap, result.reading) == (75.0, 4, 5.0, None)


def test_position_at_the_median():
    result = position(30, [10, 20, 40, 50], DOWN)
    assert (result.rank, result.gap, result.reading) == (50.0, 0.0, Reading.AT_MEDIAN)


def test_position_in_a_cell_of_four_shows_only_the_own_value():
    result = position(35, [10, 20, 30], UP)
    assert result.suppressed is True
    assert result.cohort == Suppressed(reason="fewer than 5 organisations")
    assert (result.value, result.rank, result.quartile, result.gap, result.reading) == (
        35.0,
        None,
        None,
        None,
        None,
    )


def test_position_of_eleven_has_deciles():
    result = position(6, [3, 1, 4, 1, 5, 9, 2, 5, 3, 5], UP)
    assert (result.cohort.p10, result.cohort.p90) == (1.0, 6.0)
    # 6 beats 9 of its 10 peers (all but 9) -> 90
    assert result.rank == 90.0


@pytest.mark.parametrize(
    ("sla", "nps", "csat", "expected"),
    [
        (4, 1, 3, True),
        (4, 3, 1, True),
        (4, 1, 1, True),
        (4, 2, 2, False),
        (3, 1, 1, False),
        (None, 1, 1, False),
        (4, None, 1, True),
        (4, None, None, False),
    ],
)
def test_watermelon_is_top_sla_with_bottom_nps_or_csat(sla, nps, csat, expected):
    assert is_watermelon(sla, nps, csat) is expected


# --- batch functions equal the scalar ones ------------------------------------------------------------


def _random_cells(seed: int) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for cell in range(300):
        size = rng.randint(1, 30)
        pool = [round(rng.uniform(0, 100), rng.choice([0, 1, 3])) for _ in range(4)]
        for _ in range(size):
            # ties from a small pool, sums needing rounding, and wide-spread values
            kind = rng.random()
            value = (
                rng.choice(pool)
                if kind < 0.3
                else 0.1 * rng.randint(0, 30) + 0.2
                if kind < 0.5
                else rng.uniform(-50, 500)
            )
            rows.append(
                {
                    "cohort_key": f"c{cell % 50}",
                    "metric": rng.choice(["fcr_rate", "mttr_hours"]),
                    "value": value,
                }
            )
    return pl.DataFrame(rows)


def test_cell_statistics_equals_percentiles_exactly():
    frame = _random_cells(11)
    result = cell_statistics(frame)
    cells = frame.group_by("cohort_key", "metric").agg(pl.col("value")).sort("cohort_key", "metric")
    assert result.height == cells.height
    for (key, metric, values), row in zip(cells.iter_rows(), result.iter_rows(named=True), strict=True):
        assert (row["cohort_key"], row["metric"]) == (key, metric)
        expected = percentiles(values)
        if isinstance(expected, Suppressed):
            assert row["suppressed"] is True
            assert [row[c] for c in ("n", "p10", "p25", "median", "p75", "p90")] == [None] * 6
        else:
            assert row["suppressed"] is False
            got = CellStats(row["n"], row["p25"], row["median"], row["p75"], row["p10"], row["p90"])
            assert got == expected  # bit for bit, no tolerance


def test_cell_statistics_of_a_small_cell_hides_n():
    frame = pl.DataFrame(
        {"cohort_key": ["a"] * 4 + ["b"] * 5, "value": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    )
    result = cell_statistics(frame).rows(named=True)
    assert result[0] == {
        "cohort_key": "a",
        "n": None,
        "p10": None,
        "p25": None,
        "median": None,
        "p75": None,
        "p90": None,
        "suppressed": True,
    }
    assert (result[1]["n"], result[1]["median"], result[1]["p10"]) == (5, 3.0, None)


def test_cell_statistics_leaves_out_missing_values():
    frame = pl.DataFrame({"cohort_key": ["a"] * 6, "value": [1.0, 2.0, None, 3.0, 4.0, float("nan")]})
    assert cell_statistics(frame)["suppressed"].to_list() == [True]  # 4 real values


def _organisations(seed: int, count: int) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for org_id in range(count):
        industry, size, region = (
            rng.choice(["retail", "healthcare"]),
            rng.choice(["s", "m"]),
            rng.choice(["na", "emea"]),
        )
        for metric in ("fcr_rate", "mttr_hours", "channel_phone_pct"):
            value = round(rng.uniform(0, 100), rng.choice([0, 1])) + rng.choice([0.0, 0.1 + 0.2 - 0.3])
            rows.append(
                {
                    "org_id": org_id,
                    "industry": industry,
                    "size": size,
                    "region": region,
                    "metric": metric,
                    "value": value,
                }
            )
    return pl.DataFrame(rows)


def test_cohort_statistics_equals_cell_statistics_over_all_levels():
    frame = _organisations(5, 60)
    expected = cell_statistics(
        with_cohort_keys(frame).drop("org_id", "cohort_level"), by=["cohort_key", "metric"]
    )
    result = cohort_statistics(frame, by=["metric"])
    assert result.select(expected.columns).equals(expected)
    # 8 levels: 1 + 2 + 2 + 2 + 4 + 4 + 4 + 8 = 27 cells per metric
    assert result.height == 27 * 3


def test_cell_positions_equal_position_for_every_row():
    frame = _organisations(9, 40)
    keyed = with_cohort_keys(frame).drop("cohort_level")
    result = cell_positions(keyed, by=["cohort_key", "metric"])
    directions = {"fcr_rate": UP, "mttr_hours": DOWN, "channel_phone_pct": MIX}
    checked_ranks = 0
    for (key, metric), cell in keyed.group_by("cohort_key", "metric"):
        values = dict(cell.select("org_id", "value").iter_rows())
        for org_id, value in values.items():
            expected = position(value, [v for o, v in values.items() if o != org_id], directions[metric])
            row = result.filter(
                (pl.col("cohort_key") == key) & (pl.col("metric") == metric) & (pl.col("org_id") == org_id)
            ).row(0, named=True)
            assert (row["value"], row["rank"], row["quartile"], row["gap"]) == (
                expected.value,
                expected.rank,
                expected.quartile,
                expected.gap,
            )
            checked_ranks += expected.rank is not None
    assert checked_ranks > 100  # most cells are large enough to be ranked


def test_cohort_positions_equal_cell_positions():
    frame = _organisations(4, 30)
    keys = ["org_id", "cohort_key", "metric"]
    expected = cell_positions(with_cohort_keys(frame), by=["cohort_key", "metric"]).sort(keys)
    result = cohort_positions(frame, by=["metric"]).select(expected.columns).sort(keys)
    assert result.equals(expected)


def test_cell_positions_need_the_metric_column():
    frame = pl.DataFrame({"cohort_key": ["a"], "value": [1.0]})
    with pytest.raises(ValueError, match="needs 'metric'"):
        cell_positions(frame, by=["cohort_key"])


def test_min_cohort_is_five():
    assert MIN_COHORT == 5
