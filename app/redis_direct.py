"""A hot Redis command straight on a connection, past redis-py's client machinery.

redis-py 8's ``Redis.execute_command`` spends ~80-130 µs of CPU on one command a
signed-in page sends (its session record's ``GETEX``): the pool's lock and observability
counters at checkout and again at release, a poll of the socket for unread data at every
checkout, the retry wrapper and its closures, the command's own timing record and an
event dispatched on release. The round trip itself (pack, send, read the reply with the
connection's parser) is ~15 µs.

``DirectCommands(client)`` keeps connections of the client's own pool class and
settings (address, database, password, TLS, timeouts, protocol, health-check interval)
in a list of its own; a command takes one (making it on first use), sends the packed
command with the connection's health check (a connection idle past the interval is
pinged first, as in the pool), reads the reply with the connection's own parser (an
error reply raises redis-py's exception) and puts the connection back. Any failure
drops that connection (it is disconnected, not put back) and the command is sent again
through the client itself, with its retries and errors: what the caller sees on
failure is the client's. A forked child starts with none of its parent's connections.

Only for a plain ``redis.Redis`` on a ``redis.ConnectionPool`` (what ``REDIS_URL`` makes);
any other client (fakeredis in the embedded mode, a cluster or sentinel client) answers
through its own ``execute_command``. Replies are as the connection reads them (bytes,
integers, ``None``), so only for commands redis-py returns unchanged (``GET``, ``GETEX``,
``EXISTS``).
"""

from __future__ import annotations

import os
from typing import Any

import redis


class DirectCommands:
    """Commands on connections of ``client``'s settings, outside its pool (see above)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        pool = getattr(client, "connection_pool", None)
        self.direct = type(client) is redis.Redis and type(pool) is redis.ConnectionPool
        self._pool = pool
        self._idle: list[Any] = []
        self._pid = os.getpid()

    def execute(self, *args: Any) -> Any:
        """The reply to the command ``args`` (``"GETEX", key, "EX", 60``)."""
        if not self.direct:
            return self.client.execute_command(*args)
        if self._pid != os.getpid():  # a forked child: its parent's sockets are not its own
            self._idle, self._pid = [], os.getpid()
        try:
            connection = self._idle.pop()
        except IndexError:
            assert self._pool is not None
            connection = self._pool.connection_class(**self._pool.connection_kwargs)
        try:
            connection.send_packed_command(connection.pack_command(*args))
            reply = connection.read_response()
        except redis.ResponseError:
            self._idle.append(connection)  # the server answered: the connection is fine
            raise
        except Exception:  # noqa: BLE001 - any trouble: the client's own path decides
            connection.disconnect()
            return self.client.execute_command(*args)
        self._idle.append(connection)
        return reply
