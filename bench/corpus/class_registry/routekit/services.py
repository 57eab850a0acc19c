"""A service locator: named providers registered on the ``Services`` class."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar


class ServiceError(KeyError):
    """An unknown service, or a name registered twice."""


class Services:
    _providers: ClassVar[dict[str, Callable[[], Any]]] = {"clock": time.time, "settings": dict}

    @classmethod
    def register(cls, name: str, provider: Callable[[], Any], *, replace: bool = False) -> None:
        if name in cls._providers and not replace:
            raise ServiceError(f"service {name!r} is already registered")
        cls._providers[name] = provider

    @classmethod
    def get(cls, name: str) -> Any:
        try:
            provider = cls._providers[name]
        except KeyError:
            raise ServiceError(f"no service named {name!r}") from None
        return provider()

    @classmethod
    def names(cls) -> list[str]:
        return sorted(cls._providers)
