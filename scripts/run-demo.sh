#!/usr/bin/env bash
# `make run`: the sandbox emulator plus the dashboard under gunicorn, wired together.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
SANDBOX_PORT=${SANDBOX_PORT:-5001}
mkdir -p instance

export DINGTALK_API_BASE=${DINGTALK_API_BASE:-http://127.0.0.1:$SANDBOX_PORT}
export DASHBOARD_ADMIN_USERNAME=${DASHBOARD_ADMIN_USERNAME:-admin}
if [ -z "${DASHBOARD_ADMIN_PASSWORD:-}" ]; then
  [ -s instance/demo_password ] || "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(9))" > instance/demo_password
  DASHBOARD_ADMIN_PASSWORD=$(cat instance/demo_password)
  export DASHBOARD_ADMIN_PASSWORD
fi

"$VENV/bin/python" -m dashboard.sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" > instance/sandbox.log 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT INT TERM

"$VENV/bin/flask" --app app db upgrade > instance/migrate.log 2>&1 || { cat instance/migrate.log; exit 1; }

cat <<MSG

  DingTalk Console (on the built-in sandbox at $DINGTALK_API_BASE)
  Open:      http://$HOST:$PORT/
  Sign in:   $DASHBOARD_ADMIN_USERNAME / $DASHBOARD_ADMIN_PASSWORD
  Stop:      Ctrl+C

MSG
"$VENV/bin/gunicorn" -c gunicorn.conf.py --bind "$HOST:$PORT" app:app
