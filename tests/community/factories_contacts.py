"""Factories for the contacts tests: a guide's 联系我 code in the sandbox, a customer
adding the guide through it, a mini-program login of the same person."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from community.models.contacts import ContactFollow, WecomContact
from franchise.models import Customer
from tests.fixtures.auth import api_token, bearer


def guide_code(client, guide_id: int, token: str | None = None) -> dict:
    """``POST /api/v1/guides/{id}/contact-way`` as HQ (or ``token``); the answer."""
    headers = bearer(token or api_token(client, "hq"))
    response = client.post(f"/api/v1/guides/{guide_id}/contact-way", json={}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def add_contact(client, config_id: str, name: str = "林女士", unionid: str | None = None) -> dict:
    """A customer scans the code: the sandbox adds the contact and fires the callback."""
    body = {"config_id": config_id, "name": name}
    if unionid:
        body["unionid"] = unionid
    response = client.post("/_sandbox/control/contacts/add", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def mp_login(client, user: str, **extra) -> dict:
    """The person ``user`` logs into the mini-program (a fresh sandbox login code)."""
    code = client.post("/_sandbox/control/mp/login_code", json={"user": user}).get_json()
    response = client.post("/api/v1/mp/session", json={"code": code["code"], **extra})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def unionid_of(user: str) -> str:
    """The unionid the sandbox's code2session gives ``user``."""
    from app.wechat.sandbox.miniprogram import identity_for_code

    return identity_for_code(f"code-{user}")["unionid"]


def follow(external_userid: str, userid: str) -> ContactFollow | None:
    return db.session.scalars(
        select(ContactFollow).where(
            ContactFollow.external_userid == external_userid, ContactFollow.userid == userid
        )
    ).first()


def contact(external_userid: str) -> WecomContact:
    return db.session.scalars(
        select(WecomContact).where(WecomContact.external_userid == external_userid)
    ).one()


def customers_with(unionid: str) -> list[Customer]:
    return list(db.session.scalars(select(Customer).where(Customer.unionid == unionid)))
