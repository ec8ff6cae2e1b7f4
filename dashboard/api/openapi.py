"""OpenAPI 3 description of the API and curl examples, generated from the operations table."""

from __future__ import annotations

import json
import shlex
from typing import Any

from dashboard.api.fields import STRING_MAX, Field
from dashboard.api.operations import OPERATION_LIST, RECIPIENTS_MESSAGE, Operation

PLACEHOLDER_TOKEN = "$DINGTALK_API_TOKEN"
RESPONSES = {
    "400": "A required field is missing or invalid (`msg` says which), or DingTalk rejected a parameter.",
    "401": "No API token, or an unknown or revoked one.",
    "403": "A read-only token on a sending operation, or DingTalk refused the app (permission).",
    "404": "Unknown operation, DingTalk does not know the id, or (sendStatus) no such send.",
    "429": "Too many requests for this token; wait `Retry-After` seconds.",
    "502": "DingTalk failed: unreachable, a non-JSON or non-200 reply, or it refused the app's credentials.",
    "503": "DingTalk is throttling (wait `Retry-After` seconds), or DingTalk is not configured.",
    "504": "DingTalk did not answer in time (for a send, it may still have been delivered).",
}


def field_schema(f: Field, *, form: bool = False) -> dict[str, Any]:
    """JSON Schema of one field (form bodies carry strings, so ids and flags may be text)."""
    description = str(f.description)
    if f.required:
        description += f" Missing: “{f.required}”."
    schema: dict[str, Any]
    if f.kind == "integer":
        schema = {"type": "integer"}
        if f.minimum is not None:
            schema["minimum"] = f.minimum
        if f.maximum is not None:
            schema["maximum"] = f.maximum
    elif f.kind == "boolean":
        schema = {"oneOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}]}
    elif f.kind == "idlist":
        text = {"type": "string", "description": "comma separated"}
        schema = text if form else {"oneOf": [{"type": "array", "items": {"type": "string"}}, text]}
    elif f.kind == "object":
        text = {"type": "string", "description": "a JSON object"}
        values = {"type": "object", "additionalProperties": {"type": "string"}}
        schema = text if form else {"oneOf": [values, text]}
    elif f.kind == "message":
        text = {"type": "string", "minLength": 1, "maxLength": 2000}
        schema = text if form else {"oneOf": [text, {"type": "object", "required": ["msgtype"]}]}
    else:
        schema = {"type": "string", "minLength": 1, "maxLength": STRING_MAX}
        if f.choices:
            schema = {"type": "string", "enum": list(f.choices)}
    if f.example is not None:
        schema["example"] = f.example
    schema["description"] = description
    return schema


def body_schema(op: Operation, *, form: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {f.name: field_schema(f, form=form) for f in op.fields},
    }
    schema["properties"]["corpid"] = {
        "type": "string",
        "maxLength": 64,
        "description": "ISV mode only: the authorised company to act for "
        "(ignored for an internal app).",
    }
    required = [f.name for f in op.fields if f.required]
    if required:
        schema["required"] = required
    if op.name == "asyncsend_v2":
        schema["description"] = (
            f"One of userid_list, dept_id_list, to_all_user: “{RECIPIENTS_MESSAGE}”."
        )
    return schema


def reply_schemas() -> dict[str, Any]:
    return {
        "Success": {
            "type": "object",
            "required": ["success", "data"],
            "properties": {
                "success": {"type": "boolean", "enum": [True]},
                "data": {"type": "object", "description": "DingTalk's JSON body (errcode 0)."},
            },
        },
        "Failure": {
            "type": "object",
            "required": ["success", "msg"],
            "properties": {
                "success": {"type": "boolean", "enum": [False]},
                "msg": {"type": "string"},
                "errcode": {
                    "type": ["integer", "null"],
                    "description": "DingTalk's errcode, when it answered one.",
                },
                "data": {
                    "type": ["object", "null"],
                    "description": "DingTalk's error body, when there is one.",
                },
            },
        },
    }


def operation_spec(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "DingTalk's reply.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Success"}}},
        }
    }
    for code, description in RESPONSES.items():
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Failure"}}},
        }
        if code in ("429", "503"):
            responses[code]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    for code, (description, data) in op.replies.items():
        schema = {
            "type": "object",
            "required": ["success", "data"],
            "properties": {"success": {"type": "boolean", "enum": [True]}, "data": data},
        }
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    return {
        "operationId": op.name,
        "summary": str(op.summary),
        "description": f"DingTalk: `{op.oapi}`. Scope: `{op.scope}`.",
        "tags": ["send" if op.sends else "read"],
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": body_schema(op)},
                "application/x-www-form-urlencoded": {"schema": body_schema(op, form=True)},
            },
        },
        "responses": responses,
    }


def build_openapi(server_url: str) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "DingTalk Console API",
            "version": "1",
            "description": (
                "Compatible with the original Koa service's /api/dingtalkserve/* operations: "
                "same names, fields, messages and reply shape. Authenticate with "
                "`Authorization: Bearer <token>` (create tokens under /api/tokens)."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            f"/api/dingtalkserve/{op.name}": {"post": operation_spec(op)} for op in OPERATION_LIST
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": reply_schemas(),
        },
    }


def example_body(op: Operation) -> dict[str, Any]:
    """A request body with every required field (from the fields' examples)."""
    body = {f.name: f.example for f in op.fields if f.required and f.example is not None}
    for f in op.fields:
        if f.required and f.name not in body:
            body[f.name] = "..."
    if op.name == "asyncsend_v2":
        body = {"userid_list": "u0001,u0002", **body}
    return body


def curl_example(op: Operation, base_url: str) -> str:
    """A curl command for the operation with a placeholder token, never a real one."""
    body = json.dumps(example_body(op), ensure_ascii=False)
    return (
        f"curl -X POST {shlex.quote(base_url + '/api/dingtalkserve/' + op.name)} \\\n"
        f'  -H "Authorization: Bearer {PLACEHOLDER_TOKEN}" \\\n'
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )
