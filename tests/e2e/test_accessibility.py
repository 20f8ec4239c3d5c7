"""Accessibility as a test: every page and state of the contract, at 1280 and 390 px and in the light and the
dark colour scheme, passes axe-core's WCAG 2.2 A/AA rules with zero violations, and on a phone every control is
at least 44×44 CSS px.

The pages are a table, STATES: a name, who looks (the owner, a visitor, a read-only member) and how to get
there (a URL, or a function that drives the page into the state). Adding a page is one line. One shop is laid
out for the whole module and one browser context per person and width is reused, so the module visits each
page once per check and width.
"""

import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from crm.extensions import db
from crm.models import Installation
from crm.services import accounts, saved_views, tags
from crm.services.shop import get_settings

from .. import factories
from ..conftest import OWNER_EMAIL, OWNER_PASSWORD, clean_database
from .accessibility import axe_violations, describe_targets, describe_violations, small_targets
from .conftest import log_in, wait_for_reports, watch_for_csp_violations

WIDTHS = (1280, 390)
# Each width in each colour scheme the browser can prefer: a member on "Theme: System" gets the dark one.
LOOKS = [(width, scheme) for scheme in ("light", "dark") for width in WIDTHS]
CUSTOMERS = "/customers"
_numbers = itertools.count(1)  # new people each time: 3 follow codes an hour per address
# New people each time it is uploaded, so every check has customers to create (and one invalid row).
IMPORT_FILE = "First name,Last name,Email,Phone\nNina,Novak,nina{n}@example.com,0412 000 111\nOmar,Oduya,omar@,\n"


@dataclass(frozen=True)
class State:
    """A page in a state worth checking: `go` is a URL, or a function (page, shop) that drives there;
    `around` a context manager (of the app) the check runs inside, for states the shop is not in otherwise."""

    name: str
    go: str | Callable[[Page, dict], None]
    who: str = "owner"
    around: Callable | None = None

    def __str__(self) -> str:
        return self.name


@pytest.fixture(autouse=True)
def clean_db():
    """One shop for the whole module (the `shop` fixture), not an empty one per test."""


@pytest.fixture(scope="module")
def shop(live_app, tmp_path_factory) -> Iterator[dict]:
    """A shop with customers in every segment, places, notes, orders, a read-only member and trail entries;
    yields the ids and files the states need. Rate limits are lifted: the module signs in and follows often."""
    with pytest.MonkeyPatch.context() as patch:
        for limit in ("FOLLOW_RATE_LIMIT", "FOLLOW_VERIFY_RATE_LIMIT", "LOGIN_RATE_LIMIT"):
            patch.setitem(live_app.config, limit, "10000 per hour")
        patch.setitem(live_app.config, "IMPORT_DIR", str(tmp_path_factory.mktemp("a11y-imports")))
        with live_app.app_context():
            clean_database()
            ids = _lay_out_shop()
            db.session.commit()
            db.session.remove()
        yield {**ids, "files": tmp_path_factory.mktemp("a11y-files")}
        with live_app.app_context():
            clean_database()
            db.session.remove()


def _lay_out_shop() -> dict:
    """The module's shop, in the live app's context: returns the ids the states visit."""
    owner = accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
    settings = get_settings()
    settings.b2b_enabled = settings.membership_enabled = True
    reader = factories.member("reader@shop.test", "read_only", name="Rita Reader")
    vip = factories.make_customer("Vera", "Important", email="vera.important@example.com", phone="+61412345678",
                                  whatsapp="+61412345679", company_name="Vera's Vintage", city="Parramatta",
                                  state="NSW", street="1 Church St", postcode="2150",
                                  orders_spec=[(80_000, "paid"), (60_000, "paid"), (5_000, "refunded")])
    factories.membership(vip, expires_on=datetime.now(timezone.utc).date() + timedelta(days=200))
    factories.note(vip, "Prefers parcel lockers", owner)
    wholesale = tags.get_or_create("Wholesale")
    for name in ("Wholesale", "Markets", "Newsletter", "Gift wrap"):
        tags.add(vip, tags.get_or_create(name), owner)
    factories.make_customer("Rui", "Returning", email="rui@example.com", city="Fitzroy", state="VIC",
                            postcode="3065", orders_spec=[(4_000, "paid"), (6_000, "paid")])
    factories.make_customer("Nell", "New", email="nell@example.com", phone="+61298765432",
                            orders_spec=[(2_500, "paid")])
    prospect = factories.make_customer("Pia", "Prospect", email="pia@example.com", whatsapp="+60123456789",
                                       city="Kuala Lumpur", country="MY", postcode="50450",
                                       state="Wilayah Persekutuan Kuala Lumpur")
    for n in range(1, 25):  # a second page of the list, for its pagination
        factories.customer(f"Sam{n}", "Shopper", email=f"sam{n}@example.com", phone=f"+614120001{n:02d}")
    lapsed = saved_views.ensure_lapsed() or saved_views.all_views()[0]
    db.session.flush()
    return {"vip": vip.id, "prospect": prospect.id, "reader": reader.id, "tag": wholesale.id,
            "lapsed_view": lapsed.id}


# ---- driving to a state --------------------------------------------------------------------------------

def _submit_empty_customer(page: Page, shop: dict) -> None:
    page.goto("/customers/new")
    page.get_by_role("button", name="Save customer").click()
    expect(page.get_by_role("alert", name="There is a problem")).to_be_focused()


def _edit_with_errors(page: Page, shop: dict) -> None:
    page.goto(f"/customers/{shop['vip']}/edit")
    page.get_by_label("First name").fill("")
    page.get_by_label("Email", exact=True).fill("vera@")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert", name="There is a problem")).to_be_focused()


def _settings_with_errors(page: Page, shop: dict) -> None:
    page.goto("/settings")
    page.get_by_label("Shop name").fill("")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert", name="There is a problem")).to_be_focused()


def _token_with_errors(page: Page, shop: dict) -> None:
    page.goto("/settings")
    page.get_by_role("button", name="Create API token").click()
    expect(page.get_by_role("alert", name="There is a problem")).to_be_focused()


def _anonymize_wrong_name(page: Page, shop: dict) -> None:
    page.goto(f"/customers/{shop['vip']}/anonymize")
    page.get_by_label("Type Vera Important to confirm").fill("Someone Else")
    page.get_by_role("button", name="Anonymize").click()
    expect(page.get_by_label("Type Vera Important to confirm")).to_have_attribute("aria-invalid", "true")


def _two_step_setup(page: Page, shop: dict) -> None:
    page.goto("/account/two-step")
    start = page.get_by_role("button", name="Set up two-step verification")
    if start.count():  # not yet begun at this width
        start.click()
    expect(page.get_by_label("Code from your app")).to_be_visible()


def _sent_empty(url: str, button: str) -> Callable[[Page, dict], None]:
    """Send the form of the button named `button` on the page at `url` as it is; it comes back with errors."""
    def go(page: Page, shop: dict) -> None:
        page.goto(url)
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.get_by_role("alert", name="There is a problem")).to_be_focused()
    return go


def _dialog(opener: str, customer: str) -> Callable[[Page, dict], None]:
    """Open a confirmation dialog on a customer's profile with the button named `opener`."""
    def go(page: Page, shop: dict) -> None:
        page.goto(f"/customers/{shop[customer]}")
        page.get_by_role("button", name=opener, exact=True).click()
        expect(page.get_by_role("dialog")).to_be_visible()
    return go


def _filters_open(page: Page, shop: dict) -> None:
    """The list filtered (a chip, a note for a malformed value) with its filter panel open."""
    page.goto(f"{CUSTOMERS}?orders_min=1&spent_max=lots")
    page.get_by_text("Filters", exact=False).first.click()
    expect(page.get_by_role("button", name="Apply filters")).to_be_visible()


def _columns_open(page: Page, shop: dict) -> None:
    """The list with its "Columns" chooser open."""
    page.goto(CUSTOMERS)
    page.get_by_text("Columns", exact=True).click()
    expect(page.get_by_role("button", name="Show columns")).to_be_visible()


def _save_view_form(page: Page, shop: dict) -> None:
    """The "Save view" form over a searched list."""
    page.goto(f"{CUSTOMERS}?q=vera")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_label("View name")).to_be_visible()


def _bulk_selected(page: Page, shop: dict) -> None:
    """A page of the list ticked: the bulk bar with its count and actions."""
    page.goto(CUSTOMERS)
    page.get_by_label("Select all on this page").check()
    expect(page.get_by_role("button", name="Turn off email marketing")).to_be_visible()


def _bulk_confirmation(page: Page, shop: dict) -> None:
    """The confirmation of a bulk action on the ticked page."""
    _bulk_selected(page, shop)
    page.get_by_role("button", name="Turn off email marketing").click()
    expect(page.get_by_role("heading", name=re.compile("Turn off email marketing"))).to_be_visible()


def _note_editing(page: Page, shop: dict) -> None:
    page.goto(f"/customers/{shop['vip']}")
    page.get_by_role("link", name="Edit this note").click()
    expect(page.get_by_label("Edit note")).to_be_visible()


def _import_checked(page: Page, shop: dict) -> None:
    n = next(_numbers)
    csv = shop["files"] / f"customers-{n}.csv"
    csv.write_text(IMPORT_FILE.format(n=n), encoding="utf-8")
    page.goto("/customers/import")
    page.get_by_label("CSV file").set_input_files(str(csv))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("button", name=re.compile(r"^Import \d"))).to_be_visible()


def _import_done(page: Page, shop: dict) -> None:
    _import_checked(page, shop)
    page.get_by_role("button", name=re.compile(r"^Import \d")).click()
    expect(page.get_by_role("status").filter(has_text="Imported:")).to_be_visible()


def _follow_started(page: Page, shop: dict) -> None:
    page.goto("/follow")
    page.get_by_label("Email").fill(f"visitor{next(_numbers)}@example.com")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("Verification code")).to_be_visible()


def _follow_wrong_code(page: Page, shop: dict) -> None:
    _follow_started(page, shop)
    page.get_by_label("Verification code").fill("12")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_label("Verification code")).to_have_attribute("aria-invalid", "true")


def _login_failed(page: Page, shop: dict) -> None:
    page.goto("/login")
    log_in(page, password="not the password")
    expect(page.get_by_text("Invalid email or password")).to_be_visible()


@contextmanager
def _before_setup(app) -> Iterator[None]:
    """The shop as before first-run setup (no installation row), for as long as the check takes."""
    with app.app_context():
        db.session.execute(db.delete(Installation))
        db.session.commit()
        db.session.remove()
    try:
        yield
    finally:
        with app.app_context():
            db.session.add(Installation(id=1))
            db.session.commit()
            db.session.remove()


STATES = [
    State("customer list", CUSTOMERS),
    *(State(f"segment tab {tab}", f"{CUSTOMERS}?segment={tab}") for tab in ("vip", "returning", "new", "prospect")),
    State("list page 2", f"{CUSTOMERS}?page=2&sort=name&dir=asc"),
    State("search", f"{CUSTOMERS}?q=vera"),
    State("search with no match", f"{CUSTOMERS}?q=nobody+at+all"),
    State("empty segment in a place", f"{CUSTOMERS}?segment=new&country=AU&state=NSW&city=Parramatta"),
    State("list of a place", f"{CUSTOMERS}?country=AU&state=NSW&city=Parramatta&sort=spent&dir=desc"),
    State("filter panel open", _filters_open),
    State("columns chooser open", _columns_open),
    State("saved view", lambda page, shop: page.goto(f"{CUSTOMERS}?view={shop['lapsed_view']}")),
    State("save view form", _save_view_form),
    State("bulk selection", _bulk_selected),
    State("bulk confirmation", _bulk_confirmation),
    State("add customer", "/customers/new"),
    State("add customer with errors", _submit_empty_customer),
    State("edit customer with errors", _edit_with_errors),
    State("profile", lambda page, shop: page.goto(f"/customers/{shop['vip']}")),
    State("profile editing a note", _note_editing),
    State("dialog anonymize", _dialog("Anonymize", "vip")),
    State("dialog delete", _dialog("Delete customer", "prospect")),
    State("confirmation page delete", lambda page, shop: page.goto(f"/customers/{shop['prospect']}/delete")),
    State("anonymize with a wrong name", _anonymize_wrong_name),
    State("add order", lambda page, shop: page.goto(f"/customers/{shop['vip']}/orders/new")),
    State("recently deleted", "/customers/deleted"),
    State("import upload", "/customers/import"),
    State("import check", _import_checked),
    State("import done", _import_done),
    State("insights", "/insights"),
    State("insights by state", "/insights?period=all&level=state"),
    State("audit trail", "/audit"),
    State("settings", "/settings"),
    State("settings with errors", _settings_with_errors),
    State("API token with errors", _token_with_errors),
    State("tags", "/settings/tags"),
    State("tag", lambda page, shop: page.goto(f"/settings/tags/{shop['tag']}")),
    State("team", "/settings/team"),
    State("invite member", "/settings/team/invite"),
    State("invite with errors", _sent_empty("/settings/team/invite", "Send invitation")),
    State("member", lambda page, shop: page.goto(f"/settings/team/members/{shop['reader']}")),
    State("account", "/account"),
    State("password change with errors", _sent_empty("/account", "Change password")),
    State("two-step set-up", _two_step_setup),
    State("not found", "/customers/2147483647"),
    State("forbidden", "/settings", who="reader"),
    State("login", "/login", who="visitor"),
    State("login failed", _login_failed, who="visitor"),
    State("forgot password", "/password/forgot", who="visitor"),
    State("setup", "/setup", who="visitor", around=_before_setup),
    State("setup with errors", _sent_empty("/setup", "Create account"), who="visitor", around=_before_setup),
    State("follow start", "/follow", who="visitor"),
    State("follow verify", _follow_started, who="visitor"),
    State("follow wrong code", _follow_wrong_code, who="visitor"),
    State("not found signed out", "/no-such-page", who="visitor"),
]
PEOPLE = {"owner": (OWNER_EMAIL, OWNER_PASSWORD), "reader": ("reader@shop.test", factories.MEMBER_PASSWORD)}


@pytest.fixture(scope="module", params=LOOKS, ids=lambda look: f"{look[0]}px-{look[1]}")
def pages(request, browser: Browser, live_server, shop) -> Iterator[Callable[[str], Page]]:
    """At one width and colour scheme: page_for(who) gives that person's page, each in a browser context of
    its own made on first use (signed in, for members) and kept for the module."""
    contexts: dict[str, BrowserContext] = {}
    violations: list[str] = []

    def page_for(who: str) -> Page:
        if who not in contexts:
            width, scheme = request.param
            context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900},
                                          color_scheme=scheme)
            watch_for_csp_violations(context, violations)
            contexts[who] = context
            page = context.new_page()
            if who in PEOPLE:
                page.goto("/login")
                log_in(page, *PEOPLE[who])
                expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        return contexts[who].pages[0]

    page_for.violations = violations  # read by keeps_the_policy
    yield page_for
    for context in contexts.values():
        wait_for_reports(context)
        context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def keeps_the_policy(pages, page: Page) -> None:
    """Fail the test if its page broke the Content-Security-Policy (as every browser test does)."""
    wait_for_reports(page.context)
    if pages.violations:
        found, pages.violations[:] = list(pages.violations), []
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found), pytrace=False)


def reach(state: State, page: Page, shop: dict) -> None:
    """Drive the page into the state."""
    if isinstance(state.go, str):
        page.goto(state.go)
    else:
        state.go(page, shop)
    page.wait_for_load_state()


@pytest.mark.parametrize("state", STATES, ids=str)
def test_axe_finds_no_violation(state: State, pages, shop, live_app):
    """axe-core's WCAG 2.0–2.2 A and AA rules (contrast, names, roles, target size, ...) find nothing."""
    page = pages(state.who)
    with state.around(live_app) if state.around else nullcontext():
        reach(state, page, shop)
        violations = axe_violations(page)
    keeps_the_policy(pages, page)
    if violations:
        pytest.fail(f"axe on {state.name} ({page.url}):\n{describe_violations(violations)}", pytrace=False)


@pytest.mark.parametrize("pages", [(390, "light")], indirect=True, ids=["390px"])
@pytest.mark.parametrize("state", STATES, ids=str)
def test_tap_targets(state: State, pages, shop, live_app):
    """On a phone every visible, enabled control is at least 44×44 CSS px.

    Controls: links with an href, buttons, inputs (not hidden ones), selects, text areas, summaries, and
    anything with role tab, button or option or a tabindex of 0 or more. A checkbox or radio button counts
    together with its label, which takes the tap too. Not counted: controls hidden, visually hidden (1 px or
    less, or inside a box of 1 px or less that hides its overflow, such as a phone's table headers: read by
    screen readers only), parked off-screen (the skip link until focused), or disabled.
    The one exception is WCAG's inline one: a link displayed inline inside a sentence, i.e. whose nearest
    enclosing p, li, dd, td, th, figcaption, label, .hint or .small has text of its own besides the link
    ("… Download invalid rows" in a paragraph). A link alone in its list item or cell is a control and counts.
    """
    page = pages(state.who)
    with state.around(live_app) if state.around else nullcontext():
        reach(state, page, shop)
        targets = small_targets(page)
    keeps_the_policy(pages, page)
    if targets:
        pytest.fail(f"Controls under 44×44 px on {state.name} ({page.url}):\n{describe_targets(targets)}", pytrace=False)
