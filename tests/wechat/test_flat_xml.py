"""``app.wechat.flat_xml.xml_fields`` answers what ``xmltodict.parse(raw)["xml"]`` answers
(or fails where it fails) for every document, flat or not, and takes ElementTree's road for
the flat ones WeChat Pay sends."""

from __future__ import annotations

import pytest
import xmltodict
from hypothesis import given, settings
from hypothesis import strategies as st

from app.wechat import flat_xml
from app.wechat.flat_xml import xml_fields

NAMES = st.sampled_from(["appid", "sign", "total_fee", "a", "b", "x:y", "xml"])
TEXT = st.text(alphabet=" \t\n\r ab<>&\"'中]", max_size=8)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FLAT_VALUES = ["text", "text", "cdata", "entity", "empty"]


@st.composite
def values(draw, kind: str) -> str:
    """An element's content: text, entities, CDATA, a comment, a nested element, or none."""
    text = _escaped(draw(TEXT))
    if kind == "cdata":
        return f"{text}<![CDATA[{draw(TEXT).replace(']]>', '')}]]>{text}"
    if kind == "entity":
        return f"{text}&#x4e2d;&amp;{text}"
    if kind == "comment":
        return f"{text}<!-- note -->{text}"
    if kind == "nested":
        return f"<{draw(NAMES)}>{text}</{draw(NAMES)}>"
    return "" if kind == "empty" else text


# one way a document strays from the flat shape, applied at its first field
ROOT_ATTRS = {"attr": ' a="1"', "xmlns": ' xmlns="urn:x"', "xmlns_p": ' xmlns:p="urn:p"'}
FIELD_ATTRS = {"field_attr": ' t="2"', "lang": ' xml:lang="zh"'}
BEFORE = {"text": "text", "comment_before": "<!-- c -->"}
AFTER = {"stray": " stray ", "comment": "<!-- c -->"}
VALUE = {"nested": "nested", "comment_value": "comment"}
ODD = [*ROOT_ATTRS, *FIELD_ATTRS, *BEFORE, *AFTER, *VALUE, "repeat", "declaration", "root"]


@st.composite
def documents(draw, odd: str) -> bytes:
    """WeChat's flat shape (distinct names; text, CDATA, entities, empty values;
    whitespace between fields), or that shape with the oddity ``odd``: attributes,
    namespaces, repeated names, text or a comment around fields, a declaration, another
    root, nesting; one in ten cut anywhere."""
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    if odd == "repeat":
        names.append(names[0])
    fields = [BEFORE.get(odd, "")]
    for i, name in enumerate(names):
        first = i == 0
        kind = VALUE[odd] if first and odd in VALUE else draw(st.sampled_from(FLAT_VALUES))
        attrs = FIELD_ATTRS.get(odd, "") if first else ""
        fields.append(f"<{name}{attrs}>{draw(values(kind))}</{name}>")
        between = AFTER.get(odd) if first else None
        fields.append(between or draw(st.sampled_from(["", "\n  ", " "])))
    root = "root" if odd == "root" else "xml"
    head = '<?xml version="1.0" encoding="UTF-8"?>' if odd == "declaration" else ""
    document = f"{head}<{root}{ROOT_ATTRS.get(odd, '')}>{''.join(fields)}</{root}>"
    if draw(st.integers(0, 9)) == 0:
        document = document[: draw(st.integers(0, len(document)))]
    return document.encode("utf-8")


def _xmltodict(raw: bytes):
    parsed = xmltodict.parse(raw)
    return parsed.get("xml") if isinstance(parsed, dict) else None


@pytest.mark.parametrize("odd", ["", *ODD])
@settings(max_examples=60)
@given(data=st.data())
def test_the_same_answer_as_xmltodict_for_any_document(odd, data):
    raw = data.draw(documents(odd))
    try:
        expected = _xmltodict(raw)
    except Exception:  # noqa: BLE001 - then xml_fields fails too
        with pytest.raises(Exception):  # noqa: B017, PT011 - whatever xmltodict raised
            xml_fields(raw)
        return
    assert xml_fields(raw) == expected


def test_a_pay_notify_takes_elementtree_s_road(monkeypatch):
    """WeChat's notify (CDATA values, a bare number) never reaches xmltodict."""
    raw = (
        "<xml><appid><![CDATA[wx2421b1c4370ec43b]]></appid><total_fee>100</total_fee>"
        "<attach><![CDATA[支付测试]]></attach><coupon_fee> </coupon_fee></xml>"
    ).encode()
    expected = _xmltodict(raw)

    def refuse(*_args, **_kwargs):
        raise AssertionError("xmltodict was called")

    monkeypatch.setattr(flat_xml.xmltodict, "parse", refuse)
    assert xml_fields(raw) == expected
    assert expected == {
        "appid": "wx2421b1c4370ec43b",
        "total_fee": "100",
        "attach": "支付测试",
        "coupon_fee": None,
    }


@pytest.mark.parametrize(
    "raw",
    [
        b'<xml a="1"><b>1</b></xml>',  # an attribute
        b"<xml><b>1</b><b>2</b></xml>",  # a repeated name: a list
        b"<xml><b><c>1</c></b></xml>",  # nested
        b"<xml>text<b>1</b></xml>",  # text of its own
        b'<xml xmlns:p="urn:p"><b>1</b></xml>',  # a namespace declaration
    ],
)
def test_other_shapes_are_xmltodict_s(raw):
    assert flat_xml._flat(raw) is None
    assert xml_fields(raw) == _xmltodict(raw)
