"""The shop's data: customers and what hangs off them, orders, owners and the shop's settings.

One module per area; every model and constant is importable from `crm.models` as before the split.
"""

from .accounts import ROLES, Installation, RateLimitCounter, User, UserSession
from .arrivals import ApiToken, FollowCode
from .audit import AUDIT_ACTIONS, CUSTOMER_ACTIONS, AuditEvent
from .bulk import BULK_ACTIONS, BULK_STATUSES, BulkJob
from .counts import ALL_SEGMENTS, InsightMonth, LocationCount, SegmentCount
from .customers import SOURCES, Address, Customer, Membership, Note
from .deleted import DeletedCustomer
from .imports import IMPORT_STATUSES, ImportChange, ImportJob
from .jobs import JOB_OUTCOMES, JobRun, WorkerBeat
from .orders import ORDER_STATUSES, Order, OrderItem
from .organise import TAG_NAME_LENGTH, CustomerTag, SavedView, Tag
from .shop import GazetteerSource, Locality, ShopSettings
from .team import Invitation
from .two_step import RecoveryCode
from .types import UTCDateTime, utcnow

__all__ = [
    "ALL_SEGMENTS", "AUDIT_ACTIONS", "BULK_ACTIONS", "BULK_STATUSES", "CUSTOMER_ACTIONS", "IMPORT_STATUSES", "JOB_OUTCOMES", "ORDER_STATUSES", "ROLES",
    "SOURCES", "TAG_NAME_LENGTH", "UNMODELLED",
    "Address", "ApiToken", "AuditEvent", "BulkJob", "Customer", "CustomerTag", "DeletedCustomer", "FollowCode", "GazetteerSource",
    "ImportChange", "ImportJob", "InsightMonth", "Installation", "Invitation", "JobRun", "Locality", "LocationCount",
    "Membership", "Note", "Order", "OrderItem", "RateLimitCounter", "RecoveryCode", "SavedView", "SegmentCount",
    "ShopSettings", "Tag", "UTCDateTime", "User", "UserSession", "WorkerBeat",
    "include_in_migrations", "utcnow",
]

# Search indexes made by migrations 0002 and 0005 outside the models (SQLite FTS5 tables and their shadow
# tables, PostgreSQL trigram indexes): autogenerate must not offer to drop them.
UNMODELLED = ("customer_fts", "ix_customer_search_trgm", "locality_fts", "ix_locality_search_trgm",
              "address_fts", "ix_address_search_trgm")


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object hook: leave the unmodelled search indexes alone."""
    return not (reflected and name and name.startswith(UNMODELLED))
