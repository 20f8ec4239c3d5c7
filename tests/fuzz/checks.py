"""What an accepted submission must have saved, read back from the database and compared with what was typed
after the normalisation docs/ui-contract.md documents; and the CSV files the import's upload is fuzzed with."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from crm.extensions import db
from crm.models import (
    ApiToken,
    Customer,
    CustomerTag,
    DeletedCustomer,
    FollowCode,
    ImportJob,
    Invitation,
    Note,
    Order,
    SavedView,
    ShopSettings,
    Tag,
    User,
)
from crm.services import addresses, business, emails, phones, tags
from crm.services.money import to_decimal

from . import strategies as s
from .harness import PENDING_EMAIL, Call, changed_tables

# A customer's segment changing moves its copies on the customer's tag and membership rows (migration 0022).
SEGMENT_COPIES = frozenset({"customer_tag", "membership"})
CUSTOMER_TABLES = frozenset({"customer", "address", "membership", "note", "audit_event", "segment_count",
                             "location_count", "follow_code"}) | SEGMENT_COPIES
ORDER_TABLES = frozenset({"order", "customer", "audit_event", "segment_count", "location_count",
                          "insight_month"}) | SEGMENT_COPIES
FOLLOW_TABLES = frozenset({"follow_code", "customer", "audit_event", "segment_count"}) | SEGMENT_COPIES
SETTINGS_TABLES = frozenset({"shop_settings", "customer", "segment_count", "location_count"}) | SEGMENT_COPIES


# ---- refused or accepted --------------------------------------------------------------------------------


def refused(call: Call, response) -> bool:
    """Sent to log in or to set up first, a GET that didn't answer 2xx, or a form sent back with a 4xx or with
    fields marked invalid."""
    if urlsplit(response.headers.get("Location", "")).path in ("/login", "/setup"):
        return True
    if call.method == "GET":
        return response.status_code >= 300
    return response.status_code >= 400 or b'aria-invalid="true"' in response.data


def import_refused(call: Call, response) -> bool:
    """An import that didn't start goes back to the check page instead of the progress page."""
    return refused(call, response) or not response.headers.get("Location", "").endswith("/progress")


# Invisible characters no saved text may hold: control characters other than the line breaks and tabs of
# multi-line text (notes), and the bidirectional overrides and isolates that make text read differently.
INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def invisible_characters_saved(before: dict, after: dict) -> list[str]:
    """Every new or changed cell holding an invisible character, as "table.column: value"."""
    found = []
    for table, rows in after.items():
        if isinstance(rows, int):
            continue
        columns = db.metadata.tables[table].c.keys()
        for row in set(rows) - set(before[table]):
            found += [f"{table}.{column}: {value!r}" for column, value in zip(columns, row)
                      if isinstance(value, str) and INVISIBLE.search(value)]
    return found


# ---- normalisation as documented ------------------------------------------------------------------------


def squeezed(value: str | None) -> str:
    """Names, streets and cities: trimmed, inner runs of spaces made one."""
    return " ".join((value or "").split())


def stripped(value: str | None) -> str:
    """Other text fields: trimmed."""
    return (value or "").strip()


def ticked(value: str | None) -> bool:
    """A checkbox as WTForms reads it: sent, and not "false" or empty."""
    return value is not None and value not in ("false", "")


def _saved_id(response, pattern: str) -> int | None:
    """The id in a redirect to a saved object's page, or None when the answer was no such redirect."""
    match = re.fullmatch(pattern, response.headers.get("Location", "")) if response.status_code in (302, 303) else None
    return int(match.group(1)) if match else None


def _nothing_saved(before: dict, after: dict) -> None:
    """The form came back (a generate button, an earlier submit): no table may have changed."""
    assert changed_tables(before, after) == {}


def rows_of(snapshot: dict, table: str) -> list[dict]:
    """A table's rows in a snapshot, as column -> value."""
    columns = db.metadata.tables[table].c.keys()
    return [dict(zip(columns, row)) for row in snapshot[table]]


def pages_still_load(harness, *paths: str) -> None:
    """Whatever was just saved, the pages that show it still answer."""
    for path in paths:
        response = harness.owner.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code} after the save"


# ---- customers ------------------------------------------------------------------------------------------


def customer_saved(harness, call: Call, response, before: dict, after: dict) -> None:
    """The customer row, address and membership hold the typed values as the form normalises them."""
    customer_id = _saved_id(response, r"/customers/(\d+)")
    if customer_id is None:  # a generate button filled its field: the form came back, nothing was saved
        _nothing_saved(before, after)
        return
    shop = harness.shop
    with harness.app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert customer.first_name == squeezed(call.value("first_name"))
        assert customer.last_name == squeezed(call.value("last_name"))
        assert customer.email == _email_or_none(call.value("email"))
        for name in ("phone", "whatsapp"):
            typed = stripped(call.value(name))
            assert getattr(customer, name) == (phones.to_e164(typed, shop.country) if typed else None)
        assert bool(customer.email_marketing) == ticked(call.value("email_marketing"))
        if call.value("password"):
            assert check_password_hash(customer.password_hash, call.value("password"))
        if shop.b2b:
            assert customer.company_name == (squeezed(call.value("company_name")) or None)
            abn = stripped(call.value("abn"))
            assert customer.abn == (business.normalize_abn(abn) if abn else None)
        if shop.membership:
            _membership_saved(customer, call)
        _address_saved(customer, call, shop.country)
        shown = {"first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email or ""}
    form = harness.owner.get(f"/customers/{customer_id}/edit").get_data(as_text=True)
    for name, value in shown.items():
        tag = re.search(rf'<input [^>]*name="{name}"[^>]*>', form).group(0)
        assert f' value="{escape(value)}"' in tag or not value and " value=" not in tag, f"{name}: {tag}"


def _email_or_none(typed: str | None) -> str | None:
    """The address as email-validator normalises it, or None for a blank field."""
    return emails.normalize_email(typed) if stripped(typed) else None


def _membership_saved(customer: Customer, call: Call) -> None:
    """Membership ID upper case, with its expiry date; none when the ID was left blank."""
    typed = stripped(call.value("membership_id")).upper()
    if not typed:
        assert customer.membership is None
        return
    assert customer.membership.membership_id == typed
    expires = stripped(call.value("expires_on"))  # a blank date (spaces alone too) is no date
    assert customer.membership.expires_on == (datetime.strptime(expires, "%Y-%m-%d").date() if expires else None)


def _address_saved(customer: Customer, call: Call, shop_country: str) -> None:
    """Street and city squeezed, state and postcode as the country stores them, or no address at all."""
    parts = {"street": squeezed(call.value("street")), "city": squeezed(call.value("city")),
             "state": squeezed(call.value("state")), "postcode": stripped(call.value("postcode"))}
    if not any(parts.values()):
        assert customer.address is None
        return
    country = call.value("country") or shop_country
    address = customer.address
    assert (address.street, address.city, address.country) == (parts["street"], parts["city"], country)
    assert address.state == addresses.normalize_state(country, parts["state"])
    assert address.postcode == addresses.normalize_postcode(country, parts["postcode"])


def customer_gone(harness, call: Call, response, before: dict, after: dict) -> None:
    """A deleted customer is gone with their notes, and the list still loads."""
    with harness.app.app_context():
        customer_id = harness.path_id(call, "customer")
        assert db.session.get(Customer, customer_id) is None
        assert not db.session.scalars(select(Note).where(Note.customer_id == customer_id)).all()
    pages_still_load(harness, "/customers", "/audit")


def customer_restored(harness, call: Call, response, before: dict, after: dict) -> None:
    """A restored customer is back with their address, out of Recently deleted, and the pages still load."""
    with harness.app.app_context():
        assert db.session.get(DeletedCustomer, harness.path_id(call, "entry")) is None
        customer = db.session.scalars(select(Customer).where(Customer.email == "jo@shop.test")).one()
        assert customer.address.city == "Hobart"
    pages_still_load(harness, "/customers", "/customers/deleted", "/insights", "/audit")


def customer_anonymized(harness, call: Call, response, before: dict, after: dict) -> None:
    """An anonymized customer keeps orders and nothing personal."""
    with harness.app.app_context():
        customer = db.session.get(Customer, harness.path_id(call, "customer"))
        assert customer.anonymized_at is not None and customer.email is None and customer.address is None
    pages_still_load(harness, "/customers", "/insights")


# ---- notes and orders -----------------------------------------------------------------------------------


def note_saved(harness, call: Call, response, before: dict, after: dict) -> None:
    """The added or edited note holds the text as typed, trimmed."""
    typed = call.value("note{note}-body") if "{note}" in call.path else call.value("body")
    with harness.app.app_context():
        stmt = select(Note).order_by(Note.updated_at.desc(), Note.id.desc())
        note = db.session.scalars(stmt).first()
        if "{note}" in call.path:
            note = db.session.get(Note, harness.path_id(call, "note"))
        assert note.body == stripped(typed)
        body, customer_id = note.body, note.customer_id
    profile = harness.owner.get(f"/customers/{customer_id}").get_data(as_text=True)
    assert f'<p class="note-body">{escape(body)}</p>' in profile, "the note isn't shown as saved"


def note_deleted(harness, call: Call, response, before: dict, after: dict) -> None:
    """The note is gone."""
    with harness.app.app_context():
        assert db.session.get(Note, harness.path_id(call, "note")) is None


def order_saved(harness, call: Call, response, before: dict, after: dict) -> None:
    """The order holds the typed number, day, total, status and note; the customer's figures count it."""
    customer_id = _saved_id(response, r"/customers/(\d+)#history")
    assert customer_id is not None, response.headers
    shop = harness.shop
    with harness.app.app_context():
        known = {row[0] for row in before["order"]}
        order = db.session.scalars(select(Order).where(Order.id.not_in(known))).one()
        number = stripped(call.value("order_number"))
        assert order.order_number == number if number else re.fullmatch(r"H-[2-9A-HJ-NP-Z]{6}", order.order_number)
        assert order.total == _minor(call.value("total"), shop.currency)
        assert order.status == call.value("status", "paid")
        assert order.note == (stripped(call.value("note")) or None)
        assert order.channel == "manual"
        day = order.placed_at.astimezone(ZoneInfo(shop.timezone)).date()
        assert day == datetime.strptime(call.value("placed_on"), "%Y-%m-%d").date()
        customer = db.session.get(Customer, customer_id)
        paid = [o.total for o in customer.orders if o.status == "paid"]
        assert (customer.order_count, customer.total_spent) == (len(paid), sum(paid))
    pages_still_load(harness, f"/customers/{customer_id}", "/customers?sort=spent", "/insights")


def _minor(typed: str, currency: str) -> int:
    """An amount as typed (thousands commas allowed) in the currency's minor units."""
    return int(Decimal(stripped(typed).replace(",", "")).scaleb(get_currency_precision(currency)))


# ---- settings and tokens --------------------------------------------------------------------------------


def settings_saved(harness, call: Call, response, before: dict, after: dict) -> None:
    """Every setting as typed (the prefix upper case, the threshold in minor units), a field left out of the
    post as it was (an unticked box is sent as nothing: off); the pages still load."""
    stored = rows_of(before, "shop_settings")[0]
    with harness.app.app_context():
        settings = db.session.get(ShopSettings, 1)
        assert settings.shop_name == squeezed(call.value("shop_name", stored["shop_name"]))
        for name in ("currency", "country", "timezone"):
            assert getattr(settings, name) == call.value(name, stored[name])
        # left out, the threshold is the amount the form showed, read in the currency now chosen
        shown = f"{to_decimal(stored['vip_threshold'], stored['currency']):f}"
        assert settings.vip_threshold == _minor(call.value("vip_threshold", shown), settings.currency)
        assert settings.b2b_enabled == ticked(call.value("b2b_enabled"))
        assert settings.membership_enabled == ticked(call.value("membership_enabled"))
        assert settings.membership_prefix == stripped(call.value("membership_prefix", stored["membership_prefix"])).upper()
        assert settings.lapsed_days == int(stripped(call.value("lapsed_days", str(stored["lapsed_days"]))))
    pages_still_load(harness, "/settings", "/customers", "/insights", "/customers/new")


def token_created(harness, call: Call, response, before: dict, after: dict) -> None:
    """The new token is listed under its name as typed, squeezed."""
    assert response.status_code == 200 and response.headers.get("Cache-Control") == "no-store"
    with harness.app.app_context():
        token = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert token.name == squeezed(call.value("token-name")) and token.revoked_at is None
    pages_still_load(harness, "/settings")


def token_revoked(harness, call: Call, response, before: dict, after: dict) -> None:
    """The token is revoked."""
    with harness.app.app_context():
        assert db.session.get(ApiToken, harness.path_id(call, "token")).revoked_at is not None


# ---- first run, login, follow ---------------------------------------------------------------------------


def owner_created(harness, call: Call, response, before: dict, after: dict) -> None:
    """The owner's email normalised, the password works, the shop named as typed."""
    with harness.app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.email == emails.normalize_email(call.value("email"))
        assert check_password_hash(user.password_hash, call.value("password"))
        assert db.session.get(ShopSettings, 1).shop_name == squeezed(call.value("shop_name"))


def logged_in_on_site(harness, call: Call, response, before: dict, after: dict) -> None:
    """A login goes to a page of this site only (never to ?next= elsewhere)."""
    if response.status_code != 302:
        return
    target = urlsplit(response.headers["Location"])
    assert not target.scheme and not target.netloc and target.path.startswith("/")
    assert not target.path.startswith("//") and "\\" not in target.path[:2]


def code_sent(harness, call: Call, response, before: dict, after: dict) -> None:
    """A code was stored for the address, normalised and lower-cased."""
    assert response.status_code == 303 and response.headers["Location"].endswith("/follow/verify")
    with harness.app.app_context():
        code = db.session.scalars(select(FollowCode).order_by(FollowCode.id.desc())).first()
        assert code.email == emails.normalize_email(call.value("email")).lower()


def followed(harness, call: Call, response, before: dict, after: dict) -> None:
    """The right code makes the pending address a subscribed customer."""
    if response.status_code != 303 or not response.headers["Location"].endswith("/follow/done"):
        # every try counts towards the client's limit, even one without a code pending
        assert set(changed_tables(before, after)) <= {"rate_limit"}, changed_tables(before, after)
        return
    with harness.app.app_context():
        customer = db.session.scalars(select(Customer).where(Customer.email == PENDING_EMAIL)).one()
        assert customer.email_marketing and customer.source == "follow"


def csv_download(harness, call: Call, response, before: dict, after: dict) -> None:
    """An export downloads as CSV with the export's header (read to its end, so every row was written) and adds
    one event to the trail."""
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).startswith("\ufeffid,")
    assert len(after["audit_event"]) == len(before["audit_event"]) + 1


def bulk_answered(harness, call: Call, response, before: dict, after: dict) -> None:
    """A bulk action answers its confirmation page having changed nothing, a CSV export, or goes back to the
    list (or its progress page) having written its trail, and the pages still load."""
    if response.mimetype == "text/csv":
        csv_download(harness, call, response, before, after)
    elif response.status_code == 200:
        assert before == after, "the confirmation page changed something"
    else:
        assert response.status_code == 303, response.status_code
        assert any(row not in before["audit_event"] for row in after["audit_event"]), "no trail entry"
        pages_still_load(harness, "/customers", "/audit", response.headers["Location"])


# ---- import ---------------------------------------------------------------------------------------------

HEADERS = ("first_name", "last_name", "email", "phone", "whatsapp", "company_name", "abn", "membership_id",
           "membership_expires_on", "street", "city", "state", "postcode", "country", "email_marketing", "Given name",
           "Surname", "E-mail", "Mobile", "Zip", "Notes", "id", "total_spent", "", " ")
CELLS = st.one_of(s.names.any, s.emails.any, s.phones.any, s.postcodes.any, s.dates.any, s.checkbox.any,
                  s.names.valid, s.emails.valid, s.phones.valid)
ENCODINGS = ("utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "shift_jis")


@st.composite
def csv_tables(draw) -> bytes:
    """A CSV file written by some program: header, rows, separator, quoting, line ends, encoding."""
    header = draw(st.lists(st.one_of(st.sampled_from(HEADERS), s.junk), min_size=1, max_size=12))
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 2), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=draw(st.sampled_from(",,;\t|")),
                        quoting=draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC))),
                        lineterminator=draw(st.sampled_from(("\r\n", "\n", "\r"))))
    writer.writerows([header, *rows])
    text = out.getvalue()
    if draw(st.booleans()):  # a stray quote, a NUL or a line of junk somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(('"', "\x00", "\n\"\n", "\r", "a,b,c\n", "\ufeff"))) + text[at:]
    encoding = draw(st.sampled_from(ENCODINGS))
    # lone surrogates go in as their broken UTF-8 (or UTF-16, UTF-32) code units; other encodings get "?"
    return text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")


PLAIN_COLUMNS = {"first_name": s.names, "last_name": s.names, "email": s.emails, "phone": s.phones,
                 "city": s.cities, "postcode": s.postcodes, "email_marketing": s.checkbox}


@st.composite
def plain_csv(draw) -> bytes:
    """A tidy UTF-8 file of the export's columns with values the import should mostly take."""
    header = draw(st.lists(st.sampled_from(sorted(PLAIN_COLUMNS)), min_size=1, unique=True))
    rows = draw(st.lists(st.tuples(*(st.one_of(PLAIN_COLUMNS[name].valid, PLAIN_COLUMNS[name].valid,
                                               PLAIN_COLUMNS[name].any) for name in header)), min_size=1, max_size=5))
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8", errors="surrogatepass")


SPECIAL_FILES = (b"", b"\xef\xbb\xbf", b"\n\n\n", b"first_name\n", b"first_name\nAnna\n" + b"\x00" * 10,
                 b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, b"PK\x03\x04" + b"\x00" * 30, b"\x1f\x8b\x08" + b"\x00" * 10,
                 b"%PDF-1.4\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20,
                 b"first_name\n" + b"a" * 200_000 + b"\n", b",".join(b"c%d" % i for i in range(250)) + b"\nx\n",
                 b",".join(b"c%d" % i for i in range(200)) + b"\n" + b"," * 199 + b"Anna\n",
                 b'first_name\n"Anna\n', b"first_name\nAnna\"\"\n", b"first_name,email\nAnna,\xff\xfe@x.com\n",
                 "first_name\nZoë\n".encode("cp1252"), codecs.BOM_UTF16_LE + "first_name\nAnna\n".encode("utf-16-le"),
                 b"first_name\r\nAnna\r\n" * 300)
FILENAMES = ("customers.csv", "", "../../etc/passwd", "a\\b\\c.csv", "ü.csv", "x" * 300 + ".csv", "book.xlsx",
             "x.csv\x00.png", ".csv", "CON", " ")
csv_uploads = st.tuples(
    st.one_of(plain_csv(), plain_csv(), csv_tables(), csv_tables(), st.binary(max_size=600),
              st.sampled_from(SPECIAL_FILES)),
    st.one_of(st.sampled_from(FILENAMES), st.text(st.characters(codec="utf-8", exclude_characters="\r\n"),
                                                   max_size=40)))


def upload_checked(harness, call: Call, response, before: dict, after: dict) -> None:
    """An accepted file's check page loads and its dry run finishes (a crash in it would say "failed")."""
    if response.status_code != 303:
        return
    page = harness.owner.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"Checking the file failed" not in page.data


def dry_run_worked(harness, call: Call, response, before: dict, after: dict) -> None:
    """Whatever mapping is asked for, the dry run doesn't crash (its failure is caught and logged)."""
    assert b"Checking the file failed" not in response.data


def undone(harness, call: Call, response, before: dict, after: dict) -> None:
    """An undo of the seeded import finished in the request: its customer is in Recently deleted, and the
    import says so; a second one changes nothing."""
    page = harness.owner.get(response.headers["Location"])
    assert page.status_code == 200
    if after["import_job"] != before["import_job"]:
        assert b"Import undone" in page.data
        assert len(after["deleted_customer"]) == len(before["deleted_customer"]) + 1
    pages_still_load(harness, "/customers", "/customers/import", "/audit")


def imported(harness, call: Call, response, before: dict, after: dict) -> None:
    """A started import finished in the request (IMPORT_SYNC) and its progress page says so."""
    with harness.app.app_context():
        job = db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc())).first()
        assert job is not None and job.status == "done", job and job.error
    page = harness.owner.get(response.headers["Location"])
    assert page.status_code == 200
    pages_still_load(harness, "/customers", "/insights", "/audit")


# ---- the team -------------------------------------------------------------------------------------------


def invited(harness, call: Call, response, before: dict, after: dict) -> None:
    """An invitation for the address, normalised, with the role chosen; no account is made yet."""
    with harness.app.app_context():
        invitation = db.session.scalars(select(Invitation).order_by(Invitation.id.desc())).first()
        assert invitation.email == emails.normalize_email(call.value("email"))
        assert invitation.role == call.value("role", "staff") and invitation.accepted_at is None  # Staff unless chosen
    assert "user" not in changed_tables(before, after)


def joined(harness, call: Call, response, before: dict, after: dict) -> None:
    """The invited address has an account with the name as typed (squeezed), the password works, and the
    newcomer lands on the customer list."""
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers")
    with harness.app.app_context():
        user = db.session.scalars(select(User).where(User.email == "new@shop.test")).one()
        assert user.name == squeezed(call.value("name")) and user.role == "staff"
        assert check_password_hash(user.password_hash, call.value("password"))


def tags_read_back(harness, call: Call, response, before: dict, after: dict) -> None:
    """The tag typed exists under its squeezed name (any case), and every tag's kept count is its customers."""
    with harness.app.app_context():
        typed = call.value("name")
        assert typed is None or tags.find(typed) is not None, typed  # a name left out keeps the stored one
        for tag in db.session.scalars(select(Tag)):
            held = db.session.scalar(select(func.count()).where(CustomerTag.tag_id == tag.id))
            assert tag.customers == held, (tag.name, tag.customers, held)
# ---- saved views ----------------------------------------------------------------------------------------


def view_saved(harness, call: Call, response, before: dict, after: dict) -> None:
    """A view is kept under the name as typed, squeezed, and the list opens on it."""
    with harness.app.app_context():
        names = set(db.session.scalars(select(SavedView.name)))
    assert squeezed(call.value("name")) in names
    target = response.headers.get("HX-Redirect") or response.headers.get("Location")
    pages_still_load(harness, target, "/customers")


def view_deleted(harness, call: Call, response, before: dict, after: dict) -> None:
    """The view is gone, and the list still opens (on its id too: ignored with a note)."""
    view_id = harness.path_id(call, "view")
    with harness.app.app_context():
        assert db.session.get(SavedView, view_id) is None
    pages_still_load(harness, "/customers", f"/customers?view={view_id}")
