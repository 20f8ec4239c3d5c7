"""Hypothesis profiles for the fuzz tests ("ci" by default; HYPOTHESIS_PROFILE=fuzz for `make fuzz`) and the
shop they run against."""

import os

import pytest
from hypothesis import HealthCheck, settings

from .harness import Harness

# deadline=None: the machines are shared and noisy, a slow example is not a failure. database=None: no
# .hypothesis/ example files in the work tree; a failure prints its seed and blob to reproduce it instead.
settings.register_profile("ci", max_examples=30, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", settings.get_profile("ci"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def harness(app, tmp_path):
    """The seeded shop and its owner's client that each fuzz example starts from, with rate limits a fuzz run
    can't use up, uploads in a temporary folder and imports run inside the request."""
    unlimited = "1000000 per minute"
    app.config.update(LOGIN_RATE_LIMIT=unlimited, FOLLOW_RATE_LIMIT=unlimited, FOLLOW_VERIFY_RATE_LIMIT=unlimited,
                      IMPORT_DIR=str(tmp_path / "imports"), IMPORT_SYNC=True)
    return Harness(app)
