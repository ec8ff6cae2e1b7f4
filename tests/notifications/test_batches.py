"""Planning the asyncsend_v2 calls of a send (no app, no DingTalk)."""

from __future__ import annotations

import pytest

from dashboard.notifications.batches import Batch, plan_batches

USERS = [f"u{n:04d}" for n in range(1, 251)]
DEPTS = list(range(2, 47))


@pytest.mark.parametrize(
    ("users", "depts", "sizes"),
    [
        (1, 0, [(1, 0)]),
        (100, 0, [(100, 0)]),
        (101, 0, [(100, 0), (1, 0)]),
        (0, 20, [(0, 20)]),
        (0, 21, [(0, 20), (0, 1)]),
        (250, 21, [(100, 20), (100, 1), (50, 0)]),
        (5, 45, [(5, 20), (0, 20), (0, 5)]),
    ],
)
def test_call_i_takes_the_i_th_slice_of_each_list(users, depts, sizes):
    batches = plan_batches(USERS[:users], DEPTS[:depts], False, 100, 20)
    assert [(len(b.userids), len(b.dept_ids)) for b in batches] == sizes
    assert [u for b in batches for u in b.userids] == USERS[:users]  # order kept, none lost
    assert [d for b in batches for d in b.dept_ids] == DEPTS[:depts]


def test_everyone_is_one_call_whatever_the_lists():
    assert plan_batches(USERS, DEPTS, True, 100, 20) == [Batch(to_all_user=True)]


def test_no_recipients_is_no_call():
    assert plan_batches([], [], False, 100, 20) == []


def test_the_limits_are_parameters():
    assert [b.userids for b in plan_batches(USERS[:5], [], False, 2, 20)] == [
        USERS[0:2],
        USERS[2:4],
        USERS[4:5],
    ]
