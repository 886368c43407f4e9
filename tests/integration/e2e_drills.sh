#!/usr/bin/env bash
# End-to-end fault drills, CI form: scripts/drills.sh --short (kill -9 dm-worker and dm-master
# restart under sysbench write load, each followed by a chunk-by-chunk source/target comparison
# and pt-table-sync --print). Exits non-zero on any failed check or any difference.
# Needs sysbench, mariadb server/client, curl, python3 (pt-table-sync optional second opinion).
set -uo pipefail
ROOT="${DMGW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export DMGW_BIN="${DMGW_BIN:-$ROOT/build/bin}"
if ! command -v sysbench >/dev/null 2>&1; then
  echo "SKIP - sysbench is not installed"
  exit 0   # the project convention for a missing tool (see dmctl_interactive.sh)
fi
"$ROOT/scripts/drills.sh" --short "$@"
