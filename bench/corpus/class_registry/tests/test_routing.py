from __future__ import annotations

import pytest
from routekit import RouteError, Router


def test_register_function_handler(router):
    def items():
        return ["a", "b"]

    router.register(items, "/items")
    route, params = router.match("/items")
    assert route.handler is items
    assert params == {}


def test_register_rejects_non_callable(router):
    with pytest.raises(RouteError):
        router.register("handler", "/broken")


def test_path_must_start_with_slash(router):
    with pytest.raises(RouteError):
        router.register(lambda: None, "relative")


def test_route_decorator_with_parameter(router):
    @router.route("/users/<user_id>")
    def user(user_id):
        return {"id": user_id}

    assert router.dispatch("/users/42") == {"id": "42"}


def test_methods_are_upper_cased(router):
    route = router.register(lambda: "ok", "/upload", methods=("post",))
    assert route.methods == frozenset({"POST"})


def test_match_wrong_method_raises(router):
    router.register(lambda: "pong", "/ping")
    with pytest.raises(RouteError, match="not allowed"):
        router.match("/ping", "DELETE")


def test_match_unknown_path_raises(router):
    with pytest.raises(RouteError, match="no route"):
        router.match("/does/not/exist")


def test_reset_clears_routes(router):
    router.register(lambda: None, "/temporary")
    Router.reset()
    assert len(router) == 0
