"""Who demo customers are: names in the mix of an Australian or a Malaysian shop, the email addresses and
mobile numbers people make of them, companies and ABNs, from pools that Faker fills once per seed."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from stdnum.au import abn

from ..models import Customer

# Reserved by RFC 2606, so no demo email can ever reach a real person.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

# Mobile prefixes that phonenumbers accepts as valid for every subscriber number that follows
# (checked with phonenumbers 9.0), as (prefix, digits after it).
AU_MOBILES = tuple((p, 7) for p in ("+6140", "+6141", "+6142", "+6143", "+6146")) + tuple(
    (p, 6) for p in ("+61450", "+61451", "+61452", "+61455", "+61457", "+61477", "+61478", "+61481",
                     "+61487", "+61488", "+61490", "+61491"))
MY_MOBILES = tuple((p, 7) for p in ("+6012", "+6016", "+6019")) + tuple(
    (p, 6) for p in ("+60102", "+60103", "+60106", "+60108", "+60132", "+60133", "+60137", "+60138",
                     "+60142", "+60143", "+60172", "+60173", "+60176", "+60177", "+60182")) + tuple(
    (p, 7) for p in ("+60111", "+60112", "+60113", "+60114", "+60115"))


class Person:
    """The fields the search helpers read, so a customer row gets exactly the values the service gives it."""

    __slots__ = ("first_name", "last_name", "email", "company_name", "phone", "whatsapp",
                 "search_text", "name_key")
    full_name = Customer.full_name  # the model's own rule for joining the names

    def __init__(self, first_name, last_name, email, company_name, phone, whatsapp):
        """Hold one customer's names and contacts."""
        self.first_name, self.last_name, self.email = first_name, last_name, email
        self.company_name, self.phone, self.whatsapp = company_name, phone, whatsapp


@dataclass
class Pools:
    """Names, streets, towns and companies drawn from Faker once per run."""

    au_first: list[str]
    au_last: list[str]
    au_streets: list[str]
    au_companies: list[str]
    my_streets: list[str]
    my_cities: list[str]
    malay_male: list[str]
    malay_female: list[str]
    chinese_given: list[str]
    chinese_family: list[str]
    indian_first: list[str]
    indian_last: list[str]


def _unique(make: Callable[[], str], size: int) -> list[str]:
    """Up to `size` distinct values from a Faker method, in a stable order."""
    return list(dict.fromkeys(make() for _ in range(size)))


def _draws(make: Callable[[], str], size: int) -> list[str]:
    """`size` values from a Faker method, repeats kept so common names stay common (Smith over Zamora)."""
    return [make() for _ in range(size)]


@lru_cache(maxsize=4)  # repeated runs (tests, benchmarks) skip the slow Faker part
def pools(seed: int) -> Pools:
    """Build the pools with Faker (the only Faker calls of a run)."""
    from faker import Faker  # here, not at the top: the app loads this package for its command at every start

    # Faker 40 ships no ms_MY locale: en_MS has Malaysian addresses, id_ID Malay given names,
    # zh_CN romanised Chinese names and en_IN Indian names, which is Malaysia's mix.
    au, my, malay, chinese, indian = (Faker(loc) for loc in ("en_AU", "en_MS", "id_ID", "zh_CN", "en_IN"))
    for offset, fake in enumerate((au, my, malay, chinese, indian)):
        fake.seed_instance(seed + offset)
    given = _unique(chinese.first_romanized_name, 300)
    short = [g for g in given if len(g) <= 4]
    return Pools(
        au_first=_draws(au.first_name, 3000),
        au_last=_draws(au.last_name, 3000),
        au_streets=_unique(au.street_name, 2000),
        au_companies=[_australian_company(c) for c in _unique(au.company, 1000)],
        my_streets=_unique(my.street_name, 2000),
        # Bare codes such as "PJU28e" read like typos in a list; keep the named townships.
        my_cities=[c for c in _unique(my.city, 1500) if " " in c],
        malay_male=_draws(malay.first_name_male, 1500),
        malay_female=_draws(malay.first_name_female, 1500),
        # Malaysian Chinese given names are often two syllables ("Wei Ming").
        chinese_given=given + [f"{a} {b}" for a in short for b in short if a != b],
        chinese_family=_draws(chinese.last_romanized_name, 500),
        indian_first=_draws(indian.first_name, 1500),
        indian_last=_draws(indian.last_name, 1500),
    )


def _australian_company(name: str) -> str:
    """Faker's US-style company name with the suffix an Australian business would use."""
    for suffix in (" LLC", " PLC", " Inc", " Ltd", " Group"):
        if name.endswith(suffix):
            return name.removesuffix(suffix) + " Pty Ltd"
    return name


def name(rng: random.Random, pools: Pools, au: bool) -> tuple[str, str]:
    """First and last name, in the mix of backgrounds of an Australian or a Malaysian shop."""
    roll = rng.random()
    if au:
        if roll < 0.88:
            return rng.choice(pools.au_first), rng.choice(pools.au_last)
        if roll < 0.95:
            return rng.choice(pools.chinese_given), rng.choice(pools.chinese_family)
        return rng.choice(pools.indian_first), rng.choice(pools.indian_last)
    if roll < 0.55:
        # Malay names carry the father's given name: "Nur Aisyah binti Ahmad".
        father = rng.choice(pools.malay_male)
        if rng.random() < 0.5:
            given = rng.choice(pools.malay_male)
            return ("Muhammad " + given if rng.random() < 0.3 else given), f"bin {father}"
        given = rng.choice(pools.malay_female)
        return ("Nur " + given if rng.random() < 0.3 else given), f"binti {father}"
    if roll < 0.85:
        return rng.choice(pools.chinese_given), rng.choice(pools.chinese_family)
    if roll < 0.95:
        return rng.choice(pools.indian_first), rng.choice(pools.indian_last)
    return rng.choice(pools.au_first), rng.choice(pools.au_last)


def email_local(rng: random.Random, first: str, last: str) -> str:
    """The part of an email address people make from their name."""
    given = _slug(first) or "customer"
    family = _slug(last.removeprefix("binti ").removeprefix("bin ")) or "shop"
    style = rng.random()
    if style < 0.5:
        return f"{given}.{family}"
    if style < 0.75:
        return f"{given}{family}"
    if style < 0.9:
        return f"{given[0]}{family}"
    return f"{given}_{family}"


def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, for email addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def phone(rng: random.Random, mobiles: tuple, used: set[str]) -> str:
    """A valid mobile number in E.164 not yet given out in this run."""
    while True:
        prefix, digits = mobiles[int(rng.random() * len(mobiles))]
        number = prefix + str(int(rng.random() * 10**digits)).zfill(digits)
        if number not in used:
            used.add(number)
            return number


def abn_number(rng: random.Random) -> str:
    """A random Australian Business Number that python-stdnum (and so the customer form) accepts."""
    while True:
        body = "".join(str(rng.randrange(10)) for _ in range(9))
        number = abn.calc_check_digits(body) + body
        if abn.is_valid(number):
            return number

