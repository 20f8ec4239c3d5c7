"""`flask --app crm demo`: fill the shop with demo customers and orders."""

import time

import click
from flask.cli import with_appcontext

from .run import generate


@click.command("demo")
@click.option("--customers", "count", type=click.IntRange(1, 5_000_000), default=500, show_default=True,
              help="How many customers to create.")
@click.option("--orders-per-customer", type=click.FloatRange(0, 100), default=10.0, show_default=True,
              help="Average paid and unpaid orders per customer.")
@click.option("--seed", type=int, default=None, help="Seed for repeatable data.")
@with_appcontext
def demo(count: int, orders_per_customer: float, seed: int | None) -> None:
    """Fill the shop with realistic AU and MY customers and orders, spread over every segment."""
    started = time.perf_counter()
    result = generate(count, orders_per_customer=orders_per_customer, seed=seed, progress=click.echo)
    click.echo(f"Created {result.customers:,} customers and {result.orders:,} orders "
               f"in {time.perf_counter() - started:.1f}s.")
