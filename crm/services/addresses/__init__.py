"""Delivery addresses: suggestions for the "Street" combobox, states per country, postcode checks.

Suggestions come from two offline sources, so they work with no network (local.py):

- the shop's own past addresses (table `address`), matched by street, suburb, state and postcode;
- the bundled gazetteer of localities (table `locality`, loaded by `crm.services.gazetteer`), which turns
  "12 Smith St parra" into "12 Smith St, Parramatta NSW 2150".

An optional Photon server (self-hosted OpenStreetMap geocoder, photon.py) adds street-level results when it
answers within a short timeout; when it is slow, down or answers nonsense, the local results stand alone
(suggestions.py puts the two together).

Stored conventions (states.py): Australian states as their abbreviation ("NSW"), Malaysian states and federal
territories by their full Malay name as in ISO 3166-2:MY ("Selangor", "Wilayah Persekutuan Kuala Lumpur");
postcodes as digits (AU 4, MY 5).
"""

from .local import Suggestion
from .states import (
    AU_STATES,
    COUNTRY_NAMES,
    MAX_POSTCODE,
    MAX_STATE,
    MY_STATES,
    POSTCODE_DIGITS,
    POSTCODE_MESSAGES,
    fold,
    format_label,
    locality_search_text,
    normalize_postcode,
    normalize_state,
    state_name,
    states_for,
)
from .suggestions import suggest

__all__ = ["AU_STATES", "COUNTRY_NAMES", "MAX_POSTCODE", "MAX_STATE", "MY_STATES", "POSTCODE_DIGITS",
           "POSTCODE_MESSAGES", "Suggestion", "fold", "format_label", "locality_search_text", "normalize_postcode",
           "normalize_state", "state_name", "states_for", "suggest"]
