"""A constraint the database enforces answers 409 or 422 naming the field, never 503.

``POST /api/v1/content`` with a coupon template that does not exist answered 503
"database unavailable" (the foreign key failed at commit and every ``DBAPIError`` was
taken for an unreachable database). Now the service checks the template up front, and
behind every route the error handler reads the violated constraint back into the field
(``app.db.describe_violation``) for the checks a route lacks or loses in a race: the
tests below switch a route's own check off and expect the same named answer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError

from app.errors import constraint_error
from app.extensions import db
from franchise.models import CouponBudget, CouponTemplate, Franchisee, Region, Store
from tests.franchise.factories_commerce import gen_template

MISSING = 999_999


def _post(purpose="coupon", **extra):
    return {"title": "满减券", "purpose": purpose, "text": "到店用", **extra}


def test_content_with_an_unknown_coupon_template_is_422_naming_it(client, app, as_hq):
    res = client.post("/api/v1/content", json=_post(coupon_template_id=MISSING), headers=as_hq)
    assert res.status_code == 422, res.get_json()
    assert res.get_json() == {
        "code": "invalid_post",
        "message": "优惠券模板不存在。",
        "errors": {"coupon_template_id": ["优惠券模板不存在。"]},
    }
    english = client.post(
        "/api/v1/content?lang=en", json=_post(coupon_template_id=MISSING), headers=as_hq
    ).get_json()
    assert english["errors"] == {"coupon_template_id": ["No such coupon template."]}
    with app.app_context():
        template = gen_template({}).id
    res = client.post("/api/v1/content", json=_post(coupon_template_id=template), headers=as_hq)
    assert res.status_code == 201 and res.get_json()["coupon_template_id"] == template


def _unchecked(monkeypatch, module, name, returns=None):
    """Switch a route's own check off: the database's constraint is all that is left."""
    monkeypatch.setattr(module, name, lambda *a, **k: returns)


def test_content_without_its_check_still_names_the_field(client, as_hq, monkeypatch):
    from community.services import content

    _unchecked(monkeypatch, content, "coupon_template_exists", True)
    res = client.post("/api/v1/content", json=_post(coupon_template_id=MISSING), headers=as_hq)
    assert res.status_code == 422, res.get_json()
    assert res.get_json() == {
        "code": "validation_error",
        "message": "请求中有无效字段。",
        "errors": {"coupon_template_id": ["不存在。"]},
    }
    english = client.post(
        "/api/v1/content?lang=en", json=_post(coupon_template_id=MISSING), headers=as_hq
    )
    assert english.get_json()["errors"] == {"coupon_template_id": ["Unknown."]}
    # the session was rolled back: the next request works
    assert client.get("/api/v1/content", headers=as_hq).status_code == 200


def test_guide_in_a_store_that_is_gone_is_422_store_id(client, org, as_hq, monkeypatch):
    from types import SimpleNamespace

    from franchise.services import guides

    gone = SimpleNamespace(id=MISSING, is_open=True, franchisee_id=org.fa)
    _unchecked(monkeypatch, guides, "get_or_invalid", gone)
    body = {"store_id": MISSING, "name": "Cara", "wecom_userid": "cara"}
    res = client.post("/api/v1/guides", json=body, headers=as_hq)
    assert res.status_code == 422, res.get_json()
    assert res.get_json()["errors"] == {"store_id": ["不存在。"]}


def test_franchisee_in_an_unknown_region_is_422_and_a_taken_key_409(
    client, org, as_hq, monkeypatch
):
    from franchise.services import organisation

    _unchecked(monkeypatch, organisation, "get_or_invalid")
    _unchecked(monkeypatch, organisation, "ensure_unique")
    body = {"name": "Gamma", "region_id": MISSING, "sub_mch_id": "1900000299"}
    res = client.post("/api/v1/franchisees", json=body, headers=as_hq)
    assert res.status_code == 422, res.get_json()
    assert res.get_json()["errors"] == {"region_id": ["不存在。"]}

    taken = {**body, "region_id": org.east, "sub_mch_id": "1900000201"}  # Alpha's
    res = client.post("/api/v1/franchisees?lang=en", json=taken, headers=as_hq)
    assert res.status_code == 409, res.get_json()
    assert res.get_json() == {
        "code": "conflict",
        "message": "Conflict with an existing record.",
        "errors": {"sub_mch_id": ["Already in use."]},
    }
    region = {"code": "EAST", "name": "又一个华东", "cities": ["南京"]}
    res = client.post("/api/v1/regions", json=region, headers=as_hq)
    assert res.status_code == 409 and res.get_json()["errors"] == {"code": ["已被占用。"]}


def _violation(app, *statements):
    """Run ``statements`` in one transaction, expect the database to refuse the last; the
    error as a client sees it."""
    with app.test_request_context("/api/v1/x?lang=en"):
        with pytest.raises(IntegrityError) as caught:
            for statement in statements:
                db.session.execute(statement)
        db.session.rollback()
        error = constraint_error(caught.value)
        return error.status, error.code, error.errors


def test_every_kind_of_constraint_names_its_columns(app, org):
    """Unique (one and two columns), foreign key, not null, check and a row still in use,
    read back the same on SQLite (its messages) and PostgreSQL (SQLSTATE and names)."""
    with app.app_context():
        template = gen_template({org.east: 5}).id
    cases = [
        (
            insert(Region).values(code="EAST", name="x"),
            (409, "conflict", {"code": ["Already in use."]}),
        ),
        (
            insert(CouponBudget).values(template_id=template, region_id=org.east, budget_count=1),
            (
                409,
                "conflict",
                {"template_id": ["Already in use."], "region_id": ["Already in use."]},
            ),
        ),
        (
            insert(CouponBudget).values(template_id=template, region_id=MISSING, budget_count=1),
            (422, "validation_error", {"region_id": ["Unknown."]}),
        ),
        (
            update(Store).where(Store.id == org.sa).values(franchisee_id=MISSING),
            (422, "validation_error", {"franchisee_id": ["Unknown."]}),
        ),
        (
            insert(Region).values(code="WEST", name=None),
            (422, "validation_error", {"name": ["This field is required."]}),
        ),
        (
            update(CouponTemplate).where(CouponTemplate.id == template).values(amount_off_fen=0),
            (422, "validation_error", {"amount_off_fen": ["Invalid value."]}),
        ),
        (delete(Franchisee).where(Franchisee.id == org.fa), (409, "in_use", {})),
    ]
    for statement, expected in cases:
        assert _violation(app, statement) == expected, statement


def test_a_reference_to_a_row_made_in_the_same_transaction_is_not_blamed(app, org):
    """A new template and its budgets in one transaction, one budget's region unknown:
    the region is named, not the template (gone after the rollback, there when it failed);
    several rows in one INSERT are read row by row."""
    new_template = insert(CouponTemplate).values(
        id=4242, name="新", kind="campaign", amount_off_fen=100, threshold_fen=0, valid_days=3
    )
    budgets = insert(CouponBudget).values(
        [
            {"template_id": 4242, "region_id": org.east, "budget_count": 1},
            {"template_id": 4242, "region_id": MISSING, "budget_count": 1},
        ]
    )
    expected = (422, "validation_error", {"region_id": ["Unknown."]})
    assert _violation(app, new_template, budgets) == expected


def test_a_push_plan_aimed_at_unknown_targets_is_422_naming_the_list(client, app, org, as_hq):
    """A plan's targets are id lists no foreign key checks: they were stored as given."""
    from tests.community.factories_delivery import gen_post

    with app.app_context():
        post = gen_post().id
    body = {"name": "每周", "post_id": post, "weekdays": [1], "region_ids": [org.east]}
    for key in ("region_ids", "franchisee_ids", "store_ids", "group_ids"):
        res = client.post("/api/v1/plans", json={**body, key: [MISSING]}, headers=as_hq)
        assert res.status_code == 422, res.get_json()
        assert res.get_json()["errors"] == {key: [f"未知 ID：{MISSING}。"]}
    assert client.post("/api/v1/plans", json=body, headers=as_hq).status_code == 201
