from __future__ import annotations

import pytest
import wirebox


class Clock:
    def now(self):
        return 42


@wirebox.params(clock=Clock)
def stamp(text, *, clock):
    return f"{clock.now()}:{text}"


@pytest.fixture
def container():
    injector = wirebox.clear_and_configure(lambda binder: binder.bind(Clock, Clock()))
    yield injector
    wirebox.clear()


def test_params_injects_missing_arguments(container):
    assert stamp("x") == "42:x"


def test_params_keeps_explicit_arguments(container):
    class Frozen:
        def now(self):
            return 0

    assert stamp("x", clock=Frozen()) == "0:x"


def test_params_uses_the_bound_instance(container):
    assert wirebox.instance(Clock) is container.get(Clock)


def test_params_wraps_the_function():
    assert stamp.__name__ == "stamp"
