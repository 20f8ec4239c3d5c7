"""`flask --app crm tokens ...`: the order API's tokens from the command line, as Settings › API tokens."""

import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import tokens as tokens_service
from ..services.text import has_control_characters

tokens = AppGroup("tokens", help="API tokens for the order API: create, list, revoke.")


def printable(value: str) -> str:
    """Text for the terminal: a name stored before control characters were refused shows them escaped."""
    if not has_control_characters(value):
        return value
    return value.encode("unicode_escape", "backslashreplace").decode("ascii")


def _when(value) -> str:
    """A UTC time to the minute, or "never"."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@tokens.command("create")
@click.argument("name")
def create_token(name: str) -> None:
    """Create a token called NAME and print it (this once: only its hash is kept)."""
    problem = tokens_service.name_problem(name)
    if problem:
        raise click.UsageError(f"{problem}.")
    token, raw = tokens_service.create_token(name)
    db.session.commit()
    click.echo(raw)
    click.echo(f'Created API token "{token.name}" ({token.prefix}…). It won\'t be shown again.', err=True)


@tokens.command("list")
def list_tokens() -> None:
    """Show every token: id, name, prefix, created, last used, and whether it is revoked."""
    rows = tokens_service.all_tokens()
    if not rows:
        click.echo("No API tokens.")
        return
    for t in rows:
        state = f"revoked {_when(t.revoked_at)}" if t.revoked_at else "active"
        click.echo(f"{t.id}\t{printable(t.name)}\t{t.prefix}…\tcreated {_when(t.created_at)}"
                   f"\tlast used {_when(t.last_used_at)}\t{state}")


@tokens.command("revoke")
@click.argument("name_or_id")
def revoke_token(name_or_id: str) -> None:
    """Revoke the active token called NAME_OR_ID (or with that id); requests with it get 401 from now on."""
    token = tokens_service.find(name_or_id)
    if token is None:
        raise click.UsageError(f'No API token "{name_or_id}".')
    if not tokens_service.revoke(token):
        click.echo(f'API token "{token.name}" was revoked already.')
        return
    db.session.commit()
    click.echo(f'Revoked API token "{token.name}" ({token.prefix}…).')
