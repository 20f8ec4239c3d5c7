"""A customer's whole life in the dashboard: follows the store, orders through the API, becomes a VIP, is refunded."""

import re

from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.services import tokens
from crm.services.shop import get_settings


def checkout_token(live_app) -> str:
    """A new API token, as Settings → "Create API token" would make, with a VIP threshold of $500."""
    with live_app.app_context():
        get_settings().vip_threshold = 50000
        _, raw = tokens.create_token("Checkout")
        db.session.commit()
        db.session.remove()
    return raw


def post_order(page: Page, token: str, number: str, total: str, email: str = "ivy@example.test"):
    """Send one order as the shop's checkout does."""
    response = page.request.post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}, data={
        "order_number": number, "placed_at": "2026-11-01T10:00:00Z", "status": "paid", "currency": "AUD",
        "total": total, "customer": {"email": email.upper(), "first_name": "Ivy", "last_name": "Ingram"},
        "items": [{"name": "Linen tote bag", "quantity": 1, "unit_price": total}]})
    return response


def segment_of(page: Page, customer_id: int):
    """The segment badge on the customer's profile, freshly loaded."""
    page.goto(f"/customers/{customer_id}")
    return page.locator(".profile-head .segment")


def test_prospect_to_vip_and_back(logged_in_page: Page, live_app, seed):
    page = logged_in_page
    token = checkout_token(live_app)
    ivy = seed("Ivy", "Ingram", email="ivy@example.test")
    expect(segment_of(page, ivy)).to_contain_text("Prospect")

    first = post_order(page, token, "1001", "120.00")
    assert first.status == 201 and first.json() == {"order_number": "1001", "customer_id": ivy,
                                                    "customer_created": False}
    expect(segment_of(page, ivy)).to_contain_text("New")
    assert post_order(page, token, "1001", "120.00").status == 200  # the checkout retried: nothing changes
    expect(page.get_by_role("region", name="History").get_by_role("row").filter(has_text="#1001")).to_have_count(1)

    assert post_order(page, token, "1002", "180.00").status == 201
    expect(segment_of(page, ivy)).to_contain_text("Returning")

    assert post_order(page, token, "1003", "250.00").status == 201
    expect(segment_of(page, ivy)).to_contain_text("VIP")
    page.goto("/customers?segment=vip")
    expect(page.get_by_role("tab", name=re.compile(r"^VIP 1"))).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("link", name="Ivy Ingram", exact=True)).to_be_visible()

    refund = page.request.patch("/api/v1/orders/1003", headers={"Authorization": f"Bearer {token}"},
                                data={"status": "refunded"})
    assert refund.status == 200
    expect(segment_of(page, ivy)).to_contain_text("Returning")
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text("$300.00")).to_be_visible()  # paid spend net of the refund
    changes = page.get_by_role("region", name="Changes")
    expect(changes).to_contain_text('API token "Checkout"')


def test_wrong_token_is_refused(logged_in_page: Page, live_app):
    checkout_token(live_app)
    response = post_order(logged_in_page, "crm_not-a-real-token", "2001", "10.00")
    assert response.status == 401
