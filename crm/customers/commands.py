"""`flask --app crm purge`: remove for good the customers deleted 30 days ago or longer, follow codes sent
more than 90 days ago and bulk actions' records finished 30 days ago (the task worker does the same every
night)."""

import functools

import click
from flask.cli import with_appcontext

from ..models import utcnow
from ..worker import jobs


@click.command("purge")
@click.option("--all", "everything", is_flag=True,
              help="Remove every customer in Recently deleted now, however recently they were deleted.")
@with_appcontext
def purge(everything: bool) -> None:
    """Remove for good the customers in Recently deleted for 30 days or longer (the trail records each), the
    follow codes older than 90 days and bulk actions' records finished 30 days ago; recorded as the purge
    job's last run."""
    work = functools.partial(jobs.purge, everything=everything)
    try:
        click.echo(jobs.run(jobs.BY_NAME["purge"], None, utcnow(), work=work))
    except Exception as exc:
        raise click.ClickException(f"The purge failed: {jobs.failure(exc)}") from exc
