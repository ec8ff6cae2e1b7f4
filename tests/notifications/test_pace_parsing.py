"""The userids of the request that starts a send are read once, with no Python step per id."""

from __future__ import annotations

import pytest

from dashboard.composer.recipients import SEPARATORS, UseridList, parse_userids


def reference(text: str) -> list[str]:
    """What the parser did before: split on the separators, trim, drop blanks and repeats."""
    return list(dict.fromkeys(i.strip() for i in SEPARATORS.split(text) if i.strip()))


@pytest.mark.parametrize(
    "text",
    [" a, b ,a\n c、d；e ", "x\u3000y\tz", "，,;;", "a,,b", "", "u1；u2;u3，u4、u5\r\nu6"],
)
def test_text_splits_as_the_separators_say(text: str) -> None:
    assert parse_userids(text) == reference(text)


def test_lists_are_trimmed_and_deduplicated_in_order() -> None:
    assert parse_userids([" a", "b ", "", "a", 3]) == ["a", "b", "3"]
    assert parse_userids(iter(["a", "a"])) == ["a"] and parse_userids(("b",)) == ["b"]
    assert parse_userids(None) == [] and parse_userids([]) == []


def test_a_parsed_list_is_taken_as_it_is() -> None:
    parsed = parse_userids("u1, u2, u1")
    assert isinstance(parsed, UseridList) and parsed == ["u1", "u2"]
    assert parse_userids(parsed) is parsed  # the warnings and the send do not read it again


def test_the_remembered_text_cannot_be_changed_through_a_result() -> None:
    text = "u1\nu2\nu3"
    first = parse_userids(text)
    first.append("intruder")
    assert parse_userids(text) == ["u1", "u2", "u3"]


def test_a_hundred_thousand_pasted_userids() -> None:
    userids = [f"user{n:06d}" for n in range(100_000)]
    assert parse_userids("\n".join(userids + userids[:10])) == userids
    assert parse_userids(userids + userids[:10]) == userids
