"""Property: the two paths that link a WeCom contact to a mini-program customer name the
customer the same way, for any name WeChat shows (None, empty, whitespace only, padded,
longer than the 64-character column) and any nickname the customer already has: the sync
finding the customer (``name_customer`` on the ORM customer) and the login finding the
contact waiting for it (``link_by_unionid``'s guarded UPDATE)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.extensions import db
from community.services.contact_sync import upsert_contact
from community.services.contacts import link_by_unionid
from franchise.models import Customer
from tests.fixtures.randomness import db_examples
from tests.franchise.factories_commerce import gen_customer

_round = itertools.count(1)
BLANKS = [" ", "\u3000", "\t", "\n"]
PIECES = st.sampled_from([*BLANKS, "林", "女士", "a", "Lin "])
WECOM_NAMES = st.one_of(
    st.none(),
    st.lists(PIECES, max_size=40).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80),
)
NICKNAMES = st.sampled_from(["", " ", "\u3000\t", "唐唐", " 唐 "])


def _expected(existing: str, wecom_name: str | None) -> str:
    """The rule, written out independently: the contact keeps WeChat's name cut to 64; a
    customer whose nickname is blank takes it stripped, unless it is blank too."""
    stored = (wecom_name or "")[:64]
    if existing.strip() or not stored.strip():
        return existing
    return stored.strip()


def _contact(n: int, name: str | None, unionid: str) -> None:
    upsert_contact({"external_userid": f"wmNICK{n}", "name": name, "unionid": unionid})


def _by_sync(org, n: int, existing: str, wecom_name: str | None) -> str:
    """The customer exists first; the contact sync links and names them."""
    unionid = f"uNICKs{n}"
    customer_id = gen_customer(org.fa, org.sa, org.ga, unionid=unionid, nickname=existing).id
    _contact(n, wecom_name, unionid)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Customer, customer_id).nickname


def _by_login(org, n: int, existing: str, wecom_name: str | None) -> str:
    """The contact waits first; the login's link (one UPDATE) names the customer."""
    unionid = f"uNICKl{n}"
    _contact(-n, wecom_name, unionid)
    db.session.commit()
    customer_id = gen_customer(org.fa, org.sa, org.ga, unionid=unionid, nickname=existing).id
    assert link_by_unionid(unionid, customer_id)
    db.session.expire_all()
    return db.session.get(Customer, customer_id).nickname


@pytest.mark.slow
@db_examples(40)
@given(existing=NICKNAMES, wecom_name=WECOM_NAMES)
@example(existing=" ", wecom_name="宋女士")  # whitespace is no nickname on both paths
@example(existing="", wecom_name="\u3000宋女士\u3000")
@example(existing="", wecom_name="长" * 63 + " 名字")  # cut at 64, then stripped
@example(existing="", wecom_name=None)
@example(existing="唐唐", wecom_name="宋女士")
def test_both_link_paths_name_a_customer_by_the_same_rule(app, org, existing, wecom_name):
    n = next(_round)
    with app.app_context():
        by_sync = _by_sync(org, n, existing, wecom_name)
        by_login = _by_login(org, n, existing, wecom_name)
    assert by_sync == by_login == _expected(existing, wecom_name)
    assert len(by_sync) <= 64
