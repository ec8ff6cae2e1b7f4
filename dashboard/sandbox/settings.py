"""Every knob of the emulator in one dataclass.

Behaviour the reference marks "(unverified)" is a setting here, so tests on
either side can pin the variant they rely on. `SandboxSettings()` holds the
documented defaults; `SandboxSettings.from_env()` overlays `DINGTALK_*`
credentials and `SANDBOX_<FIELD>` values from the environment. Every field can
also be changed at runtime through `POST /_sandbox/knobs`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_type_hints

DEFAULT_APP_KEY = "dingsandboxkey"
DEFAULT_APP_SECRET = "sandbox-secret"
DEFAULT_CORP_ID = "dingsandboxcorp"
DEFAULT_CORP_SECRET = "sandbox-corp-secret"
DEFAULT_AGENT_ID = 100001

# Credential fields that also read the client's own environment variable names.
CREDENTIAL_ENV = {
    "app_key": "DINGTALK_APP_KEY",
    "app_secret": "DINGTALK_APP_SECRET",
    "corp_id": "DINGTALK_CORP_ID",
    "corp_secret": "DINGTALK_CORP_SECRET",
    "agent_id": "DINGTALK_AGENT_ID",
}

DEFAULT_AUTH_USER_FIELDS = (
    "jobnumber",
    "isLeader",
    "name",
    "position",
    "isAdmin",
    "avatar",
    "department",
    "userid",
    "deviceId",
    "isHide",
)


@dataclass
class SandboxSettings:
    """Credentials, limits, protocol variants and timing of the emulator."""

    # Credentials (sandbox test values, never real ones).
    app_key: str = DEFAULT_APP_KEY
    app_secret: str = DEFAULT_APP_SECRET
    corp_id: str = DEFAULT_CORP_ID
    corp_secret: str = DEFAULT_CORP_SECRET
    agent_id: int = DEFAULT_AGENT_ID

    # Tokens (§0.2, §1).
    token_ttl: int = 7200
    expired_token_errcode: int = 40014  # 42001 is the other documented answer
    ip_allowlist: tuple[str, ...] = ()  # empty = any caller IP; else 60020 on gettoken

    # Envelopes (§0.1, §12.2).
    wrap_topapi_errors: bool = True
    topapi_wrapped_codes: tuple[int, ...] = (40014, 42001, 40001, 33001, 41001, 60011, 43007)
    enforce_http_method: bool = False  # unverified: 43001/43002 on a wrong verb
    enforce_content_type: bool = True  # classic POST needs application/json (43004)
    # unverified (§0.1, Unverified 4): body fields of a POST endpoint given in the query
    # string instead. Off: the query carries only access_token and the ISV signature.
    query_params_on_post: bool = False
    # §2.1 types userid_list/dept_id_list as comma-separated strings and §6.1 useridlist
    # as a JSON array; on, either shape is accepted for each.
    loose_id_lists: bool = False

    # Work notices (§2).
    userid_list_max: int = 100  # unverified: the Java SDK allows 5000
    dept_id_list_max: int = 20  # unverified: the Java SDK allows 500
    msg_max_bytes: int = 2048
    daily_per_user_cap: int = 500
    isv_daily_per_user_cap: int = 100  # unverified: older tables say 50 (143205)
    to_all_user_daily_max: int = 3
    to_all_user_forbidden_code: str = "143105"
    task_retention_seconds: int = 86400  # unverified: 24 h vs 7 days
    unknown_task_errcode: int = 400002  # unverified
    recall_window_seconds: int = 86400
    status_bar_window_seconds: int = 7 * 86400
    task_start_delay: float = 1.0  # seconds at status 0
    task_duration: float = 4.0  # seconds from status 1 to status 2
    notice_read_ratio: float = 0.8  # share of recipients who eventually read
    notice_read_spread: float = 3600.0  # reads spread over this many seconds after delivery

    # Contacts (§3-5).
    fetch_child_default: bool = True  # unverified
    list_includes_self: bool = False  # unverified: department/list returns the queried dept
    listbypage_size_max: int = 100
    scope_authed_dept: tuple[int, ...] = (1,)
    scope_authed_user: tuple[str, ...] = ()
    scope_auth_user_field: tuple[str, ...] = DEFAULT_AUTH_USER_FIELDS

    # Chats (§6).
    chat_name_max: int = 20
    chat_create_members_max: int = 40
    chat_members_max: int = 1000
    read_list_size_max: int = 100
    read_list_stuck: bool = False  # getReadList returns the same cursor again
    unknown_chat_errcode: int = 60121  # unverified: generic not-found
    chat_read_ratio: float = 0.9
    chat_read_spread: float = 600.0

    # Rate limits (§10).
    qps_limit: int = 40  # per (app, API), sliding 1 s window -> 90018 (0 = off)
    qpm_limit: int = 1500  # per (app, API), sliding 60 s window -> 90006 (0 = off)
    global_limit: int = 0  # all apps on one API per global_window -> 90002 (0 = off)
    global_window: float = 60.0
    ip_limit: int = 10000  # calls per ip_window from one IP before a ban (0 = off)
    ip_window: float = 20.0
    ip_ban_seconds: float = 300.0
    ip_ban: bool = False  # force the IP-ban reply on every oapi call
    ip_ban_style: str = "x5"  # "x5" (deny JSON object) or "html" (block page)

    # ISV (§7): reserved for the isv module.
    isv_token_refetch_new: bool = True  # get_corp_token re-fetch returns a new token
    isv_old_token_valid: bool = True  # unverified: the previous ISV token keeps working

    # The v1.0 host (shared/dingtalk-v1.md; dashboard/sandbox/v1/).
    # §1.4 unverified: a /gettoken token works on v1.0 and a v1.0 token on oapi. Off: each
    # host issues its own token and refuses the other's (InvalidAuthentication / 40014).
    v1_cross_host_tokens: bool = True
    # §0.1 probe: an oapi call with only the v1.0 header -> 88 / sub_code 40000 (off: 41001).
    v1_header_on_oapi_blank: bool = True
    v1_qps_limit: int = 20  # §9 standard edition, per (app, API) -> 403 QpsLimitForAppkeyAndApi
    v1_qps_penalty: float = 1.0  # §9 "penalty ≈1 s": refused for this long after a breach
    v1_qpm_limit: int = 0  # §9 value unverified (0 = off) -> QpmLimitForAppkeyAndApi
    v1_qpm_status: int = 403  # §2.2 unverified
    v1_global_limit: int = 0  # all apps on one API per v1_global_window -> QpsLimitForApi
    v1_global_window: float = 1.0
    v1_monthly_limit: int = 0  # §9 10 000 or 5 000, unverified (0 = off) -> ApiCountLimitForOrg
    v1_retry_after: bool = False  # §2.3 unverified: no Retry-After header is documented
    v1_invalid_version_status: int = 404  # §0.2 unverified: /v1.0/<no product>/... InvalidVersion
    v1_ip_denied_code: str = "Forbidden.AccessDenied.IpNotInWhiteList"  # §2.2 unverified string
    v1_denied_paths: tuple[str, ...] = ()  # 403 AccessTokenPermissionDenied on these paths
    # Robot messages (§3, §4).
    robot_user_ids_max: int = 20  # batchSend, readStatus receivers
    robot_recall_keys_max: int = 20
    robot_msg_param_max_bytes: int = 15000  # groupMessages/send (doc)
    robot_oto_msg_param_max_bytes: int = 15000  # oToMessages/batchSend: unverified, same value
    robot_msg_param_strict: bool = True  # msgParam values must be strings, required keys present
    robot_window_seconds: int = 86400  # read status and recall only within 24 h
    robot_processing_seconds: float = 1.0  # sendStatus PROCESSING this long after a send
    robot_send_status_values: tuple[str, ...] = ("SUCCESS", "PROCESSING", "RECALLED")  # unverified
    robot_read_status_upper: bool = True  # READ/UNREAD (unverified casing); off: read/unread
    robot_read_ratio: float = 0.8
    robot_read_spread: float = 600.0
    robot_user_minute_cap: int = 0  # unverified per-user cap (0 = off) -> flowControlledStaffIdList
    robot_flow_control_code: str = ""  # unverified: e.g. "send.too.fast" answers 400 instead
    robot_flow_controlled_users: tuple[str, ...] = ()  # always flow-controlled (tests)
    robot_filtered_list: bool = False  # SDK-py's filteredStaffIdList in the batchSend reply
    robot_unknown_key_code: str = "invalidParameter.processQueryKey.invalid"  # unverified
    robot_oto_recall_failure: str = "system error"  # §3.3 example value
    robot_group_recall_failure: str = "SYSTEM_ERROR"  # §4.3 example value
    robot_group_read_users: bool = True  # readUsers beside readUserIds (SDK-py only)
    robot_joins_created_groups: bool = True  # unverified: the app's robot joins its API groups
    robot_install_delay: float = 0.0  # §4.4 unverified: a scene group's robot usable after this
    # Cards (§6).
    card_out_track_id_max: int = 64  # unverified
    card_key_max_bytes: int = 100
    card_value_max_bytes: int = 1024
    card_reuse_error: bool = True  # outTrackId reused: param.cardAlreadyExist (else ignored)
    card_templates: tuple[str, ...] = ()  # empty: any template id exists; else only these
    card_unpublished_templates: tuple[str, ...] = ()  # -> param.templateUnpublished
    card_callback_extra_keys: bool = True  # unverified: spaceType, spaceId, userIdType, extension
    card_callback_timeout: float = 2.0
    card_callback_local_only: bool = True  # only call back URLs on this machine
    # Groups (§5).
    group_name_max: int = 20
    group_quota: int = 1000  # unverified -> 500 system.error
    scene_group_title_max: int = 30
    scene_group_members_max: int = 1000
    topapi_scenegroup_create_errcode: int = 0  # §5.3 unverified: closed to new apps (0 = open)

    # The sandbox's own company (read when the sandbox starts): "demo" (15 departments, 150
    # people) or "large" (500 departments, 10,000 people; the snapshot benchmark).
    company: str = "demo"

    # Logging.
    log_requests: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxSettings:
        """Defaults overlaid with DINGTALK_* credentials and SANDBOX_<FIELD> variables."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, var in CREDENTIAL_ENV.items():
            if env.get(var):
                values[name] = env[var]
        for name in knob_names():
            var = f"SANDBOX_{name.upper()}"
            if var in env:
                values[name] = env[var]
        return cls().updated(values)

    def updated(self, values: Mapping[str, Any]) -> SandboxSettings:
        """A copy with `values` applied, each coerced to the field's type.

        Raises KeyError for an unknown field and ValueError for a bad value.
        """
        defaults = SandboxSettings()
        coerced: dict[str, Any] = {}
        for name, value in values.items():
            if name not in knob_names():
                raise KeyError(name)
            coerced[name] = coerce_value(getattr(defaults, name), value, _element_type(name))
        return dataclasses.replace(self, **coerced)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view of every knob."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(self).items()
        }


def knob_names() -> list[str]:
    """Names of the fields that can be set from the environment or at runtime."""
    return [f.name for f in dataclasses.fields(SandboxSettings)]


def _element_type(name: str) -> type:
    """Element type of a tuple field (int or str); str for scalar fields."""
    args = get_args(get_type_hints(SandboxSettings)[name])
    return int if args and args[0] is int else str


def coerce_value(default: Any, value: Any, element: type = str) -> Any:
    """Coerce an env string or JSON value to the type of `default`."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    if isinstance(default, int):
        if isinstance(value, bool):
            raise ValueError(f"not an integer: {value!r}")
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, tuple):
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        else:
            items = list(value)
        return tuple(element(i) for i in items)
    if isinstance(default, str):
        return str(value)
    return value
