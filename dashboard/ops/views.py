"""`/healthz`: the process answers. `/readyz`: the database, cache, delivery queue and
its consumer, and the token store answer.

Both are unauthenticated (load balancers and orchestrators call them) and
return JSON that reveals nothing secret.
"""

from flask import jsonify

from dashboard.extensions import limiter
from dashboard.ops import bp
from dashboard.ops.readiness import readiness


@bp.route("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@limiter.exempt
def readyz():
    ready, checks = readiness()
    response = jsonify(status="ready" if ready else "not_ready", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
