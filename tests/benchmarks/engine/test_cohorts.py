import polars as pl
import pytest

from benchmarks.engine.cohorts import (
    ALL,
    LEVELS,
    CohortKey,
    CohortLevel,
    Dimension,
    all_keys_for,
    cohort_key_for,
    parse_cohort_param,
    with_cohort_keys,
)
from tenants.dimensions import Industry, Region, SizeBand

LEVEL_NAMES = [
    ("all", "All organisations"),
    ("industry", "Same industry"),
    ("size", "Same size band"),
    ("region", "Same region"),
    ("industry+size", "Same industry and size band"),
    ("industry+region", "Same industry and region"),
    ("size+region", "Same size band and region"),
    ("industry+size+region", "Same industry, size band and region"),
]


def test_levels_are_the_eight_of_the_design_in_order():
    assert [level.code for level in LEVELS] == [code for code, _ in LEVEL_NAMES]


@pytest.mark.parametrize(("code", "label"), LEVEL_NAMES)
def test_level_code_label_and_parse(code, label):
    level = CohortLevel.parse(code)
    assert level.code == code
    assert level.label == label
    assert str(level) == code


@pytest.mark.parametrize(
    ("param", "code"),
    [
        ("industry,size", "industry+size"),
        ("size,industry", "industry+size"),
        (" region , industry ", "industry+region"),
        ("region,size,industry", "industry+size+region"),
        ("all", "all"),
        ("size", "size"),
    ],
)
def test_parse_cohort_param_accepts_any_order(param, code):
    level = parse_cohort_param(param)
    assert level.code == code
    assert parse_cohort_param(level.param) == level


@pytest.mark.parametrize(
    "param", ["", "sector", "industry,sector", "all,industry", "industry+size", "industry,"]
)
def test_parse_cohort_param_rejects_unknown_dimensions(param):
    with pytest.raises(ValueError, match="use 'all' or dimensions"):
        parse_cohort_param(param)


def test_parse_cohort_param_rejects_duplicates():
    with pytest.raises(ValueError, match="listed twice"):
        parse_cohort_param("industry,size,industry")


def test_level_dimensions_are_kept_in_canonical_order():
    level = CohortLevel((Dimension.REGION, Dimension.INDUSTRY))
    assert level.dimensions == (Dimension.INDUSTRY, Dimension.REGION)
    assert level == CohortLevel((Dimension.INDUSTRY, Dimension.REGION))
    with pytest.raises(ValueError, match="repeat"):
        CohortLevel((Dimension.SIZE, Dimension.SIZE))


def test_cohort_key_code_level_and_label():
    key = CohortKey(Industry.RETAIL, SizeBand.M, None)
    assert key.code == "industry=retail;size=m;region=*"
    assert key.level.code == "industry+size"
    assert key.label == "Retail, M (2,000-9,999 users)"
    assert CohortKey().code == "industry=*;size=*;region=*"
    assert CohortKey().level == ALL
    assert CohortKey().label == "All organisations"


def test_cohort_key_accepts_plain_codes_and_rejects_unknown_ones():
    assert CohortKey("retail", "m", "emea") == CohortKey(Industry.RETAIL, SizeBand.M, Region.EMEA)
    with pytest.raises(ValueError, match="xxl"):
        CohortKey(size="xxl")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "key",
    [
        CohortKey(),
        CohortKey(Industry.HEALTHCARE),
        CohortKey(None, SizeBand.XL, Region.APAC),
        CohortKey("other", "xs", "na"),
    ],
)
def test_cohort_key_code_round_trips(key):
    assert CohortKey.parse(key.code) == key


@pytest.mark.parametrize(
    "code",
    [
        "",
        "industry=retail",
        "size=m;industry=retail;region=*",
        "industry=retail;size=m;region=mars",
        "industry;size;region",
    ],
)
def test_cohort_key_parse_rejects_other_strings(code):
    with pytest.raises(ValueError, match=r"invalid cohort key|is not a valid"):
        CohortKey.parse(code)


def test_cohort_key_for_rolls_up_what_the_level_drops():
    level = parse_cohort_param("industry,region")
    assert cohort_key_for(level, "retail", "m", "emea") == CohortKey(Industry.RETAIL, None, Region.EMEA)


def test_all_keys_for_gives_the_eight_cells_of_an_organisation():
    keys = all_keys_for(Industry.RETAIL, SizeBand.M, Region.EMEA)
    assert [key.code for key in keys] == [
        "industry=*;size=*;region=*",
        "industry=retail;size=*;region=*",
        "industry=*;size=m;region=*",
        "industry=*;size=*;region=emea",
        "industry=retail;size=m;region=*",
        "industry=retail;size=*;region=emea",
        "industry=*;size=m;region=emea",
        "industry=retail;size=m;region=emea",
    ]
    assert [key.level for key in keys] == list(LEVELS)


def test_with_cohort_keys_builds_the_same_codes_as_cohort_key():
    frame = pl.DataFrame(
        {
            "org_id": [1, 2],
            "industry": ["retail", "healthcare"],
            "size": ["m", "xs"],
            "region": ["emea", "na"],
        }
    )
    result = with_cohort_keys(frame)
    assert result.height == 16
    assert set(result.columns) == {"org_id", "cohort_level", "cohort_key"}
    for org_id, industry, size, region in frame.iter_rows():
        got = result.filter(pl.col("org_id") == org_id).select("cohort_level", "cohort_key").rows()
        expected = [(key.level.code, key.code) for key in all_keys_for(industry, size, region)]
        assert got == expected
