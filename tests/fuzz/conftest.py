"""Hypothesis profiles for the fuzz tests ("ci" by default; HYPOTHESIS_PROFILE=fuzz for `make fuzz`) and the
app they run against."""

import os

import pytest
from hypothesis import HealthCheck, settings

from crm import create_app
from crm.extensions import db

from ..conftest import app_config, clean_database
from .harness import Harness

# deadline=None: the machines are shared and noisy, a slow example is not a failure. database=None: no
# .hypothesis/ example files in the work tree; a failure prints its seed and blob to reproduce it instead.
settings.register_profile("ci", max_examples=30, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", settings.get_profile("ci"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def app(database_url, tmp_path):
    """The test app on an emptied database, with rate limits a fuzz run can't use up, uploads in a temporary
    folder and imports run inside the request."""
    unlimited = "1000000 per minute"
    app = create_app(app_config(database_url, LOGIN_RATE_LIMIT=unlimited, FOLLOW_RATE_LIMIT=unlimited,
                                FOLLOW_VERIFY_RATE_LIMIT=unlimited, IMPORT_DIR=str(tmp_path / "imports"),
                                IMPORT_SYNC=True))
    with app.app_context():
        clean_database()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def harness(app):
    """The seeded shop and its owner's client that each fuzz example starts from."""
    return Harness(app)
