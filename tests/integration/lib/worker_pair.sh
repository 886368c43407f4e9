# worker_pair.sh - the frame of the dm-worker daemon scripts (sourced after `set -euo
# pipefail`, with TMP_NAME set): the dm-worker binary, a temp dir removed on exit with the
# source/target sandboxes under it ($tmp/src, $tmp/dst) stopped and the worker ($pid)
# killed, fail() with the worker log's tail, freeport, q PORT SQL; the sandboxes, a restored
# subtask, the worker config and start (pair_sandboxes, pair_subtask, pair_worker_toml,
# start_worker).
bin="${DMGW_BIN:?}/dm-worker"
src_dir="${DMGW_SOURCE_DIR:?}"
tmp="$(mktemp -d "/tmp/dmgw-${TMP_NAME:?}-XXXXXX")"
pid=""
sandbox() { bash "$src_dir/scripts/mariadb-sandbox.sh" "$@" >>"$tmp/sandbox.log" 2>&1; }
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  sandbox stop "$tmp/src" || true
  sandbox stop "$tmp/dst" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/worker.log" ] && tail -20 "$tmp/worker.log" >&2; exit 1; }
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
q() { mariadb -h127.0.0.1 -P"$1" -uroot -N -e "$2"; }

# pair_sandboxes: the source and target sandboxes on $sp and $dp, the worker port $wp, the
# source's position $bfile $bpos.
pair_sandboxes() {
  sp=$(freeport); dp=$(freeport); wp=$(freeport)
  sandbox start "$tmp/src" "$sp" 1 || fail "source sandbox"
  sandbox start "$tmp/dst" "$dp" 2 || fail "target sandbox"
  read -r bfile bpos < <(q "$sp" "SHOW MASTER STATUS" | awk '{print $1, $2}')
}
# pair_subtask NAME [JSON]: a Running incremental subtask NAME in $tmp/meta (file
# $tmp/meta/subtasks/$hex.json, restored by the worker at start), from $bfile:$bpos, $sp to
# $dp, do-dbs [d]; JSON: more config members, each ending in a comma.
pair_subtask() {
  mkdir -p "$tmp/meta/subtasks"
  hex=$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')
  cat >"$tmp/meta/subtasks/$hex.json" <<EOT
{"name": "$1", "stage": 2, "remove-meta-done": true, "config": {
 "name": "$1", "mode": "incremental", "source-id": "mysql-replica-01", "worker-count": 4,${2:+
 $2}
 "meta": {"binlog-name": "$bfile", "binlog-pos": $bpos},
 "from": {"host": "127.0.0.1", "port": $sp, "user": "root", "password": ""},
 "to": {"host": "127.0.0.1", "port": $dp, "user": "root", "password": ""},
 "black-white-list": {"do-dbs": ["d"]}}}
EOT
}
# pair_worker_toml SERVER_ID [LINES]: $tmp/w.toml for the worker on $wp replicating $sp
# (meta-dir $tmp/meta, log $tmp/worker.log); LINES: more top-level keys.
# shellcheck source=worker_toml.sh
source "$(dirname "${BASH_SOURCE[0]}")/worker_toml.sh"
pair_worker_toml() {
  worker_toml "$tmp/w.toml" "$wp" mysql-replica-01 "$1" "$tmp/meta" "$sp" \
    "log-file = \"$tmp/worker.log\"${2:+
$2}"
}
# start_worker: dm-worker on $tmp/w.toml in the background ($pid), waited for its start.
start_worker() {
  "$bin" -config "$tmp/w.toml" &
  pid=$!
  for _ in $(seq 1 50); do grep -q '"dm-worker started"' "$tmp/worker.log" 2>/dev/null && break; sleep 0.1; done
  grep -q '"dm-worker started"' "$tmp/worker.log" || fail "did not start"
}
