"""Checks and generators for the customer form's fields: ABN, customer passwords, membership IDs, emails."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from crm.customers import checks
from crm.extensions import db
from crm.services import business, emails, memberships, passwords

from . import factories
from .factories import make_customer


@pytest.mark.parametrize(("raw", "digits"), [
    ("51 824 753 556", "51824753556"), ("51824753556", "51824753556"), ("  51 824 753 556 ", "51824753556"),
    ("53 004 085 616", "53004085616"),
])
def test_abn_accepted(raw, digits):
    assert business.normalize_abn(raw) == digits
    assert business.format_abn(digits) == f"{digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:]}"


@pytest.mark.parametrize(("raw", "message"), [
    ("51 824 753 557", "check digits don't match"), ("12 345 678 901", "check digits don't match"),
    ("5182475355", "11 digits"), ("518247535561", "11 digits"), ("", "11 digits"),
    ("51-824-753-556x", "only digits"), ("٥١٨٢٤٧٥٣٥٥٦", None),
])
def test_abn_refused(raw, message):
    with pytest.raises(business.InvalidABN, match=message):
        business.normalize_abn(raw)


def test_generated_passwords_are_strong_and_readable():
    seen = set()
    for _ in range(200):
        password = passwords.generate_password()
        assert len(password) >= 16
        assert not set(password) & set("0Oo1lI")
        assert set(password) <= set(string.ascii_letters + string.digits)
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
        seen.add(password)
    assert len(seen) == 200


def test_customer_password_is_stored_as_a_hash(app):
    with app.app_context():
        hashed = passwords.hash_customer_password("s3cret-pass")
    assert hashed.startswith("scrypt:") and "s3cret-pass" not in hashed


def test_generated_membership_ids_have_prefix_and_luhn_digit(app):
    with app.app_context():
        ids = {memberships.generate_membership_id("kg") for _ in range(50)}
    assert len(ids) == 50
    for value in ids:
        assert value.startswith("KG") and len(value) == 2 + memberships.DIGITS + 1
        assert luhn.is_valid(value[2:])


def test_generated_membership_id_is_never_one_in_use(app, monkeypatch):
    with app.app_context():
        customer = make_customer()
        taken = "M" + "12345678" + luhn.calc_check_digit("12345678")
        factories.membership(customer, taken)
        db.session.commit()
        draws = iter("12345678" + "87654321")
        monkeypatch.setattr(memberships.secrets, "choice", lambda _digits: next(draws))
        fresh = memberships.generate_membership_id("M")
        assert fresh == "M87654321" + luhn.calc_check_digit("87654321")


@pytest.mark.parametrize(("raw", "expected"), [(" vip-0042 ", "VIP-0042"), ("A1", "A1")])
def test_typed_membership_ids(app, raw, expected):
    with app.app_context():
        assert memberships.normalize_membership_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "-LEADING", "has space", "émoji😀", "x" * 41])
def test_malformed_membership_ids_refused(app, raw):
    with app.app_context(), pytest.raises(memberships.InvalidMembershipID, match="letters, digits and dashes"):
        memberships.normalize_membership_id(raw)


def test_membership_id_in_use_is_refused_except_for_its_holder(app):
    with app.app_context():
        holder = make_customer()
        factories.membership(holder, "VIP-1")
        db.session.commit()
        with pytest.raises(memberships.InvalidMembershipID, match="already has"):
            memberships.normalize_membership_id("vip-1")
        assert memberships.normalize_membership_id("vip-1", exclude_customer_id=holder.id) == "VIP-1"


def test_profile_shows_abn_grouped(logged_in, app):
    with app.app_context():
        customer = make_customer(company_name="Acme Pty Ltd")
        customer.abn = "51824753556"
        db.session.commit()
        cid = customer.id
    assert "51 824 753 556" in logged_in.get(f"/customers/{cid}").get_data(as_text=True)


# ---- emails: the quick path of checks.normalize_email gives what email-validator gives ---------------------

_ATOM = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
_LOCAL_PARTS = st.one_of(
    st.lists(st.text(_ATOM, min_size=1, max_size=24), min_size=1, max_size=4).map(".".join),  # plain dot-atoms
    st.text(_ATOM + '."()<>[]:;@\\, ', max_size=70),  # near them: dots at the ends, quotes, spaces, too long
    st.text(max_size=12),  # anything
)
_LABELS = st.one_of(
    st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=20),
    st.text(string.ascii_letters + string.digits + "-_", max_size=66),  # empty, too long, underscores
    st.sampled_from(["EXAMPLE", "com", "test", "xn--bcher-kva", "bücher", "1", "-a", "a-", "localhost"]),
    st.text(max_size=8),
)
_DOMAINS = st.one_of(st.lists(_LABELS, min_size=1, max_size=5).map(".".join),
                     st.sampled_from(["", "[127.0.0.1]", "example.test", "Example.COM", "localhost"]))
_LIKELY_DOMAINS = st.builds(  # domains most addresses have: words, then a top-level domain
    lambda words, top: ".".join([*words, top]),
    st.lists(st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=12), min_size=1, max_size=3),
    st.sampled_from(["com", "COM", "com.au", "my", "test", "example", "co", "xn--p1ai", "c0m", "1"]))
_ADDRESSES = st.one_of(
    st.builds(lambda local, domain: f"{local}@{domain}", _LOCAL_PARTS, _LIKELY_DOMAINS),
    st.builds(lambda pad, local, domain: f"{pad}{local}@{domain}{pad}", st.sampled_from(["", " ", " \t"]),
              _LOCAL_PARTS, _DOMAINS),
    st.text(max_size=40),
)


def _outcome(normalize, address: str) -> tuple[str, str]:
    """The normalized address, or the reason it is refused."""
    try:
        return ("normalized", normalize(address))
    except emails.InvalidEmail as exc:
        return ("refused", str(exc))


@settings(max_examples=400, deadline=None)
@given(_ADDRESSES)
def test_the_email_quick_path_equals_email_validator(address):
    assert _outcome(checks.normalize_email, address) == _outcome(emails.normalize_email, address)
