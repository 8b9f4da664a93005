"""Template filters: Shanghai time, yuan from fen, plain fen; the escaping of markup drawn
in Python."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from app.web.formatting import fen_plain, html_text, number, shanghai, yuan


def test_yuan_formats_fen_exactly():
    assert yuan(0) == "¥0.00"
    assert yuan(5) == "¥0.05"
    assert yuan(123456) == "¥1,234.56"
    assert yuan(-123456) == "-¥1,234.56"
    assert yuan(100000000001) == "¥1,000,000,000.01"
    assert yuan(None) == "—"


def test_fen_plain():
    assert fen_plain(123456) == "1234.56"
    assert fen_plain(-7) == "-0.07"
    assert fen_plain(None) == ""


def test_shanghai_from_aware_and_naive_utc():
    aware = datetime(2026, 6, 30, 17, 5, tzinfo=UTC)
    assert shanghai(aware) == "2026-07-01 01:05"
    assert shanghai(aware.replace(tzinfo=None)) == "2026-07-01 01:05"
    assert shanghai(aware, "%H:%M") == "01:05"
    assert shanghai(date(2026, 1, 2)) == "2026-01-02"
    assert shanghai(None) == "—"


def test_number():
    assert number(1234567) == "1,234,567"
    assert number(2.5) == "2.5"
    assert number(None) == "—"


def test_filters_are_registered(app):
    with app.test_request_context("/"):
        env = app.jinja_env
        out = env.from_string(
            "{{ 123456|yuan }} {{ 123456|fen_plain }} {{ t|shanghai }} {{ t|shanghai('%H') }}"
        ).render(t=datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    assert out == "¥1,234.56 1234.56 2026-01-01 08:00 08"
    for name in (
        "nav_items",
        "current_principal",
        "bar_chart",
        "line_chart",
        "progress_bar",
        "csrf_token",
        "icon",
        "url_with",
    ):
        assert name in env.globals, name


class _Html:
    """A value that is markup already (``__html__``), as a lazy string or a macro's is."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return self.text


@given(
    value=st.one_of(
        st.text(),
        st.text(alphabet="&<>'\"a 中"),
        st.integers(),
        st.floats(allow_nan=True),
        st.none(),
        st.text().map(Markup),
        st.text().map(_Html),
    )
)
def test_html_text_is_markupsafes_escape(value):
    """The charts', cards' and panels' escaping is markupsafe's, character for character."""
    assert html_text(value) == str(escape(value))
    assert type(html_text(value)) is str
