"""CSV and XLSX exports: the figures, and formula-like text neutralised with a leading apostrophe."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from benchmarks.polls.exports import neutralise
from tenants.roles import Role
from tests.benchmarks.polls.conftest import custom, library
from tests.benchmarks.polls.test_results import add_responses

NASTY = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "plain text"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("ok", "ok"),
        (-5, -5),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def exported_poll(make_poll):
    poll = make_poll(library("user_view"), custom("Comments?", "text", required=False), title="=Title")
    add_responses(poll, [{0: "end_users", 1: text} for text in NASTY])
    return poll


def test_csv_export_has_figures_and_neutralised_text(exported_poll, client_as, lab):
    response = client_as(lab, Role.VIEWER).get(f"/o/{lab.slug}/polls/{exported_poll.id}/results.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["section", "question", "answer", "n", "count", "percent", "margin_of_error"]
    end_users = next(r for r in rows if r[0] == "answer" and r[2] == "End users")
    assert end_users[3:6] == ["5", "5", "100.0"]
    texts = sorted(r[2] for r in rows if r[0] == "text")
    assert texts == sorted(
        ['\'=HYPERLINK("http://evil.example","x")', "'+1+1", "'-2+3", "'@SUM(A1)", "plain text"]
    )
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_xlsx_export_holds_no_formula(exported_poll, client_as, lab):
    response = client_as(lab, Role.VIEWER).get(f"/o/{lab.slug}/polls/{exported_poll.id}/results.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()))["Results"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    strings = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'=Title" in strings
    assert "'@SUM(A1)" in strings
    assert "'-2+3" in strings
    assert not any(s.startswith(("=", "+", "-", "@")) for s in strings)
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    end_users = next(v for v in values if v[0] == "answer" and v[2] == "End users")
    assert end_users[3:6] == [5, 5, 100.0]
