#!/usr/bin/env bash
# End-to-end: the sharding DDL windows around a kill -9 (docs/worker.md "Sharding DDL").
# Two sources, two dm-workers, 4 shards merged into shard_db.t (lib/shard.sh). Each round
# lets worker 1 own the lock (its shards meet the DDL first) and kills a worker at one point:
#  A  the owner dies right after the DDL ran on the target, before its checkpoint
#     (DMGW_FAILPOINT=shard-ddl-executed): after the restart the lock resolves again and the
#     owner does NOT run the DDL again (MODIFY: once in the target's binlog);
#  B  the owner dies after writing its execution marker, before the DDL ran
#     (shard-ddl-marked): the restarted owner runs it (once);
#  C  the owner is killed -9 while its ALTER waits for a metadata lock on the target: the
#     restarted owner waits for that connection, sees the DDL done, does not run it again;
#  D  a non-owner dies after taking the skip, before its checkpoint (shard-ddl-skipped):
#     dm-master keeps the skip and sends it when the worker reports the DDL again;
#  E  a non-owner is down (it never met the DDL) when unlock-ddl-lock resolves the lock,
#     and dm-master restarts meanwhile: the skip kept in dm-master's data-dir reaches it
#     when it meets the DDL after its restart;
#  F  the owner dies after its checkpoint, before its answer (shard-ddl-resolved): asked
#     again by the same lock instance (traceGID), the restarted owner answers from its
#     execution marker; the others skip it - without waiting for the owner's next DDL;
#  G  dm-master is killed -9 while the owner runs the DDL: restarted, it restores the lock
#     with the same owner and instance (data-dir), resolved as in F.
# After every round: no lock left, the target = the merge of the shards (HEX of every
# column), both subtasks Running.
# shellcheck source=lib/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/e2e.sh"
DIR="$(mktemp -d /tmp/dmgw-shonce-XXXXXX)"
# shellcheck source=lib/shard.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/shard.sh"
DDL0="CREATE TABLE %s (id BIGINT PRIMARY KEY, v VARCHAR(32)) DEFAULT CHARSET=utf8mb4"
shard_start shonce 230 "$DDL0"

N=0
ins() { # shard: one row in the shard's current layout (v only: later columns take defaults)
  N=$((N + 1))
  src "$(sh_port "$1")" "INSERT INTO $(sh_tbl "$1") (id, v) VALUES ($(($1 * 100000 + N)), 'r$N')"
}
alter() { src "$(sh_port "$1")" "ALTER TABLE $(sh_tbl "$1") $2"; }
locks_json() { DMCTL show-ddl-locks shonce; }
no_lock() { locks_json | grep -q 'no DDL lock exists'; }
owner_w1() { locks_json | tr -d ' \n' | grep -qF "\"owner\":\"$W1\""; }
merged() { for k in 1 2 3 4; do src "$(sh_port "$k")" "SELECT * FROM $(sh_tbl "$k")"; done; }
rows_equal() { [ "$(merged | sort)" = "$(tgt "SELECT * FROM shard_db.t" | sort)" ]; }
tbin() { mariadb-binlog "$DIR"/tgt/data/mysql-bin.[0-9]* 2>/dev/null | grep -c "^ALTER TABLE \`shard_db\`.\`t\` $1" || true; }
w_dead() { ! kill -0 "${PID[w$1]}" 2>/dev/null; }
running() { [ -z "$(DMCTL query-status shonce | grep -E '"stage": "Paused"' || true)" ]; }
round_end() { # name
  wait_for "$1: no DDL lock left" 60 no_lock
  for k in 1 2 3 4; do ins "$k"; done
  if ! wait_for "$1: target = merge of the 4 shards" 60 rows_equal; then
    diff <(merged | sort) <(tgt "SELECT * FROM shard_db.t" | sort) | head -10
  fi
  check_eq "$1: both subtasks Running" "" "$(DMCTL query-status shonce | grep -E '"stage": "Paused"' || true)"
}
# one DDL: worker 1's shards first (worker 1 owns the lock), then worker 2's
ddl_round() { # ddl-tail
  alter 1 "$1"; ins 1; alter 2 "$1"; ins 2
  wait_for "lock owned by worker 1 ($1)" 30 owner_w1
  alter 3 "$1"; ins 3; alter 4 "$1"; ins 4
}
for k in 1 2 3 4; do ins "$k"; done
wait_for "first rows merged" 30 rows_equal

# ---- A: owner killed after the DDL ran, before its checkpoint ----
kill_worker 1
DMGW_FAILPOINT=shard-ddl-executed start_worker 1
ddl_round "MODIFY COLUMN v VARCHAR(40)"
wait_for "A: worker 1 killed itself after running the DDL" 60 w_dead 1
start_worker 1
ran_before() { grep -q 'sharding DDL statement ran before the restart, not run again' "$DIR/w1.log"; }
wait_for "A: the restarted owner finds the DDL already ran" 60 ran_before
round_end A
check_eq "A: MODIFY VARCHAR(40) once in the target's binlog" 1 "$(tbin 'MODIFY COLUMN v VARCHAR(40)')"
check_eq "A: target column v varchar(40)" "varchar(40)" "$(tgt "SELECT column_type FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='v'")"

# ---- B: owner killed after its marker, before the DDL ran ----
kill_worker 1
DMGW_FAILPOINT=shard-ddl-marked start_worker 1
ddl_round "ADD COLUMN b INT DEFAULT 3"
wait_for "B: worker 1 killed itself before running the DDL" 60 w_dead 1
check_eq "B: column b not on the target yet" 0 "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='b'")"
start_worker 1
not_ran() { grep -q 'sharding DDL statement did not run before the restart, run it' "$DIR/w1.log"; }
wait_for "B: the restarted owner runs the DDL the killed run did not" 60 not_ran
round_end B
check_eq "B: ADD COLUMN b once in the target's binlog" 1 "$(tbin 'ADD COLUMN b ')"

# ---- C: owner killed -9 while its ALTER waits for a metadata lock on the target ----
mariadb -h127.0.0.1 -P"$P_TGT" -uroot -e "BEGIN; SELECT COUNT(*) FROM shard_db.t; SELECT SLEEP(600) AS mdl_hold; COMMIT" >/dev/null 2>&1 &
MDL=$!
mdl_id() { tgt "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600) AS mdl_hold%'"; }
mdl_held() { [ -n "$(mdl_id)" ]; }
wait_for "C: a target session holds shard_db.t's metadata lock" 30 mdl_held
ddl_round "MODIFY COLUMN v VARCHAR(48)"
alter_waits() { [ -n "$(tgt "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE%VARCHAR(48)%'")" ]; }
wait_for "C: the owner's ALTER waits for the metadata lock" 60 alter_waits
N_RESUMED="$(grep -c 'before the restart' "$DIR/w1.log" || true)"
kill_worker 1
start_worker 1
# MariaDB ends an ALTER waiting for a metadata lock when its client is gone: the restarted
# owner finds the table unchanged and runs it (if the server still ran it, the owner waits
# for that connection and finds it done); either way once
resumed() { [ "$(grep -c 'before the restart' "$DIR/w1.log")" -gt "$N_RESUMED" ]; }
wait_for "C: the restarted owner decided on the killed run's DDL" 60 resumed
tgt "KILL $(mdl_id)" || true
wait "$MDL" || true
round_end C
check_eq "C: MODIFY VARCHAR(48) once in the target's binlog" 1 "$(tbin 'MODIFY COLUMN v VARCHAR(48)')"

# ---- D: non-owner killed after taking the skip, before its checkpoint ----
kill_worker 2
DMGW_FAILPOINT=shard-ddl-skipped start_worker 2
ddl_round "ADD COLUMN d INT DEFAULT 4"
wait_for "D: worker 2 killed itself after the skip" 60 w_dead 2
pending_kept() { grep -q 'worker did not take the skip of a resolved DDL lock' "$DIR/m.log"; }
wait_for "D: dm-master keeps the skip for worker 2" 30 pending_kept
start_worker 2
sent() { [ "$(grep -c 'sent the skip of a resolved DDL lock to the worker that missed it' "$DIR/m.log")" -ge "$1" ]; }
wait_for "D: dm-master sends the skip when worker 2 reports the DDL again" 60 sent 1
round_end D
check_eq "D: ADD COLUMN d once in the target's binlog" 1 "$(tbin 'ADD COLUMN d ')"

# ---- E: non-owner down when the lock is resolved (unlock-ddl-lock); dm-master restarts ----
alter 1 "ADD COLUMN e INT DEFAULT 5"; ins 1; alter 2 "ADD COLUMN e INT DEFAULT 5"
wait_for "E: lock owned by worker 1" 30 owner_w1
kill_worker 2
for k in 3 4; do alter "$k" "ADD COLUMN e INT DEFAULT 5"; ins "$k"; done
N_PEND="$(grep -c 'worker did not take the skip of a resolved DDL lock' "$DIR/m.log" || true)"
out="$(DMCTL unlock-ddl-lock 'shonce-`shard_db`.`t`' || true)"
check_contains "E: unlock-ddl-lock: the owner executed, worker 2 down (38025)" "owner ExecuteDDL successfully, so DDL lock removed" "$out"
more_pend() { [ "$(grep -c 'worker did not take the skip of a resolved DDL lock' "$DIR/m.log")" -gt "$N_PEND" ]; }
wait_for "E: dm-master keeps the skip for worker 2" 30 more_pend
check_contains "E: ... in its data-dir" "\"worker\": \"$W2\"" "$(cat "$DIR/m-data/ddl-pending.json")"
restart_master
start_worker 2
wait_for "E: the kept skip reaches worker 2 after dm-master's restart" 60 sent 2
round_end E
check_eq "E: ADD COLUMN e once in the target's binlog" 1 "$(tbin 'ADD COLUMN e ')"
check_eq "E: no pending skip left" '{"pending":[],"resolving":[]}' "$(tr -d ' \n' <"$DIR/m-data/ddl-pending.json")"
# ---- F: owner killed after its checkpoint, before its answer (shard-ddl-resolved) ----
# dm-master saw the owner fail (38024) and keeps the lock; the restarted owner is past the
# DDL and blocks on nothing. Worker 2's DDLInfo (re-sent every 10 s) makes dm-master ask
# the owner again with the same lock instance (traceGID): the owner's done execution
# marker of that instance answers it (before: nothing until the owner's next DDL on that
# target; worker 2 stayed blocked with no error); worker 2 skips, the lock goes
kill_worker 1
DMGW_FAILPOINT=shard-ddl-resolved start_worker 1
ddl_round "ADD COLUMN f INT DEFAULT 6"
wait_for "F: worker 1 killed itself after its checkpoint" 60 w_dead 1
start_worker 1
answered() { [ "$(grep -c 'ExecuteDDL of a lock instance this worker already executed' "$DIR/w1.log")" -ge "$1" ]; }
wait_for "F: the restarted owner answers the same lock from its execution marker" 60 answered 1
round_end F
check_eq "F: ADD COLUMN f once in the target's binlog" 1 "$(tbin 'ADD COLUMN f ')"
ddl_round "ADD COLUMN g INT DEFAULT 7"
round_end F2
check_eq "F: ADD COLUMN g once in the target's binlog" 1 "$(tbin 'ADD COLUMN g ')"
# ---- G: dm-master killed -9 while the owner runs the DDL ----
# the owner's ALTER waits for a metadata lock; dm-master dies; the ALTER completes, the
# owner checkpoints and moves on (its answer is lost). The restarted dm-master restores the
# lock with the same owner and lock instance (data-dir), so worker 2 does not own a new
# lock and run the DDL again; asked again, the owner answers from its execution marker
# (or, when its next DDL's report comes first, dm-master sees it passed ADD COLUMN h):
# worker 2 skips it
mariadb -h127.0.0.1 -P"$P_TGT" -uroot -e "BEGIN; SELECT COUNT(*) FROM shard_db.t; SELECT SLEEP(600) AS mdl_hold; COMMIT" >/dev/null 2>&1 &
MDL=$!
wait_for "G: a target session holds shard_db.t's metadata lock" 30 mdl_held
ddl_round "ADD COLUMN h INT DEFAULT 8"
alter_h() { [ -n "$(tgt "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE%ADD COLUMN h%'")" ]; }
wait_for "G: the owner's ALTER waits for the metadata lock" 60 alter_h
kill -9 "${PID[m]}"; wait "${PID[m]}" 2>/dev/null || true
tgt "KILL $(mdl_id)" || true
wait "$MDL" || true
has_h() { [ "$(tgt "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='shard_db' AND table_name='t' AND column_name='h'")" = 1 ]; }
wait_for "G: the owner's ALTER completed with dm-master down" 60 has_h
start_master
restored() { grep -q 'restored a DDL lock whose owner was executing its DDL' "$DIR/m.log"; }
wait_for "G: the restarted dm-master restored the lock with its owner" 30 restored
g_resolved() { no_lock && { answered 2 || grep -q 'the owner passed the DDL of a lock whose ExecuteDDL failed' "$DIR/m.log"; }; }
wait_for "G: the restored lock resolves (the owner's execution answers it)" 60 g_resolved
ddl_round "ADD COLUMN i INT DEFAULT 9"
round_end G
check_eq "G: ADD COLUMN h once in the target's binlog" 1 "$(tbin 'ADD COLUMN h ')"
check_eq "G: ADD COLUMN i once in the target's binlog" 1 "$(tbin 'ADD COLUMN i ')"
check_eq "no worker error" "" "$(grep -h '"level":"error"' "$DIR"/w*.log | grep -v 'record DDLLockInfo' | head -3)"
e2e_finish
