"""Where demo customers live: states weighted by population, real Australian localities with their postcodes,
Malaysian postcode ranges, and the address rows built from them."""

from __future__ import annotations

import random

from .people import Pools

# State -> (share of customers,); shares follow population.
AU_STATES = {"NSW": (31,), "VIC": (26,), "QLD": (20,), "WA": (11,), "SA": (7,), "TAS": (2,), "ACT": (2,), "NT": (1,)}
# Real localities with their own postcodes, so a demo address reads like a real one (Faker's en_AU cities
# are made-up names such as "West Marciafort").
AU_LOCALITIES = {
    "NSW": (("Parramatta", "2150"), ("Bondi", "2026"), ("Manly", "2095"), ("Newtown", "2042"),
            ("Chatswood", "2067"), ("Penrith", "2750"), ("Liverpool", "2170"), ("Blacktown", "2148"),
            ("Hornsby", "2077"), ("Surry Hills", "2010"), ("Randwick", "2031"), ("Cronulla", "2230"),
            ("Newcastle", "2300"), ("Wollongong", "2500"), ("Gosford", "2250"), ("Orange", "2800"),
            ("Wagga Wagga", "2650"), ("Dubbo", "2830"), ("Byron Bay", "2481"), ("Tamworth", "2340"),
            ("Albury", "2640"), ("Coffs Harbour", "2450"), ("Bathurst", "2795"), ("Castle Hill", "2154"),
            ("Marrickville", "2204")),
    "VIC": (("Melbourne", "3000"), ("Fitzroy", "3065"), ("St Kilda", "3182"), ("Richmond", "3121"),
            ("Brunswick", "3056"), ("Footscray", "3011"), ("Geelong", "3220"), ("Ballarat", "3350"),
            ("Bendigo", "3550"), ("Box Hill", "3128"), ("Frankston", "3199"), ("Dandenong", "3175"),
            ("Werribee", "3030"), ("Carlton", "3053"), ("Hawthorn", "3122"), ("Camberwell", "3124"),
            ("Shepparton", "3630"), ("Mildura", "3500"), ("Warrnambool", "3280"), ("Preston", "3072")),
    "QLD": (("Brisbane City", "4000"), ("Fortitude Valley", "4006"), ("South Brisbane", "4101"),
            ("Southport", "4215"), ("Surfers Paradise", "4217"), ("Toowoomba", "4350"), ("Cairns", "4870"),
            ("Townsville", "4810"), ("Mackay", "4740"), ("Rockhampton", "4700"), ("Bundaberg", "4670"),
            ("Ipswich", "4305"), ("Maroochydore", "4558"), ("Noosa Heads", "4567"), ("Hervey Bay", "4655"),
            ("Indooroopilly", "4068"), ("Chermside", "4032")),
    "WA": (("Perth", "6000"), ("Fremantle", "6160"), ("Subiaco", "6008"), ("Joondalup", "6027"),
           ("Rockingham", "6168"), ("Mandurah", "6210"), ("Bunbury", "6230"), ("Geraldton", "6530"),
           ("Albany", "6330"), ("Scarborough", "6019"), ("Midland", "6056"), ("Armadale", "6112")),
    "SA": (("Adelaide", "5000"), ("Glenelg", "5045"), ("Norwood", "5067"), ("Prospect", "5082"),
           ("Mount Gambier", "5290"), ("Whyalla", "5600"), ("Port Adelaide", "5015"), ("Unley", "5061"),
           ("Salisbury", "5108"), ("Mount Barker", "5251")),
    "TAS": (("Hobart", "7000"), ("Launceston", "7250"), ("Devonport", "7310"), ("Burnie", "7320"),
            ("Sandy Bay", "7005"), ("Kingston", "7050")),
    "ACT": (("Canberra", "2601"), ("Belconnen", "2617"), ("Braddon", "2612"), ("Kingston", "2604"),
            ("Gungahlin", "2912"), ("Phillip", "2606")),
    "NT": (("Darwin", "0800"), ("Palmerston", "0830"), ("Alice Springs", "0870"), ("Katherine", "0850"),
           ("Nightcliff", "0810")),
}
# State -> (share of customers, postcode ranges); shares follow population, ranges the postal authority.
MY_STATES = {
    "Selangor": (22, ((40000, 48300), (63000, 68100))),
    "Johor": (12, ((79000, 86900),)),
    "Sabah": (10, ((88000, 91309),)),
    "Sarawak": (8, ((93000, 98859),)),
    "Perak": (8, ((30000, 36810),)),
    "Wilayah Persekutuan Kuala Lumpur": (7, ((50000, 60000),)),
    "Pulau Pinang": (6, ((10000, 14400),)),
    "Kedah": (6, ((5000, 9810),)),
    "Kelantan": (5, ((15000, 18500),)),
    "Pahang": (5, ((25000, 28800),)),
    "Terengganu": (4, ((20000, 24300),)),
    "Negeri Sembilan": (4, ((70000, 73509),)),
    "Melaka": (3, ((75000, 78309),)),
    "Perlis": (1, ((1000, 2800),)),
    "Wilayah Persekutuan Putrajaya": (0.5, ((62000, 62988),)),
    "Wilayah Persekutuan Labuan": (0.3, ((87000, 87033),)),
}


def weighted(table: dict) -> tuple[list, list[float]]:
    """Keys and cumulative weights of a {key: (weight, ...)} table, for Random.choices."""
    keys = list(table)
    cum, total = [], 0.0
    for key in keys:
        total += table[key][0]
        cum.append(total)
    return keys, cum


def address(rng: random.Random, pools: Pools, au: bool, address_id: int, customer_id: int,
             states: list[str], cum: list[float]) -> tuple:
    """An address row whose postcode belongs to its state (and, in Australia, to its suburb)."""
    state = rng.choices(states, cum_weights=cum)[0]
    if au:
        unit = f"{rng.randint(1, 40)}/" if rng.random() < 0.2 else ""
        street = f"{unit}{rng.randint(1, 250)} {rng.choice(pools.au_streets)}"
        city, postcode = rng.choice(AU_LOCALITIES[state])
    else:
        ranges = MY_STATES[state][1]
        low, high = ranges[int(rng.random() * len(ranges))]
        postcode = str(rng.randint(low, high)).zfill(5)
        prefix = "No. " if rng.random() < 0.3 else ""
        street = f"{prefix}{rng.randint(1, 120)}, {rng.choice(pools.my_streets)}"
        city = rng.choice(pools.my_cities)
    return (address_id, customer_id, street, city, state, postcode, "AU" if au else "MY")
