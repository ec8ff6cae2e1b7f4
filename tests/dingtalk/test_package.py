"""The client library stands alone: no Flask, public names exported."""

from __future__ import annotations

import subprocess
import sys

import dashboard.dingtalk as dingtalk


def test_importing_the_client_does_not_import_flask() -> None:
    code = (
        "import sys, dashboard.dingtalk, dashboard.dingtalk.client; "
        "sys.exit(1 if any(m == 'flask' or m.startswith('flask.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_public_names_are_exported() -> None:
    for name in dingtalk.__all__:
        assert hasattr(dingtalk, name), name
    for name in ("DingTalkClient", "MemoryTokenStore", "CacheTokenStore", "errors", "messages"):
        assert name in dingtalk.__all__
