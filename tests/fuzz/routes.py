"""Every route that takes input, with a strategy for its form fields and URL arguments, the tables it may
change, and the check that what it saved reads back as typed. test_every_route.py walks app.url_map against
ROUTES and NO_INPUT, so a new route can't go unfuzzed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from crm.services import list_columns

from . import checks
from . import strategies as s
from .harness import SHOPS, Call

# What an id or token in a path can be: a seeded object, any number, or a raw segment (already URL-safe).
RAW_SEGMENTS = ("0", "-1", "01", "1.0", "1e3", "abc", "%00", "%20", "%F0%9F%98%80", "%ED%A0%80", "%FF", "..",
                "%2e%2e%2f", "2147483647", "2147483648", "4294967296", "9223372036854775807",
                "9223372036854775808", "9" * 400)
numbers_in_paths = st.one_of(st.integers(0, 2**70), st.sampled_from(RAW_SEGMENTS))
HTMX = ({}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-History-Restore-Request": "true"})
htmx = st.sampled_from(HTMX)
# Mostly the shop with every part of the customer form on; now and then the others (each is a reset).
shops = st.sampled_from((SHOPS[1], SHOPS[1], SHOPS[1], *SHOPS))
owner_mostly = st.sampled_from(("owner", "owner", "owner", "owner", "visitor"))
junk_key = st.one_of(st.sampled_from(("csrf_token", "id", "customer_id", "source", "segment", "total_spent",
                                      "order_count", "role", "__proto__", "")), s.mixed_text(12))


def ref(*names: str) -> st.SearchStrategy:
    """A path argument: one of the seeded objects most of the time, else any number or raw segment."""
    seeded = st.sampled_from(names)
    return st.one_of(seeded, seeded, seeded, numbers_in_paths)


@st.composite
def fields(draw, spec: dict[str, s.Field], required: tuple[str, ...] = (), together=None) -> list:
    """Form or URL arguments: all valid, all valid but one, or anything; optional ones now and then blank or
    left out; now and then a stray argument. `together` draws valid values that only work as a group."""
    mode = draw(st.sampled_from(("valid", "valid", "one", "one", "any")))
    odd = draw(st.sampled_from(sorted(spec))) if mode == "one" else None
    grouped = draw(together) if together is not None and mode != "any" else {}
    pairs = []
    for name, field in spec.items():
        if mode == "any" or name == odd:
            value = draw(st.none() | field.any)
        elif name in grouped:
            value = grouped[name]
        elif name in required:
            value = draw(field.valid)
        else:
            value = draw(st.one_of(field.valid, field.valid, st.just(""), st.none()))
        if value is not None:
            pairs.append((name, value))
    return pairs + draw(st.lists(st.tuples(junk_key, s.junk), max_size=1))


@dataclass(frozen=True)
class Route:
    """How to fuzz one rule and method, and what it may change."""

    calls: st.SearchStrategy[Call]
    writes: frozenset[str] = frozenset()  # tables an accepted request may change
    refused_writes: frozenset[str] = frozenset()  # tables even a refused one changes (documented side effects)
    check: Callable | None = None  # (harness, call, response, before, after) after an accepted request
    refused: Callable = checks.refused
    weight: float = 1.0  # share of the profile's examples, for routes with more to explore
    always: tuple[Call, ...] = ()  # inputs that broke something once: tried on every run, before the random ones


def sent(method: str, path: str, **parts) -> Call:
    """One explicit request, in the shop with every part of the customer form on, by the owner."""
    return Call(method, path, **{"shop": SHOPS[1], **parts})


def call(method: str, path: str, **parts) -> st.SearchStrategy[Call]:
    """A Call strategy; each keyword is a strategy (or a plain value) for that part of the call."""
    parts.setdefault("shop", shops)
    parts.setdefault("who", owner_mostly)
    drawn = {key: value if isinstance(value, st.SearchStrategy) else st.just(value) for key, value in parts.items()}
    return st.fixed_dictionaries(drawn).map(lambda kw: Call(method, path, **kw))


AU_ADDRESS = {"country": "AU", "state": "NSW", "city": "Parramatta", "postcode": "2150", "street": "12 Smith St"}
ADDRESSES = st.sampled_from((
    AU_ADDRESS, {"country": "AU", "state": "tas", "city": "Kingston", "postcode": "7050", "street": ""},
    {"country": "MY", "state": "selangor", "city": "Shah Alam", "postcode": "40000", "street": "Jalan 1"},
    {"country": "NZ", "state": "", "city": "Wellington", "postcode": "6011", "street": "1 Lambton Quay"},
    {"country": "US", "state": "California", "city": "São Paulo", "postcode": "", "street": "עברית 1"},
    {"country": "AU", "state": "", "city": "", "postcode": "", "street": ""},
))
CUSTOMER_FIELDS = {
    "first_name": s.names, "last_name": s.names, "email": s.emails, "phone": s.phones, "whatsapp": s.phones,
    "company_name": s.names, "abn": s.abns, "password": s.passwords, "membership_id": s.membership_ids,
    "expires_on": s.dates, "street": s.streets, "city": s.cities, "state": s.states, "postcode": s.postcodes,
    "country": s.countries, "email_marketing": s.checkbox, "sms_marketing": s.checkbox,
    "generate": s.Field(st.sampled_from(("", "save")), st.sampled_from(("password", "membership_id"))),
    "submission_key": s.Field(st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=20, max_size=43)),
}
customer_form = fields(CUSTOMER_FIELDS, required=("first_name",), together=ADDRESSES)
LIST_ARGS = {
    "q": s.Field(st.sampled_from(("alex", "Zoë", "0412", "+61412345678", "412 345 678", "taylor pty", "a%b_c"))),
    "segment": s.Field(st.sampled_from(("all", "vip", "returning", "new", "prospect"))),
    "sort": s.Field(st.sampled_from(("name", "orders", "spent", "last_order", "created"))),
    "dir": s.Field(st.sampled_from(("asc", "desc"))),
    "page": s.whole_number,
    "country": s.Field(st.sampled_from(("AU", "my", "NZ"))), "state": s.states, "city": s.cities,
    # The filter panel's arguments (tags by name: the fuzzed shops have none, so each is an unknown tag).
    "tag": s.Field(st.sampled_from(("Wholesale", "vip", "Gift buyer"))),
    "tag_mode": s.Field(st.sampled_from(("any", "all", "none")), st.sampled_from(("ANY", "some", ""))),
    "spent_min": s.money, "spent_max": s.money, "orders_min": s.whole_number, "orders_max": s.whole_number,
    "last_order_after": s.dates, "last_order_before": s.dates, "lapsed_days": s.whole_number,
    "since_after": s.dates, "since_before": s.dates,
    "membership": s.Field(st.sampled_from(("active", "expiring", "expired", "none")), st.sampled_from(("Active", "x"))),
    "expiring_days": s.whole_number,
    "marketing": s.Field(st.sampled_from(("yes", "no")), st.sampled_from(("true", "1", "YES"))),
    "source": s.Field(st.sampled_from(("order", "follow", "manual", "import")), st.sampled_from(("api", "Order"))),
}
list_args = fields(LIST_ARGS)
# The list opened on a saved view: a seeded one, a number no view has, or junk (ignored with a note).
column_ticks = st.lists(st.tuples(st.just("column"), st.one_of(st.sampled_from(list(list_columns.BY_KEY)), s.junk)),
                        max_size=12)
view_args = fields({**LIST_ARGS, "view": s.Field(st.sampled_from(("1", "2", "3", "99")), s.whole_number.any)})
VIEW_NAMES = s.Field(st.one_of(s.names.valid, st.sampled_from(("Taylors", "taylors", "LAPSED", "x" * 60))),
                     st.sampled_from(("", "   ", "x" * 61, "a\x00b", "a\u202eb")))
saved_views = st.fixed_dictionaries({"view": ref("view", "lapsed")})
ORDER_FIELDS = {
    "order_number": s.Field(st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:#-]{0,63}", fullmatch=True),
                                      st.just("")), st.sampled_from(("-1", "a b", "a/b", "x" * 65, "T1", "ü"))),
    "placed_on": s.dates, "total": s.money,
    "status": s.Field(st.sampled_from(("paid", "refunded", "cancelled")), st.sampled_from(("PAID", "lost"))),
    "note": s.free_text,
}
SETTINGS_FIELDS = {
    "shop_name": s.names, "currency": s.currencies, "country": s.countries, "timezone": s.timezones,
    "vip_threshold": s.money, "lapsed_days": s.Field(st.integers(1, 3650).map(str), s.whole_number.any),
    "b2b_enabled": s.checkbox, "membership_enabled": s.checkbox,
    "membership_prefix": s.Field(st.from_regex(r"[A-Za-z]{0,6}", fullmatch=True), st.sampled_from(("ABCDEFG", "K9"))),
}
AUDIT_ARGS = {
    "action": s.Field(st.sampled_from(("", "create", "edit", "delete", "anonymize", "export", "import", "order"))),
    "person": s.Field(st.sampled_from(("owner@shop.test", "System", 'API token "Checkout"'))),
    "from": s.dates, "to": s.dates, "page": s.whole_number,
}
# The name typed to confirm an erasure: the seeded customer's (as typed, in another case, spaced out) or not.
CONFIRM_NAMES = s.Field(st.sampled_from(("Alex Taylor", "alex taylor", "  Alex   Taylor ")),
                        st.sampled_from(("Alex", "Pat Lee", "Anonymized customer", "Alex Taylor\x00")))
TAG_NAMES = s.Field(st.one_of(st.sampled_from(("Wholesale", "wholesale", "Local", "VIP", "Zoë's", "x" * 40)), s.words),
                    st.sampled_from(("", "   ", "x" * 41, "a,b", "a;b", "a\x1bb", "\u202eabc")))
TAG_COLOURS = s.Field(st.sampled_from(("", "red", "teal", "pink")), st.sampled_from(("Red", "chartreuse", "none")))
TAG_TABLES = frozenset({"tag", "customer_tag", "audit_event"})
FIELD_NAMES = st.sampled_from(("email", "phone", "whatsapp", "membership_id", "expires_on"))
IMPORT_KEYS = ("", "first_name", "last_name", "email", "phone", "whatsapp", "company_name", "abn", "membership_id",
               "membership_expires_on", "street", "city", "state", "postcode", "country", "email_marketing",
               "sms_marketing", "street_2", "note")


@st.composite
def mapping(draw) -> list:
    """map_<column> arguments: field keys, repeats, unknown keys, columns past the file's, or none at all."""
    if draw(st.integers(0, 5)) == 0:
        return []
    columns = draw(st.integers(0, 9))
    key = st.one_of(st.sampled_from(IMPORT_KEYS), st.sampled_from(IMPORT_KEYS), s.junk)
    pairs = [(f"map_{i}", draw(key)) for i in range(columns)]
    stray = st.tuples(st.one_of(st.sampled_from(("map_", "map_-1", "map_99", "map_1e3", "map_01", "map_x")),
                                st.integers(0, 2**70).map(lambda n: f"map_{n}")), key)
    # "Overwrite existing values": ticked ("1"), left out, or anything else a request can send.
    overwrite = st.lists(st.tuples(st.just("overwrite"), st.one_of(st.just("1"), s.junk)), max_size=1)
    page = st.lists(st.tuples(st.just("page"), st.one_of(st.sampled_from(("1", "2", "0", "-1", "99")), s.junk)),
                    max_size=1)
    return pairs + draw(st.lists(stray, max_size=2)) + draw(overwrite) + draw(page)


ORDER = [("placed_on", "2026-11-01"), ("total", "10"), ("status", "paid")]
SETTINGS = [("shop_name", "Koala Goods"), ("currency", "AUD"), ("country", "AU"), ("timezone", "Australia/Sydney"),
            ("vip_threshold", "1000")]
BIG_AMOUNTS = ("1e309", "9" * 400, "92233720368547758.07")
CONTROLS = ("a\x00b", "a\x1bb", "a\x07b", "a\u202eb")


def replaced(pairs: list, **values) -> list:
    """Form pairs with some values changed (or added)."""
    return [(k, v) for k, v in pairs if k not in values] + list(values.items())


upload_token = st.one_of(st.just("upload"), st.just("upload"), st.sampled_from((
    "A" * 43, "x", "..", "%2e%2e", "%00", "upload%00", "-" * 43, "a" * 500, "%ED%A0%80")))
static_files = st.one_of(st.sampled_from(("app.css", "vendor/htmx-2.0.11.min.js", "../config.py", "..%2f..%2fetc%2fpasswd",
                                          "%00", "app.css%00.png", "vendor/", "a" * 300, "%ED%A0%80")),
                         s.words.map(lambda w: w.encode("utf-8").hex()))

# A bulk action's form: ticked ids (the seeded customers' ids are 1-5 after every reset; one is in Recently
# deleted, one anonymized), the page's box and ids, "all matching", the list's arguments, a tag, the confirmation.
BULK_IDS = st.one_of(st.sampled_from(("1", "2", "3", "4", "5", "999999", "2147483648")), s.junk)
BULK_LISTS = st.one_of(st.sampled_from(("", "q=alex", "segment=prospect", "segment=vip&q=zo%C3%AB", "country=AU&state=NSW",
                                        "q=%00", "page=-1&sort=x", "segment=all&segment=vip")), s.mixed_text(40))


@st.composite
def bulk_form(draw) -> list:
    """The list's bulk form, or the confirmation page's, or anything like them."""
    pairs = [("id", draw(BULK_IDS)) for _ in range(draw(st.integers(0, 4)))]
    if draw(st.booleans()):
        pairs += [("page", draw(st.sampled_from(("1", "on")))), *(("page_id", draw(BULK_IDS)) for _ in range(2))]
    if draw(st.integers(0, 3)) == 0:
        pairs.append(("all", draw(st.sampled_from(("1", "0", "yes")))))
    pairs.append(("list", draw(BULK_LISTS)))
    if draw(st.booleans()):
        pairs.append(("tag", draw(st.one_of(st.sampled_from(("Wholesale", "wholesale ", "", "x" * 41)), s.junk))))
    if draw(st.booleans()):
        pairs.append(("confirmed", draw(st.sampled_from(("1", "1", "0")))))
    return pairs + draw(st.lists(st.tuples(junk_key, s.junk), max_size=1))


def bulk_route(slug: str, writes: frozenset[str]) -> Route:
    """How to fuzz one bulk action's POST."""
    return Route(call("POST", f"/customers/bulk/{slug}", form=bulk_form()), writes=writes | {"bulk_job"},
                 check=checks.bulk_answered, weight=2,
                 always=(sent("POST", f"/customers/bulk/{slug}",
                              form=[("id", "1"), ("id", "2"), ("list", "q=a\x00b"), ("tag", "a\x00b"), ("confirmed", "1")]),
                         sent("POST", f"/customers/bulk/{slug}", form=[("all", "1"), ("list", "%ED%A0%80"),
                                                                       ("confirmed", "1")])))


ROLES = ("owner", "manager", "staff", "read_only")
PERMISSION_KEYS = ("view", "edit", "orders", "export", "import", "delete", "insights", "audit", "settings", "tokens",
                   "team")
members = st.fixed_dictionaries({"member": ref("staff", "staff", "deactivated", "me")})
invitation_links = st.fixed_dictionaries({"token": st.one_of(st.just("invitation_token"), st.just("invitation_token"),
                                                             st.sampled_from(("x", "a" * 200, "%00", "%ED%A0%80")))})
# A member's role, permissions or account: their row, the trail, and their sign-ins (which every change ends).
TEAM_TABLES = frozenset({"user", "audit_event", "user_session"})
# Reset tokens in a path: forged, truncated, oversized (a real one is tried in tests/test_password_reset.py).
reset_tokens = st.one_of(st.sampled_from(("x", "eyJ1c2VyIjoxfQ.aaa.bbb", "a" * 700, "%00", "%ED%A0%80", "..")),
                         s.words)

ROUTES: dict[tuple[str, str], Route] = {
    # ---- first run and login (public) ----
    ("auth.setup", "GET"): Route(call("GET", "/setup", who=st.sampled_from(("first run", "visitor")))),
    ("auth.setup", "POST"): Route(
        call("POST", "/setup", who=st.sampled_from(("first run", "first run", "visitor")),
             form=fields({"shop_name": s.names, "email": s.emails, "password": s.passwords},
                         required=("shop_name", "email", "password"))),
        # the owner, the shop's name, their sign-in, and the Lapsed view a new shop starts with
        writes=frozenset({"user", "shop_settings", "installation", "user_session", "audit_event", "saved_view"}),
        check=checks.owner_created,
        always=(sent("POST", "/setup", who="first run", form=[("shop_name", "a\x07b"), ("email", "a@shop.test"),
                                                              ("password", "correct horse battery")]),)),
    ("auth.login", "GET"): Route(call("GET", "/login", who="visitor", query=fields({"next": s.free_text}))),
    ("auth.login", "POST"): Route(
        call("POST", "/login", who="visitor",
             query=fields({"next": s.Field(st.sampled_from(("/customers?q=a", "/insights", "//evil.test/",
                                                           "https://evil.test/", "/\\evil.test", "javascript:x")))}),
             form=fields({"email": s.Field(st.sampled_from(("owner@shop.test", "OWNER@shop.test")), s.emails.any),
                          "password": s.Field(st.just("correct horse battery"), s.passwords.any)},
                         required=("email", "password"))),
        # every attempt counts towards the login limit, in the database (crm/ratelimit.py); a sign-in is a row,
        # the account's last sign-in (the Team page) moves, and sign-ins and failed ones are in the trail
        writes=frozenset({"user_session", "rate_limit", "user", "audit_event"}),
        refused_writes=frozenset({"rate_limit", "audit_event"}),
        check=checks.logged_in_on_site,
        always=(sent("POST", "/login", who="visitor", query=[("next", "/\n")],
                     form=[("email", "owner@shop.test"), ("password", "correct horse battery")]),)),
    # ---- customer list, export, add and edit ----
    ("customers.index", "GET"): Route(
        call("GET", "/customers", query=view_args, headers=htmx),
        always=(sent("GET", "/customers", query=[("q", "a\x00b")]), sent("GET", "/customers", query=[("city", "\x00")]))),
    # ---- saved views ----
    ("customers.new_view", "GET"): Route(call("GET", "/customers/views/new", query=list_args, headers=htmx)),
    ("customers.create_view", "POST"): Route(
        call("POST", "/customers/views", query=list_args, headers=htmx, form=fields({"name": VIEW_NAMES},
                                                                                      required=("name",))),
        writes=frozenset({"saved_view", "audit_event"}), check=checks.view_saved,
        always=(sent("POST", "/customers/views", query=[("q", "alex")], form=[("name", "a\x00b")]),)),
    ("customers.rename_view", "GET"): Route(call("GET", "/customers/views/{view}/rename", refs=saved_views,
                                                 headers=htmx)),
    ("customers.rename_view", "POST"): Route(
        call("POST", "/customers/views/{view}/rename", refs=saved_views, headers=htmx,
             form=fields({"name": VIEW_NAMES}, required=("name",))),
        writes=frozenset({"saved_view", "audit_event"}), check=checks.view_saved),
    ("customers.delete_view", "GET"): Route(call("GET", "/customers/views/{view}/delete", refs=saved_views,
                                                 headers=htmx)),
    ("customers.delete_view", "POST"): Route(
        call("POST", "/customers/views/{view}/delete", refs=saved_views, headers=htmx),
        writes=frozenset({"saved_view", "audit_event"}), check=checks.view_deleted),
    ("customers.move_view", "POST"): Route(
        call("POST", "/customers/views/{view}/move", refs=saved_views, headers=htmx,
             form=fields({"direction": s.Field(st.sampled_from(("left", "right")), st.sampled_from(("up", "")))})),
        writes=frozenset({"saved_view", "audit_event"})),
    ("customers.choose_columns", "POST"): Route(
        call("POST", "/customers/columns", query=view_args, headers=htmx, form=column_ticks),
        writes=frozenset({"user"})),
    ("customers.places", "GET"): Route(
        call("GET", "/customers/places", query=fields({"country": LIST_ARGS["country"], "state": s.states}),
             headers=htmx)),
    ("customers.export", "GET"): Route(
        call("GET", "/customers/export", query=list_args), writes=frozenset({"audit_event"}), check=checks.csv_download,
        always=(sent("GET", "/customers/export", query=[("q", "a\x00b")]),
                sent("GET", "/customers/export", query=[("q", "a\x1bb")]))),
    ("customers.new", "POST"): Route(
        call("POST", "/customers/new", form=customer_form), writes=checks.CUSTOMER_TABLES,
        check=checks.customer_saved, weight=3,
        always=(sent("POST", "/customers/new", form=[("first_name", "Alex"), ("submission_key", "\x00")]),
                *(sent("POST", "/customers/new", form=[("first_name", "Alex"), ("country", "NZ"), ("city", "Wellington"),
                                                       ("postcode", postcode)]) for postcode in CONTROLS))),
    ("customers.edit", "GET"): Route(call("GET", "/customers/{customer}/edit",
                                          refs=st.fixed_dictionaries({"customer": ref("regular", "anonymized")}))),
    ("customers.edit", "POST"): Route(
        call("POST", "/customers/{customer}/edit", form=customer_form,
             refs=st.fixed_dictionaries({"customer": ref("regular", "regular", "prospect", "anonymized")})),
        writes=checks.CUSTOMER_TABLES, check=checks.customer_saved, weight=3),
    ("customers.check", "GET"): Route(call(
        "GET", "/customers/check/{field}", headers=htmx,
        refs=st.fixed_dictionaries({"field": st.one_of(FIELD_NAMES, FIELD_NAMES, st.sampled_from(RAW_SEGMENTS))}),
        query=fields({"email": s.emails, "phone": s.phones, "whatsapp": s.phones, "membership_id": s.membership_ids,
                      "expires_on": s.dates,
                      "customer": s.Field(st.sampled_from(("1", "2", "3")), s.whole_number.any)})),
        always=tuple(sent("GET", "/customers/check/{field}", refs={"field": field}, query=[(field, value)])
                   for field, value in (("email", "a\x00b@shop.test"), ("membership_id", "M1\x00")))
               + (sent("GET", "/customers/check/email", query=[("email", "a@b.test"), ("customer", "9" * 20)]),)),
    # ---- profile, notes, orders, removal ----
    ("customers.detail", "GET"): Route(call(
        "GET", "/customers/{customer}", headers=htmx,
        refs=st.fixed_dictionaries({"customer": ref("regular", "prospect", "anonymized")}),
        query=fields({"orders_page": s.whole_number, "edit_note": s.whole_number})),
        always=(sent("GET", "/customers/{customer}", refs={"customer": "regular"},
                     query=[("orders_page", "4611686018427387904")]),
                sent("GET", "/customers/{customer}", refs={"customer": "regular"},
                     query=[("edit_note", "9223372036854775807")]),
                sent("GET", "/customers/{customer}", refs={"customer": 99999999999999999999}))),
    ("customers.add_note", "POST"): Route(
        call("POST", "/customers/{customer}/notes", headers=htmx, form=fields({"body": s.free_text}),
             refs=st.fixed_dictionaries({"customer": ref("regular", "prospect", "anonymized")})),
        writes=frozenset({"note", "audit_event"}), check=checks.note_saved,
        always=tuple(sent("POST", "/customers/{customer}/notes", refs={"customer": "regular"}, form=[("body", body)])
                   for body in CONTROLS)),
    ("customers.note", "GET"): Route(call(
        "GET", "/customers/{customer}/notes/{note}", headers=htmx,
        refs=st.fixed_dictionaries({"customer": ref("regular", "prospect"), "note": ref("note", "other_note")}))),
    ("customers.edit_note", "GET"): Route(call(
        "GET", "/customers/{customer}/notes/{note}/edit", headers=htmx,
        refs=st.fixed_dictionaries({"customer": ref("regular", "prospect"), "note": ref("note", "other_note")}))),
    ("customers.save_note", "POST"): Route(
        call("POST", "/customers/{customer}/notes/{note}", headers=htmx,
             form=fields({"note{note}-body": s.free_text, "body": s.free_text}),
             refs=st.fixed_dictionaries({"customer": ref("regular", "regular", "prospect"),
                                         "note": ref("note", "note", "other_note")})),
        writes=frozenset({"note", "audit_event"}), check=checks.note_saved),
    ("customers.delete_note", "POST"): Route(
        call("POST", "/customers/{customer}/notes/{note}/delete", headers=htmx,
             refs=st.fixed_dictionaries({"customer": ref("regular", "prospect"), "note": ref("note", "other_note")})),
        writes=frozenset({"note", "audit_event"}), check=checks.note_deleted),
    ("customers.new_order", "GET"): Route(call(
        "GET", "/customers/{customer}/orders/new", refs=st.fixed_dictionaries({"customer": ref("regular")}))),
    ("customers.new_order", "POST"): Route(
        call("POST", "/customers/{customer}/orders/new", form=fields(ORDER_FIELDS, required=("placed_on", "total")),
             refs=st.fixed_dictionaries({"customer": ref("regular", "regular", "prospect", "anonymized")})),
        writes=checks.ORDER_TABLES, check=checks.order_saved, weight=2,
        always=(*(sent("POST", "/customers/{customer}/orders/new", refs={"customer": "regular"},
                       form=replaced(ORDER, total=total)) for total in BIG_AMOUNTS),
                sent("POST", "/customers/{customer}/orders/new", refs={"customer": "regular"},
                     form=replaced(ORDER, order_number="\x00")),
                sent("POST", "/customers/{customer}/orders/new", refs={"customer": "regular"},
                     form=replaced(ORDER, note="a\x00b")),
                sent("POST", "/customers/{customer}/orders/new", refs={"customer": "regular"}, shop=SHOPS[4],
                     form=replaced(ORDER, placed_on="0001-01-01")))),
    ("customers.delete", "GET"): Route(call("GET", "/customers/{customer}/delete",
                                            refs=st.fixed_dictionaries({"customer": ref("regular", "prospect")}))),
    ("customers.delete", "POST"): Route(
        call("POST", "/customers/{customer}/delete",
             refs=st.fixed_dictionaries({"customer": ref("regular", "prospect", "anonymized")})),
        writes=checks.CUSTOMER_TABLES | {"deleted_customer", "tag", "customer_tag"}, check=checks.customer_gone),
    ("customers.anonymize", "GET"): Route(call("GET", "/customers/{customer}/anonymize",
                                               refs=st.fixed_dictionaries({"customer": ref("regular", "prospect")}))),
    ("customers.anonymize", "POST"): Route(
        call("POST", "/customers/{customer}/anonymize", form=fields({"confirm_name": CONFIRM_NAMES}),
             refs=st.fixed_dictionaries({"customer": ref("regular", "prospect", "anonymized")})),
        # anonymizing takes the customer's tags off too (tags can say personal things)
        writes=checks.CUSTOMER_TABLES | {"order", "tag", "customer_tag"}, check=checks.customer_anonymized),
    ("customers.recently_deleted", "GET"): Route(call("GET", "/customers/deleted",
                                                      query=fields({"page": s.whole_number}))),
    ("customers.restore", "POST"): Route(
        call("POST", "/customers/deleted/{entry}/restore", refs=st.fixed_dictionaries({"entry": ref("binned")})),
        writes=checks.CUSTOMER_TABLES | {"deleted_customer", "tag", "customer_tag"}, check=checks.customer_restored,
        always=(sent("POST", "/customers/deleted/{entry}/restore", refs={"entry": 99999999999999999999}),)),
    # ---- bulk actions ----
    ("customers.bulk_add_tag", "POST"): bulk_route("add-tag", frozenset({"tag", "customer_tag", "audit_event"})),
    ("customers.bulk_remove_tag", "POST"): bulk_route("remove-tag", frozenset({"tag", "customer_tag", "audit_event"})),
    ("customers.bulk_export", "POST"): bulk_route("export", frozenset({"audit_event"})),
    ("customers.bulk_unsubscribe", "POST"): bulk_route("unsubscribe", frozenset({"customer", "audit_event"})),
    # deleting an imported customer takes the import's record of them with the row (a cascade)
    ("customers.bulk_delete", "POST"): bulk_route("delete", checks.CUSTOMER_TABLES | {"deleted_customer", "import_change"}),
    ("customers.bulk_job", "GET"): Route(call("GET", "/customers/bulk/jobs/{job}", headers=htmx,
                                              refs=st.fixed_dictionaries({"job": numbers_in_paths}))),
    # ---- import ----
    ("imports.upload", "POST"): Route(call("POST", "/customers/import", upload=checks.csv_uploads, form=st.just([])),
                                      check=checks.upload_checked, weight=3),
    ("imports.preview", "GET"): Route(call("GET", "/customers/import/{token}", headers=htmx, query=mapping(),
                                           refs=st.fixed_dictionaries({"token": upload_token})),
                                      check=checks.dry_run_worked, weight=2),
    ("imports.invalid_rows", "GET"): Route(call("GET", "/customers/import/{token}/invalid.csv", query=mapping(),
                                                refs=st.fixed_dictionaries({"token": upload_token}))),
    ("imports.confirm", "POST"): Route(
        call("POST", "/customers/import/{token}/import", form=mapping(),
             refs=st.fixed_dictionaries({"token": upload_token})),
        writes=checks.CUSTOMER_TABLES | {"import_job", "import_change"}, refused=checks.import_refused,
        check=checks.imported),
    ("imports.progress", "GET"): Route(call("GET", "/customers/import/{token}/progress", headers=htmx,
                                            refs=st.fixed_dictionaries({"token": upload_token}))),
    ("imports.changes_csv", "GET"): Route(call("GET", "/customers/import/{token}/changes.csv", query=mapping(),
                                               refs=st.fixed_dictionaries({"token": upload_token}))),
    ("imports.undo", "GET"): Route(call("GET", "/customers/import/jobs/{job}/undo", headers=htmx,
                                        refs=st.fixed_dictionaries({"job": ref("import")}))),
    ("imports.undo", "POST"): Route(
        call("POST", "/customers/import/jobs/{job}/undo", form=st.lists(st.tuples(junk_key, s.junk), max_size=1),
             refs=st.fixed_dictionaries({"job": ref("import")})),
        writes=checks.CUSTOMER_TABLES | {"import_job", "import_change", "deleted_customer"}, check=checks.undone,
        always=(sent("POST", "/customers/import/jobs/{job}/undo", refs={"job": 99999999999999999999}),)),
    # ---- follow the store (public) ----
    ("follow.send_code", "POST"): Route(call("POST", "/follow", who="visitor", form=fields({"email": s.emails})),
                                        writes=frozenset({"follow_code", "rate_limit"}),
                                        refused_writes=frozenset({"rate_limit"}), check=checks.code_sent),
    ("follow.check_code", "POST"): Route(
        call("POST", "/follow/verify", who="visitor", follow_state=st.sampled_from(("pending", "pending", None)),
             form=fields({"code": s.Field(st.sampled_from(("123456", "123 456", " 123456 ", "654321")),
                                          st.sampled_from(("12345", "1234567", "١٢٣٤٥٦", "12345a", "123456\x00")))})),
        writes=checks.FOLLOW_TABLES | {"rate_limit"},
        # a wrong code is refused and still counts as a try (docs/ui-contract.md, "Follow the store"), and every
        # try counts towards the client's limit
        refused_writes=frozenset({"follow_code", "rate_limit"}), check=checks.followed),
    # ---- insights, audit, settings ----
    ("insights.index", "GET"): Route(call(
        "GET", "/insights", query=fields({"period": s.Field(st.sampled_from(("30d", "90d", "12m", "all"))),
                                          "level": s.Field(st.sampled_from(("city", "state", "country")))}),
        headers=st.one_of(htmx, st.sampled_from(("period-figures", "top-places", "x", "")).map(
            lambda target: {"HX-Request": "true", "HX-Target": target})))),
    ("insights.export", "GET"): Route(
        call("GET", "/insights/export", query=list_args),
        writes=frozenset({"audit_event"}), check=checks.csv_download),
    ("audit.index", "GET"): Route(
        call("GET", "/audit", query=fields(AUDIT_ARGS), headers=htmx),
        always=tuple(sent("GET", "/audit", query=[pair]) for pair in (("to", "9999-12-31"), ("from", "0001-01-01"),
                                                                   ("person", "a\x00")))),
    ("settings.index", "POST"): Route(
        call("POST", "/settings", form=fields(SETTINGS_FIELDS, required=("shop_name", "currency", "country",
                                                                         "timezone", "vip_threshold"))),
        writes=checks.SETTINGS_TABLES | {"audit_event"}, check=checks.settings_saved, weight=2,
        always=(*(sent("POST", "/settings", form=replaced(SETTINGS, vip_threshold=amount)) for amount in BIG_AMOUNTS),
                sent("POST", "/settings", form=replaced(SETTINGS, shop_name="a\x00b")),
                sent("POST", "/settings", form=SETTINGS[:4]))),
    ("settings.create_token", "POST"): Route(
        call("POST", "/settings/tokens", form=fields({"token-name": s.Field(
            st.one_of(s.names.valid, st.sampled_from(("Checkout", "checkout", "Old checkout"))), s.names.any)})),
        writes=frozenset({"api_token", "audit_event"}), check=checks.token_created,
        always=tuple(sent("POST", "/settings/tokens", form=[("token-name", name)]) for name in CONTROLS)),
    ("settings.revoke_token", "POST"): Route(
        call("POST", "/settings/tokens/{token}/revoke", refs=st.fixed_dictionaries({"token": ref("active", "revoked")})),
        writes=frozenset({"api_token", "audit_event"}), check=checks.token_revoked,
        always=(sent("POST", "/settings/tokens/{token}/revoke", refs={"token": 99999999999999999999}),)),
    # ---- tags: the profile's section and Settings › Tags ----
    ("customers.add_tag", "POST"): Route(
        call("POST", "/customers/{customer}/tags", headers=htmx, form=fields({"name": TAG_NAMES}),
             refs=st.fixed_dictionaries({"customer": ref("regular", "prospect", "anonymized")})),
        writes=TAG_TABLES, check=checks.tags_read_back,
        always=tuple(sent("POST", "/customers/{customer}/tags", refs={"customer": "regular"}, form=[("name", name)])
                     for name in (*CONTROLS, "x" * 41, "a;b", "WHOLESALE"))),
    ("customers.remove_tag", "POST"): Route(
        call("POST", "/customers/{customer}/tags/{tag}/remove", headers=htmx,
             refs=st.fixed_dictionaries({"customer": ref("regular", "prospect"), "tag": ref("tag", "other_tag")})),
        writes=TAG_TABLES),
    ("tags.edit", "GET"): Route(call("GET", "/settings/tags/{tag}", refs=st.fixed_dictionaries({"tag": ref("tag")}))),
    ("tags.save", "POST"): Route(
        call("POST", "/settings/tags/{tag}", form=fields({"name": TAG_NAMES, "colour": TAG_COLOURS}, required=("name",)),
             refs=st.fixed_dictionaries({"tag": ref("tag", "other_tag")})),
        writes=TAG_TABLES, check=checks.tags_read_back,
        always=(sent("POST", "/settings/tags/{tag}", refs={"tag": "tag"}, form=[("name", "Local")]),
                sent("POST", "/settings/tags/{tag}", refs={"tag": "tag"}, form=[("name", "a\x00b")]))),
    ("tags.merge", "POST"): Route(
        call("POST", "/settings/tags/{tag}/merge", refs=st.fixed_dictionaries({"tag": ref("tag", "other_tag")}),
             form=fields({"into": s.Field(st.sampled_from(("1", "2")), st.sampled_from(("", "0", "x", "-1")))})),
        writes=TAG_TABLES | {"deleted_customer"}),
    ("tags.confirm_delete", "GET"): Route(call("GET", "/settings/tags/{tag}/delete",
                                               refs=st.fixed_dictionaries({"tag": ref("tag")}))),
    ("tags.delete", "POST"): Route(
        call("POST", "/settings/tags/{tag}/delete", refs=st.fixed_dictionaries({"tag": ref("tag", "other_tag")})),
        writes=TAG_TABLES | {"deleted_customer"}),
    # ---- the team ----
    ("team.invite", "POST"): Route(
        call("POST", "/settings/team/invite", form=fields({
            "email": s.Field(st.one_of(s.emails.valid, st.sampled_from(("sam@shop.test", "OWNER@shop.test"))),
                             s.emails.any),
            "role": s.Field(st.sampled_from(ROLES), st.sampled_from(("admin", "Owner", "", "staff\x00")))},
            required=("email", "role"))),
        writes=frozenset({"invitation", "audit_event"}), check=checks.invited),
    ("team.revoke_invitation", "POST"): Route(
        call("POST", "/settings/team/invitations/{invitation}/revoke",
             refs=st.fixed_dictionaries({"invitation": ref("invitation")})),
        writes=frozenset({"invitation", "audit_event"})),
    ("team.member", "GET"): Route(call("GET", "/settings/team/members/{member}", refs=members)),
    ("team.change_role", "POST"): Route(
        call("POST", "/settings/team/members/{member}/role", refs=members,
             form=fields({"role": s.Field(st.sampled_from(ROLES), st.sampled_from(("admin", "")))},
                         required=("role",))),
        writes=TEAM_TABLES),
    ("team.change_permissions", "POST"): Route(
        call("POST", "/settings/team/members/{member}/permissions", refs=members,
             form=st.lists(st.tuples(st.just("permission"), st.one_of(st.sampled_from(PERMISSION_KEYS), s.junk)),
                           max_size=12)),
        writes=TEAM_TABLES),
    ("team.deactivate", "POST"): Route(call("POST", "/settings/team/members/{member}/deactivate", refs=members),
                                       writes=TEAM_TABLES),
    ("team.reactivate", "POST"): Route(call("POST", "/settings/team/members/{member}/reactivate", refs=members),
                                       writes=TEAM_TABLES),
    ("team.remove", "POST"): Route(call("POST", "/settings/team/members/{member}/remove", refs=members),
                                   writes=TEAM_TABLES | {"note", "invitation", "api_token"}),
    ("team.make_owner", "POST"): Route(call("POST", "/settings/team/members/{member}/owner", refs=members),
                                       writes=TEAM_TABLES),
    ("team.join", "GET"): Route(call("GET", "/invite/{token}", who="visitor", refs=invitation_links)),
    ("team.join", "POST"): Route(
        call("POST", "/invite/{token}", who="visitor", refs=invitation_links,
             form=fields({"name": s.names, "password": s.passwords}, required=("name", "password"))),
        writes=frozenset({"user", "invitation", "audit_event", "user_session"}), check=checks.joined),
    ("settings.require_two_step", "POST"): Route(
        call("POST", "/settings/team/two-step", form=fields({"require_two_step": s.Field(st.sampled_from(("y", "")))})),
        writes=frozenset({"shop_settings", "audit_event"})),
    # ---- your account, two-step verification, password resets ----
    ("account.profile", "POST"): Route(
        call("POST", "/account/profile", form=fields({
            "profile-name": s.names, "profile-email": s.Field(st.sampled_from(("owner@shop.test", "OWNER@shop.test")),
                                                              s.emails.any),
            "profile-password": s.Field(st.just("correct horse battery"), s.passwords.any)},
            required=("profile-email",))),
        writes=frozenset({"user", "audit_event"})),
    ("account.display", "POST"): Route(
        call("POST", "/account/display", form=fields({
            "display-language": s.Field(st.sampled_from(("en", "ms")), s.free_text.any),
            "display-theme": s.Field(st.sampled_from(("system", "light", "dark")), s.free_text.any)},
            required=("display-language", "display-theme"))),
        writes=frozenset({"user"})),
    ("account.change_password", "POST"): Route(
        call("POST", "/account/password", form=fields({
            "password-current": s.Field(st.just("correct horse battery"), s.passwords.any),
            "password-new": s.passwords}, required=("password-current", "password-new"))),
        writes=frozenset({"user", "user_session", "audit_event"})),
    ("account.sign_out_session", "POST"): Route(
        call("POST", "/account/sessions/{session}/sign-out",
             refs=st.fixed_dictionaries({"session": numbers_in_paths})),
        # signing out the session the request runs in ends at the login page, which reads as refused
        writes=frozenset({"user_session", "audit_event"}), refused_writes=frozenset({"user_session", "audit_event"})),
    ("two_step.turn_on", "POST"): Route(
        call("POST", "/account/two-step/on", form=fields({"code": s.Field(st.sampled_from(("123456", "000000")),
                                                                         s.free_text.any)})),
        writes=frozenset({"user", "recovery_code", "audit_event"})),
    ("two_step.turn_off", "POST"): Route(
        call("POST", "/account/two-step/off", form=fields({"password": s.passwords})),
        writes=frozenset({"user", "recovery_code", "audit_event"})),
    ("auth.verify", "POST"): Route(
        call("POST", "/login/verify", who="visitor", form=fields({"code": s.Field(st.sampled_from(("123456",)),
                                                                                 s.free_text.any)})),
        writes=frozenset({"user", "user_session", "recovery_code", "audit_event", "rate_limit"}),
        refused_writes=frozenset({"rate_limit", "audit_event"})),
    ("password.forgot", "POST"): Route(
        call("POST", "/password/forgot", who="visitor", form=fields({"email": s.Field(
            st.sampled_from(("owner@shop.test", "nobody@shop.test")), s.emails.any)})),
        writes=frozenset({"rate_limit"}), refused_writes=frozenset({"rate_limit"})),
    ("password.reset", "GET"): Route(
        call("GET", "/password/reset/{token}", who="visitor", refs=st.fixed_dictionaries({"token": reset_tokens}))),
    ("password.reset", "POST"): Route(
        call("POST", "/password/reset/{token}", who="visitor", refs=st.fixed_dictionaries({"token": reset_tokens}),
             form=fields({"password": s.passwords})),
        writes=frozenset({"user", "user_session", "audit_event"})),
    # ---- address fragments, static files ----
    ("addresses.suggest", "GET"): Route(call("GET", "/addresses/suggest", headers=htmx, query=fields({
        "street": s.Field(st.sampled_from(("12 Smith", "parra", "2150", "kuala lumpur", "Jalan", "zü"))),
        "country": s.countries}))),
    ("addresses.states", "GET"): Route(call("GET", "/addresses/states", headers=htmx,
                                            query=fields({"country": s.countries}))),
    ("static", "GET"): Route(call("GET", "/static/{file}", who="visitor",
                                  refs=st.fixed_dictionaries({"file": static_files}))),
}

# Rules and methods that read no form field, URL argument or path argument: nothing to fuzz.
NO_INPUT = {
    ("index", "GET"), ("health", "GET"), ("auth.logout", "POST"), ("customers.new", "GET"),
    ("customers.generate_password_field", "GET"), ("customers.generate_membership_id_field", "GET"),
    ("imports.upload", "GET"), ("settings.index", "GET"), ("tags.index", "GET"), ("team.index", "GET"), ("team.invite", "GET"),
    # the account's pages and buttons read only who is signed in; the second step's GET only the signed session
    ("account.index", "GET"), ("account.sign_out_others", "POST"), ("two_step.page", "GET"), ("two_step.begin", "POST"),
    ("two_step.new_recovery_codes", "POST"), ("auth.verify", "GET"), ("password.forgot", "GET"),
    # the follow pages' GETs read only the signed session, which the POSTs above put there
    ("follow.start", "GET"), ("follow.verify", "GET"), ("follow.done", "GET"),
}
# The order API is fuzzed by Schemathesis over /api/v1/openapi.json, against its own schema.
API_PREFIX = "/api/"
