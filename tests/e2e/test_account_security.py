"""In the browser: two-step verification set up with a code pyotp computes, then a sign-in with the second step;
a forgotten password reset through the test SMTP server; a password changed on the account page."""

import re
import time

import pyotp
from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.services import accounts

from ..conftest import OWNER_EMAIL, OWNER_PASSWORD
from .conftest import log_in

NEW_PASSWORD = "a much longer passphrase"


def _next_code(secret: str, after: str | None = None) -> str:
    """The app's current code; a different one than `after` (each code works once), waiting for the next step."""
    totp = pyotp.TOTP(secret)
    deadline = time.monotonic() + 35
    while totp.now() == after and time.monotonic() < deadline:
        time.sleep(0.2)  # the next 30-second step: a code can't be used twice
    return totp.now()


def test_two_step_set_up_then_sign_in_with_the_second_step(logged_in_page: Page, live_app):
    page = logged_in_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name=OWNER_EMAIL).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_role("button", name="Set up two-step verification").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.get_by_label("Secret key").inner_text().strip()
    first = _next_code(secret)
    page.get_by_label("Code from your app").fill(first)
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("status").filter(has_text="Two-step verification is on.")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)

    page.get_by_role("button", name="Log out").click()
    log_in(page)
    expect(page).to_have_url(re.compile(r"/login/verify$"))
    page.get_by_label("Code").fill(first)  # used already to turn it on
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    page.get_by_label("Code").fill(_next_code(secret, after=first))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/customers$"))


def test_forgot_password_through_the_mailed_link(page: Page, owner, mailbox, live_app):
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("a link to set a new password is on its way")).to_be_visible()
    deadline = time.monotonic() + 10
    while not mailbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)  # the mail thread hands the message to the SMTP server
    body = mailbox.messages[-1][1].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/password/reset/\S+", body).group(0)
    page.goto(link)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Password changed. Log in with your new password.")).to_be_visible()
    log_in(page, password=NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/customers$"))
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("This link is no longer valid")


def test_change_password_on_the_account_page(logged_in_page: Page, live_app):
    page = logged_in_page
    page.goto("/account")
    page.get_by_label("Current password").fill(OWNER_PASSWORD)
    page.get_by_label("New password").fill("password")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("New password")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Current password").fill(OWNER_PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    with live_app.app_context():
        assert accounts.authenticate(OWNER_EMAIL, NEW_PASSWORD) is not None
        db.session.remove()
