"""The alert list's details (the parameters an alert's sentence does not show) read as
words, not as the raw parameter names and codes the services recorded: each under its
label in the viewer's language, money in yuan, where a paid result came from and the
kinds of a reconciliation's differences as words; on the page and in the CSV."""

from __future__ import annotations

from franchise.services import alerts
from tests.fixtures.auth import login

RAW = ("source=", "total_fee", "transaction_id", "last_error", "orderquery", "missing_in")


def _seed(org) -> None:
    alerts.record(
        "notify_failed",
        data={
            "out_trade_no": "A1",
            "order_id": 1,
            "transaction_id": "4200000000202611260000000077",
            "total_fee": 12345,
            "source": "orderquery",
            "last_error": "OperationalError: timeout",
        },
        franchisee_id=org.fa,
    )
    alerts.record(
        "reconciliation",
        data={"run_id": 3, "date": "2026-11-25", "count": 2, "kinds": "amount, missing_in_ledger"},
    )


SHOWN = {
    "?lang=zh": (
        "微信支付单号: 4200000000202611260000000077",
        "金额: ¥123.45",
        "来源: 主动查单",
        "最近一次错误: OperationalError: timeout",
        "差异类型: 金额不一致、账单有、总账无",
    ),
    "?lang=en": (
        "WeChat transaction: 4200000000202611260000000077",
        "Amount: ¥123.45",
        "Source: Order query",
        "Kinds of difference: Amounts differ、In the bill, not in the ledger",
    ),
    "?format=csv&lang=zh": ("来源: 主动查单", "金额: ¥123.45"),
}


def test_details_are_labelled_words_in_both_languages_and_the_csv(app, client, org):
    with app.app_context():
        _seed(org)
    login(client, "hq")
    for query, expected in SHOWN.items():
        page = client.get(f"/admin/alerts{query}").get_data(as_text=True)
        assert [text for text in expected if text not in page] == [], query
        assert [raw for raw in RAW if raw in page] == [], query
