"""Benchmark pages through the test client: uploads, submissions, dashboard, portfolio, definitions."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from benchmarks.engine.recompute import recompute_benchmarks
from benchmarks.engine.windows import latest_complete_quarter
from benchmarks.metrics.downloads import TEMPLATES
from benchmarks.metrics.models import MetricValue
from benchmarks.surveys.models import SurveyCount
from benchmarks.uploads import ingest
from benchmarks.uploads.models import Submission, SubmissionKind, SubmissionStatus
from core.clock import utcnow
from core.db import transaction
from tenants.dimensions import Industry, SizeBand
from tenants.models import OrgKind
from tests.conftest import csrf_token

QUARTER = latest_complete_quarter(utcnow().date())
MONTHS = QUARTER.months
GOOD_CSV = (
    "period,metric,value\n"
    + "".join(f"{m},fcr_rate,{70 + i}\n{m},cost_per_ticket,{16 + i}\n" for i, m in enumerate(MONTHS))
).encode()
BAD_CSV = f"period,metric,value\n{MONTHS[0]},fcr_rate,140\n{MONTHS[0]},no_such_metric,3\n".encode()


def _metrics_csv(values: dict[str, float]) -> bytes:
    rows = "".join(f"{month},{code},{value}\n" for month in MONTHS for code, value in values.items())
    return ("period,metric,value\n" + rows).encode()


def _ingest(app, org, body: bytes, filename: str = "m.csv") -> None:
    """Store an accepted metrics file for `org` through the ingest operations (no web request)."""
    settings = app.extensions["peerbench.settings"]
    with transaction(org.id) as session:
        submission = ingest.receive_submission(
            session, org, None, SubmissionKind.METRICS, io.BytesIO(body), filename,
            storage_root=settings.storage_path, max_bytes=settings.max_upload_bytes, now=utcnow(),
        )  # fmt: skip
        submission_id = submission.id
    status = ingest.process_submission(
        org.id, submission_id, storage_root=settings.storage_path, today=utcnow().date(), now=utcnow
    )
    assert status is SubmissionStatus.ACCEPTED


def _add_nps(org, promoters: int, detractors: int, passives: int = 10) -> None:
    """NPS answers for every month of the quarter (survey uploads have their own tests; these are counts)."""
    with transaction(org.id) as session:
        for month in MONTHS:
            for answer, count in (("10", promoters), ("3", detractors), ("8", passives)):
                session.add(
                    SurveyCount(org_id=org.id, period=month, question="nps", answer=answer, count=count)
                )


def _post_file(client, slug: str, body: bytes, filename: str = "m.csv", kind: str = "metrics", **kwargs):
    token = csrf_token(client, f"/o/{slug}/upload")
    data = {"file": (io.BytesIO(body), filename), "kind": kind, "csrf_token": token}
    return client.post(f"/o/{slug}/upload", data=data, content_type="multipart/form-data", **kwargs)


def _row(page: str, code: str) -> str:
    match = re.search(rf'<tr class="metric-row [a-z_]+" data-metric="{code}">.*?</tr>', page, re.S)
    assert match, f"no row for {code}"
    return match.group(0)


def _section(page: str, key: str) -> str:
    start = page.index(f'id="area-{key}"')
    return page[start : page.index("</section>", start)]


@pytest.fixture
def peers(app, make_org):
    """Six retail organisations with a quarter of values; only four report the abandon rate (suppressed)."""
    names = ["Acme Retail", "Zephyr Stores", "Quokka Mart", "Umbra Shops", "Vireo Outlet", "Wren Market"]
    orgs = [make_org(name, industry=Industry.RETAIL) for name in names]
    for i, org in enumerate(orgs):
        values = {
            "fcr_rate": 60 + 4 * i,
            "cost_per_ticket": 30 - 3 * i,
            "sla_resolution_rate": 80 + 3 * i,
            "channel_phone_pct": 40 + i,
            "channel_email_pct": 30,
            "channel_portal_pct": 20 - i,
            "channel_chat_pct": 8,
            "channel_walkup_pct": 2,
        }
        if i < 4:
            values["abandon_rate"] = 5 + i
        _ingest(app, org, _metrics_csv(values))
    recompute_benchmarks(now=utcnow())
    return orgs


# -- uploads through the web form ---------------------------------------------------------------------------


def test_upload_through_the_form_is_accepted_and_stored(client_as, make_org, stored):
    org = make_org("Acme IT")
    client = client_as(org, "analyst")
    response = _post_file(client, org.slug, GOOD_CSV)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(rf"/o/{org.slug}/submissions/\d+", location)

    page = client.get(location).get_data(as_text=True)
    assert "accepted" in page
    assert re.search(r'data-testid="rows">6<', page)
    assert re.search(r'data-testid="added">6<', page)
    assert f"{MONTHS[0]} \u2013 {MONTHS[-1]}" in page
    values = stored(select(MetricValue).where(MetricValue.org_id == org.id))
    assert sorted((v.period, v.metric, v.value) for v in values) == sorted(
        [(m, "fcr_rate", 70.0 + i) for i, m in enumerate(MONTHS)]
        + [(m, "cost_per_ticket", 16.0 + i) for i, m in enumerate(MONTHS)]
    )
    (submission,) = stored(select(Submission).where(Submission.org_id == org.id))
    assert submission.created_by_id == client.user.id


def test_rejected_upload_lists_row_column_value_and_reason(client_as, make_org, stored):
    org = make_org()
    client = client_as(org, "analyst")
    location = _post_file(client, org.slug, BAD_CSV, "bad.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "rejected" in page
    table = page[page.index('<table class="errors">') :]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)]
    assert cells[:3] == ["2", "value", "140"]
    assert "range" in cells[3] or "100" in cells[3]
    assert "no_such_metric" in cells
    assert stored(select(MetricValue).where(MetricValue.org_id == org.id)) == []


def test_status_json_reports_the_outcome(client_as, make_org):
    org = make_org()
    client = client_as(org, "analyst")
    location = _post_file(client, org.slug, GOOD_CSV).headers["Location"]
    body = client.get(location + ".json").get_json()
    assert body["status"] == "accepted"
    assert body["final"] is True
    assert body["progress"] == 1.0
    assert (body["rows_total"], body["values_added"], body["values_replaced"]) == (6, 6, 0)
    assert (body["first_period"], body["last_period"]) == (MONTHS[0], MONTHS[-1])


def test_status_json_of_another_organisation_is_not_found(client_as, make_org):
    org, other = make_org(), make_org()
    location = _post_file(client_as(org, "analyst"), org.slug, GOOD_CSV).headers["Location"]
    submission_id = location.rsplit("/", 1)[1]
    stranger = client_as(other, "owner")
    assert stranger.get(f"/o/{org.slug}/submissions/{submission_id}.json").status_code == 404
    assert stranger.get(f"/o/{other.slug}/submissions/{submission_id}.json").status_code == 404


def test_script_upload_gets_json_with_the_submission_page(client_as, make_org):
    org = make_org()
    client = client_as(org, "analyst")
    response = _post_file(client, org.slug, GOOD_CSV, headers={"Accept": "application/json"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["url"] == f"/o/{org.slug}/submissions/{body['id']}"


def test_csrf_token_in_the_header_is_accepted(client_as, make_org):
    org = make_org()
    client = client_as(org, "analyst")
    token = csrf_token(client, f"/o/{org.slug}/upload")
    response = client.post(
        f"/o/{org.slug}/upload",
        data={"file": (io.BytesIO(GOOD_CSV), "m.csv"), "kind": "metrics"},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 202


def test_upload_without_csrf_token_is_refused(client_as, make_org, stored):
    org = make_org()
    client = client_as(org, "analyst")
    data = {"file": (io.BytesIO(GOOD_CSV), "m.csv"), "kind": "metrics"}
    response = client.post(f"/o/{org.slug}/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored(select(Submission)) == []


def test_empty_file_is_refused_with_a_message(client_as, make_org, stored):
    org = make_org()
    client = client_as(org, "analyst")
    response = _post_file(client, org.slug, b"", follow_redirects=True)
    assert response.status_code == 200
    assert "The file is empty." in response.get_data(as_text=True)
    assert stored(select(Submission)) == []


def test_missing_file_is_refused_with_a_message(client_as, make_org):
    org = make_org()
    client = client_as(org, "analyst")
    token = csrf_token(client, f"/o/{org.slug}/upload")
    response = client.post(
        f"/o/{org.slug}/upload", data={"kind": "metrics", "csrf_token": token}, follow_redirects=True
    )
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_too_large_file_gets_a_clear_413(app, client_as, make_org, stored):
    org = make_org()
    client = client_as(org, "analyst")
    token = csrf_token(client, f"/o/{org.slug}/upload")
    app.config["MAX_CONTENT_LENGTH"] = 4096
    data = {"file": (io.BytesIO(b"x" * 20_000), "big.csv"), "kind": "metrics", "csrf_token": token}
    page = client.post(f"/o/{org.slug}/upload", data=data, content_type="multipart/form-data")
    assert page.status_code == 413
    assert "larger than the upload limit" in page.get_data(as_text=True)
    data = {"file": (io.BytesIO(b"x" * 20_000), "big.csv"), "kind": "metrics", "csrf_token": token}
    response = client.post(
        f"/o/{org.slug}/upload",
        data=data,
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert stored(select(Submission)) == []


@pytest.mark.parametrize(("role", "expected"), [("owner", 200), ("analyst", 200), ("viewer", 403)])
def test_upload_page_by_role(client_as, make_org, role, expected):
    org = make_org()
    assert client_as(org, role).get(f"/o/{org.slug}/upload").status_code == expected


def test_viewer_cannot_upload(client_as, make_org, stored):
    org = make_org()
    client = client_as(org, "viewer")
    page = client.get(f"/o/{org.slug}/submissions").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"file": (io.BytesIO(GOOD_CSV), "m.csv"), "kind": "metrics", "csrf_token": token}
    response = client.post(f"/o/{org.slug}/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 403
    assert stored(select(Submission)) == []
    assert f"/o/{org.slug}/upload" not in client.get(f"/o/{org.slug}/dashboard").get_data(as_text=True)


def test_pages_need_a_sign_in(client, make_org):
    org = make_org()
    for path in ("dashboard", "upload", "submissions", "submissions/1", "submissions/1.json", "portfolio"):
        response = client.get(f"/o/{org.slug}/{path}")
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login")


def test_submission_history_lists_uploads_newest_first(client_as, make_org):
    org = make_org()
    client = client_as(org, "analyst")
    _post_file(client, org.slug, GOOD_CSV, "first.csv")
    _post_file(client, org.slug, BAD_CSV, "second.csv")
    page = client.get(f"/o/{org.slug}/submissions").get_data(as_text=True)
    assert page.index("second.csv") < page.index("first.csv")
    assert client.user.email in page
    assert "rejected" in page
    assert "accepted" in page


# -- templates and definitions (public) ---------------------------------------------------------------------


@pytest.mark.parametrize("filename", sorted(TEMPLATES))
def test_downloaded_template_is_a_valid_upload(client, client_as, make_org, filename):
    response = client.get(f"/templates/{filename}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    expected = {"csv": "text/csv", "json": "application/json", "xlsx": "application/vnd.openxmlformats"}
    assert response.content_type.startswith(expected[filename.rsplit(".", 1)[1]])
    org = make_org()
    uploader = client_as(org, "analyst")
    location = _post_file(uploader, org.slug, response.data, filename).headers["Location"]
    assert uploader.get(location + ".json").get_json()["status"] == "accepted"


def test_unknown_template_is_not_found(client):
    assert client.get("/templates/passwords.txt").status_code == 404


def test_definitions_are_public(client):
    response = client.get("/definitions")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("fcr_rate", "First contact resolution", "lower is better", "channel_phone_pct", "user_view"):
        assert text in page
    assert "fewer than 5 organisations" in page


# -- dashboard ----------------------------------------------------------------------------------------------


def test_dashboard_without_benchmarks_explains_what_to_do(client_as, make_org):
    org = make_org()
    page = client_as(org, "owner").get(f"/o/{org.slug}/dashboard").get_data(as_text=True)
    assert "No benchmarks yet" in page
    assert f"/o/{org.slug}/upload" in page


def test_org_home_opens_the_dashboard(client_as, make_org):
    org = make_org()
    response = client_as(org, "viewer").get(f"/o/{org.slug}/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/o/{org.slug}/dashboard"


def test_dashboard_shows_positions_after_uploads_and_a_recompute(client_as, peers):
    org = peers[-1]  # best FCR and cost of the six
    page = client_as(org, "viewer").get(f"/o/{org.slug}/dashboard").get_data(as_text=True)
    assert QUARTER.label in page
    assert "Benchmarks as of" in page
    fcr = _row(page, "fcr_rate")
    assert "80.0%" in fcr  # its own value
    assert "<svg" in fcr
    assert "Top quartile" in fcr  # the badge
    assert "100th" in fcr
    assert "better than the median" in fcr
    assert "of 6 organisations" in fcr
    cost = _row(page, "cost_per_ticket")
    assert "$15.00" in cost
    assert "better than the median" in cost
    assert "Cohort median" in _section(page, "channel_mix")  # the mix bars: You vs the cohort median
    for area in ("Experience", "Operations", "Channel mix", "Tier mix"):
        assert area in page


def test_dashboard_suppresses_a_cell_of_four_without_any_figure(client_as, peers):
    org = peers[0]  # reported the abandon rate, like three others: a cell of four
    page = client_as(org, "viewer").get(f"/o/{org.slug}/dashboard").get_data(as_text=True)
    row = _row(page, "abandon_rate")
    assert "Suppressed: fewer than 5 organisations" in row
    cohort_part = row.split('class="spark"')[0]
    assert "<svg" not in cohort_part
    for figure in (
        "6.5",
        "6.0%",
        "7.0%",
        "8.0%",
        "median",
        "organisations</small>",
        'class="rank"',
        'class="gap',
    ):
        assert figure not in cohort_part
    assert " 4 " not in cohort_part


def test_dashboard_shows_no_data_with_an_upload_link(client_as, peers):
    org = peers[-1]  # did not report the abandon rate; nobody reported ASA
    page = client_as(org, "analyst").get(f"/o/{org.slug}/dashboard").get_data(as_text=True)
    for code in ("asa_seconds", "abandon_rate"):
        row = _row(page, code)
        assert "no data for this window" in row or "Suppressed" in row
    asa = _row(page, "asa_seconds")
    assert "no data for this window" in asa
    assert f"/o/{org.slug}/upload" in asa


def test_dashboard_never_names_another_organisation(client_as, peers):
    org = peers[2]
    client = client_as(org, "owner")
    for cohort in ("all", "industry", "industry,size,region"):
        page = client.get(f"/o/{org.slug}/dashboard?cohort={cohort}").get_data(as_text=True)
        assert org.name in page
        for other in peers:
            if other.id != org.id:
                assert other.name not in page
                assert other.slug not in page


def test_dashboard_window_and_cohort_are_chosen_by_query(client_as, peers):
    org = peers[1]
    client = client_as(org, "viewer")
    page = client.get(f"/o/{org.slug}/dashboard?window=T12M-{QUARTER.last}&cohort=all").get_data(as_text=True)
    assert f'value="T12M-{QUARTER.last}" selected' in page
    assert 'value="all" selected' in page
    assert "All organisations" in page
    assert client.get(f"/o/{org.slug}/dashboard?window=nonsense").status_code == 422
    assert client.get(f"/o/{org.slug}/dashboard?cohort=colour").status_code == 422


def test_dashboard_shows_the_watermelon_banner(app, client_as, make_org):
    orgs = [make_org(industry=Industry.HEALTHCARE) for _ in range(6)]
    for i, org in enumerate(orgs):
        _ingest(app, org, _metrics_csv({"sla_resolution_rate": 70 + 5 * i}))
        _add_nps(org, promoters=30 - 4 * i, detractors=5 + 4 * i)  # best SLA, worst NPS: the last one
    recompute_benchmarks(now=utcnow())
    melon, fine = orgs[-1], orgs[0]
    assert "Watermelon warning" in client_as(melon, "viewer").get(f"/o/{melon.slug}/dashboard").get_data(
        as_text=True
    )
    assert "Watermelon warning" not in client_as(fine, "viewer").get(f"/o/{fine.slug}/dashboard").get_data(
        as_text=True
    )


# -- portfolio ---------------------------------------------------------------------------------------------


def test_portfolio_shows_each_clients_quartiles(app, client_as, make_org):
    consultancy = make_org("Helix Advisory", kind=OrgKind.CONSULTANCY)
    clients = [make_org(f"Client {c}", managed_by=consultancy, size=SizeBand.L) for c in "AB"]
    others = [make_org(size=SizeBand.L) for _ in range(4)]
    for i, org in enumerate([*clients, *others]):
        _ingest(app, org, _metrics_csv({"fcr_rate": 90 - 5 * i, "cost_per_ticket": 10 + i}))
    recompute_benchmarks(now=utcnow())
    page = client_as(consultancy, "viewer").get(f"/o/{consultancy.slug}/portfolio").get_data(as_text=True)
    assert "Client A" in page
    assert "Client B" in page
    for other in others:
        assert other.name not in page
    assert re.search(r'class="num cell q4"[^>]*>\s*90\.0%', page)
    assert re.search(r'class="num cell q4"[^>]*>\s*\$10\.00', page)
    assert 'class="num cell no-data"' in page  # nobody sent NPS
    # the same-industry-and-size-and-region cell holds the six: published; a level with one client is not
    page = (
        client_as(consultancy, "viewer")
        .get(f"/o/{consultancy.slug}/portfolio?cohort=industry,size,region")
        .get_data(as_text=True)
    )
    assert "cell q4" in page


def test_portfolio_is_for_consultancies(client_as, make_org):
    org = make_org()
    client = client_as(org, "owner")
    response = client.get(f"/o/{org.slug}/portfolio")
    assert response.status_code == 302
    assert "Portfolio" not in client.get(f"/o/{org.slug}/dashboard").get_data(as_text=True)


def test_portfolio_marks_suppressed_cells(app, client_as, make_org):
    consultancy = make_org(kind=OrgKind.CONSULTANCY)
    client_org = make_org("Client Solo", managed_by=consultancy, industry=Industry.EDUCATION)
    for org in (client_org, *(make_org(industry=Industry.EDUCATION) for _ in range(2))):
        _ingest(app, org, _metrics_csv({"fcr_rate": 71}))
    recompute_benchmarks(now=utcnow())
    page = client_as(consultancy, "viewer").get(f"/o/{consultancy.slug}/portfolio").get_data(as_text=True)
    assert "Client Solo" in page
    assert 'class="num cell suppressed"' in page
    assert "cohort suppressed: fewer than 5 organisations" in page
