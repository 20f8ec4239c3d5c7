"""A throwaway Redis server on a free loopback port, owned by the test run (the PostgreSQL leg's broker and
rate-limit store), as tests/pgcluster.py owns its PostgreSQL cluster."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class RedisUnavailable(RuntimeError):
    """No redis-server binary, or it would not start."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server in a temporary directory, nothing kept on disk; stop() ends it and removes the directory."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or ("/usr/bin/redis-server"
                                                       if Path("/usr/bin/redis-server").exists() else None)
        if self.binary is None:
            raise RedisUnavailable("redis-server not found (install Debian's redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="crm-redis-"))
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        """Start the server and wait until it answers; return its URL."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=(self.dir / "log").open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return f"redis://127.0.0.1:{self.port}/0"
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "log").read_text()
                self.stop()
                raise RedisUnavailable(f"redis-server did not start: {log}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        try:
            if self.process and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
