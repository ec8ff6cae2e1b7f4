"""The Stream gateway (shared/dingtalk-v1.md §7) of the sandbox's v1.0 host.

- `gateway.py`: tickets, connections, messages, frames, ACKs, redelivery, settings;
- `views.py`: `POST /v1.0/gateway/connections/open` and the WebSocket `GET /connect`;
- `directory.py`: hires, moves, leavers, departments and group members, with their events;
- `control.py`: `/_sandbox/v1/stream/…` and `/_sandbox/v1/directory/<change>` for tests
  and the sandbox page;
- `page.py`: the sandbox's Stream page `GET /_sandbox/v1/stream/`.
"""

from dashboard.sandbox.v1.stream import control as _control  # noqa: F401 - routes on bp
from dashboard.sandbox.v1.stream import page as _page  # noqa: F401 - routes on bp
from dashboard.sandbox.v1.stream.views import PAGE_PREFIXES, bp

__all__ = ["PAGE_PREFIXES", "bp"]
