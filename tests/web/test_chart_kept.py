"""A bar chart is drawn once per its inputs and kept (``app.web.charts._kept_drawing``):
whatever the labels, series, values and settings, the kept markup is the markup drawn
afresh, and inputs that differ draw their own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from app.web import charts

LABELS = st.lists(st.text(max_size=12), min_size=0, max_size=6)
VALUES = st.one_of(
    st.integers(-10_000, 10_000), st.floats(-1e6, 1e6, allow_nan=False), st.just(None)
)


def _fresh(labels, series, **options) -> str:
    """The chart drawn with nothing kept."""
    saved = dict(charts._DRAWN)
    charts._DRAWN.clear()
    try:
        return str(charts.bar_chart(labels, series, **options))
    finally:
        charts._DRAWN.clear()
        charts._DRAWN.update(saved)


@settings(max_examples=150, deadline=None)
@given(
    labels=LABELS,
    series=st.dictionaries(st.text(max_size=6), st.lists(VALUES, max_size=6), max_size=3),
    money=st.booleans(),
    title=st.one_of(st.none(), st.text(max_size=8)),
)
def test_the_kept_chart_is_the_drawn_one(labels, series, money, title):
    options = {"money": money, "title": title}
    first = str(charts.bar_chart(labels, series, **options))
    again = str(charts.bar_chart(list(labels), {k: list(v) for k, v in series.items()}, **options))
    assert first == again == _fresh(labels, series, **options)


def test_equal_text_of_another_kind_is_not_taken_for_it():
    """A Markup title equals its text but draws unescaped: it is never kept."""
    plain = str(charts.bar_chart(["a"], {"s": [1]}, title="<b>"))
    marked = str(charts.bar_chart(["a"], {"s": [1]}, title=Markup("<b>")))
    assert "&lt;b&gt;" in plain and "<title><b></title>" in marked


def test_different_values_draw_their_own():
    one = str(charts.bar_chart(["a", "b"], {"s": [1, 2]}))
    other = str(charts.bar_chart(["a", "b"], {"s": [1, 3]}))
    assert one != other
    assert str(charts.bar_chart(["a", "b"], {"s": [1.0, 2.0]})) == one  # the same floats
