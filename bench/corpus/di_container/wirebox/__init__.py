"""wirebox: a small dependency-injection container, configured once per process."""

from __future__ import annotations

from wirebox.binder import Binder, Injector
from wirebox.container import (
    ContainerError,
    clear,
    clear_and_configure,
    configure,
    configure_once,
    get_injector,
    get_injector_or_die,
    instance,
    is_configured,
    params,
)

__all__ = [
    "Binder",
    "ContainerError",
    "Injector",
    "clear",
    "clear_and_configure",
    "configure",
    "configure_once",
    "get_injector",
    "get_injector_or_die",
    "instance",
    "is_configured",
    "params",
]
