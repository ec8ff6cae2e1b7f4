"""One class per oapi area, attached to ``DingTalkClient`` (``client.users.get_user(...)``)."""

from .auth import AuthAPI
from .base import BaseAPI
from .chats import ChatAPI
from .contacts_v2 import ContactsV2API
from .departments import DepartmentAPI
from .users import UserAPI
from .work_notices import WorkNoticeAPI

__all__ = [
    "AuthAPI",
    "BaseAPI",
    "ChatAPI",
    "ContactsV2API",
    "DepartmentAPI",
    "UserAPI",
    "WorkNoticeAPI",
]
