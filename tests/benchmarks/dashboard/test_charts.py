import re
import xml.etree.ElementTree as ET

import pytest

from benchmarks.dashboard import charts
from benchmarks.metrics.catalogue import Direction

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def box(**overrides):
    args = dict(
        p10=58.0,
        p25=65.0,
        median=70.0,
        p75=78.0,
        p90=84.0,
        value=72.0,
        lo=0.0,
        hi=100.0,
        direction=Direction.HIGHER_IS_BETTER,
        unit="%",
    )
    return charts.box_whisker(**(args | overrides))


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def words(root: ET.Element) -> str:
    """Everything a reader or screen reader gets: text nodes, the title and the aria-label."""
    return " ".join([*root.itertext(), root.get("aria-label", "")])


ALL_CHARTS = {
    "box": lambda: box(),
    "box_without_value": lambda: box(value=None, p10=None, p90=None),
    "suppressed": lambda: charts.suppressed_box("fewer than five organisations", 320, 44),
    "stacked": lambda: charts.stacked_bars(
        [("You", [("Phone", 40.0), ("Email", 60.0)]), ("Cohort median", [("Phone", 55.0), ("Email", 45.0)])]
    ),
    "sparkline": lambda: charts.sparkline([1.0, None, 3.0, 2.0]),
    "sparkline_empty": lambda: charts.sparkline([None, None]),
    "trend": lambda: charts.trend_lines(
        MONTHS, [("You", [60.0, None, 64.0, 66.0]), ("Cohort median", [62.0, 63.0, 63.0, 64.0])], unit="%"
    ),
    "answers": lambda: charts.answer_bars([("Yes", 46.0, 4.0), ("No", 54.0, None)]),
    "badge": lambda: charts.quartile_badge(4),
}


@pytest.mark.parametrize("name", ALL_CHARTS)
def test_every_chart_is_accessible_well_formed_svg(name):
    root = parse(ALL_CHARTS[name]())
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label")
    assert root.find(f"{SVG}title").text == root.get("aria-label")
    assert not root.findall(f".//{SVG}foreignObject")
    assert not root.findall(f".//{SVG}script")


def test_tenant_marker_sits_where_its_value_maps_on_the_axis():
    root = parse(box(value=72.0, lo=40.0, hi=90.0))
    track = root.find(f"{SVG}line")  # the first line is the lo..hi track
    x_lo, x_hi = float(track.get("x1")), float(track.get("x2"))
    points = [tuple(map(float, p.split(","))) for p in root.find(f".//{SVG}polygon").get("points").split()]
    marker_x = sum(x for x, _ in points) / len(points)
    assert marker_x == pytest.approx(x_lo + (72.0 - 40.0) / (90.0 - 40.0) * (x_hi - x_lo), abs=0.1)


def whisker_lines(root: ET.Element) -> list[ET.Element]:
    return [line for line in root.iter(f"{SVG}line") if line.get("stroke") == charts.MUTED]


def test_published_p10_p90_draw_both_whiskers_with_caps():
    assert len(whisker_lines(parse(box()))) == 4


def test_missing_p10_p90_draw_no_whisker():
    assert whisker_lines(parse(box(p10=None, p90=None))) == []


def test_missing_value_draws_no_marker_and_says_so():
    root = parse(box(value=None))
    assert root.find(f".//{SVG}polygon") is None
    assert "No value of yours" in root.get("aria-label")


def test_suppressed_placeholder_shows_the_reason_and_no_figures():
    root = parse(charts.suppressed_box("fewer than five organisations", 320, 44))
    assert "fewer than five organisations" in words(root)
    assert not re.search(r"\d", words(root))


def test_aria_label_states_value_against_median():
    label = parse(box(value=72.0, median=70.0)).get("aria-label")
    assert label.startswith("Your value 72.0% is above the cohort median 70.0% (better);")
    assert "cohort p25 65.0%, p75 78.0%" in label


def test_aria_label_reads_lower_is_better_metrics_the_right_way():
    label = parse(box(value=80.0, direction=Direction.LOWER_IS_BETTER, unit="h")).get("aria-label")
    assert "Your value 80.0 h is above the cohort median 70.0 h (worse)" in label


def test_descriptive_metric_has_no_better_hint():
    root = parse(box(direction=Direction.DESCRIPTIVE))
    assert "better" not in words(root)
    assert "worse" not in words(root)


@pytest.mark.parametrize(
    ("direction", "hint"),
    [(Direction.HIGHER_IS_BETTER, "better \u2192"), (Direction.LOWER_IS_BETTER, "\u2190 better")],
)
def test_direction_hint_points_to_better(direction, hint):
    assert hint in list(parse(box(direction=direction)).itertext())


HOSTILE = '<script>alert("x")</script> & co'


@pytest.mark.parametrize(
    "render",
    [
        lambda s: charts.suppressed_box(s, 320, 44),
        lambda s: charts.stacked_bars([(s, [(s, 100.0)])]),
        lambda s: charts.answer_bars([(s, 50.0, 3.0)]),
        lambda s: charts.trend_lines([s, "b"], [(s, [1.0, 2.0])]),
        lambda s: box(unit=s),
    ],
)
def test_text_is_escaped(render):
    svg = render(HOSTILE)
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f".//{SVG}script") is None
    assert any(HOSTILE in t for t in root.itertext())  # escaped, not dropped


@pytest.mark.parametrize("colour", ["red;}", "red", "#12345g", '#fff" onload="x', "#1234567", " #123456"])
def test_primary_colour_must_be_hex(colour):
    with pytest.raises(ValueError, match="primary colour"):
        box(primary=colour)
    with pytest.raises(ValueError, match="primary colour"):
        charts.stacked_bars([("You", [("A", 100.0)])], primary=colour)


def test_primary_colour_is_used_and_normalised():
    assert charts.validate_primary("#ABC") == "#aabbcc"
    assert 'fill="#aabbcc"' in charts.answer_bars([("Yes", 50.0, None)], primary="#ABC")


def test_sparkline_breaks_at_missing_periods_and_marks_the_last_point():
    root = parse(charts.sparkline([1.0, 2.0, None, 3.0, 4.0]))
    assert len(root.findall(f"{SVG}path")) == 2
    last = root.findall(f"{SVG}circle")[-1]
    assert float(last.get("cx")) == pytest.approx(100 - 4)
    assert "1 period without a value" in root.get("aria-label")


def test_stacked_bars_label_only_wide_segments():
    texts = list(parse(charts.stacked_bars([("You", [("Big", 97.0), ("Tiny", 3.0)])])).itertext())
    assert "97%" in texts
    assert "3%" not in texts
    assert "Tiny" in texts  # the legend still names it


def test_axis_domain_covers_values_on_round_numbers_within_bounds():
    lo, hi = charts.axis_domain(58.2, None, 84.5, 72.0, floor=0, ceiling=100)
    assert lo < 58.2
    assert hi > 84.5
    assert lo == round(lo)
    assert hi == round(hi)
    assert charts.axis_domain(2.0, 99.0, floor=0, ceiling=100) == (0.0, 100.0)
    assert charts.axis_domain(5.0, 5.0)[0] < 5.0 < charts.axis_domain(5.0, 5.0)[1]


@pytest.mark.parametrize(("quartile", "colour"), [(4, "#1a7f37"), (1, "#c0392b"), (None, "#8a94a3")])
def test_quartile_colour(quartile, colour):
    assert charts.quartile_colour(quartile) == colour
