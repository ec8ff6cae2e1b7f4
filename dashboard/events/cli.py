"""`flask --app app events run`: the Procfile's `events:` process."""

from __future__ import annotations

import click
from flask import current_app

from dashboard.events import bp


@bp.cli.command("run")
def run_command() -> None:
    """Keep the Stream connection to DingTalk and handle its events until SIGTERM."""
    from dashboard.events.stream import StreamNotConfigured, run

    app = current_app._get_current_object()
    try:
        if app.config.get("DINGTALK_STREAM_ENABLED"):
            from dashboard.events.stream import credentials

            credentials(app)
    except StreamNotConfigured as exc:
        raise click.UsageError(str(exc)) from None
    run(app)


@bp.cli.command("prune")
def prune_command() -> None:
    """Delete events older than EVENTS_RETENTION_DAYS now."""
    from dashboard.events.recording import prune

    click.echo(f"{prune()} events deleted")
