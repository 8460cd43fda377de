"""The Experience page: survey results per month with margins, XLA targets, profile answers and cohorts."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import FloatField, SelectField
from wtforms.validators import InputRequired

from benchmarks.engine.cohorts import LEVELS, CohortLevel, parse_cohort_param
from benchmarks.engine.jobs import recompute
from benchmarks.engine.windows import recent_months
from benchmarks.experience import service
from benchmarks.metrics.catalogue import METRICS_BY_CODE, PROFILE_QUESTIONS
from core import jobs
from core.clock import utcnow
from core.db import db
from core.errors import PeerbenchError
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import PERMISSIONS, Permission

bp = Blueprint("experience", __name__, template_folder="templates")


class XlaForm(FlaskForm):
    metric = SelectField("Metric", choices=[(m, METRICS_BY_CODE[m].name) for m in service.XLA_METRICS])
    target = FloatField("Target", validators=[InputRequired()])


class ProfileForm(FlaskForm):
    """One select per profile question (fields added per question below)."""


for _question in PROFILE_QUESTIONS:
    setattr(
        ProfileForm,
        _question.code,
        SelectField(
            _question.text,
            choices=[("", "— not answered —")] + [(o, o.replace("_", " ")) for o in _question.options],
        ),
    )


@bp.route("/o/<slug>/experience", methods=["GET"])
@requires(Permission.VIEW)
def experience(org: Organisation) -> str:
    months = recent_months(utcnow().date(), 12)
    level = _level()
    answers = service.list_profile_answers(db.session, org)
    targets = service.list_xla_targets(db.session, org)
    status = service.xla_status(targets, service.own_period_values(db.session, org, months), months)
    profile_form = ProfileForm(data={q: a.answer for q, a in answers.items()})
    return render_template(
        "experience/experience.html",
        org=org,
        periods=service.experience_by_period(db.session, org, months),
        targets=targets,
        status=status,
        months=months,
        xla_form=XlaForm(),
        profile_form=profile_form,
        questions=PROFILE_QUESTIONS,
        cohorts=service.profile_cohorts(db.session, org, level),
        level=level,
        levels=LEVELS,
        metrics=METRICS_BY_CODE,
        can_edit=Permission.UPLOAD in PERMISSIONS[g.role],
    )


def _level() -> CohortLevel:
    try:
        return parse_cohort_param(request.args.get("cohort", "industry"))
    except ValueError:
        return parse_cohort_param("industry")


@bp.post("/o/<slug>/experience/targets")
@requires(Permission.UPLOAD)
def set_target(org: Organisation) -> Response:
    form = XlaForm()
    if form.validate_on_submit():
        try:
            service.set_xla_target(
                db.session, org, current_user, form.metric.data, form.target.data, now=utcnow()
            )
            flash("Target saved.", "success")
        except PeerbenchError as error:
            db.session.rollback()
            flash(error.message, "error")
    else:
        flash("Give a metric and a number.", "error")
    return redirect(url_for("experience.experience", slug=org.slug) + "#xla")


@bp.post("/o/<slug>/experience/targets/<metric>/delete")
@requires(Permission.UPLOAD)
def delete_target(org: Organisation, metric: str) -> Response:
    if FlaskForm().validate_on_submit():
        service.delete_xla_target(db.session, org, metric)
        flash("Target removed.", "success")
    return redirect(url_for("experience.experience", slug=org.slug) + "#xla")


@bp.post("/o/<slug>/experience/profile")
@requires(Permission.UPLOAD)
def set_profile(org: Organisation) -> Response:
    form = ProfileForm()
    if form.validate_on_submit():
        for question in PROFILE_QUESTIONS:
            answer = getattr(form, question.code).data
            if answer:
                service.set_profile_answer(db.session, org, current_user, question.code, answer, now=utcnow())
        jobs.enqueue(db.session(), recompute, once_key="recompute")
        flash("Profile saved. Cohort distributions update with the next benchmark run.", "success")
    return redirect(url_for("experience.experience", slug=org.slug) + "#profile")
