"""Insights: customers and spend per place kept by triggers, a cache of closed months kept honest by triggers
on orders, and the indexes that Insights and the customer list's location filter read.

location_count holds, per city (with its state and country), per state and per country, how many customers
live there in each segment and what they have spent. Triggers on address (a customer moves, gets or loses an
address) and on customer (segment or lifetime spend changes, a customer is deleted) keep it in step with every
write, whoever makes it; Insights ranks places from it and the customer list counts a place's tabs from it.

insight_month caches, per closed month of the shop's calendar, how many customers paid for an order in it:
counting them reads every order of the month. A paid order added, changed or removed deletes the cached
months it can affect (its own and every later one), so a cached month is never older than its orders.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SEGMENTS = ("vip", "returning", "new", "prospect")
# Each level's key from an address row: (state, city); coarser levels leave the finer parts empty.
LEVELS = {"city": ("{row}.state", "{row}.city"), "state": ("{row}.state", "''"), "country": ("''", "''")}
COUNT_COLUMNS = "customers, vip_customers, returning_customers, new_customers, prospect_customers, spent"


def _segment_flags(segment: str) -> list[str]:
    """1 or 0 per segment column, for the customer whose segment is the given SQL expression."""
    return [f"CASE WHEN {segment} = '{s}' THEN 1 ELSE 0 END" for s in SEGMENTS]


def _key_match(level: str, row: str) -> str:
    """SQL matching the location_count row of one level for an address row (new, old or a)."""
    state, city = (part.format(row=row) for part in LEVELS[level])
    return (f"location_count.level = '{level}' AND location_count.country = {row}.country "
            f"AND location_count.state = {state} AND location_count.city = {city}")


def _sqlite_statements() -> list[str]:
    """The SQLite triggers: one statement per level in each, so every write goes through the primary key."""
    add = []
    remove = []
    for level in LEVELS:
        state, city = (part.format(row="new") for part in LEVELS[level])
        flags = ", ".join(_segment_flags("c.segment"))
        add.append(
            f"INSERT INTO location_count (level, country, state, city, {COUNT_COLUMNS}) "
            f"SELECT '{level}', new.country, {state}, {city}, 1, {flags}, c.total_spent "
            f"FROM customer AS c WHERE c.id = new.customer_id "
            f"ON CONFLICT (level, country, state, city) DO UPDATE SET customers = customers + 1, "
            + ", ".join(f"{s}_customers = {s}_customers + excluded.{s}_customers" for s in SEGMENTS)
            + ", spent = spent + excluded.spent;")
        remove.append(
            "UPDATE location_count SET customers = customers - 1, "
            + ", ".join(f"{s}_customers = {s}_customers - {flag}"
                        for s, flag in zip(SEGMENTS, _segment_flags("c.segment")))
            + f", spent = spent - c.total_spent FROM customer AS c "
            f"WHERE c.id = old.customer_id AND {_key_match(level, 'old')};")
    move = [
        "UPDATE location_count SET "
        + ", ".join(f"{s}_customers = {s}_customers + {n} - {o}"
                    for s, n, o in zip(SEGMENTS, _segment_flags("new.segment"), _segment_flags("old.segment")))
        + f", spent = spent + new.total_spent - old.total_spent FROM address AS a "
        f"WHERE a.customer_id = new.id AND {_key_match(level, 'a')};"
        for level in LEVELS
    ]
    return [
        f"CREATE TRIGGER location_count_address_insert AFTER INSERT ON address BEGIN {' '.join(add)} END",
        f"CREATE TRIGGER location_count_address_delete AFTER DELETE ON address BEGIN {' '.join(remove)} END",
        ("CREATE TRIGGER location_count_address_update AFTER UPDATE OF country, state, city, customer_id "
         "ON address WHEN old.country IS NOT new.country OR old.state IS NOT new.state "
         "OR old.city IS NOT new.city OR old.customer_id IS NOT new.customer_id "
         f"BEGIN {' '.join(remove)} {' '.join(add)} END"),
        ("CREATE TRIGGER location_count_customer_update AFTER UPDATE OF segment, total_spent ON customer "
         "WHEN old.segment IS NOT new.segment OR old.total_spent IS NOT new.total_spent "
         f"BEGIN {' '.join(move)} END"),
        # The address goes first, while its customer's segment and spend can still be read to take them off.
        ("CREATE TRIGGER location_count_customer_delete BEFORE DELETE ON customer "
         "BEGIN DELETE FROM address WHERE customer_id = old.id; END"),
        ("CREATE TRIGGER insight_month_order_insert AFTER INSERT ON \"order\" WHEN new.status = 'paid' "
         "BEGIN DELETE FROM insight_month WHERE ends_at > new.placed_at; END"),
        ("CREATE TRIGGER insight_month_order_update AFTER UPDATE OF status, placed_at, customer_id ON \"order\" "
         "BEGIN DELETE FROM insight_month WHERE ends_at > min(old.placed_at, new.placed_at); END"),
        ("CREATE TRIGGER insight_month_order_delete AFTER DELETE ON \"order\" WHEN old.status = 'paid' "
         "BEGIN DELETE FROM insight_month WHERE ends_at > old.placed_at; END"),
    ]


SQLITE_TRIGGERS = ("location_count_address_insert", "location_count_address_delete",
                   "location_count_address_update", "location_count_customer_update",
                   "location_count_customer_delete", "insight_month_order_insert", "insight_month_order_update",
                   "insight_month_order_delete")


def _postgresql_statements() -> list[str]:
    """The PostgreSQL functions and triggers (same rules as SQLite's).

    Each writes the city row, then the state row, then the country row, one statement each: two orders
    for customers in the same state lock the rows they share in the same order, so they wait, never deadlock.
    """
    flags = ", ".join(_segment_flags("c.segment"))
    minus = ", ".join(f"{s}_customers = location_count.{s}_customers - {flag}"
                      for s, flag in zip(SEGMENTS, _segment_flags("c.segment")))
    moves = ", ".join(f"{s}_customers = location_count.{s}_customers + {n} - {o}"
                      for s, n, o in zip(SEGMENTS, _segment_flags("NEW.segment"), _segment_flags("OLD.segment")))
    keys = {"city": ("p_state", "p_city"), "state": ("p_state", "''"), "country": ("''", "''")}
    adds = "\n".join(
        f"""        INSERT INTO location_count (level, country, state, city, {COUNT_COLUMNS})
        VALUES ('{level}', p_country, {state}, {city}, 1, {flags}, c.total_spent)
        ON CONFLICT (level, country, state, city) DO UPDATE SET customers = location_count.customers + 1, """
        + ", ".join(f"{s}_customers = location_count.{s}_customers + EXCLUDED.{s}_customers" for s in SEGMENTS)
        + ", spent = location_count.spent + EXCLUDED.spent;"
        for level, (state, city) in keys.items())
    removes = "\n".join(
        f"""        UPDATE location_count SET customers = location_count.customers - 1, {minus},
            spent = location_count.spent - c.total_spent
        WHERE level = '{level}' AND country = p_country AND state = {state} AND city = {city};"""
        for level, (state, city) in keys.items())
    address_keys = {"city": ("a.state", "a.city"), "state": ("a.state", "''"), "country": ("''", "''")}
    move_all = "\n".join(
        f"""    UPDATE location_count SET {moves}, spent = location_count.spent + NEW.total_spent - OLD.total_spent
    WHERE level = '{level}' AND country = a.country AND state = {state} AND city = {city};"""
        for level, (state, city) in address_keys.items())
    return [
        f"""
CREATE FUNCTION location_count_change(p_country text, p_state text, p_city text, p_customer integer,
                                      p_sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    SELECT segment, total_spent INTO c FROM customer WHERE id = p_customer;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_sign > 0 THEN
{adds}
    ELSE
{removes}
    END IF;
END
$$""",
        """
CREATE FUNCTION location_count_address() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.country = NEW.country AND OLD.state = NEW.state AND OLD.city = NEW.city
            AND OLD.customer_id = NEW.customer_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM location_count_change(OLD.country, OLD.state, OLD.city, OLD.customer_id, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM location_count_change(NEW.country, NEW.state, NEW.city, NEW.customer_id, 1);
    END IF;
    RETURN NULL;
END
$$""",
        ("CREATE TRIGGER location_count_address AFTER INSERT OR DELETE OR UPDATE OF country, state, city, "
         "customer_id ON address FOR EACH ROW EXECUTE FUNCTION location_count_address()"),
        f"""
CREATE FUNCTION location_count_customer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- The address goes first, while this customer's segment and spend can still be read to take them off.
        DELETE FROM address WHERE customer_id = OLD.id;
        RETURN OLD;
    END IF;
    IF OLD.segment = NEW.segment AND OLD.total_spent = NEW.total_spent THEN
        RETURN NULL;
    END IF;
    SELECT country, state, city INTO a FROM address WHERE customer_id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
{move_all}
    RETURN NULL;
END
$$""",
        ("CREATE TRIGGER location_count_customer_update AFTER UPDATE OF segment, total_spent ON customer "
         "FOR EACH ROW EXECUTE FUNCTION location_count_customer()"),
        ("CREATE TRIGGER location_count_customer_delete BEFORE DELETE ON customer "
         "FOR EACH ROW EXECUTE FUNCTION location_count_customer()"),
        """
CREATE FUNCTION insight_month_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'paid' THEN
            DELETE FROM insight_month WHERE ends_at > NEW.placed_at;
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.status = 'paid' THEN
            DELETE FROM insight_month WHERE ends_at > OLD.placed_at;
        END IF;
    ELSIF OLD.status IS DISTINCT FROM NEW.status OR OLD.placed_at IS DISTINCT FROM NEW.placed_at
            OR OLD.customer_id IS DISTINCT FROM NEW.customer_id THEN
        DELETE FROM insight_month WHERE ends_at > LEAST(OLD.placed_at, NEW.placed_at);
    END IF;
    RETURN NULL;
END
$$""",
        ('CREATE TRIGGER insight_month_invalidate AFTER INSERT OR DELETE OR UPDATE OF status, placed_at, '
         'customer_id ON "order" FOR EACH ROW EXECUTE FUNCTION insight_month_invalidate()'),
    ]


def _fill_location_count() -> None:
    """Count the customers already there, per city, state and country."""
    flags = ", ".join(f"sum({flag})" for flag in _segment_flags("c.segment"))
    for level, parts in LEVELS.items():
        state, city = (part.format(row="a") for part in parts)
        group = {"city": "a.country, a.state, a.city", "state": "a.country, a.state", "country": "a.country"}[level]
        op.execute(
            f"INSERT INTO location_count (level, country, state, city, {COUNT_COLUMNS}) "
            f"SELECT '{level}', a.country, {state}, {city}, count(*), {flags}, coalesce(sum(c.total_spent), 0) "
            f"FROM address AS a JOIN customer AS c ON c.id = a.customer_id GROUP BY {group}")


def upgrade():
    op.create_table(
        'location_count',
        sa.Column('level', sa.String(length=7), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('state', sa.String(length=100), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.Column('vip_customers', sa.Integer(), nullable=False),
        sa.Column('returning_customers', sa.Integer(), nullable=False),
        sa.Column('new_customers', sa.Integer(), nullable=False),
        sa.Column('prospect_customers', sa.Integer(), nullable=False),
        sa.Column('spent', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'country', 'state', 'city', name=op.f('pk_location_count')),
    )
    op.create_index('ix_location_count_customers', 'location_count', ['level', 'customers'], unique=False)
    op.create_index('ix_location_count_spent', 'location_count', ['level', 'spent'], unique=False)
    op.create_table(
        'insight_month',
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('customers', sa.Integer(), nullable=False),
        sa.Column('new_customers', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('zone', 'starts_at', name=op.f('pk_insight_month')),
    )
    # Plain CREATE INDEX: rebuilding customer, address or order on SQLite would drop their triggers.
    op.create_index('ix_customer_first_order_at', 'customer', ['order_count', 'first_order_at'], unique=False)
    op.create_index('ix_address_location', 'address', ['country', 'state', 'city', 'customer_id'], unique=False)
    op.create_index('ix_order_paid_placed_at', 'order', ['placed_at', 'customer_id'], unique=False,
                    sqlite_where=sa.text("status = 'paid'"), postgresql_where=sa.text("status = 'paid'"))
    _fill_location_count()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _sqlite_statements():
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _postgresql_statements():
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS insight_month_invalidate ON \"order\"")
        op.execute("DROP TRIGGER IF EXISTS location_count_customer_delete ON customer")
        op.execute("DROP TRIGGER IF EXISTS location_count_customer_update ON customer")
        op.execute("DROP TRIGGER IF EXISTS location_count_address ON address")
        for function in ("insight_month_invalidate()", "location_count_customer()", "location_count_address()",
                         "location_count_change(text, text, text, integer, integer)"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_index('ix_order_paid_placed_at', table_name='order')
    op.drop_index('ix_address_location', table_name='address')
    op.drop_index('ix_customer_first_order_at', table_name='customer')
    op.drop_table('insight_month')
    op.drop_index('ix_location_count_spent', table_name='location_count')
    op.drop_index('ix_location_count_customers', table_name='location_count')
    op.drop_table('location_count')
