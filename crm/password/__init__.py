"""Forgotten passwords: the reset link and the page it opens."""
