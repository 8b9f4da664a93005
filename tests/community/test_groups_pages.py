"""Admin group pages (filters, stage chart, CSV, detail with timeline and override form),
the fission page, and the guide's /m/groups (own groups only)."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from community.models.groups import GroupDailyMetric, GroupStageChange, WecomGroup
from community.models.growth import FissionRule, InviteCode
from franchise.models import Guide
from tests.community.factories_groups import gen_group
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories_commerce import gen_template


def _groups(app, org):
    with app.app_context():
        ann, amy, bob = (db.session.get(Guide, i) for i in (org.ga, org.ga2, org.gb))
        a1 = gen_group(ann, members=35, name="上海一群", age_days=10)
        a2 = gen_group(ann, members=40, stage="seeding", name="=上海二群")
        db.session.add(GroupDailyMetric(group_id=a1.id, day=shanghai_day(), joins=4))
        db.session.commit()
        return {
            "a1": a1.id,
            "a2": a2.id,
            "amy": gen_group(amy, name="Amy 群").id,
            "b1": gen_group(bob, name="北京群", stage="lifecycle").id,
        }


def test_admin_list_filters_chart_and_csv(app, org, client):
    ids = _groups(app, org)
    login(client, "hq")
    page = client.get("/admin/groups")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "上海一群" in html and "北京群" in html and 'id="stage-chart"' in html and "<svg" in html
    filtered = client.get(f"/admin/groups?stage=seeding&region_id={org.east}").get_data(
        as_text=True
    )
    assert "上海二群" in filtered and "上海一群" not in filtered and "北京群" not in filtered
    assert "北京群" in client.get(f"/admin/groups?store_id={org.sb}").get_data(as_text=True)
    assert "Amy" in client.get("/admin/groups?q=Amy").get_data(as_text=True)
    assert client.get("/admin/groups?stage=bogus&page=x").status_code == 200
    csv = client.get("/admin/groups?format=csv&segment=prospect")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert "上海一群" in text and "'=上海二群" in text  # formula guarded
    assert len(text.strip().splitlines()) == 5
    assert ids


def test_stage_counts_follow_the_filters_and_the_scope(app, org, client):
    from community.admin.groups import stage_counts

    _groups(app, org)
    login(client, "owner-a")
    with client:
        client.get("/admin/groups")  # the request's principal is owner A
        assert stage_counts({}) == {"cold_start": 2, "seeding": 1}
        assert stage_counts({"q": "上海"}) == {"cold_start": 1, "seeding": 1}


def test_owner_sees_own_franchise_and_404_on_another(app, org, client):
    ids = _groups(app, org)
    login(client, "owner-a")
    html = client.get("/admin/groups").get_data(as_text=True)
    assert "上海一群" in html and "北京群" not in html
    assert client.get(f"/admin/groups/{ids['b1']}").status_code == 404
    detail = client.get(f"/admin/groups/{ids['a1']}").get_data(as_text=True)
    assert 'id="override"' not in detail  # HQ only
    assert client.post(f"/admin/groups/{ids['a1']}/stage").status_code in (400, 403)


def test_detail_timeline_and_override_form(app, org, client):
    ids = _groups(app, org)
    login(client, "hq")
    page = client.get(f"/admin/groups/{ids['a1']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="override"' in html and "冷启动→种子期规则" in html
    token = csrf_token_from(html)
    url = f"/admin/groups/{ids['a1']}/stage"
    assert client.post(url, data={"stage": "benchmark", "reason": "x"}).status_code == 400  # CSRF
    done = client.post(url, data={"stage": "benchmark", "reason": "总部指定", "csrf_token": token})
    assert done.status_code == 303
    html = client.get(f"/admin/groups/{ids['a1']}").get_data(as_text=True)
    assert "总部指定" in html and "override" in html
    with app.app_context():
        group = db.session.get(WecomGroup, ids["a1"])
        assert group.stage == "benchmark" and group.stage_overridden
        change = db.session.scalars(select(GroupStageChange)).one()
        assert change.rule == "override" and change.figures == {"stage_before": "cold_start"}
    client.post(url, data={"action": "release", "csrf_token": token})
    bench = f"/admin/groups/{ids['a1']}/benchmark"
    client.post(bench, data={"is_benchmark": "1", "csrf_token": token})
    with app.app_context():
        group = db.session.get(WecomGroup, ids["a1"])
        assert not group.stage_overridden and group.is_benchmark


def test_fission_page_creates_codes_and_rules(app, org, client):
    with app.app_context():
        template_id = gen_template({org.east: 5}, name="邀请券").id
    login(client, "hq")
    html = client.get("/admin/fission").get_data(as_text=True)
    token = csrf_token_from(html)
    assert "邀请券" in html
    client.post(
        "/admin/fission",
        data={"action": "code", "guide_id": str(org.ga), "label": "Ann 活码", "csrf_token": token},
    )
    client.post(
        "/admin/fission",
        data={
            "action": "rule",
            "name": "3 人",
            "invites_required": "3",
            "coupon_template_id": str(template_id),
            "csrf_token": token,
        },
    )
    bad = client.post(
        "/admin/fission",
        data={
            "action": "rule",
            "invites_required": "x",
            "coupon_template_id": "1",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 303
    with app.app_context():
        code = db.session.scalars(select(InviteCode)).one()
        rule = db.session.scalars(select(FissionRule)).one()
        assert code.guide_id == org.ga and rule.invites_required == 3
        state, rule_id = code.state, rule.id
    html = client.get("/admin/fission").get_data(as_text=True)
    assert state in html and "work.weixin.qq.com/gm/" not in html  # no placeholder link
    client.post(
        "/admin/fission", data={"action": "rule_off", "rule_id": rule_id, "csrf_token": token}
    )
    with app.app_context():
        assert db.session.get(FissionRule, rule_id).active is False


def test_guide_mobile_groups_are_their_own(app, org, client):
    ids = _groups(app, org)
    login(client, "guide-a", path="/m/login")
    page = client.get("/m/groups")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "上海一群" in html and "上海二群" in html
    assert "Amy" not in html and "北京群" not in html
    assert "+4" in html  # today's joins
    assert client.get(f"/m/groups/{ids['a1']}").status_code == 200
    assert client.get(f"/m/groups/{ids['amy']}").status_code == 404
    assert client.get(f"/m/groups/{ids['b1']}").status_code == 404
