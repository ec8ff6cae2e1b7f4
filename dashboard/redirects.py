"""Redirects that take a target from the request (``next``) stay on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def is_same_site(target: str | None) -> bool:
    """A relative path of this site, as a browser would read it.

    Browsers drop tabs and newlines and read backslashes as slashes, so
    ``/\\t/evil.example`` and ``/\\evil.example`` mean ``//evil.example``: any
    control character or backslash is refused outright.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, endpoint: str = "main.index") -> str:
    """The target when it is same-site, else the URL of ``endpoint``."""
    return target if is_same_site(target) else url_for(endpoint)
