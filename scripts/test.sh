#!/usr/bin/env bash
# The whole test suite: unit tests (in parallel), then integration tests in the labs (one file at a time:
# they build labs, and labs must not run concurrently). Integration tests need root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

mapfile -t UNIT < <(find dist/test/unit -name '*.test.js' | sort)
mapfile -t INTEG < <(find dist/test/integration -name '*.test.js' 2>/dev/null | sort)
status=0

echo "== unit tests (${#UNIT[@]} files)"
node --test --test-reporter=spec "${UNIT[@]}" || status=1

if [ "$(id -u)" = 0 ]; then
  # Safety net: whatever a crashed test left behind goes, even on failure.
  trap 'node bin/run.js lab down --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology pacemaker --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology bond --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology heartbeat --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology lvs --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology gluster --quiet >/dev/null 2>&1 || true' EXIT
  echo "== integration tests (${#INTEG[@]} files, one at a time, as root)"
  if [ ${#INTEG[@]} -gt 0 ]; then
    node --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec "${INTEG[@]}" || status=1
  fi
else
  echo "== integration tests SKIPPED: they need root (network namespaces, real daemons)" >&2
  status=1
fi
exit $status
