"""Survey measures from answer counts: NPS, CSAT, CES and poll shares, with 95% margins (DESIGN.md 5).

Inputs are answer counts (`{"9": 12, "10": 30, ...}`; keys may be strings or ints), as stored in
SurveyCounts; nothing here sees a respondent. Percentages are 0-100 and margins are in the same unit as the
figure they qualify (NPS points, percentage points, CES scale points).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_SURVEY_RESPONSES = 30  # below: "too few responses" for cohorts, "indicative" in displays
TOO_FEW_RESPONSES = "too few responses"
Z_95 = 1.96

Counts = Mapping[str, int] | Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed interval, low <= high."""

    low: float
    high: float


class _Sampled:
    __slots__ = ()
    n: int

    @property
    def is_indicative(self) -> bool:
        """Fewer than 30 answers: shown with an "indicative" flag."""
        return self.n < MIN_SURVEY_RESPONSES

    @property
    def is_cohort_eligible(self) -> bool:
        """At least 30 answers: the measure may enter a cohort."""
        return self.n >= MIN_SURVEY_RESPONSES


def _scale_counts(counts: Counts, low: int, high: int, name: str) -> dict[int, int]:
    """Counts per integer answer, validated to lie within low..high and to be whole and non-negative."""
    result: dict[int, int] = {}
    for answer, count in counts.items():
        try:
            score = int(answer)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: answer {answer!r} is not a whole number") from None
        if str(answer).strip().lstrip("+") != str(score) or not low <= score <= high:
            raise ValueError(f"{name}: answer {answer!r} is not one of {low}-{high}")
        _check_count(name, answer, count)
        result[score] = result.get(score, 0) + count
    if sum(result.values()) == 0:
        raise ValueError(f"{name}: no answers")
    return result


def _check_count(name: str, answer: object, count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"{name}: count for {answer!r} must be a whole number >= 0, not {count!r}")


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Interval:
    """Wilson score interval for a proportion (0-1), always within [0, 1]."""
    if n <= 0:
        raise ValueError("wilson interval needs n >= 1")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be within 0..{n}, not {successes}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # the ends are exact when every or no answer succeeds (the formula only reaches them up to rounding)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


@dataclass(frozen=True, slots=True)
class NpsResult(_Sampled):
    """NPS on -100..100; `margin` in NPS points at 95%."""

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float
    margin: float

    @property
    def promoters_pct(self) -> float:
        return 100.0 * self.promoters / self.n

    @property
    def detractors_pct(self) -> float:
        return 100.0 * self.detractors / self.n

    @property
    def passives_pct(self) -> float:
        return 100.0 * self.passives / self.n


def nps(counts: Counts, z: float = Z_95) -> NpsResult:
    """NPS = % promoters (9-10) - % detractors (0-6); margin = z * sqrt((pp + pd - (pp - pd)^2) / n) * 100."""
    scores = _scale_counts(counts, 0, 10, "nps")
    n = sum(scores.values())
    promoters = sum(c for s, c in scores.items() if s >= 9)
    detractors = sum(c for s, c in scores.items() if s <= 6)
    p_pro, p_det = promoters / n, detractors / n
    variance = max(0.0, p_pro + p_det - (p_pro - p_det) ** 2)  # max: rounding must not go below zero
    return NpsResult(
        n=n,
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        score=100.0 * (promoters - detractors) / n,
        margin=z * math.sqrt(variance / n) * 100.0,
    )


@dataclass(frozen=True, slots=True)
class CsatResult(_Sampled):
    """CSAT % (answers 4 or 5 of 1-5) with its Wilson 95% interval in percent."""

    n: int
    satisfied: int
    pct: float
    interval: Interval

    @property
    def margin(self) -> float:
        """The larger distance from `pct` to an end of the (asymmetric) interval."""
        return max(self.pct - self.interval.low, self.interval.high - self.pct)


def csat(counts: Counts, z: float = Z_95) -> CsatResult:
    """CSAT = 100 x answers 4 or 5 / all answers on the 1-5 scale."""
    scores = _scale_counts(counts, 1, 5, "csat")
    n = sum(scores.values())
    satisfied = sum(c for s, c in scores.items() if s >= 4)
    interval = wilson_interval(satisfied, n, z)
    return CsatResult(
        n=n,
        satisfied=satisfied,
        pct=100.0 * satisfied / n,
        interval=Interval(100.0 * interval.low, 100.0 * interval.high),
    )


@dataclass(frozen=True, slots=True)
class CesResult(_Sampled):
    """CES mean on 1-7 (7 = easiest); `sd` is the sample standard deviation, `margin` z*sd/sqrt(n)."""

    n: int
    mean: float
    sd: float | None  # None for a single answer
    margin: float | None


def ces(counts: Counts, z: float = Z_95) -> CesResult:
    """Mean effort score of 1-7 answers with the normal-approximation 95% margin of the mean."""
    scores = _scale_counts(counts, 1, 7, "ces")
    n = sum(scores.values())
    total = sum(s * c for s, c in scores.items())
    mean = total / n
    if n < 2:
        return CesResult(n=n, mean=mean, sd=None, margin=None)
    squares = sum(c * (s - mean) ** 2 for s, c in scores.items())
    sd = math.sqrt(squares / (n - 1))
    return CesResult(n=n, mean=mean, sd=sd, margin=z * sd / math.sqrt(n))


@dataclass(frozen=True, slots=True)
class AnswerShare:
    """One answer's share of respondents in percent, with its Wilson 95% interval; None when n is 0."""

    answer: str
    count: int
    pct: float | None
    interval: Interval | None

    @property
    def margin(self) -> float | None:
        """Half the interval's width, in percentage points (the "+-" shown next to a poll share)."""
        if self.interval is None:
            return None
        return (self.interval.high - self.interval.low) / 2


@dataclass(frozen=True, slots=True)
class PollResult(_Sampled):
    """A question's n (respondents) and the share of each option, in the options' order."""

    n: int
    shares: tuple[AnswerShare, ...]


def answer_shares(
    counts: Mapping[str, int], options: Sequence[str], respondents: int | None = None, z: float = Z_95
) -> PollResult:
    """Share of each option; unknown answers raise ValueError, missing ones count 0.

    `respondents` defaults to the sum of the counts (single choice); pass the number of respondents for a
    multiple-choice question, whose shares then need not add up to 100.
    """
    unknown = [answer for answer in counts if answer not in options]
    if unknown:
        raise ValueError(f"unknown answers: {', '.join(map(repr, unknown))}")
    for answer, count in counts.items():
        _check_count("poll", answer, count)
    n = sum(counts.values()) if respondents is None else respondents
    if any(count > n for count in counts.values()):
        raise ValueError(f"an answer count exceeds the {n} respondents")
    shares = []
    for option in options:
        count = counts.get(option, 0)
        if n == 0:
            shares.append(AnswerShare(option, 0, None, None))
            continue
        interval = wilson_interval(count, n, z)
        pct_interval = Interval(100.0 * interval.low, 100.0 * interval.high)
        shares.append(AnswerShare(option, count, 100.0 * count / n, pct_interval))
    return PollResult(n=n, shares=tuple(shares))
