"""The overview's figures: counted from the store before a run, read from the run after."""

from __future__ import annotations

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from tenure.domains.reports.service import overview_from_run, store_overview
from tenure.domains.scoring.reports import kpi_report
from tests.factories import make_customer, make_order
from tests.web.conftest import demo_engine  # noqa: F401  (the scored demo store)


def test_store_overview_counts_customers_and_buyers_per_channel(
    conn: Connection, session: Session
) -> None:
    ads = [make_customer(session, acquisition_channel="search_ads") for _ in range(3)]
    make_customer(session, acquisition_channel="referral")
    make_order(session, customer=ads[0], amount="20.00")
    make_order(session, customer=ads[0], amount="5.00")  # one buyer, two orders
    make_order(session, customer=ads[1], amount="7.50", status="refunded")  # not a buyer
    overview = store_overview(conn)
    channels = {c.channel: (c.customers, c.buyers) for c in overview.channels}
    assert channels["search_ads"] == (3, 1) and channels["referral"] == (1, 0)
    assert str(overview.paid_revenue) == "25.00"


def test_the_run_gives_the_same_overview_as_counting(demo_engine: Engine) -> None:  # noqa: F811
    with demo_engine.connect() as conn:
        counted = store_overview(conn)
        kpis = kpi_report(conn)
        assert kpis is not None
        fast = overview_from_run(conn, kpis)
    assert fast.counts["customers"] == counted.counts["customers"] == 500
    assert fast.counts["orders"] == sum(m.orders for m in counted.months)
    assert abs(fast.paid_revenue - counted.paid_revenue) < 1
    assert (fast.first_order, fast.last_order) == (counted.first_order, counted.last_order)
    by_channel = {c.channel: c for c in counted.channels}
    for row in fast.channels:
        assert row.customers == by_channel[row.channel].customers, row.channel
        assert row.buyers == by_channel[row.channel].buyers, row.channel
        assert abs(row.spend - by_channel[row.channel].spend) < 1, row.channel
