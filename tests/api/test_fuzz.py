"""Schema-driven fuzz of the API: schemathesis generates bodies from /api/openapi.json.

Whatever the body, the reply is JSON in the documented shape, and the only 5xx
statuses are the documented upstream ones (502, 503, 504) — never a 500. The
strategies come from schemathesis, valid bodies and invalid ones (negative
mode: wrong types, missing fields, broken headers); hypothesis runs them per operation (the
schemathesis pytest plugin does not work with this pytest).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from dashboard.api.auth import create_token
from dashboard.api.operations import OPERATION_LIST

UPSTREAM = {502, 503, 504}
MAX_EXAMPLES = 20  # per operation and mode: 18 x 2 x 20 requests in all


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", [op.name for op in OPERATION_LIST])
def test_no_500_and_the_documented_shape(app, sandbox, operation, mode):
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    token = create_token(name="fuzz", scope="send", created_by="admin")[1]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    api_operation = schema["/api/dingtalkserve/" + operation]["POST"]

    @given(case=api_operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        # identity: the WSGI transport does not undo the gzip Flask-Compress applies
        response = case.call(
            headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        )
        assert response.status_code < 500 or response.status_code in UPSTREAM, response.text
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("success"), bool)
        if body["success"]:
            assert response.status_code == 200 and isinstance(body["data"], dict)
        else:
            assert response.status_code >= 400 and isinstance(body["msg"], str) and body["msg"]
        assert token not in response.text

    fuzz()
