"""The browser tour: every admin and mobile page type, as HQ, a franchise owner and a
guide, in Chinese and English, over the demo data. Each page is saved as a screenshot
under ``tests/artifacts/tour/`` and fails the tour on a console error, a horizontal
overflow at 375 px (the guide's pages and the owner's admin), a raw code of the label
catalogue, or an untranslated string (``tests/fixtures/tour.py`` says how each is seen).
Every problem of every page is listed at once."""

from __future__ import annotations

import time

import pytest

from app.seed import seed_demo
from tests.fixtures.browser import ARTIFACTS, _open_page, browser_login
from tests.fixtures.tour import page_type, problems, walk, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# pages each role must reach from its navigation (the pages merged after the tour was
# written among them): a page that drops out of the navigation fails the tour
MUST_REACH = {
    "admin": {
        "/admin/contacts",
        "/admin/tags",
        "/admin/handovers",
        "/admin/schedule",
        "/admin/escalations",
        "/admin/credit/rules",
        "/admin/credit/disputes",
        "/admin/credit/commission",
        "/admin/reconciliation",
        "/admin/delivery",
        "/admin/members",
        "/admin/members/N",
        "/admin/members/points-book",
        "/admin/org/wecom-members",
    },
    "owner1": {
        "/admin/contacts",
        "/admin/tags",
        "/admin/handovers",
        "/admin/schedule",
        "/admin/escalations",
        "/admin/credit/disputes",
        "/admin/credit/commission",
        "/admin/money/reconciliation",
        "/admin/members",
        "/admin/members/N",
    },
    "guide01": {
        "/m/customers/N",
        "/m/contacts",
        "/m/groups",
        "/m/tasks",
        "/m/care",
        "/m/credit",
        "/m/coupons/redeem",
        "/m/live/N/share",
        "/m/sales/new",
    },
}
ROLES = [
    # (login, mobile UI, checked at 375 px)
    ("admin", False, False),
    ("owner1", False, True),
    ("guide01", True, True),
]


def test_tour(app, live_server, chromium_browser):
    """One seed of the demo, then each role in each language (problems reported at once)."""
    seeded = time.monotonic()
    seed_demo(app)
    print(f"tour: demo seeded in {time.monotonic() - seeded:.1f} s")
    report: list[str] = []
    for username, mobile, phone in ROLES:
        report += _tour_role(app, live_server, chromium_browser, username, mobile, phone)
    assert not report, "\n".join(report)


def _tour_role(app, live_server, chromium_browser, username, mobile, phone) -> list[str]:
    """Every page type of one role in both languages; the problems found."""
    password = app.config["DEMO_PASSWORD"]
    started, report, visited = time.monotonic(), [], 0
    reached: set[str] = set()
    for lang in ("zh", "en"):
        contexts: list = []
        page = _open_page(chromium_browser, contexts, phone=phone)
        try:
            errors = watch(page)
            browser_login(page, live_server, username, password, mobile=mobile)
            folder = ARTIFACTS / "tour" / f"{username}-{lang}"
            folder.mkdir(parents=True, exist_ok=True)

            def check(path: str, lang=lang, page=page, errors=errors, folder=folder) -> None:
                found = problems(page, lang, phone)
                if errors:
                    found.append(f"console: {errors[:3]}")
                    errors.clear()
                name = page_type(path).strip("/").replace("/", "_") or "home"
                page.screenshot(path=str(folder / f"{name}.png"))
                report.extend(f"{username} {lang} {path}: {p}" for p in found)

            start = ("/m/" if mobile else "/admin/") + f"?lang={lang}"
            kinds = walk(page, live_server, start, check)
            visited += len(kinds)
            reached |= kinds
        finally:
            for context in contexts:
                context.close()
    print(f"tour {username}: {visited} pages in {time.monotonic() - started:.1f} s")
    assert visited >= (20 if mobile else 40), f"{username}: only {visited} pages reached"
    missing = sorted(MUST_REACH[username] - reached)
    return report + ([f"{username}: never reached {missing}"] if missing else [])
