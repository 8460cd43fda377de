"""Who may request, list, download and delete reports; 409 before a PDF exists; the web pages and the CLI."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from benchmarks.reports.models import Report, ReportStatus
from core.db import transaction
from tenants.roles import Role
from tests.conftest import csrf_token

from .conftest import WINDOW, pdf_reader, request_report

REQUEST_ACCESS = [("owner", 202), ("admin", 202), ("analyst", 202), ("viewer", 403), ("other_org_owner", 404)]


def _queued_report(org) -> int:
    """A report that no worker has picked up yet."""
    with transaction(org.id) as session:
        report = Report(org_id=org.id, window_code=WINDOW, cohorts=["industry"], status=ReportStatus.QUEUED)
        session.add(report)
        session.flush()
        return report.id


@pytest.mark.parametrize(("role", "expected"), REQUEST_ACCESS)
def test_request_report_by_role(client, retail, make_org, token_for, role, expected):
    org = retail[3]
    headers = (
        token_for(make_org("Stranger"), Role.OWNER) if role == "other_org_owner" else token_for(org, role)
    )
    # a window without benchmarks: a permitted role gets as far as validation (422) and nothing renders
    response = request_report(client, headers, org, cohorts=["industry"], window="2099-Q1")
    assert response.status_code == (422 if expected == 202 else expected), response.get_data(as_text=True)


def test_request_without_a_token_is_unauthorised(client, retail):
    assert request_report(client, {}, retail[3]).status_code == 401


def test_pdf_is_409_until_ready_and_a_stranger_gets_404(client, retail, make_org, token_for):
    org = retail[3]
    report_id = _queued_report(org)
    viewer = token_for(org, Role.VIEWER)
    status = client.get(f"/api/v1/orgs/{org.slug}/reports/{report_id}", headers=viewer)
    assert status.status_code == 200
    assert (status.get_json()["status"], status.get_json()["progress"]) == ("queued", 0.0)
    pdf = client.get(f"/api/v1/orgs/{org.slug}/reports/{report_id}/pdf", headers=viewer)
    assert pdf.status_code == 409
    assert pdf.get_json()["error"]["code"] == "conflict"
    stranger = token_for(make_org("Stranger"), Role.OWNER)
    assert client.get(f"/api/v1/orgs/{org.slug}/reports/{report_id}", headers=stranger).status_code == 404
    # another organisation's report id under one's own slug is not found either
    other = make_org("Other")
    assert client.get(f"/api/v1/orgs/{other.slug}/reports/{report_id}", headers=stranger).status_code == 404


def test_unknown_window_and_bad_cohorts_are_refused(client, retail, token_for):
    org = retail[3]
    headers = token_for(org, Role.ANALYST)
    assert request_report(client, headers, org, window="2099-Q1").status_code == 422
    assert request_report(client, headers, org, cohorts=["industry,colour"]).status_code == 422
    assert request_report(client, headers, org, cohorts=[]).status_code == 422
    assert request_report(client, headers, org, paper="a3").status_code == 422


def test_viewer_may_not_delete_analyst_may(client, retail, token_for, stored):
    org = retail[3]
    report_id = _queued_report(org)
    url = f"/api/v1/orgs/{org.slug}/reports/{report_id}"
    assert client.delete(url, headers=token_for(org, Role.VIEWER)).status_code == 403
    assert client.delete(url, headers=token_for(org, Role.ANALYST)).status_code == 204
    assert stored(select(Report).where(Report.id == report_id)) == []


def test_web_create_progress_download_regenerate_and_delete(client_as, retail, stored):
    org = retail[4]
    client = client_as(org, Role.ANALYST)
    history = client.get(f"/o/{org.slug}/reports")
    assert history.status_code == 200
    assert "Create report" in history.get_data(as_text=True)
    token = csrf_token(client, f"/o/{org.slug}/reports")
    response = client.post(
        f"/o/{org.slug}/reports",
        data={
            "csrf_token": token,
            "window": WINDOW,
            "cohorts": ["industry", "industry,size"],
            "paper": "letter",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page_url = response.headers["Location"]
    report_id = int(re.search(r"/reports/(\d+)$", page_url).group(1))
    status = client.get(f"{page_url}/status").get_json()
    assert (status["status"], status["progress"], status["final"]) == ("ready", 1.0, True)
    page = client.get(page_url).get_data(as_text=True)
    assert "Download PDF" in page
    download = client.get(f"{page_url}/download")
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    regenerated = client.post(f"{page_url}/regenerate", data={"csrf_token": token})
    assert regenerated.status_code == 302
    assert regenerated.headers["Location"] != page_url
    deleted = client.post(f"{page_url}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert [r.id for r in stored(select(Report).where(Report.org_id == org.id))] == [report_id + 1]


def test_a_queued_report_page_has_a_moving_progress_bar(client_as, retail):
    org = retail[4]
    report_id = _queued_report(org)
    page = client_as(org, Role.VIEWER).get(f"/o/{org.slug}/reports/{report_id}").get_data(as_text=True)
    assert "<progress" in page
    assert "progress.js" in page
    assert "<script>" not in page  # no inline script: the page runs under a strict CSP
    assert "Create report" not in page


def test_viewer_sees_history_without_the_create_form(client_as, retail):
    org = retail[4]
    _queued_report(org)
    page = client_as(org, Role.VIEWER).get(f"/o/{org.slug}/reports").get_data(as_text=True)
    assert "Create report" not in page
    assert "queued" in page


def test_cli_writes_the_pdf_with_a_progress_bar(app, retail, tmp_path, stored):
    org = retail[5]
    target = tmp_path / "board.pdf"
    result = app.test_cli_runner().invoke(
        args=["report", "--org", org.slug, "--window", WINDOW, "--cohort", "industry", "--cohort",
              "industry,size", "--paper", "letter", "-o", str(target)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
    reader = pdf_reader(target)
    assert len(reader.pages) >= 7
    assert [r.status for r in stored(select(Report).where(Report.org_id == org.id))] == [ReportStatus.READY]


def test_cli_refuses_an_unknown_organisation(app):
    result = app.test_cli_runner().invoke(args=["report", "--org", "nope", "--window", WINDOW, "-o", "x.pdf"])
    assert result.exit_code != 0
    assert "No organisation" in result.output
