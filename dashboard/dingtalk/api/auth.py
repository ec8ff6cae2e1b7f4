"""Authorization scope of the app (``auth/scopes``)."""

from __future__ import annotations

from .base import BaseAPI, JSONDict


class AuthAPI(BaseAPI):
    """``client.auth``."""

    def get_scopes(self) -> JSONDict:
        """GET /auth/scopes: the contact fields and departments/users the app may read."""
        return self._get("/auth/scopes")
