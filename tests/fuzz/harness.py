"""The shop every fuzz example runs against: a known state rebuilt when an example changed it, requests sent
as raw bytes (so broken encodings reach the server), and a snapshot of every table to compare."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote, unquote

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec error handler that received() uses)
from flask import Flask
from sqlalchemy import func, select, text

from crm.extensions import db
from crm.follow import routes as follow_pages
from crm.models import FollowCode, ImportChange, ImportJob, Membership, Note
from crm.services import accounts, audit, erasure, follow, gazetteer, tags, team, tokens
from crm.services.shop import get_settings

from ..conftest import OWNER_EMAIL, OWNER_PASSWORD, AuthActions, clean_database, make_customer
from ..factories import member

# No table changes on every request, so the snapshot leaves none out. These two are compared by row count only:
# the bundled gazetteer (tens of thousands of rows, the same for every test, loaded by the first address
# suggestion of a run, which the reset does before any example). The search indexes outside the models
# (SQLite's FTS5 tables) follow their tables through triggers, so comparing the tables covers them.
COUNTED_ONLY = ("locality", "gazetteer_source")
# Columns any signed-in request may bring up to date (once a minute: crm/services/sessions.py), GETs included.
UNCOMPARED_COLUMNS = {"user_session": ("last_seen_at",)}
PENDING_EMAIL = "pending@shop.test"
PENDING_CODE = "123456"


@dataclass(frozen=True)
class ShopKind:
    """The settings a shop is seeded with: they decide which form fields exist and how values are read."""

    country: str = "AU"
    currency: str = "AUD"
    b2b: bool = False
    membership: bool = False
    timezone: str = "Australia/Sydney"


# The last two: currencies with no and with three decimals, in the time zones furthest ahead of and behind UTC.
SHOPS = (ShopKind(), ShopKind("AU", "AUD", b2b=True, membership=True), ShopKind("MY", "MYR", membership=True),
         ShopKind("US", "JPY", b2b=True, timezone="Pacific/Kiritimati"),
         ShopKind("NZ", "KWD", membership=True, timezone="Pacific/Pago_Pago"))


@dataclass
class Call:
    """One request of a fuzz example; `path` is a template whose {names} are filled from `refs`."""

    method: str
    path: str
    refs: dict = field(default_factory=dict)
    query: list = field(default_factory=list)
    form: list | None = None
    upload: tuple[bytes, str] | None = None
    headers: dict = field(default_factory=dict)
    who: str = "owner"  # "owner" (logged in), "visitor" (no login), "first run" (no owner account yet)
    follow_state: str | None = None  # "pending": this browser was sent the seeded follow code
    shop: ShopKind = SHOPS[0]

    def value(self, name: str, default: str | None = None) -> str | None:
        """A form field as the server reads it (the first of repeated keys), or `default` when left out."""
        for key, value in self.form or ():
            if key == name:
                return received(value)
        return default


def received(value: str) -> str:
    """What the server decodes from a URL-encoded value: a lone surrogate travels as its WTF-8 bytes, which
    aren't UTF-8, so Werkzeug hands them on percent-encoded ("%ED%A0%80")."""
    return unquote(quote(value.encode("utf-8", "surrogatepass"), safe=""), errors="werkzeug.url_quote")


def encode(pairs) -> str:
    """Pairs as an application/x-www-form-urlencoded string, surrogates and all."""
    return "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'), safe='')}="
                    f"{quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in pairs)


class Harness:
    """A logged-in owner's client on a seeded shop, rebuilt only when an example left it changed."""

    def __init__(self, app: Flask):
        """Work on `app`; the shop is seeded on first use."""
        self.app = app
        self.shop: ShopKind | None = None
        self.owner_exists = True
        self.baseline: dict | None = None
        self.ids: dict[str, object] = {}
        self.owner = app.test_client()

    # ---- state ----------------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """Every table's rows (sorted, so the order they come back in doesn't matter)."""
        with self.app.app_context():
            rows = {}
            for table in db.metadata.sorted_tables:
                if table.name in COUNTED_ONLY:
                    rows[table.name] = db.session.scalar(select(func.count()).select_from(table))
                else:
                    columns = [c for c in table.c if c.name not in UNCOMPARED_COLUMNS.get(table.name, ())]
                    rows[table.name] = sorted((tuple(map(_hashable, row)) for row in db.session.execute(select(*columns))),
                                              key=repr)
            db.session.rollback()
            return rows

    def prepare(self, call: Call) -> dict:
        """Bring the database to the call's known state and return its snapshot."""
        want_owner = call.who != "first run"
        if self.baseline is not None and want_owner == self.owner_exists and self.snapshot() == self.baseline:
            if call.shop == self.shop:
                return self.baseline
            self._set_shop(call.shop)  # the seed is the same in every kind of shop: only the settings differ
        else:
            self._reset(call.shop, want_owner)
        self.baseline = self.snapshot()
        return self.baseline

    def _set_shop(self, shop: ShopKind) -> None:
        """Give the shop these settings."""
        with self.app.app_context():
            settings = get_settings()
            settings.country, settings.currency = shop.country, shop.currency
            settings.b2b_enabled, settings.membership_enabled = shop.b2b, shop.membership
            settings.timezone = shop.timezone
            db.session.commit()
        self.shop = shop

    def _reset(self, shop: ShopKind, with_owner: bool) -> None:
        """Empty the shop and seed it again: customers with and without orders, notes, tokens, a follow code."""
        with self.app.app_context():
            gazetteer.ensure_loaded()
            clean_database()
            self._restart_ids()
            self.ids = self._seed() if with_owner else {}
            db.session.commit()
            db.session.remove()
        self._set_shop(shop)
        self.owner_exists = with_owner
        self.owner = self.app.test_client()
        if with_owner:
            assert AuthActions(self.owner).login().status_code == 302
            self.ids["upload"] = self._upload()

    def _restart_ids(self) -> None:
        """PostgreSQL sequences back to 1, so ids are the same after every reset (SQLite reuses them itself)."""
        if db.session.get_bind().dialect.name != "postgresql":
            return
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key:
                db.session.execute(text("SELECT setval(pg_get_serial_sequence(:name, 'id'), 1, false)"),
                                   {"name": f'"{table.name}"'})

    def _seed(self) -> dict[str, object]:
        """The customers (one in Recently deleted), notes, tokens and follow code that URL arguments refer to."""
        user = accounts.create_owner("Koala Goods", OWNER_EMAIL, OWNER_PASSWORD)
        regular = make_customer("Alex", "Taylor", email="alex.taylor@shop.test", phone="+61412345678",
                                whatsapp="+61412000111", company_name="Taylor Pty Ltd", street="12 Smith St",
                                city="Parramatta", state="NSW", postcode="2150",
                                orders_spec=[(12990, "paid"), (5000, "refunded")])
        regular.membership = Membership(membership_id="M123456782", expires_on=date(2027, 3, 31))
        prospect = make_customer("Pat", "Lee", email="pat@shop.test", city="Kuala Lumpur",
                                 state="Wilayah Persekutuan Kuala Lumpur", postcode="50450", country="MY")
        gone = make_customer("Sam", "Gone", email="sam@shop.test", orders_spec=[(100, "paid")])
        db.session.flush()
        now = datetime.now(timezone.utc)
        notes = {"note": Note(customer=regular, author=user, body="Likes red", created_at=now, updated_at=now),
                 "other_note": Note(customer=prospect, author=user, body="Call back", created_at=now,
                                    updated_at=now)}
        db.session.add_all(notes.values())
        wholesale, local = tags.get_or_create("Wholesale"), tags.get_or_create("Local")
        tags.add(regular, wholesale, user)
        audit.record(user, "create", regular, detail="Added by hand")
        erasure.anonymize_customer(gone, user)
        binned = make_customer("Jo", "Binned", email="jo@shop.test", phone="+61412345678", city="Hobart",
                               state="TAS", postcode="7000")
        db.session.flush()
        binned = erasure.delete_customer(binned, user)  # in Recently deleted
        imported = self._seed_import(user, now)
        active, _ = tokens.create_token("Checkout", user)
        revoked, _ = tokens.create_token("Old checkout", user)
        tokens.revoke(revoked)
        code = FollowCode(email=PENDING_EMAIL, created_at=now, expires_at=now + timedelta(minutes=10), attempts=0,
                          code_hash=follow.hash_code(self.app.config["SECRET_KEY"], PENDING_EMAIL, PENDING_CODE))
        db.session.add(code)
        staff, gone_member = member("sam@shop.test", "staff"), member("jo@shop.test", "read_only", name="Jo")
        team.deactivate(user, gone_member)
        invitation, invitation_token = team.invite(user, "new@shop.test", "staff")
        db.session.flush()
        return {"staff": staff.id, "deactivated": gone_member.id, "me": user.id, "invitation": invitation.id,
                "invitation_token": invitation_token, "regular": regular.id, "prospect": prospect.id, "anonymized": gone.id,
                "note": notes["note"].id, "other_note": notes["other_note"].id, "active": active.id,
                "revoked": revoked.id, "code": code.id, "binned": binned.id, "import": imported.id,
                "tag": wholesale.id, "other_tag": local.id}

    def _seed_import(self, user, now: datetime) -> ImportJob:
        """A finished import that created one customer (Ivy, no orders): the one "Undo this import" undoes."""
        ivy = make_customer("Ivy", "Imported", email="ivy@shop.test", source="import")
        job = ImportJob(token="s" * 43, user=user, actor=OWNER_EMAIL, filename="seed.csv", status="done",
                        total_rows=1, created=1, started_at=now, finished_at=now, changes_kept=True)
        db.session.add(job)
        db.session.flush()
        db.session.add(ImportChange(job_id=job.id, customer_id=ivy.id))
        return job

    def _upload(self) -> str:
        """An upload of a small file waiting for its check (files only: the database doesn't change)."""
        data = ("first_name,last_name,email,phone,city,state,postcode\n"
                "Anna,Smith,anna@shop.test,0412 000 111,Parramatta,NSW,2150\n"
                "Alex,Taylor,alex.taylor@shop.test,,,,\n"
                "Cara,Bad,cara@,,,,\n").encode()
        response = self.owner.post("/customers/import", data={"file": (io.BytesIO(data), "customers.csv")},
                                   content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)
        return response.headers["Location"].rsplit("/", 1)[1]

    # ---- requests -------------------------------------------------------------------------------------

    def fill(self, call: Call, template: str) -> str:
        """A path or field name with its {names} filled in: a seeded object's id, a number, or a raw segment."""
        def value(match: re.Match) -> str:
            """One {name}."""
            given = call.refs[match.group(1)]
            return str(self.ids[given]) if isinstance(given, str) and given in self.ids else str(given)

        return re.sub(r"\{(\w+)\}", value, template)

    def path_id(self, call: Call, name: str) -> int:
        """The id a path argument stands for (a seeded object's, or the number given)."""
        return int(self.fill(call, "{%s}" % name))

    def client(self, call: Call):
        """The owner's logged-in client, or a new one for a visitor."""
        if call.who == "owner":
            return self.owner
        client = self.app.test_client()
        if call.follow_state == "pending" and self.ids:
            with client.session_transaction() as session:
                session[follow_pages.PENDING] = {"email": PENDING_EMAIL, "code": self.ids["code"]}
        return client

    def send(self, call: Call):
        """Send the call as a browser (or someone with curl) would, without following redirects; a streamed
        answer is read to its end, so an error while streaming counts too."""
        client = self.client(call)
        path = self.fill(call, call.path)
        form = [(self.fill(call, key), value) for key, value in call.form or ()]
        kwargs = {"headers": call.headers, "query_string": encode(call.query)}
        if call.upload is not None:
            data, filename = call.upload
            fields = {key: received(value) for key, value in form}
            fields["file"] = (io.BytesIO(data), filename)
            response = client.post(path, data=fields, content_type="multipart/form-data", **kwargs)
        elif call.method == "GET":
            response = client.get(path, **kwargs)
        else:
            response = client.post(path, data=encode(form), content_type="application/x-www-form-urlencoded", **kwargs)
        response.get_data()
        return response


def _hashable(value):
    """A cell as the snapshot compares it: JSON documents (Recently deleted's data) as their sorted text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def changed_tables(before: dict, after: dict) -> dict[str, str]:
    """Tables whose rows differ, each with a short account of what was added and removed."""
    changes = {}
    for name in before:
        if before[name] != after[name]:
            if isinstance(before[name], int):
                changes[name] = f"{before[name]} -> {after[name]} rows"
                continue
            gone = [row for row in before[name] if row not in after[name]]
            new = [row for row in after[name] if row not in before[name]]
            changes[name] = f"removed {gone[:2]!r}, added {new[:2]!r}"[:600]
    return changes
