"""A small retail population with metrics and survey answers in 2026-Q3, benchmarked, and report helpers."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from benchmarks.engine.recompute import recompute_benchmarks
from benchmarks.metrics.models import MetricValue
from benchmarks.surveys.models import SurveyCount
from core.db import transaction
from tenants.dimensions import Industry
from tenants.models import Organisation, OrgKind

NOW = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW = "2026-Q3"
MONTHS = ("2026-07", "2026-08", "2026-09")
# seven retail organisations; asa_seconds is reported by three only, so its cell is suppressed
FCR = (61.5, 66.25, 70.0, 72.5, 75.75, 80.0, 84.5)
COST = (12.4, 14.9, 16.2, 18.75, 21.3, 24.0, 29.9)
SLA = (91.0, 86.5, 88.0, 93.5, 95.25, 97.0, 90.0)
CHANNELS = (45.0, 30.0, 8.0, 15.0, 2.0, 0.0)
ASA = {0: 41.0, 1: 777.0, 2: 888.0}  # the other two are never to be seen in the first organisation's PDF
NPS_ANSWERS = ({"10": 20, "9": 8, "8": 6, "5": 6}, {"10": 10, "9": 10, "7": 10, "3": 10})


def _load(org: Organisation, i: int) -> None:
    with transaction(org.id) as session:
        for month_index, period in enumerate(MONTHS):
            drift = month_index * 0.5
            values = {
                "fcr_rate": FCR[i] + drift,
                "cost_per_ticket": COST[i] - drift,
                "sla_resolution_rate": SLA[i],
                **{
                    code: share
                    for code, share in zip(
                        ("channel_phone_pct", "channel_email_pct", "channel_chat_pct", "channel_portal_pct",
                         "channel_walkup_pct", "channel_other_pct"),
                        CHANNELS,
                        strict=True,
                    )
                },
            }  # fmt: skip
            if i in ASA:
                values["asa_seconds"] = ASA[i]
            for metric, value in values.items():
                session.add(MetricValue(org_id=org.id, period=period, metric=metric, value=value))
        for answer, count in NPS_ANSWERS[i % 2].items():
            session.add(
                SurveyCount(org_id=org.id, period="2026-08", question="nps", answer=answer, count=count)
            )


@pytest.fixture
def consultancy(make_org):
    org = make_org("Acme Advisory Group", kind=OrgKind.CONSULTANCY, industry=Industry.PROFESSIONAL_SERVICES)
    with transaction(org.id) as session:
        stored = session.get(Organisation, org.id)
        stored.display_name, stored.primary_colour = "Acme Advisory", "#aa3300"
    return org


@pytest.fixture
def retail(app, make_org, consultancy):
    """Seven retail organisations; the last is a client of the consultancy."""
    orgs = [make_org(f"Retail {i}", industry=Industry.RETAIL) for i in range(6)]
    orgs.append(make_org("Client Retail", industry=Industry.RETAIL, managed_by=consultancy))
    for i, org in enumerate(orgs):
        _load(org, i)
    with app.app_context():
        recompute_benchmarks(now=NOW)
    return orgs


def request_report(client, headers, org, **body):
    payload = {"window": WINDOW, "cohorts": ["industry"], **body}
    return client.post(f"/api/v1/orgs/{org.slug}/reports", json=payload, headers=headers)


def fetch_pdf(client, headers, org, report_id, tmp_path: Path) -> Path:
    status = client.get(f"/api/v1/orgs/{org.slug}/reports/{report_id}", headers=headers).get_json()
    assert status["status"] == "ready", status
    response = client.get(f"/api/v1/orgs/{org.slug}/reports/{report_id}/pdf", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    path = tmp_path / f"report-{report_id}.pdf"
    path.write_bytes(response.data)
    return path


def pdf_text(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """The PDF's text as pdftotext lays it out (one table row per line)."""
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    result = subprocess.run(
        ["pdftotext", "-layout", *pages, str(path), "-"], check=True, capture_output=True, text=True
    )
    return result.stdout


def pdf_reader(path: Path) -> PdfReader:
    return PdfReader(path)
