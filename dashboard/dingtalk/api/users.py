"""Users (classic ``user/*`` GET endpoints)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import InvalidMessage, PaginationError
from .base import BaseAPI, JSONDict, check_max_pages, check_page_size

LISTBYPAGE_ORDERS = ("entry_asc", "entry_desc", "modify_asc", "modify_desc", "custom")


class UserAPI(BaseAPI):
    """``client.users``."""

    def count_org_users(self, only_active: bool | int | str) -> JSONDict:
        """GET /user/get_org_user_count?onlyActive=: 1 counts activated users only, 0 counts all.

        (One SDK inverts this flag; here ``onlyActive=1`` iff ``only_active``.) The
        strings "0", "1", "false" and "true" mean what they say ("0" is not truthy).
        """
        if isinstance(only_active, str):
            text = only_active.strip().lower()
            if text not in ("0", "1", "false", "true"):
                raise InvalidMessage("onlyActive", "must be 0/1 or true/false")
            only_active = text in ("1", "true")
        return self._get("/user/get_org_user_count", {"onlyActive": 1 if only_active else 0})

    def get_user(self, userid: str, *, lang: str | None = None) -> JSONDict:
        """GET /user/get?userid=&lang=: one user's details."""
        if not userid:
            raise InvalidMessage("userid", "is required")
        return self._get("/user/get", {"userid": userid, "lang": lang})

    def list_department_member_ids(self, dept_id: int) -> JSONDict:
        """GET /user/getDeptMember?deptId=: direct members' ids in ``userIds``."""
        return self._get("/user/getDeptMember", {"deptId": dept_id})

    def list_department_members_page(
        self,
        dept_id: int,
        offset: int,
        size: int,
        *,
        order: str | None = None,
        lang: str | None = None,
    ) -> JSONDict:
        """GET /user/listbypage?department_id=&offset=&size=: one page (size <= 100)."""
        check_page_size(size)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidMessage("offset", "must be a non-negative integer")
        if order is not None and order not in LISTBYPAGE_ORDERS:
            raise InvalidMessage("order", f"must be one of {', '.join(LISTBYPAGE_ORDERS)}")
        return self._get(
            "/user/listbypage",
            {
                "department_id": dept_id,
                "offset": offset,
                "size": size,
                "order": order,
                "lang": lang,
            },
        )

    def iter_department_members(
        self,
        dept_id: int,
        *,
        size: int = 100,
        max_pages: int = 1000,
        order: str | None = None,
        lang: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every user of a department, paging /user/listbypage until ``hasMore`` is false.

        Raises ``PaginationError`` if a page says ``hasMore`` but is empty (the
        offset would not advance) or after ``max_pages`` pages.
        """
        check_page_size(size)
        check_max_pages(max_pages)
        offset = 0
        for _ in range(max_pages):
            page = self.list_department_members_page(dept_id, offset, size, order=order, lang=lang)
            users = page.get("userlist") or []
            yield from users
            if not page.get("hasMore"):
                return
            if not users:
                raise PaginationError(
                    f"/user/listbypage: hasMore is true but the page at offset {offset} is empty; "
                    "the offset would not advance",
                    path="/user/listbypage",
                )
            offset += len(users)
        raise PaginationError(
            f"/user/listbypage: still hasMore after {max_pages} pages (max_pages)",
            path="/user/listbypage",
        )

    def get_userid_by_unionid(self, unionid: str) -> JSONDict:
        """GET /user/getUseridByUnionid?unionid=: ``userid`` and ``contactType``."""
        if not unionid:
            raise InvalidMessage("unionid", "is required")
        return self._get("/user/getUseridByUnionid", {"unionid": unionid})
