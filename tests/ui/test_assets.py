"""Static files: content-hashed names, precompressed, cached for a year; icons subset."""

from __future__ import annotations

import posixpath
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_icons  # noqa: E402


@pytest.fixture
def signed_in(client):
    client.post("/login", data={"username": "admin", "password": "admin-password"})
    return client


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_name_static_files_by_content_hash(signed_in):
    urls = asset_urls(signed_in.get("/").get_data(as_text=True))
    assert urls
    assert all(re.match(r"/static/[0-9a-f]{12}/\w", url) for url in urls), urls
    assert any(url.endswith("/js/app.js") for url in urls)  # the file keeps its name
    assert not any("bootstrap-icons.min.css" in url for url in urls)


def test_hashed_files_are_immutable_and_precompressed(signed_in):
    for url in asset_urls(signed_in.get("/").get_data(as_text=True)):
        reply = signed_in.get(url, headers={"Accept-Encoding": "gzip, br"})
        assert reply.status_code == 200
        assert "immutable" in reply.headers["Cache-Control"]
        assert "max-age=315360000" in reply.headers["Cache-Control"]
        if url.endswith((".css", ".js")):
            assert reply.headers["Content-Encoding"] == "br"


def test_the_icon_stylesheet_names_the_hashed_subset_font(signed_in):
    html = signed_in.get("/").get_data(as_text=True)
    (css_url,) = [u for u in asset_urls(html) if "bootstrap-icons-subset" in u]
    css = signed_in.get(css_url).get_data(as_text=True)
    (font,) = re.findall(r'url\("([^"]+)"\)', css)
    assert re.fullmatch(
        r"(\.\./){3}[0-9a-f]{12}/vendor/bootstrap-icons/fonts/bootstrap-icons-subset\.woff2", font
    )
    resolved = posixpath.normpath(posixpath.join(css_url.rsplit("/", 1)[0], font))
    reply = signed_in.get(resolved)
    assert reply.status_code == 200 and "immutable" in reply.headers["Cache-Control"]


def test_pages_are_compressed_for_browsers_that_accept_it(signed_in):
    reply = signed_in.get("/", headers={"Accept-Encoding": "gzip"})
    assert reply.headers["Content-Encoding"] == "gzip"


def test_every_icon_in_use_is_in_the_subset():
    """Run scripts/build_icons.py after using a new `bi-` icon."""
    known = build_icons.icon_codepoints()
    subset = build_icons.SUBSET_CSS.read_text()
    missing = [name for name in build_icons.icons_in_use(known) if f".{name}::" not in subset]
    assert not missing
