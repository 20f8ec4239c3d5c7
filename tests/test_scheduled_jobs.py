"""Scheduled jobs: due once per day of the shop's calendar, outcomes recorded, the commands that do the same
work now, Settings' Background jobs section, and what /healthz makes of the worker's heartbeat."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from crm.extensions import db
from crm.models import BulkJob, FollowCode, InsightMonth, JobRun
from crm.services import backups, job_runs
from crm.services.shop import get_settings
from crm.worker import jobs

from .html import parse

# 00:30 on 16 June in Sydney: Insights' hour (0) has come, the purge's (1) and the backup's (3) not yet.
AFTER_MIDNIGHT = datetime(2026, 6, 15, 14, 30, tzinfo=timezone.utc)


@pytest.fixture
def sydney(app, owner):
    """The owner's shop, in Sydney's time zone."""
    with app.app_context():
        get_settings().timezone = "Australia/Sydney"
        db.session.commit()
    return app


def due(app, now: datetime) -> list[str]:
    """The jobs the worker's tick runs at `now`."""
    with app.app_context():
        return jobs.run_due(now)


def runs(app) -> dict[str, tuple]:
    """{job: (outcome, detail)} of every recorded run."""
    with app.app_context():
        return {run.name: (run.outcome, run.detail) for run in db.session.scalars(select(JobRun))}


def test_each_job_runs_once_a_shop_day_from_its_hour(sydney):
    assert due(sydney, AFTER_MIDNIGHT) == ["insights"]
    assert due(sydney, AFTER_MIDNIGHT + timedelta(minutes=5)) == []  # it ran today
    assert due(sydney, AFTER_MIDNIGHT + timedelta(hours=1)) == ["purge"]
    assert due(sydney, AFTER_MIDNIGHT + timedelta(hours=5)) == []  # backup is off unless configured
    assert due(sydney, AFTER_MIDNIGHT + timedelta(days=1, hours=1)) == ["insights", "purge"]  # the next day
    assert runs(sydney)["insights"] == ("ok", "Counted 11 months.")
    with sydney.app_context():
        assert db.session.scalar(select(func.count()).select_from(InsightMonth)) == 11


def test_the_nightly_backup_when_configured(sydney, tmp_path):
    sydney.config["NIGHTLY_BACKUP"] = True
    assert due(sydney, AFTER_MIDNIGHT + timedelta(hours=3)) == ["insights", "purge", "backup"]
    outcome, detail = runs(sydney)["backup"]
    assert outcome == "ok" and detail.startswith("Wrote crm-")
    assert [path.name for path in (tmp_path / "backups").glob("crm-*")] == [detail.removeprefix("Wrote ")[:-1]]


def test_a_failed_job_is_recorded_and_the_others_still_run(sydney, monkeypatch):
    sydney.config["NIGHTLY_BACKUP"] = True

    def full(*args, **kwargs):
        raise backups.BackupError("No space left in the backup folder.")

    monkeypatch.setattr(backups, "make", full)
    assert due(sydney, AFTER_MIDNIGHT + timedelta(hours=4)) == ["insights", "purge"]
    assert runs(sydney)["backup"] == ("failed", "No space left in the backup folder.")
    assert due(sydney, AFTER_MIDNIGHT + timedelta(hours=5)) == []  # once a day, failed or not


def test_a_job_another_worker_started_today_is_not_started_again(sydney):
    with sydney.app_context():
        since = jobs.local_midnight(AFTER_MIDNIGHT, ZoneInfo("Australia/Sydney"))
        assert job_runs.claim("insights", since, AFTER_MIDNIGHT) is True
        assert job_runs.claim("insights", since, AFTER_MIDNIGHT) is False
        db.session.commit()
    assert due(sydney, AFTER_MIDNIGHT) == []


def test_purge_command_removes_follow_codes_older_than_90_days(app, runner, owner):
    now = datetime.now(timezone.utc)
    with app.app_context():
        for age in (91, 89):
            db.session.add(FollowCode(email=f"{age}@example.com", code_hash="x" * 64, created_at=now - timedelta(days=age),
                                      expires_at=now - timedelta(days=age) + timedelta(minutes=10)))
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "1 follow code older than 90 days deleted;" in result.output
    with app.app_context():
        assert db.session.scalars(select(FollowCode.email)).all() == ["89@example.com"]
    assert runs(app)["purge"][0] == "ok"


def test_purge_command_removes_bulk_actions_finished_over_30_days_ago(app, runner, owner):
    now = datetime.now(timezone.utc)
    with app.app_context():
        for status, age in (("done", 31), ("failed", 45), ("done", 29), ("queued", 60), ("running", 60)):
            db.session.add(BulkJob(action="add_tag", tag=f"{status} {age}", selection="{}", total=2000, status=status,
                                   created_at=now - timedelta(days=age),
                                   finished_at=now - timedelta(days=age) if status in ("done", "failed") else None))
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "2 bulk action records finished over 30 days ago deleted." in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(BulkJob.tag))) == ["done 29", "queued 60", "running 60"]


def test_refresh_insights_command(app, runner, owner):
    result = runner.invoke(args=["refresh-insights"])
    assert result.exit_code == 0 and result.stdout == "Counted 11 months.\n"  # log lines go to stderr
    assert runs(app)["insights"] == ("ok", "Counted 11 months.")


def test_load_gazetteer_command(runner):
    result = runner.invoke(args=["load-gazetteer"])
    assert result.exit_code == 0 and result.stdout == "The bundled localities were already loaded.\n"


# ---- Settings ------------------------------------------------------------------------------------------------


def beat(app, seen_at: datetime) -> None:
    with app.app_context():
        job_runs.beat("host:42", seen_at - timedelta(hours=1), now=seen_at)
        db.session.commit()


def jobs_section(client):
    doc = parse(client.get("/settings").get_data(as_text=True))
    return doc.by_role("region", "Background jobs")


def test_settings_before_any_worker(logged_in):
    section = jobs_section(logged_in)
    assert "Task worker Not started yet" in section.text
    rows = section.by_role("table", "Scheduled jobs").rows()
    assert rows[0] == ["Job", "Runs", "Last run", "Outcome"]
    assert [row[:3] for row in rows[1:]] == [["Refresh Insights' months", "Daily after 00:00", "Never"],
                                            ["Purge Recently deleted, old follow codes and bulk actions", "Daily after 01:00",
                                             "Never"],
                                            ["Nightly backup", "Off", "Never"]]


def test_settings_shows_the_heartbeat_and_each_last_run(app, logged_in, runner):
    beat(app, datetime.now(timezone.utc))
    runner.invoke(args=["refresh-insights"])
    section = jobs_section(logged_in)
    assert "Task worker Running, last heartbeat" in section.text
    insights_row = section.by_role("table", "Scheduled jobs").rows()[1]
    assert insights_row[3] == "Done: Counted 11 months."
    beat(app, datetime.now(timezone.utc) - timedelta(minutes=6))  # the same worker, last seen 6 minutes ago
    assert "Task worker Not running: silent since" in jobs_section(logged_in).text


# ---- /healthz ------------------------------------------------------------------------------------------------


def test_healthz_with_a_worker_beating(app, client):
    beat(app, datetime.now(timezone.utc) - timedelta(minutes=4))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok", "database": "ok", "worker": "ok"}


def test_healthz_with_a_silent_worker(app, client):
    seen = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=6)
    beat(app, seen)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok",
                             "worker": f"silent since {seen.isoformat(timespec='seconds')}"}


def test_healthz_with_the_database_gone(app, client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(job_runs, "worker_status", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable", "worker": "unknown"}
