"""Control endpoints under /_sandbox/: state, knobs, faults, time travel, counters.

Only the emulator has these. They are plain JSON (no oapi envelope), are not
counted in the stats, and bypass faults and rate limits. `control.py` wraps
them for tests.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from dashboard.sandbox.routing import get_state

bp = Blueprint("sandbox_admin", __name__)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _bad_request(message: str) -> tuple[Response, int]:
    return jsonify({"ok": False, "error": message}), 400


@bp.get("/state")
def state_view():
    """Credentials (sandbox test values), clock, knobs and pending faults."""
    state = get_state()
    with state.lock:
        settings = state.settings
        return jsonify(
            {
                "app_key": settings.app_key,
                "app_secret": settings.app_secret,
                "corp_id": settings.corp_id,
                "corp_secret": settings.corp_secret,
                "agent_id": settings.agent_id,
                "now": state.clock.now(),
                "clock_offset": state.clock.offset,
                "knobs": settings.as_dict(),
                "faults": state.stats()["faults_pending"],
                "company": {
                    "name": state.company.name,
                    "departments": len(state.company.departments),
                    "users": len(state.company.users),
                },
            }
        )


@bp.post("/reset")
def reset_view():
    """Tokens, tasks, chats, counters, faults, clock and knobs back to the defaults."""
    get_state().reset()
    return jsonify({"ok": True})


@bp.get("/knobs")
def knobs_view():
    """Every runtime knob and its value."""
    state = get_state()
    with state.lock:
        return jsonify(state.settings.as_dict())


@bp.post("/knobs")
def set_knobs_view():
    """Change any SandboxSettings field at runtime; 400 on an unknown name or bad value."""
    state = get_state()
    with state.lock:
        try:
            state.settings = state.settings.updated(_body())
        except KeyError as exc:
            return _bad_request(f"unknown knob {exc.args[0]!r}")
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        return jsonify(state.settings.as_dict())


@bp.post("/revoke_tokens")
def revoke_tokens_view():
    """Forget every issued token; clients then get 40014 and must re-fetch."""
    state = get_state()
    with state.lock:
        return jsonify({"ok": True, "revoked": state.revoke_tokens()})


@bp.post("/faults")
def inject_view():
    """Queue a fault for the next `count` calls (optionally on one `path`)."""
    body = _body()
    state = get_state()
    with state.lock:
        try:
            fault = state.add_fault(
                str(body.get("kind", "")),
                int(body.get("count", 1)),
                body.get("path"),
                body.get("params") or {},
            )
        except (TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        return jsonify({"ok": True, "fault": fault.__dict__})


@bp.delete("/faults")
def clear_faults_view():
    """Drop every pending fault."""
    state = get_state()
    with state.lock:
        state.faults.clear()
    return jsonify({"ok": True})


@bp.post("/advance")
def advance_view():
    """Move the sandbox clock forward by `seconds`."""
    state = get_state()
    try:
        seconds = float(_body().get("seconds", 0))
        with state.lock:
            now = state.clock.advance(seconds)
            offset = state.clock.offset
    except (TypeError, ValueError) as exc:
        return _bad_request(str(exc))
    return jsonify({"ok": True, "now": now, "clock_offset": offset})


@bp.get("/stats")
def stats_view():
    """Calls per path, total, gettoken calls and errors per errcode since the last reset."""
    state = get_state()
    with state.lock:
        return jsonify(state.stats())


@bp.post("/chats/<chatid>/dissolve")
def dissolve_chat_view(chatid: str):
    """Mark a chat dissolved: chat/get then reports status 2."""
    state = get_state()
    with state.lock:
        chat = state.chats.get(chatid)
        if chat is None:
            return jsonify({"ok": False, "error": f"unknown chat {chatid!r}"}), 404
        chat.status = 2
    return jsonify({"ok": True})


@bp.get("/tasks/<int:task_id>")
def task_view(task_id: int):
    """A work-notice task as the emulator stores it (for debugging tests)."""
    state = get_state()
    with state.lock:
        task = state.tasks.get(task_id)
        if task is None:
            return jsonify({"ok": False, "error": f"unknown task {task_id}"}), 404
        status, percent = task.progress(state.clock.now(), state.settings)
        return jsonify(
            {
                "task_id": task.task_id,
                "agent_id": task.agent_id,
                "msg": task.msg,
                "recipients": task.recipients,
                "forbidden": task.forbidden,
                "recalled": task.recalled,
                "status": status,
                "progress_in_percent": percent,
            }
        )
