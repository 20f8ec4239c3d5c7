"""Recently deleted: customers deleted in the last 30 days, kept whole so that they can be put back."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .accounts import User


class DeletedCustomer(db.Model):
    """A deleted customer, out of the customer table (so out of every list, count, search, export and match)
    until they are restored or purged; crm.services.deleted writes and reads `data`.

    `data` holds every column of the customer, their address and membership, their notes, and the ids of
    their trail events (which lost their link to the customer when the row went).
    """

    __tablename__ = "deleted_customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer)  # the id they had; restored under it while it is free
    name: Mapped[str] = mapped_column(String(201))  # display name when deleted
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deleted_by: Mapped[str] = mapped_column(String(254))  # the trail's name for who deleted them
    data: Mapped[dict] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_deleted_customer_deleted_at", "deleted_at", "id"),)
