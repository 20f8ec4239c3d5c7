"""The task worker's main loop: Huey's consumer, with the heartbeat that Settings and /healthz read."""

from __future__ import annotations

import os
import socket
import time

from flask import Flask
from huey.consumer import Consumer

from ..models import utcnow
from ..services.job_runs import BEAT_EVERY
from . import jobs

POLL = 0.25  # at most this many seconds between looks at an idle SQLite queue (Redis waits on it instead)
STOP_WITHIN = 20  # seconds a task in hand may take to finish once the worker is asked to stop


class Worker(Consumer):
    """Huey's consumer in threads, beating from its main loop: the beat stops if the loop does."""

    def __init__(self, app: Flask, huey, threads: int, periodic: bool = True):
        super().__init__(huey, workers=threads, periodic=periodic, worker_type="thread", max_delay=POLL,
                         graceful_signal="TERM", shutdown_timeout=STOP_WITHIN)
        self.app = app
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = utcnow()
        self.next_beat = 0.0

    def beat(self) -> None:
        """Write the heartbeat now."""
        self.next_beat = time.monotonic() + BEAT_EVERY
        with self.app.app_context():
            jobs.beat(self.name, self.started_at)

    def loop(self, health_check_ts=None):
        """Huey's loop step, and the heartbeat when it is due."""
        health_check_ts = super().loop(health_check_ts)
        if time.monotonic() >= self.next_beat:
            self.beat()
        return health_check_ts
