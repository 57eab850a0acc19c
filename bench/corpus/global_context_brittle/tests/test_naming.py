from __future__ import annotations

import pytest
from runctx.naming import slugify, split_variant, valid_check_name, variant_name


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Hello World", "hello_world"),
        ("STREAM benchmark", "stream_benchmark"),
        ("  padded  ", "padded"),
        ("a--b__c", "a_b_c"),
        ("CUDA 11.2", "cuda_11_2"),
        ("already_slug", "already_slug"),
        ("MiXeD CaSe", "mixed_case"),
        ("dots.in.name", "dots_in_name"),
        ("tabs\tand\nlines", "tabs_and_lines"),
        ("", ""),
        ("!!!", ""),
        ("x", "x"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


@pytest.mark.parametrize(
    "name",
    ["StreamTest", "_private", "check2", "HelloWorldCheck", "a", "A_B_C", "x1y2", "MPI_Alltoall"],
)
def test_valid_check_names(name):
    assert valid_check_name(name)


@pytest.mark.parametrize(
    "name", ["2fast", "with space", "dash-name", "", "dot.name", "per%cent", "ünicode", "a b"]
)
def test_invalid_check_names(name):
    assert not valid_check_name(name)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, "Stream"),
        ({"n": 1}, "Stream%n=1"),
        ({"b": 2, "a": 1}, "Stream%a=1_b=2"),
        ({"mode": "fast"}, "Stream%mode=fast"),
        ({"x": True}, "Stream%x=True"),
    ],
)
def test_variant_name(params, expected):
    assert variant_name("Stream", **params) == expected


@pytest.mark.parametrize(
    "params",
    [{}, {"n": "1"}, {"a": "1", "b": "2"}, {"mode": "fast"}, {"size": "1024", "type": "f64"}],
)
def test_variant_roundtrip(params):
    assert split_variant(variant_name("Base", **params)) == ("Base", params)


@pytest.mark.parametrize(
    ("name", "base"),
    [("Stream", "Stream"), ("Stream%n=1", "Stream"), ("A%x=1_y=2", "A"), ("B%", "B")],
)
def test_split_variant_base(name, base):
    assert split_variant(name)[0] == base


def test_split_variant_without_params():
    assert split_variant("Plain") == ("Plain", {})


def test_slugify_is_idempotent():
    assert slugify(slugify("Some Check Name")) == slugify("Some Check Name")


def test_variant_name_sorted():
    assert variant_name("C", z=1, a=2) == "C%a=2_z=1"
