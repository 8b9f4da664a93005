"""Fixed-window rate limits kept in Redis (login attempts and the like)."""

from __future__ import annotations

import time

import redis

from app.extensions import get_redis


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; ``False`` when the limit for the window is used up.

    If Redis is unreachable the attempt is allowed: a login must not fail because the
    limiter is down, and the password check still runs.
    """
    bucket = int(time.time() // window_seconds)
    name = f"siyu:rl:{key}:{bucket}"
    try:
        client = get_redis()
        pipe = client.pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1)
        count, _ = pipe.execute()
    except redis.RedisError:
        return True
    return int(count) <= limit
