#!/usr/bin/env bash
# task-mode `full` over random schemas and rows (lib/load_random_gen.py: ~37 column types at their
# edges, key shapes, generated / invisible columns, MyISAM and partitioned tables, odd names), one
# seed after the other on one private stack: each source database is dumped by mydumper and loaded
# by dm-worker, then compared with the source row by row (lib/load_compare.py: HEX of every column).
# DMGW_SEED=<n> replays a run (printed), DMGW_LOAD_RANDOM_RUNS=<n> seeds (default 6). Label "long"
# (+ "bench": left out of scripts/test.sh's CI pass): ctest --test-dir build -R long_load_random
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
LIB="$(dirname "${BASH_SOURCE[0]}")/lib"
SEED="${DMGW_SEED:-$RANDOM}"
RUNS="${DMGW_LOAD_RANDOM_RUNS:-6}"
echo "seed $SEED (DMGW_SEED=$SEED replays it), $RUNS runs"
e2e_stack_up
dm() { out="$("$DMGW_BIN/dmctl" -master-addr "$DM_MASTER_ADDR" "$@" 2>&1)" || true; }
stage() { dm query-status rnd; echo "$out" | grep -o '"stage": "[A-Za-z]*"' | head -1 | cut -d'"' -f4; }

for i in $(seq 1 "$RUNS"); do
  s=$((SEED + i))
  python3 "$LIB/load_random_gen.py" "$s" rnd >"$DM_STACK_DIR/rnd.sql"
  mariadb -h127.0.0.1 -P"$SOURCE_PORT" -uroot --default-character-set=utf8mb4 --force \
    <"$DM_STACK_DIR/rnd.sql" >"$DM_STACK_DIR/rnd.err" 2>&1 || true   # INSERT IGNORE rows may warn
  tgt_sql "DROP DATABASE IF EXISTS rnd"
  cat >"$DM_STACK_DIR/rnd.yaml" <<YAML
name: "rnd"
task-mode: "full"
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
    do-dbs: ["rnd"]
mydumpers:
  global:
    threads: 2
    extra-args: "--rows $((1 + s % 100))"
loaders:
  global:
    pool-size: 3
    dir: "$DM_STACK_DIR/dumped"
YAML
  dm start-task "$DM_STACK_DIR/rnd.yaml"
  check_contains "seed $s: start-task" '"result": true' "$out"
  for _ in $(seq 1 300); do st="$(stage)"; [ "$st" = Finished ] || [ "$st" = Paused ] && break; sleep 0.5; done
  check_eq "seed $s: the full task finished" Finished "$st"
  [ "$st" = Finished ] || echo "$out" | grep '"msg": "\[' | head -2 | cut -c1-600
  if diff_out="$(python3 "$LIB/load_compare.py" "$SOURCE_PORT" "$TARGET_PORT" rnd)"; then
    ok "seed $s: every table equal row by row"
  else
    fail "seed $s: the target differs"; echo "$diff_out"
  fi
  dm stop-task rnd
done
e2e_finish
