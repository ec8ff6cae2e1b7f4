"""Language of the UI: Simplified Chinese first, English second.

Catalogs live beside the code that owns the strings
(`dashboard/translations/` and `dashboard/<blueprint>/translations/`), all in
the one `messages` domain; Flask-Babel merges every directory listed.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session

PACKAGE = Path(__file__).resolve().parent


def translation_directories() -> list[Path]:
    """Every `translations/` folder of the package, the shared one first."""
    dirs = [PACKAGE / "translations"]
    dirs += sorted(p for p in PACKAGE.glob("*/translations") if p.is_dir())
    return [d for d in dirs if d.is_dir()]


def compile_catalogs() -> int:
    """Compile each stale `.po` into its `.mo`; returns how many were written.

    Writes to a temporary file first and renames it, so concurrent workers
    never read a half-written catalog.
    """
    written = 0
    for directory in translation_directories():
        for po_path in directory.glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            tmp = mo_path.with_suffix(".mo.tmp")
            with tmp.open("wb") as mo_file:
                write_mo(mo_file, catalog)
            tmp.replace(mo_path)
            written += 1
    return written


def select_locale() -> str:
    """The session's choice, else the browser's preference, else Chinese.

    Outside a request (the queue consumer, the events process, the CLI) there is no
    session: Chinese, the default, unless the caller chose with ``force_locale``.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if request:
        best = request.accept_languages.best_match(languages)
        if best == "en" and not request.accept_languages.best_match(["zh"]):
            return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]
