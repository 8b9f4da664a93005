"""Fission: invite codes, joins counted per inviter (by state and by direct inviter), and
the reward coupon issued exactly once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import DomainError
from app.extensions import db
from community.models.growth import FissionReward, InviteJoin
from community.services import fission
from community.services.sync import full_sync
from franchise.models import Coupon, Customer
from tests.community.factories_groups import sandbox_group
from tests.franchise.factories_commerce import gen_customer, gen_template


def _setup(app, org, members: int):
    """A code shared by an inviter customer, a rule (2 invites → coupon), a synced group
    whose ``members`` joined with the code's state."""
    with app.app_context():
        inviter = gen_customer(org.fa, org.sa)
        code = fission.create_code(guide_id=org.ga, customer_id=inviter.id, label="好友邀请")
        assert code.state.startswith("fx") and len(code.state) <= 30
        assert code.franchisee_id == org.fa
        template = gen_template({org.east: 10})
        rule = fission.create_rule("邀请 2 位", 2, template.id)
        state, inviter_id, rule_id = code.state, inviter.id, rule.id
    from app.wechat.sandbox import sandbox_state

    chat_id = sandbox_group(app, "ann", [{"userid": f"wmF{j}", "type": 2} for j in range(4)])
    st = sandbox_state(app)
    with st.lock:
        for m in st.data["groups"][chat_id]["member_list"]:
            if m["userid"] in {f"wmF{j}" for j in range(members)}:
                m["state"] = state  # WeCom reports the join way's state per member
    with app.app_context():
        assert full_sync().status == "done"
    return chat_id, inviter_id, rule_id


def test_joins_are_counted_per_inviter_and_the_reward_is_issued_once(app, org):
    chat_id, inviter_id, rule_id = _setup(app, org, members=3)
    with app.app_context():
        joins = db.session.scalars(select(InviteJoin)).all()
        assert sorted(j.member_userid for j in joins) == ["wmF0", "wmF1", "wmF2"]
        assert {j.inviter_customer_id for j in joins} == {inviter_id}
        assert {j.guide_id for j in joins} == {org.ga}
        (leader,) = fission.leaderboard()
        assert (leader["inviter_customer_id"], leader["joins"], leader["still_in"]) == (
            inviter_id,
            3,
            3,
        )
        assert fission.issue_due_rewards() == {"issued": 1, "failed": 0}
        assert fission.issue_due_rewards() == {"issued": 0, "failed": 0}
        full_sync()  # a resync records nothing twice
        assert db.session.scalar(select(func.count()).select_from(InviteJoin)) == 3
        assert fission.issue_due_rewards() == {"issued": 0, "failed": 0}
        (reward,) = db.session.scalars(select(FissionReward)).all()
        assert (reward.rule_id, reward.inviter_customer_id, reward.status) == (
            rule_id,
            inviter_id,
            "issued",
        )
        coupons = db.session.scalars(select(Coupon).where(Coupon.customer_id == inviter_id)).all()
        assert len(coupons) == 1 and reward.coupon_id == coupons[0].id


def test_only_invites_still_in_the_group_count(app, org, client):
    chat_id, inviter_id, _ = _setup(app, org, members=2)
    response = client.delete(f"/_sandbox/control/groups/{chat_id}/members/wmF1")
    assert response.get_json()["callback"]["status"] == "delivered"
    with app.app_context():
        (leader,) = fission.leaderboard()
        assert (leader["joins"], leader["still_in"]) == (2, 1)
        assert fission.issue_due_rewards()["issued"] == 0
        assert db.session.scalar(select(func.count()).select_from(Coupon)) == 0


def test_direct_invites_by_a_customer_count_through_the_callback(app, org, client):
    with app.app_context():
        inviter = gen_customer(org.fa, org.sa, unionid="ou-inviter")
        template = gen_template({org.east: 10})
        fission.create_rule("邀请 2 位", 2, template.id)
        inviter_id = inviter.id
    chat_id = sandbox_group(
        app, "ann", [{"userid": "wmInviter", "type": 2, "unionid": "ou-inviter"}]
    )
    with app.app_context():
        full_sync()
    response = client.post(
        f"/_sandbox/control/groups/{chat_id}/members",
        json={
            "members": [
                {"userid": "wmNew1", "type": 2, "invitor": "wmInviter"},
                {"userid": "wmNew2", "type": 2, "invitor": "wmInviter"},
            ],
            "join_scene": 1,
        },
    )
    assert response.get_json()["callback"]["status"] == "delivered"
    with app.app_context():
        joins = db.session.scalars(select(InviteJoin)).all()
        assert {(j.state, j.inviter_customer_id) for j in joins} == {
            ("invitor:wmInviter", inviter_id)
        }
        assert len(joins) == 2
        # the callback issued the reward right away; only once
        assert db.session.scalar(select(func.count()).select_from(FissionReward)) == 1
        assert (
            db.session.scalar(
                select(func.count()).select_from(Coupon).where(Coupon.customer_id == inviter_id)
            )
            == 1
        )


def test_a_missing_coupon_service_is_a_clear_error(app, org, monkeypatch):
    import franchise.services.coupons as coupons

    monkeypatch.delattr(coupons, "issue_coupon")
    with app.app_context(), pytest.raises(DomainError) as caught:
        fission.issue_due_rewards()
    assert caught.value.status == 503 and "issue_coupon" in caught.value.message


def test_codes_need_a_guide_or_a_campaign(app, org):
    with app.app_context():
        with pytest.raises(DomainError):
            fission.create_code(label="nobody")
        code = fission.create_code(campaign_id=7)
        assert code.guide_id is None and code.campaign_id == 7
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
