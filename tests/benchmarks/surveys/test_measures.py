import math

import pytest

from benchmarks.metrics.catalogue import QUESTIONS_BY_CODE
from benchmarks.surveys.measures import (
    MIN_SURVEY_RESPONSES,
    answer_shares,
    ces,
    csat,
    nps,
    wilson_interval,
)


def test_nps_counts_promoters_passives_detractors_and_margin():
    # 100 answers: promoters 40 + 10 = 50, passives 20 + 10 = 30, detractors 10 + 10 = 20
    result = nps({"10": 40, "9": 10, "8": 20, "7": 10, "6": 10, "3": 10})
    assert (result.n, result.promoters, result.passives, result.detractors) == (100, 50, 30, 20)
    # NPS = 50% - 20% = 30
    assert result.score == 30.0
    assert (result.promoters_pct, result.passives_pct, result.detractors_pct) == (50.0, 30.0, 20.0)
    # margin = 1.96 * sqrt((0.5 + 0.2 - (0.5 - 0.2)^2) / 100) * 100 = 1.96 * sqrt(0.0061) * 100 = 15.3081
    assert result.margin == pytest.approx(15.30809, abs=1e-5)


def test_nps_accepts_int_keys_and_can_be_negative():
    # 3 promoters, 1 passive, 6 detractors of 10: 30% - 60% = -30
    result = nps({10: 3, 7: 1, 0: 6})
    assert result.score == -30.0
    # 1.96 * sqrt((0.3 + 0.6 - 0.09) / 10) * 100 = 1.96 * 0.284605 * 100 = 55.7826
    assert result.margin == pytest.approx(55.78258, abs=1e-5)


def test_nps_of_only_promoters_has_no_margin():
    # p_pro = 1, p_det = 0: 1 + 0 - 1 = 0
    result = nps({"9": 31})
    assert (result.score, result.margin) == (100.0, 0.0)


def test_csat_share_of_four_and_five_with_wilson_interval():
    # 50 answers, 30 + 10 = 40 are 4 or 5: CSAT 80%
    result = csat({"5": 30, "4": 10, "3": 5, "2": 3, "1": 2})
    assert (result.n, result.satisfied, result.pct) == (50, 40, 80.0)
    # Wilson, p = 0.8, n = 50, z^2 = 3.8416: denominator 1 + 0.076832 = 1.076832
    # centre (0.8 + 0.038416) / 1.076832 = 0.778595
    # half 1.96 / 1.076832 * sqrt(0.0032 + 0.00038416) = 0.108969
    assert result.interval.low == pytest.approx(66.96263, abs=1e-4)
    assert result.interval.high == pytest.approx(88.75637, abs=1e-4)
    assert result.margin == pytest.approx(80.0 - 66.96263, abs=1e-4)


def test_ces_mean_sd_and_margin():
    # answers 7, 7, 6, 4, 1: mean 25 / 5 = 5; squared deviations 4 + 4 + 1 + 1 + 16 = 26
    result = ces({"7": 2, "6": 1, "4": 1, "1": 1})
    assert result.mean == 5.0
    # sample sd = sqrt(26 / 4) = 2.549510; margin = 1.96 * 2.549510 / sqrt(5) = 2.234744
    assert result.sd == pytest.approx(math.sqrt(6.5))
    assert result.margin == pytest.approx(2.234744, abs=1e-6)


def test_ces_of_one_answer_has_no_spread():
    result = ces({"6": 1})
    assert (result.mean, result.sd, result.margin) == (6.0, None, None)


def test_wilson_interval_known_values():
    # 0 of 10: low 0, high = 0.38416 / 1.38416 = 0.277540
    zero = wilson_interval(0, 10)
    assert zero.low == 0.0
    assert zero.high == pytest.approx(0.277540, abs=1e-6)
    # 10 of 10 mirrors it
    full = wilson_interval(10, 10)
    assert full.high == 1.0
    assert full.low == pytest.approx(1 - 0.277540, abs=1e-6)
    # 60 of 100: 0.502001 .. 0.690600
    middle = wilson_interval(60, 100)
    assert (middle.low, middle.high) == (pytest.approx(0.502001, abs=1e-6), pytest.approx(0.690600, abs=1e-6))


def test_wilson_interval_wider_z_is_wider():
    narrow, wide = wilson_interval(30, 100, z=1.0), wilson_interval(30, 100, z=2.576)
    assert wide.low < narrow.low < 0.3 < narrow.high < wide.high


@pytest.mark.parametrize(("successes", "n"), [(1, 0), (-1, 10), (11, 10)])
def test_wilson_interval_rejects_impossible_counts(successes, n):
    with pytest.raises(ValueError, match=r"wilson interval needs|successes must be"):
        wilson_interval(successes, n)


@pytest.mark.parametrize(
    ("measure", "counts", "message"),
    [
        (nps, {"11": 1}, "not one of 0-10"),
        (nps, {"-1": 1}, "not one of 0-10"),
        (nps, {"nine": 1}, "not a whole number"),
        (csat, {"0": 3}, "not one of 1-5"),
        (ces, {"8": 3}, "not one of 1-7"),
        (nps, {"9": -1}, "whole number >= 0"),
        (nps, {"9": 1.5}, "whole number >= 0"),
        (csat, {"5": True}, "whole number >= 0"),
        (nps, {}, "no answers"),
        (csat, {"5": 0}, "no answers"),
    ],
)
def test_survey_measures_reject_bad_counts(measure, counts, message):
    with pytest.raises(ValueError, match=message):
        measure(counts)


def test_fewer_than_thirty_answers_are_indicative_and_not_for_cohorts():
    assert MIN_SURVEY_RESPONSES == 30
    small, enough = csat({"5": 29}), csat({"5": 30})
    assert (small.is_indicative, small.is_cohort_eligible) == (True, False)
    assert (enough.is_indicative, enough.is_cohort_eligible) == (False, True)
    assert nps({"0": 29}).is_indicative
    assert not ces({"4": 30}).is_indicative


def test_poll_shares_follow_the_options_with_wilson_margins():
    options = QUESTIONS_BY_CODE["user_view"].options
    result = answer_shares({"end_users": 60, "internal_customers": 25, "business_users": 15}, options)
    assert result.n == 100
    assert [(s.answer, s.count, s.pct) for s in result.shares] == [
        ("end_users", 60, 60.0),
        ("internal_customers", 25, 25.0),
        ("business_users", 15, 15.0),
        ("other", 0, 0.0),
    ]
    end_users, other = result.shares[0], result.shares[3]
    # 60 of 100: 50.2001% .. 69.0600%, margin (69.0600 - 50.2001) / 2 = 9.4300
    assert end_users.margin == pytest.approx(9.42997, abs=1e-4)
    # 0 of 100: 0 .. 3.8416 / 103.8416 = 3.6995%
    assert (other.interval.low, other.interval.high) == (0.0, pytest.approx(3.69948, abs=1e-4))
    assert result.is_indicative is False


def test_multiple_choice_shares_use_respondents():
    result = answer_shares({"a": 30, "b": 20}, ["a", "b"], respondents=40)
    assert [s.pct for s in result.shares] == [75.0, 50.0]
    with pytest.raises(ValueError, match="exceeds the 10 respondents"):
        answer_shares({"a": 30}, ["a"], respondents=10)


def test_poll_without_answers_has_no_percentages():
    result = answer_shares({}, ["yes", "no"])
    assert result.n == 0
    assert [(s.pct, s.interval, s.margin) for s in result.shares] == [(None, None, None), (None, None, None)]


def test_poll_rejects_unknown_answers():
    with pytest.raises(ValueError, match="unknown answers: 'maybe'"):
        answer_shares({"maybe": 1}, ["yes", "no"])
