"""Cohort levels and cohort cells over industry x size band x region (DESIGN.md 7).

A level is named by the dimensions it keeps (`all`, `industry`, ..., `industry+size+region`); a cell of a
level is a `CohortKey` whose kept dimensions hold a value and whose rolled-up dimensions hold None.

`CohortKey.code` is the stable database key of a cell: the three dimensions always in the order industry,
size, region, each `name=value` or `name=*` when rolled up, joined by `;`, for example
`industry=retail;size=m;region=*`. The "all organisations" cell is `industry=*;size=*;region=*`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from tenants.dimensions import Industry, Region, SizeBand

ROLLED_UP = "*"


class Dimension(StrEnum):
    INDUSTRY = "industry"
    SIZE = "size"
    REGION = "region"


DIMENSIONS: tuple[Dimension, ...] = (Dimension.INDUSTRY, Dimension.SIZE, Dimension.REGION)
_DIMENSION_LABELS = {Dimension.INDUSTRY: "industry", Dimension.SIZE: "size band", Dimension.REGION: "region"}
_DIMENSION_TYPES = {Dimension.INDUSTRY: Industry, Dimension.SIZE: SizeBand, Dimension.REGION: Region}
_ALL_CODE = "all"


@dataclass(frozen=True, slots=True)
class CohortLevel:
    """A roll-up level; `dimensions` is always in the canonical order industry, size, region."""

    dimensions: tuple[Dimension, ...]

    def __post_init__(self) -> None:
        dimensions = tuple(Dimension(d) for d in self.dimensions)
        if len(set(dimensions)) != len(dimensions):
            raise ValueError(f"cohort dimensions repeat: {', '.join(dimensions)}")
        object.__setattr__(self, "dimensions", tuple(d for d in DIMENSIONS if d in dimensions))

    @classmethod
    def parse(cls, code: str) -> CohortLevel:
        """The level for a code such as `all` or `industry+size` (the form `CohortLevel.code` produces)."""
        return _parse_dimensions(code, "+")

    @property
    def code(self) -> str:
        return "+".join(self.dimensions) if self.dimensions else _ALL_CODE

    @property
    def label(self) -> str:
        """E.g. "All organisations", "Same industry", "Same industry and size band"."""
        names = [_DIMENSION_LABELS[d] for d in self.dimensions]
        if not names:
            return "All organisations"
        if len(names) == 1:
            return f"Same {names[0]}"
        return f"Same {', '.join(names[:-1])} and {names[-1]}"

    @property
    def param(self) -> str:
        """The API's `cohort=` form: dimensions comma-separated, or `all`."""
        return ",".join(self.dimensions) if self.dimensions else _ALL_CODE

    def keeps(self, dimension: Dimension) -> bool:
        return dimension in self.dimensions

    def __str__(self) -> str:
        return self.code


def _parse_dimensions(text: str, separator: str) -> CohortLevel:
    if not isinstance(text, str):
        raise ValueError(f"invalid cohort {text!r}")
    stripped = text.strip()
    if stripped == _ALL_CODE:
        return CohortLevel(())
    names = [part.strip() for part in stripped.split(separator)]
    known = {d.value for d in DIMENSIONS}
    unknown = [name for name in names if name not in known]
    if unknown or not stripped:
        raise ValueError(
            f"invalid cohort {text!r}: use 'all' or dimensions from industry, size, region "
            f"separated by '{separator}'"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"invalid cohort {text!r}: a dimension is listed twice")
    return CohortLevel(tuple(Dimension(name) for name in names))


def parse_cohort_param(text: str) -> CohortLevel:
    """The level for the API's `cohort=` value (`all`, or dimensions comma-separated in any order)."""
    return _parse_dimensions(text, ",")


ALL = CohortLevel(())
# Broadest first; the last is the organisation's own fixed cell.
LEVELS: tuple[CohortLevel, ...] = (
    ALL,
    CohortLevel((Dimension.INDUSTRY,)),
    CohortLevel((Dimension.SIZE,)),
    CohortLevel((Dimension.REGION,)),
    CohortLevel((Dimension.INDUSTRY, Dimension.SIZE)),
    CohortLevel((Dimension.INDUSTRY, Dimension.REGION)),
    CohortLevel((Dimension.SIZE, Dimension.REGION)),
    CohortLevel(DIMENSIONS),
)


@dataclass(frozen=True, slots=True)
class CohortKey:
    """One cohort cell: a value per kept dimension, None per rolled-up one."""

    industry: Industry | None = None
    size: SizeBand | None = None
    region: Region | None = None

    def __post_init__(self) -> None:
        # Accept the plain codes too ("retail"); an unknown code raises ValueError here.
        for dimension in DIMENSIONS:
            value = getattr(self, dimension.value)
            if value is not None:
                object.__setattr__(self, dimension.value, _DIMENSION_TYPES[dimension](value))

    @classmethod
    def parse(cls, code: str) -> CohortKey:
        """The cell for a code produced by `CohortKey.code`; ValueError on anything else."""
        parts = code.split(";") if isinstance(code, str) else []
        pairs = [part.split("=", 1) for part in parts]
        if [pair[0] for pair in pairs] != [d.value for d in DIMENSIONS] or any(len(p) != 2 for p in pairs):
            raise ValueError(f"invalid cohort key {code!r}: expected industry=..;size=..;region=..")
        values = {name: None if value == ROLLED_UP else value for name, value in pairs}
        return cls(**values)

    @property
    def level(self) -> CohortLevel:
        return CohortLevel(tuple(d for d in DIMENSIONS if getattr(self, d.value) is not None))

    @property
    def code(self) -> str:
        return ";".join(f"{d.value}={getattr(self, d.value) or ROLLED_UP}" for d in DIMENSIONS)

    @property
    def label(self) -> str:
        """E.g. "Retail, M (2,000-9,999 users)" or "All organisations"."""
        values = [getattr(self, d.value) for d in DIMENSIONS]
        kept = [value.label for value in values if value is not None]
        return ", ".join(kept) if kept else "All organisations"

    def __str__(self) -> str:
        return self.code


def cohort_key_for(
    level: CohortLevel, industry: Industry | str, size: SizeBand | str, region: Region | str
) -> CohortKey:
    """The cell of `level` an organisation with these dimensions belongs to."""
    values = {Dimension.INDUSTRY: industry, Dimension.SIZE: size, Dimension.REGION: region}
    return CohortKey(**{d.value: values[d] if level.keeps(d) else None for d in DIMENSIONS})


def all_keys_for(industry: Industry | str, size: SizeBand | str, region: Region | str) -> list[CohortKey]:
    """The 8 cells an organisation belongs to, one per level, in `LEVELS` order."""
    return [cohort_key_for(level, industry, size, region) for level in LEVELS]


def cohort_key_expr(level: CohortLevel) -> pl.Expr:
    """A polars expression giving `CohortKey.code` of `level` from string columns industry, size, region."""
    pieces: list[pl.Expr] = []
    for i, dimension in enumerate(DIMENSIONS):
        pieces.append(pl.lit(("" if i == 0 else ";") + f"{dimension.value}="))
        pieces.append(
            pl.col(dimension.value).cast(pl.String) if level.keeps(dimension) else pl.lit(ROLLED_UP)
        )
    return pl.concat_str(pieces)


def with_cohort_keys(frame: pl.DataFrame, levels: Sequence[CohortLevel] = LEVELS) -> pl.DataFrame:
    """One row per input row and level, with `cohort_level` and `cohort_key` (`CohortKey.code`) added.

    `frame` has non-null string columns industry, size and region (the codes); they are dropped.
    """
    parts = [
        frame.with_columns(
            pl.lit(level.code).alias("cohort_level"), cohort_key_expr(level).alias("cohort_key")
        ).drop([d.value for d in DIMENSIONS])
        for level in levels
    ]
    return pl.concat(parts)
