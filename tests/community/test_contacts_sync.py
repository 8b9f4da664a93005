"""The full contact sync (batch/get_by_user): paging at WeCom's 100, resuming a failed
run from its cursor, follows WeCom no longer lists marked deleted by the guide, the pacer
keeping calls within the per-minute limit; and the emulator's rules for these calls."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.wechat import wecom_contacts
from app.wechat.errors import WeChatAPIError
from app.wechat.sandbox.wecom_contacts import seed_contacts
from community.models.contacts import ContactFollow, WecomContact
from community.services.contact_sync import Pacer, sync_guide, sync_guides
from franchise.models import Guide


def _follows(userid: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ContactFollow).where(ContactFollow.userid == userid)
    )


def test_a_guides_contacts_come_in_pages_of_at_most_100(app, org, sandbox):
    seed_contacts(sandbox, "ann", [{"name": f"客户{i}"} for i in range(230)])
    seed_contacts(sandbox, "amy", [{"name": "别人的"}])
    with app.app_context():
        run = sync_guide(db.session.get(Guide, org.ga))
        assert (run.status, run.calls, run.contacts_seen, run.contacts_created) == (
            "done",
            3,
            230,
            230,
        )
        assert _follows("ann") == 230 and _follows("amy") == 0
        again = sync_guide(db.session.get(Guide, org.ga))
        assert again.contacts_created == 0 and _follows("ann") == 230  # nothing doubled


def test_a_failed_run_resumes_from_its_cursor(app, org, client, sandbox):
    seed_contacts(sandbox, "ann", [{"name": f"客户{i}"} for i in range(250)])
    with app.app_context():
        guide = db.session.get(Guide, org.ga)
        client.post(
            "/_sandbox/control/faults",
            json={"api": "batch/get_by_user", "http_status": 500, "count": 1},
        )
        first = sync_guide(guide, limit=100)
        assert first.status == "failed" and first.calls == 0
        second = sync_guide(guide)
        assert second.id == first.id and second.status == "done"
        assert second.contacts_seen == 250 and second.calls == 3


def test_a_run_failing_midway_keeps_what_it_committed(app, org, sandbox):
    seed_contacts(sandbox, "ann", [{"name": f"客户{i}"} for i in range(250)])
    with app.app_context():
        guide = db.session.get(Guide, org.ga)
        calls = {"n": 0}
        real = wecom_contacts.batch_get_by_user

        def flaky(*args, **kw):
            calls["n"] += 1
            if calls["n"] == 2:
                raise WeChatAPIError("boom", errcode=-1)
            return real(*args, **kw)

        wecom_contacts.batch_get_by_user = flaky
        try:
            run = sync_guide(guide)
        finally:
            wecom_contacts.batch_get_by_user = real
        assert run.status == "failed" and run.cursor and run.contacts_seen == 100
        done = sync_guide(guide)
        assert done.status == "done" and done.contacts_seen == 250 and _follows("ann") == 250


def test_follows_wecom_no_longer_lists_are_deleted_by_the_guide(app, org, sandbox):
    ids = seed_contacts(sandbox, "ann", [{"name": "甲"}, {"name": "乙"}])
    with app.app_context():
        guide = db.session.get(Guide, org.ga)
        sync_guide(guide)
        with sandbox.lock:
            sandbox.data["contacts"][ids[0]]["follow_user"] = []
        run = sync_guide(guide)
        assert run.follows_gone == 1
        gone = db.session.scalars(
            select(ContactFollow).where(ContactFollow.external_userid == ids[0])
        ).one()
        assert gone.deleted_by_guide and gone.deleted_by_guide_at is not None


def test_a_contact_with_a_customers_unionid_is_linked_by_the_sync(app, org, client, sandbox):
    from tests.community.factories_contacts import mp_login, unionid_of

    customer = mp_login(client, "song")["customer"]
    ids = seed_contacts(sandbox, "ann", [{"name": "宋女士", "unionid": unionid_of("song")}])
    with app.app_context():
        sync_guide(db.session.get(Guide, org.ga))
        contact = db.session.scalars(
            select(WecomContact).where(WecomContact.external_userid == ids[0])
        ).one()
        assert contact.customer_id == customer["id"]


def test_the_pacer_keeps_calls_within_the_minute_limit():
    now = {"t": 0.0}
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now["t"] += seconds

    pacer = Pacer(3, sleep=sleep, clock=lambda: now["t"])
    for _ in range(7):
        pacer()
        now["t"] += 1.0
    assert len(slept) == 2 and all(s > 0 for s in slept)
    assert now["t"] >= 120  # 7 calls at 3 a minute span two full waits


def test_sync_guides_waits_out_a_45009_and_finishes(app, org, client, sandbox):
    seed_contacts(sandbox, "ann", [{"name": "甲"}])
    client.post("/_sandbox/control/faults", json={"api": "batch/get_by_user", "errcode": 45009})
    waits = []
    with app.app_context():
        runs = sync_guides([db.session.get(Guide, org.ga)], sleep=waits.append)
        assert [r.status for r in runs] == ["done"] and waits


def test_emulator_batch_rules(app, client, sandbox):
    seed_contacts(sandbox, "ann", [{"name": f"c{i}"} for i in range(120)])
    with app.app_context():
        page = wecom_contacts.batch_get_by_user(["ann"], limit=100)
        assert len(page["external_contact_list"]) == 100 and page["next_cursor"]
        item = page["external_contact_list"][0]
        assert set(item) == {"external_contact", "follow_info"}
        assert item["follow_info"]["userid"] == "ann"
        rest = wecom_contacts.batch_get_by_user(["ann"], page["next_cursor"])
        assert len(rest["external_contact_list"]) == 20 and rest["next_cursor"] == ""
    token = sandbox.issue_token("wecom")[0]
    url = f"/_sandbox/qyapi/cgi-bin/externalcontact/batch/get_by_user?access_token={token}"
    too_many = client.post(url, json={"userid_list": [f"u{i}" for i in range(101)]}).get_json()
    assert too_many["errcode"] == 40058
    clamped = client.post(url, json={"userid_list": ["ann"], "limit": 500}).get_json()
    assert len(clamped["external_contact_list"]) == 100  # over the maximum: the maximum
    default = client.post(url, json={"userid_list": ["ann"]}).get_json()
    assert len(default["external_contact_list"]) == 50


def test_the_sync_contacts_command(app, org, sandbox):
    seed_contacts(sandbox, "ann", [{"name": "甲"}, {"name": "乙"}])
    result = app.test_cli_runner().invoke(args=["community", "sync-contacts", "--guide", "ann"])
    assert result.exit_code == 0, result.output
    assert "1 guides, 2 contacts, 0 failed" in result.output


def test_the_nightly_job_syncs_every_active_guide(app, org, sandbox):
    """The full sync is scheduled (02:30 Shanghai), not only a CLI command; a guide who
    left is not synced."""
    from app.extensions import registry
    from community.jobs.contacts import nightly_contact_sync

    job = next(j for j in registry(app).jobs if j["id"] == "community.contacts_sync")
    assert job["func"] is nightly_contact_sync and job["args"]["hour"] == 2
    seed_contacts(sandbox, "ann", [{"name": f"客户{i}"} for i in range(120)])
    with app.app_context():
        result = nightly_contact_sync()
        assert result["failed"] == 0 and result["guides"] >= 1
        assert _follows("ann") == 120


def test_a_linked_customer_without_a_nickname_takes_the_wecom_name(app, org, client, sandbox):
    """The mini-program hands out no nickname: a customer linked to a WeCom contact is
    named by it; a nickname the customer gave stays."""
    from franchise.models import Customer
    from tests.community.factories_contacts import mp_login, unionid_of

    bare = mp_login(client, "song")["customer"]
    named = mp_login(client, "tang")["customer"]
    with app.app_context():
        db.session.get(Customer, named["id"]).nickname = "唐唐"
        db.session.commit()
    seed_contacts(
        sandbox,
        "ann",
        [
            {"name": "宋女士", "unionid": unionid_of("song")},
            {"name": "唐女士", "unionid": unionid_of("tang")},
        ],
    )
    with app.app_context():
        sync_guide(db.session.get(Guide, org.ga))
        assert db.session.get(Customer, bare["id"]).nickname == "宋女士"
        assert db.session.get(Customer, named["id"]).nickname == "唐唐"
