"""GET and HEAD never change the shop's data: a link, a prefetch or another site's request can't delete anyone.

HEAD matters most: Flask answers it with the GET view, CSRF protection leaves it alone (it isn't a form
submission), and a view that asked "is this a GET?" instead of "is this a POST?" used to run its POST branch,
so `HEAD /customers/<id>/delete` deleted the customer.
"""

import re
from contextlib import contextmanager

from sqlalchemy import event, select

from crm.extensions import db

from .test_security_headers import samples  # noqa: F401  (fixture: real values for every rule's arguments)

# What a read may count (rate limits), and the trail's record that someone downloaded an export (an export is
# a read the trail keeps by design). Caches are not among them: the task worker fills those.
CACHES = {"rate_limit"}
RECORDED_READS = {"customers.export", "insights.export"}
# Bookkeeping a read does on purpose: when an API token was last used (so the owner can tell stale ones).
BOOKKEEPING = {("api_token", "last_used_at")}


def snapshot(app, *, with_trail: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table that holds the shop's data, in a comparable form."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            if table.name in CACHES or (table.name == "audit_event" and not with_trail):
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING]
            order = list(table.primary_key.columns) or columns
            tables[table.name] = [tuple(row) for row in db.session.execute(select(*columns).order_by(*order))]
        db.session.remove()
        return tables


def get_rules(app, values: dict, bearer: dict):
    """(rule, URL, headers) of every rule that answers GET, with real values for its arguments."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
        yield rule, url, bearer if rule.endpoint.startswith("api.") else {}


def test_no_get_or_head_changes_anything(app, logged_in, samples):  # noqa: F811
    values, bearer = samples
    checked = 0
    for rule, url, headers in get_rules(app, values, bearer):
        with_trail = rule.endpoint not in RECORDED_READS
        for method in ("HEAD", "GET"):
            before = snapshot(app, with_trail=with_trail)
            response = logged_in.open(url, method=method, headers=headers)
            response.get_data()
            response.close()
            assert response.status_code < 500, f"{method} {url}: {response.status_code}"
            assert snapshot(app, with_trail=with_trail) == before, f"{method} {url} changed the database"
            checked += 1
    assert checked > 40


WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def written_tables(app):
    """The tables each INSERT, UPDATE or DELETE sent to the database names, as the block sends them."""
    seen: list[str] = []

    def look(conn, cursor, statement, parameters, context, executemany):
        match = WRITE.match(statement)
        if match:
            seen.append(match.group(2))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", look)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", look)


def test_no_get_or_head_sends_a_write(app, logged_in, samples):  # noqa: F811
    """Not a single INSERT, UPDATE or DELETE, even one that would change nothing or fill a cache."""
    values, bearer = samples
    for rule, url, headers in get_rules(app, values, bearer):
        allowed = set(CACHES) | {table for table, _column in BOOKKEEPING}
        if rule.endpoint in RECORDED_READS:
            allowed.add("audit_event")
        for method in ("HEAD", "GET"):
            with written_tables(app) as tables:
                response = logged_in.open(url, method=method, headers=headers)
                response.get_data()
                response.close()
            assert set(tables) <= allowed, f"{method} {url} wrote to {sorted(set(tables) - allowed)}"
