"""Language and theme: each person's "Language" and "Theme" on the account page, the shop's default language
in Settings, and what a page says and wears because of them (html lang and data-theme, the words, dates and
money in the chosen language)."""

from datetime import datetime, timezone

import pytest

from crm.extensions import db
from crm.models import AuditEvent
from crm.services import accounts
from crm.services.shop import get_settings

from . import factories
from .conftest import OWNER_EMAIL
from .html import page


def _display(client, language="en", theme="system"):
    return client.post("/account/display", data={"display-language": language, "display-theme": theme})


def _owner_choice(app) -> tuple[str, str]:
    with app.app_context():
        owner = accounts.find_user(OWNER_EMAIL)
        return owner.language, owner.theme


def _committed_customer(app, *args, **kwargs) -> int:
    return factories.committed_customer(app, *args, **kwargs)


def test_account_page_offers_language_and_theme_set_to_the_current_ones(logged_in):
    form = page(logged_in.get("/account")).heading("Language and theme").parent.find("form")
    language, theme = form.field("Language"), form.field("Theme")
    assert [o.text for o in language.find_all("option")] == ["English", "Bahasa Melayu"]
    assert [o.text for o in theme.find_all("option")] == ["System", "Light", "Dark"]
    assert (language.value, theme.value) == ("en", "system")


def test_a_new_account_follows_the_system_theme_in_the_shops_language(logged_in):
    html = page(logged_in.get("/customers")).root.find("html")
    assert (html["lang"], html["data-theme"]) == ("en", "system")


@pytest.mark.parametrize("theme", ["light", "dark", "system"])
def test_the_theme_chosen_is_on_every_page(logged_in, theme):
    response = _display(logged_in, theme=theme)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    for url in ("/customers", "/insights", "/account"):
        assert page(logged_in.get(url)).root.find("html")["data-theme"] == theme


def test_malay_changes_the_words_the_dates_and_the_language_of_the_page(logged_in, app):
    aida = _committed_customer(app, "Aida", "Rahman", created_at=datetime(2026, 12, 1, 3, tzinfo=timezone.utc))
    response = _display(logged_in, language="ms")
    doc = page(logged_in.get(response.headers["Location"]))
    assert "Paparan disimpan." in doc.text
    assert doc.root.find("html")["lang"] == "ms"
    assert doc.field("Bahasa").value == "ms"
    doc = page(logged_in.get("/customers"))
    assert doc.heading("Pelanggan")
    assert [name for name, _href in doc.by_role("navigation", "Utama").links()][:4] == [
        "Pelanggan", "Analisis", "Tetapan", "Jejak audit"]
    profile = page(logged_in.get(f"/customers/{aida}"))
    assert "1 Dis 2026" in profile.text  # Babel's Malay month, not "1 Dec 2026"


def test_money_follows_the_language_as_the_shops_country_writes_it(logged_in, app):
    with app.app_context():
        settings = get_settings()
        settings.country, settings.currency = "MY", "MYR"
        db.session.commit()
    aida = _committed_customer(app, "Aida", "Rahman", orders_spec=[(123450, "paid")])
    _display(logged_in, language="ms")
    assert "RM1,234.50" in page(logged_in.get(f"/customers/{aida}")).text


@pytest.mark.parametrize("language, theme", [("fr", "dark"), ("ms", "purple"), ("", "light"), ("en", "")])
def test_a_language_or_theme_not_offered_is_refused_and_changes_nothing(logged_in, app, language, theme):
    response = _display(logged_in, language=language, theme=theme)
    assert response.status_code == 422
    doc = page(response)
    assert doc.by_role("alert", "There is a problem")
    assert "Not a valid choice." in doc.text
    assert _owner_choice(app) == ("", "system")


def test_saving_the_same_choice_says_nothing_changed(logged_in):
    _display(logged_in, language="en", theme="dark")
    assert "Display saved." in page(logged_in.get("/account")).text
    _display(logged_in, language="en", theme="dark")
    assert "Nothing changed." in page(logged_in.get("/account")).text


def test_a_choice_is_one_persons_alone(app, logged_in):
    _member(app)
    _display(logged_in, language="ms", theme="dark")
    other = app.test_client()
    other.post("/login", data={"email": "sam@shop.test", "password": factories.MEMBER_PASSWORD})
    html = page(other.get("/customers")).root.find("html")
    assert (html["lang"], html["data-theme"]) == ("en", "system")


def test_the_shops_default_language_reaches_members_without_a_choice_and_the_public_pages(app, logged_in):
    _member(app)
    response = logged_in.post("/settings", data={**_settings_form(logged_in), "language": "ms"})
    assert response.status_code == 302
    with app.app_context():
        assert get_settings().language == "ms"
    member = app.test_client()
    member.post("/login", data={"email": "sam@shop.test", "password": factories.MEMBER_PASSWORD})
    assert page(member.get("/customers")).heading("Pelanggan")
    visitor = app.test_client()
    assert page(visitor.get("/login")).root.find("html")["lang"] == "ms"
    assert page(visitor.get("/follow")).root.find("html")["lang"] == "ms"
    _display(logged_in, language="en")  # the owner's own choice wins over the shop's
    assert page(logged_in.get("/customers")).heading("Customers")


def test_the_trail_keeps_the_settings_english_name_and_shows_it_in_the_readers_language(logged_in, app):
    logged_in.post("/settings", data={**_settings_form(logged_in), "language": "ms"})
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.field == "Language")).one()
        assert (event.old_value, event.new_value) == ("English", "Bahasa Melayu")
    assert "Bahasa" in page(logged_in.get("/audit")).text  # the field's name, in the reader's Malay


@pytest.mark.parametrize(("email", "malay"), [
    ("anna at example.test", "Alamat e-mel mesti ada tanda @."),
    ("anna@exa mple.test", "Bahagian selepas tanda @ mengandungi aksara yang tidak sah: SPACE."),
])
def test_the_email_checks_reason_is_in_the_readers_language(logged_in, app, email, malay):
    _display(logged_in, language="ms")
    data = {"first_name": "Anna", "last_name": "Smith", "email": email, "street": "12 Smith St",
            "city": "Parramatta", "state": "NSW", "postcode": "2150", "country": "AU"}
    response = logged_in.post("/customers/new", data=data)
    assert response.status_code == 422 and malay in response.get_data(as_text=True)
    visitor = app.test_client()  # a form of the auth pages: the reason inside the form's own sentence
    with app.app_context():
        get_settings().language = "ms"
        db.session.commit()
    response = visitor.post("/follow", data={"email": email})
    assert f"Masukkan alamat e-mel yang sah ({malay})" in response.get_data(as_text=True)


def test_the_country_and_currency_lists_are_named_in_the_readers_language(logged_in):
    _display(logged_in, language="ms")
    doc = page(logged_in.get("/settings"))
    countries = {option["value"]: option.text for option in doc.field("Negara").find_all("option")}
    currencies = {option["value"]: option.text for option in doc.field("Mata wang").find_all("option")}
    assert (countries["US"], countries["DE"]) == ("Amerika Syarikat", "Jerman")
    assert currencies["AUD"] == "AUD – Dolar Australia"
    assert list(countries.values()) == sorted(countries.values(), key=str.casefold)
    form = page(logged_in.get("/customers/new"))
    assert {o["value"]: o.text for o in form.field("Negara").find_all("option")}["US"] == "Amerika Syarikat"


def test_signed_out_the_display_form_leads_to_sign_in(client, owner):
    response = _display(client, language="ms")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _member(app) -> None:
    with app.app_context():
        factories.member("sam@shop.test", "staff")
        db.session.commit()


def _settings_form(client) -> dict:
    """The settings form's fields as the page fills them."""
    form = page(client.get("/settings")).button("Save settings").form
    return {e["name"]: e.value for e in form.iter() if e.tag in ("input", "select") and e.get("name")
            and e.get("type") not in ("checkbox", "submit")}
