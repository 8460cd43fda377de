"""The rendered PDF: pages, metadata, contents, figures equal to the positions API, suppression, brand."""

from __future__ import annotations

import re

from benchmarks.dashboard.display import format_value, ordinal
from benchmarks.metrics.catalogue import METRICS_BY_CODE, Direction
from tenants.roles import Role
from tests.tenants.test_branding import tiny_png

from .conftest import fetch_pdf, pdf_reader, pdf_text, request_report

A4 = (595, 842)  # points
LETTER = (612, 792)


def _positions(client, headers, org, cohort: str) -> dict:
    response = client.get(
        f"/api/v1/orgs/{org.slug}/positions?window=2026-Q3&cohort={cohort}", headers=headers
    )
    assert response.status_code == 200
    return response.get_json()


def _row_name(code: str) -> str:
    """The name a figures row starts with: a mix share by its short name ("Phone"), else the metric's name."""
    name = METRICS_BY_CODE[code].name
    return name.removeprefix("Channel: ").replace("Resolved at tier", "Tier")


def _rows(text: str, name: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if re.match(rf"\s*{re.escape(name)}\s{{2,}}", line)]


def test_report_figures_equal_the_positions_api(client, retail, token_for, tmp_path):
    org = retail[0]
    headers = token_for(org, Role.ANALYST)
    response = request_report(client, headers, org, cohorts=["industry", "all"])
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= {"id", "status", "progress"}
    path = fetch_pdf(client, headers, org, body["id"], tmp_path)
    text = pdf_text(path)
    checked = 0
    for cohort in ("industry", "all"):
        api = _positions(client, headers, org, cohort)
        for p in api["positions"]:
            if p["cohort"] is None or p["value"] is None:
                continue
            metric = METRICS_BY_CODE[p["metric"]]
            figures = p["cohort"]
            expected = [
                format_value(metric, p["value"]),
                ordinal(p["percentile_rank"]),
                format_value(metric, figures["p25"]),
                format_value(metric, figures["median"]),
                format_value(metric, figures["p75"]),
                str(figures["n"]),
            ]
            if metric.direction is not Direction.DESCRIPTIVE:
                expected.append(f"Q{p['quartile']}")
            rows = _rows(text, _row_name(p["metric"]))
            assert any(all(f" {e}" in f" {row} " for e in expected) for row in rows), (
                p["metric"],
                expected,
                rows,
            )
            checked += 1
    assert checked >= 20  # fcr, cost, sla and six channel shares, in two cohorts, and NPS


def test_suppressed_cells_are_explained_and_never_shown(client, retail, token_for, tmp_path):
    org = retail[0]
    headers = token_for(org, Role.OWNER)
    api = {p["metric"]: p for p in _positions(client, headers, org, "industry")["positions"]}
    assert api["asa_seconds"]["suppressed"]
    report = request_report(client, headers, org).get_json()
    text = pdf_text(fetch_pdf(client, headers, org, report["id"], tmp_path))
    rows = [row for row in _rows(text, "Average speed to answer") if "41 s" in row]  # figures table
    assert rows, _rows(text, "Average speed to answer")
    assert all("Suppressed: fewer than 5 organisations" in row for row in rows)
    glance = [row for row in _rows(text, "Average speed to answer") if "Operations" in row]
    assert glance == ["Average speed to answer    Operations    suppressed"] or "suppressed" in glance[0]
    for peer_value in ("777", "888"):  # the two peers' values, from which a suppressed cell is made
        assert peer_value not in text
    methodology = text[text.rindex("What was left out") :]
    assert "Average speed to answer" in methodology


def test_pdf_has_pages_metadata_and_linked_contents(client, retail, token_for, tmp_path):
    org = retail[1]
    headers = token_for(org, Role.OWNER)
    report = request_report(client, headers, org, paper="a4").get_json()
    path = fetch_pdf(client, headers, org, report["id"], tmp_path)
    reader = pdf_reader(path)
    status = client.get(f"/api/v1/orgs/{org.slug}/reports/{report['id']}", headers=headers).get_json()
    assert len(reader.pages) == status["pages"] >= 7
    meta = reader.metadata
    assert meta.title == f"{org.name}: service desk benchmark, Q3 2026"
    assert meta.author == "Peerbench"
    assert "Same industry" in meta.subject
    contents = pdf_text(path, first=1, last=1)  # the cover lists the contents
    for entry in ("Contents", "Executive summary", "Experience", "Operations", "Channel mix", "Tier mix",
                  "Success indicators", "Methodology"):  # fmt: skip
        assert entry in contents
    links = [
        a.get_object() for a in reader.pages[0].get("/Annots", []) if a.get_object()["/Subtype"] == "/Link"
    ]
    assert len(links) >= 7  # every contents entry links to its section
    assert re.search(r"how to read this report\s*\.*\s*\d+", contents)  # page number: target-counter
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged PDF
    assert tuple(round(float(x)) for x in reader.pages[0].mediabox[2:]) == A4


def test_letter_paper_gives_us_letter_pages(client, retail, token_for, tmp_path):
    org = retail[2]
    headers = token_for(org, Role.OWNER)
    report = request_report(client, headers, org, paper="letter").get_json()
    reader = pdf_reader(fetch_pdf(client, headers, org, report["id"], tmp_path))
    assert {tuple(round(float(x)) for x in page.mediabox[2:]) for page in reader.pages} == {LETTER}


def test_client_report_carries_the_consultancys_brand(client, retail, consultancy, token_for, tmp_path):
    upload = client.put(
        f"/api/v1/orgs/{consultancy.slug}/branding/logo",
        data=tiny_png(40, 10),
        headers={**token_for(consultancy, Role.OWNER), "Content-Type": "image/png"},
    )
    assert upload.status_code == 204
    org = retail[-1]  # managed by the consultancy
    headers = token_for(org, Role.OWNER)
    report = request_report(client, headers, org).get_json()
    path = fetch_pdf(client, headers, org, report["id"], tmp_path)
    cover = pdf_text(path, first=1, last=1)
    assert "Acme Advisory" in cover
    assert "Peerbench" not in pdf_text(path)
    reader = pdf_reader(path)
    assert reader.metadata.author == "Acme Advisory"
    assert reader.pages[0].images, "the logo is on the cover"
    listed = client.get(f"/api/v1/orgs/{org.slug}/reports/{report['id']}", headers=headers).get_json()
    assert listed["brand_name"] == "Acme Advisory"
