#!/usr/bin/env bash
# quickstart.sh - the README's "run" command: install + build, then bring up the local
# stack (source + target MariaDB, dm-worker, dm-master, dm-gateway) and print a token
# and a curl example. Stop it with: scripts/stack down
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/setup.sh" "$ROOT/build"
exec "$ROOT/scripts/stack" up
