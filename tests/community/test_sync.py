"""Full group sync: the official groupchat/get sample, paging, resume after a failure, leavers."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from community.models.groups import GroupMember, SyncRun, WecomGroup
from community.services.sync import full_sync
from franchise.models import Customer, Guide
from tests.community.factories_groups import sandbox_group
from tests.fixtures.vectors import groupchat_sample, sample_as_sandbox_group
from tests.franchise.factories import gen_guide


def test_sync_from_the_official_groupchat_get_sample(app, org, sandbox):
    sample = groupchat_sample()
    with app.app_context():
        guide = gen_guide(
            db.session.get(Guide, org.ga).store, name="Zhu", wecom_userid=sample["owner"]
        )
        buyer = Customer(
            openid="o-sample",
            unionid=sample["member_list"][1]["unionid"],
            franchisee_id=org.fa,
            assignment_rule="manual",
        )
        db.session.add(buyer)
        db.session.commit()
        guide_id, buyer_id = guide.id, buyer.id
    sandbox.create_groups([sample_as_sandbox_group(sample)])
    with app.app_context():
        run = full_sync()
        assert run.status == "done" and run.groups_seen == 1 and run.groups_created == 1
        group = db.session.scalars(select(WecomGroup)).one()
        assert group.chat_id == "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
        assert group.name == "销售客服群" and group.notice == "文明沟通，拒绝脏话"
        assert group.owner_userid == "ZhuShengBen" and group.guide_id == guide_id
        assert (group.store_id, group.franchisee_id, group.region_id) == (org.sa, org.fa, org.east)
        assert int(group.wecom_created_at.timestamp()) == 1572505490
        assert group.member_count == 3  # abel, the customer, and the owner the sandbox adds
        assert group.customer_count == 1
        members = {m.userid: m for m in db.session.scalars(select(GroupMember))}
        assert "sam" not in members and "pony" not in members  # admin_list is not members
        abel = members["abel"]
        assert (abel.member_type, abel.join_scene, abel.invitor_userid) == (1, 1, "jack")
        assert (abel.name, abel.group_nickname) == ("张三丰", "客服小张")
        assert int(abel.join_time.timestamp()) == 1572505491
        wang = members["wmOgQhDgAAuXFJGwbve4g4iXknfOAAAA"]
        assert wang.member_type == 2 and wang.unionid == "ozynqsulJFCZ2z1aYeS8h-nuasdAAA"
        assert wang.customer_id == buyer_id
        assert (wang.name, wang.group_nickname, wang.invitor_userid) == ("王语嫣", "顾客老王", None)


def _make_groups(app, n: int, owner: str = "ann") -> list[str]:
    return [
        sandbox_group(app, owner, [{"userid": f"wmP{i:03d}{j}", "type": 2} for j in range(3)])
        for i in range(n)
    ]


def test_sync_pages_over_the_cursor_and_never_duplicates(app, org):
    _make_groups(app, 7)
    with app.app_context():
        pages = []
        run = full_sync(limit=3, progress=lambda done, size: pages.append(size))
        assert run.status == "done" and pages == [3, 3, 1]
        assert run.groups_seen == 7 and run.members_seen == 7 * 4
        again = full_sync(limit=3)
        assert again.id != run.id and again.groups_created == 0
        assert db.session.scalar(select(func.count()).select_from(WecomGroup)) == 7
        assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 28


def test_failed_sync_resumes_from_its_cursor(app, org, client):
    _make_groups(app, 7)

    def fail_after_first_page(done, size):
        if done == 3:
            response = client.post(
                "/_sandbox/control/faults",
                json={"api": "groupchat/get", "http_status": 500, "count": 1},
            )
            assert response.status_code == 200

    with app.app_context():
        run = full_sync(limit=3, progress=fail_after_first_page)
        assert run.status == "failed" and run.error
        assert run.cursor  # where page 2 starts
        assert db.session.scalar(select(func.count()).select_from(WecomGroup)) == 3
        run_id = run.id
    result = app.test_cli_runner().invoke(args=["community", "sync", "--resume", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    with app.app_context():
        runs = db.session.scalars(select(SyncRun)).all()
        assert [r.id for r in runs] == [run_id]  # the same run was resumed
        assert runs[0].status == "done" and runs[0].groups_seen == 7
        assert db.session.scalar(select(func.count()).select_from(WecomGroup)) == 7
        assert db.session.scalar(select(func.count()).select_from(GroupMember)) == 28
        dupes = db.session.execute(
            select(GroupMember.group_id, GroupMember.userid, func.count())
            .group_by(GroupMember.group_id, GroupMember.userid)
            .having(func.count() > 1)
        ).all()
        assert dupes == []


def test_members_missing_from_wecom_are_marked_left_not_deleted(app, org, sandbox):
    chat_id = _make_groups(app, 1)[0]
    with app.app_context():
        full_sync()
    with sandbox.lock:
        group = sandbox.data["groups"][chat_id]
        group["member_list"] = [m for m in group["member_list"] if m["userid"] != "wmP0001"]
    with app.app_context():
        full_sync()
        group = db.session.scalars(select(WecomGroup)).one()
        gone = db.session.scalars(select(GroupMember).where(GroupMember.userid == "wmP0001")).one()
        assert gone.left_at is not None
        assert group.member_count == 3 and group.customer_count == 2


def test_groups_wecom_no_longer_lists_are_dismissed(app, org, sandbox):
    chat_ids = _make_groups(app, 2)
    with app.app_context():
        full_sync()
    with sandbox.lock:
        del sandbox.data["groups"][chat_ids[0]]
    with app.app_context():
        full_sync()
        status = dict(db.session.execute(select(WecomGroup.chat_id, WecomGroup.status)).all())
        assert status == {chat_ids[0]: "dismissed", chat_ids[1]: "active"}


def test_only_one_sync_runs_at_a_time(app, org):
    from app.extensions import get_redis
    from community.services.sync import SYNC_LOCK

    _make_groups(app, 1)
    with app.app_context():
        get_redis().set(SYNC_LOCK, "someone-else")
        result = app.test_cli_runner().invoke(args=["community", "sync"])
        assert result.exit_code != 0 and "already running" in result.output
        assert db.session.scalar(select(func.count()).select_from(WecomGroup)) == 0
        get_redis().delete(SYNC_LOCK)
        assert full_sync().status == "done"
