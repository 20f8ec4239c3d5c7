"""Backups: the `backup` and `restore` commands (the files themselves are crm.services.backups')."""
