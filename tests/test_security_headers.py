"""Security headers on every rule of the URL map, error pages and static files; HSTS only for HTTPS."""

import io
import re
from pathlib import Path

import pytest

from crm import create_app
from crm.extensions import db
from crm.models import BulkJob, ImportJob, UserSession, utcnow
from crm.services import accounts, erasure, job_runs, resets, saved_views, sessions, tags, team
from crm.services.permissions import signed_in
from crm.services.shop import get_settings

from . import factories
from .conftest import OWNER_EMAIL, OWNER_PASSWORD, app_config
from .factories import make_customer

# The policy written out directive by directive, so loosening any of them fails here.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
HSTS = "max-age=31536000; includeSubDomains"
# What the policy would block, found before a browser runs into it (also on pages no browser test visits).
CRM = Path(__file__).resolve().parent.parent / "crm"
# In templates: style attributes and elements, inline scripts, on... handlers, javascript: URLs, htmx's eval.
TEMPLATE_INLINE = re.compile(r"""\sstyle\s*=|<style|<script(?![^>]*\ssrc=)|\son[a-z]+\s*=|"""
                             r"""javascript:|hx-on|hx-vars|["']js:""", re.IGNORECASE)
# In scripts: code from strings, and handler or style attributes set as text.
SCRIPT_INLINE = re.compile(r"""\beval\(|new Function|setTimeout\(\s*["']|setAttribute\(\s*["'](style|on)""")
CSV = "first_name,last_name,email\nAnna,Smith,anna@example.com\nCara,Bad,cara@\n"


def policy_of(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy", "")
    return {parts[0]: parts[1:] for parts in (d.split() for d in header.split(";")) if parts}


def assert_security_headers(response, where: str, hsts: bool = False) -> None:
    """The response carries the strict policy and the other headers; HSTS exactly when asked for."""
    assert policy_of(response) == POLICY, f"{where}: Content-Security-Policy is {policy_of(response)}"
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, f"{where}: {name} is {response.headers.get(name)!r}"
    assert response.headers.get("Strict-Transport-Security") == (HSTS if hsts else None), where


@pytest.fixture
def samples(app, logged_in, tmp_path):
    """Real values for every argument a rule takes (a customer with an order and a note, tokens, a file), and a
    task worker's fresh heartbeat, so /healthz answers 200 like every other read."""
    app.config.update(IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)
    with app.app_context():
        job_runs.beat("test:1", utcnow())
        shop = get_settings()
        shop.b2b_enabled = shop.membership_enabled = True  # every part of the customer form, every generator
        customer = make_customer("Nina", "Ng", email="nina@example.com", orders_spec=[(5000, "paid")])
        note = factories.note(customer, "Likes red")
        tag = tags.get_or_create("Wholesale")
        tags.add(customer, tag, None)
        api_token, raw = factories.api_token("Checkout")
        binned = erasure.delete_customer(make_customer("Del", "Eted"), None)  # in Recently deleted
        member = factories.member()
        invitation, invite_token = team.invite(member, "new@shop.test", "staff")
        job = ImportJob(token="s" * 43, actor="owner@shop.test", filename="old.csv", status="done",
                        started_at=utcnow(), changes_kept=True)  # a finished import, to undo
        db.session.add(job)
        db.session.commit()
        owner = accounts.find_user(OWNER_EMAIL)
        bulk_job = BulkJob(action="delete", selection="{}", total=1500, user=owner, status="queued")
        db.session.add(bulk_job)
        db.session.commit()
        other_sign_in = sessions.start(owner, ip_address="192.0.2.1", user_agent="Firefox/140.0 (Android)")
        values = {"customer_id": customer.id, "note_id": note.id, "token_id": api_token.id,
                  "reset_token": resets.make_token(owner),
                  "session_id": db.session.scalar(db.select(UserSession.id).where(
                      UserSession.key_hash == sessions._hash(other_sign_in))),
                  "order_number": customer.orders.first().order_number, "entry_id": binned.id,
                  "member_id": member.id, "invitation_id": invitation.id, "invite_token": invite_token,
                  "job_id": job.id, "bulk_job_id": bulk_job.id, "tag_id": tag.id,
                  "view_id": saved_views.all_views()[0].id}  # the Lapsed view
    response = logged_in.post("/customers/import", data={"file": (io.BytesIO(CSV.encode()), "customers.csv")},
                              content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    values.update(token=response.headers["Location"].rsplit("/", 1)[1], field="email", filename="app.css")
    return values, {"Authorization": f"Bearer {raw}"}


def requests_for(app):
    """Every (method, rule) of the URL map: reads first, then writes, logging out last."""
    pairs = [(method, rule) for rule in app.url_map.iter_rules()
             for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(pairs, key=lambda p: (p[0] != "GET", p[1].endpoint == "auth.logout", p[1].rule, p[0]))


def send(client, method: str, rule, values: dict, headers: dict):
    """Request the rule's URL built from the sample values; the API gets JSON, the rest a bare form."""
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule.rule}: give this test a sample value for {sorted(missing)}"
    url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
    body = {"json": {}} if rule.endpoint.startswith("api.") else {"data": {}}
    response = client.open(url, method=method, headers=headers, **body)
    response.get_data()  # run a streamed download to its end, and let its request finish
    response.close()
    return response


def test_every_rule_answers_with_the_security_headers(app, logged_in, samples):
    values, bearer = samples
    checked = set()
    for method, rule in requests_for(app):
        headers = bearer if rule.endpoint.startswith("api.") else {}
        # GETs twice: as a page, and as the partial an htmx request gets.
        for extra in ([headers, {**headers, "HX-Request": "true"}] if method == "GET" else [headers]):
            response = send(logged_in, method, rule, values, extra)
            where = f"{method} {response.request.path} {extra} ({response.status_code})"
            assert response.status_code < 500, where
            if method == "GET" and rule.endpoint != "auth.setup":  # setup is gone (404) once the owner exists
                # Real pages, partials, downloads and JSON, not a trip back to the login page.
                assert response.status_code < 400 and "/login" not in (response.location or ""), where
            assert_security_headers(response, where)
        checked.add(rule.endpoint)
    assert checked == {rule.endpoint for rule in app.url_map.iter_rules()}


def test_redirects_and_htmx_login_answers_carry_them(client, owner):
    assert_security_headers(client.get("/"), "redirect to login")
    response = client.get("/customers", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert_security_headers(response, "htmx 401")


def test_error_pages_carry_them(app, logged_in):
    assert_security_headers(logged_in.get("/no-such-page"), "404")
    response = logged_in.put("/customers")
    assert response.status_code == 405
    assert_security_headers(response, "405")
    with app.app_context():
        customer = make_customer("Gone", "Away", orders_spec=[(5000, "paid")])
        db.session.commit()
        customer_id = customer.id
    assert logged_in.post(f"/customers/{customer_id}/anonymize", data={"confirm_name": "Gone Away"}).status_code == 302
    response = logged_in.get(f"/customers/{customer_id}/edit")
    assert response.status_code == 409
    assert_security_headers(response, "409")
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = logged_in.post("/customers/import", content_type="multipart/form-data",
                              data={"file": (io.BytesIO(b"first_name\n" + b"Anna\n" * 20_000), "big.csv")})
    assert response.status_code == 413
    assert_security_headers(response, "413")


def test_rate_limited_login_carries_them(auth):
    for _ in range(10):
        auth.login(password="wrong password")
    response = auth.login(password="wrong password")
    assert response.status_code == 429
    assert_security_headers(response, "429")


def test_server_error_page_carries_them(database_url, owner):
    app = create_app(app_config(database_url, PROPAGATE_EXCEPTIONS=False))

    @app.get("/broken")
    @signed_in
    def broken():
        """A view that fails, as a bug would."""
        raise RuntimeError("broken on purpose")

    client = app.test_client()
    client.post("/login", data={"email": owner, "password": OWNER_PASSWORD})
    response = client.get("/broken")
    assert response.status_code == 500 and "Something went wrong" in response.get_data(as_text=True)
    assert_security_headers(response, "500")
    with app.app_context():
        db.engine.dispose()


def test_static_files_carry_them(client):
    for path in ("/static/app.css", "/static/vendor/htmx-2.0.11.min.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert_security_headers(response, path)


def test_hsts_only_when_the_session_cookie_is_https_only(database_url, owner):
    app = create_app(app_config(database_url, SESSION_COOKIE_SECURE=True))
    client = app.test_client()
    for path in ("/login", "/healthz", "/static/app.css", "/no-such-page", "/customers"):
        assert_security_headers(client.get(path, base_url="https://localhost"), path, hsts=True)
    with app.app_context():
        db.engine.dispose()


def inline_code(path: Path, pattern: re.Pattern) -> list[str]:
    """The lines of a file that match the pattern, Jinja comments left out, as "file:line: text"."""
    text = re.sub(r"{#.*?#}", lambda m: "\n" * m.group().count("\n"), path.read_text(), flags=re.DOTALL)
    return [f"{path.relative_to(CRM)}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
            if pattern.search(line)]


def test_no_template_or_script_has_inline_code():
    templates, scripts = list((CRM / "templates").rglob("*.html")), list((CRM / "static").glob("*.js"))
    found = [*(line for path in templates for line in inline_code(path, TEMPLATE_INLINE)),
             *(line for path in scripts for line in inline_code(path, SCRIPT_INLINE))]
    assert len(templates) > 20 and len(scripts) > 3 and not found, "\n".join(found)
