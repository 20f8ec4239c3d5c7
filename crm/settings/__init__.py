"""The shop's settings page."""
