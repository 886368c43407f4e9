#!/usr/bin/env bash
# test.sh - the README's test command: install dependencies, build with -Werror, run
# every test (unit, fuzz-corpus replay, integration with real MariaDB and real daemons),
# then the same unit tests under ASan+UBSan. Exit status non-zero on any failure.
#   DMGW_TEST_SANITIZERS=0  skip the ASan/UBSan pass
#   DMGW_TEST_TSAN=0        skip the ThreadSanitizer pass (gateway, rpc, master unit tests)
#   DMGW_TEST_FUZZ=0        skip the short libFuzzer smoke (clang)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="$(nproc)"

# A test killed by its timeout cannot stop the servers and daemons it started. Every process
# this run starts inherits DMGW_RUN_ID; when this script ends it stops exactly those (and no
# other run's test servers on the same host).
export DMGW_RUN_ID="test-$$-$(date +%s%N)"
cleanup_strays() {
  local p
  for p in $(pgrep -x 'mariadbd|dm-worker|dm-master|dm-gateway' 2>/dev/null); do
    if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qx "DMGW_RUN_ID=$DMGW_RUN_ID"; then
      kill -TERM "$p" 2>/dev/null || true
    fi
  done
}
trap cleanup_strays EXIT

"$ROOT/scripts/setup.sh" "$ROOT/build" -DDMGW_WERROR=ON

LOG="$(mktemp)"
trap 'cleanup_strays; rm -f "$LOG"' EXIT

echo "== tests (build/) =="
ctest --test-dir "$ROOT/build" --output-on-failure -j"$JOBS" --timeout 900 -LE bench | tee -a "$LOG"

if [ "${DMGW_TEST_SANITIZERS:-1}" = 1 ]; then
  echo "== unit tests under ASan+UBSan (build-asan/) =="
  cmake -S "$ROOT" -B "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DDMGW_WERROR=ON \
        -DDMGW_ASAN=ON -DDMGW_UBSAN=ON >/dev/null
  cmake --build "$ROOT/build-asan" -j"$JOBS"
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir "$ROOT/build-asan" --output-on-failure \
        -j"$JOBS" -L unit --timeout 900 | tee -a "$LOG"
fi

if [ "${DMGW_TEST_TSAN:-1}" = 1 ]; then
  # Data races in the multi-threaded parts (issue 18): the gateway in process (MHD threads +
  # the rpc client thread: test_openapi_contract drives every route), rpc/ (client, server,
  # streams) and dm-master's DDL coordination. -O1 keeps the pass short. gRPC and
  # libmicrohttpd are not instrumented: scripts/tsan.supp says what that hides, and rpc/
  # tells TSan about the completion queue's ordering (rpc_int.h). Under TSan everything is
  # 5-15x slower, so a deadline-sensitive assertion may fail here: this pass fails on
  # ThreadSanitizer reports only (the normal pass above checks behaviour).
  echo "== data races: gateway, rpc and master unit tests under TSan (build-tsan/) =="
  TSAN_TESTS='^(rpc/test_rpc_call|rpc/test_rpc_call_h2|rpc/test_rpc_stream|gateway/test_openapi_contract|gateway/test_idem|gateway/test_auth_cache|gateway/test_http_framing|gateway/test_http_attack5|gateway/test_http_attack6|gateway/test_http_attack7|gateway/test_http_loop_shed|master/test_ddl)$'
  cmake -S "$ROOT" -B "$ROOT/build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDMGW_WERROR=ON \
        -DDMGW_TSAN=ON -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
  cmake --build "$ROOT/build-tsan" -j"$JOBS" --target unit_rpc_test_rpc_call unit_rpc_test_rpc_stream \
        unit_gateway_test_openapi_contract unit_gateway_test_idem unit_gateway_test_auth_cache \
        unit_gateway_test_http_framing unit_gateway_test_http_attack5 unit_gateway_test_http_attack6 \
        unit_gateway_test_http_attack7 unit_gateway_test_http_loop_shed unit_master_test_ddl
  TSAN_LOG="$(mktemp)"
  TSAN_OPTIONS="suppressions=$ROOT/scripts/tsan.supp second_deadlock_stack=1 exitcode=66 report_thread_leaks=0" \
    ctest --test-dir "$ROOT/build-tsan" --output-on-failure -j"$JOBS" -L unit -R "$TSAN_TESTS" \
          --timeout 600 >"$TSAN_LOG" 2>&1 || true
  grep -E '^ *[0-9]+/[0-9]+ Test ' "$TSAN_LOG" || true
  if grep -q 'WARNING: ThreadSanitizer' "$TSAN_LOG"; then
    awk '/WARNING: ThreadSanitizer/{p=1} p{print} /^SUMMARY: ThreadSanitizer/{p=0}' "$TSAN_LOG" | head -200
    echo "TSan: $(grep -c 'WARNING: ThreadSanitizer' "$TSAN_LOG") report(s)"
    rm -f "$TSAN_LOG"
    exit 1
  fi
  echo "TSan: no reports (failures above without a report are timing under TSan, see the normal pass)"
  rm -f "$TSAN_LOG"
fi

if [ "${DMGW_TEST_FUZZ:-1}" = 1 ]; then
  echo "== libFuzzer smoke (build-fuzz/) =="
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$ROOT/build-fuzz" -DCMAKE_BUILD_TYPE=Debug -DDMGW_FUZZ=ON \
        -DDMGW_TESTS=ON >/dev/null
  targets="$(cmake --build "$ROOT/build-fuzz" --target help | sed -n 's/^\.\.\. \(fuzz_[a-z0-9_]*\).*/\1/p')"
  for t in $targets; do cmake --build "$ROOT/build-fuzz" -j"$JOBS" --target "$t"; done
  for f in "$ROOT"/build-fuzz/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name="$(basename "$f")"; short="${name#fuzz_}"
    corpus="$ROOT/tests/fuzz/corpus/$short"
    work="$(mktemp -d)"
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    dict=()   # tokens of the input's language (tests/fuzz/dict/<name>.dict), if any
    [ -f "$ROOT/tests/fuzz/dict/$short.dict" ] && dict=("-dict=$ROOT/tests/fuzz/dict/$short.dict")
    echo "-- $name (20 s)"
    "$f" -max_total_time=20 -rss_limit_mb=2048 "${dict[@]}" "$work" >"$work.log" 2>&1 || { tail -50 "$work.log"; exit 1; }
    tail -1 "$work.log"
    rm -rf "$work" "$work.log"
  done
fi
# one closing line over every ctest pass above (ctest prints "... 0 tests failed out of N")
total="$(sed -n 's/.* tests failed out of \([0-9]*\).*/\1/p' "$LOG" | awk '{s+=$1} END {print s+0}')"
echo "test.sh: all passed"
echo "tests: ${total:-0} passed, 0 failed"
