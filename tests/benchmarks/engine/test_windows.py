from datetime import date

import pytest

from benchmarks.engine.windows import (
    Window,
    WindowKind,
    default_window,
    is_valid_period,
    latest_complete_quarter,
    parse_period,
    quarter_of,
    shift_period,
    windows_for_periods,
)


def test_quarter_code_label_and_months():
    window = Window.parse("2026-Q3")
    assert window == Window.quarter(2026, 3)
    assert window.kind is WindowKind.QUARTER
    assert window.code == "2026-Q3"
    assert str(window) == "2026-Q3"
    assert window.label == "Q3 2026"
    assert window.months == ("2026-07", "2026-08", "2026-09")
    assert (window.first, window.last) == ("2026-07", "2026-09")
    assert window.number == 3


def test_trailing_window_code_label_and_months():
    window = Window.parse("T12M-2026-09")
    assert window.kind is WindowKind.TRAILING_12_MONTHS
    assert window.code == "T12M-2026-09"
    assert window.label == "12 months to Sep 2026"
    # twelve months ending 2026-09: 2025-10 .. 2026-09
    assert window.months == (
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
    )
    assert (window.first, window.last) == ("2025-10", "2026-09")


def test_trailing_window_ending_in_january_starts_in_february_of_the_year_before():
    window = Window.parse("T12M-2026-01")
    assert (window.first, window.last) == ("2025-02", "2026-01")
    assert len(window.months) == 12
    assert window.label == "12 months to Jan 2026"


@pytest.mark.parametrize("code", ["2026-Q1", "2026-Q4", "T12M-2026-12", "T12M-2024-02"])
def test_parse_and_code_round_trip(code):
    assert Window.parse(code).code == code
    assert Window.parse(f"  {code} ").code == code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-Q5", "Q1-Q4"),
        ("2026-Q0", "Q1-Q4"),
        ("T12M-2026-13", "month must be 01-12"),
        ("T12M-2026-00", "month must be 01-12"),
        ("T12M-2026-9", "expected a quarter"),
        ("2026Q3", "expected a quarter"),
        ("Q3 2026", "expected a quarter"),
        ("2026-q3", "expected a quarter"),
        ("", "expected a quarter"),
        ("1899-Q4", "year must be"),
    ],
)
def test_parse_rejects_bad_codes_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        Window.parse(text)


def test_parse_rejects_a_non_string():
    with pytest.raises(ValueError, match="expected a string"):
        Window.parse(None)  # type: ignore[arg-type]


def test_a_quarter_must_end_in_a_quarter_month():
    with pytest.raises(ValueError, match="Mar, Jun, Sep or Dec"):
        Window(WindowKind.QUARTER, 2026, 8)
    with pytest.raises(ValueError, match="quarter must be 1-4"):
        Window.quarter(2026, 5)


def test_contains_and_completeness():
    q3 = Window.parse("2026-Q3")
    assert q3.contains("2026-07")
    assert q3.contains("2026-09")
    assert not q3.contains("2026-06")
    assert not q3.contains("2026-10")
    # complete once its last month is over
    assert not q3.is_complete(date(2026, 9, 30))
    assert q3.is_complete(date(2026, 10, 1))


def test_sort_key_puts_quarter_before_trailing_window_ending_the_same_month():
    windows = [Window.parse(c) for c in ("T12M-2026-06", "2026-Q3", "2026-Q2", "T12M-2026-05")]
    ordered = [w.code for w in sorted(windows, key=lambda w: w.sort_key)]
    assert ordered == ["T12M-2026-05", "2026-Q2", "T12M-2026-06", "2026-Q3"]


@pytest.mark.parametrize(("text", "expected"), [("2026-07", "2026-07"), (" 2026-12 ", "2026-12")])
def test_parse_period_returns_the_canonical_month(text, expected):
    assert parse_period(text) == expected
    assert is_valid_period(text)


@pytest.mark.parametrize(
    "text", ["2026-7", "2026-13", "2026-00", "26-07", "2026/07", "1899-12", "", "2026-07-01"]
)
def test_parse_period_rejects_anything_but_yyyy_mm(text):
    with pytest.raises(ValueError, match="invalid period"):
        parse_period(text)
    assert not is_valid_period(text)


@pytest.mark.parametrize(
    ("period", "months", "expected"),
    [
        ("2026-01", -1, "2025-12"),
        ("2026-12", 1, "2027-01"),
        ("2026-03", -14, "2025-01"),
        ("2026-05", 0, "2026-05"),
    ],
)
def test_shift_period_crosses_years(period, months, expected):
    assert shift_period(period, months) == expected


@pytest.mark.parametrize(
    ("period", "code"),
    [("2026-01", "2026-Q1"), ("2026-03", "2026-Q1"), ("2026-04", "2026-Q2"), ("2026-12", "2026-Q4")],
)
def test_quarter_of(period, code):
    assert quarter_of(period).code == code


def test_windows_for_periods_gives_touched_quarters_and_trailing_windows_at_their_ends():
    # 2025-11 touches Q4 2025 (partial); 2026-01 and 2026-02 touch Q1 2026 (partial)
    windows = windows_for_periods(["2026-02", "2025-11", "2026-01", "2026-02"])
    assert [w.code for w in windows] == ["2025-Q4", "T12M-2025-12", "2026-Q1", "T12M-2026-03"]


def test_windows_for_two_years_of_months_are_eight_quarters_and_eight_trailing_windows():
    periods = [shift_period("2025-01", i) for i in range(24)]
    windows = windows_for_periods(periods)
    assert len(windows) == 16
    assert windows[0].code == "2025-Q1"
    assert windows[-1].code == "T12M-2026-12"


def test_windows_for_no_periods_is_empty():
    assert windows_for_periods([]) == []


@pytest.mark.parametrize(
    ("today", "code"),
    [
        (date(2026, 8, 15), "2026-Q2"),
        (date(2026, 7, 1), "2026-Q2"),
        (date(2026, 6, 30), "2026-Q1"),
        (date(2026, 1, 1), "2025-Q4"),
        (date(2026, 3, 31), "2025-Q4"),
    ],
)
def test_latest_complete_quarter(today, code):
    assert latest_complete_quarter(today).code == code


def test_default_window_is_latest_complete_reported_quarter():
    periods = ["2026-02", "2026-04", "2026-05", "2026-07", "2026-08"]
    # on 20 Aug 2026 Q3 is in progress, so Q2 is the latest complete quarter with data
    assert default_window(periods, date(2026, 8, 20)) == Window.parse("2026-Q2")
    # once Q3 is over it becomes the default
    assert default_window(periods, date(2026, 10, 2)) == Window.parse("2026-Q3")


def test_default_window_falls_back_to_the_quarter_in_progress_then_to_none():
    assert default_window(["2026-07"], date(2026, 8, 20)) == Window.parse("2026-Q3")
    assert default_window([], date(2026, 8, 20)) is None
