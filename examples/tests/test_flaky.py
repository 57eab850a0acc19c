"""Reads from a replica right after writing to the primary."""

from shop.replica import Primary


def test_eventually_consistent() -> None:
    # planted: non-deterministic (the replica is stale ~1 run in 4; uses os.urandom, so no seed fixes it)
    primary = Primary()
    replica = primary.replica()
    primary.write("apple", 12)
    # Bug in the test: it reads without waiting for replication (replica.sync()).
    assert replica.read("apple") == 12
