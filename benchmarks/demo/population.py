"""A synthetic peer population for `peerbench demo` that looks like real service desks (DESIGN.md 12).

Pure and deterministic: the same seed, size, month count and `today` give the same organisations, monthly
metric values and survey counts. A latent maturity per organisation drives higher FCR, lower cost and lost
time and better experience; industry, size band and region shift cost and channels; months add noise and a
slight improvement. A few "watermelons" meet their SLAs while their users are unhappy, and a few survey
so little that a quarter stays under 30 answers.
"""

from __future__ import annotations

import io
import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from typing import TypeVar

import polars as pl

from benchmarks.engine.windows import period_of, shift_period
from benchmarks.metrics.catalogue import METRICS, PROFILE_QUESTIONS, QUESTIONS_BY_CODE, MetricSource
from tenants.demo import DEMO_CONSULTANCY_SLUG, DEMO_ORG_SLUG
from tenants.dimensions import Industry, Region, SizeBand

DEFAULT_SEED = 20_240_917
DEFAULT_ORGANISATIONS = 320
DEFAULT_MONTHS = 24
PEER_SLUG_PREFIX = "peer-"

_I, _S, _R = Industry, SizeBand, Region
_D = TypeVar("_D", Industry, SizeBand, Region)
# How common each dimension value is among the peers (uneven, as in reality).
_INDUSTRY_WEIGHTS = {
    _I.FINANCIAL_SERVICES: 12, _I.HEALTHCARE: 12, _I.PUBLIC_SECTOR: 14, _I.EDUCATION: 9,
    _I.MANUFACTURING: 11, _I.RETAIL: 8, _I.TECHNOLOGY: 9, _I.PROFESSIONAL_SERVICES: 8,
    _I.ENERGY_UTILITIES: 5, _I.TELECOM_MEDIA: 4, _I.TRANSPORT_LOGISTICS: 5, _I.OTHER: 3,
}  # fmt: skip
_SIZE_WEIGHTS = {_S.XS: 10, _S.S: 22, _S.M: 33, _S.L: 25, _S.XL: 10}
_REGION_WEIGHTS = {_R.NA: 36, _R.EMEA: 34, _R.APAC: 20, _R.LATAM: 10}
# Popular fine cells filled first, so the demo shows published industry+size+region cells beside suppressed
# ones; the first is Northwind's own cell.
_POPULAR_CELLS = (
    (_I.HEALTHCARE, _S.M, _R.EMEA, 8), (_I.FINANCIAL_SERVICES, _S.L, _R.NA, 9),
    (_I.PUBLIC_SECTOR, _S.M, _R.EMEA, 9), (_I.HEALTHCARE, _S.L, _R.NA, 7),
    (_I.FINANCIAL_SERVICES, _S.M, _R.EMEA, 7), (_I.TECHNOLOGY, _S.M, _R.NA, 7),
    (_I.PUBLIC_SECTOR, _S.L, _R.EMEA, 6), (_I.PUBLIC_SECTOR, _S.M, _R.NA, 6),
    (_I.MANUFACTURING, _S.M, _R.NA, 6), (_I.MANUFACTURING, _S.L, _R.EMEA, 6),
    (_I.EDUCATION, _S.S, _R.NA, 6), (_I.RETAIL, _S.L, _R.NA, 6),
    (_I.PROFESSIONAL_SERVICES, _S.S, _R.EMEA, 6), (_I.TRANSPORT_LOGISTICS, _S.L, _R.EMEA, 5),
)  # fmt: skip
# Effects: cost factor, experience shift, portal and chat shifts (log-weight), walk-up shift.
_INDUSTRY_EFFECTS = {
    _I.FINANCIAL_SERVICES: (1.25, 0.1, 0.1, 0.2, -0.3), _I.HEALTHCARE: (0.95, -0.2, -0.2, -0.2, 0.3),
    _I.PUBLIC_SECTOR: (0.85, -0.3, 0.0, -0.3, 0.2), _I.EDUCATION: (0.7, 0.0, -0.1, 0.1, 0.8),
    _I.MANUFACTURING: (0.95, -0.1, -0.2, -0.1, 0.4), _I.RETAIL: (0.85, 0.0, 0.0, 0.2, -0.2),
    _I.TECHNOLOGY: (1.15, 0.3, 0.5, 0.6, -0.5), _I.PROFESSIONAL_SERVICES: (1.2, 0.2, 0.2, 0.3, 0.0),
    _I.ENERGY_UTILITIES: (1.05, -0.1, -0.1, -0.2, 0.2), _I.TELECOM_MEDIA: (1.1, 0.1, 0.3, 0.4, -0.3),
    _I.TRANSPORT_LOGISTICS: (0.9, -0.1, -0.1, 0.0, 0.3), _I.OTHER: (1.0, 0.0, 0.0, 0.0, 0.0),
}  # fmt: skip
# Larger desks: cheaper tickets (scale), more portal, fewer walk-ups, more survey answers.
_SIZE_EFFECTS = {  # cost factor, portal shift, walk-up shift, tickets per user factor, monthly answers
    _S.XS: (1.3, -0.4, 0.6, 1.3, 28), _S.S: (1.12, -0.2, 0.3, 1.15, 45), _S.M: (1.0, 0.0, 0.0, 1.0, 70),
    _S.L: (0.88, 0.25, -0.3, 0.92, 100), _S.XL: (0.78, 0.45, -0.6, 0.85, 130),
}  # fmt: skip
_REGION_COST = {_R.NA: 1.2, _R.EMEA: 1.0, _R.APAC: 0.8, _R.LATAM: 0.65}
# Base channel and tier mixes (per cent) before the effects above.
_CHANNELS = {"phone": 45.0, "email": 30.0, "chat": 8.0, "portal": 15.0, "walkup": 2.0, "other": 0.7}
_TIERS = {"tier0": 8.0, "tier1": 62.0, "tier2": 22.0, "tier3": 8.0}
_METRIC_ORDER = [m.code for m in METRICS if m.source is MetricSource.UPLOADED]
_SCALES = {code: QUESTIONS_BY_CODE[code].answers for code in ("nps", "csat", "ces")}


@dataclass(frozen=True, slots=True)
class DemoOrg:
    slug: str
    name: str
    industry: Industry
    size: SizeBand
    region: Region
    maturity: float  # latent quality, about N(0, 1): drives operations and experience together
    watermelon: bool = False  # SLA in the top quartile, experience in the bottom
    few_responses: bool = False  # fewer than 30 survey answers a quarter
    lost_time_factor: float = 1.0  # a weakness: more productive time lost per ticket than its maturity says
    managed_by: str | None = None  # slug of the consultancy that manages it
    typical: bool = False  # no quirks of its own: it sits where its maturity (and weakness) put it


@dataclass(frozen=True)
class DemoPopulation:
    orgs: tuple[DemoOrg, ...]  # the peers first, then the featured organisations
    periods: tuple[str, ...]  # oldest first
    metrics: pl.DataFrame  # slug, period, metric, value
    surveys: pl.DataFrame  # slug, period, question, answer, count (answers with no count left out)

    @property
    def peers(self) -> tuple[DemoOrg, ...]:
        return tuple(org for org in self.orgs if org.slug.startswith(PEER_SLUG_PREFIX))


# Northwind: mid-table, but its users lose about twice the usual time per ticket. BrightPath's clients: one
# strong, one average, one weak (and a watermelon), so the consultancy portfolio has something to say.
FEATURED: tuple[DemoOrg, ...] = (
    DemoOrg(DEMO_ORG_SLUG, "Northwind Health IT", _I.HEALTHCARE, _S.M, _R.EMEA, 0.1,
            lost_time_factor=2.0, typical=True),
    DemoOrg("kestrel-retail", "Kestrel Retail Group", _I.RETAIL, _S.L, _R.NA, 0.9,
            managed_by=DEMO_CONSULTANCY_SLUG, typical=True),
    DemoOrg("meridian-council", "Meridian County Council", _I.PUBLIC_SECTOR, _S.M, _R.EMEA, -0.1,
            managed_by=DEMO_CONSULTANCY_SLUG, typical=True),
    DemoOrg("halden-freight", "Halden Freight", _I.TRANSPORT_LOGISTICS, _S.L, _R.EMEA, -0.7,
            watermelon=True, managed_by=DEMO_CONSULTANCY_SLUG, typical=True),
)  # fmt: skip


def last_complete_month(today: date) -> str:
    return shift_period(period_of(today), -1)


def generate_population(
    *,
    today: date,
    organisations: int = DEFAULT_ORGANISATIONS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
) -> DemoPopulation:
    """`organisations` peers plus FEATURED, each with `months` months ending before today's month."""
    rng = random.Random(seed)
    last = last_complete_month(today)
    periods = tuple(shift_period(last, offset) for offset in range(1 - months, 1))
    orgs = (*_draw_peers(rng, organisations), *FEATURED)
    metric_rows: list[tuple[str, str, str, float]] = []
    survey_rows: list[tuple[str, str, str, str, int]] = []
    for org in orgs:
        org_rng = random.Random(f"{seed}:{org.slug}")  # an organisation's data does not depend on the others
        metric_rows += _org_metrics(org_rng, org, periods)
        survey_rows += _org_surveys(org_rng, org, periods)
    metrics = pl.DataFrame(
        metric_rows,
        schema={"slug": pl.String, "period": pl.String, "metric": pl.String, "value": pl.Float64},
        orient="row",
    )
    surveys = pl.DataFrame(
        survey_rows,
        schema={
            "slug": pl.String,
            "period": pl.String,
            "question": pl.String,
            "answer": pl.String,
            "count": pl.Int64,
        },
        orient="row",
    )
    return DemoPopulation(orgs, periods, metrics, surveys)


def metrics_files(population: DemoPopulation) -> dict[str, bytes]:
    """One wide-form metrics CSV per organisation (`period,<code>,...`), by slug."""
    files = {}
    for (slug,), frame in population.metrics.partition_by("slug", as_dict=True, maintain_order=True).items():
        wide = frame.pivot(on="metric", index="period", values="value").sort("period")
        files[slug] = _csv(wide.select("period", *[c for c in _METRIC_ORDER if c in wide.columns]))
    return files


def survey_files(population: DemoPopulation) -> dict[str, bytes]:
    """One aggregated survey CSV per organisation (`period,question,answer,count`), by slug."""
    parts = population.surveys.partition_by("slug", as_dict=True, maintain_order=True)
    return {slug: _csv(frame.drop("slug")) for (slug,), frame in parts.items()}


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def _weighted(rng: random.Random, weights: dict[_D, int]) -> _D:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _draw_peers(rng: random.Random, count: int) -> list[DemoOrg]:
    """Popular cells first, then one of every industry x size band, then draws by the weights."""
    cells = [(i, s, r) for i, s, r, n in _POPULAR_CELLS for _ in range(n)]
    cells += [(i, s, _weighted(rng, _REGION_WEIGHTS)) for i in Industry for s in SizeBand]
    while len(cells) < count:
        cells.append(
            (
                _weighted(rng, _INDUSTRY_WEIGHTS),
                _weighted(rng, _SIZE_WEIGHTS),
                _weighted(rng, _REGION_WEIGHTS),
            )
        )
    cells = cells[:count]
    rng.shuffle(cells)  # numbers say nothing about the cell
    watermelons = set(rng.sample(range(count), max(1, round(count * 0.04))))
    few = set(rng.sample(sorted(set(range(count)) - watermelons), max(1, round(count * 0.03))))
    peers = []
    for index, (industry, size, region) in enumerate(cells):
        number = f"{index + 1:04d}"
        peers.append(
            DemoOrg(
                f"{PEER_SLUG_PREFIX}{number}",
                f"Peer {number} — {industry.label}, {region.value.upper()}",
                industry,
                size,
                region,
                maturity=rng.gauss(0.0, 1.0),
                watermelon=index in watermelons,
                few_responses=index in few,
            )
        )
    return peers


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _shares(weights: dict[str, float], template: str) -> dict[str, float]:
    """Weights as per cent with one decimal summing to exactly 100 (the largest share takes the rounding)."""
    total = sum(weights.values())
    shares = {name: round(100.0 * w / total, 1) for name, w in weights.items()}
    largest = max(shares, key=shares.__getitem__)
    shares[largest] = round(100.0 - sum(v for k, v in shares.items() if k != largest), 1)
    return {template.format(name): value for name, value in shares.items()}


def _org_metrics(rng: random.Random, org: DemoOrg, periods: tuple[str, ...]) -> list[tuple]:
    cost_industry, _, portal_industry, chat_industry, walkup_industry = _INDUSTRY_EFFECTS[org.industry]
    cost_size, portal_size, walkup_size, tickets_size, _ = _SIZE_EFFECTS[org.size]
    quirk = 0.0 if org.typical else 1.0
    own = {
        name: quirk * rng.gauss(0.0, 1.0) for name in ("fcr", "cost", "speed", "sla", "time", "volume", "mix")
    }
    cost_base = 17.0 * cost_industry * cost_size * _REGION_COST[org.region]
    tickets_base = 1.05 * tickets_size * math.exp(0.25 * own["volume"])
    incident_share = _clip(0.45 + 0.06 * rng.gauss(0.0, 1.0), 0.25, 0.7)
    contact_ratio = _clip(1.3 + 0.15 * rng.gauss(0.0, 1.0), 1.0, 2.0)
    response_base = 12.0 * math.exp(0.5 * rng.gauss(0.0, 1.0))
    rows = []

    def noise(sd: float) -> float:
        return rng.gauss(0.0, sd)

    for t, period in enumerate(periods):
        # a slight improvement over the months, and a shock shared by the month's figures
        m = org.maturity + 0.25 * t / max(1, len(periods) - 1) + noise(0.12)
        tickets = tickets_base * math.exp(-0.08 * m + noise(0.06))
        lost_per_ticket = _clip(
            3.0 * org.lost_time_factor * math.exp(-0.3 * m + 0.4 * own["time"] + noise(0.08)), 0.3, 40
        )
        fcr = _clip(70 + 11 * (0.75 * m + 0.65 * own["fcr"]) + noise(1.8), 25, 96)
        sla = 97.3 + noise(0.8) if org.watermelon else 88 + 4.5 * (0.7 * m + 0.7 * own["sla"]) + noise(1.2)
        values = {
            "contacts_per_user": round(tickets * contact_ratio, 3),
            "tickets_per_user": round(tickets, 3),
            "incidents_per_user": round(tickets * incident_share, 3),
            "fcr_rate": round(fcr, 1),
            "first_time_fix_rate": round(_clip(fcr + 7 + noise(2.5), 20, 99.5), 1),
            "asa_seconds": round(_clip(55 * math.exp(-0.35 * m + 0.45 * own["speed"] + noise(0.1)), 5, 900)),
            "abandon_rate": round(
                _clip(6 * math.exp(-0.3 * m + 0.4 * own["speed"] + noise(0.1)), 0.3, 40), 1
            ),
            "mttr_hours": round(_clip(14 * math.exp(-0.3 * m + 0.5 * own["sla"] + noise(0.1)), 0.5, 500), 1),
            "sla_resolution_rate": round(_clip(sla, 40, 99.8), 1),
            "reopen_rate": round(_clip(4.5 * math.exp(-0.3 * m + 0.4 * own["fcr"] + noise(0.1)), 0.2, 30), 1),
            "cost_per_ticket": round(cost_base * math.exp(-0.28 * m + 0.4 * own["cost"] + noise(0.05)), 2),
            "lost_hours_per_user": round(tickets * lost_per_ticket, 2),
            "lost_hours_per_ticket": round(lost_per_ticket, 2),
            "survey_response_rate": round(_clip(response_base * math.exp(0.2 * m + noise(0.1)), 1, 80), 1),
        }
        drift = t / max(1, len(periods) - 1)  # the portal grows and the phone shrinks a little
        channels = {
            "phone": _CHANNELS["phone"] * math.exp(-0.1 * drift - 0.1 * m + noise(0.04)),
            "email": _CHANNELS["email"] * math.exp(0.2 * own["mix"] + noise(0.04)),
            "chat": _CHANNELS["chat"] * math.exp(chat_industry + 0.1 * m + noise(0.06)),
            "portal": _CHANNELS["portal"]
            * math.exp(portal_industry + portal_size + 0.15 * m + 0.15 * drift + noise(0.05)),
            "walkup": _CHANNELS["walkup"] * math.exp(walkup_industry + walkup_size + noise(0.08)),
            "other": _CHANNELS["other"] * math.exp(noise(0.2)),
        }
        tiers = {
            "tier0": _TIERS["tier0"] * math.exp(0.3 * m + portal_size + noise(0.06)),
            "tier1": _TIERS["tier1"] * math.exp(0.05 * m + noise(0.02)),
            "tier2": _TIERS["tier2"] * math.exp(-0.15 * m + noise(0.04)),
            "tier3": _TIERS["tier3"] * math.exp(-0.2 * m + noise(0.06)),
        }
        values |= _shares(channels, "channel_{}_pct") | _shares(tiers, "{}_pct")
        rows += [(org.slug, period, code, float(value)) for code, value in values.items()]
    return rows


def _scale_probabilities(low: int, high: int, centre: float, spread: float) -> list[float]:
    """A discretised bell over the answer scale: the share of each answer from `low` to `high`."""
    weights = [math.exp(-((k - centre) ** 2) / (2 * spread**2)) for k in range(low, high + 1)]
    total = sum(weights)
    return [w / total for w in weights]


def _org_surveys(rng: random.Random, org: DemoOrg, periods: tuple[str, ...]) -> list[tuple]:
    _, experience_industry, *_ = _INDUSTRY_EFFECTS[org.industry]
    monthly = _SIZE_EFFECTS[org.size][4]
    # experience follows maturity, but not only: culture, expectations and the survey itself add their own
    quirk = rng.gauss(0.0, 0.3 if org.watermelon else 0.55) * (0.0 if org.typical else 1.0)
    base = quirk + (-2.1 if org.watermelon else 0.7 * org.maturity)
    base += experience_industry
    typical_n = monthly * math.exp(0.25 * rng.gauss(0.0, 1.0))
    rows = []
    for t, period in enumerate(periods):
        e = base + 0.2 * t / max(1, len(periods) - 1) + rng.gauss(0.0, 0.15)
        n = (
            rng.randint(3, 8)
            if org.few_responses
            else round(_clip(typical_n * math.exp(rng.gauss(0, 0.15)), 20, 150))
        )
        scales = {
            "nps": _scale_probabilities(0, 10, 9.0 + 1.05 * e, 1.8),
            "csat": _scale_probabilities(1, 5, 4.5 + 0.25 * e, 0.75),
            "ces": _scale_probabilities(1, 7, 5.5 + 0.6 * e, 1.2),
        }
        for code, probabilities in scales.items():
            scale = _SCALES[code]
            # not every respondent answers every question
            k = n if code == "nps" or org.few_responses else max(20, round(n * rng.uniform(0.8, 1.0)))
            drawn = Counter(rng.choices(scale, cum_weights=list(accumulate(probabilities)), k=k))
            rows += [(org.slug, period, code, a, drawn[a]) for a in scale if drawn[a]]
    return rows


def profile_answers(population: DemoPopulation, seed: int = DEFAULT_SEED) -> dict[str, dict[str, str]]:
    """Each organisation's profile answers; mature desks lean customer-centric and measured."""
    rng = random.Random(seed + 7)
    leaning = {
        "success_indicator": ("sla_performance", "customer_satisfaction"),
        "csat_method": ("none", "nps"),
        "user_view": ("end_users", "business_users"),
        "it_orientation": ("technology_centric", "customer_centric"),
        "improvement_agenda": ("no", "we_do_now"),
    }
    answers: dict[str, dict[str, str]] = {}
    for org in population.orgs:
        mine = {}
        for question in PROFILE_QUESTIONS:
            weak, strong = leaning[question.code]
            roll = rng.random()
            if roll < 0.35:
                mine[question.code] = strong if org.maturity > 0 else weak
            else:
                mine[question.code] = rng.choice(question.options)
        answers[org.slug] = mine
    return answers
