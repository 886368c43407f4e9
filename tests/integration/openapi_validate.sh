#!/usr/bin/env bash
# openapi_validate.sh - openapi/openapi.yaml is a valid OpenAPI 3.0 document according to
# openapi-spec-validator (an independent implementation of the OpenAPI schema; the image's
# Python has it). tests/unit/routes/test_router.c checks routes <-> operations and
# tests/unit/gateway/test_openapi_contract.c checks real answers against the schemas.
set -euo pipefail
ROOT="${DMGW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
if ! python3 -c 'import openapi_spec_validator, yaml' 2>/dev/null; then
  echo "SKIP: python3 module openapi_spec_validator not installed (pip registry unreachable here)"
  exit 0
fi
python3 - "$ROOT/openapi/openapi.yaml" <<'PY'
import sys, yaml
from openapi_spec_validator import validate
with open(sys.argv[1]) as f:
    doc = yaml.safe_load(f)
validate(doc)
ops = sum(1 for p in doc["paths"].values() for m in p if m in ("get", "put", "post", "patch", "delete"))
print(f"ok - {sys.argv[1]} is valid OpenAPI {doc['openapi']} ({ops} operations)")
PY
echo "1 passed, 0 failed"
