"""Rate limits counted in the shop's own database, so every process serving the shop shares them.

Flask-Limiter counts in memory unless told otherwise, and then each gunicorn worker keeps its own count: two
workers let through twice the limit. Redis or memcached would fix that with another service to run; the
database is already shared by every worker, so by default the counts live there (table rate_limit), each hit
one upsert in a transaction of its own. `CRM_RATELIMIT_STORAGE_URI` can still point the limits at Redis.

This is a storage for the `limits` library (the fixed-window strategy Flask-Limiter uses by default), which
finds it by the scheme of RATELIMIT_STORAGE_URI: "crm-database://".
"""

from __future__ import annotations

import hashlib
import itertools
import time

from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db, upsert
from .models import RateLimitCounter

SCHEME = "crm-database"
SWEEP_EVERY = 500  # hits per process between deletions of windows that ran out
_counter = RateLimitCounter.__table__


def _key(key: str) -> str:
    """The stored key: the limiter's own, or its sha256 when longer than the column."""
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters in the rate_limit table, through the current app's database engine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        """Nothing to connect to: each call uses the engine of the app handling the request."""
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._hits = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception]:
        """What the database layer raises."""
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` hits in the key's window (a new window when none is open) and return the count."""
        now = time.time()
        with db.engine.begin() as conn:
            stmt = upsert(_counter, conn).values(key=_key(key), hits=amount, expires_at=now + expiry)
            ran_out = _counter.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(index_elements=[_counter.c.key], set_={
                "hits": case((ran_out, amount), else_=_counter.c.hits + amount),
                "expires_at": case((ran_out, now + expiry), else_=_counter.c.expires_at),
            }).returning(_counter.c.hits)
            hits = conn.execute(stmt).scalar_one()
            if next(self._hits) % SWEEP_EVERY == 0:
                conn.execute(delete(_counter).where(_counter.c.expires_at <= now))
        return hits

    def get(self, key: str) -> int:
        """The hits counted in the key's open window (0 when none is open)."""
        with db.engine.connect() as conn:
            hits = conn.execute(select(_counter.c.hits).where(
                _counter.c.key == _key(key), _counter.c.expires_at > time.time())).scalar()
        return hits or 0

    def get_expiry(self, key: str) -> float:
        """When the key's window closes (now, when none is open)."""
        now = time.time()
        with db.engine.connect() as conn:
            ends = conn.execute(select(_counter.c.expires_at).where(_counter.c.key == _key(key))).scalar()
        return ends if ends is not None and ends > now else now

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with db.engine.connect() as conn:
                conn.execute(select(func.count()).select_from(_counter).limit(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        """Forget every count."""
        with db.engine.begin() as conn:
            return conn.execute(delete(_counter)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's count."""
        with db.engine.begin() as conn:
            conn.execute(delete(_counter).where(_counter.c.key == _key(key)))
