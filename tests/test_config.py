"""Configuration: generated secret key, database URL choice, environment overrides."""

import os
import stat

import pytest

from crm import config, create_app


def test_secret_key_is_generated_once_private(tmp_path):
    key = config.secret_key_for(str(tmp_path))
    path = tmp_path / "secret_key"
    assert len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.secret_key_for(str(tmp_path)) == key


def test_database_url_choice(tmp_path):
    assert config.database_url({}, str(tmp_path)) == f"sqlite:///{tmp_path}/crm.sqlite"
    assert config.database_url({"DATABASE_URL": "postgresql://u@h/db"}, "x") == "postgresql+psycopg://u@h/db"
    assert config.database_url({"DATABASE_URL": "postgres://u@h/db"}, "x") == "postgresql+psycopg://u@h/db"
    url = "postgresql+psycopg://u@h/db"
    assert config.database_url({"DATABASE_URL": url}, "x") == url


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("CRM_SECRET_KEY", "from-env")
    monkeypatch.setenv("CRM_LOGIN_RATE_LIMIT", "3 per minute")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["LOGIN_RATE_LIMIT"] == "3 per minute"


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app):
    from crm.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_health_without_a_worker_is_503(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "worker": "never seen"}


def test_wsgi_module_exposes_app(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path}/w.sqlite")
    monkeypatch.setenv("CRM_SECRET_KEY", "x")
    import importlib

    import wsgi

    importlib.reload(wsgi)
    assert wsgi.app.name == "crm"
    assert os.path.exists("wsgi.py")


def test_behind_a_proxy_the_client_address_comes_from_it(database_url, owner):
    from .conftest import app_config

    app = create_app(app_config(database_url, PROXIES=1, LOGIN_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    wrong = {"email": "owner@shop.test", "password": "wrong password"}
    for _ in range(2):
        assert client.post("/login", data=wrong, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 401
    assert client.post("/login", data=wrong, headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    # another visitor behind the same proxy is not locked out
    assert client.post("/login", data=wrong, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 401


def test_env_files_fill_in_what_the_environment_leaves_unset(tmp_path, monkeypatch):
    from crm.config import load_env_files

    instance, checkout = tmp_path / "instance", tmp_path / "checkout"
    instance.mkdir()
    checkout.mkdir()
    (instance / ".env").write_text("CRM_PORT=6000\nCRM_MAIL_FROM=shop@instance.test\n")
    (checkout / ".env").write_text("CRM_PORT=7000\nCRM_PROXIES=1\nCRM_MAIL_FROM=shop@checkout.test\n")
    for name in ("CRM_PORT", "CRM_PROXIES", "CRM_MAIL_FROM"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)  # both undone after the test, whatever load_env_files sets
    monkeypatch.setenv("CRM_MAIL_FROM", "shop@environment.test")
    load_env_files(str(instance), checkout)
    assert (os.environ["CRM_PORT"], os.environ["CRM_PROXIES"], os.environ["CRM_MAIL_FROM"]) == (
        "6000", "1", "shop@environment.test")


def test_web_server_size_follows_the_machine_unless_set():
    from crm.worker.commands import MAX_WORKERS, sizes

    workers, threads = sizes({})
    assert 1 <= workers <= MAX_WORKERS and threads == 4
    assert sizes({"WORKERS": 3, "THREADS": "8"}) == (3, 8)
