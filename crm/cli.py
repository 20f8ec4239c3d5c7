"""Command-line tools: `flask --app crm recompute-stats`, `flask --app crm demo`, `flask --app crm tokens ...`."""

import time

import click
from flask import Flask
from sqlalchemy import delete

from .extensions import db
from .services.text import has_control_characters


def printable(value: str) -> str:
    """Text for the terminal: a name stored before control characters were refused shows them escaped."""
    if not has_control_characters(value):
        return value
    return value.encode("unicode_escape", "backslashreplace").decode("ascii")


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("recompute-stats")
    def recompute_stats() -> None:
        """Rebuild every customer's order figures and segment from the orders; report what was wrong."""
        from .services.stats import recompute_all, recompute_segment_counts

        started = time.perf_counter()
        mismatches = recompute_all()
        counts = recompute_segment_counts()
        # The Insights page's kept counts per place and its closed-month cache follow the figures.
        from .models import InsightMonth
        from .services.insights import rebuild_location_counts

        rebuild_location_counts()
        db.session.execute(delete(InsightMonth))
        db.session.commit()
        for m in counts:
            click.echo(f"{m.field}: was {m.stored}, now {m.actual}")
        customers = sorted({m.customer_id for m in mismatches})
        for m in mismatches[:200]:
            click.echo(f"customer {m.customer_id}: {m.field} was {m.stored!r}, now {m.actual!r}")
        if len(mismatches) > 200:
            click.echo(f"... and {len(mismatches) - 200} more")
        took = time.perf_counter() - started
        if customers or counts:
            click.echo(f"Fixed {len(customers)} customer(s) with wrong figures and {len(counts)} segment count(s) "
                       f"in {took:.1f}s.")
        else:
            click.echo(f"All customer figures were right ({took:.1f}s).")

    @app.cli.command("demo")
    @click.option("--customers", "count", type=click.IntRange(1, 5_000_000), default=500, show_default=True,
                  help="How many customers to create.")
    @click.option("--orders-per-customer", type=click.FloatRange(0, 100), default=10.0, show_default=True,
                  help="Average paid and unpaid orders per customer.")
    @click.option("--seed", type=int, default=None, help="Seed for repeatable data.")
    def demo(count: int, orders_per_customer: float, seed: int | None) -> None:
        """Fill the shop with realistic AU and MY customers and orders, spread over every segment."""
        from .demo import generate

        started = time.perf_counter()
        result = generate(count, orders_per_customer=orders_per_customer, seed=seed,
                          progress=lambda msg: click.echo(msg))
        click.echo(f"Created {result.customers:,} customers and {result.orders:,} orders "
                   f"in {time.perf_counter() - started:.1f}s.")

    @app.cli.group("tokens")
    def tokens_group() -> None:
        """API tokens for the order API: create, list, revoke."""

    @tokens_group.command("create")
    @click.argument("name")
    def create_token(name: str) -> None:
        """Create a token called NAME and print it (this once: only its hash is kept)."""
        from .services import tokens

        problem = tokens.name_problem(name)
        if problem:
            raise click.UsageError(f"{problem}.")
        token, raw = tokens.create_token(name)
        db.session.commit()
        click.echo(raw)
        click.echo(f'Created API token "{token.name}" ({token.prefix}…). It won\'t be shown again.', err=True)

    @tokens_group.command("list")
    def list_tokens() -> None:
        """Show every token: id, name, prefix, created, last used, and whether it is revoked."""
        from .services import tokens

        rows = tokens.all_tokens()
        if not rows:
            click.echo("No API tokens.")
            return

        def when(value) -> str:
            """A UTC time to the minute, or "never"."""
            return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"

        for t in rows:
            state = f"revoked {when(t.revoked_at)}" if t.revoked_at else "active"
            click.echo(f"{t.id}\t{printable(t.name)}\t{t.prefix}…\tcreated {when(t.created_at)}\tlast used {when(t.last_used_at)}"
                       f"\t{state}")

    @tokens_group.command("revoke")
    @click.argument("name_or_id")
    def revoke_token(name_or_id: str) -> None:
        """Revoke the active token called NAME_OR_ID (or with that id); requests with it get 401 from now on."""
        from .services import tokens

        token = tokens.find(name_or_id)
        if token is None:
            raise click.UsageError(f'No API token "{name_or_id}".')
        if not tokens.revoke(token):
            click.echo(f'API token "{token.name}" was revoked already.')
            return
        db.session.commit()
        click.echo(f'Revoked API token "{token.name}" ({token.prefix}…).')
