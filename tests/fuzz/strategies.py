"""What people and attackers type into a field: Hypothesis strategies for text, numbers, dates, emails,
phone numbers and the shop's own codes, each mixed with valid values so the happy path is reached often."""

from dataclasses import dataclass
from datetime import date

from hypothesis import strategies as st

from crm.settings.forms import country_choices, currency_choices, timezone_choices

# Characters that break things: NUL and other C0/C1 controls, bidirectional overrides and isolates,
# zero-width and byte-order marks, line separators, combining marks, lone surrogates (sent as their
# WTF-8 bytes, which the server decodes to U+FFFD), right-to-left letters, emoji.
TRICKY_CHARACTERS = ("\x00", "\x01", "\x07", "\x08", "\x1b", "\x7f", "\x85", "\x9b", "\t", "\n", "\r",
                     "\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
                     "\u200b", "\u200d", "\u200e", "\ufeff", "\u2028", "\u2029", "\u00a0", "\u3000",
                     "\u0301", "\ud800", "\udfff", "\ufffd", "\uffff", "\U0010ffff", "ë", "ß", "İ", "ﬁ",
                     "ש", "م", "😀", "👩\u200d💻", "%", "_", "\\", "'", '"', "<", ">", "&", ";", ",", "+",
                     "=", "@", "#", "/", "*", ":")
WHITESPACE = " \t\n\r\u00a0\u2003\u3000\u200b\u2028\x0b\x0c"
LIMITS = (40, 43, 64, 99, 100, 101, 200, 201, 254, 255, 2000, 2001, 5000, 5001)

tricky_character = st.sampled_from(TRICKY_CHARACTERS)
any_character = st.characters(exclude_categories=())  # every code point, surrogates included
words = st.text(st.characters(categories=("L", "Nd", "Zs")), min_size=1, max_size=20)


@st.composite
def long_text(draw) -> str:
    """A run of one character or word just under, at and over the limits the app knows of."""
    unit = draw(st.sampled_from(("a", "ë", "😀", " a", "9", "\u0301", "ab cd ")))
    length = draw(st.sampled_from(LIMITS) | st.integers(0, 6000))
    return (unit * length)[:length] if len(unit) == 1 else unit * max(1, length // len(unit))


def mixed_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Arbitrary unicode with the tricky characters mixed in."""
    return st.lists(st.one_of(st.text(any_character, max_size=8), tricky_character, words),
                    max_size=max_size // 4).map("".join)


junk = st.one_of(
    st.just(""),
    st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=12),  # whitespace only
    mixed_text(),
    long_text(),
    st.text(any_character, max_size=30),
)


@dataclass(frozen=True)
class Field:
    """How one field is filled: `valid` for values the app should take, `any` for everything else too."""

    valid: st.SearchStrategy[str]
    near: st.SearchStrategy[str] = st.nothing()

    @property
    def any(self) -> st.SearchStrategy[str]:
        """A valid value padded with spaces or with a tricky character slipped in, a near miss, or junk."""
        padded = st.tuples(st.sampled_from(("", " ", "  ", "\t")), self.valid,
                           st.sampled_from(("", " ", "\n"))).map("".join)
        return st.one_of(padded, spiked(self.valid), self.near, junk)


@st.composite
def spiked(draw, valid: st.SearchStrategy[str]) -> str:
    """A valid value with one tricky character inserted somewhere: "Parramatta\x00", "04\u202e12 345 678"."""
    value = draw(valid)
    at = draw(st.integers(0, len(value)))
    return value[:at] + draw(tricky_character) + value[at:]


# Numbers in every shape: overflow, negative zero, NaN and infinity, hex, exponents, separators,
# digits of other scripts, and values at the edges of 32-bit, 64-bit and Decimal's range.
ODD_NUMBERS = ("1e309", "-1e309", "1e-400", "-0", "-0.0", "0", "NaN", "nan", "sNaN", "Infinity", "-inf", "9" * 400,
               "92233720368547758.07", "92233720368547758.08", "9223372036854775807", "9223372036854775808",
               "-9223372036854775809", "4611686018427387904", "2147483647", "2147483648", "4294967296",
               "0x10", "0b1", "1_000", "1,000", "1,000.50", "1.000,50", "1 000", " 12 ", "12 .5", "+5", "-1",
               "-0.01", "00012", ".5", "5.", "1e2", "1E-2", "1.5e3", "0.001", "12.345", "٣", "１２", "1/2",
               "10%", "$5", "5$", "A$129.90", "RM 12", "—5", "1e999999999", "1" * 30 + ".5", "0." + "0" * 300 + "1")
odd_numbers = st.one_of(st.sampled_from(ODD_NUMBERS), st.decimals(allow_nan=True, allow_infinity=True).map(str),
                        st.floats().map(repr), st.integers(-(2**80), 2**80).map(str))
money = Field(st.one_of(st.decimals(min_value=0, max_value=10**6, places=2).map(str), st.integers(0, 10**6).map(str),
                        st.sampled_from(("129.90", "0", "1000", "1,299.00", "0.5", "2500"))), odd_numbers)
whole_number = Field(st.integers(-3, 30).map(str), odd_numbers)

ODD_DATES = ("2026-02-30", "2026-02-29", "2028-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01",
             "2026-13-01", "2026-00-10", "2026-1-1", "01/02/2026", "2026/11/01", "2026-11-01T10:00",
             "2026-11-01 10:00:00", "20261101", "today", "1969-12-31", "1970-01-01", "-2026-01-01",
             "２０２６-11-01", "2026-11-01\x00", " 2026-11-01 ", "2026-W45-1", "2026-305")
dates = Field(st.one_of(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat),
                        st.sampled_from(("2026-11-01", "2027-03-31", "2025-01-15"))),
              st.one_of(st.sampled_from(ODD_DATES), st.dates().map(date.isoformat),
                        st.dates().map(lambda d: d.strftime("%d/%m/%Y"))))

EMAILS = ("alex@example.com", "ALEX@Example.COM", "zoë@exämple.com", "a+tag@shop.test", "o'brien@example.ie",
          "пример@пример.рф", "x@sub.domain.example.co.uk", "alex.taylor@shop.test", "PAT@shop.test")
NEAR_EMAILS = ("a@", "@b.com", "a@@b.com", "a b@c.com", "a@b", "a@b..com", "a@-b.com", "a@b.com.", ".a@b.com",
               "a" * 65 + "@b.com", "a@" + "b" * 64 + ".com", "a@" + ("b" * 60 + ".") * 5 + "com", "a@b.com\x00",
               "\u202ea@b.com", "a@localhost", "a@b.c", "mailto:a@b.com", "<a@b.com>", "A <a@b.com>",
               "a@b.com, c@d.com", "a\r\nBcc: c@d.com", "a@b.com\n", "\"a b\"@c.com", "a@xn--.com", "a@b.co m",
               "user@[127.0.0.1]")
emails = Field(st.one_of(st.sampled_from(EMAILS), st.emails()), st.sampled_from(NEAR_EMAILS))

PHONES = ("0412 345 678", "+61 412 345 678", "+61412345678", "(02) 9876 5432", "02 9876 5432", "0412-345-678",
          "+60 12-345 6789", "+1 650 253 0000", "+44 20 7946 0958", "+61 412 000 111")
NEAR_PHONES = ("0412", "04123456789", "+61", "+", "++61412345678", "0412 345 678 ext 5", "+999 1234", "١٢٣٤٥٦٧٨٩٠",
               "0412\x00345678", "0" * 40, "9" * 400, "tel:+61412345678", "+61 412 345 678#", "+61-(0)412",
               "(((())))", "0412 345 67a", "+6141234567890123456789", "000", "112", "1800 123 456",
               "012-345 6789", "03-2161 2345")
phones = Field(st.sampled_from(PHONES), st.one_of(st.sampled_from(NEAR_PHONES),
                                                  st.from_regex(r"\+?[0-9 ()\-.]{0,24}", fullmatch=True)))

abns = Field(st.sampled_from(("51 824 753 556", "51824753556", "53 004 085 616")),
             st.sampled_from(("51 824 753 557", "5182475355", "518247535566", "51-824-753-556", "5l 824 753 556",
                              "00000000000", "١٢٣")))
membership_ids = Field(st.one_of(st.sampled_from(("M123456782", "m-1", "KG-2026-001", "A" * 40)),
                                 st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,39}", fullmatch=True)),
                       st.sampled_from(("-abc", "A" * 41, "ÄBC", "M 1", "M_1", "m123456782")))
postcodes = Field(st.sampled_from(("2150", "3065", "0800", "50450")),
                  st.sampled_from(("215", "21500", "abcd", "２１５０", "SW1A 1AA", "10001", "1" * 21)))
states = Field(st.sampled_from(("NSW", "nsw", "New South Wales", "VIC", "Tas", "Selangor", "selangor",
                                "Wilayah Persekutuan Kuala Lumpur", "Kuala Lumpur")),
               st.sampled_from(("XYZ", "California", "N.S.W.")))
cities = Field(st.sampled_from(("Parramatta", "Kingston", "Kuala Lumpur", "Shah Alam", "Zürich", "São Paulo",
                                "القاهرة")))
streets = Field(st.sampled_from(("12 Smith St", "Unit 4/100 George Street", "Jalan Ampang", "1 Infinite Loop")))
NAMES = ("Alex", "Zoë", "Ångström", "O'Brien", "Mary-Jane", "José María", "محمد", "李", "Nguyễn", "  Sam  Lee ",
         "Dr. Who", "X Æ A-12", "a" * 100, "😀 Smile", "עברית")
names = Field(st.one_of(st.sampled_from(NAMES), words))
free_text = Field(st.one_of(st.sampled_from(("Leave it with Anna next door", "Rang twice.\nPrefers email.",
                                             "VIP\tbirthday 12 May", "😀 💐 עברית")), words))
passwords = Field(st.one_of(st.sampled_from(("correct horse battery", "Pässwörd-1234")),
                            st.text(st.characters(codec="utf-8"), min_size=12, max_size=60)),
                  st.sampled_from(("short", "1234567", "x" * 201)))

# Codes the shop's selects take: valid ones, case slips, near misses and junk.
countries = Field(st.sampled_from(("AU", "MY", "NZ", "US", "GB", "DE")),
                  st.sampled_from([code for code, _ in country_choices()] + ["au", "AUS", "XX", "ZZ", "EU"]))
currencies = Field(st.sampled_from(("AUD", "MYR", "JPY", "USD", "KWD")),
                   st.sampled_from([code for code, _ in currency_choices()] + ["aud", "AU", "XXX"]))
timezones = Field(st.sampled_from(("Australia/Sydney", "Asia/Kuala_Lumpur", "Pacific/Chatham", "America/St_Johns")),
                  st.sampled_from([name for name, _ in timezone_choices()][::25]
                                  + ["UTC", "Etc/GMT+5", "Mars/Olympus", "../../etc/passwd", "australia/sydney"]))
checkbox = Field(st.sampled_from(("y", "on")), st.sampled_from(("true", "false", "0", "", "no")))
