"""Phones, money and emails: parsing what people type, showing it the shop's way."""

from decimal import Decimal

import pytest

from crm.services import emails, money, phones


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("0412 345 678", "AU", "+61412345678"),
    ("+61 412 345 678", "AU", "+61412345678"),
    ("  (02) 9876 5432 ", "AU", "+61298765432"),
    ("012-345 6789", "MY", "+60123456789"),
    ("+60 12-345 6789", "AU", "+60123456789"),
])
def test_to_e164(raw, region, e164):
    assert phones.to_e164(raw, region) == e164


@pytest.mark.parametrize("raw", ["", "hello", "0412", "+61 412", "12345678901234567890", "☎️", "0412 345 6789"])
def test_to_e164_rejects_impossible(raw):
    with pytest.raises(phones.InvalidPhone):
        phones.to_e164(raw, "AU")


@pytest.mark.parametrize("raw", ["012-345", "012-345 67890123", "+60 12-345", "0000 000 000", "60"])
def test_to_e164_rejects_impossible_malaysian_numbers(raw):
    with pytest.raises(phones.InvalidPhone):
        phones.to_e164(raw, "MY")


def test_display_is_national_at_home_and_international_abroad():
    assert phones.display("+61412345678", "AU") == "0412 345 678"
    assert phones.display("+60123456789", "AU") == "+60 12-345 6789"
    assert phones.display(None, "AU") == ""


def test_whatsapp_prefers_whatsapp_then_mobile_never_landline():
    assert phones.whatsapp_digits("+60123456789", "+61412345678") == "60123456789"
    assert phones.whatsapp_digits(None, "+61412345678") == "61412345678"
    assert phones.whatsapp_digits(None, "+61298765432") is None
    assert phones.whatsapp_digits(None, None) is None


@pytest.mark.parametrize("query", ["0412 345 678", "+61412345678", "0412-345-678", "(04) 1234 5678",
                                   "+61 412 345 678"])
def test_phone_search_ignores_formatting(query):
    assert phones.search_prefixes(query, "AU") == ["+61412345678"]


def test_phone_search_without_trunk_zero_or_plus():
    assert phones.search_prefixes("412345678", "AU") == ["+61412345678", "+412345678"]
    assert phones.search_prefixes("60123456789", "AU") == ["+6160123456789", "+60123456789"]
    assert phones.search_prefixes("012-345 6789", "MY") == ["+60123456789"]
    assert phones.search_prefixes("0412", "AU") == ["+61412"]


@pytest.mark.parametrize("query", ["smith", "anna@example.com", "12", "unit 4", "", "+", "+6"])
def test_non_phone_queries_are_not_phone_searches(query):
    assert phones.search_prefixes(query, "AU") is None


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("129.90", "AUD", 12990), ("1000", "AUD", 100000), (" 0.5 ", "MYR", 50), ("1500", "JPY", 1500),
    ("1,299.90", "AUD", 129990), (".5", "AUD", 50), ("5.", "AUD", 500), ("9999999999.99", "AUD", 10**12 - 1),
    ("999999999999", "JPY", 10**12 - 1),
])
def test_parse_amount(text, currency, minor):
    assert money.parse_amount(text, currency) == minor


@pytest.mark.parametrize(("text", "kind"), [
    ("", "format"), ("abc", "format"), ("NaN", "format"), ("Infinity", "format"), ("1e309", "format"),
    ("1e400x", "format"), ("0x10", "format"), ("+5", "format"), ("١٢", "format"), ("1.234", "places"),
    ("-1", "negative"), ("-0", "negative"), ("10000000000.00", "too_large"), ("9" * 400, "too_large"),
    ("92233720368547758.07", "too_large"), ("9999999999.999", "too_large"), ("12.999", "places"),
])
def test_parse_amount_refuses(text, kind):
    with pytest.raises(money.AmountError) as refused:
        money.parse_amount(text, "AUD")
    assert refused.value.kind == kind


def test_parse_amount_names_the_bound_and_the_api_takes_no_commas():
    with pytest.raises(money.AmountError, match=r"Enter an amount up to 9,999,999,999\.99"):
        money.parse_amount("10000000000", "AUD")
    with pytest.raises(money.AmountError, match="such as 129.90"):
        money.parse_amount("1,000", "AUD", grouping=False)


def test_format_money_by_shop_country():
    assert money.format_money(123450, "AUD", "AU") == "$1,234.50"
    assert money.format_money(123450, "MYR", "MY") == "RM1,234.50"
    assert money.format_money(None, "AUD", "AU") == "$0.00"
    assert money.to_decimal(12990, "AUD") == Decimal("129.90")


def test_emails_are_normalized_and_checked():
    assert emails.normalize_email("  Anna@Example.COM ") == "Anna@example.com"
    assert emails.normalize_email("tester@shop.test") == "tester@shop.test"
    for bad in ("", "anna", "anna@", "@example.com", "anna@@example.com"):
        with pytest.raises(emails.InvalidEmail):
            emails.normalize_email(bad)
