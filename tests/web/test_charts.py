"""SVG charts: well-formed XML, proportional bars, escaping, empty and zero data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.web.charts import bar_chart, line_chart, nice_ticks, progress_bar

NS = "{http://www.w3.org/2000/svg}"


def _bars(svg) -> list[ET.Element]:
    root = ET.fromstring(str(svg))
    assert root.tag == NS + "svg"
    return [el for el in root.iter(NS + "rect") if el.get("class") == "chart-bar"]


def test_bar_heights_are_proportional():
    bars = _bars(bar_chart(["a", "b", "c"], {"GMV": [100, 50, 25]}))
    heights = [float(b.get("height")) for b in bars]
    assert len(heights) == 3
    assert abs(heights[0] / heights[1] - 2) < 0.01
    assert abs(heights[1] / heights[2] - 2) < 0.01
    # bars stand on the same baseline
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottoms) == 1


def test_grouped_series_and_legend():
    svg = bar_chart(["一", "二"], {"本周": [3, 4], "上周": [1, 2]}, title="对比")
    root = ET.fromstring(str(svg))
    assert len(_bars(svg)) == 4
    legend = [t.text for t in root.iter(NS + "text") if t.text in ("本周", "上周")]
    assert legend == ["本周", "上周"]
    assert root.find(NS + "title").text == "对比"


def test_labels_are_escaped():
    svg = bar_chart(["<script>"], {"a&b": [1]}, title="<x>")
    assert "<script>" not in str(svg)
    ET.fromstring(str(svg))  # still well-formed


def test_empty_and_zero_data_do_not_fail():
    for svg in (
        bar_chart([], {}),
        bar_chart(["a"], {}),
        bar_chart(["a", "b"], {"s": [0, 0]}),
        line_chart([], {}),
        line_chart(["a", "b"], {"s": [0, None]}),
    ):
        ET.fromstring(str(svg))
    assert "No data" in str(bar_chart([], {}))


def test_money_axis_and_hover_in_yuan():
    svg = str(bar_chart(["a"], {"GMV": [1234567]}, money=True))
    assert "¥12,345.67" in svg  # hover title
    assert "¥" in svg


def test_negative_values_draw_below_zero():
    bars = _bars(bar_chart(["a", "b"], {"net": [10, -10]}))
    assert abs(float(bars[0].get("height")) - float(bars[1].get("height"))) < 0.01
    assert float(bars[1].get("y")) > float(bars[0].get("y"))


def test_line_chart_points():
    root = ET.fromstring(str(line_chart(["a", "b", "c"], {"x": [1, 2, 3], "y": [3, 2, 1]})))
    assert len(list(root.iter(NS + "polyline"))) == 2
    assert len(list(root.iter(NS + "circle"))) == 6


def test_nice_ticks():
    assert nice_ticks(95) == [0, 25, 50, 75, 100]
    assert nice_ticks(0) == [0, 0.25, 0.5, 0.75, 1.0]
    ticks = nice_ticks(10, -10)
    assert ticks[0] <= -10 and ticks[-1] >= 10 and 0 in ticks


def test_progress_bar():
    html = str(progress_bar(50, 200))
    assert "25%" in html and 'aria-valuenow="25"' in html
    over = str(progress_bar(300, 200))
    assert "150%" in over and "width:100.0%" in over
    assert "—" in str(progress_bar(5, 0))
    assert "¥1.00" in str(progress_bar(100, 200, money=True))


def _texts(svg) -> list[ET.Element]:
    return list(ET.fromstring(str(svg)).iter(NS + "text"))


def test_an_empty_chart_has_its_note_and_no_axes():
    """Today's empty GMV chart drew ¥0.01 ticks: nothing to show draws only the note."""
    for svg in (
        bar_chart(["一月", "二月"], {"GMV": [0, 0]}, money=True),
        line_chart(["a"], {"s": [0]}),
        bar_chart([], {}),
    ):
        root = ET.fromstring(str(svg))
        assert not list(root.iter(NS + "line")) and not _bars(svg)
        assert [t.get("class") for t in root.iter(NS + "text")] == ["chart-empty"]
        assert "¥0.01" not in str(svg) and int(root.get("height")) < 100


def test_charts_have_a_fixed_size_and_no_text_under_11px():
    svg = bar_chart(["a", "b"], {"x": [1, 2], "y": [2, 1]}, width=480, height=220)
    root = ET.fromstring(str(svg))
    assert (root.get("width"), root.get("height")) == ("480", "220")
    assert all(int(t.get("font-size") or 11) >= 11 for t in root.iter(NS + "text"))


def test_long_names_turn_bars_horizontal_and_are_cut_with_a_tooltip():
    names = ["上海南京西路旗舰店（一期改造后）", "杭州湖滨店", "北京三里屯太古里南区店"]
    svg = bar_chart(names, {"GMV": [300, 200, 100]}, money=True)
    root = ET.fromstring(str(svg))
    assert "chart-hbar" in root.get("class")
    bars = _bars(svg)
    widths = [float(b.get("width")) for b in bars]
    assert abs(widths[0] / widths[2] - 3) < 0.01
    assert len({b.get("x") for b in bars}) == 1  # every bar starts at zero
    labels = [t for t in root.iter(NS + "text") if t.get("class") == "chart-label"]
    cut = [t for t in labels if "…" in "".join(t.itertext())]
    assert cut and all(t.find(NS + "title").text in names for t in cut)
    # as tall as its rows need
    assert int(root.get("height")) < 160


def test_short_names_stay_vertical():
    root = ET.fromstring(str(bar_chart(["华东", "华北", "华南"], {"n": [1, 2, 3]})))
    assert "chart-bar " in root.get("class") + " "
