"""What an admin sees across pages: the right Chinese word for each thing, names instead of
ids, one date format in Asia/Shanghai, a favicon, and layouts that hold on a phone."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import refresh

from dashboard.chats.models import Chat, ChatMessage
from dashboard.extensions import db
from dashboard.i18n import translation_directories

MEMBERS = "u0001, u0002, u0003"
CHAT_SETTINGS = {
    key: "0"
    for key in (
        "showHistoryType",
        "searchable",
        "validationType",
        "mentionAllAuthority",
        "managementType",
        "chatBannedType",
    )
}


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


@pytest.fixture
def chat(signed_in) -> Chat:
    data = {"name": "发布应急群", "owner": "u0001", "useridlist": MEMBERS, **CHAT_SETTINGS}
    assert signed_in.post("/chats/new", data=data).status_code == 302
    return db.session.execute(db.select(Chat)).scalar_one()


def test_no_english_string_has_two_chinese_translations():
    """Every catalog merges into one: a second translation of the same msgid silently
    replaces the first on every page (a chat's owner shown as 部门负责人)."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for directory in translation_directories():
        po_path = directory / "zh" / "LC_MESSAGES" / "messages.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as f:
            for message in read_po(f):
                if not message.id or not message.string:
                    continue
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                # A context (pgettext) makes a different message: "Owner" of a role and of a chat.
                key = f"{message.context}\x04{msgid}" if message.context else msgid
                text = str(message.string)
                if key in seen and seen[key][0] != text:
                    clashes.append(
                        f"{key!r}: {seen[key][1]} {seen[key][0]!r} vs {po_path} {text!r}"
                    )
                seen.setdefault(key, (text, str(po_path)))
    assert not clashes, "\n".join(clashes)


def test_chat_pages_say_chat_name_and_owner_in_chinese(signed_in, chat):
    listing = signed_in.get("/chats/").get_data(as_text=True)
    assert "<th>群名称</th><th>群主</th>" in listing
    shown = re.sub(r"<script\b.*?</script>", "", listing, flags=re.S)  # the words on the page
    assert "部门负责人" not in shown and "姓名" not in shown

    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert '<dt class="col-sm-4">群主</dt>' in page
    assert "部门负责人" not in page


def test_chat_breadcrumb_names_the_chat_not_its_id(signed_in, chat):
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    crumb = re.search(r'<li class="breadcrumb-item active"[^>]*>(.*?)</li>', page, re.S).group(1)
    assert crumb.strip() == "发布应急群"


def test_chat_messages_show_the_type_in_words_and_shanghai_time(signed_in, chat, app):
    data = {"msgtype": "markdown", "markdown_title": "发布清单", "markdown_text": "## 清单"}
    assert signed_in.post(f"/chats/{chat.chatid}", data=data).status_code == 302
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    message.sent_at = datetime(2026, 3, 1, 1, 30, 5)  # stored in UTC
    db.session.commit()

    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    row = re.search(r'<table[^>]*id="chat-messages".*?</table>', page, re.S).group(0)
    assert "2026-03-01 09:30:05" in row  # UTC+8, the same format as send history
    assert re.search(r'<span class="badge[^"]*" title="markdown">Markdown</span>', row)

    data = {"msgtype": "text", "msg": "今晚 20:00 发布"}
    assert signed_in.post(f"/chats/{chat.chatid}", data=data).status_code == 302
    text_row = re.search(
        r'title="text">([^<]*)</span>',
        signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True),
    )
    assert text_row.group(1) == "文本"

    read = signed_in.get(f"/chats/{chat.chatid}/messages/{message.id}").get_data(as_text=True)
    assert 'title="markdown">Markdown</span>' in read
    assert "2026-03-01 09:30:05" in read


def test_department_page_names_the_owner_and_the_name_column(signed_in):
    page = signed_in.get("/departments/2").get_data(as_text=True)
    assert '<dt class="col-sm-5">部门负责人</dt>' in page
    assert "<th>姓名</th>" in page


def test_api_token_form_asks_for_a_name_not_a_persons_name(signed_in):
    page = signed_in.get("/api/tokens").get_data(as_text=True)
    label = re.search(r'<label class="form-label" for="name">(.*?)</label>', page).group(1)
    assert label == "令牌名称"


def test_every_page_links_the_favicon(client, signed_in):
    page = signed_in.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200
    assert b"<svg" in icon.get_data()


def test_user_page_has_a_placeholder_for_an_avatar_that_cannot_load(signed_in):
    page = signed_in.get("/users/u0001").get_data(as_text=True)
    assert re.search(r"<img [^>]*data-avatar", page)
    assert re.search(r'<i class="bi bi-person-circle[^"]*" id="avatar-placeholder"\s+hidden', page)


def test_a_field_given_mb_0_loses_the_default_bottom_margin(signed_in):
    """Bootstrap's mb-3 comes after mb-0 and both are !important: the button beside the
    chatid field sat lower than the field."""
    page = signed_in.get("/chats/").get_data(as_text=True)
    wrapper = re.search(r'<div class="([^"]*)">\s*<label class="form-label" for="chatid"', page)
    assert wrapper.group(1).split() == ["mb-0"]


class _TableParents(HTMLParser):
    """The classes of the element that directly holds each <table>, whatever the layout."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.parents: list[set[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.parents.append(set((self.stack[-1] if self.stack else "").split()))
        if tag not in self.VOID:
            self.stack.append(dict(attrs).get("class") or "")

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()


def table_parents(page: str) -> list[set[str]]:
    parser = _TableParents()
    parser.feed(page)
    return parser.parents


def test_api_docs_tables_scroll_on_a_phone_instead_of_the_page(signed_in):
    page = signed_in.get("/api/docs").get_data(as_text=True)
    parents = table_parents(page)
    assert parents, "the API docs have tables"
    assert all("table-responsive" in classes for classes in parents), parents
    assert "<title>JSON 接口 · 钉钉管理控制台</title>" in page


def picker_config(page: str) -> dict:
    blob = re.search(
        r'<script type="application/json" id="picker-config">(.*?)</script>', page, re.S
    )
    return json.loads(blob.group(1))


def test_the_pickers_words_come_from_the_catalogs_and_their_separators_from_the_server(
    signed_in,
):
    from dashboard.composer.recipients import SEPARATORS

    config = picker_config(signed_in.get("/notifications/new").get_data(as_text=True))
    assert config["separators"] == SEPARATORS.pattern
    typed = "u1、u2；u3, u4 u5"
    assert re.compile(config["separators"]).split(typed) == ["u1", "u2", "u3", "u4", "u5"]
    words = config["strings"]
    assert words["failed"] == "搜索失败，请稍后再试"
    assert words["no_company"] == "请先在切换器中选择企业。"
    assert words["remove"] == "移除 {name}" and words["results"] == "{n} 条结果"

    signed_in.post("/lang/en")
    refresh()
    words = picker_config(signed_in.get("/chats/new").get_data(as_text=True))["strings"]
    assert words["no_company"] == "Choose a company in the switcher first."
    assert words["selected"] == "Selected: {name}"


STATIC_JS = Path(__file__).resolve().parents[2] / "static/js"
#: What a script shows a person: text, placeholders, labels and titles.
SHOWN = re.compile(
    r"""(?:\.(?:textContent|innerText|placeholder|title|alt)\s*=\s*"""
    r"""|setAttribute\(\s*["'](?:aria-label|title|placeholder|alt)["']\s*,\s*)(["'`])"""
)


def script_code(name: str) -> str:
    """The script without its comments (comments may be in English)."""
    source = (STATIC_JS / name).read_text()
    return re.sub(r"/\*.*?\*/", "", re.sub(r"(?m)^\s*//[^\n]*|\s//[^\n]*", "", source), flags=re.S)


@pytest.mark.parametrize("name", ["picker.js", "tree.js"])
def test_the_directory_scripts_have_no_words_of_their_own(name):
    """Every word they show comes from the page (the catalogs), in the UI language."""
    code = script_code(name)
    assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", code)
    assert not re.search(r"\\u(?:3001|ff0c|ff1b)", code, re.I), "a copy of the separators"
    assert not SHOWN.search(code), f"a literal shown to the user in {name}"
    assert not re.search(r"""["'`][A-Z][a-z]+ [a-z]+""", code), f"an English sentence in {name}"


def test_tree_js_inserts_the_servers_nodes_instead_of_building_its_own():
    """A department node exists once, in directory/_tree_node.html (its JS copy had drifted
    to "1 people"): tree.js makes no links, toggles or badges, only a status line."""
    code = script_code("tree.js")
    assert set(re.findall(r"""createElement\(\s*["'](\w+)["']""", code)) <= {"li"}
    assert not re.search(r"""className\s*=\s*["'`][^"'`]*tree-(?:node|link|toggle)""", code)
