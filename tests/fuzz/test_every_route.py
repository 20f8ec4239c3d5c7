"""Every route that takes input, fuzzed: no answer is a 5xx, a refused request changes nothing in the database,
an accepted one changes only what it is for, saves what was typed and never an invisible control character (see
routes.py and checks.py)."""

import pytest
from hypothesis import example, given, settings

from .checks import invisible_characters_saved
from .harness import changed_tables
from .routes import API_PREFIX, NO_INPUT, ROUTES


def test_every_route_is_fuzzed(app):
    """A new rule or method can't escape: each is in ROUTES, or takes no input at all (NO_INPUT), or is the API."""
    served = {(rule.endpoint, method): rule for rule in app.url_map.iter_rules()
              if not rule.rule.startswith(API_PREFIX) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(set(served) - set(ROUTES) - NO_INPUT) == [], "fuzz these in tests/fuzz/routes.py"
    assert sorted((set(ROUTES) | NO_INPUT) - set(served)) == [], "no such route any more"
    assert [key for key in NO_INPUT if served[key].arguments] == [], "these take path arguments: fuzz them"


@pytest.mark.parametrize("key", sorted(ROUTES), ids=" ".join)
def test_route(harness, key):
    """The three properties for one route: first for the inputs that broke something once (route.always), then
    for the profile's number of random examples times the route's weight."""
    route = ROUTES[key]

    @settings(max_examples=max(1, round(settings.default.max_examples * route.weight)))
    @given(call=route.calls)
    def run(call):
        """One request from the known state."""
        before = harness.prepare(call)
        response = harness.send(call)
        assert response.status_code < 500
        after = harness.snapshot()
        changed = changed_tables(before, after)
        if route.refused(call, response):
            assert changed.keys() <= route.refused_writes, f"refused ({response.status_code}) but changed {changed}"
        else:
            assert changed.keys() <= route.writes, f"changed more than {sorted(route.writes)}: {changed}"
            assert invisible_characters_saved(before, after) == []
            if route.check is not None:
                route.check(harness, call, response, before, after)

    for call in route.always:
        run = example(call=call)(run)
    run()
