"""Events over Stream: the `events` process (the official dingtalk-stream SDK), the events
log (one row per eventId) and its page.

The process is ``flask --app app events run`` (the Procfile's ``events:``); it records
each event, queues ``handle_stream_event`` and acknowledges. Its connection state,
reconnect count and last event time are in the cache (:mod:`dashboard.events.state`),
shown on /readyz, the ISV page and the events log page.
"""

from flask import Blueprint

bp = Blueprint("events", __name__, cli_group="events")

from dashboard.events import cli, state, views  # noqa: E402,F401

# The connection box (templates/events/_connection.html) on the ISV and events pages.
bp.add_app_template_global(state.summary, "stream_connection")

__all__ = ["bp"]
