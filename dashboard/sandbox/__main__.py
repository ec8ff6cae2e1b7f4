"""Serve the emulator: python -m dashboard.sandbox --host 127.0.0.1 --port 5001."""

from __future__ import annotations

import argparse
import logging

from werkzeug.serving import WSGIRequestHandler, run_simple

from dashboard.sandbox import create_sandbox_app
from dashboard.sandbox.settings import SandboxSettings


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's access log prints the full URL (access_token included); the app logs instead."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, build the app from the environment and serve it threaded."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.sandbox",
        description="Local emulator of the DingTalk oapi. Settings come from SANDBOX_* "
        "variables; credentials from DINGTALK_APP_KEY/SECRET, DINGTALK_CORP_ID/SECRET "
        "and DINGTALK_AGENT_ID.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5001, help="port to listen on (default 5001)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = SandboxSettings.from_env()
    if args.quiet:
        settings = settings.updated({"log_requests": False})
    app = create_sandbox_app(settings)
    run_simple(args.host, args.port, app, threaded=True, request_handler=QuietRequestHandler)


if __name__ == "__main__":
    main()
