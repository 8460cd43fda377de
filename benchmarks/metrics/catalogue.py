"""The standard metric catalogue and survey questions (DESIGN.md sections 4 and 5), as data in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    HIGHER_IS_BETTER = "+"
    LOWER_IS_BETTER = "-"
    DESCRIPTIVE = "="


class MetricSource(StrEnum):
    UPLOADED = "uploaded"  # tenants send it in a metrics file
    DERIVED = "derived"  # computed from uploaded metrics
    SURVEY = "survey"  # computed from survey counts


@dataclass(frozen=True, slots=True)
class Metric:
    code: str
    name: str
    description: str
    unit: str
    direction: Direction
    minimum: float
    maximum: float
    area: str  # report/dashboard section: experience, operations, channel_mix, tier_mix
    source: MetricSource = MetricSource.UPLOADED
    mix: str | None = None  # name of the mix this share belongs to (must sum to 100 +-1 per period)

    def in_range(self, value: float) -> bool:
        return self.minimum <= value <= self.maximum


MIX_TOLERANCE = 1.0  # a mix must sum to 100 +- this many points per period

_PCT = "%"


def _m(code, name, description, unit, direction, minimum, maximum, area, **kw) -> Metric:
    return Metric(code, name, description, unit, Direction(direction), minimum, maximum, area, **kw)


METRICS: tuple[Metric, ...] = (
    _m(
        "contacts_per_user",
        "Contacts per user",
        "Contacts to the service desk per supported user per month",
        "count",
        "-",
        0,
        50,
        "operations",
    ),
    _m(
        "tickets_per_user",
        "Tickets per user",
        "Tickets (incidents + requests) per supported user per month",
        "count",
        "-",
        0,
        50,
        "operations",
    ),
    _m(
        "incidents_per_user",
        "Incidents per user",
        "Incidents per supported user per month",
        "count",
        "-",
        0,
        50,
        "operations",
    ),
    _m(
        "fcr_rate",
        "First contact resolution",
        "Contacts resolved at the first contact",
        _PCT,
        "+",
        0,
        100,
        "operations",
    ),
    _m(
        "first_time_fix_rate",
        "First-time fix",
        "Tickets resolved without reopening or reassignment",
        _PCT,
        "+",
        0,
        100,
        "operations",
    ),
    _m(
        "asa_seconds",
        "Average speed to answer",
        "Average speed to answer a phone call",
        "s",
        "-",
        0,
        3600,
        "operations",
    ),
    _m(
        "abandon_rate",
        "Abandon rate",
        "Calls abandoned before they were answered",
        _PCT,
        "-",
        0,
        100,
        "operations",
    ),
    _m(
        "mttr_hours",
        "Mean time to resolve",
        "Mean time to resolve incidents",
        "h",
        "-",
        0,
        10000,
        "operations",
    ),
    _m(
        "sla_resolution_rate",
        "SLA resolution",
        "Tickets resolved within SLA",
        _PCT,
        "+",
        0,
        100,
        "operations",
    ),
    _m("reopen_rate", "Reopen rate", "Tickets reopened", _PCT, "-", 0, 100, "operations"),
    _m(
        "cost_per_ticket",
        "Cost per ticket",
        "Fully loaded cost per ticket, USD",
        "USD",
        "-",
        0,
        10000,
        "operations",
    ),
    _m(
        "lost_hours_per_user",
        "Lost hours per user",
        "End-user productive hours lost to IT issues per user per month",
        "h",
        "-",
        0,
        200,
        "experience",
    ),
    _m(
        "lost_hours_per_ticket",
        "Lost hours per ticket",
        "End-user productive hours lost per ticket",
        "h",
        "-",
        0,
        1000,
        "experience",
    ),
    _m(
        "survey_response_rate",
        "Survey response rate",
        "Survey responses / surveys sent",
        _PCT,
        "+",
        0,
        100,
        "experience",
    ),
    *(
        _m(
            f"channel_{ch}_pct",
            f"Channel: {label}",
            f"Share of contacts through {label.lower()}",
            _PCT,
            "=",
            0,
            100,
            "channel_mix",
            mix="channel",
        )
        for ch, label in (
            ("phone", "Phone"),
            ("email", "Email"),
            ("chat", "Chat"),
            ("portal", "Portal"),
            ("walkup", "Walk-up"),
            ("other", "Other"),
        )
    ),
    *(
        _m(f"tier{t}_pct", f"Resolved at tier {t}", description, _PCT, "=", 0, 100, "tier_mix", mix="tier")
        for t, description in (
            (0, "Tickets resolved by self-service"),
            (1, "Tickets resolved by the service desk"),
            (2, "Tickets resolved by 2nd line"),
            (3, "Tickets resolved by 3rd line"),
        )
    ),
    _m(
        "shift_left_rate",
        "Shift-left rate",
        "Tickets resolved at tier 0 or 1 (tier0_pct + tier1_pct)",
        _PCT,
        "+",
        0,
        100,
        "operations",
        source=MetricSource.DERIVED,
    ),
    _m(
        "nps",
        "Net Promoter Score",
        "% promoters (9-10) minus % detractors (0-6)",
        "score",
        "+",
        -100,
        100,
        "experience",
        source=MetricSource.SURVEY,
    ),
    _m(
        "csat_pct",
        "Customer satisfaction",
        "% of answers 4 or 5 on the 1-5 scale",
        _PCT,
        "+",
        0,
        100,
        "experience",
        source=MetricSource.SURVEY,
    ),
    _m(
        "ces_avg",
        "Customer effort",
        "Mean answer on the 1-7 scale, 7 = easiest",
        "score",
        "+",
        1,
        7,
        "experience",
        source=MetricSource.SURVEY,
    ),
    _m(
        "survey_responses",
        "Survey responses",
        "Survey answers received in the period",
        "count",
        "=",
        0,
        1e12,
        "experience",
        source=MetricSource.SURVEY,
    ),
)

METRICS_BY_CODE: dict[str, Metric] = {m.code: m for m in METRICS}
UPLOADED_CODES: frozenset[str] = frozenset(m.code for m in METRICS if m.source is MetricSource.UPLOADED)
MIXES: dict[str, tuple[str, ...]] = {
    mix: tuple(m.code for m in METRICS if m.mix == mix) for mix in ("channel", "tier")
}


def get_metric(code: str) -> Metric | None:
    return METRICS_BY_CODE.get(code)


class QuestionKind(StrEnum):
    SCALE = "scale"  # integer answers between low and high
    CHOICE = "choice"  # one of the listed option codes


@dataclass(frozen=True, slots=True)
class Question:
    code: str
    text: str
    kind: QuestionKind
    options: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    profile: bool = False  # answered once per organisation and benchmarked as a distribution

    def accepts(self, answer: str) -> bool:
        if self.kind is QuestionKind.CHOICE:
            return answer in self.options
        try:
            value = int(answer)
        except ValueError:
            return False
        return self.low <= value <= self.high and str(value) == answer.strip().lstrip("+")

    @property
    def answers(self) -> tuple[str, ...]:
        if self.kind is QuestionKind.CHOICE:
            return self.options
        return tuple(str(v) for v in range(self.low, self.high + 1))


QUESTIONS: tuple[Question, ...] = (
    Question(
        "nps",
        "How likely are you to recommend the IT service to a colleague?",
        QuestionKind.SCALE,
        low=0,
        high=10,
    ),
    Question(
        "csat", "How satisfied were you with the support you received?", QuestionKind.SCALE, low=1, high=5
    ),
    Question("ces", "How easy was it to get your issue resolved?", QuestionKind.SCALE, low=1, high=7),
    Question(
        "success_indicator",
        "What is the main indicator of success for your service desk?",
        QuestionKind.CHOICE,
        (
            "customer_satisfaction",
            "sla_performance",
            "first_contact_resolution",
            "cost",
            "ticket_volumes",
            "user_productivity",
            "other",
        ),
        profile=True,
    ),
    Question(
        "csat_method",
        "Are you currently using a customer satisfaction metric to measure IT performance?",
        QuestionKind.CHOICE,
        ("nps", "csat", "own_metric", "none"),
        profile=True,
    ),
    Question(
        "user_view",
        "Do you consider the people that consume your IT services to be:",
        QuestionKind.CHOICE,
        ("end_users", "internal_customers", "business_users", "other"),
        profile=True,
    ),
    Question(
        "it_orientation",
        "Do you consider your IT department to be:",
        QuestionKind.CHOICE,
        ("technology_centric", "service_centric", "customer_centric"),
        profile=True,
    ),
    Question(
        "improvement_agenda",
        "Do you have an agenda to improve business user satisfaction in the next 12 months?",
        QuestionKind.CHOICE,
        ("yes", "no", "we_do_now"),
        profile=True,
    ),
)

QUESTIONS_BY_CODE: dict[str, Question] = {q.code: q for q in QUESTIONS}
PROFILE_QUESTIONS: tuple[Question, ...] = tuple(q for q in QUESTIONS if q.profile)

# the catalogue's areas, in the order pages and reports show them: (key, title, introduction)
AREAS: tuple[tuple[str, str, str], ...] = (
    (
        "experience",
        "Experience",
        "How the people you support experience IT: satisfaction, effort, lost time.",
    ),
    ("operations", "Operations", "How the service desk performs: resolution, speed, quality and cost."),
    ("channel_mix", "Channel mix", "How users reach the service desk (shares of contacts)."),
    (
        "tier_mix",
        "Tier mix",
        "Where tickets are resolved, from self-service to 3rd line (shares of tickets).",
    ),
)


def direction_text(direction: Direction) -> str:
    """How a direction reads on pages and in reports."""
    return {
        Direction.HIGHER_IS_BETTER: "higher is better",
        Direction.LOWER_IS_BETTER: "lower is better",
        Direction.DESCRIPTIVE: "descriptive",
    }[direction]
