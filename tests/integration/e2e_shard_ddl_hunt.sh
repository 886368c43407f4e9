#!/usr/bin/env bash
# End-to-end divergence hunt on pessimistic sharding DDL (session 11): two source MariaDBs,
# two dm-workers, 4 shard tables shard_db_{1,2}.t_{1,2} merged into shard_db.t, plus
# shard_db_2.t_3 - routed by the same rule but filtered out by the block-allow list.
#  1. A random DDL sequence drawn from the seed (ADD COLUMN of INT / VARCHAR / DECIMAL /
#     INT NOT NULL with defaults, also AFTER id, ADD INDEX, MODIFY widening INT->BIGINT and VARCHAR(n)->
#     VARCHAR(2n), DROP COLUMN) reaches every shard at its own random steps while each shard
#     gets random INSERT/UPDATE/DELETE in its own current layout (pre-/post-DDL shapes mixed
#     in the stream). The filtered t_3 gets its own DDLs and rows. A pause/resume or a
#     kill -9 + restart of a worker at a seed-drawn step. Then: target = union of the 4
#     shards row by row (HEX of every column as text), the target's layout = a shard's,
#     nothing of t_3 on the target, no lock left, both subtasks Running.
#  2. A shard that gets no DDL for a long time: the lock stays pending (no silent time-out,
#     no pause), the late shard's rows flow meanwhile, the others' are held; then it comes.
#  2b/2c. The same DDL text in three resolved rounds; a shard 6 long DDLs ahead (the
#     group's sharding meta past 4 KiB).
#  3. Different DDLs on the shards, never merged: DMGW_HUNT_CONFLICT=master (default) the two
#     workers differ - dm-master refuses worker 2's (38016) and show-ddl-locks names the
#     conflict (before session 11 only dm-master's log did); =worker: the shards of worker 2
#     differ - it pauses with 36008. The target never gets the column nor the held rows.
#   DMGW_SEED=<n> (default 1; random: a new seed, printed), DMGW_HUNT_STEPS (default 40),
#   DMGW_HUNT_DDLS (default 5), DMGW_HUNT_WAIT (seconds of the long wait, default 12),
#   DMGW_HUNT_CONFLICT (master|worker).
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
SEED="${DMGW_SEED:-1}"
[ "$SEED" = random ] && SEED=$(( $(date +%s) % 100000 ))
CONFLICT="${DMGW_HUNT_CONFLICT:-master}"   # phase 3: master (38016) or worker (36008)
STEPS="${DMGW_HUNT_STEPS:-40}"; NDDL="${DMGW_HUNT_DDLS:-5}"; LWAIT="${DMGW_HUNT_WAIT:-12}"
echo "# seed $SEED (DMGW_SEED=$SEED to replay), $STEPS steps, $NDDL DDLs"
RANDOM="$SEED"
export LC_ALL=C.UTF-8
DIR="$(mktemp -d /tmp/dmgw-shhunt-XXXXXX)"
# shellcheck source=lib/shard.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/shard.sh"
mk() { echo "CREATE TABLE $1 (id BIGINT PRIMARY KEY, a INT, v VARCHAR(16)) DEFAULT CHARSET=utf8mb4"; }
shard_sandboxes 230
for i in 1 2; do
  pv="P_SRC$i"
  src "${!pv}" "CREATE DATABASE shard_db_$i;
    $(mk "shard_db_$i.t_1"); $(mk "shard_db_$i.t_2");"
done
src "$P_SRC2" "$(mk shard_db_2.t_3)"   # routed by tbl, filtered by bw
tgt "CREATE DATABASE shard_db; $(mk shard_db.t)"
shard_daemons 6230
shard_task_yaml shhunt "$DIR/task.yaml"
sed -i 's/^  bw: {do-dbs: \["~^shard_db_"\]}/  bw: {do-dbs: ["~^shard_db_"], ignore-tables: [{db-name: "shard_db_2", tbl-name: "t_3"}]}/' "$DIR/task.yaml"
check_contains "task yaml filters shard_db_2.t_3" 'tbl-name: "t_3"' "$(cat "$DIR/task.yaml")"
out="$(DMCTL start-task "$DIR/task.yaml")"
check_contains "sharding task starts on both workers" '"result": true' "$out"

# ---- the random DDL sequence: LAYOUT[s] = "col:type ..." after s DDLs ----
# types: i (INT), b (BIGINT), vN (VARCHAR(N)), d (DECIMAL(8,2)), n (INT NOT NULL DEFAULT)
declare -a DDL LAYOUT
LAYOUT[0]="a:i v:v16"; IDX=" "
for s in $(seq 0 $((NDDL - 1))); do
  cur="${LAYOUT[s]}"; read -ra lcols <<<"$cur"; nc=${#lcols[@]}
  col="${lcols[RANDOM % nc]}"; cn="${col%%:*}"; ct="${col#*:}"
  case $((RANDOM % 6)) in
  0|1) case $((RANDOM % 5)) in
       0) DDL[s]="ADD COLUMN c$s INT DEFAULT $((RANDOM % 100))"; nt=i ;;
       1) DDL[s]="ADD COLUMN c$s VARCHAR(8) DEFAULT 'd$s'"; nt=v8 ;;
       2) DDL[s]="ADD COLUMN c$s DECIMAL(8,2) DEFAULT 1.25"; nt=d ;;
       3) DDL[s]="ADD COLUMN c$s INT DEFAULT 4 AFTER id"; nt=i ;;   # not last: positions shift
       *) DDL[s]="ADD COLUMN c$s INT NOT NULL DEFAULT -$s"; nt=n ;;
       esac
       LAYOUT[s+1]="$cur c$s:$nt" ;;
  2) if [[ "$IDX" == *" $cn "* ]] || [ "$ct" = d ]; then
       DDL[s]="ADD COLUMN c$s INT"; LAYOUT[s+1]="$cur c$s:i"
     else
       DDL[s]="ADD INDEX ix$s ($cn)"; IDX="$IDX$cn "; LAYOUT[s+1]="$cur"
     fi ;;
  3) case "$ct" in
     i|n) DDL[s]="MODIFY COLUMN $cn BIGINT"; nt=b ;;
     v*) nt="v$(( ${ct#v} * 2 ))"; DDL[s]="MODIFY COLUMN $cn VARCHAR(${nt#v})" ;;
     *) DDL[s]="MODIFY COLUMN $cn DECIMAL(10,2)"; nt=d ;;
     esac
     LAYOUT[s+1]="$(echo " $cur " | sed "s/ $col / $cn:$nt /; s/^ //; s/ $//")" ;;
  *) if [ "$nc" -le 1 ]; then
       DDL[s]="ADD COLUMN c$s INT DEFAULT 3"; LAYOUT[s+1]="$cur c$s:i"
     else
       DDL[s]="DROP COLUMN $cn"; LAYOUT[s+1]="$(echo " $cur " | sed "s/ $col / /; s/^ //; s/ $//")"
       IDX="${IDX/ $cn / }"
     fi ;;
  esac
  echo "# DDL $s: ${DDL[s]}  -> (${LAYOUT[s+1]})"
done

declare -a STAGE NEXT AT
for k in 1 2 3 4 5; do STAGE[k]=0; NEXT[k]=1; done   # k=5: the filtered shard_db_2.t_3
for k in 1 2 3 4; do
  r=""; for _ in $(seq 1 "$NDDL"); do r="$r$((3 + RANDOM % (STEPS - 6)))"$'\n'; done
  mapfile -t at < <(printf '%s' "$r" | sort -n)
  for d in $(seq 0 $((NDDL - 1))); do AT[k*16+d]=${at[d]}; done
done
tbl_of() { if [ "$1" = 5 ]; then echo shard_db_2.t_3; else sh_tbl "$1"; fi; }
port_of() { if [ "$1" = 5 ]; then echo "$P_SRC2"; else sh_port "$1"; fi; }
rstr() { # R: random SQL string of up to $1 characters (quotes, multi-byte)
  local n=$((RANDOM % $1 + 1)) s="" al="abXY09 _'é中-"
  for _ in $(seq 1 "$n"); do s="$s${al:RANDOM % ${#al}:1}"; done
  R="'${s//\'/\'\'}'"
}
rval() { # R: a random value of type $1
  if [ "$1" != n ] && [ $((RANDOM % 8)) = 0 ]; then R=NULL; return; fi
  case "$1" in
  i|n) R=$((RANDOM * (RANDOM % 2 ? 1 : -1))) ;;
  b) R=$((RANDOM * RANDOM * RANDOM * (RANDOM % 2 ? 1 : -1))) ;;
  d) R="$((RANDOM % 99999)).$((RANDOM % 100))" ;;
  v*) rstr "${1#v}" ;;
  esac
}
dml() { # k: one random statement in shard k's current layout, appended to SQL
  local k="$1" t id cols="id" vals sets="" c cn ct
  local -a lay
  t="$(tbl_of "$k")"
  if [ "$k" = 5 ]; then read -ra lay <<<"a:i v:v16"; else read -ra lay <<<"${LAYOUT[STAGE[k]]}"; fi
  case $((RANDOM % 10)) in
  0|1|2|3|4)
    id=$((k * 1000000 + NEXT[k])); NEXT[k]=$((NEXT[k] + 1 + RANDOM % 2)); vals="$id"
    for c in "${lay[@]}"; do
      cn="${c%%:*}"; ct="${c#*:}"
      [ $((RANDOM % 4)) = 0 ] && continue   # omitted: its default
      rval "$ct"; cols="$cols, $cn"; vals="$vals, $R"
    done
    SQL="${SQL}INSERT INTO $t ($cols) VALUES ($vals);" ;;
  5|6|7)
    id=$((k * 1000000 + 1 + RANDOM % NEXT[k]))
    for c in "${lay[@]}"; do
      cn="${c%%:*}"; ct="${c#*:}"
      [ $((RANDOM % 2)) = 0 ] && continue
      rval "$ct"; sets="$sets${sets:+, }$cn = $R"
    done
    [ -n "$sets" ] || sets="id = id"
    SQL="${SQL}UPDATE $t SET $sets WHERE id BETWEEN $id AND $((id + RANDOM % 3));" ;;
  *)
    id=$((k * 1000000 + 1 + RANDOM % NEXT[k]))
    SQL="${SQL}DELETE FROM $t WHERE id = $id;" ;;
  esac
}
run_dml() { # k count
  local i; SQL=""
  for i in $(seq 1 "$2"); do dml "$1"; done
  src "$(port_of "$1")" "$SQL"
}
alter() { # k: the shard's next DDL of the sequence
  src "$(sh_port "$1")" "ALTER TABLE $(sh_tbl "$1") ${DDL[STAGE[$1]]}"
  STAGE[$1]=$((STAGE[$1] + 1))
}
FDDLS=("ADD COLUMN zz INT DEFAULT 9" "DROP COLUMN zz" "ADD INDEX fx (a)" "MODIFY COLUMN v VARCHAR(20)")
FST=0
alter_filtered() { # a DDL on the filtered t_3 (its DML keeps id, a, v)
  [ "$FST" -lt ${#FDDLS[@]} ] || return 0
  src "$P_SRC2" "ALTER TABLE shard_db_2.t_3 ${FDDLS[FST]}"; FST=$((FST + 1))
}
locks_json() { DMCTL show-ddl-locks shhunt; }
lock_pending() { locks_json | grep -q '"ID": "shhunt-'; }
no_lock() { locks_json | grep -q 'no DDL lock exists'; }
stages() { # the subtasks' stages, sorted (one line per worker: "addr stage")
  DMCTL query-status shhunt | python3 -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(sorted(w["worker"] + " " + w["subTaskStatus"][0]["stage"] for w in d["workers"])))' 2>/dev/null
}
stage_of() { stages | awk -v w="$1" '$1 == w {print $2}'; }
stage_is() { [ "$(stages | awk '{print $2}' | grep -c "^$1$")" = "$2" ]; }
CH_AT=$((STEPS / 3 + RANDOM % (STEPS / 3))); CH_KIND=$((RANDOM % 2))

for k in 1 2 3 4 5; do run_dml "$k" 3; done
for step in $(seq 1 "$STEPS"); do
  for k in 1 2 3 4; do
    for d in $(seq 0 $((NDDL - 1))); do
      if [ "${AT[k*16+d]}" = "$step" ] && [ "${STAGE[k]}" = "$d" ]; then alter "$k"; run_dml "$k" 1; fi
    done
  done
  [ $((RANDOM % 8)) = 0 ] && alter_filtered
  if [ "$step" = "$CH_AT" ]; then
    if [ "$CH_KIND" = 0 ]; then
      w=$((1 + RANDOM % 2)); echo "# step $step: kill -9 + restart of worker $w"
      kill_worker "$w"; run_dml $((w * 2)) 2; start_worker "$w"
    else
      echo "# step $step: pause-task / resume-task"
      out="$(DMCTL pause-task shhunt)"
      check_contains "pause-task mid-run" '"result": true' "$out"
      for k in 1 2 3 4 5; do run_dml "$k" 2; done
      wait_for "both subtasks Paused" 60 stage_is Paused 2
      out="$(DMCTL resume-task shhunt)"
      check_contains "resume-task mid-run" '"result": true' "$out"
    fi
  fi
  [ $((RANDOM % 10)) = 0 ] && { pv="P_SRC$((1 + RANDOM % 2))"; src "${!pv}" "FLUSH BINARY LOGS"; }
  run_dml $((1 + RANDOM % 5)) $((1 + RANDOM % 3))
done
for k in 1 2 3 4; do while [ "${STAGE[k]}" -lt "$NDDL" ]; do alter "$k"; run_dml "$k" 1; done; done
for k in 1 2 3 4 5; do run_dml "$k" 2; done

# ---- checks of the random phase ----
final_cols() { # the column list of the final layout, as text
  local c q="HEX(id)"
  for c in ${LAYOUT[NDDL]}; do q="$q, HEX(CONCAT(${c%%:*}))"; done
  echo "$q"
}
Q="$(final_cols)"
merged() { local k; for k in 1 2 3 4; do src "$(sh_port "$k")" "SELECT $Q FROM $(sh_tbl "$k")"; done; }
target_rows() { tgt "SELECT $Q FROM shard_db.t"; }
rows_equal() { [ "$(merged | sort)" = "$(target_rows | sort)" ]; }
wait_for "no DDL lock left after the random phase" 90 no_lock || locks_json | head -c 800
if ! wait_for "target = union of the 4 shards (every column as text, HEX)" 90 rows_equal; then
  diff <(merged | sort) <(target_rows | sort) | head -20
fi
layout() { # port table: name type ... in order (the target's own layout)
  mariadb -h127.0.0.1 -P"$1" -uroot -N -B -e "SELECT GROUP_CONCAT(column_name, ' ', column_type, ' ', is_nullable, ' ', IFNULL(column_default, '-') ORDER BY ordinal_position) FROM information_schema.columns WHERE CONCAT(table_schema, '.', table_name) = '$2'"
}
check_eq "target layout = shard 1's after the sequence" "$(layout "$P_SRC1" shard_db_1.t_1)" "$(layout "$P_TGT" shard_db.t)"
check_eq "no row of the filtered shard_db_2.t_3 on the target" 0 "$(tgt "SELECT COUNT(*) FROM shard_db.t WHERE id >= 5000000")"
check_eq "no column of the filtered table's DDLs on the target" 0 "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='zz'")"
check_eq "both subtasks Running after the random phase" "Running Running" "$(stage_of "$W1") $(stage_of "$W2")"

# ---- 2. one shard gets no DDL for a long time ----
for k in 1 2 3; do src "$(sh_port "$k")" "ALTER TABLE $(sh_tbl "$k") ADD COLUMN w INT DEFAULT 5"; done
wait_for "lock pending while shard 4 lacks ADD COLUMN w" 60 lock_pending
for k in 1 2 3; do src "$(sh_port "$k")" "INSERT INTO $(sh_tbl "$k") (id, w) VALUES ($((k * 1000000 + 800000)), $k)"; done
n4=0
end=$(( $(date +%s) + LWAIT ))
while [ "$(date +%s)" -lt "$end" ]; do   # shard 4 keeps writing its old layout meanwhile
  n4=$((n4 + 1)); src "$(sh_port 4)" "INSERT INTO $(sh_tbl 4) (id) VALUES ($((4800000 + n4)))"; sleep 1
done
shard4_in() { [ "$(tgt "SELECT COUNT(*) FROM shard_db.t WHERE id BETWEEN 4800001 AND 4899999")" = "$n4" ]; }
wait_for "shard 4's old-layout rows replicate during the wait ($n4)" 60 shard4_in
check_eq "after ${LWAIT}s the lock is still pending" 1 "$(locks_json | grep -c '"ID": "shhunt-')"
check_eq "the held post-DDL rows are not on the target yet" 0 "$(tgt "SELECT COUNT(*) FROM shard_db.t WHERE id IN (1800000, 2800000, 3800000)")"
check_eq "both subtasks Running while the lock waits" "Running Running" "$(stage_of "$W1") $(stage_of "$W2")"
src "$(sh_port 4)" "ALTER TABLE $(sh_tbl 4) ADD COLUMN w INT DEFAULT 5"
wait_for "the late shard resolves the lock" 60 no_lock
Q="$Q, HEX(CONCAT(w))"
if ! wait_for "target = union of the shards after ADD COLUMN w" 60 rows_equal; then
  diff <(merged | sort) <(target_rows | sort) | head -20
fi

# ---- 2b. the same DDL text again after its sequence resolved: a fresh round, not 36008 ----
rw_is() { [ "$(tgt "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema='shard_db' AND table_name='t' AND index_name = 'rw'")" = "$1" ]; }
for ddl in "ADD INDEX rw (w)" "DROP INDEX rw" "ADD INDEX rw (w)"; do
  for k in 1 2 3 4; do src "$(sh_port "$k")" "ALTER TABLE $(sh_tbl "$k") $ddl"; run_dml "$k" 1; done
  if [ "${ddl%% *}" = ADD ]; then wait_for "'$ddl' on the target" 60 rw_is 1; else wait_for "'$ddl' on the target" 60 rw_is 0; fi
  wait_for "lock of '$ddl' resolved" 60 no_lock
done
check_eq "index rw on the target once more" "rw" "$(tgt "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema='shard_db' AND table_name='t' AND index_name = 'rw'")"
if ! wait_for "target = union of the shards after the repeated ADD INDEX" 60 rows_equal; then
  diff <(merged | sort) <(target_rows | sort) | head -20
fi
check_eq "both subtasks Running after the repeat" "Running Running" "$(stage_of "$W1") $(stage_of "$W2")"

# ---- 2c. a shard 6 DDLs ahead, long DDL texts: the group's sharding meta grows past 4 KiB ----
# (its flush statement was capped at 4096 bytes: the worker paused with "out of memory")
CMT="$(printf 'x%.0s' $(seq 1 400))"
for k in 1 2 3 4; do
  for n in 1 2 3 4 5 6; do
    src "$(sh_port "$k")" "ALTER TABLE $(sh_tbl "$k") ADD COLUMN p$n INT DEFAULT $n COMMENT '$CMT';
      INSERT INTO $(sh_tbl "$k") (id, w, p$n) VALUES ($((k * 1000000 + 600000 + n)), $n, $((k * 10 + n)))"
  done
done
p6_on_target() { [ "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='p6'")" = 1 ]; }
wait_for "the 6 long DDLs reach the target" 90 p6_on_target
wait_for "no lock after the 6 long DDLs" 60 no_lock
Q="$Q, HEX(CONCAT(p1)), HEX(CONCAT(p6))"
if ! wait_for "target = union of the shards after the 6 long DDLs" 60 rows_equal; then
  diff <(merged | sort) <(target_rows | sort) | head -20
fi
check_eq "both subtasks Running after the long DDLs" "Running Running" "$(stage_of "$W1") $(stage_of "$W2")"

# ---- 3. different DDLs on the shards: a named conflict, never a merge ----
if [ "$CONFLICT" = worker ]; then   # within one worker's group: 36008, the subtask pauses
  src "$(sh_port 3)" "ALTER TABLE $(sh_tbl 3) ADD COLUMN y INT DEFAULT 1"
  src "$(sh_port 4)" "ALTER TABLE $(sh_tbl 4) ADD COLUMN y INT DEFAULT 2"
  w2_paused_36008() { DMCTL query-status -w "$W2" shhunt | grep -q '36008'; }
  wait_for "worker 2 pauses with 36008 (inconsistent DDL sequence)" 60 w2_paused_36008
  check_eq "worker 2 Paused, worker 1 stays Running" "Running Paused" "$(stage_of "$W1") $(stage_of "$W2")"
else   # between the workers: dm-master refuses worker 2's DDLs (38016), show-ddl-locks names it
  for k in 1 2; do src "$(sh_port "$k")" "ALTER TABLE $(sh_tbl "$k") ADD COLUMN y INT DEFAULT 1"; done
  w1_owner() { locks_json | tr -d ' \n' | grep -qF "\"owner\":\"$W1\""; }
  wait_for "worker 1 owns the lock of ADD COLUMN y DEFAULT 1" 60 w1_owner
  for k in 3 4; do src "$(sh_port "$k")" "ALTER TABLE $(sh_tbl "$k") ADD COLUMN y INT DEFAULT 2"; done
  conflict_shown() { locks_json | grep -q "$W2: .*code=38016.*is different with ALTER TABLE \`shard_db\`.\`t\` ADD COLUMN y INT DEFAULT 2"; }
  wait_for "show-ddl-locks names worker 2's conflicting DDLs (38016)" 60 conflict_shown
  out="$(locks_json | tr -d ' \n')"
  check_contains "the lock keeps worker 2 unsynced" "\"unsynced\":[\"$W2\"]" "$out"
  for k in 1 2 3 4; do src "$(sh_port "$k")" "INSERT INTO $(sh_tbl "$k") (id, y) VALUES ($((k * 1000000 + 700000)), 9)"; done
  sleep 2
  check_eq "no held row of either DDL on the target" 0 "$(tgt "SELECT COUNT(*) FROM shard_db.t WHERE id % 1000000 = 700000")"
fi
check_eq "no column y on the target" 0 "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='y'")"
check_eq "no worker log at level fatal" "" "$(grep -h '"level":"fatal"' "$DIR"/w*.log | head -3)"
e2e_finish
