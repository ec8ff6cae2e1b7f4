"""Group chats: create, inspect, message, read lists."""

from flask import Blueprint

bp = Blueprint("chats", __name__)

from dashboard.chats import views  # noqa: E402,F401
