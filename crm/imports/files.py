"""Where an import keeps its uploaded file and its progress between requests: a folder per upload.

The upload, the result of each dry run and the import's progress are plain files under one directory
(the instance folder's `imports/` by default), so every web worker sees them and a polling request never
has to read the database while an import holds SQLite's write lock. State files are JSON written to a
temporary name and renamed into place, so a reader sees the old state or the new one, never half of it.

A running job holds an exclusive lock (flock) on a lock file beside its state, and the kernel lets go of it
when the job's process ends in any way, `kill -9` included. So anyone who can take that lock while the state
still says "running" knows the job is gone, at once and in any process: no clocks, no process ids (which a
restarted server hands out again).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

UPLOAD = "upload.csv"
META = "meta.json"
KEEP_SECONDS = 24 * 3600  # uploads hold customers' personal data: gone a day after they were last used
# An upload's token, or the folder where the undo of a finished import keeps its state ("undo-<import id>").
_TOKEN = re.compile(r"^(?:[A-Za-z0-9_-]{32,43}|undo-[0-9]{1,12})$")


class UnknownUpload(LookupError):
    """No upload has this token (never existed, removed, or malformed)."""


class JobLock:
    """A held lock on one of an upload's lock files; released by `release`, leaving a `with` block, or death."""

    def __init__(self, fd: int):
        """Hold the lock taken on this open file."""
        self.fd: int | None = fd

    def release(self) -> None:
        """Let go of the lock (closing the file does it); releasing twice does nothing."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> JobLock:
        """The lock itself, held for the block."""
        return self

    def __exit__(self, *_exc) -> None:
        """Release the lock at the end of the block."""
        self.release()


def _now_iso() -> str:
    """The current UTC time in ISO 8601, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ImportFiles:
    """The uploads under one root directory."""

    def __init__(self, root: str | os.PathLike):
        """Keep uploads under `root` (created when needed)."""
        self.root = Path(root)

    def folder(self, token: str) -> Path:
        """The folder of one upload; UnknownUpload for a token that can't be one (no path tricks)."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            raise UnknownUpload(token)
        return self.root / token

    def save(self, data: bytes, meta: dict) -> str:
        """Store an uploaded file and what is known about it; return its new token."""
        self.root.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        folder = self.folder(token)
        folder.mkdir(mode=0o700)
        (folder / UPLOAD).write_bytes(data)
        self.write_state(token, META, {**meta, "token": token, "uploaded_at": _now_iso()})
        return token

    def undo_folder(self, job_id: int) -> str:
        """The key of the folder where undoing import `job_id` keeps its state (made when needed)."""
        key = f"undo-{int(job_id)}"
        self.folder(key).mkdir(parents=True, exist_ok=True, mode=0o700)
        return key

    def meta(self, token: str) -> dict:
        """What was recorded at upload time; UnknownUpload when there is no such upload."""
        state = self.read_state(token, META)
        if state is None:
            raise UnknownUpload(token)
        return state

    def data(self, token: str) -> bytes:
        """The uploaded bytes."""
        try:
            return (self.folder(token) / UPLOAD).read_bytes()
        except FileNotFoundError as exc:
            raise UnknownUpload(token) from exc

    def read_state(self, token: str, name: str) -> dict | None:
        """A JSON state file of the upload, or None when it isn't there (yet)."""
        try:
            with open(self.folder(token) / name, encoding="utf-8") as fh:
                return json.load(fh)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except json.JSONDecodeError:
            return None  # cannot happen with write_state's rename; treat a stray file as missing

    def write_state(self, token: str, name: str, state: dict) -> None:
        """Replace a JSON state file in one step (write a temporary file, then rename it over the old one)."""
        folder = self.folder(token)
        tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(state, fh, separators=(",", ":"))
        os.replace(tmp, folder / name)

    def lock(self, token: str, name: str) -> JobLock | None:
        """Take the upload's lock `name` without waiting; None when someone holds it (a job is running).

        Each call opens the file anew, so the lock also keeps out other threads of this process. The file
        is opened close-on-exec, so no program the job might start keeps the lock after the job is gone.
        """
        try:
            fd = os.open(self.folder(token) / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise UnknownUpload(token) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        return JobLock(fd)

    def tokens(self) -> list[str]:
        """The tokens of every upload kept now."""
        if not self.root.is_dir():
            return []
        return [folder.name for folder in self.root.iterdir() if folder.is_dir() and _TOKEN.match(folder.name)]

    def touch(self, token: str) -> None:
        """Mark the upload as in use now, so the clean-up keeps it another day."""
        os.utime(self.folder(token))

    def clean_up(self, max_age: float = KEEP_SECONDS) -> int:
        """Remove uploads not used for `max_age` seconds; return how many went."""
        limit = time.time() - max_age
        removed = 0
        for token in self.tokens():
            folder = self.root / token
            if folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed
