from __future__ import annotations

import pytest
import unitconv


@pytest.fixture(autouse=False)
def metric():
    unitconv.use_system("metric")


@pytest.mark.parametrize(
    ("text", "metres"),
    [("3 m", 3.0), ("250 cm", 2.5), ("1.5 km", 1500.0), ("10 ft", 3.048), ("12 in", 0.3048)],
)
def test_parse_length(text, metres):
    assert unitconv.parse_length(text) == pytest.approx(metres)


@pytest.mark.parametrize("text", ["", "3", "m", "3 parsecs", "three m"])
def test_parse_length_rejects(text):
    with pytest.raises(ValueError):
        unitconv.parse_length(text)


@pytest.mark.parametrize(("text", "celsius"), [("20 C", 20.0), ("68 °F", 20.0), ("-40F", -40.0)])
def test_parse_temperature(text, celsius):
    assert unitconv.parse_temperature(text) == pytest.approx(celsius)


def test_length_roundtrip(metric):
    text = unitconv.format_length(12.34)
    assert unitconv.parse_length(text) == pytest.approx(12.34)


def test_temperature_roundtrip(metric):
    text = unitconv.format_temperature(21.5)
    assert unitconv.parse_temperature(text) == pytest.approx(21.5)
