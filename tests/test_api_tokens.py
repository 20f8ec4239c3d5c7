"""API tokens: the service, the `flask tokens` commands and the "API tokens" section of the settings page."""

import hashlib
import re
from html import unescape

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ApiToken
from crm.services import tokens

from .html import parse
from .test_api import order_body


def new_token(html: str) -> str:
    """The token shown once in the "New API token" field."""
    raw = parse(html).field("New API token").value
    assert re.fullmatch(r"crm_[A-Za-z0-9_-]+", raw), raw
    return raw


def post_order(client, raw: str, number: str = "1001"):
    """Send an order with the given token."""
    return client.post("/api/v1/orders", json=order_body(number), headers={"Authorization": f"Bearer {raw}"})


# ---- service --------------------------------------------------------------------------------------------


def test_only_a_hash_and_a_short_prefix_are_kept(app):
    with app.app_context():
        token, raw = tokens.create_token("  Checkout  ")
        db.session.commit()
        assert re.fullmatch(r"crm_[A-Za-z0-9_-]{43}", raw)
        stored = db.session.get(ApiToken, token.id)
        assert stored.name == "Checkout"
        assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert stored.prefix == raw[:8] and raw not in (stored.token_hash, stored.prefix)
        assert stored.last_used_at is None and stored.revoked_at is None


def test_authenticate_and_revoke(app):
    with app.app_context():
        token, raw = tokens.create_token("Checkout")
        assert tokens.authenticate(f"Bearer {raw}") is token
        assert tokens.authenticate(f"Bearer {raw}x") is None
        assert tokens.authenticate(raw) is None
        assert tokens.authenticate(None) is None
        assert tokens.revoke(token) is True
        assert tokens.revoke(token) is False
        assert tokens.authenticate(f"Bearer {raw}") is None


@pytest.mark.parametrize(("name", "problem"), [
    ("", "Enter a name for the token"),
    ("   ", "Enter a name for the token"),
    ("x" * 101, "Use at most 100 characters"),
    ("checkout", "An active token already has this name"),
    ("Website", None),
    ("x" * 100, None),
])
def test_token_names(app, name, problem):
    with app.app_context():
        tokens.create_token("Checkout")
        revoked, _ = tokens.create_token("Old")
        tokens.revoke(revoked)
        assert tokens.name_problem(name) == problem
        assert tokens.name_problem("old") is None  # a revoked token's name can be used again


# ---- CLI ------------------------------------------------------------------------------------------------


def test_cli_create_prints_a_working_token_once(app, runner, client):
    result = runner.invoke(args=["tokens", "create", "Checkout"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("crm_")
    assert "won't be shown again" in result.stderr
    assert post_order(client, raw).status_code == 201
    listed = runner.invoke(args=["tokens", "list"])
    assert "Checkout" in listed.output and raw[:8] + "…" in listed.output and raw not in listed.output
    assert "active" in listed.output


def test_cli_refuses_a_duplicate_or_blank_name(runner):
    assert runner.invoke(args=["tokens", "create", "Checkout"]).exit_code == 0
    duplicate = runner.invoke(args=["tokens", "create", "CHECKOUT"])
    assert duplicate.exit_code == 2 and "An active token already has this name" in duplicate.output
    blank = runner.invoke(args=["tokens", "create", " "])
    assert blank.exit_code == 2 and "Enter a name for the token" in blank.output


@pytest.mark.parametrize("by", ["name", "id"])
def test_cli_revoke_by_name_or_id(app, runner, client, by):
    raw = runner.invoke(args=["tokens", "create", "Checkout"]).stdout.strip()
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    result = runner.invoke(args=["tokens", "revoke", "checkout" if by == "name" else str(token_id)])
    assert result.exit_code == 0 and 'Revoked API token "Checkout"' in result.output
    assert post_order(client, raw).status_code == 401
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    again = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert "revoked already" in again.output


def test_cli_revoke_unknown(runner):
    result = runner.invoke(args=["tokens", "revoke", "Nope"])
    assert result.exit_code == 2 and 'No API token "Nope"' in result.output


def test_cli_list_when_empty(runner):
    assert runner.invoke(args=["tokens", "list"]).output.strip() == "No API tokens."


# ---- settings page --------------------------------------------------------------------------------------


def test_settings_page_has_the_token_controls(logged_in):
    html = logged_in.get("/settings").get_data(as_text=True)
    doc = parse(html)
    assert doc.heading("API tokens").tag == "h2"
    assert doc.field("Token name")["id"] == "token-name"
    assert doc.button("Create API token")
    assert "No API tokens yet." in html
    assert not doc.has_id("new-token")


def test_created_token_is_shown_once_and_works(app, logged_in, client):
    response = logged_in.post("/settings/tokens", data={"token-name": "Checkout"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    raw = new_token(html)
    doc = parse(html)
    assert doc.button("Copy token")["data-copy"] == "#" + doc.field("New API token")["id"]
    assert "it won't be shown again" in doc.text
    assert "settings.js" in html
    with app.app_context():
        assert db.session.scalars(select(ApiToken)).one().created_by.email == "owner@shop.test"

    page = logged_in.get("/settings").get_data(as_text=True)
    assert raw not in page and not parse(page).has_id("new-token")
    tokens = parse(page).by_role("table", "API tokens").text
    assert "Checkout" in tokens and f"{raw[:8]}…" in tokens and "Never" in tokens
    assert parse(page).button("Revoke Checkout")

    assert post_order(client, raw).status_code == 201
    assert "Never" not in parse(logged_in.get("/settings").get_data(as_text=True)).by_role("table", "API tokens").text


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name for the token"),
    ("x" * 101, "Use at most 100 characters"),
    ("checkout", "An active token already has this name"),
])
def test_bad_token_name_is_refused_and_kept(app, logged_in, name, message):
    logged_in.post("/settings/tokens", data={"token-name": "Checkout"})
    response = logged_in.post("/settings/tokens", data={"token-name": name})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert message in html
    field = parse(html).field("Token name")
    assert field.invalid and field.value == name
    assert not parse(html).has_id("new-token")
    with app.app_context():
        assert len(db.session.scalars(select(ApiToken)).all()) == 1


def test_revoke_button_stops_the_token(app, logged_in, client):
    html = logged_in.post("/settings/tokens", data={"token-name": "Checkout"}).get_data(as_text=True)
    raw = new_token(html)
    with app.app_context():
        token_id = db.session.scalars(select(ApiToken.id)).one()
    response = logged_in.post(f"/settings/tokens/{token_id}/revoke", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert 'API token "Checkout" revoked.' in parse(page).text
    assert "Revoked " in page and not parse(page).all_by_role("button", "Revoke Checkout")
    assert post_order(client, raw).status_code == 401
    # Its name is free again.
    assert logged_in.post("/settings/tokens", data={"token-name": "Checkout"}).status_code == 200


def test_revoking_an_unknown_token_is_404(logged_in):
    assert logged_in.post("/settings/tokens/999/revoke").status_code == 404


def test_token_pages_need_a_login(client, owner):
    assert client.post("/settings/tokens", data={"token-name": "X"}).status_code == 302
    assert client.post("/settings/tokens/1/revoke").status_code == 302


def test_saving_settings_leaves_tokens_alone_and_the_token_form_empty(app, logged_in):
    logged_in.post("/settings/tokens", data={"token-name": "Checkout"})
    data = {"shop_name": "Koala Goods", "currency": "AUD", "country": "AU", "timezone": "Australia/Sydney",
            "vip_threshold": "oops", "membership_prefix": ""}
    html = logged_in.post("/settings", data=data).get_data(as_text=True)
    doc = parse(html)
    assert any(e.invalid for e in doc.iter())  # the settings form's own error
    token_field = doc.by_id("token-name")
    assert not token_field.invalid and token_field.value == ""
