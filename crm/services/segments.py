"""The one place that decides a customer's segment: VIP, Returning, New or Prospect."""

from sqlalchemy import case, update

from ..extensions import db
from ..models import Customer

# In tab order, with the label users see.
SEGMENT_LABELS = {"vip": "VIP", "returning": "Returning", "new": "New", "prospect": "Prospect"}


def segment_for(order_count: int, total_spent: int, vip_threshold: int) -> str:
    """Segment of one customer from paid-order count and lifetime spend (minor units)."""
    if total_spent >= vip_threshold:
        return "vip"
    if order_count >= 2:
        return "returning"
    if order_count == 1:
        return "new"
    return "prospect"


def segment_case(order_count, total_spent, vip_threshold: int):
    """The same rule as segment_for, as an SQL expression over the given columns."""
    return case(
        (total_spent >= vip_threshold, "vip"),
        (order_count >= 2, "returning"),
        (order_count == 1, "new"),
        else_="prospect",
    )


def reassign_all(vip_threshold: int) -> int:
    """Move every customer to the segment the threshold puts them in (after the threshold changes)."""
    expr = segment_case(Customer.order_count, Customer.total_spent, vip_threshold)
    result = db.session.execute(
        update(Customer).where(Customer.segment != expr).values(segment=expr),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount
