from __future__ import annotations

import pytest
import wirebox
from wirebox.binder import BindingError


def test_bind_value():
    injector = wirebox.Injector(lambda b: b.bind(int, 123))
    assert injector.get(int) == 123


def test_bind_provider_is_called_each_time():
    calls = []
    injector = wirebox.Injector(lambda b: b.bind_to_provider("n", lambda: calls.append(1) or 7))
    assert injector.get("n") == injector.get("n") == 7
    assert len(calls) == 2


def test_bind_constructor_builds_once():
    injector = wirebox.Injector(lambda b: b.bind_to_constructor(list, lambda: [1]))
    assert injector.get(list) is injector.get(list)


def test_duplicate_binding_raises():
    binder = wirebox.Binder()
    binder.bind(int, 1)
    with pytest.raises(BindingError):
        binder.bind(int, 2)


def test_override_allowed_when_asked():
    binder = wirebox.Binder(allow_override=True).bind(int, 1).bind(int, 2)
    assert binder.providers[int]() == 2


def test_none_key_rejected():
    with pytest.raises(BindingError):
        wirebox.Binder().bind(None, 1)


def test_install_runs_nested_config():
    def base(binder):
        binder.bind(str, "base")

    injector = wirebox.Injector(lambda b: b.install(base).bind(int, 1))
    assert injector.get(str) == "base"


def test_runtime_binding_builds_classes():
    class Clock:
        pass

    injector = wirebox.Injector()
    assert isinstance(injector.get(Clock), Clock)
    assert injector.get(Clock) is injector.get(Clock)


def test_runtime_binding_disabled():
    injector = wirebox.Injector(bind_in_runtime=False)
    with pytest.raises(BindingError):
        injector.get(dict)


def test_runtime_binding_needs_a_class():
    with pytest.raises(BindingError):
        wirebox.Injector().get("not-a-class")


def test_clear_forgets_the_injector():
    wirebox.configure_once()
    wirebox.clear()
    assert wirebox.get_injector() is None
