"""After a failed submit the focus goes to what says what went wrong, in a real browser: the alert of a failed
login, the "There is a problem" summary of the login, follow and password reset forms."""

import pytest
from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.models import User
from crm.services import resets

from .conftest import OWNER_EMAIL


def focused_text(page: Page) -> str:
    return page.evaluate("document.activeElement.textContent").strip()


def test_a_failed_login_puts_the_focus_on_its_alert(page: Page, owner):
    page.goto("/login")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Invalid email or password")
    expect(alert).to_be_focused()


@pytest.mark.parametrize(("path", "button"), (("/login", "Log in"), ("/follow", "Send code"),
                                              ("/password/forgot", "Send reset link")))
def test_an_empty_form_puts_the_focus_on_its_error_summary(page: Page, owner, path, button):
    page.goto(path)
    page.get_by_role("button", name=button).click()
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_focused()
    first = summary.get_by_role("link").first
    first.click()  # each entry leads to its field
    expect(page.get_by_label(first.inner_text())).to_be_focused()


def test_a_short_new_password_puts_the_focus_on_the_summary(page: Page, owner, live_app):
    with live_app.app_context():
        token = resets.make_token(db.session.scalar(db.select(User)))
        db.session.remove()
    page.goto(f"/password/reset/{token}")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_focused()
