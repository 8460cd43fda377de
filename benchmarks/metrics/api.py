"""HTTP API v1, catalogue: the metrics and standard survey questions."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from benchmarks.metrics.catalogue import METRICS, QUESTIONS
from benchmarks.metrics.schemas import CatalogueSchema

blp = Blueprint("metrics_api", __name__, url_prefix="/api/v1", description="The metric catalogue")


@blp.route("/metrics")
class Catalogue(MethodView):
    @blp.response(200, CatalogueSchema)
    def get(self) -> dict[str, Any]:
        """The metric catalogue and the standard survey questions."""
        return {"metrics": METRICS, "questions": QUESTIONS}
