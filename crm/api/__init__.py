"""The order API (/api/v1): JSON for the shop's checkout, authenticated by bearer tokens."""
