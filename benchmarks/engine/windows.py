"""Benchmark windows (calendar quarters and trailing twelve months) and monthly periods (DESIGN.md 7).

A period is a month written `YYYY-MM`. A window is a set of consecutive periods:

- a calendar quarter, code `2026-Q3` (2026-07, 2026-08, 2026-09), label "Q3 2026";
- the trailing twelve months, code `T12M-2026-09` (2025-10 .. 2026-09), label "12 months to Sep 2026".

Both kinds are identified by their last month, so they sort chronologically by `Window.sort_key`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MIN_YEAR = 1900
MAX_YEAR = 9999

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q(\d)$")
_T12M_RE = re.compile(r"^T12M-(\d{4})-(\d{2})$")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class WindowKind(StrEnum):
    QUARTER = "quarter"
    TRAILING_12_MONTHS = "t12m"


def _split_period(text: str) -> tuple[int, int]:
    match = _PERIOD_RE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"invalid period {text!r}: expected a month as YYYY-MM, e.g. 2026-07")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError(f"invalid period {text!r}: month must be 01-12")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"invalid period {text!r}: year must be {MIN_YEAR}-{MAX_YEAR}")
    return year, month


def _period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_period(text: str) -> str:
    """The canonical `YYYY-MM` form of a month (surrounding whitespace ignored); ValueError otherwise."""
    return _period(*_split_period(text))


def is_valid_period(text: str) -> bool:
    """True when `parse_period` would accept the text."""
    try:
        _split_period(text)
    except ValueError:
        return False
    return True


def shift_period(period: str, months: int) -> str:
    """The month `months` after (negative: before) the given one."""
    year, month = _split_period(period)
    index = year * 12 + (month - 1) + months
    return _period(index // 12, index % 12 + 1)


def period_of(day: date) -> str:
    """The `YYYY-MM` month a date falls in."""
    return _period(day.year, day.month)


def recent_months(today: date, count: int) -> list[str]:
    """The `count` months ending with `today`'s month, newest first."""
    last = period_of(today)
    return [shift_period(last, -i) for i in range(count)]


def quarter_of(period: str) -> Window:
    """The calendar quarter containing the month."""
    year, month = _split_period(period)
    return Window.quarter(year, (month - 1) // 3 + 1)


@dataclass(frozen=True, slots=True)
class Window:
    """A benchmark window, identified by its kind and its last month (`year`, `month`)."""

    kind: WindowKind
    year: int
    month: int  # the window's last month: 3, 6, 9 or 12 for a quarter

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", WindowKind(self.kind))
        if not MIN_YEAR <= self.year <= MAX_YEAR or not 1 <= self.month <= 12:
            raise ValueError(f"invalid window end {self.year}-{self.month}")
        if self.kind is WindowKind.QUARTER and self.month % 3:
            raise ValueError(f"a quarter ends in Mar, Jun, Sep or Dec, not month {self.month}")
        if self.kind is WindowKind.TRAILING_12_MONTHS and self.year * 12 + self.month - 12 < MIN_YEAR * 12:
            raise ValueError(f"a trailing 12 months window cannot start before {MIN_YEAR}")

    @classmethod
    def quarter(cls, year: int, number: int) -> Window:
        """Calendar quarter `number` (1-4) of `year`."""
        if not 1 <= number <= 4:
            raise ValueError(f"quarter must be 1-4, not {number}")
        return cls(WindowKind.QUARTER, year, number * 3)

    @classmethod
    def trailing_12_months(cls, last: str) -> Window:
        """The twelve months ending with (and including) the month `last`."""
        year, month = _split_period(last)
        return cls(WindowKind.TRAILING_12_MONTHS, year, month)

    @classmethod
    def parse(cls, text: str) -> Window:
        """The window for a code such as `2026-Q3` or `T12M-2026-09`; ValueError with the accepted forms."""
        if not isinstance(text, str):
            raise ValueError(f"invalid window {text!r}: expected a string such as 2026-Q3 or T12M-2026-09")
        code = text.strip()
        if match := _QUARTER_RE.match(code):
            year, number = int(match[1]), int(match[2])
            if not 1 <= number <= 4:
                raise ValueError(f"invalid window {text!r}: quarter must be Q1-Q4")
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise ValueError(f"invalid window {text!r}: year must be {MIN_YEAR}-{MAX_YEAR}")
            return cls.quarter(year, number)
        if match := _T12M_RE.match(code):
            try:
                return cls.trailing_12_months(f"{match[1]}-{match[2]}")
            except ValueError as error:
                raise ValueError(f"invalid window {text!r}: {error}") from None
        raise ValueError(
            f"invalid window {text!r}: expected a quarter (2026-Q3) or trailing 12 months (T12M-2026-09)"
        )

    @property
    def number(self) -> int:
        """The quarter number 1-4 (quarters only)."""
        if self.kind is not WindowKind.QUARTER:
            raise ValueError(f"{self.code} is not a quarter")
        return self.month // 3

    @property
    def code(self) -> str:
        if self.kind is WindowKind.QUARTER:
            return f"{self.year:04d}-Q{self.month // 3}"
        return f"T12M-{self.last}"

    @property
    def label(self) -> str:
        if self.kind is WindowKind.QUARTER:
            return f"Q{self.month // 3} {self.year}"
        return f"12 months to {_MONTH_ABBR[self.month - 1]} {self.year}"

    @property
    def length(self) -> int:
        """Number of months in the window."""
        return 3 if self.kind is WindowKind.QUARTER else 12

    @property
    def last(self) -> str:
        return _period(self.year, self.month)

    @property
    def first(self) -> str:
        return shift_period(self.last, 1 - self.length)

    @property
    def months(self) -> tuple[str, ...]:
        """The window's months, oldest first."""
        return tuple(shift_period(self.first, i) for i in range(self.length))

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Chronological by last month; a quarter before the trailing window ending with it."""
        return (self.year, self.month, self.kind.value)

    def contains(self, period: str) -> bool:
        """True when the month lies inside the window."""
        return self.first <= parse_period(period) <= self.last

    def is_complete(self, today: date) -> bool:
        """True when the window's last month is over on `today` (the month has ended)."""
        return self.last < period_of(today)

    def __str__(self) -> str:
        return self.code


def windows_for_periods(periods: Iterable[str]) -> list[Window]:
    """Every quarter holding a reported month, and the trailing 12 months ending with each such quarter.

    Partial quarters are included: an organisation contributes to a window when it reported at least one of
    its months. Trailing windows end only at quarter ends, so 24 months of data give 8 quarters and 8 trailing
    windows rather than 35. Sorted chronologically (`Window.sort_key`), without duplicates.
    """
    quarters = {quarter_of(period) for period in periods}
    windows = quarters | {Window.trailing_12_months(q.last) for q in quarters}
    return sorted(windows, key=lambda window: window.sort_key)


def latest_complete_quarter(today: date) -> Window:
    """The most recent calendar quarter that has ended on `today` (the one before today's quarter)."""
    current = quarter_of(period_of(today))
    return quarter_of(shift_period(current.first, -1))


def default_window(periods: Iterable[str], today: date) -> Window | None:
    """The window a dashboard opens on: the latest complete quarter holding a reported month.

    Falls back to the latest quarter in progress when no reported quarter is complete yet, and to None when
    nothing was reported.
    """
    quarters = sorted({quarter_of(period) for period in periods}, key=lambda window: window.sort_key)
    if not quarters:
        return None
    complete = [quarter for quarter in quarters if quarter.is_complete(today)]
    return complete[-1] if complete else quarters[-1]
