"""Rules of the v1.0 package: one transport touches HTTP; every path is a v1.0 path."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import dashboard.dingtalk.v1 as v1

PACKAGE_DIR = Path(v1.__file__).parent
AREAS = ("robot", "group_messages", "cards", "groups", "card_callbacks", "msgkeys", "base")


def test_only_the_transport_and_tokens_speak_http():
    for name in AREAS:
        source = (PACKAGE_DIR / f"{name}.py").read_text(encoding="utf-8")
        roots = {
            alias.name.split(".")[0]
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "requests" not in roots, name
        assert "session" not in source, name


def test_every_path_constant_is_a_v1_path_with_the_reference_casing():
    paths = {}
    for name in ("robot", "group_messages", "cards", "groups", "tokens"):
        module = importlib.import_module(f"dashboard.dingtalk.v1.{name}")
        for attr, value in vars(module).items():
            if attr.isupper() and isinstance(value, str) and value.startswith("/"):
                paths[attr] = value
    assert all(path.startswith("/v1.0/") for path in paths.values()), paths
    # §0.2: the case differs between the 1:1 send and the recall.
    assert paths["BATCH_SEND"] == "/v1.0/robot/oToMessages/batchSend"
    assert paths["READ_STATUS"] == "/v1.0/robot/oToMessages/readStatus"
    assert paths["BATCH_RECALL"] == "/v1.0/robot/otoMessages/batchRecall"


def test_public_names_are_exported():
    for name in v1.__all__:
        assert hasattr(v1, name), name
