"""Build the icon subset the pages load: only the Bootstrap Icons the console uses.

The full Bootstrap Icons font (134 KB) and stylesheet (87 KB) stay in
static/vendor/bootstrap-icons/ as the source; this script scans the templates,
scripts and Python code for `bi-<name>` classes and writes

- static/vendor/bootstrap-icons/fonts/bootstrap-icons-subset.woff2 (fontTools' subsetter)
- static/vendor/bootstrap-icons/bootstrap-icons-subset.css (those icons' rules only)

Run it after using a new icon (`.venv/bin/python scripts/build_icons.py`);
tests/ui/test_assets.py fails while an icon in use is missing from the subset.
fontTools and Brotli (WOFF2) are development requirements.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "static" / "vendor" / "bootstrap-icons"
SOURCE_CSS = ICONS / "bootstrap-icons.min.css"
SOURCE_FONT = ICONS / "fonts" / "bootstrap-icons.woff2"
SUBSET_CSS = ICONS / "bootstrap-icons-subset.css"
SUBSET_FONT = ICONS / "fonts" / "bootstrap-icons-subset.woff2"
SCANNED = (("templates", "*.html"), ("static/js", "*.js"), ("dashboard", "*.py"))
RULE = re.compile(r'\.(bi-[a-z0-9-]+)::before\{content:"\\([0-9a-f]+)"\}')
USE = re.compile(r"\bbi-[a-z0-9]+(?:-[a-z0-9]+)*")


def icon_codepoints() -> dict[str, int]:
    """Every icon of the full stylesheet: class name to its code point in the font."""
    return {name: int(code, 16) for name, code in RULE.findall(SOURCE_CSS.read_text())}


def icons_in_use(known: dict[str, int]) -> list[str]:
    """The icon classes named anywhere in the console's templates, scripts and code."""
    used: set[str] = set()
    for folder, pattern in SCANNED:
        for path in (ROOT / folder).rglob(pattern):
            if "vendor" in path.parts:
                continue
            used.update(name for name in USE.findall(path.read_text()) if name in known)
    return sorted(used)


def subset_css(names: list[str], known: dict[str, int]) -> str:
    source = SOURCE_CSS.read_text()
    banner = source[: source.index("*/") + 2]
    start = source.index("@font-face")
    end = source.index(".bi-123::before")  # the shared rules come before the first icon
    shared = re.sub(
        r"src:url\([^)]*\)[^}]*",
        f'src:url("fonts/{SUBSET_FONT.name}") format("woff2")',
        source[start:end],
        count=1,
    )
    rules = "".join(f'.{name}::before{{content:"\\{known[name]:x}"}}' for name in names)
    return f"{banner}\n/* Subset: {len(names)} icons, built by scripts/build_icons.py */\n{shared}{rules}\n"


def build() -> list[str]:
    from fontTools import subset

    known = icon_codepoints()
    names = icons_in_use(known)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.name_IDs = []
    options.notdef_outline = False
    font = subset.load_font(str(SOURCE_FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[known[name] for name in names])
    subsetter.subset(font)
    subset.save_font(font, str(SUBSET_FONT), options)
    SUBSET_CSS.write_text(subset_css(names, known))
    return names


if __name__ == "__main__":
    built = build()
    print(f"{len(built)} icons: {SUBSET_FONT.stat().st_size} bytes font", file=sys.stderr)
