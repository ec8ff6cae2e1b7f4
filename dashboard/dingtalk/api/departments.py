"""Departments (classic ``department/*`` GET endpoints)."""

from __future__ import annotations

import json
from typing import Any

from .base import BaseAPI, JSONDict, as_bool_param


class DepartmentAPI(BaseAPI):
    """``client.departments``."""

    def list_sub_department_ids(self, dept_id: int) -> JSONDict:
        """GET /department/list_ids?id=: direct child ids in ``sub_dept_id_list``."""
        return self._get("/department/list_ids", {"id": dept_id})

    def list_departments(
        self, dept_id: int = 1, *, lang: str | None = None, fetch_child: bool | None = None
    ) -> JSONDict:
        """GET /department/list?id=&lang=&fetch_child=: sub-departments in ``department``."""
        return self._get(
            "/department/list",
            {"id": dept_id, "lang": lang, "fetch_child": as_bool_param(fetch_child)},
        )

    def get_department(self, dept_id: int, *, lang: str | None = None) -> JSONDict:
        """GET /department/get?id=&lang=: one department's details."""
        return self._get("/department/get", {"id": dept_id, "lang": lang})

    def list_parent_ids_by_department(self, dept_id: int) -> JSONDict:
        """GET /department/list_parent_depts_by_dept?id=: ``parentIds``, self first, root last."""
        return self._get("/department/list_parent_depts_by_dept", {"id": dept_id})

    def list_parent_paths_by_user(self, userid: str) -> JSONDict:
        """GET /department/list_parent_depts?userId=: one path to the root per department.

        ``department`` is returned as a list of id lists. The Java SDK types it as a
        String, so a JSON string (``"[[456,123,1],[789,1]]"``) is decoded here.
        """
        reply = self._get("/department/list_parent_depts", {"userId": userid})
        if isinstance(reply.get("department"), str):
            reply["department"] = decode_json_string(reply["department"])
        return reply


def decode_json_string(value: str) -> Any:
    """A JSON-looking string field decoded (as the Java SDK does); else returned unchanged."""
    text = value.strip()
    if not text.startswith(("[", "{")):
        return value
    try:
        return json.loads(text)
    except ValueError:
        return value
