"""How many rows the import sends to the database at once (IN lists, executemany batches, progress reports)."""

from __future__ import annotations

from collections.abc import Iterator

CHUNK = 2_000


def chunks(items: list, size: int | None = None) -> Iterator[list]:
    """The list in slices of `size` (CHUNK, read when called, unless given)."""
    size = size or CHUNK
    for start in range(0, len(items), size):
        yield items[start:start + size]
