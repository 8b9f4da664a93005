"""The planning calendar and the plan editor's reach preview over HTTP: days × groups with
each post's status, filters and tenant scope, CSV, the policy switch; the preview before
saving, the confirmation a plan that would miss needs, groups found by name."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import shanghai_day
from app.extensions import db
from community.models import PushPlan
from community.services import planner, receiving_limit
from franchise.models import Guide
from tests.community.factories_delivery import gen_plan, gen_post, gen_wgroup, setup_groups
from tests.fixtures.auth import csrf_token_from, login


def test_calendar_shows_days_by_groups_scoped_filtered_and_exported(client, app, org):
    with app.app_context():
        mine, theirs = setup_groups(org)
        gen_plan(gen_post(), name="每日新品", priority=90)
        gen_plan(gen_post(), name="珍珠保养", weekdays=[0, 3], priority=10)
        receiving_limit.update("day", 2)  # Siyu allows 2 a day; the corp's rule 1
        planner.replan(shanghai_day())
        mine_ids = [g.id for g in mine]
        theirs_ids = [g.id for g in theirs]
    login(client, "hq")
    html = client.get("/admin/schedule").get_data(as_text=True)
    assert 'data-policy="day"' in html and "上海金饰群 0" in html and "北京珍珠群 1" in html
    assert 'data-status="missed"' in html and 'data-status="scheduled"' in html
    assert html.count('class="sched-cell"') == 4 * 14
    found = client.get("/admin/schedule?q=上海").get_data(as_text=True)
    assert "上海金饰群" in found and "北京珍珠群" not in found
    csv = client.get("/admin/schedule?format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("日期,") and "珍珠保养" in csv
    token = csrf_token_from(html)
    changed = client.post(
        "/admin/schedule/receiving-limit", data={"policy": "month", "csrf_token": token}
    )
    assert changed.status_code == 303
    after = client.get("/admin/schedule").get_data(as_text=True)
    assert 'data-policy="month"' in after and 'data-status="missed"' not in after
    client.get("/admin/logout")
    login(client, "owner-a")
    owner = client.get("/admin/schedule").get_data(as_text=True)
    assert all(f'data-group="{i}"' in owner for i in mine_ids)
    assert not any(f'data-group="{i}"' in owner for i in theirs_ids)
    assert 'id="save-limit"' not in owner


def test_plan_editor_previews_the_reach_and_asks_before_missing(client, app, org):
    with app.app_context():
        setup_groups(org)
        gen_plan(gen_post(), name="每日新品", priority=90)
        receiving_limit.update("day", 1)
        post_id = gen_post(title="保养知识").id
    login(client, "hq")
    token = csrf_token_from(client.get("/admin/plans/new").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "保养知识·周一",
        "post_id": str(post_id),
        "schedule_kind": "weekly",
        "weekdays": "0",
        "send_time": "10:00",
        "priority": "10",
        "status": "active",
        "group_q": "上海",
    }
    found = client.post("/admin/plans/new", data=form | {"action": "find"}).get_data(as_text=True)
    assert "上海金饰群 0" in found and "北京珍珠群" not in found
    preview = client.post("/admin/plans/new", data=form | {"action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-preview="1"' in html
    assert 'data-reach="missed"' in html and 'id="reach-missed"' in html and "每日新品" in html
    with app.app_context():
        assert db.session.scalar(select(PushPlan).where(PushPlan.name == "保养知识·周一")) is None
    refused = client.post("/admin/plans/new", data=form | {"action": "save"})
    assert refused.status_code == 422 and 'data-error-for="confirm_missed"' in refused.get_data(
        as_text=True
    )
    saved = client.post(
        "/admin/plans/new", data=form | {"action": "save", "confirm_missed": "true"}
    )
    assert saved.status_code == 303
    edit = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'data-preview="0"' in edit and 'data-reach="occurrences"' in edit


def test_a_missed_reason_reads_in_chinese(client, app, org):
    with app.app_context():
        setup_groups(org)
        gen_plan(gen_post(), name="每日新品", priority=90)
        gen_plan(gen_post(), name="珍珠保养", priority=10)
        receiving_limit.update("day", 2)
        planner.replan(shanghai_day())
    login(client, "hq")
    html = client.get("/admin/schedule?lang=zh").get_data(as_text=True)
    assert "在接收上限（按天）和每天 2 条内已无空位：被推送计划 每日新品（优先级 90）占用" in html


def test_calendar_filters_groups_by_a_tag_their_members_carry(client, app, org):
    """``?tag=`` keeps the groups with a current member carrying the tag (by external
    userid); a member who left no longer counts."""
    from community.models import GroupMember
    from community.models.wecom_customers import CustomerTag, CustomerTagLink, TagGroup

    with app.app_context():
        mine, theirs = setup_groups(org)
        gen_plan(gen_post(), name="每日新品", priority=90)
        kind = TagGroup(name="偏好")
        db.session.add(kind)
        db.session.flush()
        pearl = CustomerTag(group_id=kind.id, name="珍珠控")
        db.session.add(pearl)
        db.session.flush()
        db.session.add(
            CustomerTagLink(tag_id=pearl.id, subject="wm-pearl", external_userid="wm-pearl")
        )
        db.session.add(GroupMember(group_id=mine[0].id, userid="wm-pearl", member_type=2))
        left = GroupMember(group_id=theirs[0].id, userid="wm-pearl", member_type=2)
        left.left_at = db.func.now()
        db.session.add(left)
        db.session.commit()
        planner.replan(shanghai_day())
        tag_id, kept, dropped = pearl.id, mine[0].id, [mine[1].id, theirs[0].id, theirs[1].id]
    login(client, "hq")
    html = client.get(f"/admin/schedule?tag={tag_id}").get_data(as_text=True)
    assert "珍珠控" in html and f'data-group="{kept}"' in html
    assert not any(f'data-group="{i}"' in html for i in dropped)
    by_name = client.get("/admin/schedule?tag=珍珠控").get_data(as_text=True)
    assert f'data-group="{kept}"' in by_name and f'data-group="{dropped[0]}"' not in by_name


def test_calendar_filtered_by_a_plan_lists_only_the_groups_it_reaches(client, app, org):
    """A plan for the lifecycle stage: the calendar filtered by it shows only the groups
    with something of it in the window, not every group with empty rows; the CSV agrees."""
    with app.app_context():
        ann, bob = db.session.get(Guide, org.ga), db.session.get(Guide, org.gb)
        reached = gen_wgroup(ann, name="上海金饰群 老客", stage="lifecycle")
        gen_wgroup(bob, name="北京珍珠群 新客", stage="seeding")
        gen_plan(gen_post(), name="每日新品", priority=90)
        plan = gen_plan(gen_post(), name="老客关怀", stages=["lifecycle"], priority=50)
        receiving_limit.update("month", 2)
        planner.replan(shanghai_day())
        plan_id, reached_id = plan.id, reached.id
    login(client, "hq")
    everyone = client.get("/admin/schedule").get_data(as_text=True)
    assert "上海金饰群 老客" in everyone and "北京珍珠群 新客" in everyone
    html = client.get(f"/admin/schedule?plan_id={plan_id}").get_data(as_text=True)
    assert "上海金饰群 老客" in html and "北京珍珠群 新客" not in html
    assert f'data-group="{reached_id}"' in html and html.count('class="sched-cell"') == 14
    assert 'data-status="scheduled"' in html
    csv = client.get(f"/admin/schedule?plan_id={plan_id}&format=csv").get_data(as_text=True)
    assert "老客关怀" in csv and "北京珍珠群" not in csv and "每日新品" not in csv
    later = client.get(f"/admin/schedule?plan_id={plan_id}&from=2001-01-01")
    assert "上海金饰群 老客" not in later.get_data(as_text=True)  # nothing of it then
