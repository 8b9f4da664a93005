"""The sandbox's in-memory world: clock, tokens, rate limits, faults and pending deliveries.

One ``SandboxState`` per app (``app.extensions["siyu_sandbox"]``). Everything lives in
``self.data`` as JSON-friendly dicts so it can be saved to ``SANDBOX_STATE_FILE``; a
re-entrant lock guards it (request threads and the delivery worker share it). The clock
is scalable: ``now = start + (real elapsed) * SANDBOX_TIME_SCALE + offset``; with scale
0.0 it stands still until a test advances it, which keeps tests deterministic.

The domain rules (groups, tasks, orders ...) live in the route modules next to this one;
this module only holds what every namespace shares.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import tempfile
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

log = logging.getLogger("siyu.wechat.sandbox")

SHANGHAI = ZoneInfo("Asia/Shanghai")

# WeChat Pay re-sends a notify that was not answered SUCCESS after these waits (seconds).
NOTIFY_RETRY_SCHEDULE = [
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
]


def empty_data() -> dict:
    """The initial, empty world."""
    return {
        "clock_offset": 0.0,
        "tokens": {},  # token -> {"kind", "expires_at"}
        "groups": {},  # chat_id -> group dict (groupchat/get shape plus status)
        "tasks": {},  # msgid -> add_msg_template task
        "media": {},  # media_id -> uploaded temporary media (metadata, no bytes)
        "quota": {},  # "chat_id|YYYY-MM-DD" -> group messages received that day
        "lives": {},  # livingid -> living info plus viewers
        "used_codes": {},  # jscode2session / phone codes already consumed (code -> 1)
        "login_codes": {},  # wx.login code -> {"user", "issued_at"}
        "phone_codes": {},  # code -> {"phone", "issued_at"}
        "mp_links": {},  # URL Link / Scheme token -> {"kind", "path", "query", "expires_at"}
        "orders": {},  # out_trade_no -> order
        "refunds": {},  # out_refund_no -> refund
        "receivers": {},  # "sub_mch_id|account" -> receiver
        "shares": {},  # out_order_no -> profit-sharing order
        "join_ways": {},  # config_id -> groupchat join way (加入群聊)
        "corp_tags": {},  # group_id -> corp tag group with its tags
        "contact_tags": {},  # "userid|external_userid" -> [tag ids]
        "follows": {},  # "userid|external_userid" -> a guide's customer (handover tests)
        "resigned": [],  # userids of members who left the corp
        "transfers": [],  # customer hand-overs (在职 / 离职继承) and their outcome
        "group_transfers": {},  # chat_id -> [epoch of each on-job transfer]
        "deliveries": [],  # pay notifies and WeCom callbacks, pending or done
        "flags": {"duplicate_notify": False},
        "counters": {"seq": 0},
    }


class SandboxState:
    """Thread-safe sandbox state bound to one Flask app (for config and in-process delivery)."""

    def __init__(self, app):
        self.app = app
        self.config = app.config  # live reference: tests may change values in place
        self.lock = threading.RLock()
        self.scale = float(self.config["SANDBOX_TIME_SCALE"])
        self._real_start = time.time()
        self._clock_start = self._real_start
        self.rate: dict[str, int] = {}  # "api|minute" -> calls (not persisted)
        self.faults: dict[str, list[dict]] = {}  # api -> pending injected faults
        self.data = empty_data()
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self.load()

    # -- clock -----------------------------------------------------------------------
    def now(self) -> float:
        """Sandbox time in epoch seconds."""
        elapsed = (time.time() - self._real_start) * self.scale
        return self._clock_start + elapsed + self.data["clock_offset"]

    def advance(self, seconds: float) -> float:
        """Move the sandbox clock forward (tests, demo); returns the new time."""
        with self.lock:
            self.data["clock_offset"] += float(seconds)
            now = self.now()
        self.save()
        return now

    def today(self, ts: float | None = None) -> str:
        """The Asia/Shanghai calendar day of ``ts`` (default now) as YYYY-MM-DD."""
        return datetime.fromtimestamp(ts if ts is not None else self.now(), SHANGHAI).strftime(
            "%Y-%m-%d"
        )

    def next_id(self, prefix: str, width: int = 8) -> str:
        """A unique, readable id such as ``wrSANDBOX00000012`` (random tail keeps it opaque)."""
        with self.lock:
            self.data["counters"]["seq"] += 1
            seq = self.data["counters"]["seq"]
        return f"{prefix}{seq:0{width}d}{secrets.token_hex(3).upper()}"

    # -- tokens ----------------------------------------------------------------------
    def issue_token(self, kind: str) -> tuple[str, int]:
        """A new access token of ``kind`` ("wecom" / "mp") valid for SANDBOX_TOKEN_TTL."""
        ttl = int(self.config["SANDBOX_TOKEN_TTL"])
        token = f"sbx-{kind}-{secrets.token_urlsafe(24)}"
        with self.lock:
            self.data["tokens"][token] = {"kind": kind, "expires_at": self.now() + ttl}
        return token, ttl

    def check_token(self, token: str | None, kind: str) -> int:
        """0 when valid, else WeChat's errcode: 41001 missing, 40014 unknown, 42001 expired."""
        if not token:
            return 41001
        info = self.data["tokens"].get(token)
        if info is None or info["kind"] != kind:
            return 40014
        if info["expires_at"] <= self.now():
            return 42001
        return 0

    # -- rate limit and faults -------------------------------------------------------
    def hit_rate(self, api: str) -> bool:
        """Count a call to ``api``; True when it exceeds WECOM_RATE_PER_MINUTE this minute."""
        limit = int(self.config["WECOM_RATE_PER_MINUTE"])
        key = f"{api}|{int(self.now() // 60)}"
        with self.lock:
            self.rate[key] = self.rate.get(key, 0) + 1
            return self.rate[key] > limit

    def add_fault(self, api: str, fault: dict) -> None:
        """Make the next ``count`` calls to ``api`` fail (errcode / http_status / delay)."""
        with self.lock:
            self.faults.setdefault(api, []).append(dict(fault))

    def take_fault(self, *names: str) -> dict | None:
        """Consume one injected fault registered under any of ``names``, if any."""
        with self.lock:
            for name in names:
                queue = self.faults.get(name)
                if not queue:
                    continue
                fault = queue[0]
                fault["count"] = int(fault.get("count", 1)) - 1
                if fault["count"] <= 0:
                    queue.pop(0)
                return fault
        return None

    # -- deliveries (pay notifies, WeCom callbacks) ----------------------------------
    def queue_delivery(
        self, kind: str, url: str, body: str, content_type: str, meta: dict | None = None
    ) -> dict:
        """Record an outgoing request to the app; delivered by ``delivery.deliver_due``."""
        item = {
            "id": self.next_id("dlv", 6),
            "kind": kind,  # "pay_notify" | "wecom_callback"
            "url": url,
            "body": body,
            "content_type": content_type,
            "meta": meta or {},
            "status": "pending",  # pending | delivered | failed
            "attempts": 0,
            "due_at": self.now(),
            "history": [],  # [{"at", "status_code", "answer", "ok"}]
        }
        with self.lock:
            self.data["deliveries"].append(item)
        return item

    def due_deliveries(self, *, ignore_time: bool = False) -> list[dict]:
        """Pending deliveries whose time has come (all pending ones with ``ignore_time``)."""
        now = self.now()
        with self.lock:
            return [
                d
                for d in self.data["deliveries"]
                if d["status"] == "pending" and (ignore_time or d["due_at"] <= now)
            ]

    # -- persistence -----------------------------------------------------------------
    @property
    def state_file(self) -> str:
        return self.config.get("SANDBOX_STATE_FILE") or ""

    def load(self) -> None:
        """Read the saved world from SANDBOX_STATE_FILE when it exists."""
        path = self.state_file
        if not path or not os.path.exists(path):
            return
        try:
            with open(path, encoding="utf-8") as fh:
                saved = json.load(fh)
        except (OSError, ValueError) as exc:
            log.warning("sandbox state file unreadable, starting empty: %s", exc)
            return
        if not isinstance(saved, dict):
            log.warning("sandbox state file is not a JSON object, starting empty")
            return
        # every saved part, including those route modules add with ``setdefault`` (contacts,
        # contact ways, welcome messages, subscriptions, ...), not only the initial ones
        data = empty_data()
        data.update(saved)
        if isinstance(data["used_codes"], list):  # saved as a list before: a set's lookup
            data["used_codes"] = dict.fromkeys(data["used_codes"], 1)
        self.data = data

    def save(self) -> None:
        """Write the world to SANDBOX_STATE_FILE atomically (no-op when unset)."""
        path = self.state_file
        if not path:
            return
        with self.lock:
            payload = json.dumps(self.data, ensure_ascii=False)
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sandbox-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.replace(tmp, path)

    def reset(self) -> None:
        """Forget everything (tests, demo reset); the clock returns to real time."""
        with self.lock:
            self.data = empty_data()
            self.rate.clear()
            self.faults.clear()
            self._real_start = time.time()
            self._clock_start = self._real_start
        self.save()

    def summary(self) -> dict:
        """Counts for ``GET /_sandbox/control/state``."""
        with self.lock:
            d = self.data
            by_status: dict[str, int] = {}
            for item in d["deliveries"]:
                by_status[item["status"]] = by_status.get(item["status"], 0) + 1
            return {
                "now": self.now(),
                "today": self.today(),
                "time_scale": self.scale,
                "groups": len(d["groups"]),
                "tasks": len(d["tasks"]),
                "orders": len(d["orders"]),
                "paid_orders": sum(
                    1 for o in d["orders"].values() if o["trade_state"] in ("SUCCESS", "REFUND")
                ),
                "refunds": len(d["refunds"]),
                "shares": len(d["shares"]),
                "lives": len(d["lives"]),
                "join_ways": len(d["join_ways"]),
                "corp_tags": sum(len(g["tag"]) for g in d["corp_tags"].values()),
                "transfers": {
                    str(code): sum(1 for t in d["transfers"] if t["status"] == code)
                    for code in {t["status"] for t in d["transfers"]}
                },
                "deliveries": by_status,
                "faults": {k: len(v) for k, v in self.faults.items() if v},
                "flags": dict(d["flags"]),
            }

    # -- background worker -----------------------------------------------------------
    def ensure_worker(self) -> None:
        """Start the delivery thread once, when the clock runs (TIME_SCALE > 0)."""
        if self.scale <= 0 or (self._worker and self._worker.is_alive()):
            return
        from app.wechat.sandbox.delivery import worker_loop

        self._worker = threading.Thread(
            target=worker_loop,
            args=(self, self._stop),
            name="siyu-sandbox-delivery",
            daemon=True,
        )
        self._worker.start()

    def stop_worker(self) -> None:
        self._stop.set()

    # -- python API (demo seeder, tests); the rules live in the route modules ----------
    def seed_groups(
        self, owners: list[str], count: int, members_per_group: int = 20, prefix: str = "Siyu"
    ) -> list[str]:
        """Create ``count`` customer groups spread over the guide userids ``owners``."""
        from app.wechat.sandbox.wecom_groups import seed_groups

        ids = seed_groups(self, owners, count, members_per_group, prefix)
        self.save()
        return ids

    def create_groups(self, groups: list[dict], fire_callbacks: bool = False) -> list[str]:
        from app.wechat.sandbox.wecom_groups import create_groups

        ids = create_groups(self, groups, fire_callbacks=fire_callbacks)
        self.save()
        return ids

    def confirm_task(self, msgid: str) -> dict:
        """The sender confirms a group send (daily quota applied)."""
        from app.wechat.sandbox.wecom_groups import confirm_task

        task = confirm_task(self, msgid)
        self.save()
        return task

    def succeed_order(self, out_trade_no: str) -> dict:
        """The customer pays; the notify is sent (see ``pay.succeed_order``)."""
        from app.wechat.sandbox.pay import succeed_order

        return succeed_order(self, out_trade_no)

    def deliver_due(self, ignore_time: bool = False) -> list[dict]:
        from app.wechat.sandbox.delivery import deliver_due

        return deliver_due(self, ignore_time=ignore_time)
