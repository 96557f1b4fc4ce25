"""The SVG charts of reports: accessible, escaped, scriptless, and their figures right."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from quoting.charts import bar_chart, histogram

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML, or this raises


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_bar_chart_is_an_accessible_image_with_a_text_label_per_bar() -> None:
    svg = bar_chart(
        [("Indonesia", 1250.5), ("Kenya", -300.0)], title="Change by country", unit_label="CNY"
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Change by country"  # type: ignore[union-attr]
    assert "Indonesia: 1,250.50 CNY" in root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    texts = _texts(root)
    assert "Indonesia" in texts and "Kenya" in texts
    assert "1,250.50 CNY" in texts and "-300 CNY" in texts
    assert len(root.findall(f"{SVG}rect")) == 2
    assert "<script" not in svg and "onload" not in svg


def test_bar_lengths_are_proportional_and_negative_bars_go_left_of_zero() -> None:
    root = _parse(bar_chart([("a", 100.0), ("b", -50.0)], title="t", unit_label=""))
    a, b = root.findall(f"{SVG}rect")
    assert float(a.get("width")) == pytest.approx(2 * float(b.get("width")), rel=0.01)  # type: ignore[arg-type]
    # b ends where a starts: the zero line
    assert float(b.get("x")) + float(b.get("width")) == pytest.approx(float(a.get("x")), abs=0.2)  # type: ignore[arg-type]


def test_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & Co'
    svg = bar_chart([(evil, 1.0)], title=evil, unit_label="<b>")
    assert "<script>" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]
    svg = histogram([1.0, 2.0], 2, title=evil, x_label=evil)
    assert "<script>" not in svg
    _parse(svg)


def test_histogram_counts_per_bin_with_edges() -> None:
    values = [-12.0, -7.0, -1.0, 0.0, 0.0, 3.0, 3.0, 8.0, 30.0]
    root = _parse(histogram(values, [-20, -10, -5, 0, 5, 10, 40], title="h", x_label="change %"))
    rects = root.findall(f"{SVG}rect")
    counts = [int(r.find(f"{SVG}title").text.rsplit(": ", 1)[1]) for r in rects]  # type: ignore[union-attr]
    # [-20,-10): -12 · [-10,-5): -7 · [-5,0): -1 · [0,5): 0,0,3,3 · [5,10): 8 · [10,40]: 30
    assert counts == [1, 1, 1, 4, 1, 1]
    assert "change %" in _texts(root)


def test_histogram_with_a_bin_count_covers_the_range() -> None:
    root = _parse(histogram([1.0, 2.0, 3.0, 4.0], 3, title="h", x_label="x"))
    counts = [
        int(r.find(f"{SVG}title").text.rsplit(": ", 1)[1])  # type: ignore[union-attr]
        for r in root.findall(f"{SVG}rect")
    ]
    assert counts == [1, 1, 2]  # [1,2) [2,3) [3,4]


def test_empty_inputs_still_give_a_valid_chart() -> None:
    _parse(bar_chart([], title="nothing", unit_label="CNY"))
    _parse(histogram([], 4, title="nothing", x_label="x"))
    with pytest.raises(ValueError, match="bins"):
        histogram([1.0], [3.0, 1.0], title="t", x_label="x")
