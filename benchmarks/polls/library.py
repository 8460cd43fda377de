"""What a poll question asks and which answers it takes: the standard library, profile dimensions, custom."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.metrics.catalogue import PROFILE_QUESTIONS, QUESTIONS_BY_CODE
from benchmarks.metrics.catalogue import QuestionKind as CatalogueKind
from benchmarks.polls.models import PollQuestion, QuestionKind
from tenants.dimensions import Industry, Region, SizeBand

SCALE_LIBRARY = ("nps", "csat", "ces")
LIBRARY_CODES: tuple[str, ...] = (*(q.code for q in PROFILE_QUESTIONS), *SCALE_LIBRARY)
PROFILE_DIMENSIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "industry": ("Which industry is your organisation in?", tuple((i.value, i.label) for i in Industry)),
    "size": ("How many end users does your IT support?", tuple((s.value, s.label) for s in SizeBand)),
    "region": ("Where is your organisation based?", tuple((r.value, r.label) for r in Region)),
}
PROFILE_LABELS = {"industry": "Industry", "size": "Size band", "region": "Region"}
_OPTION_LABELS = {
    "nps": "NPS",
    "csat": "CSAT",
    "own_metric": "Our own metric",
    "none": "None",
    "sla_performance": "SLA performance",
    "we_do_now": "We do it now",
    "technology_centric": "Technology-centric",
    "service_centric": "Service-centric",
    "customer_centric": "Customer-centric",
}
_SCALE_ENDS = {
    "nps": ("Not at all likely", "Extremely likely"),
    "csat": ("Very dissatisfied", "Very satisfied"),
    "ces": ("Very difficult", "Very easy"),
}
LIBRARY_TITLES = {code: QUESTIONS_BY_CODE[code].text for code in LIBRARY_CODES}


@dataclass(frozen=True, slots=True)
class Option:
    code: str  # what an answer stores
    label: str


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """A question as respondents and results see it, whatever its source."""

    id: int
    kind: QuestionKind
    text: str
    options: tuple[Option, ...]
    required: bool
    library: str | None = None
    ends: tuple[str, str] | None = None  # labels of a scale's two ends

    @property
    def field(self) -> str:
        return f"q{self.id}"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    @property
    def is_choice(self) -> bool:
        return self.kind is not QuestionKind.TEXT

    def label_of(self, code: str) -> str:
        return next((o.label for o in self.options if o.code == code), code)


def option_label(code: str) -> str:
    return _OPTION_LABELS.get(code, code.replace("_", " ").capitalize())


def spec_of(question: PollQuestion) -> QuestionSpec:
    kind = QuestionKind(question.kind)
    if kind is QuestionKind.PROFILE:
        text, options = PROFILE_DIMENSIONS[question.library or ""]
        return QuestionSpec(
            question.id, kind, text, tuple(Option(c, label) for c, label in options), False, question.library
        )
    if question.library:
        asked = QUESTIONS_BY_CODE[question.library]
        if asked.kind is CatalogueKind.SCALE:
            options = tuple(Option(a, a) for a in asked.answers)
            ends = _SCALE_ENDS.get(asked.code)
        else:
            options, ends = tuple(Option(a, option_label(a)) for a in asked.answers), None
        return QuestionSpec(question.id, kind, asked.text, options, question.required, question.library, ends)
    if kind is QuestionKind.SCALE:
        high = question.scale_max or 5
        options = tuple(Option(str(v), str(v)) for v in range(1, high + 1))
        return QuestionSpec(question.id, kind, question.text or "", options, question.required, ends=None)
    options = tuple(Option(str(i), label) for i, label in enumerate(question.options, start=1))
    return QuestionSpec(question.id, kind, question.text or "", options, question.required)


def library_kind(code: str) -> QuestionKind:
    return QuestionKind.SCALE if code in SCALE_LIBRARY else QuestionKind.SINGLE
