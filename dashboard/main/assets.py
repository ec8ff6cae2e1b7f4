"""Static files under content-hashed names, precompressed, cached for a year.

At start the app hashes every file of static/ and copies it once into the build
folder (STATIC_BUILD_DIR) as ``<hash>/path/name.ext`` with its Brotli and gzip
versions (WhiteNoise's compressor); a stylesheet's relative ``url(...)`` are
pointed at the hashed names first. WhiteNoise serves that folder in front of
Flask, choosing the encoding the browser accepts, and marks the files immutable:
a changed file has a new name, so a year-long cache is never stale.
``url_for('static', filename=...)`` gives the hashed name (a URL default), so
templates keep writing the plain path. Files not in the build (added while
running) are still served by Flask's static view under their plain names.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import Flask

HASH_LENGTH = 12
HASHED = re.compile(rf"/[0-9a-f]{{{HASH_LENGTH}}}/")
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')?#]+)([?#][^"')]*)?\1\s*\)""")
ONE_YEAR = 365 * 24 * 3600


def hashed_name(relative: str, digest: str) -> str:
    """``<hash>/js/app.js``: the content's hash leads the path, the file keeps its name."""
    return f"{digest}/{relative}"


def _rewrite_css(text: str, relative: str, manifest: dict[str, str]) -> str:
    """Point a stylesheet's relative url(...) at the hashed names of the files they name."""
    folder = Path(relative).parent

    def replace(match: re.Match) -> str:
        target = match.group(2)
        if re.match(r"^(?:[a-z]+:|/|data:)", target):
            return match.group(0)
        resolved = os.path.normpath(folder / target).replace(os.sep, "/")
        if resolved not in manifest:
            return match.group(0)
        # From <its hash>/<folder>/ back up to the static root, then down the target's path.
        new = "../" * (len(folder.parts) + 1) + manifest[resolved]
        return f'url("{new}")'

    return CSS_URL.sub(replace, text)


def build(static_dir: Path, build_dir: Path) -> dict[str, str]:
    """Hash, copy and compress static/ into build_dir; the plain-to-hashed name manifest.

    Each output is written under a temporary name and renamed into place, so
    processes starting together (gunicorn workers, test workers) never see half
    a file; a file already built is left alone.
    """
    from whitenoise.compress import Compressor

    sources = sorted(p for p in static_dir.rglob("*") if p.is_file())
    contents = {p.relative_to(static_dir).as_posix(): p.read_bytes() for p in sources}
    manifest: dict[str, str] = {}
    # Stylesheets last: their url(...) name files whose hashed names must be known.
    order = sorted(contents, key=lambda name: name.endswith(".css"))
    for relative in order:
        data = contents[relative]
        if relative.endswith(".css"):
            data = _rewrite_css(data.decode("utf-8"), relative, manifest).encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        manifest[relative] = hashed_name(relative, digest)
        target = build_dir / manifest[relative]
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # Staged beside (not inside) the build folder, which WhiteNoise walks at start.
        with tempfile.TemporaryDirectory(dir=build_dir.parent, prefix=".static-") as work:
            staged = Path(work) / target.name
            staged.write_bytes(data)
            compressor = Compressor(quiet=True)
            compress = compressor.should_compress(target.name)
            outputs = compressor.compress(str(staged)) if compress else []
            for output in outputs:
                os.replace(output, target.parent / Path(output).name)
            os.replace(staged, target)
    return manifest


def init_app(app: Flask) -> None:
    """Serve the hashed build with WhiteNoise and make url_for('static') name it."""
    from whitenoise import WhiteNoise

    build_dir = Path(app.config.get("STATIC_BUILD_DIR") or Path(app.instance_path) / "static")
    build_dir.mkdir(parents=True, exist_ok=True)
    manifest = build(Path(app.static_folder), build_dir)
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in manifest:
            values["filename"] = manifest[values["filename"]]

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(build_dir),
        prefix=app.static_url_path,
        max_age=ONE_YEAR,
        immutable_file_test=lambda path, url: bool(HASHED.search(url)),
    )
