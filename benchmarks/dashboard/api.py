"""HTTP API v1, benchmarks: where an organisation sits (positions) and one cohort cell's statistics. Thin."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from benchmarks.dashboard.schemas import (
    BenchmarkCellSchema,
    BenchmarkQuerySchema,
    PositionQuerySchema,
    PositionsSchema,
)
from benchmarks.engine import positions
from benchmarks.engine.statistics import SUPPRESSED_REASON
from core.db import db
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission

blp = Blueprint(
    "benchmarks_api", __name__, url_prefix="/api/v1", description="Positions and cohort benchmarks"
)


@blp.route("/orgs/<slug>/positions")
class Positions(MethodView):
    @requires(Permission.VIEW)
    @blp.arguments(PositionQuerySchema, location="query")
    @blp.response(200, PositionsSchema)
    def get(self, query: dict[str, Any], org: Organisation) -> positions.PositionsView:
        """Every metric: the organisation's value, percentile rank, quartile and the cohort's figures."""
        return positions.list_positions(db.session, org, query["window"], query["cohort"])


@blp.route("/benchmarks")
class Benchmarks(MethodView):
    @blp.arguments(BenchmarkQuerySchema, location="query")
    @blp.response(200, BenchmarkCellSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """One cohort cell's statistics (suppressed under 5 organisations: no figure at all)."""
        cell = positions.find_cell(db.session, query["metric"], query["window"], query["cohort"])
        shown = cell is not None and not cell.suppressed
        return {
            "metric": query["metric"],
            "window": query["window"].code,
            "cohort_key": query["cohort"].code,
            "cohort_label": query["cohort"].label,
            "suppressed": not shown,
            "reason": None if shown else SUPPRESSED_REASON,
            "figures": positions.cohort_figures(cell) if shown else None,
        }
