"""`flask --app crm recompute-stats`: rebuild the figures the list and Insights read from the orders."""

import time

import click
from flask.cli import with_appcontext
from sqlalchemy import delete

from ..extensions import db
from ..models import InsightMonth
from ..services.insights import rebuild_location_counts
from ..services.stats import recompute_all, recompute_segment_counts

SHOWN = 200  # wrong figures listed one by one; the rest are counted


@click.command("recompute-stats")
@with_appcontext
def recompute_stats() -> None:
    """Rebuild every customer's order figures and segment from the orders; report what was wrong."""
    started = time.perf_counter()
    mismatches = recompute_all()
    counts = recompute_segment_counts()
    # The Insights page's kept counts per place and its closed-month cache follow the figures.
    rebuild_location_counts()
    db.session.execute(delete(InsightMonth))
    db.session.commit()
    for m in counts:
        click.echo(f"{m.field}: was {m.stored}, now {m.actual}")
    customers = sorted({m.customer_id for m in mismatches})
    for m in mismatches[:SHOWN]:
        click.echo(f"customer {m.customer_id}: {m.field} was {m.stored!r}, now {m.actual!r}")
    if len(mismatches) > SHOWN:
        click.echo(f"... and {len(mismatches) - SHOWN} more")
    took = time.perf_counter() - started
    if customers or counts:
        click.echo(f"Fixed {len(customers)} customer(s) with wrong figures and {len(counts)} segment count(s) "
                   f"in {took:.1f}s.")
    else:
        click.echo(f"All customer figures were right ({took:.1f}s).")
