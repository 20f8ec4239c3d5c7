"""Migrations: they build exactly the models' schema, and go down and up again cleanly."""

import warnings

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from crm import create_app
from crm.extensions import db
from crm.models import Customer

from .conftest import app_config


def test_migrated_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # expression indexes (lower(email)) can't be compared; checked below
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
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
