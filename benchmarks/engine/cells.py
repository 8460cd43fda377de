"""A cohort cell's stored values, and where one organisation sits in them (DESIGN.md 7).

A snapshot keeps its contributing organisations' values, rounded (`round_value`) and sorted ascending, as
little-endian float64 bytes. From them the read path derives one organisation's percentile rank, quartile
and gap to the median (`place_in_cell`, the one implementation of those three figures), and an upload's
incremental recompute adds or takes out one organisation's value (`add_value`, `remove_value`) and
recomputes the cell's statistics (`cell_result`) without reading any other organisation's rows. The bytes
are never published: they carry no organisation id, and only the figures DESIGN.md 7 defines leave here.
"""

from __future__ import annotations

import bisect
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from benchmarks.engine.statistics import (
    CellResult,
    gap_to_median,
    quartile,
    round_value,
    sorted_percentiles,
)
from benchmarks.metrics.catalogue import Direction

_SWAP = sys.byteorder != "little"  # stored little-endian whatever the machine


def normalise(value: float) -> float:
    """The value as it enters a cell: rounded at 9 decimals, and -0.0 as 0.0 (one byte form per number)."""
    return round_value(value) + 0.0


def pack_values(sorted_values: Iterable[float]) -> bytes:
    """Sorted values as little-endian float64 bytes (the stored form)."""
    packed = array("d", sorted_values)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def unpack_values(data: bytes | None) -> array:
    """The stored bytes back as a sorted array of floats (empty for no bytes)."""
    values = array("d")
    if data:
        values.frombytes(data)
        if _SWAP:
            values.byteswap()
    return values


def add_value(values: array, value: float) -> None:
    """Insert one organisation's (normalised) value, keeping the order."""
    bisect.insort(values, value)


def remove_value(values: array, value: float) -> bool:
    """Take one occurrence of the value out; False when the cell did not hold it."""
    index = bisect.bisect_left(values, value)
    if index < len(values) and values[index] == value:
        del values[index]
        return True
    return False


def cell_result(sorted_values: Sequence[float]) -> CellResult:
    """The cell's published statistics (or `Suppressed`), exactly as the full recompute computes them."""
    return sorted_percentiles(sorted_values)


@dataclass(frozen=True, slots=True)
class Place:
    rank: float
    quartile: int
    gap: float


def place_in_cell(
    value: float, sorted_values: Sequence[float], median: float, direction: Direction
) -> Place | None:
    """Rank, quartile and gap of an organisation whose value is one of the cell's values.

    Its peers are the cell's other values: rank = 100 x (peers it beats + 0.5 x peers it ties) / peers,
    beating read in the metric's direction (`=`: higher). None when the cell does not hold the value (or
    holds no peer).
    """
    own = normalise(value)
    below = bisect.bisect_left(sorted_values, own)
    not_above = bisect.bisect_right(sorted_values, own)
    n = len(sorted_values)
    if not_above == below or n < 2:
        return None
    ties = not_above - below - 1  # the organisation itself is not its own peer
    beats = n - not_above if Direction(direction) is Direction.LOWER_IS_BETTER else below
    # the same operations in the same order as statistics.percentile_rank: identical floats
    rank = 100.0 * (float(beats) + 0.5 * float(ties)) / float(n - 1)
    return Place(rank=rank, quartile=quartile(rank), gap=gap_to_median(own, median))
