"""Command-line tools: `flask --app crm recompute-stats`, `flask --app crm demo`, `flask --app crm tokens ...`,
`flask --app crm backup`, `flask --app crm restore FILE`, `flask --app crm copy-database --to URL`,
`flask --app crm purge`.

Each command lives in its area; this is the one list of them."""

from flask import Flask

from .backups.commands import backup, copy_database, restore
from .customers.commands import purge
from .demo.command import demo
from .insights.commands import recompute_stats
from .settings.commands import tokens

COMMANDS = (recompute_stats, demo, tokens, backup, restore, copy_database, purge)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in COMMANDS:
        app.cli.add_command(command)
