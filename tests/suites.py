"""Canonical throwaway suites, as {relative path: source}."""

from __future__ import annotations

# Every test appends [name, start, stop] to intervals.log beside it, so that tests can assert
# on who ran at the same time as whom, from the tests' own clocks.
_INTERVALS = """
import json, pathlib, time
import pytest

def hold(name, seconds=0.3):
    start = time.time()
    time.sleep(seconds)
    stop = time.time()
    with open(pathlib.Path(__file__).parent / "intervals.log", "a") as log:
        log.write(json.dumps([name, start, stop]) + "\\n")
"""

SERIAL_SUITE = {
    "test_serial.py": _INTERVALS
    + """
@pytest.mark.serial("port:18765")
def test_keyed_a():
    hold("keyed_a")

@pytest.mark.serial("port:18765")
def test_keyed_b():
    hold("keyed_b")

@pytest.mark.serial
def test_exclusive():
    hold("exclusive")

@pytest.mark.parametrize("i", range(6))
def test_plain(i):
    hold(f"plain{i}")
""",
}

OUTCOMES_SUITE = {
    "test_outcomes.py": """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown exploded")

def test_pass():
    pass

def test_fail():
    assert 1 == 2, "one is not two"

def test_setup_error(broken):
    pass

def test_teardown_error(bad_teardown):
    pass

def test_skip():
    pytest.skip("not today")

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.mark.xfail(reason="fixed already")
def test_xpass():
    pass
""",
}

CRASH_SUITE = {
    "test_crash.py": """
import os

def test_before():
    pass

def test_dies():
    os._exit(3)

def test_after_1():
    pass

def test_after_2():
    pass
""",
}
