"""`flask --app crm purge`: remove for good the customers deleted 30 days ago or longer (`make run` runs it at
start-up; a shop may also run it daily from cron)."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..services import deleted


@click.command("purge")
@click.option("--all", "everything", is_flag=True,
              help="Remove every customer in Recently deleted now, however recently they were deleted.")
@with_appcontext
def purge(everything: bool) -> None:
    """Remove for good the customers in Recently deleted for 30 days or longer; the trail records each."""
    names = deleted.purge(everything=everything)
    db.session.commit()
    if names:
        click.echo(f"Removed {len(names)} customer{'s' * (len(names) != 1)} for good from Recently deleted.")
    else:
        click.echo("Nothing to remove: no customer has been in Recently deleted for 30 days.")
