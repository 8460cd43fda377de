"""Charts as self-contained SVG strings: the one code path for web pages and WeasyPrint reports.

Every function is pure (plain floats and strings in, SVG text out). All caller text is XML-escaped, so the
result may be inlined with `|safe`. No ids, CSS, scripts or foreignObject: several charts share a page and
WeasyPrint draws only plain SVG shapes and text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from html import escape

from benchmarks.metrics.catalogue import Direction

DEFAULT_PRIMARY = "#1f5fae"  # Peerbench blue
FONT = "DejaVu Sans, Arial, sans-serif"
INK, MUTED, GRID, FAINT = "#1f2933", "#5f6b7a", "#d5dbe3", "#eef1f5"
MARKER = "#111827"  # the tenant's diamond: near-black, distinct from any white-label primary
_HEX = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")
_CHAR_EM = 0.6  # DejaVu Sans averages ~0.6 em per character; used to fit labels without measuring glyphs
_QUARTILES = {
    4: ("#1a7f37", "top quartile"),
    3: ("#6b9e2f", "second quartile"),
    2: ("#c27c0e", "third quartile"),
    1: ("#c0392b", "bottom quartile"),
}


# -- shared pieces ---------------------------------------------------------------------------------------


def validate_primary(primary: str) -> str:
    """Return the colour as lower-case #rrggbb; anything but a hex colour raises ValueError."""
    if not isinstance(primary, str) or not _HEX.fullmatch(primary):
        raise ValueError(f"primary colour must be #rgb or #rrggbb, got {primary!r}")
    hex_ = primary[1:].lower()
    return "#" + (hex_ if len(hex_) == 6 else "".join(c * 2 for c in hex_))


def _mix(colour: str, other: str, t: float) -> str:
    """Blend `t` of `other` into `colour` (both #rrggbb)."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def _text_on(fill: str) -> str:
    """White or ink, whichever reads better on `fill` (relative luminance)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.55 else INK


def _ramp(primary: str, n: int) -> list[str]:
    """`n` shades of the primary, dark to light, for the ordered segments of a mix."""
    ts = [-0.45 + 1.25 * i / (n - 1) for i in range(n)] if n > 1 else [0.0]
    return [_mix(primary, "#000000", -t) if t < 0 else _mix(primary, "#ffffff", t) for t in ts]


def _fmt(value: float, unit: str, *, tick: bool = False) -> str:
    """A figure as shown on charts: 72.0%, 4.5 h, 1.23 (counts), 31.0 (scores); axis ticks drop zeros."""
    text = f"{value:.2f}" if unit == "count" else f"{value:.1f}"
    if tick:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    if unit == "%":
        return text + "%"
    return text if unit in ("", "count", "score", "nps") else f"{text} {unit}"


def _n(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def _text_width(text: str, size: float) -> float:
    return len(text) * size * _CHAR_EM


def _svg(width: float, height: float, label: str, body: Iterable[str]) -> str:
    label = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" role="img" aria-label="{label}" '
        f'font-family="{FONT}" font-size="10">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 10,
    fill: str = INK,
    anchor: str = "start",
    weight: str = "normal",
    italic: bool = False,
) -> str:
    extra = (' font-weight="bold"' if weight == "bold" else "") + (' font-style="italic"' if italic else "")
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}" text-anchor="{anchor}"{extra}>'
        f"{escape(text)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1, dash: str = "") -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
        f'stroke-width="{_n(width)}"{dash_attr}/>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, stroke: str = "none", rx: float = 0) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(h)}" rx="{_n(rx)}" '
        f'fill="{fill}" stroke="{stroke}"/>'
    )


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def axis_domain(
    *values: float | None, floor: float | None = None, ceiling: float | None = None
) -> tuple[float, float]:
    """A padded lo..hi covering every given value, snapped outward to round numbers, within floor..ceiling."""
    present = [v for v in values if v is not None]
    if not present:
        lo, hi = 0.0, 1.0
    else:
        lo, hi = min(present), max(present)
        pad = (hi - lo) * 0.08 or max(abs(hi) * 0.1, 1.0)
        step = _nice_step(hi - lo + 2 * pad)
        lo, hi = math.floor((lo - pad) / step) * step, math.ceil((hi + pad) / step) * step
    lo = lo if floor is None else max(lo, floor)
    hi = hi if ceiling is None else min(hi, ceiling)
    return (float(lo), float(hi)) if hi > lo else (float(lo), float(lo) + 1.0)


def _ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values whose first and last enclose lo..hi, so the axis starts and ends on a tick."""
    step = _nice_step(hi - lo, count)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _scale(lo: float, hi: float, x0: float, x1: float) -> Callable[[float], float]:
    """Map lo..hi onto x0..x1, clamping values outside the domain to its ends."""
    span = (hi - lo) or 1.0
    return lambda v: x0 + (min(max(v, lo), hi) - lo) / span * (x1 - x0)


# -- box and whisker -------------------------------------------------------------------------------------


def box_whisker(
    *,
    p10: float | None,
    p25: float,
    median: float,
    p75: float,
    p90: float | None,
    value: float | None,
    lo: float,
    hi: float,
    direction: Direction,
    unit: str,
    width: float = 320,
    height: float = 44,
    primary: str = DEFAULT_PRIMARY,
) -> str:
    """Cohort p25-p75 box, median, p10/p90 whiskers when published, the tenant's value as a diamond."""
    primary = validate_primary(primary)
    pad = 8.0
    x = _scale(lo, hi, pad, width - pad)
    mid = height / 2
    box_h = min(16.0, height * 0.36)
    top, bottom = mid - box_h / 2, mid + box_h / 2
    parts = [_line(pad, mid, width - pad, mid, FAINT, 1)]  # the domain as a faint track
    for whisker, end in ((p10, p25), (p90, p75)):
        if whisker is not None:
            parts.append(_line(x(whisker), mid, x(end), mid, MUTED, 1.2))
            parts.append(_line(x(whisker), mid - box_h / 4, x(whisker), mid + box_h / 4, MUTED, 1.2))
    parts.append(_rect(x(p25), top, x(p75) - x(p25), box_h, _mix(primary, "#ffffff", 0.72), primary, 2))
    parts.append(_line(x(median), top, x(median), bottom, _mix(primary, "#000000", 0.3), 2.5))
    small = 9.0
    if value is not None:
        vx, r = x(value), box_h / 2 + 1.5
        parts.append(
            f'<polygon points="{_n(vx)},{_n(mid - r)} {_n(vx + r)},{_n(mid)} {_n(vx)},{_n(mid + r)} '
            f'{_n(vx - r)},{_n(mid)}" fill="{MARKER}" stroke="#ffffff" stroke-width="1.2"/>'
        )
        label = f"You {_fmt(value, unit)}"
        half = _text_width(label, small) / 2
        lx = min(max(vx, pad + half), width - pad - half)
        parts.append(_text(lx, top - 4, label, size=small, anchor="middle", weight="bold"))
    base = height - 2
    parts.append(_text(pad, base, _fmt(lo, unit, tick=True), size=small - 1, fill=MUTED))
    parts.append(
        _text(width - pad, base, _fmt(hi, unit, tick=True), size=small - 1, fill=MUTED, anchor="end")
    )
    hint = {Direction.HIGHER_IS_BETTER: "better \u2192", Direction.LOWER_IS_BETTER: "\u2190 better"}
    if direction in hint:
        parts.append(_text(width / 2, base, hint[direction], size=small - 1, fill=MUTED, anchor="middle"))
    return _svg(width, height, _box_label(p10, p25, median, p75, p90, value, direction, unit), parts)


def _box_label(
    p10: float | None,
    p25: float,
    median: float,
    p75: float,
    p90: float | None,
    value: float | None,
    direction: Direction,
    unit: str,
) -> str:
    spread = f"cohort p25 {_fmt(p25, unit)}, p75 {_fmt(p75, unit)}"
    if p10 is not None and p90 is not None:
        spread += f", p10 {_fmt(p10, unit)}, p90 {_fmt(p90, unit)}"
    med = f"the cohort median {_fmt(median, unit)}"
    if value is None:
        return f"No value of yours for this window; cohort median {_fmt(median, unit)}; {spread}"
    side = "above" if value > median else "below" if value < median else "equal to"
    reading = ""
    if direction is not Direction.DESCRIPTIVE and value != median:
        better = (value > median) == (direction is Direction.HIGHER_IS_BETTER)
        reading = " (better)" if better else " (worse)"
    return f"Your value {_fmt(value, unit)} is {side} {med}{reading}; {spread}"


def suppressed_box(reason: str, width: float = 320, height: float = 44) -> str:
    """Placeholder for a suppressed cohort cell: the reason only, never a figure."""
    body = [
        f'<rect x="0.5" y="0.5" width="{_n(width - 1)}" height="{_n(height - 1)}" rx="4" fill="{FAINT}" '
        f'stroke="{GRID}" stroke-dasharray="4 3"/>',
        _text(width / 2, height / 2 + 3.5, reason, size=10, fill=MUTED, anchor="middle", italic=True),
    ]
    return _svg(width, height, f"Cohort figures not shown: {reason}", body)


# -- mixes and polls -------------------------------------------------------------------------------------


def _legend(
    items: Sequence[tuple[str, str, str | None]], x0: float, y0: float, width: float
) -> tuple[list[str], float]:
    """Swatches (a square, or a line with its dash when given one) with labels, wrapped to `width`."""
    parts, x, y, size = [], x0, y0, 9.5
    for label, colour, dash in items:
        swatch_w = 10 if dash is None else 18
        w = swatch_w + 4 + _text_width(label, size) + 12
        if x > x0 and x + w > x0 + width:
            x, y = x0, y + 15
        if dash is None:
            parts.append(_rect(x, y, 10, 10, colour, rx=2))
        else:
            parts.append(_line(x, y + 5, x + swatch_w, y + 5, colour, 2.2, dash))
        parts.append(_text(x + swatch_w + 4, y + 8.8, label, size=size, fill=INK))
        x += w
    return parts, (y - y0) + 15


def stacked_bars(
    rows: list[tuple[str, list[tuple[str, float]]]],
    *,
    width: float = 480,
    primary: str = DEFAULT_PRIMARY,
    unit: str = "%",
) -> str:
    """One 100% bar per row (e.g. You, Cohort median) split into labelled segments, with a legend."""
    primary = validate_primary(primary)
    names = list(dict.fromkeys(name for _, segments in rows for name, _ in segments))
    colours = dict(zip(names, _ramp(primary, len(names)), strict=True))
    label_w = min(max((_text_width(r, 10) * 1.15 for r, _ in rows), default=0) + 14, width * 0.35)  # bold
    x0, x1, bar_h, gap = label_w, width - 2, 20.0, 10.0
    total = max([100.0, *(sum(v for _, v in segs) for _, segs in rows)])
    parts, y = [], 2.0
    for row_label, segments in rows:
        parts.append(_text(x0 - 8, y + bar_h / 2 + 3.5, row_label, anchor="end", weight="bold"))
        x = x0
        for name, pct in segments:
            w = pct / total * (x1 - x0)
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(bar_h)}" '
                f'fill="{colours[name]}" stroke="#ffffff" stroke-width="1"/>'
            )
            text = f"{pct:.0f}%" if unit == "%" else _fmt(pct, unit)
            if w >= _text_width(text, 9) + 6:
                parts.append(
                    _text(
                        x + w / 2,
                        y + bar_h / 2 + 3.2,
                        text,
                        size=9,
                        fill=_text_on(colours[name]),
                        anchor="middle",
                    )
                )
            x += w
        y += bar_h + gap
    legend, legend_h = _legend([(n, colours[n], None) for n in names], x0, y, x1 - x0)
    described = "; ".join(f"{r}: " + ", ".join(f"{n} {_fmt(v, unit)}" for n, v in segs) for r, segs in rows)
    return _svg(width, y + legend_h + 2, f"Stacked bars. {described}", parts + legend)


def _wrap(text: str, max_chars: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def answer_bars(
    answers: list[tuple[str, float, float | None]], *, width: float = 360, primary: str = DEFAULT_PRIMARY
) -> str:
    """Poll results: a bar per answer on a 0-100% scale, its margin of error as an error bar."""
    primary = validate_primary(primary)
    x0, x1, bar_h, size = 2.0, width - 92, 12.0, 10.0
    x = _scale(0, 100, x0, x1)
    parts, y, described = [], 0.0, []
    for label, pct, moe in answers:
        for line in _wrap(label, int((width - 4) / (size * _CHAR_EM))):
            y += 13
            parts.append(_text(x0, y, line, size=size))
        y += 4
        parts.append(_rect(x0, y, x1 - x0, bar_h, FAINT, rx=2))
        parts.append(_rect(x0, y, x(pct) - x0, bar_h, primary, rx=2))
        end, cy = x(pct), y + bar_h / 2
        summary = f"{pct:.0f}%"
        if moe is not None:
            a, b = x(pct - moe), x(pct + moe)
            parts += [
                _line(a, cy, b, cy, INK, 1.2),
                _line(a, cy - 4, a, cy + 4, INK, 1.2),
                _line(b, cy - 4, b, cy + 4, INK, 1.2),
            ]
            end, summary = max(end, b), f"{pct:.0f}% \u00b1{moe:.0f}"
        parts.append(_text(end + 6, cy + 3.5, summary, size=9.5, fill=MUTED))
        described.append(f"{label} {pct:.1f}%" + (f" (margin of error {moe:.1f} points)" if moe else ""))
        y += bar_h + 6
    return _svg(width, y + 2, "Answers: " + "; ".join(described), parts)


# -- trends ----------------------------------------------------------------------------------------------


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Split points into runs broken at gaps (None)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def _path(run: list[tuple[float, float]], stroke: str, width: float, dash: str = "") -> str:
    if len(run) == 1:
        return f'<circle cx="{_n(run[0][0])}" cy="{_n(run[0][1])}" r="{_n(width)}" fill="{stroke}"/>'
    d = " ".join(f"{'M' if i == 0 else 'L'}{_n(px)} {_n(py)}" for i, (px, py) in enumerate(run))
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}" '
        f'stroke-linejoin="round" stroke-linecap="round"{dash_attr}/>'
    )


def sparkline(
    values: list[float | None],
    *,
    width: float = 100,
    height: float = 24,
    primary: str = DEFAULT_PRIMARY,
    unit: str = "",
) -> str:
    """A small trend line over periods, broken where a period has no value, the latest point marked."""
    primary = validate_primary(primary)
    present = [v for v in values if v is not None]
    if not present:
        return _svg(
            width, height, "No trend data", [_line(2, height / 2, width - 2, height / 2, GRID, 1, "2 2")]
        )
    lo, hi = min(present), max(present)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    step = (width - 8) / max(len(values) - 1, 1)
    y = _scale(lo, hi, height - 4, 4)
    points = [None if v is None else (4 + i * step, y(v)) for i, v in enumerate(values)]
    parts = [_path(run, primary, 1.5) for run in _runs(points)]
    last = next(p for p in reversed(points) if p is not None)
    parts.append(f'<circle cx="{_n(last[0])}" cy="{_n(last[1])}" r="2.5" fill="{MARKER}"/>')
    missing = len(values) - len(present)
    label = f"Trend over {len(values)} periods, from {_fmt(present[0], unit)} to {_fmt(present[-1], unit)}"
    label += f"; {missing} period{'s' if missing != 1 else ''} without a value" if missing else ""
    return _svg(width, height, label, parts)


def trend_lines(
    periods: list[str],
    series: list[tuple[str, list[float | None]]],
    *,
    unit: str = "",
    width: float = 480,
    height: float = 200,
    primary: str = DEFAULT_PRIMARY,
) -> str:
    """Lines per series (first is the tenant, solid primary; others muted/dashed) over periods, with axes."""
    primary = validate_primary(primary)
    present = [v for _, vals in series for v in vals if v is not None] or [0.0, 1.0]
    lo, hi = min(present), max(present)
    ticks = _ticks(lo, hi) if hi > lo else _ticks(lo - 1, hi + 1)
    lo, hi = ticks[0], ticks[-1]
    tick_labels = [_fmt(t, unit, tick=True) for t in ticks]
    left = max(_text_width(t, 9) for t in tick_labels) + 10
    last_half = _text_width(periods[-1], 9) / 2 if periods else 0
    top, bottom, right = 24.0, height - 20, width - max(4.0, last_half - 3)
    styles = [
        (primary, 2.2, ""),
        (MUTED, 1.8, "5 3"),
        (_mix(primary, "#ffffff", 0.5), 1.6, ""),
        (_mix(MUTED, "#ffffff", 0.4), 1.6, "2 2"),
    ]
    y = _scale(lo, hi, bottom, top)
    step = (right - left - 10) / max(len(periods) - 1, 1)
    px = [left + 5 + i * step for i in range(len(periods))]
    parts = []
    for t, label in zip(ticks, tick_labels, strict=True):
        parts += [
            _line(left, y(t), right, y(t), GRID if t != ticks[0] else MUTED, 0.8),
            _text(left - 5, y(t) + 3, label, size=9, fill=MUTED, anchor="end"),
        ]
    every = max(1, math.ceil(max((_text_width(p, 9) for p in periods), default=0) / max(step - 6, 1)))
    for i, period in enumerate(periods):
        if (len(periods) - 1 - i) % every == 0:  # keep the latest period labelled
            parts.append(_text(px[i], bottom + 13, period, size=9, fill=MUTED, anchor="middle"))
    legend_items, described = [], []
    for k, (name, vals) in enumerate(series):
        colour, stroke_w, dash = styles[k % len(styles)]
        points = [None if v is None else (px[i], y(v)) for i, v in enumerate(vals[: len(periods)])]
        parts += [_path(run, colour, stroke_w, dash) for run in _runs(points)]
        if k == 0:
            parts += [
                f'<circle cx="{_n(p[0])}" cy="{_n(p[1])}" r="2.6" fill="{colour}"/>' for p in points if p
            ]
        legend_items.append((name, colour, dash))
        shown = [f"{p} {_fmt(v, unit)}" for p, v in zip(periods, vals, strict=False) if v is not None]
        described.append(f"{name}: " + (", ".join(shown) or "no values"))
    legend, _ = _legend(legend_items, left, 2, right - left)
    return _svg(width, height, "Trend. " + "; ".join(described), parts + legend)


# -- quartiles -------------------------------------------------------------------------------------------


def quartile_colour(quartile: int | None) -> str:
    """Fixed, brand-independent colour for a quartile (4 = top); grey when there is no reading."""
    return _QUARTILES[quartile][0] if quartile in _QUARTILES else "#8a94a3"


def quartile_badge(quartile: int | None) -> str:
    """A small pill 'Q4' etc. in the quartile's colour; text carries the meaning, colour only repeats it."""
    text, words = (
        (f"Q{quartile}", _QUARTILES[quartile][1]) if quartile in _QUARTILES else ("\u2013", "no quartile")
    )
    fill = quartile_colour(quartile)
    body = [
        _rect(0, 0, 28, 16, fill, rx=8),
        _text(14, 11.5, text, size=9.5, fill=_text_on(fill), anchor="middle", weight="bold"),
    ]
    return _svg(28, 16, words.capitalize(), body)
