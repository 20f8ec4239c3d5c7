"""What a tag is called and coloured: the name rule, the fixed palette, and finding a tag by its name.

A name is one line of at most 40 characters, compared case-insensitively ("VIP" and "vip" are one tag), with
no control characters, and without the commas and semicolons that separate tags in a file's tags cell.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...customers.checks import Invalid
from ...extensions import db, insert_or_ignore
from ...models import TAG_NAME_LENGTH, Customer, Tag, utcnow
from .. import text

# The colour keys a tag may have and how the colour picker names them. Each key's chip colours are in
# crm/static/app.css (.tag-<key>), every one with text at 4.5:1 or more on its background (tests check it).
# The names are translatable: the trail keeps them in English (audit.record).
PALETTE = {"grey": _l("Grey"), "red": _l("Red"), "orange": _l("Orange"), "yellow": _l("Yellow"),
           "green": _l("Green"), "teal": _l("Teal"), "blue": _l("Blue"), "purple": _l("Purple"), "pink": _l("Pink")}
SEPARATORS = ",;"  # a tags cell lists names with either (Shopify's export uses commas, crm's semicolons)
KEY_LENGTH = TAG_NAME_LENGTH * 2  # the column's size: case-folding can lengthen a name


def key_of(name: str) -> str:
    """The name as tags are told apart: case-folded ("Straße" and "STRASSE" are one tag)."""
    return name.casefold()


def clean_name(typed: str | None) -> str:
    """A tag name as kept (trimmed, spaces squeezed); Invalid saying what to change."""
    if typed and text.has_control_characters(typed):
        raise Invalid(text.CONTROL_CHARACTERS_MESSAGE)
    name = text.squeeze(typed)
    if not name:
        raise Invalid(_("Type a tag name"))
    if len(name) > TAG_NAME_LENGTH:
        raise Invalid(_("Keep a tag name to %(most)s characters (this one has %(length)s)", most=TAG_NAME_LENGTH,
                        length=len(name)))
    if any(c in name for c in SEPARATORS):
        raise Invalid(_("Leave out commas and semicolons: they separate tags in files"))
    if len(key_of(name)) > KEY_LENGTH:
        raise Invalid(_("Use a shorter tag name"))
    return name


def find(name: str | None) -> Tag | None:
    """The tag with this name in any case (spaces squeezed), or None."""
    name = text.squeeze(name)
    if not name:
        return None
    return db.session.scalars(select(Tag).where(Tag.name_key == key_of(name))).first()


def get_or_create(name: str | None) -> Tag:
    """The tag with this name, made when the shop has none (Invalid for a name the rule refuses)."""
    name = clean_name(name)
    tag = find(name)
    if tag is not None:
        return tag
    # Another request may make the same tag at this instant: its row wins and this one is the same tag. An
    # INSERT that ignores the clash, not a savepoint: on SQLite a savepoint opened before the transaction's
    # first write is a transaction of its own, committed when it ends, whatever the caller does next.
    db.session.execute(insert_or_ignore(Tag.__table__).values(name=name, name_key=key_of(name), customers=0,
                                                              created_at=utcnow()))
    return find(name)


def clean_colour(colour: str | None) -> str | None:
    """A palette key, or None for no colour; Invalid for anything else."""
    if not colour:
        return None
    if colour not in PALETTE:
        raise Invalid(_("Choose one of the colours offered"))
    return colour


def listing() -> list[Tag]:
    """Every tag of the shop, by name."""
    return list(db.session.scalars(select(Tag).order_by(Tag.name_key)))


def suggestions(limit: int = 500) -> list[str]:
    """The names the "Add tag" box suggests: the most used first."""
    return list(db.session.scalars(select(Tag.name).order_by(Tag.customers.desc(), Tag.name_key).limit(limit)))


def load_on(customers: list) -> None:
    """Read the tags of a page of customers in one query (the list shows them on every row)."""
    if customers:
        db.session.scalars(select(Customer).where(Customer.id.in_([c.id for c in customers]))
                           .options(selectinload(Customer.tags))).all()
