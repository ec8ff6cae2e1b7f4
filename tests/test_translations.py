"""Every user-facing string has a Simplified Chinese translation (the default UI)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from dashboard.i18n import translation_directories

ROOT = Path(__file__).resolve().parents[1]
METHOD_MAP = [
    ("dashboard/sandbox/**.py", "ignore"),
    ("dashboard/dingtalk/**.py", "ignore"),
    ("**.py", "python"),
    ("templates/**.html", "jinja2"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)}


def _catalog_ids() -> dict[str, str]:
    translated: dict[str, str] = {}
    for directory in translation_directories():
        po_path = directory / "zh" / "LC_MESSAGES" / "messages.po"
        if po_path.exists():
            with po_path.open("rb") as f:
                for message in read_po(f):
                    if message.id and message.string:
                        key = message.id if isinstance(message.id, str) else message.id[0]
                        translated[key] = message.string
    return translated


def _source_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    for directory in ("dashboard", "templates"):
        base = ROOT / directory
        method_map = [(p.removeprefix(f"{directory}/"), m) for p, m in METHOD_MAP]
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            base, method_map, OPTIONS, keywords=KEYWORDS
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid:
                found.setdefault(msgid, f"{directory}/{filename}:{lineno}")
    return found


def test_every_ui_string_has_a_chinese_translation():
    translated = _catalog_ids()
    missing = {m: where for m, where in _source_ids().items() if m not in translated}
    assert not missing, "untranslated strings:\n" + "\n".join(
        f"  {where}: {msgid!r}" for msgid, where in sorted(missing.items(), key=lambda kv: kv[1])
    )
