"""Values kept per app and rebuilt when what they are built from changes.

Several things are costly to build and constant while the app's configuration is: the
bearer tokens' and the session's serializers, the APIv3 client, the code2session pool,
the login's compiled reads. ``kept(app, name, key, build)`` keeps ``(key, build())`` in
``app.extensions[name]`` and hands back the value while the caller's ``key`` (the few
settings the value is built from) compares equal to the kept one; a different key
(the app reconfigured, e.g. a test changing ``SECRET_KEY``) builds and keeps it again.
Each app has its own: two apps in one process never share a value.

The key is computed by the caller on every call, so it should be cheap: a tuple of
the config values the value depends on, or ``()`` for a value that depends on nothing
that changes after the app is built. A value is shared by the process's threads, so it
must be safe to share (it keeps no per-request state); two threads racing on a rebuild
both build, and the last one's value is kept, which is harmless for such values.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from flask import Flask

T = TypeVar("T")


def kept_in(cache: dict, key: Hashable, build: Callable[[], T], most: int) -> T:
    """``cache[key]``, else ``build()`` kept there; a cache of ``most`` entries starts
    afresh (for values kept per what they are drawn from: URLs, markup, charts)."""
    value = cache.get(key)
    if value is None:
        if len(cache) >= most:
            cache.clear()
        value = cache[key] = build()
    return cast(T, value)


def kept(app: Flask, name: str, key: Hashable, build: Callable[[], T]) -> T:
    """``app.extensions[name]``'s value when it was built for ``key``; else ``build()``,
    kept with ``key`` (the first call, and whenever ``key`` differs from the kept one)."""
    held = app.extensions.get(name)
    if held is None or held[0] != key:
        held = app.extensions[name] = (key, build())
    return cast(T, held[1])
