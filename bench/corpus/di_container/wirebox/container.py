"""The process-wide container: ``configure()`` once, then ``instance()`` anywhere."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from wirebox.binder import Binder, Injector

F = TypeVar("F", bound=Callable[..., Any])

_injector: Injector | None = None
_lock = threading.RLock()


class ContainerError(RuntimeError):
    """The container is configured twice, or used before it is configured."""


def configure(config: Callable[[Binder], None] | None = None, **options: Any) -> Injector:
    """Create the process's injector. Raises :class:`ContainerError` when there is one already."""
    global _injector
    with _lock:
        if _injector is not None:
            raise ContainerError("the container is already configured")
        _injector = Injector(config, **options)
        return _injector


def configure_once(config: Callable[[Binder], None] | None = None, **options: Any) -> Injector:
    """The existing injector, or a new one."""
    with _lock:
        return _injector if _injector is not None else configure(config, **options)


def clear_and_configure(config: Callable[[Binder], None] | None = None, **options: Any) -> Injector:
    with _lock:
        clear()
        return configure(config, **options)


def clear() -> None:
    global _injector
    with _lock:
        _injector = None


def is_configured() -> bool:
    return _injector is not None


def get_injector() -> Injector | None:
    return _injector


def get_injector_or_die() -> Injector:
    if _injector is None:
        raise ContainerError("the container is not configured: call wirebox.configure() first")
    return _injector


def instance(key: Any) -> Any:
    return get_injector_or_die().get(key)


def params(**keys: Any) -> Callable[[F], F]:
    """Fill the named keyword arguments from the container when the caller leaves them out."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for name, key in keys.items():
                if name not in kwargs:
                    kwargs[name] = instance(key)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
