"""The tag service: the name rule, one customer's tags, tags on thousands at once, and Settings' list changes,
each with the trail and the kept counts (Tag.customers)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.customers.checks import Invalid
from crm.extensions import db
from crm.models import AuditEvent, Customer, CustomerTag, Tag
from crm.services import deleted, erasure, tags

from . import factories


def counted(tag: Tag) -> int:
    """The customers carrying the tag, counted from customer_tag (what the kept count must equal)."""
    return db.session.scalar(select(func.count()).where(CustomerTag.tag_id == tag.id))


def names_of(customer: Customer) -> list[str]:
    db.session.expire(customer, ["tags"])
    return [t.name for t in customer.tags]


def tag_events(customer_id=None):
    stmt = select(AuditEvent).where(AuditEvent.action == "tag").order_by(AuditEvent.id)
    if customer_id is not None:
        stmt = stmt.where(AuditEvent.customer_id == customer_id)
    return db.session.scalars(stmt).all()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Type a tag name"), ("   ", "Type a tag name"), (None, "Type a tag name"),
    ("x" * 41, "Keep a tag name to 40 characters (this one has 41)"),
    ("VIP\x1b", "Remove the invisible control characters"), ("A\u202eB", "Remove the invisible control characters"),
    ("Red, blue", "Leave out commas and semicolons: they separate tags in files"),
    ("Red; blue", "Leave out commas and semicolons: they separate tags in files"),
])
def test_bad_names_are_refused_with_a_message(typed, message):
    with pytest.raises(Invalid, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        tags.clean_name(typed)


def test_a_name_is_squeezed_and_40_characters_fit():
    assert tags.clean_name("  Wholesale   buyer ") == "Wholesale buyer"
    assert tags.clean_name("x" * 40) == "x" * 40


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_is_a_clean_name_or_a_message(typed):
    try:
        name = tags.clean_name(typed)
    except Invalid as exc:
        assert str(exc)
        return
    assert name == " ".join(name.split()) and 0 < len(name) <= 40
    assert not any(c in name for c in ",;") and tags.clean_name(name) == name


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_names_differing_in_case_are_one_tag(ctx, typed):
    try:
        name = tags.clean_name(typed)
    except Invalid:
        return
    first = tags.get_or_create(name)
    for other in (name.upper(), name.lower(), name.swapcase()):
        if tags.key_of(other) == tags.key_of(name):  # "ı" upper-cases to "I", which folds to "i": another tag
            assert tags.find(other) is first
    assert first.name == name
    db.session.rollback()


def test_a_tag_made_in_a_transaction_rolled_back_is_gone(ctx):
    """Making a tag is part of the caller's transaction, also when it is the transaction's first write."""
    assert tags.get_or_create("Wholesale").name == "Wholesale"
    db.session.rollback()
    assert tags.find("Wholesale") is None


def test_get_or_create_makes_one_tag_whatever_the_case(ctx):
    vip = tags.get_or_create("VIP")
    assert tags.get_or_create("vip") is vip and tags.find(" Vip ") is vip
    assert db.session.scalar(select(func.count()).select_from(Tag)) == 1 and vip.name == "VIP"


def test_add_and_remove_keep_trail_and_count(ctx, owner):
    customer = factories.customer("Ada", "Lovelace")
    wholesale, vip = tags.get_or_create("Wholesale"), tags.get_or_create("vip")
    assert tags.add(customer, wholesale, None)
    assert tags.add(customer, vip, None)
    assert not tags.add(customer, tags.find("VIP"), None)  # already there: nothing happens
    assert names_of(customer) == ["vip", "Wholesale"]
    assert (vip.customers, wholesale.customers) == (1, 1) == (counted(vip), counted(wholesale))
    assert tags.remove(customer, wholesale, None) and not tags.remove(customer, wholesale, None)
    assert wholesale.customers == 0 == counted(wholesale)
    trail = [(e.field, e.old_value, e.new_value, e.subject) for e in tag_events(customer.id)]
    assert trail == [("Tags", None, "Wholesale", "Ada Lovelace"), ("Tags", "Wholesale", "vip; Wholesale", "Ada Lovelace"),
                     ("Tags", "vip; Wholesale", "vip", "Ada Lovelace")]


def test_add_to_many_skips_those_who_have_it_and_writes_one_entry_each(ctx):
    people = [factories.customer(f"P{i}", "Many") for i in range(3000)]
    vip, other = tags.get_or_create("VIP"), tags.get_or_create("Local")
    for person in people[:10]:
        tags.add(person, vip, None)
    tags.add(people[20], other, None)
    before = len(tag_events())
    ids = select(Customer.id).where(Customer.last_name == "Many")
    assert tags.add_to_many(vip, ids, None, actor="Bulk action") == 2990
    assert vip.customers == 3000 == counted(vip)
    events = tag_events()[before:]
    assert len(events) == 2990 and {e.customer_id for e in events}.isdisjoint({p.id for p in people[:10]})
    assert {e.actor for e in events} == {"Bulk action"}
    twenty = next(e for e in events if e.customer_id == people[20].id)
    assert (twenty.old_value, twenty.new_value, twenty.subject) == ("Local", "Local; VIP", "P20 Many")
    assert tags.add_to_many(vip, ids, None) == 0
    assert tags.remove_from_many(vip, ids.where(Customer.first_name.in_(["P1", "P20"])), None) == 2
    assert vip.customers == 2998 == counted(vip)
    last = tag_events()[-1]
    assert (last.old_value, last.new_value) == ("Local; VIP", "Local") or (last.old_value, last.new_value) == ("VIP", None)


def test_rename_keeps_customers_and_refuses_another_tags_name(ctx):
    customer = factories.customer("Ada", "Lovelace")
    old, other = tags.get_or_create("Wholsale"), tags.get_or_create("Local")
    tags.add(customer, old, None)
    with pytest.raises(Invalid, match="There is already a tag “Local”"):
        tags.rename(old, "LOCAL", None)
    assert tags.rename(old, "Wholesale", None) and not tags.rename(old, "Wholesale", None)
    assert tags.rename(old, "wholesale", None)  # a change of case alone is a rename
    assert names_of(customer) == ["wholesale"] and old.customers == 1
    last = tag_events(customer.id)[-1]
    assert (last.old_value, last.new_value) == ("Wholesale", "wholesale")
    assert other.customers == 0


def test_merge_leaves_each_customer_with_one_of_them(ctx):
    both, only_source, only_target = (factories.customer(n, "M") for n in ("Both", "Source", "Target"))
    source, target = tags.get_or_create("Wholesale"), tags.get_or_create("Trade")
    for person in (both, only_source):
        tags.add(person, source, None)
    for person in (both, only_target):
        tags.add(person, target, None)
    with pytest.raises(Invalid, match="merged into itself"):
        tags.merge(source, source, None)
    assert tags.merge(source, target, None) == 2
    assert tags.find("Wholesale") is None and target.customers == 3 == counted(target)
    assert names_of(both) == ["Trade"] == names_of(only_source) == names_of(only_target)
    merged = tag_events(only_source.id)[-1]
    assert (merged.old_value, merged.new_value) == ("Wholesale", "Trade")
    listed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tags")).one()
    assert "Merged “Wholesale” into “Trade”: 2 customers had “Wholesale”" == listed.detail


def test_delete_takes_the_tag_off_everyone(ctx):
    people = [factories.customer(f"D{i}", "Del") for i in range(50)]
    tag = tags.get_or_create("Old")
    tags.add_to_many(tag, select(Customer.id), None)
    assert tags.delete_tag(tag, None) == 50
    assert db.session.scalar(select(func.count()).select_from(CustomerTag)) == 0
    assert all(names_of(p) == [] for p in people[:3])
    assert len([e for e in tag_events() if e.new_value is None]) == 50


def test_recolour_takes_palette_colours_only(ctx):
    tag = tags.get_or_create("VIP")
    assert tags.recolour(tag, "teal", None) and tag.colour == "teal" and not tags.recolour(tag, "teal", None)
    with pytest.raises(Invalid, match="Choose one of the colours offered"):
        tags.recolour(tag, "chartreuse", None)
    assert tags.recolour(tag, "", None) and tag.colour is None


def test_recently_deleted_keeps_tags_and_gives_them_back(ctx):
    customer = factories.customer("Bin", "Person")
    keep, merged, gone, into = (tags.get_or_create(n) for n in ("Keep", "Merged", "Gone", "Into"))
    for tag in (keep, merged, gone):
        tags.add(customer, tag, None)
    entry = erasure.delete_customer(customer, None)
    assert (keep.customers, counted(keep)) == (0, 0)
    tags.rename(keep, "Kept", None)
    tags.merge(merged, into, None)
    tags.delete_tag(gone, None)
    restored = deleted.restore(entry, None).customer
    assert names_of(restored) == ["Into", "Kept"]
    assert (keep.customers, into.customers) == (1, 1) == (counted(keep), counted(into))


def test_anonymize_takes_the_tags_off(ctx):
    customer = factories.make_customer("Anna", "Nym", email="anna@example.com", orders_spec=[(1000, "paid")])
    tag = tags.get_or_create("Allergic to nuts")
    tags.add(customer, tag, None)
    erasure.anonymize_customer(customer, None)
    assert names_of(customer) == [] and tag.customers == 0 == counted(tag)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "anonymize")).one()
    assert event.detail == "Personal data and tags erased; orders and totals kept"


def test_purge_removes_a_binned_customers_tags_for_good(ctx):
    customer = factories.customer("Gone", "ForGood")
    tag = tags.get_or_create("Local")
    tags.add(customer, tag, None)
    erasure.delete_customer(customer, None)
    assert deleted.purge(everything=True) == ["Gone ForGood"]
    assert tag.customers == 0 == counted(tag) and tags.find("local") is tag  # the tag stays, unused
