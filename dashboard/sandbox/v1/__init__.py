"""The v1.0 host (api.dingtalk.com) of the sandbox, served on the sandbox's port by path.

Reference: shared/dingtalk-v1.md. `/v1.0/...` and `/v2.0/...` never collide with oapi
paths, so one emulator answers both hosts and the client only needs a base URL for
each (DINGTALK_API_BASE and DINGTALK_API_V1_BASE, both the sandbox's URL).

Adding a module (the seam other engineers register on):

1. write `dashboard/sandbox/<yours>.py` (or a module here) with a Blueprint `bp` and its
   endpoints declared with `dashboard.sandbox.v1.routing.v1_route` (see that module);
2. optionally `PAGE_PREFIXES = ("/login",)`: paths of plain pages your blueprint serves
   (HTML, redirects) that must bypass both the oapi and the v1.0 pipelines;
3. add its dotted name to `AREA_MODULES` below (one line).
"""

from __future__ import annotations

import importlib

from flask import Flask

from dashboard.sandbox.v1.pipeline import install, is_v1_path

#: Area modules, each exporting `bp` (and optionally PAGE_PREFIXES).
AREA_MODULES: tuple[str, ...] = (
    "dashboard.sandbox.v1.tokens",
    "dashboard.sandbox.v1.robot",
    "dashboard.sandbox.v1.groups",
    "dashboard.sandbox.v1.topapi_groups",
    "dashboard.sandbox.v1.cards",
    "dashboard.sandbox.v1.pages",
    "dashboard.sandbox.v1.oauth",
    "dashboard.sandbox.v1.stream",
)

_page_prefixes: list[str] = []


def register(app: Flask) -> None:
    """Register every area module's blueprint and the v1.0 pipeline on the sandbox app."""
    for name in AREA_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # an area not written yet
        app.register_blueprint(module.bp)
        for prefix in getattr(module, "PAGE_PREFIXES", ()):
            if prefix not in _page_prefixes:
                _page_prefixes.append(prefix)
    install(app)


def handles(path: str) -> bool:
    """True for v1.0 API paths and registered pages: the oapi pipeline leaves them alone."""
    return is_v1_path(path) or any(
        path == p or path.startswith(p.rstrip("/") + "/") for p in _page_prefixes
    )


__all__ = ["AREA_MODULES", "handles", "register"]
