"""The team's clock, one place for tests to move (an invitation's 7 days, deactivation times)."""

from datetime import datetime

from ...models import utcnow


def now() -> datetime:
    """The current time, aware, in UTC."""
    return utcnow()
