"""DingTalk's loose contact formats are parsed, never shown raw, and never raise."""

from datetime import date

import pytest

from dashboard.directory.parsing import (
    ms_to_date,
    parse_dept_ids,
    parse_id_list,
    parse_loose_map,
    parse_parent_paths,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{1:10,2:20}", {1: 10, 2: 20}),
        ("{1:true,2:false}", {1: True, 2: False}),
        ('{"1":10,"2":20}', {1: 10, 2: 20}),
        (" { 1 : 10 , 2 :20 } ", {1: 10, 2: 20}),
        ("{1:TRUE}", {1: True}),
        ({1: 10, "2": "20"}, {1: 10, 2: 20}),
        ("{1:10,x:3,:4,2}", {1: 10}),
        ("{}", {}),
        ("", {}),
        (None, {}),
        ("not a map", {}),
        (42, {}),
        ("{1:'a b'}", {1: "a b"}),
        ("{-1:5}", {-1: 5}),
    ],
)
def test_loose_map(raw, expected):
    assert parse_loose_map(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("manager01|manager02", ["manager01", "manager02"]),
        ("a| b ||a|", ["a", "b"]),
        ("", []),
        (None, []),
        (["x", " y "], ["x", "y"]),
    ],
)
def test_id_list(raw, expected):
    assert parse_id_list(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1|2|x", [1, 2]), ([1, "2", "x"], [1, 2]), ("[3,4]", [3, 4]), (5, [5]), (None, [])],
)
def test_dept_ids(raw, expected):
    assert parse_dept_ids(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([[456, 123, 1], [789, 1]], [[456, 123, 1], [789, 1]]),
        ("[[456,123,1],[789,1]]", [[456, 123, 1], [789, 1]]),
        ([456, 123, 1], [[456, 123, 1]]),
        ("garbage", []),
        (None, []),
        ([[], ["x"]], []),
    ],
)
def test_parent_paths(raw, expected):
    assert parse_parent_paths(raw) == expected


def test_hired_date_is_the_day_in_china():
    # 2020-08-16 18:26:56 in Shanghai (10:26:56 UTC).
    assert ms_to_date(1597573616000) == date(2020, 8, 16)
    # 23:30 UTC on 2020-08-16 is already the 17th in Shanghai.
    assert ms_to_date(1597620600000) == date(2020, 8, 17)
    assert ms_to_date("1597573616000") == date(2020, 8, 16)
    for junk in (None, "", "x", 0, -5, 10**20):
        assert ms_to_date(junk) is None
