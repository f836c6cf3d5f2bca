#!/usr/bin/env bash
# `make load`: a fresh database holding the demo program, the portal under gunicorn (its own
# gunicorn.conf.py) on a free loopback port, locust headless against it, then the report
# (errors, p50/p95 per journey and per request). Nothing listens beyond 127.0.0.1.
#
#   ENGINE=sqlite|postgresql  USERS=20  DURATION=5m  (PostgreSQL: PG_URL, PG_DB; the database
#   PG_DB is dropped and made afresh, then dropped again at the end)
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=${ENGINE:-sqlite}
USERS=${USERS:-20}
DURATION=${DURATION:-5m}
VENV=${VENV:-.venv}
PG_URL=${PG_URL:-postgresql://postgres@127.0.0.1:5432}
PG_DB=${PG_DB:-lead_load}
WORK=$(mktemp -d /tmp/lead-load.XXXXXX)
GUNICORN_PID=""

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

finish() {
  if [ -n "$GUNICORN_PID" ]; then
    kill "$GUNICORN_PID" 2>/dev/null || true
    wait "$GUNICORN_PID" 2>/dev/null || true
  fi
  if [ "$ENGINE" = postgresql ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap finish EXIT

case "$ENGINE" in
  sqlite)
    export DATABASE_URL="sqlite:///$WORK/portal.db" ;;
  postgresql)
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
    export DATABASE_URL="$PG_URL/$PG_DB" ;;
  *)
    echo "ENGINE must be sqlite or postgresql" >&2; exit 2 ;;
esac

SECRET_KEY=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
# Twenty users sign in from one address: the sign-in limits would refuse most of them.
export RATELIMIT_ENABLED=0
FLASK="$VENV/bin/flask --app portal"

echo "== a fresh $ENGINE database with the demo program"
$FLASK db upgrade >/dev/null 2>&1
$FLASK demo >/dev/null
# Places on every service for the whole run: a full service refuses an assignment (422) by
# design, and five minutes of case managers would fill the demo's few places.
"$VENV/bin/python" - <<'PY'
from sqlalchemy import update

from portal import create_app
from portal.extensions import db
from portal.models import Service

with create_app().app_context():
    db.session.execute(
        update(Service).values(
            capacity_available=Service.capacity_available + 100_000,
            capacity_max=Service.capacity_max + 100_000,
        )
    )
    db.session.commit()
PY

PORT=$(free_port)
echo "== gunicorn on 127.0.0.1:$PORT (gunicorn.conf.py)"
PORT=$PORT BIND="127.0.0.1:$PORT" "$VENV/bin/gunicorn" --config gunicorn.conf.py wsgi:app \
  >"$WORK/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null

echo "== locust: $USERS users for $DURATION"
"$VENV/bin/locust" -f bench/locustfile.py --headless --only-summary \
  --host "http://127.0.0.1:$PORT" -u "$USERS" -r 2 -t "$DURATION" \
  --csv "$WORK/load" --loglevel WARNING >"$WORK/locust.log" 2>&1 || true

echo "== $ENGINE, $USERS users, $DURATION"
echo "gunicorn: $(grep -c 'WORKER TIMEOUT' "$WORK/gunicorn.log" || true) worker timeouts," \
  "$(grep -c '\[ERROR\]' "$WORK/gunicorn.log" || true) errors logged"
"$VENV/bin/python" bench/load_report.py "$WORK/load"
