"""How benchmark figures read on pages: formatted values and gaps, and the window and cohort choices.

Pure functions over catalogue metrics, windows and levels; pages (dashboard, portfolio) share them so a
figure reads the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from benchmarks.engine.cohorts import LEVELS, CohortLevel, cohort_key_for
from benchmarks.engine.windows import Window, WindowKind
from benchmarks.metrics.catalogue import Direction, Metric
from tenants.models import Organisation

MINUS = "\u2212"
DEFAULT_LEVEL = LEVELS[1]  # same industry: the comparison most leaders ask for first


def _signed(text: str, negative: bool) -> str:
    return (MINUS if negative else "+") + text


def format_value(metric: Metric, value: float | None) -> str:
    """A value in the metric's unit: 72.5%, $16.20, 45 s, 3.1 h, 1.23, +41 (NPS), 5.4 (CES)."""
    if value is None:
        return "\u2013"
    unit = metric.unit
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "USD":
        return f"${value:,.2f}"
    if unit == "s":
        return f"{value:,.0f} s"
    if unit == "h":
        return f"{value:,.1f} h"
    if unit == "score":
        return _signed(f"{abs(value):.0f}", value < 0) if metric.maximum > 10 else f"{value:.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def format_gap(metric: Metric, gap: float) -> str:
    """A signed difference in the metric's unit: +3.2 pts, \u22121.20 USD, +12 s, +5 points."""
    magnitude, negative = abs(gap), gap < 0
    unit = metric.unit
    if unit == "%":
        text = f"{magnitude:.1f} pts"
    elif unit == "USD":
        text = f"${magnitude:,.2f}"
    elif unit == "s":
        text = f"{magnitude:,.0f} s"
    elif unit == "h":
        text = f"{magnitude:,.1f} h"
    elif unit == "score":
        text = f"{magnitude:.0f} points" if metric.maximum > 10 else f"{magnitude:.2f}"
    else:
        text = f"{magnitude:,.0f}" if metric.maximum > 1000 else f"{magnitude:.2f}"  # survey responses
    return _signed(text, negative)


def reading_text(metric: Metric, gap: float) -> str:
    """'3.2 pts better than the median', 'above' / 'below' for descriptive metrics."""
    size = format_gap(metric, gap)[1:]
    if gap == 0 or not any(c in "123456789" for c in size):
        return "at the median"  # equal, or closer than the figure's precision
    if metric.direction is Direction.DESCRIPTIVE:
        return f"{size} {'above' if gap > 0 else 'below'} the median"
    better = (gap > 0) == (metric.direction is Direction.HIGHER_IS_BETTER)
    return f"{size} {'better' if better else 'worse'} than the median"


def ordinal(rank: float) -> str:
    """72.4 -> '72nd'."""
    n = round(rank)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# -- window and cohort choices -------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool
    group: str = ""


def default_window(windows: list[Window], today: date) -> Window | None:
    """The newest complete quarter with benchmarks; else the newest quarter; else the newest window."""
    quarters = [w for w in windows if w.kind is WindowKind.QUARTER]
    complete = [w for w in quarters if w.is_complete(today)]
    for candidates in (complete, quarters, windows):
        if candidates:
            return max(candidates, key=lambda w: w.sort_key)
    return None


def window_options(windows: list[Window], chosen: Window | None) -> list[Option]:
    """Quarters first, then trailing twelve months, newest first in each group."""
    ordered = sorted(windows, key=lambda w: (w.kind is not WindowKind.QUARTER, [-x for x in w.sort_key[:2]]))
    if chosen is not None and chosen not in ordered:
        ordered.insert(0, chosen)
    return [
        Option(
            w.code,
            w.label,
            w == chosen,
            "Quarters" if w.kind is WindowKind.QUARTER else "Trailing 12 months",
        )
        for w in ordered
    ]


def level_options(org: Organisation | None, chosen: CohortLevel) -> list[Option]:
    """The eight cohort levels, with the organisation's own cell named ('Same industry: Retail') if given."""
    options = []
    for level in LEVELS:
        label = level.label
        if org is not None and level.dimensions:
            label += ": " + cohort_key_for(level, org.industry, org.size_band, org.region).label
        options.append(Option(level.param, label, level == chosen))
    return options
