"""The optional Photon server (a self-hosted OpenStreetMap geocoder): asked in a worker thread with a short
timeout, its street-level results read into the stored conventions."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from http.client import HTTPException
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from sqlalchemy import or_, select

from ...extensions import db
from ...models import Locality
from .local import Suggestion
from .states import MAX_STATE, fold, format_label, normalize_postcode, normalize_state

MAX_BYTES = 1_000_000
# What a slow, failing or confused Photon server can raise here: timeouts, refused connections and HTTP
# errors are OSErrors; a broken HTTP exchange is an HTTPException; bad JSON a ValueError; a wrong shape the rest.
FAILURES = (OSError, HTTPException, ValueError, TypeError, KeyError, AttributeError)
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="photon")


def ask(base_url: str, typed: str, limit: int, timeout: float) -> Future:
    """Send the question now, so the server works while the local search runs; its answer comes as a Future."""
    return _pool.submit(_fetch, base_url, typed, limit, timeout)


def _fetch(base_url: str, typed: str, limit: int, timeout: float) -> dict:
    """Ask Photon's /api for house and street results (runs in a worker thread; no database here)."""
    root = base_url.rstrip("/").removesuffix("/api")
    params = [("q", typed), ("limit", str(limit)), ("lang", "en"), ("layer", "house"), ("layer", "street")]
    request = Request(f"{root}/api?{urlencode(params)}", headers={"Accept": "application/json"})
    with urlopen(request, timeout=timeout) as response:  # also bounds each socket wait
        body = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise ValueError("Photon answer too large")
    answer = json.loads(body)
    if not isinstance(answer, dict) or not isinstance(answer.get("features"), list):
        raise TypeError("Photon answer is not a GeoJSON FeatureCollection")
    return answer


def _text(properties: dict, key: str) -> str:
    """A property as tidy text ('' when missing or not text)."""
    value = properties.get(key)
    return " ".join(value.split()) if isinstance(value, str) else ""


def suggestions(answer: dict, country: str | None) -> list[Suggestion]:
    """Suggestions from Photon features that have a street, in the stored conventions; the country's first."""
    parsed = []
    for feature in answer["features"]:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        code = _text(properties, "countrycode").upper()[:2]
        street_name = _text(properties, "street") or (
            _text(properties, "name") if properties.get("osm_key") == "highway"
            or properties.get("type") == "street" else "")
        if not street_name:
            continue
        number = _text(properties, "housenumber")
        street = (f"{number}, {street_name}" if code == "MY" else f"{number} {street_name}") if number \
            else street_name
        try:
            state = normalize_state(code, _text(properties, "state"))
        except ValueError:
            state = _text(properties, "state")[:MAX_STATE]
        try:
            postcode = normalize_postcode(code, _text(properties, "postcode"))
        except ValueError:
            postcode = ""  # a range or a typo in the map data: better empty than wrong
        towns = [t for t in (_text(properties, k) for k in ("city", "district", "locality")) if t]
        parsed.append((code, street, towns, state, postcode))
    known = _gazetteer_towns({(code, postcode) for code, _s, _t, _st, postcode in parsed if postcode})
    out = []
    for code, street, towns, state, postcode in parsed:
        # The postal locality is whichever of city, district or locality the gazetteer has at that postcode
        # (in Australia the suburb, often Photon's district); else Photon's city.
        names = known.get((code, postcode), {})
        city = next((names[fold(t)] for t in towns if fold(t) in names), towns[0] if towns else "")
        out.append(Suggestion(format_label(code, street, city, state, postcode), street, city[:100], state,
                              postcode, code))
    out.sort(key=lambda s: s.country != country)
    return out


def _gazetteer_towns(keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """(country, postcode) -> {folded name: name} of the gazetteer's localities there."""
    if not keys:
        return {}
    rows = db.session.execute(select(Locality.country, Locality.postcode, Locality.city).where(
        or_(*((Locality.country == c) & (Locality.postcode == p) for c, p in keys))))
    out: dict[tuple[str, str], dict[str, str]] = {}
    for code, postcode, city in rows:
        out.setdefault((code, postcode), {})[fold(city)] = city
    return out
