#!/usr/bin/env bash
# drills.sh - fault drills against a private local DM stack under sysbench write load, each
# followed by a chunk-by-chunk comparison of source and target (scripts/lib/compare.sh).
#
#   scripts/drills.sh [--short] [--keep] [--drills "1 3 5"]
#
#   1 kill -9 dm-worker under load, restart it     -> resumes from its checkpoint (3 times; 1 with --short)
#   2 dm-master down under load, then restarted    -> replication goes on, gateway 503 problem+json,
#                                                     200 again by itself after the restart
#   3 dm-gateway SIGTERM with a request in flight  -> drained (the request completes), restarted,
#                                                     requests (read and write) work
#   4 source MariaDB restart under load            -> the worker reconnects (new binlog file)
#   5 target MariaDB down, then up                 -> the worker retries / auto-resumes
#
# --short (CI): drills 1 and 2 with a smaller load. --keep: leave the stack directory (stopped).
# Environment: DMGW_BIN (default <root>/build/bin), DRILL_TABLES, DRILL_TABLE_SIZE,
# DRILL_THREADS, DRILL_RATE (transactions/s), DRILL_LOAD_TIME (s), DRILL_TARGET_DOWN (s),
# DRILL_CATCHUP_TIMEOUT (s), DRILL_CHUNK (ids per compared range), DRILL_WORKER_KILLS.
# Exit status: 0 when every drill passed and every comparison found zero differences.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib/compare.sh
source "$ROOT/scripts/lib/compare.sh"
export DMGW_BIN="${DMGW_BIN:-$ROOT/build/bin}"
BIN="$DMGW_BIN"
SANDBOX="$ROOT/scripts/mariadb-sandbox.sh"
TASK=shop-sync
DB=shop

SHORT=0; KEEP=0; DRILLS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --short) SHORT=1 ;;
    --keep) KEEP=1 ;;
    --drills) DRILLS="${2:?--drills needs a list}"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "drills: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$SHORT" = 1 ]; then
  : "${DRILLS:=1 2}"; : "${DRILL_TABLE_SIZE:=2000}"; : "${DRILL_WORKER_KILLS:=1}"; : "${DRILL_RATE:=40}"; : "${DRILL_LOAD_TIME:=10}"
else
  : "${DRILLS:=1 2 3 4 5}"; : "${DRILL_TABLE_SIZE:=10000}"; : "${DRILL_WORKER_KILLS:=3}"; : "${DRILL_RATE:=80}"; : "${DRILL_LOAD_TIME:=20}"
fi
: "${DRILL_TABLES:=2}"; : "${DRILL_THREADS:=2}"; : "${DRILL_TARGET_DOWN:=75}"
: "${DRILL_CATCHUP_TIMEOUT:=90}"; : "${DRILL_CHUNK:=1000}"

for b in dm-worker dm-master dm-gateway dmctl; do
  [ -x "$BIN/$b" ] || { echo "drills: missing $BIN/$b (build first, or set DMGW_BIN)" >&2; exit 2; }
done
for c in sysbench mariadb curl python3; do
  command -v "$c" >/dev/null || { echo "drills: $c is not installed" >&2; exit 2; }
done

T0=$(date +%s)
FAILS=0
SUMMARY=()
LOAD_PID=""
CLIENT_PIDS=()
MASTER_FROZEN=0
LAST_STAGES=""
say()  { printf '[%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
ok()   { say "ok   - $*"; }
fail() { FAILS=$((FAILS + 1)); DRILL_FAILS=$((DRILL_FAILS + 1)); say "FAIL - $*"; }
DRILL_FAILS=0

rand_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }

# ---- private stack -----------------------------------------------------------------------------
export DM_STACK_DIR DM_STACK_SOURCE_PORT DM_STACK_TARGET_PORT DM_STACK_WORKER_PORT DM_STACK_MASTER_PORT DM_STACK_GATEWAY_PORT
DM_STACK_DIR="$(mktemp -d /tmp/dm-drills-XXXXXX)"
DM_STACK_SOURCE_PORT="$(rand_port)"; DM_STACK_TARGET_PORT="$(rand_port)"
DM_STACK_WORKER_PORT="$(rand_port)"; DM_STACK_MASTER_PORT="$(rand_port)"
DM_STACK_GATEWAY_PORT="$(rand_port)"
STACK="$DM_STACK_DIR"
LOGS="$STACK/logs"

cleanup() {
  local rc=$?
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
  [ "$MASTER_FROZEN" = 1 ] && kill -CONT "$(pid_of master)" 2>/dev/null
  local p
  for p in "${CLIENT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in $LOAD_PID "${CLIENT_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ "$FAILS" -ne 0 ] || [ $rc -ne 0 ]; then
    echo "---- last log lines ($LOGS) ----"
    for p in "$LOGS"/dm-*.log "$STACK"/source/mysqld.err "$STACK"/target/mysqld.err; do
      [ -f "$p" ] && { echo "== $p"; tail -n 25 "$p" | cut -c1-400; }
    done
  fi
  "$ROOT/scripts/stack" down >/dev/null 2>&1
  if [ "$KEEP" = 1 ]; then echo "stack directory kept: $STACK"; else rm -rf "$STACK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

src_sql() { mariadb -h127.0.0.1 -P"$SOURCE_PORT" -uroot -N -B -e "$1"; }
tgt_sql() { mariadb -h127.0.0.1 -P"$TARGET_PORT" -uroot -N -B -e "$1"; }

# api METHOD PATH [curl args]: sets HTTP_CODE, BODY, CTYPE
api() {
  local m="$1" p="$2" out; shift 2
  out="$(curl -sS --max-time 60 -X "$m" -H "Authorization: Bearer $DM_TOKEN" \
          -w '\n%{http_code} %{content_type}' "$@" "$DM_GATEWAY_URL$p" 2>/dev/null)"
  local last="${out##*$'\n'}"
  HTTP_CODE="${last%% *}"; CTYPE="${last#* }"
  BODY="${out%$'\n'*}"
}

wait_port() { # port seconds
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_until SECONDS CMD...: retry CMD every 0.5 s; prints the seconds it took
wait_until() {
  local t="$1" start end; shift
  start=$(date +%s.%N); end=$(( $(date +%s) + t ))
  while :; do
    if "$@" >/dev/null 2>&1; then
      python3 -c "import sys;print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)"
      return 0
    fi
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.5
  done
}

task_running() { api GET "/api/v1/tasks/$TASK"; [ "$HTTP_CODE" = 200 ] && [[ "$BODY" == *'"stage":"Running"'* ]]; }
task_stage() { api GET "/api/v1/tasks/$TASK"; [[ "$BODY" =~ \"stage\":\"([A-Za-z]+)\" ]] && echo "${BASH_REMATCH[1]}" || echo "?($HTTP_CODE)"; }

# checkpoint of the task in the target, master position of the source: "file pos"
checkpoint() { tgt_sql "SELECT binlog_name, binlog_pos FROM dm_meta.\`${TASK}_syncer_checkpoint\` WHERE is_global=1" 2>/dev/null | tr '\t' ' '; }
master_pos() { src_sql "SHOW MASTER STATUS" 2>/dev/null | awk '{print $1, $2}'; }
cp_moves() { local c1 c2; c1="$(checkpoint)"; sleep 1; c2="$(checkpoint)"; [ -n "$c1" ] && [ -n "$c2" ] && [ "$c1" != "$c2" ]; }
caught_up() { local m c; m="$(master_pos)"; c="$(checkpoint)"; [ -n "$m" ] && [ "$m" = "$c" ]; }

# gone PID SECONDS: the process has exited (a zombie counts as gone)
gone() {
  local i st
  for i in $(seq 1 $(( $2 * 10 ))); do
    st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)"
    [ -z "$st" ] || [ "$st" = Z ] && return 0
    sleep 0.1
  done
  return 1
}
pid_of() { cat "$STACK/$1.pid" 2>/dev/null; }
alive() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# the same command lines as scripts/stack (configs written by it); started from a subshell so
# that they are not children of this script (scripts/stack down stops them by pid file)
start_worker() {
  ( nohup "$BIN/dm-worker" -config "$STACK/worker/dm-worker.toml" >>"$LOGS/dm-worker.log" 2>&1 </dev/null &
    echo $! >"$STACK/worker.pid" )
  wait_port "$DM_STACK_WORKER_PORT" 15
}
start_master() {
  ( nohup "$BIN/dm-master" -config "$STACK/master/dm-master.toml" >>"$LOGS/dm-master.log" 2>&1 </dev/null &
    echo $! >"$STACK/master.pid" )
  wait_port "$DM_STACK_MASTER_PORT" 15
}
start_gateway() {
  ( nohup "$BIN/dm-gateway" --listen "127.0.0.1:$DM_STACK_GATEWAY_PORT" --master-addr "127.0.0.1:$DM_STACK_MASTER_PORT" \
    --auth-alg HS256 --auth-secret-file "$STACK/gateway/jwt-secret" --audit-log "$LOGS/audit.log" \
    >>"$LOGS/dm-gateway.log" 2>&1 </dev/null &
    echo $! >"$STACK/gateway.pid" )
  wait_port "$DM_STACK_GATEWAY_PORT" 15
}
# stop_term NAME SECONDS: SIGTERM, wait; prints the seconds it took; 1 if it had to be killed
stop_term() {
  local p i; p="$(pid_of "$1")"
  kill -TERM "$p" 2>/dev/null
  local s0; s0=$(date +%s.%N)
  if gone "$p" "$2"; then
    python3 -c "import sys;print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s0" "$(date +%s.%N)"
    return 0
  fi
  kill -9 "$p" 2>/dev/null; return 1
}

# ---- load ---------------------------------------------------------------------------------------
SB_ARGS=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=root --mysql-db="$DB"
         --tables="$DRILL_TABLES" --table-size="$DRILL_TABLE_SIZE")
load_start() { # name seconds [extra sysbench args]
  local name="$1" secs="$2"; shift 2
  sysbench oltp_write_only "${SB_ARGS[@]}" --mysql-port="$SOURCE_PORT" --threads="$DRILL_THREADS" \
    --rate="$DRILL_RATE" --time="$secs" --report-interval=0 "$@" run >"$LOGS/sysbench-$name.log" 2>&1 &
  LOAD_PID=$!
}
load_running() { kill -0 "$LOAD_PID" 2>/dev/null || fail "the load is not running at the fault (raise DRILL_LOAD_TIME)"; }
# load_wait [allow_fail]: wait for the bounded run; prints the transactions line
load_wait() {
  local i rc
  for i in $(seq 1 $(( (DRILL_LOAD_TIME + 120) * 10 ))); do
    kill -0 "$LOAD_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$LOAD_PID" 2>/dev/null
  wait "$LOAD_PID"; rc=$?
  local f; f="$(ls -t "$LOGS"/sysbench-*.log | head -1)"
  say "load stopped: $(grep -m1 'transactions:' "$f" | sed 's/^ *//;s/  */ /g') (sysbench exit $rc)"
  LOAD_PID=""
  if [ $rc -ne 0 ] && [ "${1:-}" != allow_fail ]; then fail "sysbench exited $rc: $(tail -n 3 "$f" | tr '\n' ' ')"; fi
}

# ---- after each drill: catch up, compare ---------------------------------------------------------
verify() { # drill label
  local t
  if t="$(wait_until "$DRILL_CATCHUP_TIMEOUT" caught_up)"; then
    ok "caught up in ${t}s (checkpoint = source master position $(master_pos))"
  else
    fail "not caught up after ${DRILL_CATCHUP_TIMEOUT}s: checkpoint [$(checkpoint)], master [$(master_pos)], task stage $(task_stage)"
  fi
  say "compare $DB (source 127.0.0.1:$SOURCE_PORT vs target 127.0.0.1:$TARGET_PORT, ranges of $DRILL_CHUNK ids):"
  local out rc
  out="$(compare_db "127.0.0.1:$SOURCE_PORT" "127.0.0.1:$TARGET_PORT" "$DB" "$DRILL_CHUNK")"; rc=$?
  printf '%s\n' "$out"
  if [ $rc -eq 0 ]; then ok "zero differences"; else fail "differences between source and target (compare exit $rc)"; fi
  local d
  for d in worker master gateway; do alive "$d" || fail "dm-$d is not running after the drill"; done
}

run_drill() { # number title function
  local n="$1" title="$2" fn="$3" start rc
  DRILL_FAILS=0; start=$(date +%s)
  echo; say "=== drill $n: $title ==="
  "$fn"
  verify
  local verdict=PASS; [ "$DRILL_FAILS" -eq 0 ] || verdict="FAIL ($DRILL_FAILS)"
  SUMMARY+=("drill $n ($title): $verdict in $(( $(date +%s) - start ))s")
}

# ---- the drills ---------------------------------------------------------------------------------
drill_worker_kill() {
  load_start d1-worker-kill "$(( DRILL_LOAD_TIME + 5 * DRILL_WORKER_KILLS ))"
  local k p t restored_before gap=$(( DRILL_LOAD_TIME / (DRILL_WORKER_KILLS + 1) ))
  [ "$gap" -ge 2 ] || gap=2
  for k in $(seq 1 "$DRILL_WORKER_KILLS"); do
    sleep "$gap"
    load_running
    p="$(pid_of worker)"
    restored_before="$(grep -c 'restored subtask' "$LOGS/dm-worker.log")"
    kill -9 "$p"
    if gone "$p" 5; then ok "kill $k/$DRILL_WORKER_KILLS: dm-worker $p killed (-9) under load; checkpoint in target: $(checkpoint)"
    else fail "dm-worker $p survived kill -9 for 5s"; fi
    sleep 1
    if start_worker; then ok "dm-worker restarted (pid $(pid_of worker))"; else fail "dm-worker did not listen after restart"; fi
    if t="$(wait_until 30 task_running)"; then ok "task Running again ${t}s after the restart"; else fail "task not Running after the worker restart: stage $(task_stage)"; fi
    if [ "$(grep -c 'restored subtask' "$LOGS/dm-worker.log")" -gt "$restored_before" ]; then
      ok "worker log: $(grep 'restored subtask' "$LOGS/dm-worker.log" | tail -1 | cut -c1-200)"
    else fail "no 'restored subtask' line in the worker log after the restart"; fi
    if t="$(wait_until 30 cp_moves)"; then ok "checkpoint moving again (${t}s)"; else fail "checkpoint not moving after the worker restart"; fi
  done
  load_wait
}

drill_master_restart() {
  load_start d2-master-restart "$DRILL_LOAD_TIME"
  sleep 2
  local t cp1 cp2
  load_running
  if t="$(stop_term master 10)"; then ok "dm-master stopped (SIGTERM, ${t}s) under load"; else fail "dm-master did not stop within 10s (killed)"; fi
  api GET "/api/v1/tasks/$TASK"
  if [ "$HTTP_CODE" = 503 ] && [[ "$CTYPE" == application/problem+json* ]] && [[ "$BODY" == *'"result":false'* ]]; then
    ok "gateway answers 503 problem+json while the master is down: $(printf '%s' "$BODY" | cut -c1-160)"
  else fail "gateway while the master is down: expected 503 problem+json, got $HTTP_CODE [$CTYPE] $(printf '%s' "$BODY" | cut -c1-200)"; fi
  api GET /readyz
  [ "$HTTP_CODE" = 503 ] && ok "/readyz 503 while the master is down" || fail "/readyz while the master is down: $HTTP_CODE"
  api GET /livez
  [ "$HTTP_CODE" = 200 ] && ok "/livez 200 while the master is down" || fail "/livez while the master is down: $HTTP_CODE"
  cp1="$(checkpoint)"; sleep 3; cp2="$(checkpoint)"
  if [ -n "$cp1" ] && [ "$cp1" != "$cp2" ]; then ok "replication goes on without the master (checkpoint $cp1 -> $cp2)"
  else fail "checkpoint did not move while the master was down ($cp1 -> $cp2)"; fi
  if start_master; then ok "dm-master restarted (pid $(pid_of master))"; else fail "dm-master did not listen after restart"; fi
  # poll the status through the same gateway: record the answers until 200 + Running
  local i seen="" s0; s0=$(date +%s.%N)
  for i in $(seq 1 90); do
    api GET "/api/v1/tasks/$TASK"
    [ "${seen##* }" = "$HTTP_CODE" ] || seen="$seen $HTTP_CODE"
    if [ "$HTTP_CODE" = 200 ] && [[ "$BODY" == *'"stage":"Running"'* ]]; then break; fi
    sleep 0.5
  done
  t="$(python3 -c "import sys;print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s0" "$(date +%s.%N)")"
  if [ "$HTTP_CODE" = 200 ] && [[ "$BODY" == *'"stage":"Running"'* ]]; then
    ok "gateway 200 + task Running again ${t}s after the master restart, by itself (answers seen:$seen)"
  else fail "gateway did not recover within 45s of the master restart (answers seen:$seen): $(printf '%s' "$BODY" | cut -c1-200)"; fi
  load_wait
}

# client loop for drill 3: GET status until $STACK/clients.stop exists (bounded); "http_code curl_rc"
client_loop() {
  local i out rc
  for i in $(seq 1 600); do
    [ -e "$STACK/clients.stop" ] && break
    out="$(curl -sS -o /dev/null --max-time 20 -w '%{http_code}' -H "Authorization: Bearer $DM_TOKEN" \
           "$DM_GATEWAY_URL/api/v1/tasks/$TASK" 2>/dev/null)"; rc=$?
    echo "$out $rc"
    sleep 0.05
  done
}

drill_gateway_restart() {
  load_start d3-gateway-restart "$DRILL_LOAD_TIME"
  sleep 2
  rm -f "$STACK/clients.stop"; CLIENT_PIDS=()
  local c
  for c in 1 2; do client_loop >"$STACK/clients.$c" & CLIENT_PIDS+=($!); done
  # a write request in flight at SIGTERM: pause, held by a frozen (SIGSTOP) dm-master
  load_running
  kill -STOP "$(pid_of master)"; MASTER_FROZEN=1
  curl -sS --max-time 60 -o "$STACK/pause.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $DM_TOKEN" \
    "$DM_GATEWAY_URL/api/v1/tasks/$TASK/pause" >"$STACK/pause.code" 2>/dev/null &
  local pause_pid=$! t cp1 cp2 gw; gw="$(pid_of gateway)"
  sleep 0.5
  kill -TERM "$gw"; local s0; s0=$(date +%s.%N)
  sleep 1.5
  if gone "$gw" 0; then fail "dm-gateway exited with a request in flight (no drain)"
  else ok "dm-gateway draining 1.5s after SIGTERM: still up with the pause request in flight"; fi
  api GET /readyz
  case "$HTTP_CODE" in
    503) ok "/readyz 503 while draining" ;;
    000) say "note: /readyz refused while draining (listener closed)" ;;
    *) fail "/readyz while draining: $HTTP_CODE" ;;
  esac
  kill -CONT "$(pid_of master)"; MASTER_FROZEN=0
  wait "$pause_pid"
  if gone "$gw" 25; then
    t="$(python3 -c "import sys;print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s0" "$(date +%s.%N)")"
    ok "dm-gateway exited ${t}s after SIGTERM, once the request in flight had completed"
  else kill -9 "$gw"; fail "dm-gateway did not exit within 25s after the master was thawed (killed)"; fi
  if [ "$(cat "$STACK/pause.code")" = 200 ]; then ok "request in flight at SIGTERM (pause) completed: 200"
  else fail "request in flight at SIGTERM (pause): $(cat "$STACK/pause.code") $(head -c 200 "$STACK/pause.body")"; fi
  grep -q 'shutting down: draining' "$LOGS/dm-gateway.log" && ok "gateway log: drain" || fail "no drain line in the gateway log"
  if start_gateway; then ok "dm-gateway restarted (pid $(pid_of gateway))"; else fail "dm-gateway did not listen after restart"; fi
  touch "$STACK/clients.stop"
  for c in "${CLIENT_PIDS[@]}"; do wait "$c"; done; CLIENT_PIDS=()
  local bad; bad="$(cat "$STACK"/clients.[12] | awk '!($1 == "200" || $1 == "503" || ($1 == "000" && $2 == 7))' | sort | uniq -c)"
  local summary; summary="$(cat "$STACK"/clients.[12] | awk '{print ($1 == "000" ? "refused" : $1)}' | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
  if [ -z "$bad" ]; then ok "clients during the restart: ${summary%, } (no reset or truncated answer)"
  else fail "clients during the restart saw broken answers (http curl_rc): $(echo "$bad" | tr '\n' ' ')"; fi
  [ "$(task_stage)" = Paused ] && ok "new gateway: task is Paused (the drained pause took effect)" || fail "new gateway: stage $(task_stage), expected Paused"
  api POST "/api/v1/tasks/$TASK/resume"
  [ "$HTTP_CODE" = 200 ] && ok "new gateway: resume 200" || fail "new gateway: resume $HTTP_CODE $(printf '%s' "$BODY" | cut -c1-200)"
  if t="$(wait_until 30 task_running)"; then ok "task Running again"; else fail "task not Running after resume: $(task_stage)"; fi
  cp1="$(checkpoint)"; sleep 2; cp2="$(checkpoint)"
  [ "$cp1" != "$cp2" ] && ok "replicating again (checkpoint $cp1 -> $cp2)" || fail "checkpoint not moving after resume ($cp1)"
  load_wait
}

started_count() { grep -c 'sync unit started' "$LOGS/dm-worker.log"; }
drill_source_restart() {
  # sysbench aborts when the source goes away (with --mysql-ignore-errors=all 1.0.20 segfaults),
  # so a second burst writes after the restart
  load_start d4-source-restart "$DRILL_LOAD_TIME"
  sleep $(( DRILL_LOAD_TIME / 3 ))
  local errs_before started_before t pos_before
  errs_before="$(grep -c 'sync unit error' "$LOGS/dm-worker.log")"
  # shellcheck disable=SC2034  # read by the eval below
  started_before="$(started_count)"
  pos_before="$(master_pos)"
  load_running
  "$SANDBOX" stop "$STACK/source" && ok "source MariaDB stopped under load (was at $pos_before)"
  sleep 3
  say "task stage while the source is down: $(task_stage)"
  if "$SANDBOX" start "$STACK/source" "$SOURCE_PORT" 101 >/dev/null; then ok "source MariaDB restarted (now at $(master_pos))"
  else fail "source MariaDB did not restart"; return; fi
  load_wait allow_fail
  say "sysbench on the outage: $(grep -m1 -i 'fatal' "$LOGS/sysbench-d4-source-restart.log" | cut -c1-160)"
  load_start d4-source-after "$(( DRILL_LOAD_TIME / 2 ))"
  if t="$(wait_until 60 eval '[ "$(started_count)" -gt "$started_before" ]')"; then
    ok "worker reconnected ${t}s after the source came back: $(grep 'sync unit started' "$LOGS/dm-worker.log" | tail -1 | cut -c1-200)"
  else fail "no 'sync unit started' in the worker log within 60s of the source restart"; fi
  ok "worker logged $(( $(grep -c 'sync unit error' "$LOGS/dm-worker.log") - errs_before )) 'sync unit error' (retries) meanwhile"
  if t="$(wait_until 60 task_running)"; then ok "task Running (${t}s)"; else fail "task not Running after the source restart: $(task_stage)"; fi
  if t="$(wait_until 30 cp_moves)"; then ok "checkpoint moving in the new binlog file: $(checkpoint)"; else fail "checkpoint not moving after the source restart ($(checkpoint))"; fi
  load_wait
}

# target_outage SECONDS: stop the target for SECONDS (stage sampled every 5 s), start it again,
# wait for the task to apply rows again
target_outage() {
  local secs="$1" i stages="" st t
  load_running
  "$SANDBOX" stop "$STACK/target" && ok "target MariaDB stopped under load for ${secs}s"
  # shellcheck disable=SC2034
  for i in $(seq 1 $(( secs / 5 ))); do
    sleep 5; st="$(task_stage)"; [ "${stages##* }" = "$st" ] || stages="$stages $st"
  done
  sleep $(( secs % 5 ))
  say "task stages seen while the target was down:$stages"
  if "$SANDBOX" start "$STACK/target" "$TARGET_PORT" 102 >/dev/null; then ok "target MariaDB restarted"
  else fail "target MariaDB did not restart"; return 1; fi
  if t="$(wait_until 120 cp_moves)"; then ok "worker applies rows again ${t}s after the target came back (stage $(task_stage))"
  else fail "checkpoint not moving 120s after the target came back (stage $(task_stage))"; fi
  LAST_STAGES="$stages"
}

drill_target_down() {
  local short_down=10 long_down="$DRILL_TARGET_DOWN"
  local before_err before_ar
  load_start d5-target-down "$(( DRILL_LOAD_TIME + short_down + long_down + 20 ))"
  sleep 3
  before_err="$(grep -c 'sync unit error' "$LOGS/dm-worker.log")"
  say "phase a: ${short_down}s outage (inside the worker's 60s retry window: the subtask stays Running)"
  target_outage "$short_down"
  [[ "$LAST_STAGES" == *Paused* ]] && fail "subtask Paused during a ${short_down}s target outage"
  ok "worker log: $(( $(grep -c 'sync unit error' "$LOGS/dm-worker.log") - before_err )) 'sync unit error' (retries)"
  if [ "$long_down" -gt 60 ]; then
    before_ar="$(grep -c 'auto resume subtask' "$LOGS/dm-worker.log")"
    local before_pause; before_pause="$(grep -c 'subtask paused by error' "$LOGS/dm-worker.log")"
    sleep 3
    say "phase b: ${long_down}s outage (beyond the retry window: Paused, then auto-resumed by the checker)"
    target_outage "$long_down"
    local t
    if t="$(wait_until 60 task_running)"; then ok "task Running (${t}s)"; else fail "task not Running after the long outage: $(task_stage)"; fi
    local ar=$(( $(grep -c 'auto resume subtask' "$LOGS/dm-worker.log") - before_ar ))
    local pa=$(( $(grep -c 'subtask paused by error' "$LOGS/dm-worker.log") - before_pause ))
    if [ "$pa" -gt 0 ] && [ "$ar" -gt 0 ]; then
      ok "subtask Paused by the error $pa time(s) during the outage and auto-resumed $ar time(s): $(grep 'subtask paused by error' "$LOGS/dm-worker.log" | tail -1 | cut -c1-220)"
    else fail "long outage: $pa 'subtask paused by error', $ar 'auto resume subtask' in the worker log (expected both)"; fi
  else
    say "phase b skipped (DRILL_TARGET_DOWN=$long_down <= 60)"
  fi
  load_wait
}

# ---- main ---------------------------------------------------------------------------------------
say "drills: ${DRILLS} ($([ "$SHORT" = 1 ] && echo short || echo full)); load: oltp_write_only ${DRILL_TABLES} tables x ${DRILL_TABLE_SIZE} rows, ${DRILL_THREADS} threads, ${DRILL_RATE} tps, ${DRILL_LOAD_TIME}s; bin $BIN"
if ! "$ROOT/scripts/stack" up >"$STACK.up.log" 2>&1; then cat "$STACK.up.log"; rm -f "$STACK.up.log"; FAILS=1; exit 1; fi
rm -f "$STACK.up.log"
# shellcheck disable=SC1091
source "$STACK/stack.env"
say "stack up in $STACK (gateway $DM_GATEWAY_URL, source :$SOURCE_PORT, target :$TARGET_PORT)"

api POST /api/v1/tasks -H 'Content-Type: application/yaml' --data-binary @"$DM_TASK_FILE"
if [ "$HTTP_CODE" = 201 ]; then ok "task $TASK started through the gateway (201)"; else fail "start-task: $HTTP_CODE $BODY"; exit 1; fi
# sysbench tables on the source only: CREATE TABLE / CREATE INDEX reach the target through the
# worker's DDL replication (the task started before them), the rows through row events.
if sysbench oltp_write_only "${SB_ARGS[@]}" --mysql-port="$SOURCE_PORT" prepare >"$LOGS/sysbench-prepare.log" 2>&1; then
  ok "sysbench prepare on the source: $DRILL_TABLES tables x $DRILL_TABLE_SIZE rows"
else fail "sysbench prepare: $(tail -3 "$LOGS/sysbench-prepare.log")"; exit 1; fi
DRILL_FAILS=0
verify
SUMMARY+=("baseline (DDL + prepare replicated): $([ "$DRILL_FAILS" -eq 0 ] && echo PASS || echo "FAIL ($DRILL_FAILS)")")
if [ "$DRILL_FAILS" -ne 0 ]; then say "baseline differs: the drills are skipped"; DRILLS=""; fi

# comparator self-check: one changed row in the target must be found by both methods, then repaired
if [ -n "$DRILLS" ]; then
  DRILL_FAILS=0
  tgt_sql "UPDATE $DB.sbtest1 SET c='drills-self-check' WHERE id=7"
  out="$(compare_db "127.0.0.1:$SOURCE_PORT" "127.0.0.1:$TARGET_PORT" "$DB" "$DRILL_CHUNK")"; rc=$?
  if [ $rc -eq 1 ] && [[ "$out" == *"DIFF $DB.sbtest1 id [0, $((DRILL_CHUNK - 1))]"* ]] && [[ "$out" == *"key 7: row differs"* ]] \
     && { [ "${CMP_PT_SYNC:-1}" = 0 ] || [[ "$out" == *'UPDATE `shop`.`sbtest1`'* ]]; }; then
    ok "comparator self-check: a changed target row is reported (range, key 7, pt-table-sync UPDATE)"
  else fail "comparator self-check: a changed target row was not reported as expected (exit $rc): $out"; fi
  c="$(src_sql "SELECT c FROM $DB.sbtest1 WHERE id=7")"
  tgt_sql "UPDATE $DB.sbtest1 SET c='$c' WHERE id=7"
  SUMMARY+=("comparator self-check: $([ "$DRILL_FAILS" -eq 0 ] && echo PASS || echo FAIL)")
fi

for d in $DRILLS; do
  case "$d" in
    1) run_drill 1 "kill -9 dm-worker" drill_worker_kill ;;
    2) run_drill 2 "dm-master restart" drill_master_restart ;;
    3) run_drill 3 "dm-gateway restart" drill_gateway_restart ;;
    4) run_drill 4 "source MariaDB restart" drill_source_restart ;;
    5) run_drill 5 "target MariaDB down/up" drill_target_down ;;
    *) fail "unknown drill $d" ;;
  esac
done

echo; say "=== summary ==="
for s in "${SUMMARY[@]}"; do echo "  $s"; done
say "total $(( $(date +%s) - T0 ))s, $FAILS failure(s)"
[ "$FAILS" -eq 0 ]
