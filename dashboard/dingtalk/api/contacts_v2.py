"""Contacts v2 (``topapi/v2/user/*``, ``topapi/v2/department/*``, ``topapi/user/*``).

The current replacements of the classic contacts calls (dingtalk-v1.md §8): all
POST with a JSON body and ``?access_token=``; each reply is the classic envelope
plus ``result`` and ``request_id``, auth errors come wrapped as errcode 88 with a
``sub_code`` (the client classifies by the sub_code). Each method returns the
reply's ``result`` (the ``request_id`` stays in the client's log and on errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import InvalidMessage, InvalidResponse, PaginationError
from .base import BaseAPI, JSONDict, check_max_pages, check_page_size

USER_GET = "/topapi/v2/user/get"
USER_LIST = "/topapi/v2/user/list"
USER_LISTSIMPLE = "/topapi/user/listsimple"
USER_LISTID = "/topapi/user/listid"
USER_COUNT = "/topapi/user/count"
DEPT_LISTSUB = "/topapi/v2/department/listsub"
DEPT_LISTSUBID = "/topapi/v2/department/listsubid"
DEPT_GET = "/topapi/v2/department/get"
DEPT_PARENTS_BY_USER = "/topapi/v2/department/listparentbyuser"
DEPT_PARENTS_BY_DEPT = "/topapi/v2/department/listparentbydept"

ORDER_FIELDS = ("entry_asc", "entry_desc", "modify_asc", "modify_desc", "custom")
LANGUAGES = ("zh_CN", "en_US")
MAX_USERID_LENGTH = 64
MAX_CURSOR = 100000


def _userid(userid: Any) -> str:
    if not isinstance(userid, str) or not userid.strip():
        raise InvalidMessage("userid", "is required")
    if len(userid) > MAX_USERID_LENGTH:
        raise InvalidMessage("userid", f"must be at most {MAX_USERID_LENGTH} characters")
    return userid


def _dept_id(dept_id: Any) -> int:
    if isinstance(dept_id, str) and dept_id.strip().isdigit():
        dept_id = int(dept_id.strip())
    if isinstance(dept_id, bool) or not isinstance(dept_id, int) or dept_id < 1:
        raise InvalidMessage("dept_id", "must be a department id (an integer, 1 or more)")
    return dept_id


def _language(body: JSONDict, language: str | None) -> JSONDict:
    if language is not None:
        if language not in LANGUAGES:
            raise InvalidMessage("language", f"must be one of {', '.join(LANGUAGES)}")
        body["language"] = language
    return body


def _list_body(
    dept_id: Any,
    cursor: Any,
    size: Any,
    order_field: str | None,
    contain_access_limit: bool | None,
    language: str | None,
) -> JSONDict:
    check_page_size(size)
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= MAX_CURSOR:
        raise InvalidMessage("cursor", f"must be an integer from 0 to {MAX_CURSOR}")
    body: JSONDict = {"dept_id": _dept_id(dept_id), "cursor": cursor, "size": size}
    if order_field is not None:
        if order_field not in ORDER_FIELDS:
            raise InvalidMessage("order_field", f"must be one of {', '.join(ORDER_FIELDS)}")
        body["order_field"] = order_field
    if contain_access_limit is not None:
        body["contain_access_limit"] = bool(contain_access_limit)
    return _language(body, language)


class ContactsV2API(BaseAPI):
    """``client.contacts_v2``: the topapi v2 contacts calls, each returning ``result``."""

    def _result(self, path: str, body: JSONDict, kind: type) -> Any:
        reply = self._post(path, body)
        result = reply.get("result")
        if not isinstance(result, kind):
            raise InvalidResponse(f"POST {path}: no {kind.__name__} result in the reply", path=path)
        return result

    # -- users ------------------------------------------------------------------------

    def get_user(self, userid: str, *, language: str | None = None) -> JSONDict:
        """POST /topapi/v2/user/get: one person's details (``dept_id_list``, ``title``...)."""
        body = _language({"userid": _userid(userid)}, language)
        return self._result(USER_GET, body, dict)

    def list_users_page(
        self,
        dept_id: int,
        cursor: int = 0,
        size: int = 100,
        *,
        order_field: str | None = None,
        contain_access_limit: bool | None = None,
        language: str | None = None,
    ) -> JSONDict:
        """POST /topapi/v2/user/list: one page ``{has_more, next_cursor, list}`` (size <= 100)."""
        body = _list_body(dept_id, cursor, size, order_field, contain_access_limit, language)
        return self._result(USER_LIST, body, dict)

    def list_users_simple_page(
        self,
        dept_id: int,
        cursor: int = 0,
        size: int = 100,
        *,
        order_field: str | None = None,
        contain_access_limit: bool | None = None,
        language: str | None = None,
    ) -> JSONDict:
        """POST /topapi/user/listsimple: one page of ``{userid, name}``."""
        body = _list_body(dept_id, cursor, size, order_field, contain_access_limit, language)
        return self._result(USER_LISTSIMPLE, body, dict)

    def iter_users(
        self, dept_id: int, *, size: int = 100, max_pages: int = 1000, **options: Any
    ) -> Iterator[JSONDict]:
        """Every direct member of a department, following ``next_cursor`` until ``has_more``
        is false. Raises ``PaginationError`` when a page says ``has_more`` but its cursor
        does not advance, or after ``max_pages`` pages."""
        yield from self._iter_pages(
            self.list_users_page, USER_LIST, dept_id, size, max_pages, options
        )

    def iter_users_simple(
        self, dept_id: int, *, size: int = 100, max_pages: int = 1000, **options: Any
    ) -> Iterator[JSONDict]:
        """Every direct member's ``{userid, name}`` (listsimple), cursor-paged."""
        yield from self._iter_pages(
            self.list_users_simple_page, USER_LISTSIMPLE, dept_id, size, max_pages, options
        )

    def _iter_pages(self, fetch, path, dept_id, size, max_pages, options) -> Iterator[JSONDict]:
        check_page_size(size)
        check_max_pages(max_pages)
        cursor = 0
        for _ in range(max_pages):
            page = fetch(dept_id, cursor, size, **options)
            yield from page.get("list") or []
            if not page.get("has_more"):
                return
            next_cursor = page.get("next_cursor")
            if isinstance(next_cursor, bool) or not isinstance(next_cursor, int):
                raise PaginationError(f"{path}: has_more without a next_cursor", path=path)
            if next_cursor <= cursor:
                raise PaginationError(
                    f"{path}: next_cursor {next_cursor} does not advance past {cursor}", path=path
                )
            cursor = next_cursor
        raise PaginationError(f"{path}: still has_more after {max_pages} pages", path=path)

    def list_user_ids(self, dept_id: int) -> list[str]:
        """POST /topapi/user/listid: direct members' ids (``result.userid_list``)."""
        result = self._result(USER_LISTID, {"dept_id": _dept_id(dept_id)}, dict)
        return [str(u) for u in result.get("userid_list") or []]

    def count_users(self, only_active: bool) -> int:
        """POST /topapi/user/count: ``only_active`` true counts activated people only."""
        if not isinstance(only_active, bool):
            raise InvalidMessage("only_active", "must be true or false")
        result = self._result(USER_COUNT, {"only_active": only_active}, dict)
        return int(result.get("count") or 0)

    # -- departments -----------------------------------------------------------------

    def list_sub_departments(
        self, dept_id: int = 1, *, language: str | None = None
    ) -> list[JSONDict]:
        """POST /topapi/v2/department/listsub: the direct sub-departments (one level)."""
        body = _language({"dept_id": _dept_id(dept_id)}, language)
        return self._result(DEPT_LISTSUB, body, list)

    def list_sub_department_ids(self, dept_id: int) -> list[int]:
        """POST /topapi/v2/department/listsubid: direct children's ids."""
        result = self._result(DEPT_LISTSUBID, {"dept_id": _dept_id(dept_id)}, dict)
        return [int(d) for d in result.get("dept_id_list") or []]

    def get_department(self, dept_id: int, *, language: str | None = None) -> JSONDict:
        """POST /topapi/v2/department/get: one department (multi-value fields as arrays)."""
        body = _language({"dept_id": _dept_id(dept_id)}, language)
        return self._result(DEPT_GET, body, dict)

    def list_parent_paths_by_user(self, userid: str) -> list[list[int]]:
        """POST /topapi/v2/department/listparentbyuser: one id path (up to root) per
        department the person belongs to."""
        result = self._result(DEPT_PARENTS_BY_USER, {"userid": _userid(userid)}, dict)
        return [
            [int(d) for d in item.get("parent_dept_id_list") or []]
            for item in result.get("parent_list") or []
        ]

    def list_parent_ids_by_department(self, dept_id: int) -> list[int]:
        """POST /topapi/v2/department/listparentbydept: self first, root 1 last."""
        result = self._result(DEPT_PARENTS_BY_DEPT, {"dept_id": _dept_id(dept_id)}, dict)
        return [int(d) for d in result.get("parent_id_list") or []]
