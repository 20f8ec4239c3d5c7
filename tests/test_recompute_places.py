"""`flask --app crm recompute-stats` also repairs the kept counts per place that Insights and the list read."""

from sqlalchemy import delete, select, update

from crm.extensions import db
from crm.models import LocationCount

from .factories import make_customer


def test_recompute_stats_rebuilds_place_counts(app, runner):
    with app.app_context():
        make_customer("Pat", "Parra", city="Parramatta", state="NSW", postcode="2150",
                      orders_spec=[(5000, "paid")])
        db.session.commit()
        kept = db.session.scalar(select(LocationCount.customers).where(LocationCount.level == "city",
                                                                       LocationCount.segment == ""))
        assert kept == 1
        # as manual SQL might
        db.session.execute(update(LocationCount).where(LocationCount.segment == "").values(customers=99))
        db.session.execute(delete(LocationCount).where(LocationCount.level == "state", LocationCount.segment == "new"))
        db.session.commit()
    result = runner.invoke(args=["recompute-stats"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        rows = db.session.execute(select(LocationCount.level, LocationCount.segment, LocationCount.customers)
                                  .order_by(LocationCount.level, LocationCount.segment)).all()
        assert rows == [("city", "", 1), ("city", "new", 1), ("country", "", 1), ("country", "new", 1),
                        ("state", "", 1), ("state", "new", 1)]
