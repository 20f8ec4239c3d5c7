"""Addresses as each country's post writes them (crm/services/addresses/lines.py), on the profile too; the profile's
email breaking where a reader expects."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.services.addresses.lines import lines

from . import factories
from .html import parse


@pytest.mark.parametrize(("country", "parts", "expected"), [
    ("AU", ("12 Smith St", "Parramatta", "NSW", "2150"), ["12 Smith St", "Parramatta NSW 2150"]),
    ("MY", ("12 Jalan Mawar", "Lembah Keramat", "Melaka", "76491"), ["12 Jalan Mawar", "76491 Lembah Keramat", "Melaka"]),
    ("NZ", ("1 Queen St", "Auckland", "", "1010"), ["1 Queen St", "Auckland 1010"]),
    ("SG", ("10 Bayfront Ave", "Singapore", "", "018956"), ["10 Bayfront Ave", "Singapore 018956"]),
    # a value the format has no place for comes last rather than going unseen
    ("SG", ("1 Jurong West", "Jurong", "", "640001"), ["1 Jurong West", "Singapore 640001", "Jurong"]),
    ("US", ("1600 Amphitheatre Pkwy", "Mountain View", "CA", "94043"), ["1600 Amphitheatre Pkwy", "Mountain View, CA 94043"]),
    ("GB", ("10 Downing St", "London", "", "SW1A 1AA"), ["10 Downing St", "London", "SW1A 1AA"]),
    # a part missing takes its separator with it; an empty line goes
    ("US", ("1 Main St", "Springfield", "", "62701"), ["1 Main St", "Springfield 62701"]),
    ("AU", ("", "Parramatta", "NSW", ""), ["Parramatta NSW"]),
    ("MY", ("", "", "Selangor", ""), ["Selangor"]),
    # a code the data doesn't know: street, then city, state and postcode
    ("QQ", ("1 Way", "Town", "", "123"), ["1 Way", "Town 123"]),
])
def test_each_country_in_its_own_order(country, parts, expected):
    assert lines(*parts, country) == expected


words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@given(street=words, city=words, state=words, postcode=words, country=st.sampled_from(("AU", "MY", "US", "GB", "SG", "", "xx")))
def test_whatever_was_typed_every_value_shows_once_and_no_line_is_empty(street, city, state, postcode, country):
    shown = lines(street, city, state, postcode, country)
    assert all(line and line == line.strip() for line in shown)
    joined = " ".join(shown)
    for value in (street, city, postcode):
        assert " ".join(value.split()) in joined


def test_the_profile_writes_a_malaysian_address_as_malaysia_does(logged_in, app):
    customer_id = factories.committed_customer(app, "Siti", "Aminah", street="12 Jalan Mawar", city="Lembah Keramat",
                                               state="Melaka", postcode="76491", country="MY")
    doc = parse(logged_in.get(f"/customers/{customer_id}").get_data(as_text=True))
    address = doc.find("address")
    assert address.text == "12 Jalan Mawar76491 Lembah KeramatMelakaMalaysia"


def test_an_email_breaks_after_its_at_sign_and_before_dots_not_inside_a_word(logged_in, app):
    from crm.templating import breakable_email

    assert str(breakable_email("rachel.fletcher@mail.example.com")) == "rachel.fletcher@<wbr>mail<wbr>.example<wbr>.com"
    assert str(breakable_email("<b>@x")) == "&lt;b&gt;@<wbr>x"  # escaped like any value
    customer_id = factories.committed_customer(app, "Rae", "Long", email="rachel.fletcher.pvst30@example.com")
    html = logged_in.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert ">rachel.fletcher.pvst30@<wbr>example<wbr>.com</a>" in html
