"""The admin home's franchise panels: right, scoped figures in one round trip each.

The organisation's four counts and the four sales figures are each one row of scalar
subqueries (they were eight statements); a franchise owner still sees their own
franchise only. The whole overview is one statement of every domain's figures
(``app.web.dashboard``) besides the account's.
"""

from __future__ import annotations

import re

from app.auth.principal import Principal
from app.clock import utcnow
from app.extensions import db
from app.web.dashboard import panels_alone
from franchise.admin.orders import SALES
from tests.fixtures.auth import gen_user, login
from tests.fixtures.statements import statements
from tests.franchise.factories import gen_franchisee, gen_guide, gen_store
from tests.franchise.factories_payments import gen_customer, gen_order


def _figures(panel: dict) -> dict:
    return dict(panel["stats"])


def test_sales_figures_in_one_statement_and_scoped(app, ctx):
    mine, other = gen_franchisee(), gen_franchisee()
    customer, stranger = gen_customer(mine.id), gen_customer(other.id)
    gen_order(customer)
    gen_order(customer, status="paid", paid_fen=12345, paid_at=utcnow())
    gen_order(customer, status="received")
    gen_order(stranger, status="paid", paid_fen=500, paid_at=utcnow())
    db.session.commit()
    with app.test_request_context("/admin/"):
        with statements() as seen:
            (hq,) = panels_alone(SALES, Principal("hq_admin", 1))
        assert len(seen) == 1
        owner = Principal("franchise_owner", 2, franchisee_id=mine.id)
        (own,) = panels_alone(SALES, owner)
    assert list(_figures(hq).values()) == [4, "¥128.45", 2, 1]
    assert list(_figures(own).values()) == [3, "¥123.45", 1, 1]


def test_organisation_counts_in_one_statement(app, ctx, client):
    store = gen_store(is_open=True)
    gen_guide(store)
    gen_guide(store)
    gen_store(is_open=False)
    gen_user("hq-dash", "hq_admin")
    db.session.commit()
    assert login(client, "hq-dash").status_code == 302
    with statements() as seen:
        html = client.get("/admin/").get_data(as_text=True)
    counts = [s for s in seen if "count(*)" in s and "FROM franchisees" in s]
    assert len(counts) == 1 and "FROM customers" in counts[0]  # the four figures together
    alone = ("FROM franchisees", "FROM stores", "FROM guides", "FROM customers")
    assert not [s for s in seen if s.startswith("SELECT count(*)") and s.split("\n")[1] in alone]
    # the panel's figures: 2 franchisees (each store made one), 1 open store, 2 guides
    figures = re.findall(r'class="stat-value">\s*([^<]+?)\s*<', html)
    assert figures[:4] == ["2", "1", "2", "0"], figures


def test_stores_and_guides_by_region_in_one_statement(app, ctx, monkeypatch):
    """The chart's two series come from one UNION (as one JSON value beside the four
    counts), in region-name order; a region with open stores but no active guide shows
    0 guides."""
    from franchise import dashboard
    from tests.franchise.factories import gen_region

    east, west = gen_region(name="华东"), gen_region(name="华北")
    east_store = gen_store(gen_franchisee(east), is_open=True)
    gen_store(gen_franchisee(east), is_open=True)
    gen_store(gen_franchisee(west), is_open=True)
    gen_store(gen_franchisee(west), is_open=False)
    gen_guide(east_store)
    db.session.commit()
    drawn = {}
    monkeypatch.setattr(
        dashboard, "bar_chart", lambda labels, series: drawn.update(series) or labels
    )
    with app.test_request_context("/admin/"), statements() as seen:
        panels = panels_alone(dashboard.ORGANISATION_PANEL, Principal("hq_admin", 1))
    assert len(seen) == 1  # the four figures and both series (they were two statements)
    names = sorted(["华东", "华北"])  # the database orders them the same way here
    assert panels[1]["chart"] == names
    stores = dict(zip(names, list(drawn.values())[0], strict=True))
    guides = dict(zip(names, list(drawn.values())[1], strict=True))
    assert (stores, guides) == ({"华东": 2, "华北": 1}, {"华东": 1, "华北": 0})


def test_the_hq_overview_is_two_statements(app, ctx, client):
    """The whole overview as HQ: the account, then one statement of every panel's figures
    (the organisation figures, the region chart, sales, the alerts, the disputes, the
    overdue sends, the late unconfirmed sends, the live campaigns). It was fourteen, then
    nine (one per panel)."""
    gen_user("hq-count", "hq_admin")
    db.session.commit()
    assert login(client, "hq-count").status_code == 302
    with statements() as seen:
        assert client.get("/admin/").status_code == 200
    assert len(seen) <= 2, "\n\n".join(seen)
