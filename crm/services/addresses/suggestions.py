"""What the "Street" combobox offers for the typed text: local suggestions, led by Photon's when it answers."""

from __future__ import annotations

import logging
import time

from . import photon
from .local import Suggestion, local_suggestions, unique

log = logging.getLogger(__name__)
MIN_QUERY = 3  # fewer characters typed: no suggestions yet


def suggest(query: str, *, country: str | None, limit: int = 8, provider: str = "local",
            photon_url: str | None = None, timeout: float = 0.3) -> list[Suggestion]:
    """Address suggestions for what was typed in "Street", best first; [] for fewer than 3 characters.

    Local results: the shop's own addresses that read as the typed text, and the typed street placed in each
    gazetteer locality matching the trailing words or postcode. `country` (the shop's) sorts first. With
    provider "photon" and a URL, the Photon server's street-level results lead when they come within
    `timeout` seconds; any failure there leaves the local results. Never raises for network trouble.
    """
    typed = " ".join((query or "").split())
    if len(typed) < MIN_QUERY or limit <= 0:
        return []
    preferred = (country or "").upper() or None
    started = time.monotonic()
    pending = None
    if provider == "photon" and photon_url:
        # Sent first so the server works while the local search runs.
        pending = photon.ask(photon_url, typed, limit, timeout)
    local = local_suggestions(typed, preferred, limit)
    if pending is None:
        return local
    try:
        answer = pending.result(timeout=max(0.0, timeout - (time.monotonic() - started)))
        remote = photon.suggestions(answer, preferred)
    except photon.FAILURES as exc:  # timeout, refused, HTTP error, bad JSON: the local results stand
        log.info("Photon gave no suggestions for %r: %s", typed, exc or type(exc).__name__)
        return local
    return unique([*remote, *local], limit)
