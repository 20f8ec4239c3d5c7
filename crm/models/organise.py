"""How a shop organises its customers: tags (a shop-wide list, any number per customer) and saved views of the list."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .accounts import User

TAG_NAME_LENGTH = 40


class Tag(db.Model):
    """A tag of the shop's list. `name_key` (the name case-folded) is unique, so "VIP" and "vip" are one tag."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(TAG_NAME_LENGTH * 2))  # case-folding can lengthen a name
    colour: Mapped[str | None] = mapped_column(String(16))  # a key of the fixed palette, or none
    # Kept in the same transaction as customer_tag's rows, so Settings › Tags needs no count per request.
    customers: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("uq_tag_name_key", "name_key", unique=True),)


class CustomerTag(db.Model):
    """One tag on one customer."""

    __tablename__ = "customer_tag"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    # The customer's segment, copied by triggers (migration 0022) so a tag's tab counts read this table alone.
    # Left out of an INSERT, the trigger fills it in. Deferred, as Membership.segment.
    segment: Mapped[str] = mapped_column(String(20), server_default=text("''"), deferred=True)

    tag: Mapped[Tag] = relationship()

    # The primary key serves "this customer's tags"; this one serves "the customers with this tag" (per tab).
    __table_args__ = (Index("ix_customer_tag_tag", "tag_id", "segment", "customer_id"),)


class SavedView(db.Model):
    """A named customer list (tab, search, filters, sort) shown as a tab for the whole team.

    `args` holds the list's URL arguments as the list reads them. `builtin` names a view the shop starts
    with ("lapsed"), whose arguments follow a setting.
    """

    __tablename__ = "saved_view"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # The name case-folded, unique: two people saving "VIPs" and "vips" at once get one view, not two.
    name_key: Mapped[str] = mapped_column(String(180))  # case-folding can triple a character ("ﬃ")
    position: Mapped[int] = mapped_column(Integer, default=0)
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    builtin: Mapped[str | None] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_saved_view_position", "position", "id"),
        Index("uq_saved_view_builtin", "builtin", unique=True),
        Index("uq_saved_view_name_key", "name_key", unique=True),
    )

    @validates("name")
    def _key_follows_name(self, _attribute: str, name: str) -> str:
        """Keep name_key with every name given."""
        self.name_key = name.casefold()
        return name
