"""Demo data: a realistic Australian and Malaysian shop, fast enough for 100,000 customers and 1M orders.

Faker is slow per call, so it only fills pools of names, streets and towns once (people.py); a seeded
`random.Random` combines them. The run is planned up front (plan.py), then customers (customers.py) and orders
(orders.py) go in as batched executemany INSERTs (bulk.py) with primary keys handed out here, so order items
can point at their order without a round trip. The lifetime figures and segments are left to
`stats.recompute_all` and the search fields to `customers.refresh_search_fields`, the services that own them.
`flask --app crm demo` (command.py) runs it.
"""

from .run import DemoResult, generate

__all__ = ["DemoResult", "generate"]
