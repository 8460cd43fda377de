"""Pages: "where you sit" (the dashboard and its CSV), a consultancy's portfolio, the metric definitions and
the upload templates. Thin."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from benchmarks.dashboard.display import DEFAULT_LEVEL
from benchmarks.dashboard.portfolio import build_portfolio
from benchmarks.dashboard.rows import build_dashboard
from benchmarks.engine import positions
from benchmarks.engine.cohorts import CohortLevel, parse_cohort_param
from benchmarks.engine.statistics import MIN_COHORT, SUPPRESSED_REASON
from benchmarks.engine.windows import Window
from benchmarks.metrics.catalogue import AREAS, METRICS, QUESTIONS, direction_text
from benchmarks.metrics.downloads import TEMPLATE_LABELS, TEMPLATES
from core.clock import utcnow
from core.db import db
from core.errors import InvalidInput, NotFound
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission, can

bp = Blueprint("dashboard", __name__, template_folder="templates")


def _choice(args: MultiDict[str, str]) -> tuple[Window | None, CohortLevel]:
    """The `?window=&cohort=` of a page; absent: the default window and the same-industry cohort."""
    window_text, cohort_text = args.get("window", "").strip(), args.get("cohort", "").strip()
    try:
        window = Window.parse(window_text) if window_text else None
        level = DEFAULT_LEVEL
        if cohort_text:
            level = (CohortLevel.parse if "+" in cohort_text else parse_cohort_param)(cohort_text)
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    return window, level


@bp.get("/o/<slug>/dashboard")
@requires(Permission.VIEW)
def dashboard(org: Organisation) -> str:
    window, level = _choice(request.args)
    page = build_dashboard(db.session, org, window, level, today=utcnow().date())
    return render_template(
        "dashboard/dashboard.html", org=org, page=page, can_upload=can(g.role, Permission.UPLOAD)
    )


@bp.get("/o/<slug>/dashboard.csv")
@requires(Permission.VIEW)
def dashboard_csv(org: Organisation) -> Response:
    window, level = _choice(request.args)
    if window is None:
        raise InvalidInput("Give the window to export, e.g. ?window=2026-Q3&cohort=industry.")
    view = positions.list_positions(db.session, org, window, level)
    filename = f"peerbench-{org.slug}-{window.code}-{level.code}.csv".replace("+", "-")
    return Response(
        positions.positions_csv(view),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/o/<slug>/portfolio")
@requires(Permission.VIEW)
def portfolio(org: Organisation) -> str | Response:
    if not org.is_consultancy:
        flash("The portfolio belongs to consultancies: it shows their client organisations.", "error")
        return redirect(url_for("dashboard.dashboard", slug=org.slug))
    window, level = _choice(request.args)
    page = build_portfolio(db.session, org, window, level, today=utcnow().date())
    return render_template("dashboard/portfolio.html", org=org, page=page, min_cohort=MIN_COHORT)


# -- uploads and submissions -------------------------------------------------------------------------------


# -- public: definitions and templates ---------------------------------------------------------------------


# -- public: definitions and templates ---------------------------------------------------------------------


_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
}


def _definitions_page(org: Organisation | None) -> str:
    return render_template(
        "dashboard/definitions.html",
        org=org,
        areas=[(title, [m for m in METRICS if m.area == key]) for key, title, _intro in AREAS],
        questions=QUESTIONS,
        direction_text=direction_text,
        templates=TEMPLATE_LABELS,
        min_cohort=MIN_COHORT,
        suppressed_reason=SUPPRESSED_REASON,
    )


@bp.get("/definitions")
def definitions() -> str:
    return _definitions_page(None)


@bp.get("/o/<slug>/definitions")
@requires(Permission.VIEW)
def org_definitions(org: Organisation) -> str:
    return _definitions_page(org)


@bp.get("/templates/<filename>")
def template_file(filename: str) -> Response:
    make = TEMPLATES.get(filename)
    if make is None:
        raise NotFound("No such template.")
    suffix = filename[filename.rfind(".") :]
    response = Response(make(), mimetype=_CONTENT_TYPES[suffix])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
