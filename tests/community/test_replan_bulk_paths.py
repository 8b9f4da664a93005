"""A statement that changes groups in bulk (Core ``update(WecomGroup)``, the table, raw
SQL) bypasses the ORM events that ask for re-plans: every module that issues one must ask
for the re-plan of the groups it touches itself (``replan_trigger.request_replan``).
Today no application module does; this keeps a new one from slipping in unplanned."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "franchise", "community", "livestream")
SKIPPED = ("app/wechat/sandbox/",)  # the emulator's own tables, not ours
BULK = re.compile(
    r"(update|insert|delete)\(\s*WecomGroup\b"
    r"|WecomGroup\.__table__"
    r"|(UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+wecom_groups\b",
    re.IGNORECASE,
)


def bulk_group_writers(sources: dict[str, str]) -> list[str]:
    """The modules among ``sources`` (path → text) that write groups in bulk and never
    ask for a re-plan."""
    return sorted(
        path for path, text in sources.items() if BULK.search(text) and "request_replan" not in text
    )


def _sources() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = path.relative_to(ROOT).as_posix()
            if not name.startswith(SKIPPED):
                found[name] = path.read_text(encoding="utf-8")
    return found


def test_no_module_changes_groups_in_bulk_without_asking_for_a_replan():
    assert bulk_group_writers(_sources()) == []


def test_the_check_finds_a_bulk_change_and_accepts_one_that_asks():
    bare = "db.session.execute(update(WecomGroup).where(WecomGroup.id.in_(ids)).values(stage=s))"
    raw = 'text("UPDATE wecom_groups SET stage = :s WHERE store_id = :store")'
    asks = bare + "\nreplan_trigger.request_replan(ids)"
    sources = {"a.py": bare, "b.py": raw, "c.py": asks, "d.py": "select(WecomGroup.id)"}
    assert bulk_group_writers(sources) == ["a.py", "b.py"]
