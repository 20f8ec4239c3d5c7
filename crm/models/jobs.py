"""What the task worker leaves behind for the dashboard: its heartbeat and each scheduled job's last run."""

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, values_in

JOB_OUTCOMES = ("running", "ok", "failed")


class JobRun(db.Model):
    """The last run of one scheduled job (purge, backup, insights), whoever ran it: the worker or the CLI."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))  # one of JOB_OUTCOMES
    detail: Mapped[str] = mapped_column(Text, default="")  # what it did, or why it failed

    __table_args__ = (CheckConstraint(values_in("outcome", JOB_OUTCOMES), name="outcome"),)


class WorkerBeat(db.Model):
    """One task worker process's heartbeat: written every half minute while it runs."""

    __tablename__ = "worker_beat"

    worker: Mapped[str] = mapped_column(String(120), primary_key=True)  # host and process id
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
