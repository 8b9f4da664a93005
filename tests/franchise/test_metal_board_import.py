"""Importing the day's metal price board (issue 19): the API's preview and confirm, the
board page's CSV / JSON upload with its preview, bad rows refused naming row and field
with nothing written, and the scheduled pull from a feed over real HTTP (a bad answer
is an alert and writes nothing)."""

from __future__ import annotations

import html
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from app.clock import shanghai_day, utcnow
from app.extensions import db
from franchise.jobs.metal_feed import pull_feed
from franchise.models import Alert, MetalPrice, Product
from franchise.services.pricing import unit_price
from tests.fixtures.auth import csrf_token_from, login
from tests.franchise.factories_jewellery import by_weight, enter_price

IMPORT = "/api/v1/metal-prices/import"


def today() -> str:
    return shanghai_day(utcnow()).isoformat()


def board_rows(gold="612.50", gold_back="570", platinum="255.00", day=None) -> list[dict]:
    day = day or today()
    return [
        {"date": day, "metal": "gold", "purity": "足金999", "buy_price": gold,
         "buyback_price": gold_back},
        {"date": day, "metal": "platinum", "purity": "Pt950", "buy_price": platinum,
         "buyback_price": "230"},
    ]  # fmt: skip


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MetalPrice))


@pytest.fixture
def bracelet(client, app, shop, as_hq):
    """Gold at 600 yuan a gram and the shop's pearl priced by weight (5 g)."""
    enter_price(client, as_hq, "gold", 600_00, 550_00)
    by_weight(client, as_hq, shop.pearl, weight_mg=5_000, labour_g=12_00, labour_piece=50_00)
    return shop.pearl


def test_the_api_previews_then_writes_all_rows(client, app, bracelet, as_hq):
    before = entries(app)
    answer = client.post(IMPORT, json={"rows": board_rows()}, headers=as_hq)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["written"] is False and entries(app) == before
    gold = next(c for c in body["changes"] if c["metal"] == "gold")
    assert (gold["old_sell_fen_per_gram"], gold["new_sell_fen_per_gram"]) == (600_00, 612_50)
    assert gold["change_pct"] == "+2.08" and gold["skus_moving"] == 1
    platinum = next(c for c in body["changes"] if c["metal"] == "platinum")
    assert platinum["old_sell_fen_per_gram"] is None and platinum["change_pct"] is None
    answer = client.post(IMPORT, json={"rows": board_rows(), "confirm": True}, headers=as_hq)
    assert answer.status_code == 200 and answer.get_json()["written"] is True
    today_answer = client.get("/api/v1/metal-prices/today").get_json()
    assert today_answer["gold_fen_per_gram"] == 612_50
    assert today_answer["platinum_buyback_fen_per_gram"] == 230_00
    with app.app_context():
        assert db.session.get(Product, bracelet).price_fen == unit_price(
            5_000, 612_50, 12_00, 50_00
        )
    again = client.post(IMPORT, json={"rows": board_rows()}, headers=as_hq).get_json()
    assert [c["skus_moving"] for c in again["changes"]] == [0, 0]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"buy_price": "612.505"}, "rows.2.buy_price"),
        ({"buy_price": "-1"}, "rows.2.buy_price"),
        ({"buyback_price": "700"}, "rows.2.buyback_price"),
        ({"metal": "copper"}, "rows.2.metal"),
        ({"metal": "gold"}, "rows.2.metal"),
        ({"date": "2020-01-01"}, "rows.2.date"),
        ({"date": "yesterday"}, "rows.2.date"),
        ({"colour": "red"}, "rows.2.colour"),
    ],
)
def test_a_bad_row_is_422_naming_row_and_field_and_nothing_is_written(
    client, app, bracelet, as_hq, row, field
):
    rows = board_rows()
    rows[1] = {**rows[1], "metal": "gold" if row.get("metal") == "gold" else "silver", **row}
    before = entries(app)
    for confirm in (False, True):
        answer = client.post(IMPORT, json={"rows": rows, "confirm": confirm}, headers=as_hq)
        assert answer.status_code == 422, answer.get_json()
        assert field in answer.get_json()["errors"], answer.get_json()
    assert entries(app) == before
    assert client.get("/api/v1/metal-prices/today").get_json()["gold_fen_per_gram"] == 600_00


def test_the_import_is_hq_only(client, org, as_owner_a):
    answer = client.post(IMPORT, json={"rows": board_rows()}, headers=as_owner_a)
    assert answer.status_code == 403


def _upload(client, name: str, content: str):
    page = client.get("/admin/metal-prices").get_data(as_text=True)
    token = csrf_token_from(page)
    data = {"csrf_token": token, "board": (io.BytesIO(content.encode()), name)}
    return client.post("/admin/metal-prices/import", data=data, content_type="multipart/form-data")


def _csv(rows: list[dict]) -> str:
    lines = ["date,metal,purity,buy_price,buyback_price"]
    lines += [",".join(str(r[k]) for k in ("date", "metal", "purity", "buy_price",
                                          "buyback_price")) for r in rows]  # fmt: skip
    return "\n".join(lines) + "\n"


def test_the_page_previews_a_csv_then_confirms(client, app, bracelet):
    login(client, "hq")
    answer = _upload(client, "board.csv", _csv(board_rows()))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page[:2000]
    assert "600.00" in page and "612.50" in page and "+2.08%" in page
    assert entries(app) == 1  # the preview wrote nothing
    token = csrf_token_from(page)
    rows = page.split('name="rows" value="')[1].split('"')[0]
    confirm = client.post(
        "/admin/metal-prices/import/confirm",
        data={"csrf_token": token, "rows": html.unescape(rows)},
    )
    assert confirm.status_code == 302, confirm.get_data(as_text=True)[:2000]
    with app.app_context():
        assert db.session.get(Product, bracelet).price_fen == unit_price(
            5_000, 612_50, 12_00, 50_00
        )
    assert entries(app) == 3


def test_the_sample_file_is_todays_board_and_imports_as_is(client, app, bracelet):
    login(client, "hq")
    answer = client.get("/admin/metal-prices/import/sample.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True)
    assert text.startswith("date,metal,purity,buy_price,buyback_price\n")
    assert f"{today()},gold,,600.00,550.00" in text
    gold_only = "\n".join(line for line in text.splitlines() if "platinum" not in line
                          and "silver" not in line)  # fmt: skip
    preview = _upload(client, "sample.csv", gold_only)
    assert preview.status_code == 200 and "+0.00%" in preview.get_data(as_text=True)


def test_the_page_reads_json_and_names_bad_rows(client, app, bracelet):
    login(client, "hq")
    good = _upload(client, "board.json", json.dumps({"rows": board_rows()}))
    assert good.status_code == 200 and "612.50" in good.get_data(as_text=True)
    bad_rows = board_rows(platinum="abc")
    answer = _upload(client, "board.csv", _csv(bad_rows))
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="import-errors"' in page and "第 2 行" in page and "buy_price" in page
    missing = _upload(client, "board.csv", "date,metal,buy_price\n")
    assert missing.status_code == 422 and "buyback_price" in missing.get_data(as_text=True)
    assert entries(app) == 1


# --- the scheduled pull over real HTTP -------------------------------------------------


class _Feed(BaseHTTPRequestHandler):
    answer: tuple[int, str, str, float] = (200, "application/json", "[]", 0.0)

    def do_GET(self):  # noqa: N802 - http.server's name
        status, content_type, body, delay = type(self).answer
        time.sleep(delay)
        raw = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except OSError:  # the client gave up (the timeout case)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def feed(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["METAL_PRICE_FEED_URL"] = f"http://127.0.0.1:{server.server_port}/board"
    app.config["METAL_PRICE_FEED_TIMEOUT"] = 0.5
    yield _Feed
    server.shutdown()
    server.server_close()


def _alerts(app) -> list[Alert]:
    with app.app_context():
        return list(db.session.scalars(select(Alert).where(Alert.code == "metal_feed_failed")))


def test_the_feed_is_off_by_default(app, bracelet):
    with app.app_context():
        assert app.config["METAL_PRICE_FEED_URL"] == ""
        assert pull_feed() == "off"


def test_the_feed_writes_a_good_board_once(app, bracelet, feed):
    feed.answer = (200, "application/json", json.dumps(board_rows()), 0.0)
    with app.app_context():
        assert pull_feed() == "written"
        assert pull_feed() == "unchanged"
        assert db.session.get(Product, bracelet).price_fen == unit_price(
            5_000, 612_50, 12_00, 50_00
        )
    assert entries(app) == 3 and _alerts(app) == []
    feed.answer = (200, "text/csv", _csv(board_rows(gold="615")), 0.0)
    with app.app_context():
        assert pull_feed() == "written"
    assert entries(app) == 5


@pytest.mark.parametrize(
    "answer",
    [
        (500, "text/plain", "upstream down", 0.0),
        (200, "application/json", "{not json", 0.0),
        (200, "application/json", json.dumps(board_rows(platinum="0")), 0.0),
        (200, "application/json", json.dumps(board_rows()), 1.5),  # slower than the timeout
    ],
    ids=["http-500", "not-json", "bad-row", "timeout"],
)
def test_a_bad_feed_answer_is_an_alert_and_writes_nothing(app, bracelet, feed, answer):
    feed.answer = answer
    with app.app_context():
        assert pull_feed() == "failed"
        assert db.session.get(Product, bracelet).price_fen == unit_price(
            5_000, 600_00, 12_00, 50_00
        )
    assert entries(app) == 1
    (alert,) = _alerts(app)
    assert alert.params["url"].endswith("/board") and alert.params["reason"]
