"""The operations of the original Koa service, as one table.

Each operation names its original field names, the exact Chinese message the
original returned when a required field is missing, its scope (`read` or
`send`) and the call it makes. Parsing, the OpenAPI description and the API
page are all generated from this table, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api import sends
from dashboard.api.fields import INT64_MAX, Field, FieldError, is_missing
from dashboard.api.models import SCOPE_READ, SCOPE_SEND
from dashboard.api.operation import CallContext, Operation
from dashboard.api.replies import SEND_FAILED, ApiReply, failure, work_notice_reply
from dashboard.chats import service as chats
from dashboard.dingtalk.api.users import LISTBYPAGE_ORDERS
from dashboard.groups.api import GROUP_IDS
from dashboard.groups.service import GroupError
from dashboard.msgtemplates.api import PARAMS, TEMPLATE_ID
from dashboard.msgtemplates.sends import prepare_send
from dashboard.msgtemplates.service import TemplateError
from dashboard.notifications.sending import send_work_notice

LANGS = ("zh_CN", "en_US")
#: `Send.source` of the sends made through the API.
API_SOURCE = "api"
RECIPIENTS_MESSAGE = "userid_list,dept_id_list, to_all_user必须有一个不能为空"
OWNER_NOT_MEMBER_MESSAGE = "群主必须为群成员"


# --- calls ------------------------------------------------------------------------------


def _asyncsend_v2(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    """Through the notifications service, so API sends land in the history (token's name).

    One batch (what the original service could send) answers DingTalk's reply once
    the queue has delivered it; more batches answer 202 at once (see dashboard.api.sends).
    """
    try:
        prepared = prepare_send(
            msg=a["msg"],
            template_id=a["template_id"],
            params=a["params"],
            userid_list=a["userid_list"] or [],
            dept_id_list=[int(d) for d in a["dept_id_list"] or []],
            to_all_user=bool(a["to_all_user"]),
            group_ids=[int(g) for g in a["group_ids"] or []],
            when=datetime.now(UTC),
            lang=str(get_locale() or "zh"),
        )
    except (TemplateError, GroupError) as exc:
        raise FieldError(str(exc)) from None
    send = send_work_notice(
        **prepared.send_kwargs(),
        sender=ctx.principal.name,
        source=API_SOURCE,
        api_token_name=ctx.principal.name,
    )
    if len(send.tasks) != 1 or not sends.wait_for_delivery(send, sends.delivery_wait()):
        return ApiReply(202, {"success": True, "data": sends.accepted(send)})
    return work_notice_reply(send)


def _send_status(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    """A send made through the API: its state, counts and tasks, from the record."""
    send = sends.find_api_send(a["send_id"])
    if send is None:
        return failure(404, _("No send %(id)s was made through the API.", id=a["send_id"]))
    from dashboard.notifications.results import progress_for_poll

    progress_for_poll(send)  # a finished send says whom it reached (failed / partial)
    return sends.send_status(send)


def _create_chat(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    """Through the chats service, so API-created chats are remembered like a page's."""
    chat = chats.create_chat(
        name=a["name"],
        owner=a["owner"],
        useridlist=a["useridlist"],
        settings={k: a[k] for k in chats.SETTINGS if a.get(k) is not None},
        created_by=ctx.principal.name,
    )
    return chat.dingtalk_reply


def _chat_send(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    """Through the chats service, so the message is recorded like a page's."""
    message = chats.send_chat_message(chatid=a["chatid"], msg=a["msg"], sender=ctx.principal.name)
    return message.dingtalk_reply


TO_ALL_USER = Field("to_all_user", "boolean", None, _l("Send to the whole company (true/false)."))


def _require_send(values: Mapping[str, Any]) -> None:
    """asyncsend_v2: a recipient (to_all_user counts only when true), then msg."""
    try:
        everyone = bool(TO_ALL_USER.parse(values.get("to_all_user")))
    except FieldError:
        everyone = True  # an unreadable to_all_user is reported by parsing, not as missing
    no_list = all(is_missing(values.get(k)) for k in ("userid_list", "dept_id_list", "group_ids"))
    if no_list and not everyone:
        raise FieldError(RECIPIENTS_MESSAGE)
    if is_missing(values.get("msg")) and is_missing(values.get("template_id")):
        raise FieldError("msg不能为空")


def _check_owner(values: dict[str, Any]) -> None:
    """The owner must be one of the members: an exact id match (the original matched substrings)."""
    if values["owner"] not in values["useridlist"]:
        raise FieldError(OWNER_NOT_MEMBER_MESSAGE)


# --- fields shared by several operations -----------------------------------------------


def _dept_id(message: str, name: str = "id") -> Field:
    return Field(
        name,
        "integer",
        message,
        _l("Department id (the root is 1)."),
        minimum=1,
        maximum=INT64_MAX,
        example=1,
    )


def _lang_of(a: Mapping[str, Any]) -> str:
    """The language DingTalk answers in: zh_CN when none is given (as the directory asks)."""
    return a.get("lang") or "zh_CN"


def _lang() -> Field:
    return Field("lang", "string", None, _l("zh_CN (default) or en_US."), choices=LANGS)


def _task_id() -> Field:
    return Field(
        "task_id",
        "integer",
        "task_id不能为空",
        _l("The task_id returned by asyncsend_v2."),
        minimum=0,
        maximum=INT64_MAX,
        example=123456,
    )


def _page_size(name: str = "size") -> Field:
    return Field(
        name, "integer", "每页数量不能为空", _l("Page size, 1 to 100."), 1, 100, example=100
    )


CLASSIC_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "asyncsend_v2",
        _l("Send a work notification (text) to users, departments or everyone."),
        "POST /topapi/message/corpconversation/asyncsend_v2",
        SCOPE_SEND,
        _asyncsend_v2,
        (
            Field(
                "userid_list",
                "idlist",
                None,
                _l("Userids: an array or a comma-separated string."),
                example="u0001,u0002",
            ),
            Field(
                "dept_id_list",
                "idlist",
                None,
                _l("Department ids: an array or a comma-separated string."),
                numeric_items=True,
            ),
            TO_ALL_USER,
            Field(
                "msg",
                "message",
                "msg不能为空",
                _l("The text to send (or a DingTalk msg object)."),
                example="Hello from the API",
            ),
            GROUP_IDS,
            TEMPLATE_ID,
            PARAMS,
        ),
        requires=_require_send,
        failure_note=SEND_FAILED,
        replies={"202": (sends.ACCEPTED_DESCRIPTION, sends.ACCEPTED_SCHEMA)},
    ),
    Operation(
        "getsendprogress",
        _l("Progress of a work notification task."),
        "POST /topapi/message/corpconversation/getsendprogress",
        SCOPE_READ,
        lambda ctx, a: ctx.client.messages.get_send_progress(a["task_id"]),
        (_task_id(),),
    ),
    Operation(
        "getsendresult",
        _l("Per-recipient result of a work notification task."),
        "POST /topapi/message/corpconversation/getsendresult",
        SCOPE_READ,
        lambda ctx, a: ctx.client.messages.get_send_result(a["task_id"]),
        (_task_id(),),
    ),
    Operation(
        "list_ids",
        _l("Ids of a department's direct sub-departments."),
        "GET /department/list_ids",
        SCOPE_READ,
        lambda ctx, a: ctx.client.departments.list_sub_department_ids(a["id"]),
        (_dept_id("父部门id不能为空"),),
        cache_key=lambda a: ("tree-ids", a["id"]),
    ),
    Operation(
        "list",
        _l("Sub-departments of a department (optionally all descendants)."),
        "GET /department/list",
        SCOPE_READ,
        lambda ctx, a: ctx.client.departments.list_departments(
            a["id"], lang=a["lang"], fetch_child=a["fetch_child"]
        ),
        (
            _dept_id("父部门id不能为空"),
            _lang(),
            Field("fetch_child", "boolean", None, _l("Include all descendants (true/false).")),
        ),
        cache_key=lambda a: (
            None
            if a["fetch_child"] is None
            else ("tree" if a["fetch_child"] else "tree-flat", (a["id"], _lang_of(a)))
        ),
    ),
    Operation(
        "departmentget",
        _l("One department's details."),
        "GET /department/get",
        SCOPE_READ,
        lambda ctx, a: ctx.client.departments.get_department(a["id"], lang=a["lang"]),
        (_dept_id("部门id不能为空"), _lang()),
        cache_key=lambda a: ("dept", (a["id"], _lang_of(a))),
    ),
    Operation(
        "list_parent_depts_by_dept",
        _l("Ids from a department up to the root."),
        "GET /department/list_parent_depts_by_dept",
        SCOPE_READ,
        lambda ctx, a: ctx.client.departments.list_parent_ids_by_department(a["id"]),
        (_dept_id("部门id不能为空"),),
        cache_key=lambda a: ("dept-parents", a["id"]),
    ),
    Operation(
        "list_parent_depts",
        _l("Every department path from a user up to the root."),
        "GET /department/list_parent_depts",
        SCOPE_READ,
        lambda ctx, a: ctx.client.departments.list_parent_paths_by_user(a["userId"]),
        (Field("userId", "string", "用户id不能为空", _l("The userid."), example="u0001"),),
        cache_key=lambda a: ("user-paths", a["userId"]),
    ),
    Operation(
        "get_org_user_count",
        _l("Number of people in the company."),
        "GET /user/get_org_user_count",
        SCOPE_READ,
        lambda ctx, a: ctx.client.users.count_org_users(a["onlyActive"]),
        (
            Field(
                "onlyActive",
                "boolean",
                "激活钉钉状态不能为空",
                _l("1 counts activated users only, 0 counts everyone."),
                example=0,
            ),
        ),
        cache_key=lambda a: ("count", int(bool(a["onlyActive"]))),
    ),
    Operation(
        "userinfo",
        _l("One user's details."),
        "GET /user/get",
        SCOPE_READ,
        lambda ctx, a: ctx.client.users.get_user(a["userid"], lang=a["lang"]),
        (Field("userid", "string", "userid不能为空", _l("The userid."), example="u0001"), _lang()),
        cache_key=lambda a: ("user", (a["userid"], _lang_of(a))),
    ),
    Operation(
        "getDeptMember",
        _l("Userids of a department's direct members."),
        "GET /user/getDeptMember",
        SCOPE_READ,
        lambda ctx, a: ctx.client.users.list_department_member_ids(a["deptId"]),
        (_dept_id("部门id不能为空", "deptId"),),
        cache_key=lambda a: ("dept-member-ids", a["deptId"]),
    ),
    Operation(
        "listbypage",
        _l("One page of a department's members with details."),
        "GET /user/listbypage",
        SCOPE_READ,
        lambda ctx, a: ctx.client.users.list_department_members_page(
            a["department_id"], a["offset"], a["size"], order=a["order"], lang=a["lang"]
        ),
        (
            _dept_id("部门id不能为空", "department_id"),
            Field(
                "offset",
                "integer",
                "偏移量不能为空",
                _l("Offset of the page, from 0."),
                0,
                INT64_MAX,
                example=0,
            ),
            _page_size(),
            Field("order", "string", None, _l("Sort order."), choices=LISTBYPAGE_ORDERS),
            _lang(),
        ),
    ),
    Operation(
        "getUseridByUnionid",
        _l("The userid of a unionid."),
        "GET /user/getUseridByUnionid",
        SCOPE_READ,
        lambda ctx, a: ctx.client.users.get_userid_by_unionid(a["unionid"]),
        (Field("unionid", "string", "unionid不能为空", _l("The unionid.")),),
    ),
    Operation(
        "authScopes",
        _l("The app's authorization scope."),
        "GET /auth/scopes",
        SCOPE_READ,
        lambda ctx, a: ctx.client.auth.get_scopes(),
        cache_key=lambda a: ("scopes", "-"),
    ),
    Operation(
        "createChat",
        _l("Create a group chat; the owner must be a member."),
        "POST /chat/create",
        SCOPE_SEND,
        _create_chat,
        (
            Field(
                "name",
                "string",
                "群名称不能为空",
                _l("Chat name, 1 to 20 characters."),
                example="Project",
            ),
            Field(
                "owner", "string", "群主userid不能为空", _l("Userid of the owner."), example="u0001"
            ),
            Field(
                "useridlist",
                "idlist",
                "群成员不能为空",
                _l("Members: an array or a comma-separated string (at most 40)."),
                example="u0001,u0002",
            ),
            *(
                Field(name, "integer", None, _l("Optional chat setting (0 or 1)."), 0, 1)
                for name in chats.SETTINGS
            ),
        ),
        check=_check_owner,
        failure_note=_l("The chat was not created."),
    ),
    Operation(
        "chatInfo",
        _l("A group chat's details."),
        "GET /chat/get",
        SCOPE_READ,
        lambda ctx, a: ctx.client.chats.get_chat(a["chatid"]),
        (Field("chatid", "string", "群id不能为空", _l("The chatid returned by createChat.")),),
    ),
    Operation(
        "chatSend",
        _l("Send a text message to a group chat."),
        "POST /chat/send",
        SCOPE_SEND,
        _chat_send,
        (
            Field("chatid", "string", "群id不能为空", _l("The chatid returned by createChat.")),
            Field(
                "msg",
                "message",
                "群消息不能为空",
                _l("The text to send (or a DingTalk msg object)."),
                example="Hello",
            ),
        ),
        failure_note=SEND_FAILED,
    ),
    Operation(
        "getReadList",
        _l("Who has read a group chat message, one page at a time."),
        "GET /chat/getReadList",
        SCOPE_READ,
        lambda ctx, a: ctx.client.chats.get_read_list_page(a["messageId"], a["cursor"], a["size"]),
        (
            Field(
                "messageId",
                "string",
                "messageId不能为空",
                _l("The messageId returned by chatSend."),
            ),
            Field(
                "cursor",
                "integer",
                "cursor不能为空",
                _l("0 for the first page, then next_cursor."),
                0,
                INT64_MAX,
                example=0,
            ),
            _page_size(),
        ),
    ),
    # Beyond the original service: how a queued send is going.
    Operation(
        "sendStatus",
        _l(
            "State of a send made through the API: counts of recipients and batches, "
            "and each batch's task."
        ),
        "(no DingTalk call: this console's record of the send)",
        SCOPE_READ,
        _send_status,
        (
            Field(
                "send_id",
                "integer",
                "send_id不能为空",
                _l("The send_id returned by asyncsend_v2."),
                minimum=1,
                maximum=INT64_MAX,
                example=1,
            ),
        ),
        replies={"200": (sends.STATUS_DESCRIPTION, sends.STATUS_SCHEMA)},
    ),
)

#: Modules of the areas built on the classic operations, each exporting `OPERATIONS`
#: (a tuple of `Operation`): schedules, templates, robot messages, audit, ...
AREA_MODULES: tuple[str, ...] = (
    "dashboard.audit.api",
    "dashboard.schedules.api",
    "dashboard.msgtemplates.api",
    "dashboard.groups.api",
    "dashboard.robot.api",
    "dashboard.cards.api",
)

OPERATION_LIST = CLASSIC_OPERATIONS + tuple(
    op for module in AREA_MODULES for op in import_module(module).OPERATIONS
)

OPERATIONS: dict[str, Operation] = {op.name: op for op in OPERATION_LIST}
