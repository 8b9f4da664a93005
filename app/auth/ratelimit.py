"""Login throttling kept in Redis: only failures count, per (account, address) and per address.

The rules, as trusted systems build them:

- A successful login never counts, and clears the failures of its (account, address).
- Failed attempts are counted per (account, address). After ``LOGIN_FREE_FAILURES`` of
  them that pair is locked for ``LOGIN_LOCK_SECONDS``, doubling with every further failure
  up to ``LOGIN_LOCK_MAX_SECONDS``. The count is forgotten a day after the last failure.
  A storm of wrong passwords against ``admin`` from one address therefore does not stop
  ``admin`` from signing in elsewhere.
- Failed attempts are also counted per address in a fixed window (``LOGIN_RATE_WINDOW``)
  with a much higher limit (``LOGIN_RATE_LIMIT``), against password spraying across many
  accounts; 30 guides signing in from one shop's address all get in.

The client address is ``request.remote_addr``, which reads ``X-Forwarded-For`` only through
werkzeug's ``ProxyFix`` when ``SIYU_TRUSTED_PROXIES`` says how many proxies to trust.

If Redis is unreachable, attempts are allowed: a login must not fail because the limiter
is down, and the password check still runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import time

import redis
from flask import current_app

from app.extensions import get_redis

FAILURE_MEMORY_SECONDS = 24 * 3600


def _pair(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}\0{address}".encode()).hexdigest()[:32]
    return f"siyu:login:pair:{digest}"


def _address(address: str) -> str:
    window = int(current_app.config["LOGIN_RATE_WINDOW"])
    return f"siyu:login:addr:{address}:{int(time.time() // window)}"


def retry_after(username: str, address: str) -> int:
    """Seconds until this (account, address) may try again; 0 when it may try now.

    One pipelined round trip: the pair's lock TTL and the address's failure count.
    """
    config = current_app.config
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.pttl(_pair(username, address) + ":lock")
        pipe.get(_address(address))
        lock_ms, address_failures = pipe.execute()
    except redis.RedisError:
        return 0
    wait = max(0, int(lock_ms or 0))
    seconds = (wait + 999) // 1000
    if int(address_failures or 0) >= int(config["LOGIN_RATE_LIMIT"]):
        window = int(config["LOGIN_RATE_WINDOW"])
        seconds = max(seconds, window - int(time.time()) % window)
    return seconds


def record_failure(username: str, address: str) -> int:
    """Count a failed attempt; returns the seconds the pair is now locked for (0: none)."""
    config = current_app.config
    pair = _pair(username, address)
    window = int(config["LOGIN_RATE_WINDOW"])
    try:
        client = get_redis()
        pipe = client.pipeline(transaction=False)
        pipe.incr(pair)
        pipe.expire(pair, FAILURE_MEMORY_SECONDS)
        pipe.incr(_address(address))
        pipe.expire(_address(address), window + 1)
        failures = int(pipe.execute()[0])
        free = int(config["LOGIN_FREE_FAILURES"])
        if failures < free:
            return 0
        lock = min(
            int(config["LOGIN_LOCK_SECONDS"]) * 2 ** min(failures - free, 20),
            int(config["LOGIN_LOCK_MAX_SECONDS"]),
        )
        client.set(pair + ":lock", "1", ex=max(1, lock))
        return lock
    except redis.RedisError:
        return 0


def record_success(username: str, address: str) -> None:
    """A correct password clears the failures of its (account, address)."""
    pair = _pair(username, address)
    with contextlib.suppress(redis.RedisError):
        get_redis().delete(pair, pair + ":lock")
