#!/usr/bin/env bash
# `make run`: the sandbox emulator plus every process of the Procfile (web, worker, events),
# wired together; Ctrl+C stops them all.
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
# The v1.0 host (api.dingtalk.com) is the same sandbox, by path (/v1.0/...).
export DINGTALK_API_V1_BASE=${DINGTALK_API_V1_BASE:-http://127.0.0.1:$SANDBOX_PORT}
# Where the sandbox calls back card button presses (the console registers its route there).
export DASHBOARD_PUBLIC_URL=${DASHBOARD_PUBLIC_URL:-http://$HOST:$PORT}
export DINGTALK_APP_KEY=${DINGTALK_APP_KEY:-dingsandboxkey}
export DINGTALK_APP_SECRET=${DINGTALK_APP_SECRET:-sandbox-secret}
export DINGTALK_AGENT_ID=${DINGTALK_AGENT_ID:-100001}
# The Procfile's events process keeps a Stream connection to the sandbox's gateway.
export DINGTALK_STREAM_ENABLED=${DINGTALK_STREAM_ENABLED:-1}
export DASHBOARD_ADMIN_USERNAME=${DASHBOARD_ADMIN_USERNAME:-admin}
if [ -z "${DASHBOARD_ADMIN_PASSWORD:-}" ]; then
  [ -s "$INSTANCE/demo_password" ] || "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(9))" > "$INSTANCE/demo_password"
  DASHBOARD_ADMIN_PASSWORD=$(cat "$INSTANCE/demo_password")
  export DASHBOARD_ADMIN_PASSWORD
fi

# DEMO_ISV=1: the console as a third-party suite, with the sandbox's suite and companies.
if [ "${DEMO_ISV:-0}" = 1 ]; then
  [ -s "$INSTANCE/demo_encryption_key" ] || "$VENV/bin/python" -c "import secrets; print(secrets.token_urlsafe(32))" > "$INSTANCE/demo_encryption_key"
  export DINGTALK_SUITE_KEY=${DINGTALK_SUITE_KEY:-suitesandboxkey}
  export DINGTALK_SUITE_SECRET=${DINGTALK_SUITE_SECRET:-suite-sandbox-secret}
  export DINGTALK_SUITE_TICKET=${DINGTALK_SUITE_TICKET:-TestSuiteTicket}
  export DINGTALK_CALLBACK_TOKEN=${DINGTALK_CALLBACK_TOKEN:-sandbox-callback-token}
  export DINGTALK_CALLBACK_AES_KEY=${DINGTALK_CALLBACK_AES_KEY:-c2FuZGJveC1jYWxsYmFjay1hZXMta2V5LTMyYnl0ZXM}
  DASHBOARD_ENCRYPTION_KEY=${DASHBOARD_ENCRYPTION_KEY:-$(cat "$INSTANCE/demo_encryption_key")}
  export DASHBOARD_ENCRYPTION_KEY
fi

# On the way out, TERM the Procfile's processes (the worker finishes its current call,
# still talking to the sandbox), then the sandbox.
pids=()
sandbox_pid=
stop_all() {
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$VENV/bin/python" -m dashboard.sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" > "$INSTANCE/sandbox.log" 2>&1 &
sandbox_pid=$!

"$VENV/bin/flask" --app app db upgrade > "$INSTANCE/migrate.log" 2>&1 || { cat "$INSTANCE/migrate.log"; exit 1; }
# Once more now that the tables exist: the admin is created here, not by web and worker at once.
"$VENV/bin/flask" --app app users list >> "$INSTANCE/migrate.log" 2>&1 || { cat "$INSTANCE/migrate.log"; exit 1; }

cat <<MSG

  DingTalk Console (on the built-in sandbox at $DINGTALK_API_BASE)
  Open:      http://$HOST:$PORT/
  Sign in:   $DASHBOARD_ADMIN_USERNAME / $DASHBOARD_ADMIN_PASSWORD
  Sandbox:   $DINGTALK_API_BASE/_sandbox/v1/ (demo users read robot messages, press card buttons)
  Stop:      Ctrl+C

MSG
# The Procfile is the one list of processes: start each line, its output prefixed by
# its name, with the virtualenv first on PATH (the commands name gunicorn, flask).
export GUNICORN_BIND="$HOST:$PORT"
export PATH="$(cd "$VENV/bin" && pwd):$PATH"
while IFS= read -r line; do
  [[ "$line" =~ ^([A-Za-z0-9_-]+):[[:space:]]*(.+)$ ]] || continue
  name=${BASH_REMATCH[1]} command=${BASH_REMATCH[2]}
  bash -c "exec $command" > >(sed -u "s/^/$(printf '%-6s' "$name") | /") 2>&1 &
  pids+=($!)
done < Procfile

if [ "${DEMO_ISV:-0}" = 1 ]; then
  # As DingTalk would: push the suite ticket and both demo companies' authorisations
  # to the console's encrypted callback.
  "$VENV/bin/python" - "http://$HOST:$PORT" "http://127.0.0.1:$SANDBOX_PORT" <<'PY'
import sys, time
import requests
from dashboard.sandbox.isv import IsvSandboxControl

console, sandbox = sys.argv[1], sys.argv[2]
for _ in range(150):
    try:
        if requests.get(console + "/healthz", timeout=1).ok:
            break
    except requests.RequestException:
        time.sleep(0.2)
isv = IsvSandboxControl(sandbox)
isv.push_ticket(console + "/isv/callback")
for corp in ("dingisvcorpa", "dingisvcorpb"):
    isv.push_event(console + "/isv/callback", {"EventType": "tmp_auth_code", "AuthCorpId": corp})
print("  ISV mode: the suite ticket and two authorised companies were pushed; pick one at the top.")
PY
fi
# Until any of them stops (or Ctrl+C); the EXIT trap stops the others.
wait -n "${pids[@]}"
