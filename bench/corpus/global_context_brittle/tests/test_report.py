from __future__ import annotations

import pytest
import runctx
from runctx.report import Report, Result

RESULTS = [
    Result("Stream", "gnu", "pass", 12.5),
    Result("Dgemm", "cray", "fail", 40.0),
    Result("Osu", "gnu", "skip", 0.0),
    Result("Jacobi", "cray", "pass", 3.2),
    Result("Alltoall", "gnu", "fail", 18.9),
]


def test_header_lists_partitions(ctx):
    assert Report(RESULTS).header() == "Report for testsys (gpu, mc)"


def test_counts(ctx):
    assert Report(RESULTS).counts() == {"pass": 2, "fail": 2, "skip": 1}


def test_counts_empty(ctx):
    assert Report([]).counts() == {"pass": 0, "fail": 0, "skip": 0}


def test_failures(ctx):
    assert Report(RESULTS).failures() == ["Alltoall@gnu", "Dgemm@cray"]


def test_header_names_the_system():
    assert Report([]).header().startswith(f"Report for {runctx.current().system}")


def test_table_has_a_row_per_result(ctx):
    assert len(Report(RESULTS).table().splitlines()) == len(RESULTS)


def test_table_row_format(ctx):
    assert Report(RESULTS[:1]).table() == "Stream               gnu        pass    12.5s"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, ["Dgemm"]),
        (2, ["Dgemm", "Alltoall"]),
        (3, ["Dgemm", "Alltoall", "Stream"]),
        (5, ["Dgemm", "Alltoall", "Stream", "Jacobi", "Osu"]),
        (9, ["Dgemm", "Alltoall", "Stream", "Jacobi", "Osu"]),
    ],
)
def test_slowest(ctx, n, expected):
    assert Report(RESULTS).slowest(n) == expected


@pytest.mark.parametrize("outcome", ["pass", "fail", "skip"])
def test_counts_single_outcome(ctx, outcome):
    assert Report([Result("A", "gnu", outcome)]).counts()[outcome] == 1


@pytest.mark.parametrize("environ", ["gnu", "cray", "intel"])
def test_failures_name_the_environ(ctx, environ):
    assert Report([Result("A", environ, "fail")]).failures() == [f"A@{environ}"]


def test_empty_table(ctx):
    assert Report([]).table() == ""


def test_header_is_one_line(ctx):
    assert "\n" not in Report(RESULTS).header()
