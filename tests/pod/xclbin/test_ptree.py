"""JSON metadata read as a boost property tree, the way xclbinutil reads it."""

from __future__ import annotations

import pytest

from jupyter_ext.xclbin.ptree import from_json


def test_values_are_text_and_keep_their_spelling():
    t = from_json('{"a": 1.50, "b": true, "c": null, "d": "x", "e": -0, "f": 1e3}')
    assert [t.get(k) for k in "abcdef"] == ["1.50", "true", "null", "x", "-0", "1e3"]


def test_repeated_keys_are_kept_and_a_lookup_takes_the_first():
    t = from_json('{"p": {"n": "first"}, "p": {"n": "second"}}')
    assert t.get("p.n") == "first"
    assert [c.get("n") for c in t.values()] == ["first", "second"]


def test_arrays_objects_and_empty_text_iterate_alike():
    t = from_json('{"list": [{"n": "a"}, {"n": "b"}], "obj": {"x": {"n": "c"}}, "gone": ""}')
    assert [c.get("n") for c in t.vector("list")] == ["a", "b"]
    assert [c.get("n") for c in t.vector("obj")] == ["c"]  # an object's members, whatever keys
    assert t.vector("gone") == [] and t.vector("missing") == []
    assert t.get("list") == "" and t.get("missing", "--") == "--"


def test_empty_means_no_children():
    assert from_json("{}").empty() and from_json('{"a": []}').find("a").empty()
    assert not from_json('{"a": 1}').empty()


def test_plain_gives_ordinary_data():
    t = from_json('{"a": [1, {"b": "2"}], "a": "later", "c": {}}')
    assert t.plain() == {"a": ["1", {"b": "2"}], "c": ""}


@pytest.mark.parametrize("text", ["{", '{"a": NaN}', '{"a": Infinity}', "[1,]"])
def test_what_boost_refuses_is_refused(text):
    with pytest.raises(ValueError):
        from_json(text)
