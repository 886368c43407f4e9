#!/usr/bin/env bash
# mariadb-sandbox.sh - run a private MariaDB server on a loopback port with its own
# data directory (for tests, benchmarks and the local stack).
#   mariadb-sandbox.sh start <dir> <port> [server-id]   # binlog ROW/FULL, user root/no password
#   mariadb-sandbox.sh stop <dir>
#   mariadb-sandbox.sh client <dir> [mariadb args...]   # mariadb client on its socket
# The server runs as the invoking user (--user=root when root), listens on 127.0.0.1,
# socket <dir>/mysqld.sock, log <dir>/mysqld.err, pid <dir>/mysqld.pid.
# Opt-in: DMGW_SANDBOX_ARGS="--opt=val ..." adds server options to `start` (split on
# whitespace, appended last so they override the defaults; unset = the defaults only).
set -euo pipefail
cmd="${1:-}"; dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|client <dir> ..." >&2; exit 2; }
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
sock="$dir/mysqld.sock"

case "$cmd" in
start)
  port="${3:?port}"; sid="${4:-1}"
  if [ -S "$sock" ] && mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; then
    echo "mariadb already running on $dir"; exit 0
  fi
  user_opt=()
  [ "$(id -u)" -eq 0 ] && user_opt=(--user=root)
  extra_opt=()
  [ -n "${DMGW_SANDBOX_ARGS:-}" ] && read -r -a extra_opt <<<"$DMGW_SANDBOX_ARGS"
  mkdir -p "$dir/tmp"
  if [ ! -d "$dir/data/mysql" ]; then
    # Bootstraps run one at a time (concurrent ones have been seen to trip over each other's
    # temporary tables), each with its own tmpdir; a failed one is cleaned up and retried once.
    for attempt in 1 2; do
      if flock /tmp/dmgw-mariadb-install.lock \
           mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
             --tmpdir="$dir/tmp" --auth-root-authentication-method=normal --skip-test-db \
             >"$dir/install.log" 2>&1; then
        break
      fi
      rm -rf "$dir/data"
      [ "$attempt" = 2 ] && { cat "$dir/install.log" >&2; exit 1; }
    done
  fi
  mariadbd --no-defaults "${user_opt[@]}" --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/mysqld.err" --server-id="$sid" --log-bin="$dir/data/mysql-bin" \
    --binlog-format=ROW --binlog-row-image=FULL --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=48M --max-connections=500 \
    --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 "${extra_opt[@]}" >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    if mariadb-admin --socket="$sock" -uroot ping >/dev/null 2>&1; then
      mariadb --socket="$sock" -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE USER IF NOT EXISTS 'root'@'%'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;" \
        || true
      exit 0
    fi
    sleep 0.1
  done
  echo "mariadb did not start; log:" >&2; tail -20 "$dir/mysqld.err" >&2; exit 1
  ;;
stop)
  if [ -f "$dir/mysqld.pid" ]; then
    pid="$(cat "$dir/mysqld.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/mysqld.pid"
  fi
  ;;
client)
  shift 2
  exec mariadb --socket="$sock" -uroot "$@"
  ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
