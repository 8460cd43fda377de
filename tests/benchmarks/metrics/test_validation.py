import random
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from benchmarks.metrics import downloads
from benchmarks.metrics.readers import RowError
from benchmarks.metrics.validation import (
    COMPUTED_REASON,
    MAX_ERRORS,
    validate_metric_records,
    validate_metrics_file,
)

TODAY = date(2025, 6, 15)
BAD_PERIOD = "bad period: expected YYYY-MM with month 01-12"


def validate(tmp_path: Path, text: str, name: str = "metrics.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return validate_metrics_file(path, name, today=TODAY)


def long_file(*rows: str) -> str:
    return "period,metric,value\n" + "".join(f"{row}\n" for row in rows)


def test_good_long_file_gives_sorted_typed_values(tmp_path):
    parse = validate(
        tmp_path, long_file("2025-02,fcr_rate,71", " 2025-01 , FCR_Rate , 70.5 ", "2025-01,asa_seconds,30")
    )
    assert parse.ok
    assert (parse.errors, parse.error_count, parse.rows) == ([], 0, 3)
    assert parse.values.schema == pl.Schema({"period": pl.String, "metric": pl.String, "value": pl.Float64})
    assert parse.values.rows() == [
        ("2025-01", "asa_seconds", 30.0),
        ("2025-01", "fcr_rate", 70.5),
        ("2025-02", "fcr_rate", 71.0),
    ]


def test_unknown_metric_code(tmp_path):
    parse = validate(tmp_path, long_file("2025-01,fcr_rate,70", "2025-01,happiness,3"))
    assert not parse.ok
    assert parse.errors == [RowError(3, "metric", "happiness", "unknown metric code")]
    assert parse.values.is_empty()


@pytest.mark.parametrize("code", ["shift_left_rate", "nps", "csat_pct", "ces_avg", "survey_responses"])
def test_derived_and_survey_codes_are_not_uploaded(tmp_path, code):
    parse = validate(tmp_path, long_file(f"2025-01,{code},40"))
    assert parse.errors == [RowError(2, "metric", code, COMPUTED_REASON)]


def test_non_numeric_and_missing_values(tmp_path):
    parse = validate(
        tmp_path, long_file("2025-01,fcr_rate,seventy", "2025-02,fcr_rate,", "2025-03,fcr_rate,NaN")
    )
    assert parse.errors == [
        RowError(2, "value", "seventy", "value is not a number"),
        RowError(3, "value", None, "value is missing"),
        RowError(4, "value", "NaN", "value is not a number"),
    ]


def test_value_out_of_the_metrics_range(tmp_path):
    parse = validate(
        tmp_path, long_file("2025-01,fcr_rate,100.5", "2025-01,asa_seconds,-1", "2025-02,asa_seconds,3600")
    )
    assert parse.errors == [
        RowError(2, "value", "100.5", "value out of range: fcr_rate must be between 0 and 100"),
        RowError(3, "value", "-1", "value out of range: asa_seconds must be between 0 and 3600"),
    ]


@pytest.mark.parametrize("period", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", "2025-01-01"])
def test_bad_period(tmp_path, period):
    parse = validate(tmp_path, long_file(f"{period},fcr_rate,70"))
    assert parse.errors == [RowError(2, "period", period, BAD_PERIOD)]


def test_future_period_is_refused_but_the_current_month_is_not(tmp_path):
    parse = validate(tmp_path, long_file("2025-06,fcr_rate,70", "2025-07,fcr_rate,70"))
    assert parse.errors == [RowError(3, "period", "2025-07", "future period: after today (2025-06-15)")]


def test_duplicate_key_names_both_rows(tmp_path):
    parse = validate(tmp_path, long_file("2025-01,fcr_rate,70", "2025-02,fcr_rate,70", "2025-01,fcr_rate,71"))
    assert parse.errors == [
        RowError(
            4, "metric", "fcr_rate", "duplicate key: fcr_rate for period 2025-01 is already given on row 2"
        )
    ]


def channel_rows(period: str, shares: tuple[float, ...]) -> list[str]:
    codes = ("channel_phone_pct", "channel_email_pct", "channel_portal_pct", "channel_chat_pct")
    return [f"{period},{code},{share}" for code, share in zip(codes, shares, strict=True)]


def test_mix_summing_to_99_5_is_accepted(tmp_path):
    parse = validate(tmp_path, long_file(*channel_rows("2025-01", (45, 30, 16.5, 8))))
    assert parse.ok, parse.errors


def test_mix_summing_to_97_is_rejected_with_its_sum_and_rows(tmp_path):
    rows = [
        "2025-01,fcr_rate,70",
        *channel_rows("2025-01", (45, 30, 14, 8)),
        *channel_rows("2025-02", (45, 30, 17, 8)),
    ]
    parse = validate(tmp_path, long_file(*rows))
    assert parse.errors == [
        RowError(
            3, "value", "97.0", "channel mix for period 2025-01 sums to 97.0, not 100 ±1 (rows 3, 4, 5, 6)"
        )
    ]


def test_tier_mix_is_checked_independently_of_the_channel_mix(tmp_path):
    rows = ["2025-01,tier0_pct,10", "2025-01,tier1_pct,50", "2025-01,tier2_pct,30", "2025-01,tier3_pct,5"]
    parse = validate(tmp_path, long_file(*rows))
    assert parse.errors == [
        RowError(2, "value", "95.0", "tier mix for period 2025-01 sums to 95.0, not 100 ±1 (rows 2, 3, 4, 5)")
    ]


def test_empty_file_and_header_only_file(tmp_path):
    assert validate(tmp_path, "").errors == [RowError(None, None, None, "file is empty")]
    header_only = validate(tmp_path, "period,metric,value\n")
    assert header_only.errors == [RowError(None, None, None, "file is empty: no data rows")]
    assert header_only.rows == 0


def test_missing_required_columns(tmp_path):
    parse = validate(tmp_path, "period,metric\n2025-01,fcr_rate\n")
    assert parse.errors == [RowError(1, "value", None, "missing required column")]


def test_first_line_that_is_not_a_header(tmp_path):
    parse = validate(tmp_path, "2025-01,fcr_rate,70\n2025-02,fcr_rate,71\n")
    reason = "first line is not a metrics header: expected period,metric,value or period,<metric code>,..."
    assert parse.errors == [RowError(1, None, "2025-01,fcr_rate,70", reason)]


def test_header_names_are_case_insensitive_and_trimmed(tmp_path):
    assert validate(tmp_path, " Period ;METRIC; Value\n2025-01;fcr_rate;70,5\n").values.rows() == [
        ("2025-01", "fcr_rate", 70.5)
    ]


def test_too_many_errors_keeps_the_first_thousand_and_counts_all(tmp_path):
    parse = validate(tmp_path, long_file(*(f"2025-01,bogus{i},1" for i in range(1_500))))
    assert parse.error_count == 1_500
    assert len(parse.errors) == MAX_ERRORS
    assert parse.errors[0] == RowError(2, "metric", "bogus0", "unknown metric code")
    assert parse.errors[-1].row == MAX_ERRORS + 1
    assert parse.rows == 1_500


def test_latin1_file_is_rejected_as_not_utf8(tmp_path):
    parse = validate(tmp_path, long_file("2025-01,fcr_rate,70", "2025-01,café,15"), encoding="latin-1")
    assert parse.errors == [RowError(3, None, None, "file is not UTF-8 text: save it as CSV UTF-8")]


def test_wide_form_is_melted_and_blank_cells_skipped(tmp_path):
    text = "period,FCR_rate,channel_phone_pct,channel_email_pct\n2025-01,70,60,40\n2025-02,71,,\n"
    parse = validate(tmp_path, text)
    assert parse.ok, parse.errors
    assert parse.values.rows() == [
        ("2025-01", "channel_email_pct", 40.0),
        ("2025-01", "channel_phone_pct", 60.0),
        ("2025-01", "fcr_rate", 70.0),
        ("2025-02", "fcr_rate", 71.0),
    ]


def test_wide_form_errors_name_the_metric_column(tmp_path):
    text = (
        "period,fcr_rate,channel_phone_pct,channel_email_pct\n2025-01,170,60,30\n2025-01,x,,\n2025-13,1,,\n"
    )
    parse = validate(tmp_path, text)
    assert parse.errors == [
        RowError(
            2, "channel_*_pct", "90.0", "channel mix for period 2025-01 sums to 90.0, not 100 ±1 (row 2)"
        ),
        RowError(2, "fcr_rate", "170", "value out of range: fcr_rate must be between 0 and 100"),
        RowError(3, "fcr_rate", "x", "duplicate key: fcr_rate for period 2025-01 is already given on row 2"),
        RowError(3, "fcr_rate", "x", "value is not a number"),
        RowError(4, "period", "2025-13", BAD_PERIOD),
    ]


def test_wide_header_with_unknown_and_computed_codes(tmp_path):
    parse = validate(tmp_path, "period,fcr_rate,nps,bogus\n2025-01,70,30,1\n")
    assert parse.errors == [
        RowError(1, "bogus", "bogus", "unknown metric code"),
        RowError(1, "nps", "nps", COMPUTED_REASON),
    ]


def test_wide_header_without_metric_columns(tmp_path):
    parse = validate(tmp_path, "period\n2025-01\n")
    reason = "missing required columns: metric,value or metric code columns"
    assert parse.errors == [RowError(1, None, None, reason)]


def test_good_xlsx_wide_file(tmp_path):
    workbook = Workbook()
    workbook.active.append(("period", "fcr_rate", "tier0_pct", "tier1_pct", "tier2_pct", "tier3_pct"))
    workbook.active.append(("2025-03", 72.5, 20, 50, 25, 5))
    path = tmp_path / "metrics.xlsx"
    workbook.save(path)
    parse = validate_metrics_file(path, "metrics.xlsx", today=TODAY)
    assert parse.ok, parse.errors
    assert parse.values.height == 5


def test_json_records_are_numbered_from_one():
    records = [
        {"period": "2025-01", "metric": "fcr_rate", "value": 70},
        {"period": "2025-01", "metric": "fcr_rate", "value": "71"},
        {"period": "2025-01", "metric": "nps", "value": 30},
    ]
    parse = validate_metric_records(records, today=TODAY)
    assert parse.errors == [
        RowError(
            2, "metric", "fcr_rate", "duplicate key: fcr_rate for period 2025-01 is already given on row 1"
        ),
        RowError(3, "metric", "nps", COMPUTED_REASON),
    ]


def test_json_records_good():
    parse = validate_metric_records(
        [{"period": "2025-01", "metric": "mttr_hours", "value": 7.5}], today=TODAY
    )
    assert parse.ok
    assert parse.values.rows() == [("2025-01", "mttr_hours", 7.5)]


def test_output_is_the_same_whatever_the_row_order(tmp_path):
    rows = [
        f"2024-{m:02d},{code},{m + 1}"
        for m in range(1, 13)
        for code in ("fcr_rate", "mttr_hours", "reopen_rate")
    ]
    bad = validate(
        tmp_path, long_file(*rows, "2025-13,fcr_rate,1", "2025-01,bogus,x", "2025-01,fcr_rate,500")
    )
    again = validate(
        tmp_path, long_file(*rows, "2025-13,fcr_rate,1", "2025-01,bogus,x", "2025-01,fcr_rate,500")
    )
    assert (bad.errors, bad.error_count) == (again.errors, again.error_count)
    assert [(e.row, e.column) for e in bad.errors] == [
        (38, "period"),
        (39, "metric"),
        (39, "value"),
        (40, "value"),
    ]
    one = validate(tmp_path, long_file(*rows)).values
    random.Random(3).shuffle(rows)
    other = validate(tmp_path, long_file(*rows)).values
    assert one.height == 36
    assert other.equals(one)


def test_progress_reaches_one(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(long_file("2025-01,fcr_rate,70"))
    seen: list[float] = []
    validate_metrics_file(path, "m.csv", today=TODAY, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


@pytest.mark.parametrize("name", sorted(downloads.TEMPLATES))
def test_every_template_is_a_valid_upload(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(downloads.TEMPLATES[name]())
    parse = validate_metrics_file(path, name, today=TODAY)
    assert parse.ok, parse.errors
    assert parse.values.height == 14


def test_a_file_longer_than_any_valid_one_is_refused_before_it_is_read(tmp_path):
    from benchmarks.metrics.validation import MAX_METRIC_ROWS

    path = tmp_path / "huge.csv"
    path.write_text("period,metric,value\n" + "2026-01,fcr_rate,70\n" * (MAX_METRIC_ROWS + 1))
    parse = validate_metrics_file(path, "huge.csv", today=date(2026, 11, 26))
    assert not parse.ok
    [error] = parse.errors
    assert error.row is None
    assert f"file has {MAX_METRIC_ROWS + 1:,} rows" in error.reason
    assert "split it by organisation" in error.reason
