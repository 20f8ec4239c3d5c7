"""The Customers area's views, one module per concern, all on the one `customers` blueprint (so every
endpoint is `customers.<view>` and templates and tests reach them through url_for)."""

# Each module adds its routes to bp when imported.
from . import (  # noqa: F401
    bulk,
    columns,
    deleted,
    editing,
    export,
    listing,
    live_checks,
    notes,
    orders,
    profile,
    removal,
    saved,
    tags,
)
from .base import bp

__all__ = ["bp"]
