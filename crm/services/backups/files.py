"""Backup files: their names (crm-20261201T230501Z.sqlite, .dump), the newest in a folder, keeping the newest N.

Only names of exactly this pattern are ever listed or deleted, so anything else in the folder (a copy kept by
hand, the copies `restore` keeps aside, other programs' files) stays where it is.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import BadBackup

STAMP = "%Y%m%dT%H%M%SZ"  # UTC, sortable as text
PATTERN = re.compile(r"crm-(\d{8}T\d{6}Z)\.(sqlite|dump)")
SUFFIXES = ("sqlite", "dump")


@dataclass(frozen=True)
class BackupFile:
    """One backup: where it is, when it was taken (from its name, UTC) and its size in bytes."""

    path: Path
    taken_at: datetime
    size: int

    @property
    def suffix(self) -> str:
        """"sqlite" or "dump"."""
        return self.path.suffix.removeprefix(".")


def name_for(moment: datetime, suffix: str, note: str = "") -> str:
    """The file name of a backup taken at `moment`: crm-20261201T230501Z.sqlite (a note goes before the dot)."""
    return f"crm-{moment.astimezone(timezone.utc).strftime(STAMP)}{note}.{suffix}"


def parse(path: Path) -> BackupFile | None:
    """The backup a file of the naming pattern is, or None for any other file."""
    match = PATTERN.fullmatch(path.name)
    if not match:
        return None
    try:
        taken_at = datetime.strptime(match.group(1), STAMP).replace(tzinfo=timezone.utc)
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    if not path.is_file():
        return None
    return BackupFile(path, taken_at, size)


def listing(folder: Path, suffix: str | None = None) -> list[BackupFile]:
    """The backups in a folder, oldest first (only files of the naming pattern; of one kind when asked)."""
    try:
        entries = list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return []
    found = [b for b in map(parse, entries) if b is not None and (suffix is None or b.suffix == suffix)]
    return sorted(found, key=lambda b: b.path.name)


def newest(folder: Path) -> BackupFile | None:
    """The latest backup in the folder, or None when there is none."""
    found = listing(folder)
    return found[-1] if found else None


def prune(folder: Path, suffix: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups of this kind; return what was deleted."""
    old = listing(folder, suffix)[:-keep] if keep > 0 else []
    for backup in old:
        backup.path.unlink(missing_ok=True)
    return [backup.path for backup in old]


def fresh_path(folder: Path, suffix: str, note: str = "") -> Path:
    """A path named with the time now that no file has yet (a second backup in the same second waits for the
    next one, so every name still says when its copy was taken)."""
    for _ in range(3):
        path = folder / name_for(datetime.now(timezone.utc), suffix, note)
        if not path.exists():
            return path
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
    raise FileExistsError(f"{path} exists already")


def private_folder(folder: Path) -> Path:
    """Create the folder if needed (readable by this user only: backups hold every customer's details)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def publish(partial: Path, final: Path) -> None:
    """Give a finished, checked copy its name: on disk first, then renamed, so a name never shows half a file."""
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(partial, 0o600)
    os.replace(partial, final)


def expect_header(path: Path, header: bytes, kind: str) -> None:
    """Raise BadBackup unless the file can be read and starts as a file of its kind does."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(len(header))
    except OSError as exc:
        raise BadBackup(f"Can't read {path}: {exc.strerror or exc}.") from exc
    if start != header:
        raise BadBackup(f"{path} is not {kind}.")
