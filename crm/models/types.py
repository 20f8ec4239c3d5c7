"""Column types and helpers every model module shares: UTC datetimes and CHECK constraints over a list."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC without a zone (same on SQLite and PostgreSQL) and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def values_in(column: str, values: tuple[str, ...]) -> str:
    """SQL for a CHECK constraint: the column holds one of these values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
