#!/usr/bin/env bash
# Two app servers behind nginx, on loopback, as the production shape (deploy/nginx/lead-portal.conf)
# without TLS: nginx in front of gunicorn A and gunicorn B (each on a port of its own), both on one
# PostgreSQL database and one Redis (the sign-in limits). Runs as the current user; the generated
# nginx config, its pid file and logs, and the gunicorn logs stay in DIR.
#
#   deploy/cluster.sh start DIR   DATABASE_URL (PostgreSQL) and RATELIMIT_STORAGE_URI from the
#                                 environment; writes DIR/ports ("proxy a b") once all answer
#   deploy/cluster.sh stop DIR    stops what `start` started (by the pid files in DIR)
#   deploy/cluster.sh             `make cluster`: a fresh PostgreSQL database and the checks of
#                                 tests/integrity/test_cluster.py against a cluster of its own
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

free_ports() {  # N distinct free loopback ports (all held open until each is known)
  "$VENV/bin/python" -c '
import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}

need_nginx() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && return 0
  apt-get install -y nginx >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y nginx >/dev/null)
}

nginx_bin() { command -v nginx 2>/dev/null || echo /usr/sbin/nginx; }

wait_for() {  # URL
  for _ in $(seq 1 80); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "no answer from $1" >&2
  return 1
}

start() {
  local dir=$1
  mkdir -p "$dir"
  : "${DATABASE_URL:?DATABASE_URL must name the shared PostgreSQL database}"
  : "${RATELIMIT_STORAGE_URI:?RATELIMIT_STORAGE_URI must name the shared Redis}"
  local proxy a b
  read -r proxy a b <<<"$(free_ports 3)"
  for name in a b; do
    local port=$a
    [ "$name" = b ] && port=$b
    # Its own session (setsid): `kill -9 -PGID` takes the master and its workers at once, as a
    # host that dies would. One trusted proxy in front (PROXY_HOPS=1).
    PORT=$port BIND="127.0.0.1:$port" PROXY_HOPS=1 \
      setsid "$VENV/bin/gunicorn" --config gunicorn.conf.py --pid "$dir/gunicorn-$name.pid" \
      wsgi:app >"$dir/gunicorn-$name.log" 2>&1 < /dev/null &
    echo $! >"$dir/gunicorn-$name.pgid"
  done
  sed -e "s/@PROXY@/$proxy/" -e "s/@A@/$a/" -e "s/@B@/$b/" -e "s|@DIR@|$dir|g" \
    deploy/nginx/cluster.conf.in >"$dir/nginx.conf"
  "$(nginx_bin)" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
  wait_for "http://127.0.0.1:$a/healthz"
  wait_for "http://127.0.0.1:$b/healthz"
  wait_for "http://127.0.0.1:$proxy/healthz"
  echo "$proxy $a $b" >"$dir/ports"
  echo "proxy http://127.0.0.1:$proxy  a http://127.0.0.1:$a  b http://127.0.0.1:$b"
}

stop() {
  local dir=$1
  if [ -s "$dir/nginx.pid" ]; then
    "$(nginx_bin)" -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" -s quit 2>/dev/null || true
  fi
  for name in a b; do
    if [ -s "$dir/gunicorn-$name.pgid" ]; then
      kill -TERM -- "-$(cat "$dir/gunicorn-$name.pgid")" 2>/dev/null || true
    fi
  done
}

check() {
  need_nginx
  redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || {
    echo "make cluster needs a Redis on 127.0.0.1:6379 (apt-get install redis-server)" >&2
    exit 1
  }
  local pg=${PG_URL:-postgresql://postgres@127.0.0.1:5432} db=${PG_DB:-lead_cluster}
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  trap 'psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
  TEST_DATABASE_URL="$pg/$db" "$VENV/bin/pytest" -p no:cacheprovider -v \
    tests/integrity/test_cluster.py
}

case "${1:-check}" in
  start) need_nginx; start "${2:?start DIR}" ;;
  stop) stop "${2:?stop DIR}" ;;
  check) check ;;
  *) echo "usage: $0 [start DIR | stop DIR]" >&2; exit 2 ;;
esac
