"""The Customers area's views, one module per concern, all on the one `customers` blueprint (so every
endpoint is `customers.<view>` and templates and tests reach them through url_for)."""

# Each module adds its routes to bp when imported.
from . import bulk, deleted, editing, export, listing, live_checks, notes, orders, profile, removal, tags  # noqa: F401
from .base import bp

__all__ = ["bp"]
