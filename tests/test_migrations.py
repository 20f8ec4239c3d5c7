"""Migrations: they build exactly the models' schema, and go down and up again cleanly."""

import warnings

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db
from crm.models import Customer, include_in_migrations

from .conftest import app_config


def test_migrated_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # expression indexes (lower(email)) can't be compared; checked below
            context = MigrationContext.configure(conn, opts={"include_object": include_in_migrations})
            diff = compare_metadata(context, db.metadata)
        assert diff == []


def test_emails_are_unique_whatever_their_case(app):
    with app.app_context():
        db.session.add(Customer(first_name="A", email="Anna@Example.com"))
        db.session.commit()
        db.session.add(Customer(first_name="B", email="anna@example.COM"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add_all([Customer(first_name="C"), Customer(first_name="D")])  # no email: no clash
        db.session.commit()


def test_downgrade_to_nothing_and_up_again(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/m.sqlite"))
    with app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        flask_migrate.upgrade()
        assert "customer" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_index_redirects_to_customers(logged_in):
    response = logged_in.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/customers")


def test_existing_database_upgrades_and_its_customers_are_searchable(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/old.sqlite"))
    with app.app_context():
        flask_migrate.upgrade(revision="0001")
        db.session.execute(text(
            "INSERT INTO customer (first_name, last_name, email, email_marketing, source, created_at, updated_at,"
            " order_count, total_spent, segment, search_text, name_key) VALUES ('Olga', 'Oldrow', 'olga@example.com',"
            " 0, 'manual', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 0, 'prospect',"
            " 'olga oldrow olga@example.com 412345678 61412345678', 'olga oldrow')"))
        db.session.commit()
        flask_migrate.upgrade()
        counts = dict(db.session.execute(text("SELECT segment, customers FROM segment_count")).all())
        assert counts == {"vip": 0, "returning": 0, "new": 0, "prospect": 1}
        row = db.session.execute(text("SELECT search_text FROM customer")).one()
        assert row.search_text == "olga oldrow olga@example.com"
        from crm.services.customers import ListQuery, customer_page

        page = customer_page(ListQuery(q="oldrow"), "AU", 25)
        assert [c.full_name for c in page.customers] == ["Olga Oldrow"]
        db.engine.dispose()


def test_search_index_follows_edits_and_deletes(app):
    from crm.services.customers import ListQuery, customer_page, refresh_search_fields

    def found(q):
        return [c.full_name for c in customer_page(ListQuery(q=q), "AU", 25).customers]

    with app.app_context():
        customer = Customer(first_name="Imogen", last_name="Indexed")
        refresh_search_fields(customer)
        db.session.add(customer)
        db.session.commit()
        assert found("indexed") == ["Imogen Indexed"]
        customer.last_name = "Renamed"
        refresh_search_fields(customer)
        db.session.commit()
        assert found("indexed") == [] and found("renamed") == ["Imogen Renamed"]
        db.session.delete(customer)
        db.session.commit()
        assert found("renamed") == []


def test_upgrade_to_0004_keeps_triggers_and_folds_accented_names(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/old3.sqlite"))
    with app.app_context():
        flask_migrate.upgrade(revision="0003")
        db.session.execute(text(
            "INSERT INTO customer (first_name, last_name, email, email_marketing, source, created_at, updated_at,"
            " order_count, total_spent, segment, search_text, name_key) VALUES ('Zoë', 'Ångström', NULL,"
            " 0, 'manual', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 0, 0, 'prospect',"
            " 'zoë ångström', 'zoe angstrom')"))
        db.session.commit()
        flask_migrate.upgrade(revision="0004")
        assert db.session.execute(text("SELECT search_text FROM customer")).scalar() == "zoë ångström zoe angstrom"
        flask_migrate.upgrade()  # the models (and so the list's queries) are the newest revision's
        from crm.services.customers import ListQuery, customer_page

        assert [c.full_name for c in customer_page(ListQuery(q="angstrom"), "AU", 25).customers] == ["Zoë Ångström"]
        assert [c.full_name for c in customer_page(ListQuery(q="ångst"), "AU", 25).customers] == ["Zoë Ångström"]
        # the new column was added in place: the customer table's triggers from 0002 and 0003 are still there
        triggers = set(db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        assert {"customer_fts_insert", "customer_fts_update", "segment_count_insert"} <= triggers
        db.session.execute(text("DELETE FROM customer"))
        db.session.commit()
        assert db.session.execute(text("SELECT customers FROM segment_count WHERE segment = 'prospect'")).scalar() == 0
        db.engine.dispose()


def test_upgrade_to_0010_keeps_a_set_up_shop_set_up(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/old9.sqlite"))
    with app.app_context():
        flask_migrate.upgrade(revision="0009")
        from crm.services.accounts import hash_password

        db.session.execute(text(
            "INSERT INTO \"user\" (email, password_hash, role, session_token, created_at)"
            " VALUES ('owner@old.test', :hash, 'owner', 'a-token-the-old-cookie-named', '2026-01-01 00:00:00')"),
            {"hash": hash_password("long enough password")})
        db.session.commit()
        flask_migrate.upgrade()
        row = db.session.execute(text("SELECT id, owner_id, set_up_at FROM installation")).one()
        assert row.id == 1 and row.owner_id is not None and str(row.set_up_at).startswith("2026-01-01")
        db.engine.dispose()
    client = app.test_client()
    assert client.get("/setup").status_code == 404
    assert client.post("/login", data={"email": "owner@old.test", "password": "long enough password"}
                       ).status_code == 302
    assert client.get("/customers").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_upgrade_to_0010_of_a_new_shop_still_asks_for_setup(tmp_path):
    app = create_app(app_config(f"sqlite:///{tmp_path}/new9.sqlite"))
    with app.app_context():
        flask_migrate.upgrade(revision="0009")
        flask_migrate.upgrade()
        assert db.session.execute(text("SELECT count(*) FROM installation")).scalar() == 0
        db.engine.dispose()
    assert app.test_client().get("/customers").headers["Location"].endswith("/setup")
    with app.app_context():
        db.engine.dispose()
