# worker_pair.sh - the frame of the dm-worker daemon scripts (sourced after `set -euo
# pipefail`, with TMP_NAME set): the dm-worker binary, a temp dir removed on exit with the
# source/target sandboxes under it ($tmp/src, $tmp/dst) stopped and the worker ($pid)
# killed, fail() with the worker log's tail, freeport, q PORT SQL.
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
