"""`peerbench import` and `peerbench recompute` as an operator runs them."""

from __future__ import annotations

from sqlalchemy import select

from benchmarks.engine.models import BenchmarkSnapshot
from benchmarks.metrics.models import MetricValue
from benchmarks.uploads.models import Submission


def test_import_accepts_a_good_file_and_recomputes(app, make_org, tmp_path, stored):
    org = make_org("Acme IT")
    path = tmp_path / "acme.csv"
    path.write_text("period,fcr_rate,cost_per_ticket\n2026-07,70,15\n2026-08,72,14\n")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--org", org.slug])
    assert result.exit_code == 0, result.output
    assert "Accepted submission" in result.output
    assert "4 new values" in result.output
    assert len(stored(select(MetricValue))) == 4
    assert stored(select(BenchmarkSnapshot))  # the recompute ran (cells exist, suppressed: one organisation)


def test_import_of_a_bad_file_lists_problems_and_fails(app, make_org, tmp_path, stored):
    org = make_org("Acme IT")
    path = tmp_path / "bad.csv"
    path.write_text("period,metric,value\n2026-07,fcr_rate,170\n")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--org", org.slug])
    assert result.exit_code == 1
    assert "row 2, column value, value '170'" in result.output
    assert stored(select(MetricValue)) == []
    [submission] = stored(select(Submission))
    assert submission.status == "rejected"


def test_import_names_an_unknown_organisation(app, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("period,metric,value\n2026-07,fcr_rate,70\n")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--org", "nobody"])
    assert result.exit_code != 0
    assert "No organisation with slug 'nobody'" in result.output


def test_recompute_reports_what_it_computed(app, make_org, tmp_path):
    org = make_org("Acme IT")
    path = tmp_path / "acme.csv"
    path.write_text("period,metric,value\n2026-07,fcr_rate,70\n")
    runner = app.test_cli_runner()
    runner.invoke(args=["import", str(path), "--org", org.slug, "--no-recompute"])
    result = runner.invoke(args=["recompute"])
    assert result.exit_code == 0, result.output
    assert "1 organisations" in result.output
