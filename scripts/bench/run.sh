#!/usr/bin/env bash
# run.sh - run every benchmark and print one table; write it to docs/benchmarks.md
# ("## Latest run", with nproc, CPU model, memory, date).
#   scripts/bench/run.sh [--quick] [--no-build] [--no-doc] [--only "gateway gateway_peer fanout fanout_scripted apply load relay"]
# Each benchmark compares against a baseline measured in the same invocation; nothing here
# fails on a slow number (MISS is informational). A benchmark that cannot run (a component
# missing or broken) is reported as FAILED in the table and the others still run.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
QUICK=(); BUILD=1; DOC=1; ONLY="gateway gateway_peer fanout fanout_scripted apply load relay"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=(--quick); shift;;
    --no-build) BUILD=0; shift;;
    --no-doc) DOC=0; shift;;
    --only) ONLY="$2"; shift 2;;
    -h|--help) sed -n '2,7p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done

if [ "$BUILD" = 1 ]; then
  echo "run.sh: building $ROOT/build-bench" >&2
  { cmake -S "$ROOT" -B "$ROOT/build-bench" -DDMGW_TESTS=OFF >/dev/null &&
    cmake --build "$ROOT/build-bench" -j2 >"$ROOT/build-bench/bench-build.log" 2>&1; } \
    || { echo "run.sh: build failed (see build-bench/bench-build.log); using what is built" >&2; }
fi

WORK="$(mktemp -d /tmp/dmgw-bench-run.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
export BENCH_RESULTS="$WORK/results" BENCH_DIR="$WORK"
: >"$BENCH_RESULTS"
START="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for b in $ONLY; do
  [ -x "$HERE/$b.sh" ] || { echo "run.sh: no benchmark $b" >&2; continue; }
  echo "run.sh: === $b ${QUICK[*]}" >&2
  t0=$(date +%s)
  extra=(); [ "$b" = apply ] && extra=(--live)   # the issue's lag target needs the live pass
  if ! "$HERE/$b.sh" "${QUICK[@]}" "${extra[@]}" >"$WORK/$b.out" 2>"$WORK/$b.err"; then
    echo "$b|FAILED: $(grep -m1 ERROR "$WORK/$b.err" | sed 's/.*ERROR: //' | tr '|' '/' | head -c 120)||||||" >>"$BENCH_RESULTS"
    tail -n 15 "$WORK/$b.err" >&2
  fi
  echo "run.sh: $b took $(( $(date +%s) - t0 )) s" >&2
  grep -v '^\[' "$WORK/$b.err" | grep -iE 'note|error|warn' | head -5 >&2 || true
done

table() {
  printf '| bench | metric | value | unit | baseline | ratio | target | verdict |\n'
  printf '|---|---|---:|---|---:|---:|---|---|\n'
  awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$BENCH_RESULTS"
}

cpu="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
mem="$(awk '/^MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
mode="full"; [ ${#QUICK[@]} -gt 0 ] && mode="quick"
{
  printf '## Latest run\n\n'
  printf -- '- date: %s, mode: %s (`scripts/bench/run.sh %s`), benchmarks: %s\n' "$START" "$mode" "${QUICK[*]}" "$ONLY"
  printf -- '- machine: %s CPUs (`nproc`), %s, %s RAM, load average at the end %s\n' "$(nproc)" "$cpu" "$mem" "$load"
  printf -- '- every process (MariaDB, dm-*, load generators) shares these CPUs: compare the ratios, not the absolute numbers\n\n'
  table
} >"$WORK/latest.md"

echo
cat "$WORK/latest.md"

if [ "$DOC" = 1 ]; then
  doc="$ROOT/docs/benchmarks.md"
  if [ -f "$doc" ] && grep -q '^## Latest run' "$doc"; then
    # replace from "## Latest run" up to the next "## " heading (or the end)
    awk -v f="$WORK/latest.md" '
      /^## Latest run/ { while ((getline l < f) > 0) print l; skip = 1; next }
      skip && /^## / { skip = 0; print ""; }
      !skip { print }' "$doc" >"$WORK/doc.md" && cp "$WORK/doc.md" "$doc"
  else
    { [ -f "$doc" ] && cat "$doc" && echo; cat "$WORK/latest.md"; } >"$WORK/doc.md" && cp "$WORK/doc.md" "$doc"
  fi
  echo "run.sh: wrote the table to docs/benchmarks.md" >&2
fi
