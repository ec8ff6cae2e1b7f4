"""The sandbox clock: real time plus an offset that tests can push forward."""

from __future__ import annotations

import time

CHINA_UTC_OFFSET = 8 * 3600


class SandboxClock:
    """Real time plus `offset` seconds, so time travel never needs sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch as the emulator sees them."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (never back) and return the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += seconds
        return self.now()

    def reset(self) -> None:
        """Back to real time."""
        self.offset = 0.0


def china_day(timestamp: float) -> int:
    """Day number in China time (UTC+8): DingTalk's daily quotas reset at local midnight."""
    return int((timestamp + CHINA_UTC_OFFSET) // 86400)
