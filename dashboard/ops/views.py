"""`/healthz`: the process answers. `/readyz` lives with the deployment work."""

from flask import jsonify

from dashboard.ops import bp


@bp.route("/healthz")
def healthz():
    return jsonify(status="ok")
