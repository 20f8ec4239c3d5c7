"""What can go wrong with a backup or a restore, in words for the person at the terminal."""


class BackupError(Exception):
    """A backup could not be made or checked."""


class BadBackup(BackupError):
    """The file given to restore is not a whole crm backup for this database (nothing was changed)."""


class InUse(BackupError):
    """Another process (a running server) holds the database, so a restore would pull it from under it."""
