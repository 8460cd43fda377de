"""Poll results: shares and Wilson margins (hand-computed), scale summaries, suppressed cross-tabs, pages."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from benchmarks.polls import service
from benchmarks.polls.models import Poll
from benchmarks.polls.results import poll_results
from core.clock import utcnow
from core.db import transaction
from tenants.roles import Role
from tests.benchmarks.polls.conftest import custom, field_of, library


def add_responses(poll: Poll, answers: Sequence[dict[int, str | list[str]]]) -> None:
    """Responses through the operation the public page calls; keys are question indexes."""
    with transaction(poll.org_id) as session:
        stored_poll = session.get(Poll, poll.id)
        for answer in answers:
            form = {field_of(poll, i): v if isinstance(v, list) else [v] for i, v in answer.items()}
            service.submit_response(session, stored_poll, form, now=utcnow())


def results_of(poll: Poll, by: str | None = None):
    with transaction(poll.org_id) as session:
        return poll_results(session, session.get(Poll, poll.id), by=by)


def test_single_choice_shares_and_wilson_margins(make_poll):
    poll = make_poll(library("user_view"))
    add_responses(poll, [{0: "end_users"}] * 6 + [{0: "internal_customers"}] * 3 + [{0: "business_users"}])
    (question,) = results_of(poll).questions
    assert question.n == 10
    # Wilson 95%, half-width: 6/10 -> 25.96; 3/10 -> 24.77; 1/10 -> 19.31; 0/10 -> 13.88 (by hand, DESIGN 5)
    got = [(r.code, r.count, r.pct, r.margin) for r in question.rows]
    expected = [
        ("end_users", 6, 60.0, 25.9576),
        ("internal_customers", 3, 30.0, 24.7719),
        ("business_users", 1, 10.0, 19.3140),
        ("other", 0, 0.0, 13.8770),
    ]
    for (code, count, pct, margin), want in zip(got, expected, strict=True):
        assert (code, count) == want[:2]
        assert pct == pytest.approx(want[2])
        assert margin == pytest.approx(want[3], abs=1e-3)


def test_multiple_choice_shares_are_of_respondents(make_poll):
    poll = make_poll(custom("Which channels do you offer?", "multiple", ["Chat", "Portal", "Phone"]))
    add_responses(poll, [{0: ["1", "2"]}, {0: ["1"]}, {0: ["1", "2", "3"]}, {0: ["3"]}])
    (question,) = results_of(poll).questions
    assert question.n == 4
    rows = {r.label: (r.count, r.pct, r.margin) for r in question.rows}
    assert rows["Chat"][:2] == (3, 75.0)
    assert rows["Chat"][2] == pytest.approx(32.6889, abs=1e-3)
    assert rows["Portal"][:2] == (2, 50.0)
    assert rows["Portal"][2] == pytest.approx(34.9964, abs=1e-3)
    assert rows["Phone"][:2] == (2, 50.0)


def test_library_scales_get_nps_csat_and_ces(make_poll):
    poll = make_poll(library("nps"), library("csat"), library("ces"))
    scores = [("10", "5", "7"), ("9", "4", "6"), ("8", "3", "5"), ("6", "1", "4"), ("0", "4", "3")]
    add_responses(poll, [{0: n, 1: c, 2: e} for n, c, e in scores])
    nps, csat, ces = (q.summary for q in results_of(poll).questions)
    # promoters 2, detractors 2 of 5: NPS 0, margin 1.96 * sqrt((0.4 + 0.4 - 0) / 5) * 100 = 78.4
    assert (nps.score, nps.promoters, nps.detractors) == (0.0, 2, 2)
    assert nps.margin == pytest.approx(78.4)
    assert csat.pct == pytest.approx(60.0)  # 5, 4, 4 of 5 answers are 4 or 5
    assert ces.mean == pytest.approx(5.0)  # (7 + 6 + 5 + 4 + 3) / 5


def test_free_text_is_listed_alphabetically_not_in_arrival_order(make_poll):
    poll = make_poll(library("user_view"), custom("Anything else?", "text", required=False))
    add_responses(poll, [{0: "other", 1: "zebra"}, {0: "other", 1: "Apple"}, {0: "other"}])
    _, text = results_of(poll).questions
    assert (text.n, text.texts, text.rows) == (2, ("Apple", "zebra"), ())


def test_crosstab_suppresses_groups_and_cells_under_five(make_poll):
    poll = make_poll(library("user_view"), profile=("region",))
    add_responses(
        poll,
        [{0: "end_users", 1: "emea"}] * 6
        + [{0: "other", 1: "emea"}] * 2
        + [{0: "end_users", 1: "apac"}] * 3
        + [{0: "end_users", 1: "na"}]
        + [{0: "business_users"}],  # no region: in the totals, in no group
    )
    results = results_of(poll, by="region")
    (table,) = results.crosstabs
    groups = {g.code: g.n for g in table.groups}
    assert groups == {"na": None, "emea": 8, "apac": None}  # under 5: no n at all
    emea = [g.code for g in table.groups].index("emea")
    column = {label: cells[emea] for label, cells in table.rows}
    assert (column["End users"].count, column["End users"].pct) == (6, 75.0)
    assert column["Other"].suppressed  # 2 respondents
    # with one count hidden the other could be solved from n = 8, so a second cell is hidden as well
    assert sum(cell.suppressed for cell in column.values()) == 2
    for label, cells in table.rows:
        assert cells[[g.code for g in table.groups].index("apac")].suppressed, label


def test_results_page_shows_percentages_chart_and_crosstab(make_poll, client_as, lab):
    poll = make_poll(library("user_view"), profile=("region",))
    add_responses(poll, [{0: "end_users", 1: "emea"}] * 5 + [{0: "other", 1: "apac"}])
    client = client_as(lab, Role.VIEWER)
    html = client.get(f"/o/{lab.slug}/polls/{poll.id}/results?by=region").get_data(as_text=True)
    assert "83.3%" in html
    assert "16.7%" in html
    assert "<svg" in html
    assert "&lt;5" in html
    assert 'data-testid="crosstab"' in html


def test_results_of_another_organisations_poll_are_not_found(make_poll, make_org, client_as):
    poll = make_poll()
    stranger = make_org("Elsewhere")
    client = client_as(stranger, Role.OWNER)
    assert client.get(f"/o/{stranger.slug}/polls/{poll.id}/results").status_code == 404
