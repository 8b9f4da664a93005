"""``app.kept.kept``: a value kept per app, the same object while its key is, rebuilt
when the key changes (issue 13: one helper for the serializers, the APIv3 client, the
code2session pool and the login's reads)."""

from __future__ import annotations

from flask import Flask

from app.kept import kept
from app.wechat.pay_v3_client import V3_KEYS


def _counting_build(built: list):
    def build() -> object:
        value = object()
        built.append(value)
        return value

    return build


def test_the_value_is_built_once_per_key_and_again_when_the_key_changes():
    app, built = Flask("kept_one"), []
    build = _counting_build(built)
    first = kept(app, "siyu_test_kept", ("a", 1), build)
    assert kept(app, "siyu_test_kept", ("a", 1), build) is first
    assert built == [first]
    second = kept(app, "siyu_test_kept", ("a", 2), build)
    assert second is not first and built == [first, second]
    assert kept(app, "siyu_test_kept", ("a", 2), build) is second
    # back to the first key: built again (only the last key's value is kept)
    third = kept(app, "siyu_test_kept", ("a", 1), build)
    assert third is not first and len(built) == 3


def test_each_app_keeps_its_own_value_and_names_do_not_mix():
    one, two, built = Flask("kept_one"), Flask("kept_two"), []
    build = _counting_build(built)
    of_one = kept(one, "siyu_test_kept", (), build)
    of_two = kept(two, "siyu_test_kept", (), build)
    assert of_one is not of_two and len(built) == 2
    other_name = kept(one, "siyu_test_other", (), build)
    assert other_name is not of_one
    assert kept(one, "siyu_test_kept", (), build) is of_one
    assert kept(two, "siyu_test_kept", (), build) is of_two
    assert len(built) == 3


def test_a_none_value_is_kept_too():
    app, calls = Flask("kept_none"), []
    assert kept(app, "siyu_test_kept", 1, lambda: calls.append(1)) is None
    assert kept(app, "siyu_test_kept", 1, lambda: calls.append(1)) is None
    assert calls == [1]


def test_the_apiv3_clients_key_names_every_pay_v3_setting(app):
    """The client's key lists its settings instead of sorting the config per call: every
    ``PAY_V3_*`` setting the app has must be in it, or changing it would not rebuild."""
    declared = {name for name in app.config if name.startswith("PAY_V3_")}
    assert declared <= set(V3_KEYS)
