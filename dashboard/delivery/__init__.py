"""The delivery queue (Huey): sends are recorded, then run by the `worker` process.

Public API: ``enqueue(name, *args)``, the tasks of ``dashboard.delivery.tasks``
(``deliver_send.enqueue(send_id)``), ``get_huey()``. The consumer is
``flask --app app delivery worker``. Settings: DELIVERY_QUEUE_URL,
DELIVERY_IMMEDIATE, DELIVERY_WORKERS (dashboard/config.py).
"""

from flask import Blueprint

# No routes: the blueprint carries the `flask delivery ...` commands.
bp = Blueprint("delivery", __name__, cli_group="delivery")

from dashboard.delivery import consumer  # noqa: E402,F401  (the `worker` command)
from dashboard.delivery.queue import enqueue, get_huey, task  # noqa: E402

__all__ = ["bp", "enqueue", "get_huey", "init_app", "task"]


def init_app(app) -> None:
    from dashboard.delivery import queue

    queue.init_app(app)
