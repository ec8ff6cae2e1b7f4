#!/usr/bin/env bash
# `make run`: the sandbox emulator plus the dashboard under gunicorn, wired together.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
SANDBOX_PORT=${SANDBOX_PORT:-5001}
INSTANCE=${DASHBOARD_INSTANCE_PATH:-instance}
mkdir -p "$INSTANCE"
# One process is plenty for a demo, and it keeps the per-process rate budget honest
# against the sandbox (several hosts or workers share one through Redis: docs/deploy.md).
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-1}

# One set of credentials for both sides: the sandbox accepts what the dashboard sends.
export DINGTALK_API_BASE=${DINGTALK_API_BASE:-http://127.0.0.1:$SANDBOX_PORT}
export DINGTALK_APP_KEY=${DINGTALK_APP_KEY:-dingsandboxkey}
export DINGTALK_APP_SECRET=${DINGTALK_APP_SECRET:-sandbox-secret}
export DINGTALK_AGENT_ID=${DINGTALK_AGENT_ID:-100001}
export DASHBOARD_ADMIN_USERNAME=${DASHBOARD_ADMIN_USERNAME:-admin}
if [ -z "${DASHBOARD_ADMIN_PASSWORD:-}" ]; then
  [ -s "$INSTANCE/demo_password" ] || "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(9))" > "$INSTANCE/demo_password"
  DASHBOARD_ADMIN_PASSWORD=$(cat "$INSTANCE/demo_password")
  export DASHBOARD_ADMIN_PASSWORD
fi

"$VENV/bin/python" -m dashboard.sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" > "$INSTANCE/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT INT TERM

"$VENV/bin/flask" --app app db upgrade > "$INSTANCE/migrate.log" 2>&1 || { cat "$INSTANCE/migrate.log"; exit 1; }

cat <<MSG

  DingTalk Console (on the built-in sandbox at $DINGTALK_API_BASE)
  Open:      http://$HOST:$PORT/
  Sign in:   $DASHBOARD_ADMIN_USERNAME / $DASHBOARD_ADMIN_PASSWORD
  Stop:      Ctrl+C

MSG
# exec would lose the trap that stops the sandbox; run gunicorn as a child instead.
"$VENV/bin/gunicorn" -c gunicorn.conf.py --bind "$HOST:$PORT" app:app
