"""Bindings (key → how to get a value) and the injector that resolves them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class BindingError(LookupError):
    """No binding for a key, or a binding given twice."""


class Binder:
    def __init__(self, allow_override: bool = False) -> None:
        self.allow_override = allow_override
        self.providers: dict[Any, Callable[[], Any]] = {}

    def _add(self, key: Any, provider: Callable[[], Any]) -> Binder:
        if key is None:
            raise BindingError("a binding key cannot be None")
        if key in self.providers and not self.allow_override:
            raise BindingError(f"duplicate binding for {key!r}")
        self.providers[key] = provider
        return self

    def bind(self, key: Any, value: Any) -> Binder:
        return self._add(key, lambda: value)

    def bind_to_provider(self, key: Any, provider: Callable[[], Any]) -> Binder:
        return self._add(key, provider)

    def bind_to_constructor(self, key: Any, constructor: Callable[[], Any]) -> Binder:
        lock = threading.Lock()
        made: list[Any] = []

        def once() -> Any:
            with lock:
                if not made:
                    made.append(constructor())
                return made[0]

        return self._add(key, once)

    def install(self, config: Callable[[Binder], None]) -> Binder:
        config(self)
        return self


class Injector:
    def __init__(
        self,
        config: Callable[[Binder], None] | None = None,
        *,
        bind_in_runtime: bool = True,
        allow_override: bool = False,
    ) -> None:
        self.binder = Binder(allow_override)
        if config is not None:
            config(self.binder)
        self.bind_in_runtime = bind_in_runtime
        self._runtime: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        provider = self.binder.providers.get(key)
        if provider is not None:
            return provider()
        if not self.bind_in_runtime:
            raise BindingError(f"no binding for {key!r}")
        if not isinstance(key, type):
            raise BindingError(f"cannot build {key!r} at runtime: not a class")
        if key not in self._runtime:
            self._runtime[key] = key()
        return self._runtime[key]
