"""API tokens in a real browser: create one, see it once, copy it, use it, revoke it."""

import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect

from ..test_api import order_body


def post_order(base_url: str, token: str, number: str) -> int:
    """Send an order to the live server's API the way a checkout would; the HTTP status."""
    request = urllib.request.Request(f"{base_url}/api/v1/orders", data=json.dumps(order_body(number)).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_create_copy_use_and_revoke_a_token(logged_in_page: Page, live_server):
    page = logged_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()

    page.get_by_label("Token name").fill("Checkout")
    page.get_by_role("button", name="Create API token").click()
    shown = page.get_by_label("New API token")
    expect(shown).to_have_attribute("readonly", "")
    token = shown.input_value()
    assert re.fullmatch(r"crm_[A-Za-z0-9_-]{43}", token)
    expect(page.get_by_text("it won't be shown again")).to_be_visible()
    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_text("Copied", exact=True)).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token

    table = page.get_by_role("table", name="API tokens")
    row = table.get_by_role("row").filter(has_text="Checkout")
    expect(row).to_contain_text(token[:8] + "…")
    expect(row).to_contain_text("Never")

    assert post_order(live_server, token, "1001") == 201

    page.reload()  # a plain load of /settings: the token is not shown again
    expect(page.get_by_label("New API token")).to_have_count(0)
    expect(page.get_by_role("table", name="API tokens").get_by_role("row").filter(has_text="Checkout")) \
        .not_to_contain_text("Never")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Checkout").click()
    expect(page.get_by_role("status").filter(has_text='API token "Checkout" revoked.')).to_be_visible()
    expect(page.get_by_role("button", name="Revoke Checkout")).to_have_count(0)
    expect(page.get_by_role("table", name="API tokens")).to_contain_text("Revoked")
    assert post_order(live_server, token, "1002") == 401


def test_revoke_can_be_called_off(logged_in_page: Page):
    page = logged_in_page
    page.goto("/settings")
    page.get_by_label("Token name").fill("Website")
    page.get_by_role("button", name="Create API token").click()
    page.goto("/settings")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke Website").click()
    expect(page.get_by_role("button", name="Revoke Website")).to_be_visible()
    expect(page.get_by_role("table", name="API tokens")).not_to_contain_text("Revoked")


def test_a_blank_name_is_explained(logged_in_page: Page):
    page = logged_in_page
    page.goto("/settings")
    page.get_by_role("button", name="Create API token").click()
    expect(page.get_by_label("Token name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Enter a name for the token")).to_be_visible()
