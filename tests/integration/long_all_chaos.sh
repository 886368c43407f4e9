#!/usr/bin/env bash
# A task-mode `all` task as a portal user starts it (POST /api/v1/tasks, GET, the SSE status
# stream) on a private local stack whose MariaDB servers run in non-UTC time zones (source
# +05:30, target sessions -03:00), while a random writer keeps writing, with chaos: kill -9
# of the dm-worker while the deferred-key ALTER of p.dk waits on a metadata lock we hold on
# the target, twice more at random points of the Load, once in the Sync unit's safe-mode
# window; pause / resume in Sync. Then the target must equal the source row by row (HEX of
# every column; FLOAT compared as text: the dump rounds FLOAT to 6 digits, docs/worker.md),
# SHOW CREATE TABLE equal (deferred keys there), the view there, and a FLOAT written
# through Sync exact. Label "long" (+ "bench": left out of scripts/test.sh's CI pass):
#   ctest --test-dir build -R long_all_chaos
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
LIB="$(dirname "${BASH_SOURCE[0]}")/lib"
SEED="${DMGW_SEED:-$RANDOM}"
echo "seed $SEED (DMGW_SEED=$SEED replays the writer and the kill points)"
RANDOM=$SEED
export DMGW_SANDBOX_ARGS="--default-time-zone=+05:30 --max-allowed-packet=64M"
export DMGW_LOAD_STMT_DELAY_MS=200   # a Load of several seconds: room for the kills
e2e_stack_up
TABLES="p.types p.dk p.nokey p.uk p.gen p.trg p.trglog p.empty_t"
TASK=chaos-all
WRITER_PID=""
stop_all() {
  local rc=$?
  set +e   # under errexit the "(exit $rc)" below ended the trap before the stack went down
  touch "$DM_STACK_DIR/writer.stop"
  [ -n "$WRITER_PID" ] && wait "$WRITER_PID" 2>/dev/null
  (exit $rc)
  e2e_stack_down
}
trap stop_all EXIT
tgt_sql "SET GLOBAL time_zone='-03:00'"
mariadb -h127.0.0.1 -P"$SOURCE_PORT" -uroot --default-character-set=utf8mb4 <"$LIB/all_chaos_source.sql"
dm() { rc=0; out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || rc=$?; }
unit() { dm query-status "$TASK"; echo "$out" | grep -o '"unit": "[A-Za-z]*"' | head -1 | cut -d'"' -f4; }
in_unit() { [ "$(unit)" = "$1" ]; }
kill_worker() {
  local p; p="$(cat "$DM_STACK_DIR/worker.pid")"
  echo "kill -9 dm-worker in unit $(unit): $1"
  kill -9 "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  nohup "$DMGW_BIN/dm-worker" -config "$DM_STACK_DIR/worker/dm-worker.toml" \
    >>"$DM_STACK_DIR/logs/dm-worker.log" 2>&1 </dev/null &
  echo $! >"$DM_STACK_DIR/worker.pid"
  wait_port "$DM_STACK_WORKER_PORT"
}

# ---- row-by-row comparison: HEX of every column (FLOAT as text, TIMESTAMP as instant) ----
hexcols() {
  src_sql "SELECT GROUP_CONCAT(CASE WHEN data_type='float' THEN CONCAT('IFNULL(CONCAT(\`',column_name,'\`),\"N\")')
     WHEN data_type='double' THEN CONCAT('IFNULL(CAST(\`',column_name,'\` AS DOUBLE),\"N\")')
     WHEN data_type='timestamp' THEN CONCAT('IFNULL(UNIX_TIMESTAMP(\`',column_name,'\`),\"N\")')
     ELSE CONCAT('IFNULL(HEX(\`',column_name,'\`),\"N\")') END ORDER BY ordinal_position SEPARATOR ',\"|\",')
     FROM information_schema.columns WHERE CONCAT(table_schema,'.',table_name)='$1'"
}
rows_equal() {
  local t cols rc=0
  for t in "$@"; do
    cols="$(hexcols "$t")"
    src_sql "SELECT CONCAT($cols) FROM $t" | sort >"$DM_STACK_DIR/cmp.src" || return 1
    tgt_sql "SELECT CONCAT($cols) FROM $t" | sort >"$DM_STACK_DIR/cmp.tgt" || return 1
    if ! cmp -s "$DM_STACK_DIR/cmp.src" "$DM_STACK_DIR/cmp.tgt"; then
      [ -n "${SHOWDIFF:-}" ] && { echo "DIFF $t"; diff "$DM_STACK_DIR/cmp.src" "$DM_STACK_DIR/cmp.tgt" | cut -c1-300 | head -6; }
      rc=1
    fi
  done
  return $rc
}
wait_equal() { # SECONDS tables...
  local end=$((SECONDS + $1)); shift
  while [ $SECONDS -lt $end ]; do rows_equal "$@" && { ok "rows equal: $*"; return 0; }; sleep 2; done
  SHOWDIFF=1 rows_equal "$@" && { ok "rows equal: $*"; return 0; }
  fail "rows differ"
}

cat >"$DM_STACK_DIR/task.yaml" <<YAML
name: "$TASK"
task-mode: "all"
meta-schema: "dm_meta"
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
    do-dbs: ["p"]
mydumpers:
  global:
    threads: 2
    chunk-filesize: 1
    extra-args: "--rows 200"
loaders:
  global:
    pool-size: 3
    dir: "$DM_STACK_DIR/dumped"
YAML

rm -f "$DM_STACK_DIR/writer.stop"
( python3 "$LIB/all_chaos_writer.py" "$SEED" "$DM_STACK_DIR/writer.stop" 0.01 |
    mariadb -h127.0.0.1 -P"$SOURCE_PORT" -uroot --default-character-set=utf8mb4 --force \
      >"$DM_STACK_DIR/writer.log" 2>&1 ) &
WRITER_PID=$!
sleep 1

api POST /api/v1/stream-tickets
check_eq "stream ticket 201" 201 "$HTTP_CODE"
TICKET="$(echo "$BODY" | jq_get 'd["ticket"]')"
api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_STACK_DIR/task.yaml"
check_eq "POST /api/v1/tasks (task-mode all) 201" 201 "$HTTP_CODE"
SSE="$DM_STACK_DIR/status.sse"
curl -sN --max-time 400 "$DM_GATEWAY_URL/api/v1/tasks/$TASK/status/stream?ticket=$TICKET&interval=200ms" >"$SSE" &
SSE_PID=$!

# kill -9 while the deferred-key ALTER of p.dk waits for our metadata lock on the target
table_there() { tgt_sql "SELECT 1 FROM p.dk LIMIT 0"; }
wait_for "the Load created p.dk (keys deferred)" 120 table_there
( echo "BEGIN; SELECT COUNT(*) FROM p.dk WHERE id = 1;"; sleep 120 ) |
  mariadb -h127.0.0.1 -P"$TARGET_PORT" -uroot -N >/dev/null &
HOLD=$!
alter_waits() { [ "$(tgt_sql "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'ALTER TABLE%dk%ADD KEY%'")" != 0 ]; }
wait_for "the deferred-key ALTER of p.dk runs (waits on our lock)" 120 alter_waits
kill_worker "during the deferred-key ALTER"
kill "$HOLD" 2>/dev/null || true
for k in 1 2; do
  sleep "$((RANDOM % 3)).$((RANDOM % 10))"
  in_unit Load || break
  kill_worker "random point of the Load ($k)"
done
wait_for "reaches Sync" 240 in_unit Sync
sleep "$((RANDOM % 3 + 1))"
kill_worker "in the safe-mode window of Sync"
wait_for "Sync again after the restart" 120 in_unit Sync
dm pause-task "$TASK"
check_contains "pause-task in Sync" '"result": true' "$out"
sleep 2
dm resume-task "$TASK"
check_contains "resume-task in Sync" '"result": true' "$out"
sleep 3
touch "$DM_STACK_DIR/writer.stop"
wait "$WRITER_PID" 2>/dev/null || true
WRITER_PID=""
echo "writer: $(grep -c ERROR "$DM_STACK_DIR/writer.log" || true) failed statements (duplicate keys etc.)"

src_sql "INSERT INTO p.types (id, fl, db) VALUES (99999, 21469.818359375, 0.1)"
fl_exact() { [ "$(tgt_sql "SELECT CAST(fl AS DOUBLE) FROM p.types WHERE id = 99999")" = "$(src_sql "SELECT CAST(fl AS DOUBLE) FROM p.types WHERE id = 99999")" ]; }
wait_for "a FLOAT written through Sync is exact" 60 fl_exact
# shellcheck disable=SC2086
wait_equal 180 $TABLES
for t in $TABLES; do
  s="$(src_sql "SHOW CREATE TABLE $t" | sed 's/ AUTO_INCREMENT=[0-9]*//')"
  d="$(tgt_sql "SHOW CREATE TABLE $t" | sed 's/ AUTO_INCREMENT=[0-9]*//')"
  check_eq "SHOW CREATE TABLE $t equal" "$s" "$d"
done
check_eq "the view is there" "$(src_sql 'SELECT COUNT(*) FROM p.vw')" "$(tgt_sql 'SELECT COUNT(*) FROM p.vw' 2>&1)"
check_eq "no loader checkpoint row left unfinished" 0 \
  "$(tgt_sql "SELECT COUNT(*) FROM dm_meta.\`${TASK}_loader_checkpoint\` WHERE \`offset\` <> end_pos")"

api GET "/api/v1/tasks/$TASK"
check_eq "GET the task 200" 200 "$HTTP_CODE"
check_contains "GET shows Sync" '"unit":"Sync"' "$BODY"
kill "$SSE_PID" 2>/dev/null || true
wait "$SSE_PID" 2>/dev/null || true
sse_check() {
  python3 - "$SSE" <<'PY'
import json, sys
units, bad = [], []
for line in open(sys.argv[1]):
    if not line.startswith("data: "):
        continue
    d = json.loads(line[6:])
    for w in d.get("workers", []):
        for s in w.get("subTaskStatus", []):
            u = s.get("unit")
            if not units or units[-1] != u:
                units.append(u)
            ld = s.get("load")
            if ld:
                f, t = int(ld["finishedBytes"]), int(ld["totalBytes"])
                p = float(ld["progress"].split()[0])
                if not (0 <= f <= t and 0 <= p <= 100):
                    bad.append(ld)
print(" -> ".join(units))
sys.exit(1 if bad or "Sync" not in units or "Load" not in units else 0)
PY
}
if units="$(sse_check)"; then ok "stream: units $units, Load progress sane"; else fail "stream: $units"; fi
e2e_finish
