#!/usr/bin/env bash
# load.sh - the Load unit against myloader on the SAME mydumper output, same thread count,
# empty target each time; plus dump+load (task-mode full) against mydumper + myloader, and
# dm-worker's peak RSS, and task-mode all end to end against mydumper + myloader -e +
# native replication started by hand (BENCH_LOAD_ALL=0 skips it). Not a test: prints numbers and ratios (goal: load >= 1.2x myloader).
# Runs interleave the variants RUNS times so the box's noise hits all of them; medians and
# ratios of medians are printed, and per load the target server's CPU seconds (user+sys of
# its mariadbd: the work, whatever the box load) and dm-worker's / myloader's own CPU.
# Variants (BENCH_LOAD_VARIANTS, default "ours myle insert myl"):
#   ours     the Load unit as it ships (LOAD DATA LOCAL path, keys after the data)
#   myle     myloader -e: writes the target's binlog as the Load unit does (DM's loader
#            never turns it off): the equal-work baseline
#   insert   the Load unit with DMGW_LOAD_INFILE=0 (the dump's INSERTs as they are)
#   nodefer  the Load unit with DMGW_LOAD_DEFER_KEYS=0 (plain KEYs in the CREATE, DM's way)
#   myl      myloader as it defaults (SET SQL_LOG_BIN=0: no target binlog)
# Data (BENCH_LOAD_DATA):
#   multi (default) four tables of BENCH_LOAD_TABLE_ROWS rows each (250,000: ~111 MB of
#         dump) with mixed types (decimal, double, datetime, utf8mb4 / latin1 text, binary,
#         BIT, NULLs) and one or two secondary keys each (one UNIQUE)
#   one   the first rounds' data: bl.t of BENCH_LOAD_ROWS rows (1,000,000: ~265 MB, one
#         KEY) + bl.small of 1,000
#   scripts/bench/load.sh [--quick]          # quick: 50,000 rows per table (one: 100,000)
# Env: BENCH_LOAD_THREADS (4: load threads), BENCH_LOAD_DUMP_THREADS (mydumper's; default
# the same), BENCH_LOAD_RUNS (3), BENCH_PORT_BASE (29100; uses +60..+69);
# DMGW_LOAD_TXN_BYTES reaches every dm-worker.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DATA="${BENCH_LOAD_DATA:-multi}"; TH="${BENCH_LOAD_THREADS:-4}"; RUNS="${BENCH_LOAD_RUNS:-3}"
VARIANTS="${BENCH_LOAD_VARIANTS:-ours myle insert myl}"
DTH="${BENCH_LOAD_DUMP_THREADS:-$TH}"   # mydumper 0.10.1 hung at the end of the multi dump with -t 8
TROWS="${BENCH_LOAD_TABLE_ROWS:-250000}"; ROWS="${BENCH_LOAD_ROWS:-1000000}"
if [ "${1:-}" = "--quick" ]; then TROWS="${BENCH_LOAD_TABLE_ROWS:-50000}"; ROWS="${BENCH_LOAD_ROWS:-100000}"; fi
bench_init load
bench_need mydumper myloader mariadb
bench_bins worker master dmctl
P=$(( ${BENCH_PORT_BASE:-29100} + 60 ))
SPORT=$P; TPORT=$((P + 1)); WPORT=$((P + 2)); MPORT=$((P + 3)); WPORT2=$((P + 4))
bench_mariadb src "$SPORT" 1
bench_mariadb dst "$TPORT" 2
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

# one_data / multi_data: the source database bl
one_data() {
  sql src -e "CREATE DATABASE bl; CREATE TABLE bl.t (id INT PRIMARY KEY, a INT, s VARCHAR(100),
    t TEXT, d DATETIME, KEY(a)) CHARSET utf8mb4;
    INSERT INTO bl.t SELECT seq, seq % 1000, CONCAT('name-', seq, '-', MD5(seq)),
    REPEAT(MD5(seq), 6), '2020-01-01' + INTERVAL seq SECOND FROM bl.seq_1_to_$ROWS;
    CREATE TABLE bl.small (id INT PRIMARY KEY, v VARCHAR(20));
    INSERT INTO bl.small SELECT seq, 'v' FROM bl.seq_1_to_1000;"
  ROWS=$((ROWS + 1000))
}
multi_data() {
  local n="$TROWS"
  sql src --default-character-set=utf8mb4 -e "CREATE DATABASE bl;
  CREATE TABLE bl.orders (id INT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(14,2),
    ratio DOUBLE, status VARCHAR(16) NOT NULL, created DATETIME NOT NULL, note TEXT,
    KEY k_customer (customer), KEY k_created (created)) CHARSET utf8mb4;
  INSERT INTO bl.orders SELECT seq, seq % 50000, (CAST(seq % 200000 AS SIGNED) - 100000) / 100,
    IF(seq % 11 = 0, NULL, (seq * 1.000001) * POW(10, CAST(seq % 40 AS SIGNED) - 20)),
    ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'), '2020-01-01' + INTERVAL seq MINUTE,
    CONCAT('order ', seq, IF(seq % 5 = 0, '\tfragile\nhandle with care', ''), ' é€😀 ', MD5(seq))
    FROM bl.seq_1_to_$n;
  CREATE TABLE bl.events (id BIGINT PRIMARY KEY, uuid CHAR(36) NOT NULL, payload VARBINARY(64),
    kind TINYINT UNSIGNED NOT NULL, day DATE, src VARCHAR(255) CHARACTER SET latin1,
    KEY k_day (day)) CHARSET utf8mb4;
  INSERT INTO bl.events SELECT seq * 1000003, CONCAT(LEFT(MD5(seq),8),'-',SUBSTR(MD5(seq),9,4),'-4',
    SUBSTR(MD5(seq),14,3),'-a',SUBSTR(MD5(seq),18,3),'-',RIGHT(MD5(seq),12)),
    IF(seq % 13 = 0, NULL, UNHEX(CONCAT(MD5(seq), SHA1(seq)))), seq % 256,
    '2000-01-01' + INTERVAL seq % 9000 DAY,
    IF(seq % 3 = 0, CONCAT('caf', CHAR(0xE9), ' \\\\ back\\\\slash ', seq), IF(seq % 3 = 1, '', 'N'))
    FROM bl.seq_1_to_$n;
  CREATE TABLE bl.users (id INT PRIMARY KEY, email VARCHAR(120) NOT NULL, name VARCHAR(80) NOT NULL,
    score FLOAT, balance DECIMAL(20,6), active BIT(1), born DATE, bio VARCHAR(500),
    UNIQUE KEY uk_email (email), KEY k_name (name)) CHARSET utf8mb4;
  INSERT INTO bl.users SELECT seq, CONCAT('user', seq, '@example.com'),
    CONCAT(ELT(1 + seq % 5, 'Zoë', 'Ана', '李', 'O''Brien', 'Smith'), ' ', seq),
    IF(seq % 9 = 0, NULL, (seq % 100000) / 100), -CAST(seq AS SIGNED) * 1.123456, seq % 2,
    '1950-01-01' + INTERVAL seq % 20000 DAY,
    IF(seq % 4 = 0, NULL, REPEAT(SUBSTR(MD5(seq), 1, 10), 1 + seq % 20)) FROM bl.seq_1_to_$n;
  CREATE TABLE bl.items (order_id INT NOT NULL, line SMALLINT NOT NULL, sku VARCHAR(32) NOT NULL,
    qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, img BLOB, PRIMARY KEY (order_id, line),
    KEY k_sku (sku)) CHARSET utf8mb4;
  INSERT INTO bl.items SELECT 1 + seq DIV 4, seq % 4, CONCAT('SKU-', seq % 9973), 1 + seq % 7,
    (seq % 10000) / 100, IF(seq % 17 = 0, UNHEX(REPEAT(LPAD(HEX(seq % 256), 2, '0'), 40)), NULL)
    FROM bl.seq_1_to_$n;"
  ROWS=$((4 * n))
}
case "$DATA" in
  one) one_data;;
  multi) multi_data;;
  *) bdie "BENCH_LOAD_DATA: one or multi";;
esac
blog "source ($DATA): $ROWS rows"
# every table's row count, and its keys, as the source has them
TABLES=$(sql src -N -e "SELECT GROUP_CONCAT(CONCAT('(SELECT COUNT(*) FROM bl.', TABLE_NAME, ')')
  SEPARATOR '+') FROM information_schema.TABLES WHERE TABLE_SCHEMA='bl' AND TABLE_TYPE='BASE TABLE'")
KEYQ="SELECT COUNT(DISTINCT TABLE_NAME, INDEX_NAME) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='bl'"
NKEYS=$(sql src -N -e "$KEYQ")

DUMP="$BENCH_DIR/dump"
t0=$(now)
mydumper -h 127.0.0.1 -P "$SPORT" -u root -o "$DUMP" -t "$DTH" --rows 50000 -x '^bl\.' -v 1
T_DUMP=$(secs "$t0" "$(now)")
MB=$(du -sm --apparent-size "$DUMP" | cut -f1)
blog "mydumper: ${T_DUMP}s, $MB MB"

reset_target() { sql dst -e "DROP DATABASE IF EXISTS bl; DROP DATABASE IF EXISTS dm_meta;"; }

TPID=$(cat "$BENCH_DIR/dst/mysqld.pid")
check_rows() { [ "$(sql dst -N -e "SELECT $TABLES")" = "$ROWS" ] || bdie "$1 row count"; }
keys_ok() { [ "$(sql dst -N -e "$KEYQ")" = "$NKEYS" ] || bdie "$1: the target lacks keys"; }
# run_myloader [extra args]: "seconds server-cpu-seconds client-cpu-seconds" to restore the
# dump into an empty target
run_myloader() {
  local t0 c0 cc
  reset_target
  c0=$(proc_cpu_ticks "$TPID"); t0=$(now)
  /usr/bin/time -f "%U %S" -o "$BENCH_DIR/myloader.time" \
    myloader -h 127.0.0.1 -P "$TPORT" -u root -d "$DUMP" -t "$TH" -o -v 1 "$@"
  cc=$(awk '{printf "%.2f", $1 + $2}' "$BENCH_DIR/myloader.time")
  echo "$(secs "$t0" "$(now)") $(cpu_s "$c0" "$(proc_cpu_ticks "$TPID")") $cc"
  check_rows myloader
}

bench_worker worker "$WPORT" bench-load-src 4601 "$SPORT"
WPID=$LAST_PID
DMGW_LOAD_DEFER_KEYS=0 bench_worker worker2 "$WPORT2" bench-load-src2 4602 "$SPORT"
W2PID=$LAST_PID
WPORT3=$((P + 5))
DMGW_LOAD_INFILE=0 bench_worker worker3 "$WPORT3" bench-load-src3 4603 "$SPORT"
W3PID=$LAST_PID
bench_master "$MPORT" "bench-load-src=$WPORT" "bench-load-src2=$WPORT2" "bench-load-src3=$WPORT3"
# run_full <name> <dump dir to import or ""> [source-id]: full-mode task, "seconds server-cpu
# worker-cpu" to Finished
run_full() {
  local name="$1" import="$2" sid="${3:-bench-load-src}" t0 c0 w0 wpid out
  case "$sid" in *src2) wpid=$W2PID;; *src3) wpid=$W3PID;; *) wpid=$WPID;; esac
  cat >"$BENCH_DIR/$name.yaml" <<YAML
name: "$name"
task-mode: "full"
target-database: {host: "127.0.0.1", port: $TPORT, user: "root", password: ""}
mysql-instances:
  - source-id: "$sid"
    black-white-list: "bl"
    mydumper: {threads: $DTH, chunk-filesize: 64, skip-tz-utc: true, extra-args: "--rows 50000"}
    loader: {pool-size: $TH, dir: "$BENCH_DIR/ours"}
black-white-list:
  bl: {do-dbs: ["bl"]}
YAML
  if [ -n "$import" ]; then
    # DM v1.0's master has no import-dir: put the dump where the worker keeps it and mark
    # the Load as begun (a loader checkpoint row), so the worker resumes Load, not Dump
    mkdir -p "$BENCH_DIR/ours.$name"; rm -rf "$BENCH_DIR/ours.$name/$name.$sid"
    cp -r "$import" "$BENCH_DIR/ours.$name/$name.$sid"
    sql dst -e "CREATE DATABASE IF NOT EXISTS dm_meta; CREATE TABLE dm_meta.${name}_loader_checkpoint (
      id char(32) NOT NULL, filename varchar(255) NOT NULL, cp_schema varchar(128) NOT NULL,
      cp_table varchar(128) NOT NULL, \`offset\` bigint NOT NULL, end_pos bigint NOT NULL,
      create_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
      update_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      UNIQUE KEY uk_id_f (id,filename));
      INSERT INTO dm_meta.${name}_loader_checkpoint VALUES ('$sid','bench-marker','','',0,0,NOW(),NOW());"
  fi
  c0=$(proc_cpu_ticks "$TPID"); w0=$(proc_cpu_ticks "$wpid"); t0=$(now)
  bench_start_task "$MPORT" "$BENCH_DIR/$name.yaml"
  for _ in $(seq 1 36000); do
    out="$("$DMCTL" -master-addr "127.0.0.1:$MPORT" query-status "$name" 2>&1 || true)"
    case "$out" in
      *'"stage": "Finished"'*) break;;
      *auto-resume*) ;;   # a hung mydumper killed by the Dump unit: auto-resume dumps again
      *'"stage": "Paused"'*) bdie "$name paused: ${out:0:800}";;
    esac
    sleep 0.2
  done
  echo "$(secs "$t0" "$(now)") $(cpu_s "$c0" "$(proc_cpu_ticks "$TPID")") $(cpu_s "$w0" "$(proc_cpu_ticks "$wpid")")"
  "$DMCTL" -master-addr "127.0.0.1:$MPORT" stop-task "$name" >/dev/null 2>&1 || true
  rm -rf "$BENCH_DIR/ours.$name"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{ if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
declare -A T C W
for i in $(seq 1 "$RUNS"); do
  for v in $VARIANTS; do
    case $v in
      ours) reset_target; o=$(run_full "load$i" "$DUMP"); check_rows ours; keys_ok ours;;
      insert) reset_target; o=$(run_full "insert$i" "$DUMP" bench-load-src3); check_rows insert
              keys_ok insert;;
      nodefer) reset_target; o=$(run_full "nodefer$i" "$DUMP" bench-load-src2); check_rows nodefer
               keys_ok nodefer;;
      myle) o=$(run_myloader -e);;
      myl) o=$(run_myloader);;
      *) bdie "unknown variant $v";;
    esac
    read -r t c w <<<"$o"
    T[$v]+="$t "; C[$v]+="$c "; W[$v]+="$w "
    blog "run $i $v: ${t}s, target mariadbd CPU ${c}s, client CPU ${w}s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
RSS_LOAD=$(awk '/VmHWM/{print $2}' "/proc/$WPID/status")
has() { [[ " $VARIANTS " == *" $1 "* ]]; }
# per round: myloader -e time / ours (the pair ran back to back), then their median
RR=-
if has ours && has myle; then
  RR=$(paste -d' ' <(tr ' ' '\n' <<<"${T[ours]}" | grep .) <(tr ' ' '\n' <<<"${T[myle]}" | grep .) |
    awk '{printf "%.2f ", $2 / $1}')
fi
declare -A MT MC MW
for v in $VARIANTS; do MT[$v]=$(median <<<"${T[$v]}"); MC[$v]=$(median <<<"${C[$v]}"); MW[$v]=$(median <<<"${W[$v]}"); done
reset_target
o=$(run_full dumpload ""); read -r T_ALL _ <<<"$o"
check_rows "dump+load"
RSS=$(awk '/VmHWM/{print $2}' "/proc/$WPID/status")
blog "dm-worker dump+load: ${T_ALL}s, peak RSS $RSS KiB"


# ---- task-mode all end to end vs mydumper + myloader -e + native replication by hand ----
# Both sides start from an empty target while the same writer script (BENCH_LOAD_ALL_OPS
# statements: UPDATEs of existing rows, INSERTs and DELETEs of fresh ids) runs on the
# source from the start; the time is from the start to the moment the writer is done and
# CHECKSUM TABLE of every table is equal on both servers (polled every second).
ALL_OPS="${BENCH_LOAD_ALL_OPS:-20000}"; ALL_RUNS="${BENCH_LOAD_ALL_RUNS:-1}"
CKQ="CHECKSUM TABLE $(sql src -N -e "SELECT GROUP_CONCAT(CONCAT('bl.', TABLE_NAME)) FROM
  information_schema.TABLES WHERE TABLE_SCHEMA='bl' AND TABLE_TYPE='BASE TABLE'")"
# writer_sql <run>: the statements (deterministic per run, fresh ids per run)
writer_sql() {
  awk -v n="$ALL_OPS" -v run="$1" -v rows="$TROWS" -v one="$DATA" 'BEGIN{
    srand(run); base = 100000000 + run * 1000000
    for (i = 0; i < n; i++) {
      k = int(rand() * 3); id = 1 + int(rand() * rows)
      if (one == "one") { printf "UPDATE bl.t SET a = a + 1 WHERE id = %d;\n", id; continue }
      if (k == 0) printf "UPDATE bl.orders SET amount = amount + 1, status = %s WHERE id = %d;\n", "\x27paid\x27", id
      else if (k == 1) printf "INSERT INTO bl.items VALUES (%d, 1, %s, 2, 9.99, NULL);\n", base + i, "\x27SKU-x\x27"
      else printf "DELETE FROM bl.items WHERE order_id = %d;\n", base + i - 1
    }}'
}
checksums_equal() { [ "$(sql src -N -e "$CKQ" | md5sum)" = "$(sql dst -N -e "$CKQ" | md5sum)" ]; }
# converged_after <t0>: (the caller waited for the writer) seconds from t0 until every
# table's checksum matches
converged_after() {
  local t0="$1"
  for _ in $(seq 1 900); do
    checksums_equal && { secs "$t0" "$(now)"; return 0; }
    sleep 1
  done
  bdie "no convergence within 15 minutes"
}
run_all_ours() {   # "seconds"
  local name="all$1" t0 wp out
  reset_target
  cat >"$BENCH_DIR/$name.yaml" <<YAML
name: "$name"
task-mode: "all"
target-database: {host: "127.0.0.1", port: $TPORT, user: "root", password: ""}
mysql-instances:
  - source-id: "bench-load-src"
    black-white-list: "bl"
    mydumper: {threads: $DTH, chunk-filesize: 64, skip-tz-utc: true, extra-args: "--rows 50000"}
    loader: {pool-size: $TH, dir: "$BENCH_DIR/ours"}
    syncer: {worker-count: 16, batch: 100}
black-white-list:
  bl: {do-dbs: ["bl"]}
YAML
  t0=$(now)
  writer_sql "$1" | sql src >/dev/null & wp=$!
  bench_start_task "$MPORT" "$BENCH_DIR/$name.yaml"
  wait "$wp" || bdie "the writer failed"
  out=$(converged_after "$t0")
  "$DMCTL" -master-addr "127.0.0.1:$MPORT" stop-task "$name" >/dev/null 2>&1 || true
  rm -rf "$BENCH_DIR/ours.$name"
  echo "$out"
}
run_all_hand() {   # "seconds": mydumper, myloader -e, CHANGE MASTER at the dump's position
  local t0 wp d="$BENCH_DIR/hand$1" file pos
  reset_target
  sql dst -e "STOP SLAVE; RESET SLAVE ALL" 2>/dev/null || true
  rm -rf "$d"
  t0=$(now)
  writer_sql "$1" | sql src >/dev/null & wp=$!
  mydumper -h 127.0.0.1 -P "$SPORT" -u root -o "$d" -t "$DTH" --rows 50000 -x '^bl\.' -v 1
  myloader -h 127.0.0.1 -P "$TPORT" -u root -d "$d" -t "$TH" -o -v 1 -e
  file=$(awk '/Log:/{print $2; exit}' "$d/metadata"); pos=$(awk '/Pos:/{print $2; exit}' "$d/metadata")
  [ -n "$file" ] && [ -n "$pos" ] || bdie "no binlog position in $d/metadata"
  sql dst -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$SPORT, MASTER_USER='root',
    MASTER_PASSWORD='', MASTER_LOG_FILE='$file', MASTER_LOG_POS=$pos, MASTER_USE_GTID=no;
    START SLAVE"
  wait "$wp" || bdie "the writer failed"
  converged_after "$t0"
  sql dst -e "STOP SLAVE; RESET SLAVE ALL"
  rm -rf "$d"
}
TA_O=""; TA_H=""
if [ "${BENCH_LOAD_ALL:-1}" = 1 ]; then
  for i in $(seq 1 "$ALL_RUNS"); do
    o=$(run_all_ours "$i"); TA_O+="$o "
    blog "all run $i: dm-worker task-mode all ${o}s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    h=$(run_all_hand "$((i + 100))"); TA_H+="$h "
    blog "all run $i: mydumper + myloader -e + native replication ${h}s"
  done
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0 && b != "") printf "%.2f", b / a; else print "-" }'; }
mbs() { awk -v m="$MB" -v s="$1" 'BEGIN{ if (s > 0) printf "%.1f", m / s; else print "-" }'; }
rps() { awk -v r="$ROWS" -v s="$1" 'BEGIN{ if (s > 0) printf "%.0f", r / s; else print "-" }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN{ print (r != "-" && r >= g) ? "OK" : "MISS" }'; }
row() { echo "$*"; [ -n "${BENCH_RESULTS:-}" ] && echo "$*" >>"$BENCH_RESULTS"; return 0; }
for v in $VARIANTS; do
  row "load|runs $v|${T[$v]}s|target CPU ${C[$v]}s|client CPU ${W[$v]}s"
  row "load|median $v ($TH threads, $MB MB, $ROWS rows, data $DATA)|$(mbs "${MT[$v]}") MB/s, $(rps "${MT[$v]}") rows/s|${MT[$v]}s|target CPU ${MC[$v]}s, client CPU ${MW[$v]}s"
done
if has ours && has myle; then
  R=$(ratio "${MT[ours]}" "${MT[myle]}"); RC=$(ratio "${MC[ours]}" "${MC[myle]}")
  row "load|Load unit vs myloader -e (medians of $RUNS, target binlog on for both)|$(mbs "${MT[ours]}") MB/s, $(rps "${MT[ours]}") rows/s|${MT[ours]}s|myloader -e $(mbs "${MT[myle]}") MB/s, $(rps "${MT[myle]}") rows/s (${MT[myle]}s)|$R|>= 1.2|$(verdict "$R" 1.2)"
  row "load|per round: myloader -e time / Load unit time|$RR|median $(median <<<"$RR")|||>= 1.2|$(verdict "$(median <<<"$RR")" 1.2)"
  row "load|target mariadbd CPU: Load unit vs myloader -e (medians)|${MC[ours]}s|s|${MC[myle]}s|$RC|-|-"
  R2=$(ratio "$T_ALL" "$(awk -v a="$T_DUMP" -v b="${MT[myle]}" 'BEGIN{print a+b}')")
  row "load|task-mode full (dump+load) vs mydumper+myloader -e|${T_ALL}s|s|${T_DUMP}s + ${MT[myle]}s|$R2|>= 1.0|$(verdict "$R2" 1.0)"
fi
has ours && has insert &&
  row "load|Load unit: LOAD DATA path vs its INSERTs (DMGW_LOAD_INFILE=0)|${MT[ours]}s, CPU ${MC[ours]}s|s|${MT[insert]}s, CPU ${MC[insert]}s|$(ratio "${MT[ours]}" "${MT[insert]}") (CPU $(ratio "${MC[ours]}" "${MC[insert]}"))|-|-"
has ours && has nodefer &&
  row "load|Load unit vs itself with keys in the CREATE (DMGW_LOAD_DEFER_KEYS=0)|${MT[ours]}s|s|${MT[nodefer]}s (CPU ${MC[nodefer]}s)|$(ratio "${MT[ours]}" "${MT[nodefer]}")|-|-"
has ours && has myl &&
  row "load|Load unit vs myloader as it defaults (no target binlog)|$(mbs "${MT[ours]}") MB/s|${MT[ours]}s|myloader $(mbs "${MT[myl]}") MB/s (${MT[myl]}s, CPU ${MC[myl]}s)|$(ratio "${MT[ours]}" "${MT[myl]}")|-|-"
if [ -n "$TA_O" ]; then
  RA=$(ratio "$(median <<<"$TA_O")" "$(median <<<"$TA_H")")
  row "load|task-mode all end to end ($ALL_OPS writes during it) vs mydumper + myloader -e + native replication|$(median <<<"$TA_O")s|s|$(median <<<"$TA_H")s (runs: ours $TA_O/ by hand $TA_H)|$RA|>= 1.0|$(verdict "$RA" 1.0)"
fi
row "load|dm-worker peak RSS during the loads|$((RSS_LOAD / 1024))|MiB||||"
has insert && row "load|dm-worker peak RSS, DMGW_LOAD_INFILE=0 (INSERTs)|$(( $(awk '/VmHWM/{print $2}' "/proc/$W3PID/status") / 1024 ))|MiB||||"
has nodefer && row "load|dm-worker peak RSS, DMGW_LOAD_DEFER_KEYS=0|$(( $(awk '/VmHWM/{print $2}' "/proc/$W2PID/status") / 1024 ))|MiB||||"
row "load|dm-worker peak RSS during dump+load|$((RSS / 1024))|MiB||||"
