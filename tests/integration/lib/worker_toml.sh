# shellcheck shell=bash
# worker_toml.sh - a dm-worker config for one source (root, no password), sourced by lib/e2e.sh
# and lib/worker_pair.sh:
#   worker_toml FILE WORKER_PORT SOURCE_ID SERVER_ID META_DIR SOURCE_PORT [LINES]
# LINES: more top-level keys (log-file, status-addr, ...).
worker_toml() {
  cat >"$1" <<TOML
worker-addr = "127.0.0.1:$2"
source-id = "$3"
server-id = $4
meta-dir = "$5"${7:+
$7}
[from]
host = "127.0.0.1"
port = $6
user = "root"
password = ""
TOML
}
