"""A consultancy's portfolio: its client organisations x key metrics, each cell a value and its quartile.

Each client is a tenant of its own: the session is scoped to the client (PostgreSQL RLS) while its positions
are read, and back to the consultancy afterwards. Only the consultancy's own clients are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.orm import Session

from benchmarks.dashboard.display import (
    Option,
    default_window,
    format_value,
    level_options,
    ordinal,
    window_options,
)
from benchmarks.engine.cohorts import CohortLevel
from benchmarks.engine.positions import MetricPosition, list_positions, list_windows
from benchmarks.engine.windows import Window
from benchmarks.metrics.catalogue import METRICS_BY_CODE, Metric
from core.db import scope_to_org
from tenants.models import Organisation
from tenants.service import list_clients

KEY_METRICS: tuple[str, ...] = (
    "nps",
    "csat_pct",
    "fcr_rate",
    "cost_per_ticket",
    "sla_resolution_rate",
    "lost_hours_per_ticket",
    "shift_left_rate",
)


class CellState(StrEnum):
    QUARTILE = "quartile"
    SUPPRESSED = "suppressed"  # the client's cohort cell has fewer than 5 organisations
    NO_DATA = "no_data"


@dataclass(frozen=True)
class PortfolioCell:
    state: CellState
    value_text: str
    quartile: int | None
    css_class: str  # q1..q4, suppressed, no-data
    title: str  # the full reading, for a tooltip and screen readers


@dataclass(frozen=True)
class PortfolioRow:
    client: Organisation
    cohort_label: str
    cells: list[PortfolioCell]
    watermelon: bool


@dataclass(frozen=True)
class Portfolio:
    consultancy: Organisation
    window: Window | None
    level: CohortLevel
    metrics: list[Metric]
    rows: list[PortfolioRow]
    window_options: list[Option]
    level_options: list[Option]


def build_portfolio(
    session: Session, consultancy: Organisation, window: Window | None, level: CohortLevel, *, today: date
) -> Portfolio:
    """Every client's key positions for `window` (default: the newest complete quarter) and `level`."""
    windows = list_windows(session)
    window = window or default_window(windows, today)
    metrics = [METRICS_BY_CODE[code] for code in KEY_METRICS]
    rows = []
    if window is not None:
        try:
            for client in list_clients(session, consultancy):
                scope_to_org(session, client.id)  # the client's own rows, as its own tenant
                view = list_positions(session, client, window, level)
                by_code = view.by_code()
                cells = [_cell(by_code[m.code]) for m in metrics]
                rows.append(PortfolioRow(client, view.cohort.label, cells, view.watermelon))
        finally:
            scope_to_org(session, consultancy.id)
    return Portfolio(
        consultancy,
        window,
        level,
        metrics,
        rows,
        window_options(windows, window),
        level_options(None, level),  # each client is compared with its own cell at this level
    )


def _cell(position: MetricPosition) -> PortfolioCell:
    metric, value = position.metric, format_value(position.metric, position.value)
    if position.suppressed:
        return PortfolioCell(
            CellState.SUPPRESSED,
            value,
            None,
            "suppressed",
            f"{metric.name}: cohort suppressed, {position.reason}",
        )
    if position.cohort is None or position.quartile is None or position.rank is None:
        return PortfolioCell(
            CellState.NO_DATA, "\u2013", None, "no-data", f"{metric.name}: no data for this window"
        )
    return PortfolioCell(
        CellState.QUARTILE,
        value,
        position.quartile,
        f"q{position.quartile}",
        f"{metric.name}: {value}, quartile {position.quartile}, {ordinal(position.rank)} percentile",
    )
