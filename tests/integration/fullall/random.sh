#!/usr/bin/env bash
# fullall/random.sh [small|long]: random full / all divergence hunt. Per seed, random source
# databases (lib/fullall_random_gen.py: ~40 column types at their edges, every byte in text and
# blobs, key shapes, AUTO_INCREMENT counters, partitions, views, a trigger, odd names, a second
# database) are copied by
#   1. a `full` task (mydumper statements of 300 bytes, sometimes --complete-insert) with dm-worker
#      killed -9 at a random point of the Load and restarted: Finished, then equal;
#   2. an `all` task over a fresh copy of the same databases while a writer runs INSERT / UPDATE /
#      DELETE from before the dump until after the Load: Running in Sync, then equal;
# equal = lib/fullall_compare.py (same tables / views, rows by the HEX of every column, SHOW CREATE
# TABLE, AUTO_INCREMENT counters). myloader's load of the `full` dump is the oracle when they differ.
# DMGW_SEED=<n> replays (printed); DMGW_FULLALL_RUNS seeds (small: 2, long: 8).
# Registered twice (tests/CMakeLists.txt): small (labels worker/dump, worker/load) and long.
# shellcheck source=../lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/e2e.sh"
LIB="$(dirname "${BASH_SOURCE[0]}")/../lib"
SIZE="${1:-small}"
SEED="${DMGW_SEED:-$RANDOM}"
RUNS="${DMGW_FULLALL_RUNS:-$([ "$SIZE" = long ] && echo 8 || echo 2)}"
echo "size $SIZE, seed $SEED (DMGW_SEED=$SEED replays it), $RUNS runs"
RANDOM=$SEED
export DMGW_LOAD_STMT_DELAY_MS=30   # a Load of a few seconds: room for the kill -9
e2e_stack_up
WRITER_PID=""
stop_all() {
  local rc=$?
  set +e   # under errexit the '(exit $rc)' below ended the trap before the stack went down
  [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null && wait "$WRITER_PID" 2>/dev/null
  (exit $rc)
  e2e_stack_down
}
trap stop_all EXIT
dm() { out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || true; }
status() { dm query-status "$1"; }
# empty (not a pipefail exit) when the answer has no such field, e.g. right after a restart
field() { echo "$out" | grep -o "\"$1\": \"[A-Za-z]*\"" | head -1 | cut -d'"' -f4 || true; }
msgs() { echo "$out" | python3 -c 'import json,sys
def walk(d):
    if isinstance(d, dict):
        for k, v in d.items():
            if k == "msg" and v: print(str(v)[:700])
            else: walk(v)
    elif isinstance(d, list):
        for v in d: walk(v)
try: walk(json.load(sys.stdin))
except Exception: pass' | head -3; }
kill_worker() {
  local p; p="$(cat "$DM_STACK_DIR/worker.pid")"
  kill -9 "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  nohup "$DMGW_BIN/dm-worker" -config "$DM_STACK_DIR/worker/dm-worker.toml" \
    >>"$DM_STACK_DIR/logs/dm-worker.log" 2>&1 </dev/null &
  echo $! >"$DM_STACK_DIR/worker.pid"
  wait_port "$DM_STACK_WORKER_PORT"
}
src_load() { mariadb -h127.0.0.1 -P"$SOURCE_PORT" -uroot --default-character-set=utf8mb4 "$@"; }
drop_target() { local d; for d in "${DBS[@]}"; do tgt_sql "DROP DATABASE IF EXISTS \`$d\`"; done; }
task_yaml() { # name mode extra-args
  local dolist; dolist="$(printf '"%s",' "${DBS[@]}")"
  cat >"$DM_STACK_DIR/$1.yaml" <<YAML
name: "$1"
task-mode: "$2"
meta-schema: "dm_meta"
remove-meta: true
target-database:
  host: "127.0.0.1"
  port: $TARGET_PORT
  user: "root"
  password: ""
mysql-instances:
  - source-id: "mysql-replica-01"
    black-white-list: "bw"
    mydumper-config-name: "global"
    loader-config-name: "global"
black-white-list:
  bw:
    do-dbs: [${dolist%,}]
mydumpers:
  global:
    threads: 2
    extra-args: "$3"
loaders:
  global:
    pool-size: 3
    dir: "$DM_STACK_DIR/dumped-$1"
YAML
}
compare() { python3 "$LIB/fullall_compare.py" "$SOURCE_PORT" "$TARGET_PORT" "${DBS[@]}"; }
wait_stage() { # task stage-regex seconds: sets st (the stage) and un (the unit)
  local i
  for i in $(seq 1 $(($3 * 2))); do
    status "$1"; st="$(field stage)"; un="$(field unit)"
    [[ "$st" =~ ^($2)$ ]] && return 0
    sleep 0.5
  done
}
myloader_oracle() { # what myloader makes of the same dump (printed when the worker's target differs)
  local d="$DM_STACK_DIR/dumped-$1/$1.mysql-replica-01" db
  [ -d "$d" ] || return 0
  for db in "${DBS[@]}"; do tgt_sql "DROP DATABASE IF EXISTS \`$db\`"; done
  myloader -h 127.0.0.1 -P "$TARGET_PORT" -u root -d "$d" -t 2 -o >"$DM_STACK_DIR/myloader.log" 2>&1 || true
  echo "--- myloader's load of the same dump, compared with the source:"
  compare || true
  tail -5 "$DM_STACK_DIR/myloader.log"
}

for i in $(seq 1 "$RUNS"); do
  s=$((SEED + i))
  mapfile -t DBS < <(python3 "$LIB/fullall_random_gen.py" schema "$s" fr "$SIZE" | sed -n 's/^DROP DATABASE IF EXISTS `\([^`]*\)`.*/\1/p')
  python3 "$LIB/fullall_random_gen.py" schema "$s" fr "$SIZE" >"$DM_STACK_DIR/schema.sql"
  python3 "$LIB/fullall_random_gen.py" writer "$s" fr "$SIZE" >"$DM_STACK_DIR/writer.sql"
  if ! src_load <"$DM_STACK_DIR/schema.sql" >"$DM_STACK_DIR/schema.err" 2>&1; then
    fail "seed $s: the source schema loads"; head -3 "$DM_STACK_DIR/schema.err"; continue
  fi

  # ---- 1. full, kill -9 at a random point of the Load ----
  drop_target
  extra="-s 300"; [ $((RANDOM % 2)) = 0 ] && extra="$extra --complete-insert"
  task_yaml "fr-full" full "$extra"
  dm start-task "$DM_STACK_DIR/fr-full.yaml"
  check_contains "seed $s: start full ($extra)" '"result": true' "$out"
  for _ in $(seq 1 240); do status fr-full; st="$(field stage)"; un="$(field unit)"
    { [ "$un" = Load ] || [ "$st" = Finished ] || [ "$st" = Paused ]; } && break; sleep 0.5; done
  if [ "$un" = Load ] && [ "$st" = Running ]; then
    sleep "0.$((RANDOM % 10))"
    status fr-full; echo "seed $s: kill -9 dm-worker in unit $(field unit)"
    kill_worker
  fi
  wait_stage fr-full 'Finished|Paused' 240
  if [ "$st" = Paused ] && echo "$out" | grep -q 'code=34994'; then
    # the kill landed inside a statement into a MyISAM / Aria table: the named pause; the
    # user's way out: empty the target and start again with remove-meta
    ok "seed $s: kill -9 inside a non-transactional table's statement: paused with 34994"
    dm stop-task fr-full
    drop_target
    dm start-task "$DM_STACK_DIR/fr-full.yaml"
    wait_stage fr-full 'Finished|Paused' 240
  fi
  check_eq "seed $s: the full task finished" Finished "$st"
  [ "$st" = Finished ] || msgs
  if diff_out="$(compare)"; then
    ok "seed $s: full: every table equal"
  else
    fail "seed $s: full: the target differs"; echo "$diff_out"; myloader_oracle fr-full
  fi
  dm stop-task fr-full

  # ---- 2. all, with a writer from before the dump until after the Load ----
  drop_target
  src_load <"$DM_STACK_DIR/schema.sql" >/dev/null 2>&1
  src_load --force <"$DM_STACK_DIR/writer.sql" >"$DM_STACK_DIR/writer.err" 2>&1 &
  WRITER_PID=$!
  task_yaml "fr-all" all ""
  dm start-task "$DM_STACK_DIR/fr-all.yaml"
  check_contains "seed $s: start all" '"result": true' "$out"
  wait "$WRITER_PID" || true; WRITER_PID=""
  wait_stage fr-all 'Paused|Running' 120
  for _ in $(seq 1 120); do status fr-all; st="$(field stage)"; un="$(field unit)"
    { [ "$un" = Sync ] || [ "$st" = Paused ]; } && break; sleep 0.5; done
  check_eq "seed $s: all: Running in Sync" "Running Sync" "$st $un"
  [ "$st" = Running ] || msgs
  for _ in $(seq 1 60); do diff_out="$(compare)" && break; sleep 1; done
  if [ -z "$diff_out" ] || compare >/dev/null; then
    ok "seed $s: all: every table equal after the writer"
  else
    fail "seed $s: all: the target differs"; echo "$diff_out"
  fi
  dm stop-task fr-all
done
e2e_finish
