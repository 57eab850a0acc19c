"""A tiny application wired with wirebox, used by the integration tests."""

from __future__ import annotations

import wirebox


class Repository:
    def __init__(self) -> None:
        self.orders: dict[int, str] = {}

    def add(self, order_id: int, item: str) -> None:
        self.orders[order_id] = item


class Mailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, text: str) -> None:
        self.sent.append(text)


class OrderService:
    @wirebox.params(repository=Repository, mailer=Mailer)
    def place(self, order_id: int, item: str, *, repository: Repository, mailer: Mailer) -> str:
        repository.add(order_id, item)
        mailer.send(f"order {order_id}: {item}")
        return f"#{order_id}"


def wiring(binder: wirebox.Binder) -> None:
    binder.bind_to_constructor(Repository, Repository)
    binder.bind_to_constructor(Mailer, Mailer)


def create_app() -> OrderService:
    """What the application's entry point does: wire the container, build the service."""
    wirebox.configure(wiring)
    return OrderService()
