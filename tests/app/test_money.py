"""The one yuan → fen parser (``app.money``): exact, two decimals at most, 64-bit bounds,
and the inverse of both ways Siyu writes yuan (plain and ``¥1,234.56``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from app.money import MAX_FEN, MIN_FEN, Yuan, YuanError, format_yuan, parse_percent, parse_yuan
from app.web.formatting import yuan as shown_yuan

FEN = st.integers(min_value=MIN_FEN, max_value=MAX_FEN)


@given(FEN)
def test_parse_is_the_inverse_of_format_for_every_64_bit_fen(fen):
    assert parse_yuan(format_yuan(fen), MIN_FEN) == fen
    assert parse_yuan(shown_yuan(fen), MIN_FEN) == fen  # "¥1,234.56" as pages show it


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.5", 1250),
        (" 0.05 ", 5),
        ("1999", 199900),
        ("2,000.50", 200050),
        ("¥12.50", 1250),
        ("12.500", 1250),
        (".5", 50),
        ("92233720368547758.07", MAX_FEN),
    ],
)
def test_accepted_amounts(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    ["", "abc", "12.345", "1e3", "NaN", "Infinity", "1,00", "12,5", "--1", ".", "1 000", None],
)
def test_refused_texts(text):
    with pytest.raises(YuanError) as err:
        parse_yuan(text)
    assert err.value.message == "Enter an amount in yuan, such as 12.50."


def test_bounds_are_fen_and_64_bit_by_default():
    with pytest.raises(YuanError, match="Between 0.00 and"):
        parse_yuan("92233720368547758.08")
    with pytest.raises(YuanError, match="Between 0.00 and"):
        parse_yuan("-1")
    with pytest.raises(YuanError, match="Between 0.01 and 10.00 yuan"):
        parse_yuan("10.01", lo=1, hi=1000)
    assert parse_yuan("-0.01", lo=MIN_FEN) == -1


def test_yuan_field_loads_fen_and_dumps_yuan():
    class S(Schema):
        amount = Yuan(lo=1)

    assert S().load({"amount": "88.50"}) == {"amount": 8850}
    assert S().load({"amount": 12.5}) == {"amount": 1250}  # a JSON number, no float noise
    assert S().dump({"amount": 8850}) == {"amount": "88.50"}
    with pytest.raises(ValidationError) as err:
        S().load({"amount": "0"})
    assert err.value.messages == {"amount": ["Between 0.01 and 92233720368547758.07 yuan."]}
    with pytest.raises(ValidationError):
        S().load({"amount": True})


@pytest.mark.parametrize(
    ("text", "bps"),
    [("25", 2500), ("12.5%", 1250), (" 0.01 ", 1), ("100", 10_000), ("0", 0), ("33.30％", 3330)],
)
def test_percentages_read_as_basis_points(text, bps):
    assert parse_percent(text) == bps


@pytest.mark.parametrize("text", ["", "150", "-1", "12.345", "abc", "¥12", "1e2", "nan", None])
def test_percentages_out_of_range_or_not_numbers_are_refused(text):
    assert parse_percent(text) is None


@given(st.integers(min_value=0, max_value=10_000))
def test_every_basis_point_reads_back_from_its_percentage(bps):
    assert parse_percent(f"{bps // 100}.{bps % 100:02d}%") == bps
