"""Open-loop latency: requests at a fixed arrival rate, timed from when each was meant to
be sent, so a slow server cannot slow the generator down and hide its queue (no
coordinated omission). Standard library only: asyncio streams over keep-alive HTTP/1.1
connections, at most ``inflight`` requests in flight (one per connection); a request
whose connection is busy waits in the generator, and that wait counts in its latency.

Debian has no wrk2 (``apt-cache policy wrk2`` finds no package), hence this client.
``scripts/bench_http.py`` drives each write at half the rate wrk measured; standalone:

    python scripts/bench_openloop.py --url http://127.0.0.1:5390/api/v1/mp/orders \
        --header "Authorization: Bearer ..." --body '{"items": [...]}' --rate 50 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.parse
from collections.abc import Callable

MAX_INFLIGHT = 64
IDLE_REOPEN = 1.0  # seconds: a connection idle longer is reopened before use


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one HTTP/1.1 response (Content-Length or chunked): its status and body."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length) if length else b""
    body = b""
    while True:
        size = int((await reader.readline()).split(b";")[0], 16)
        body += (await reader.readexactly(size + 2))[:size]
        if size == 0:
            return status, body


class Pool:
    """At most ``size`` keep-alive connections to one host; a request waits for a free
    one (that wait is part of what the caller times). A connection idle for more than
    ``IDLE_REOPEN`` seconds is reopened first (gunicorn closes idle ones after 2 s)."""

    def __init__(self, url: str, size: int = MAX_INFLIGHT) -> None:
        if not 0 < size <= MAX_INFLIGHT:
            raise ValueError(f"at most {MAX_INFLIGHT} connections")
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self.idle.put_nowait(None)  # a slot; its connection is opened on first use

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """One request on a free connection; a broken connection is dropped and re-raised."""
        conn = await self.idle.get()
        try:
            if conn is not None and time.monotonic() - conn[2] > IDLE_REOPEN:
                conn[1].close()  # the server may have closed it (gunicorn keepalive: 2 s)
                conn = None
            if conn is None:
                conn = (*await asyncio.open_connection(self.host, self.port), 0.0)
            reader, writer, _ = conn
            head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            answer = await _read_response(reader)
            conn = (reader, writer, time.monotonic())
            return answer
        except BaseException:
            if conn is not None:
                conn[1].close()
            conn = None
            raise
        finally:
            self.idle.put_nowait(conn)

    def close(self) -> None:
        while not self.idle.empty():
            conn = self.idle.get_nowait()
            if conn is not None:
                conn[1].close()


FAILURES = (OSError, ConnectionError, ValueError, asyncio.IncompleteReadError)


def percentile(sorted_ms: list[float], q: float) -> float | None:
    """The ``q`` quantile (0 < q < 1) of sorted values, nearest rank."""
    if not sorted_ms:
        return None
    index = min(len(sorted_ms) - 1, max(0, int(q * len(sorted_ms) + 0.5) - 1))
    return round(sorted_ms[index], 2)


def summary(latencies: list[float]) -> dict:
    """p50 / p99 / p99.9 / max of latencies in milliseconds (sorted in place)."""
    latencies.sort()
    return {
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "p999_ms": percentile(latencies, 0.999),
        "max_ms": round(latencies[-1], 2) if latencies else None,
    }


async def _open_loop(
    url: str,
    method: str,
    headers: dict[str, str],
    body_of: Callable[[int], bytes],
    rate: float,
    seconds: float,
    inflight: int,
    target_of: Callable[[int], str] | None = None,
) -> dict:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if target_of is None:
        target_of = lambda _n: target  # noqa: E731
    pool = Pool(url, inflight)
    latencies: list[float] = []
    errors: dict[str, int] = {}

    async def one(intended: float, n: int) -> None:
        try:
            status, _ = await pool.request(method, target_of(n), headers, body_of(n))
        except FAILURES as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return
        latencies.append((time.perf_counter() - intended) * 1000)
        if status >= 400:
            errors[str(status)] = errors.get(str(status), 0) + 1

    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks = []
    for n in range(total):
        intended = start + n / rate
        delay = intended - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(intended, n)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    pool.close()
    return {
        "rate": rate,
        "seconds": seconds,
        "max_inflight": inflight,
        "requests": total,
        "completed": len(latencies),
        "achieved_rps": round(len(latencies) / elapsed, 1),
        "errors": errors,
        **summary(latencies),
    }


def run_open_loop(
    url: str,
    rate: float,
    seconds: float,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body_of: Callable[[int], bytes] = lambda _n: b"",
    inflight: int = MAX_INFLIGHT,
    target_of: Callable[[int], str] | None = None,
) -> dict:
    """Send ``rate * seconds`` requests at ``rate`` per second to ``url``; ``body_of(n)``
    is the n-th body, ``target_of(n)`` (when given) the n-th request's path instead of
    ``url``'s. Latency is measured from each request's intended send time."""
    if not 0 < inflight <= MAX_INFLIGHT:
        raise ValueError(f"inflight must be 1..{MAX_INFLIGHT}")
    if rate <= 0:
        raise ValueError("rate must be positive")
    return asyncio.run(
        _open_loop(url, method, headers or {}, body_of, rate, seconds, inflight, target_of)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="POST")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--body", default="", help="the same body for every request")
    parser.add_argument("--body-file", help="one body per line, each used once in turn")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--inflight", type=int, default=MAX_INFLIGHT)
    args = parser.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    headers.setdefault("Content-Type", args.content_type)
    if args.body_file:
        with open(args.body_file, "rb") as f:
            lines = f.read().splitlines()
        body_of = lambda n: lines[n % len(lines)]  # noqa: E731
    else:
        fixed = args.body.encode()
        body_of = lambda _n: fixed  # noqa: E731
    result = run_open_loop(
        args.url,
        args.rate,
        args.seconds,
        method=args.method,
        headers=headers,
        body_of=body_of,
        inflight=args.inflight,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())


# the writes whose rate is given beside pgbench's (the open loop drives all but the
# one-product order, which is order create's contended variant)
WRITES = (
    "mp_session",
    "order_create",
    "order_create_one_product",
    "live_order_create",
    "pay_notify",
    "refund_request",
)


def open_loop_writes(base: str, writes: dict, max_rps: dict[str, float], seconds: float) -> dict:
    """Each write of ``scripts/bench_http.py`` at half of ``max_rps[name]`` (wrk's rate at
    fixed concurrency) for ``seconds``: fresh login codes, the prepared order bodies (over
    the spread products when wrk's run made them), notifies that were never delivered
    (first deliveries) and paid orders never refunded (first refunds)."""
    bearer = {"Authorization": f"Bearer {writes['token']}", "Content-Type": "application/json"}
    staff = {"Authorization": f"Bearer {writes['staff']}", "Content-Type": "application/json"}
    notifies = [line.encode() for line in writes["openloop_notify_bodies"]]
    refund_ids = writes.get("openloop_refund_ids", [])  # made when wrk refunded
    refund_body = writes.get("refund_body", "").encode()
    orders = [writes["order_body"].encode()]
    if writes.get("order_spread_file"):
        with open(writes["order_spread_file"], "rb") as f:
            orders = f.read().splitlines()
    runs = {
        "mp_session": (
            "/api/v1/mp/session",
            {"Content-Type": "application/json"},
            lambda n: (
                f'{{"code": "code-openloop-{n}-{time.monotonic_ns()}",'
                ' "latitude": 31.2297, "longitude": 121.4552}'
            ).encode(),
        ),
        "order_create": ("/api/v1/mp/orders", bearer, lambda n: orders[n % len(orders)]),
        "live_order_create": (
            "/api/v1/mp/orders",
            bearer,
            lambda _n: writes["live_order_body"].encode(),
        ),
        "pay_notify": (
            "/api/v1/pay/notify",
            {"Content-Type": "application/xml"},
            lambda n: notifies[n % len(notifies)],
        ),
        "refund_request": ("/api/v1/orders", staff, lambda _n: refund_body),
    }
    targets = {"refund_request": lambda n: f"/api/v1/orders/{refund_ids[n]}/refunds"}
    out = {}
    for name, (path, headers, body_of) in runs.items():
        if not max_rps.get(name) or name == "refund_request" and not refund_ids:
            continue
        rate = max(1.0, round(max_rps[name] / 2, 1))
        if name == "refund_request":  # one first refund per request: no more than the pool
            rate = min(rate, len(refund_ids) / seconds)
        out[name] = run_open_loop(
            base + path,
            rate,
            seconds,
            headers=headers,
            body_of=body_of,
            target_of=targets.get(name),
        )
        out[name]["half_of_max_rps"] = max_rps[name]
    return out
