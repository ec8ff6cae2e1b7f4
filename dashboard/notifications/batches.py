"""Recipients into asyncsend_v2 calls: at most DINGTALK_USERID_BATCH users and
DINGTALK_DEPT_BATCH departments per call (100 and 20 on DingTalk, §2.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app


@dataclass
class Batch:
    """The recipients of one asyncsend_v2 call."""

    userids: list[str] = field(default_factory=list)
    dept_ids: list[int] = field(default_factory=list)
    to_all_user: bool = False
    #: This batch's own msg (one recipient with a message of their own), else None.
    msg: dict | None = None


def plan_batches(
    userids: list[str], dept_ids: list[int], to_all_user: bool, user_batch: int, dept_batch: int
) -> list[Batch]:
    """Split recipients into the fewest calls: call i takes the i-th slice of each list."""
    if to_all_user:
        return [Batch(to_all_user=True)]
    user_chunks = [userids[i : i + user_batch] for i in range(0, len(userids), user_batch)]
    dept_chunks = [dept_ids[i : i + dept_batch] for i in range(0, len(dept_ids), dept_batch)]
    count = max(len(user_chunks), len(dept_chunks))
    return [
        Batch(
            userids=user_chunks[i] if i < len(user_chunks) else [],
            dept_ids=dept_chunks[i] if i < len(dept_chunks) else [],
        )
        for i in range(count)
    ]


def batch_limits() -> tuple[int, int]:
    """(users, departments) per call, from the configuration."""
    cfg = current_app.config
    return int(cfg["DINGTALK_USERID_BATCH"]), int(cfg["DINGTALK_DEPT_BATCH"])


def plan_personal_batches(msgs: dict[str, dict]) -> list[Batch]:
    """One call per person, each with their own msg (a per-recipient template)."""
    return [Batch(userids=[userid], msg=msg) for userid, msg in msgs.items()]
