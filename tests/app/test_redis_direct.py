"""``app.redis_direct.DirectCommands``: the session record's reads straight on a kept
connection answer as redis-py's client does (replies, error replies, a lost connection,
a forked child); any other client (fakeredis) answers through itself."""

from __future__ import annotations

import pytest
import redis

from app.extensions import get_redis
from app.redis_direct import DirectCommands


@pytest.fixture
def client(ctx):
    return get_redis()


def test_replies_are_the_clients(client):
    commands = DirectCommands(client)
    client.set("siyu:test:direct", "42", ex=100)
    assert commands.execute("GETEX", "siyu:test:direct", "EX", 500) == b"42"
    assert 400 < client.ttl("siyu:test:direct") <= 500  # the timeout slid
    assert commands.execute("GETEX", "siyu:test:absent", "EX", 60) is None
    assert commands.execute("EXISTS", "siyu:test:direct") == client.exists("siyu:test:direct")
    client.delete("siyu:test:direct")


def test_an_error_reply_is_redis_pys_exception(client):
    commands = DirectCommands(client)
    client.delete("siyu:test:list")
    client.rpush("siyu:test:list", "a")
    with pytest.raises(redis.ResponseError) as direct:
        commands.execute("GETEX", "siyu:test:list", "EX", 60)
    with pytest.raises(redis.ResponseError) as through_client:
        client.getex("siyu:test:list", ex=60)
    assert str(direct.value) == str(through_client.value)
    client.set("siyu:test:after", "ok")
    assert commands.execute("GETEX", "siyu:test:after", "EX", 60) == b"ok"  # still usable
    client.delete("siyu:test:list", "siyu:test:after")


def test_a_lost_connection_is_dropped_and_the_client_answers(client):
    commands = DirectCommands(client)
    if not commands.direct:
        pytest.skip("fakeredis answers through its own client")
    client.set("siyu:test:lost", "1", ex=100)
    assert commands.execute("GETEX", "siyu:test:lost", "EX", 100) == b"1"
    (kept,) = commands._idle
    kept._sock.close()  # the socket dies under the kept connection
    assert commands.execute("GETEX", "siyu:test:lost", "EX", 100) == b"1"
    assert kept not in commands._idle or kept._sock is None
    assert commands.execute("GETEX", "siyu:test:lost", "EX", 100) == b"1"
    client.delete("siyu:test:lost")


def test_a_forked_child_makes_its_own_connections(client, monkeypatch):
    commands = DirectCommands(client)
    if not commands.direct:
        pytest.skip("fakeredis answers through its own client")
    client.set("siyu:test:fork", "1", ex=100)
    commands.execute("GETEX", "siyu:test:fork", "EX", 100)
    (parents,) = commands._idle
    monkeypatch.setattr("os.getpid", lambda: commands._pid + 1)
    assert commands.execute("GETEX", "siyu:test:fork", "EX", 100) == b"1"
    assert commands._idle and commands._idle[0] is not parents
    client.delete("siyu:test:fork")


def test_another_client_answers_through_itself(monkeypatch):
    import fakeredis

    fake = fakeredis.FakeRedis()
    commands = DirectCommands(fake)
    assert not commands.direct
    fake.set("k", "v")
    assert commands.execute("GETEX", "k", "EX", 60) == b"v"
    assert 0 < fake.ttl("k") <= 60


def test_an_unreachable_server_raises_the_clients_connection_error():
    """Nothing listens: the client's own ``ConnectionError`` (after its retries), which the
    session check turns into its fail-open answer."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = redis.Redis(port=port, socket_connect_timeout=0.5, retry=None)
    commands = DirectCommands(client)
    assert commands.direct
    with pytest.raises(redis.ConnectionError):
        commands.execute("GETEX", "siyu:sess:x", "EX", 60)
    assert commands._idle == []
