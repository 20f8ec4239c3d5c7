"""`flask --app crm serve`: the web server and the task worker as two child processes, stopped together.

The children run in process groups of their own, so a Ctrl-C in the terminal reaches this process alone,
which then asks each child once to stop (SIGTERM: gunicorn finishes the requests in flight, the worker the
task in hand, within their time limits). A second Ctrl-C kills them at once. A child that ends by itself
(a crash, a port already taken) stops the other, and the exit status says something went wrong.

`flask --app crm serve` replaces itself with this file run as a script (`python supervise.py COMMANDS`), so
the process that only waits holds no app, no database engine, none of crm's imports: a few MB, not 50.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

STOP_TIMEOUT = 30  # seconds a child has to stop after SIGTERM before it is killed
POLL = 0.2  # seconds between looks at the children


class _Stop:
    """The signals received so far (SIGINT or SIGTERM)."""

    def __init__(self):
        self.count = 0

    def __call__(self, signum, frame) -> None:
        self.count += 1


def _signal(child: subprocess.Popen, signum: int) -> None:
    """Send `signum` to the child's process group: the child and what it started (the reloader's server)."""
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass


def _end(children: list[subprocess.Popen], stop: _Stop) -> None:
    """SIGTERM to every child still running, then wait; kill those that outlast STOP_TIMEOUT or a second signal."""
    for child in children:
        if child.poll() is None:
            _signal(child, signal.SIGTERM)
    asked = stop.count
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(child.poll() is None for child in children):
        if time.monotonic() > deadline or stop.count > asked:
            for child in children:
                _signal(child, signal.SIGKILL)
        time.sleep(POLL)


def supervise(commands: dict[str, list[str]]) -> int:
    """Run each named command as a child until a signal or one child's end; 0 when stopped by a signal."""
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: list[subprocess.Popen] = []
    try:
        for name, command in commands.items():
            children.append(subprocess.Popen(command, process_group=0))
            print(f"crm: started the {name} (pid {children[-1].pid})", file=sys.stderr, flush=True)
        ended = None
        while not stop.count and ended is None:
            ended = next((child for child in children if child.poll() is not None), None)
            time.sleep(POLL)
        if ended is not None:
            name = list(commands)[children.index(ended)]
            print(f"crm: the {name} stopped (exit status {ended.returncode}); stopping the rest",
                  file=sys.stderr, flush=True)
        _end(children, stop)
        return 0 if ended is None else 1
    finally:
        for child in children:
            if child.poll() is None:
                _signal(child, signal.SIGKILL)
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(supervise(json.loads(sys.argv[1])))
