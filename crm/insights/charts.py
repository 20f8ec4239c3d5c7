"""Geometry for the server-drawn SVG charts: shares, bar lengths and round axis steps, worked out in Python
so the templates only place shapes."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Slice:
    """One part of a 100% stacked bar: where it starts and how wide it is, in percent of the bar."""

    key: str
    value: int
    start: float
    width: float


def stacked(values: dict[str, int]) -> list[Slice]:
    """Parts of a whole laid end to end (an empty whole gives no slices)."""
    total = sum(values.values())
    slices, start = [], 0.0
    for key, value in values.items():
        if total and value:
            width = 100.0 * value / total
            slices.append(Slice(key, value, start, width))
            start += width
    return slices


def percent_of_max(values: list[int]) -> list[float]:
    """Each value as a percentage of the largest (bars of a ranking); all zero when the largest is zero."""
    top = max(values, default=0)
    return [100.0 * v / top if top else 0.0 for v in values]


def nice_ticks(largest: int, steps: int = 4) -> list[int]:
    """Round axis values from 0 to at least `largest`: 0, 250, 500, 750, 1,000 and the like."""
    if largest <= 0:
        return [0, 1]
    raw = largest / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, math.ceil(step))
    return [i * step for i in range(math.ceil(largest / step) + 1)]
