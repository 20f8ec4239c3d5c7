"""In the browser: the owner invites a member through the test mail server, the member joins from the mailed
link and signs in; a staff member sees no Export, Settings or delete and is refused their URLs."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from crm.extensions import db

from .. import factories
from ..mailserver import Collector
from .conftest import log_in, wait_for_reports, watch_for_csp_violations

PASSWORD = "koala biscuits at noon"


def _mailed_link(mailbox: Collector) -> str:
    """The invitation link in the newest message."""
    _rcpt, message = mailbox.messages[-1]
    return re.search(r"http://\S+/invite/\S+", message.get_body(("plain",)).get_content()).group(0)


def test_owner_invites_a_member_who_joins_and_signs_in(logged_in_page: Page, mailbox, browser: Browser, base_url,
                                                       csp_violations):
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("tablist", name="Settings").get_by_role("tab", name="Team").click()
    expect(page.get_by_role("heading", name="Team", level=1)).to_be_visible()
    page.get_by_role("button", name="Invite member").click()
    page.get_by_label("Email").fill("Nina@Example.test")
    page.get_by_label("Role").select_option(label="Staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status").filter(has_text="Invitation sent to Nina@example.test")).to_be_visible()
    expect(page.get_by_role("table", name="Open invitations").get_by_role("cell", name="Nina@example.test", exact=True)) \
        .to_be_visible()
    (rcpt, _message), = mailbox.messages
    assert rcpt == ["Nina@example.test"]

    newcomer = browser.new_context(base_url=base_url)
    watch_for_csp_violations(newcomer, csp_violations)
    member = newcomer.new_page()
    member.goto(_mailed_link(mailbox))
    expect(member.get_by_role("heading", name="Join Koala Goods")).to_be_visible()
    member.get_by_label("Name").fill("Nina Ng")
    member.get_by_label("Password").fill("too short")
    member.get_by_role("button", name="Join the team").click()
    expect(member.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    member.get_by_label("Password").fill(PASSWORD)
    member.get_by_role("button", name="Join the team").click()
    expect(member).to_have_url(re.compile(r"/customers$"))
    expect(member.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    member.get_by_role("button", name="Log out").click()
    log_in(member, "nina@example.test", PASSWORD)
    expect(member).to_have_url(re.compile(r"/customers$"))
    main = member.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link", name="Customers")).to_be_visible()
    expect(main.get_by_role("link", name="Settings")).to_have_count(0)
    member.goto(_mailed_link(mailbox))
    expect(member.get_by_role("alert")).to_contain_text("This invitation has already been used")
    wait_for_reports(newcomer)
    newcomer.close()

    page.reload()
    members = page.get_by_role("table", name="Members")
    expect(members.get_by_role("row").filter(has_text="Nina Ng")).to_contain_text("Staff")


def test_without_mail_the_link_is_shown_to_copy(logged_in_page: Page):
    page = logged_in_page
    page.goto("/settings/team")
    page.get_by_role("button", name="Invite member").click()
    page.get_by_label("Email").fill("pat@example.test")
    page.get_by_label("Role").select_option(label="Read only")
    page.get_by_role("button", name="Send invitation").click()
    link = page.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/invite/"))
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text(re.compile("^(Copied|Select the text and copy it)$"))).to_be_visible()


@pytest.fixture
def staff_member(live_app, owner, seed):
    """A staff member, and a customer without orders (whom an owner could delete)."""
    customer_id = seed("Alex", "Taylor", email="alex@example.test")
    with live_app.app_context():
        factories.member("sam@shop.test", "staff")
        db.session.commit()
        db.session.remove()
    return customer_id


def test_staff_see_no_export_settings_or_delete_and_get_403_there(page: Page, staff_member):
    page.goto("/login")
    log_in(page, "sam@shop.test", factories.MEMBER_PASSWORD)
    expect(page).to_have_url(re.compile(r"/customers$"))
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link")).to_have_text(["Customers", "Insights", "Sam Staff"])  # then their account
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    expect(page.get_by_role("link", name="Recently deleted")).to_have_count(0)
    page.get_by_role("link", name="Alex Taylor").click()
    expect(page.get_by_role("heading", name="Alex Taylor", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Add note")).to_be_visible()
    expect(page.get_by_role("button", name="Delete customer")).to_have_count(0)
    expect(page.get_by_role("button", name="Anonymize")).to_have_count(0)
    for path in ("/settings", "/customers/export", f"/customers/{staff_member}/delete", "/audit"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="You don't have access to this")).to_be_visible()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_deactivating_a_member_signs_them_out_at_their_next_click(logged_in_page: Page, staff_member,
                                                                 browser: Browser, base_url, csp_violations):
    other = browser.new_context(base_url=base_url)
    watch_for_csp_violations(other, csp_violations)
    member = other.new_page()
    member.goto("/login")
    log_in(member, "sam@shop.test", factories.MEMBER_PASSWORD)
    expect(member).to_have_url(re.compile(r"/customers$"))

    page = logged_in_page
    page.goto("/settings/team")
    page.get_by_role("link", name="Manage Sam Staff").click()
    expect(page.get_by_role("heading", name="Sam Staff", level=1)).to_be_visible()
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("status")).to_contain_text("Sam Staff is deactivated and signed out everywhere.")
    assert questions and questions[0].startswith("Deactivate Sam Staff?")
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()

    member.get_by_role("link", name="Alex Taylor").click()
    expect(member).to_have_url(re.compile(r"/login"))
    log_in(member, "sam@shop.test", factories.MEMBER_PASSWORD)
    expect(member.get_by_text("Invalid email or password")).to_be_visible()
    wait_for_reports(other)
    other.close()
