# shellcheck shell=bash
# shard.sh - the frame of the sharding end-to-end scripts (sourced after lib/e2e.sh, with
# DIR set to the run's temp dir): two source sandboxes (src1, src2) and a target (tgt)
# under $DIR, two dm-workers (worker i replicates source i, relay on), one dm-master with
# both deployed, everything stopped and removed on exit (DMGW_KEEP=1 keeps $DIR; SEED,
# when set, is printed on failure).
#   shard_sandboxes ID_BASE   the sandboxes (server-ids BASE+1..3)
#   shard_daemons ID_BASE     the workers (relay server-ids BASE+1, BASE+2) and dm-master
#   start_worker I / kill_worker I, start_master / restart_master (lib/daemons.sh)
#   shard_task_yaml NAME FILE   the is-sharding task: shard_db_{1,2}.t_* -> shard_db.t,
#                               from each source's current position
#   shard_start NAME ID_BASE DDL0   shard_sandboxes ID_BASE, shard_daemons ID_BASE+6000, the
#                               4 shards shard_db_{1,2}.t_{1,2} and the target shard_db.t
#                               created with DDL0 (printf format, %s = the table), the task
#                               NAME started (checked); shard k (1..4) = table $(sh_tbl k)
#                               on source port $(sh_port k)
#   src PORT SQL / tgt SQL / DMCTL ...
# shellcheck source=daemons.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"
SB="$ROOT/scripts/mariadb-sandbox.sh"
P_SRC1="$(rand_port)"; P_SRC2="$(rand_port)"; P_TGT="$(rand_port)"
P_W1="$(rand_port)"; P_W2="$(rand_port)"; P_M="$(rand_port)"
# shellcheck disable=SC2034  # W1, W2: for the scripts that source this
W1="127.0.0.1:$P_W1" W2="127.0.0.1:$P_W2"
declare -A PID
shard_cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] || [ "$FAILS" -ne 0 ]; then
    [ -n "${SEED:-}" ] && echo "# seed $SEED"
    tail -n 25 "$DIR"/*.log 2>/dev/null || true
  fi
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if grep -q "Sanitizer\|runtime error:" "$DIR"/*.log 2>/dev/null; then   # ASan/UBSan builds
    grep -h -A20 "Sanitizer\|runtime error:" "$DIR"/*.log | head -80
    rc=1
  fi
  for d in src1 src2 tgt; do "$SB" stop "$DIR/$d" >/dev/null 2>&1 || true; done
  if [ -n "${DMGW_KEEP:-}" ]; then echo "# kept $DIR"; else rm -rf "$DIR"; fi
  rm -f "$RAND_PORTS_FILE"
  exit "$rc"
}
trap shard_cleanup EXIT

src() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P"$1" -uroot -N -B -e "$2"; }
tgt() { mariadb --default-character-set=utf8mb4 -h127.0.0.1 -P"$P_TGT" -uroot -N -B -e "$1"; }
DMCTL() { "$DMGW_BIN/dmctl" -master-addr "127.0.0.1:$P_M" "$@"; }


shard_sandboxes() { # server-id base: sources BASE+1, BASE+2, target BASE+3
  local base="$1"
  "$SB" start "$DIR/src1" "$P_SRC1" $((base + 1)) >/dev/null &
  "$SB" start "$DIR/src2" "$P_SRC2" $((base + 2)) >/dev/null &
  "$SB" start "$DIR/tgt" "$P_TGT" $((base + 3)) >/dev/null &
  wait
}
shard_daemons() { # relay server-id base: worker i gets BASE+i
  worker_up 1 $(($1 + 1))
  worker_up 2 $(($1 + 2))
  master_up 2 10s 'ddl-retry-interval = "1s"'
}

shard_task_yaml() { # name file
  local f1 p1 f2 p2
  read -r f1 p1 < <(src "$P_SRC1" "SHOW MASTER STATUS" | awk '{print $1, $2}')
  read -r f2 p2 < <(src "$P_SRC2" "SHOW MASTER STATUS" | awk '{print $1, $2}')
  cat >"$2" <<YAML
name: $1
task-mode: incremental
is-sharding: true
target-database: {host: "127.0.0.1", port: $P_TGT, user: root, password: ""}
mysql-instances:
  - source-id: source-1
    meta: {binlog-name: "$f1", binlog-pos: $p1}
    route-rules: [db, tbl]
    black-white-list: bw
  - source-id: source-2
    meta: {binlog-name: "$f2", binlog-pos: $p2}
    route-rules: [db, tbl]
    black-white-list: bw
routes:
  db: {schema-pattern: "shard_db_*", target-schema: "shard_db"}
  tbl: {schema-pattern: "shard_db_*", table-pattern: "t_*", target-schema: "shard_db", target-table: "t"}
black-white-list:
  bw: {do-dbs: ["~^shard_db_"]}
YAML
}

# shellcheck disable=SC2034  # S, T: for the scripts that source this
S=(0 1 1 2 2); T=(0 1 2 1 2)     # shard k = shard_db_S[k].t_T[k]
sh_port() { local pv="P_SRC${S[$1]}"; echo "${!pv}"; }
sh_tbl() { echo "shard_db_${S[$1]}.t_${T[$1]}"; }

shard_start() { # name id-base ddl0-format
  local i pv out
  shard_sandboxes "$2"
  for i in 1 2; do
    pv="P_SRC$i"
    # shellcheck disable=SC2059  # the format is the caller's DDL
    src "${!pv}" "CREATE DATABASE shard_db_$i;
      $(printf "$3" "shard_db_$i.t_1"); $(printf "$3" "shard_db_$i.t_2");"
  done
  # shellcheck disable=SC2059
  tgt "CREATE DATABASE shard_db; $(printf "$3" shard_db.t)"
  shard_daemons $(($2 + 6000))   # relay server-ids
  shard_task_yaml "$1" "$DIR/task.yaml"
  out="$(DMCTL start-task "$DIR/task.yaml")"
  check_contains "sharding task starts on both workers" '"result": true' "$out"
}
