"""The assignment rules in order, their fallbacks, history rows and the bulk hand-overs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from franchise import services
from franchise.models import AssignmentHistory, Customer, Franchisee, Guide, Region, Store
from franchise.services.assignment import NoFranchiseeAvailable
from franchise.services.assignment_bulk import assign_backlog, count_backlog
from franchise.services.assignment_snapshot import MemoryView
from franchise.services.customers import assign_one, guide_share_code, store_share_code
from franchise.services.store_grid import haversine_km
from tests.franchise.factories import gen_franchisee, gen_guide, gen_region, gen_store
from tests.franchise.factories_customers import expire_binding, gen_customer

NEAR_SA1 = (31.231, 121.471)


@pytest.fixture
def world(ctx):
    """East (上海, 杭州; default A) with A (2 stores) and B; North (北京, 天津; no default)."""
    east = gen_region(code="E", cities=("上海", "杭州"))
    north = gen_region(code="N", cities=("北京", "天津"))
    fa = gen_franchisee(east, name="A")
    fb = gen_franchisee(east, name="B")
    fc = gen_franchisee(north, name="C")
    fd = gen_franchisee(north, name="D")
    east.default_franchisee_id = fa.id
    db.session.commit()
    sa1 = gen_store(fa, latitude=31.23, longitude=121.47, customer_capacity=100)
    sa2 = gen_store(fa, city="杭州", latitude=30.26, longitude=120.16, customer_capacity=100)
    sb = gen_store(fb, latitude=31.30, longitude=121.50, customer_capacity=1000)
    sc = gen_store(fc, city="北京", latitude=39.91, longitude=116.41, customer_capacity=50)
    sd = gen_store(fd, city="天津", latitude=39.12, longitude=117.20, customer_capacity=30)
    ga1, ga2, gb = gen_guide(sa1), gen_guide(sa1), gen_guide(sb)
    return SimpleNamespace(**{k: v for k, v in locals().items() if k != "ctx"})


def new_customer(lat=None, lng=None, city=None, share=None) -> Customer:
    customer = Customer(
        openid=f"o-{db.session.scalar(select(func.count(Customer.id))) + 1}-{lat}-{city}"
    )
    customer.latitude, customer.longitude, customer.city = lat, lng, city
    assign_one(customer, share)
    db.session.commit()
    return customer


def owner(c: Customer):
    return (c.franchisee_id, c.store_id, c.guide_id, c.assignment_rule)


def history(c: Customer):
    return db.session.scalars(
        select(AssignmentHistory)
        .where(AssignmentHistory.customer_id == c.id)
        .order_by(AssignmentHistory.id)
    ).all()


def test_haversine_is_great_circle():
    assert haversine_km(31.23, 121.47, 31.23, 121.47) == 0
    assert 1060 < haversine_km(31.23, 121.47, 39.91, 116.41) < 1075  # Shanghai–Beijing


def test_nearest_open_store_within_radius(world):
    c = new_customer(*NEAR_SA1, city="上海")
    assert owner(c) == (world.fa.id, world.sa1.id, None, "nearest_store")
    rows = history(c)
    assert (
        len(rows) == 1
        and rows[0].from_franchisee_id is None
        and rows[0].to_store_id == world.sa1.id
    )


def test_closed_store_is_skipped_for_the_next_nearest(world):
    world.sa1.is_open = False
    db.session.commit()
    c = new_customer(*NEAR_SA1, city="上海")
    assert owner(c) == (world.fb.id, world.sb.id, None, "nearest_store")


def test_outside_radius_falls_to_region_default_least_loaded_store(world):
    gen_customer(world.sa1)  # sa1 carries one customer, sa2 none
    c = new_customer(31.0, 122.6, city="上海")  # > 10 km from every store
    assert owner(c) == (world.fa.id, world.sa2.id, None, "region_default")


def test_radius_setting_is_used(world):
    services.settings.update_settings({"assignment.radius_km": 200.0})
    c = new_customer(31.0, 122.6, city="上海")
    assert c.assignment_rule == "nearest_store"


def test_no_default_goes_to_pool_balanced_by_open_capacity(world):
    c1 = new_customer(city="北京")  # C: 50 open capacity, D: 30 → C
    assert owner(c1)[0::3] == (world.fc.id, "hq_pool") and c1.store_id == world.sc.id
    for _ in range(25):
        gen_customer(world.sc)  # C now 50 - 26 = 24 left, D 30 → D
    c2 = new_customer(city="天津")
    assert (c2.franchisee_id, c2.store_id) == (world.fd.id, world.sd.id)


def test_pool_ties_break_by_lowest_id(world):
    world.sd.customer_capacity = 50
    db.session.commit()
    assert new_customer(city="北京").franchisee_id == min(world.fc.id, world.fd.id)


def test_pool_without_region_uses_all_active_franchisees(world):
    c = new_customer(city="火星")
    assert c.franchisee_id == world.fb.id and c.assignment_rule == "hq_pool"  # B has 1000


def test_pool_balancing_off_picks_fewest_customers(world):
    services.settings.update_settings({"assignment.pool_balancing": False})
    gen_customer(world.sc)
    assert new_customer(city="北京").franchisee_id == world.fd.id


def test_share_code_beats_binding_and_names_guide(world):
    c = new_customer(*NEAR_SA1, city="上海")
    code = guide_share_code(world.gb).code
    assert len(code) == 10 and code == guide_share_code(world.gb).code  # get-or-create
    assert assign_one(c, code) is True
    db.session.commit()
    assert owner(c) == (world.fb.id, world.sb.id, world.gb.id, "share_code")
    assert [h.rule for h in history(c)] == ["nearest_store", "share_code"]


def test_store_qr_code_gives_store_without_guide(world):
    c = new_customer(city="北京", share=store_share_code(world.sb).code)
    assert owner(c) == (world.fb.id, world.sb.id, None, "share_code")


def test_unknown_or_closed_share_code_falls_through(world):
    code = guide_share_code(world.ga1).code
    world.sa1.is_open = False
    db.session.commit()
    c = new_customer(*NEAR_SA1, city="上海", share=code)
    assert c.assignment_rule == "nearest_store" and c.store_id == world.sb.id
    assert new_customer(city="上海", share="NOSUCHCODE").assignment_rule == "region_default"


def test_binding_inside_protection_is_kept_without_history(world):
    c = new_customer(city="上海", share=guide_share_code(world.gb).code)
    assert assign_one(c, None) is False  # near nothing changes: binding holds
    c.latitude, c.longitude = NEAR_SA1
    assert assign_one(c, None) is False
    db.session.commit()
    assert len(history(c)) == 1 and c.store_id == world.sb.id


def test_binding_outside_protection_is_re_evaluated(world):
    c = new_customer(city="上海", share=guide_share_code(world.gb).code)
    c.latitude, c.longitude = NEAR_SA1
    expire_binding(c, days=31)
    assert assign_one(c, None) is True
    db.session.commit()
    assert owner(c) == (world.fa.id, world.sa1.id, None, "nearest_store")
    services.settings.update_settings({"assignment.lock_days": 0})
    assert assign_one(c, None) is False  # same result: no change, no row
    assert len(history(c)) == 2


def test_no_active_franchisee_refuses(world):
    for f in db.session.scalars(select(Franchisee)):
        f.status = "suspended"
    db.session.commit()
    with pytest.raises(NoFranchiseeAvailable):
        new_customer(city="上海")


def test_closing_a_store_moves_its_customers_in_bulk(world):
    moved = [gen_customer(world.sa1, latitude=NEAR_SA1[0], longitude=NEAR_SA1[1]) for _ in range(3)]
    far = gen_customer(
        world.sa1, city="上海", latitude=31.0, longitude=122.6, guide_id=world.ga1.id
    )
    other = gen_customer(world.sb)
    services.close_store(world.sa1)
    db.session.expire_all()
    for c in moved:
        assert (c.franchisee_id, c.store_id, c.assignment_rule) == (
            world.fb.id,
            world.sb.id,
            "store_closed",
        )
        assert (
            history(c)[-1].rule == "store_closed" and history(c)[-1].from_store_id == world.sa1.id
        )
    assert (far.franchisee_id, far.store_id, far.guide_id) == (world.fa.id, world.sa2.id, None)
    assert "region_default" in history(far)[-1].reason
    assert history(other) == [] and other.store_id == world.sb.id


def test_guide_leaving_hands_customers_to_least_loaded_colleague(world):
    gen_customer(world.sa1, guide_id=world.ga2.id)
    mine = [gen_customer(world.sa1, guide_id=world.ga1.id) for _ in range(3)]
    services.guide_leaves(world.ga1)
    db.session.expire_all()
    assert all(c.guide_id == world.ga2.id and c.store_id == world.sa1.id for c in mine)
    assert {history(c)[-1].rule for c in mine} == {"guide_left"}
    services.guide_leaves(world.ga2)  # nobody left in the store: the store keeps them
    db.session.expire_all()
    assert all(c.guide_id is None and c.store_id == world.sa1.id for c in mine)


def test_backlog_of_suspended_franchisee_is_assigned(world):
    stuck = [gen_customer(world.sc, city="北京") for _ in range(4)]
    world.fc.status = "suspended"
    db.session.commit()
    assert count_backlog() == 4
    assert assign_backlog(chunk=3) == 4
    db.session.expire_all()
    assert {c.franchisee_id for c in stuck} == {world.fd.id}
    assert count_backlog() == 0 and assign_backlog() == 0


def test_snapshot_grid_agrees_with_live_view(world):
    from franchise.services.assignment import LiveView

    snap, live = MemoryView(), LiveView()
    for lat, lng in [NEAR_SA1, (31.29, 121.49), (31.0, 122.6), (39.9, 116.4), (30.3, 120.2)]:
        assert snap.nearest(lat, lng) == live.nearest(lat, lng)


def test_history_counts_match_changes(world):
    c = new_customer(*NEAR_SA1, city="上海")
    services.customers.reassign(c, world.fb.id, world.sb.id, world.gb.id, reason="VIP asked")
    services.customers.reassign(c, world.fb.id, world.sb.id, world.gb.id, reason="again")
    rows = history(c)
    assert [r.rule for r in rows] == ["nearest_store", "manual"] and rows[1].reason == "VIP asked"


def test_reassign_validates_store_and_guide(world):
    c = new_customer(*NEAR_SA1, city="上海")
    with pytest.raises(services.Invalid) as err:
        services.customers.reassign(c, world.fa.id, world.sb.id, reason="x")
    assert "store_id" in err.value.errors
    with pytest.raises(services.Invalid) as err:
        services.customers.reassign(c, world.fa.id, world.sa1.id, world.gb.id, reason="x")
    assert "guide_id" in err.value.errors
    assert db.session.get(Customer, c.id).store_id == world.sa1.id


def test_regions_and_guides_untouched(world):
    assert db.session.get(Region, world.east.id).default_franchisee_id == world.fa.id
    assert db.session.scalar(select(func.count(Guide.id))) == 3
    assert db.session.scalar(select(func.count(Store.id))) == 5


@pytest.mark.parametrize("chunk", [2, 50])  # writer-thread chunks, one inline chunk
def test_bulk_writes_one_exact_history_row_per_change(world, chunk):
    """The bulk write (COPY + set-based on PostgreSQL, executemany elsewhere) updates each
    changed customer and adds exactly one history row for it; unchanged ones get none."""
    near = [gen_customer(world.sc, latitude=NEAR_SA1[0], longitude=NEAR_SA1[1]) for _ in range(3)]
    north = [gen_customer(world.sc, city="北京") for _ in range(2)]
    other = gen_customer(world.sb)
    world.fc.status = "suspended"
    db.session.commit()
    before = db.session.scalar(select(func.count(AssignmentHistory.id)))
    assert assign_backlog(chunk=chunk) == 5
    db.session.expire_all()
    for c, to in [(c, (world.fa.id, world.sa1.id)) for c in near] + [
        (c, (world.fd.id, world.sd.id)) for c in north
    ]:
        assert (c.franchisee_id, c.store_id, c.guide_id) == (*to, None)
        (row,) = history(c)
        assert (row.from_franchisee_id, row.from_store_id, row.from_guide_id) == (
            world.fc.id,
            world.sc.id,
            None,
        )
        assert (row.to_franchisee_id, row.to_store_id, row.to_guide_id) == (*to, None)
        assert row.rule == c.assignment_rule and row.reason == "backlog"
        assert row.actor_user_id is None and row.created_at == c.bound_at
    assert [c.assignment_rule for c in near] == ["nearest_store"] * 3
    assert history(other) == [] and other.store_id == world.sb.id
    assert db.session.scalar(select(func.count(AssignmentHistory.id))) == before + 5
    assert assign_backlog(chunk=chunk) == 0  # re-runnable: nothing left, nothing written
    assert db.session.scalar(select(func.count(AssignmentHistory.id))) == before + 5


def test_a_new_customer_s_login_reads_the_nearby_stores_with_the_customer(
    world, client, seeded_random
):
    """A login by place reads the open stores near a customer it does not find in its
    first statement (``customer_login._Finds.with_near``): the owner is the one rules 3–5
    give with ``LiveView``'s own read, near a store, between stores, beyond every radius,
    around a closed store; no other statement reads the stores."""
    from franchise.services.assignment import LiveView, decide_by_place
    from tests.fixtures.statements import statements

    world.sb.is_open = False
    db.session.commit()
    rng = seeded_random(0)
    places = [NEAR_SA1, (31.29, 121.49), (31.30, 121.50), (31.0, 122.6), (39.9, 116.4)]
    places += [(rng.uniform(30.0, 40.0), rng.uniform(116.0, 122.5)) for _ in range(10)]
    for number, (lat, lng) in enumerate(places):
        expected = decide_by_place(LiveView(), lat, lng, None)
        db.session.rollback()
        with statements() as seen:
            answer = client.post(
                "/api/v1/mp/session",
                json={"code": f"code-near-{number}", "latitude": lat, "longitude": lng},
            )
        assert answer.status_code == 200, answer.get_json()
        got = answer.get_json()["customer"]
        assert (got["franchisee_id"], got["store_id"], got["guide_id"]) == (
            expected.franchisee_id,
            expected.store_id,
            expected.guide_id,
        ), (lat, lng)
        store_reads = [s for s in seen if s.lstrip().startswith("SELECT") and "FROM stores" in s]
        assert store_reads and "FROM customers" in store_reads[0], seen
        assert all("latitude BETWEEN" not in s for s in store_reads[1:]), seen
