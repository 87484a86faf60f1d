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
# In parallel. A file with a failing test is run once more, alone: some unit tests time real processes and
# timers, and the parallel run loads the 2 cores. Passing alone, it is named FLAKY at the end of this step.
unit_out=$(mktemp)
if ! node --test --test-reporter=spec "${UNIT[@]}" 2>&1 | tee "$unit_out"; then
  mapfile -t UFAIL < <(grep -oE 'test at dist/test/unit/[^:]+\.test\.js' "$unit_out" | sed 's/^test at //' | sort -u)
  if [ ${#UFAIL[@]} -eq 0 ]; then
    status=1
  fi
  for f in "${UFAIL[@]}"; do
    echo "-- $f failed in the parallel run: running it once more, alone"
    if node --test --test-reporter=spec "$f"; then
      echo "FLAKY (failed in the parallel run, passed alone): $f"
    else
      echo "FAILED (twice): $f"
      status=1
    fi
  done
fi
rm -f "$unit_out"

if [ "$(id -u)" = 0 ]; then
  # Safety net: whatever a crashed test left behind goes, even on failure.
  trap 'node bin/run.js lab down --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology pacemaker --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology bond --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology heartbeat --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology lvs --quiet >/dev/null 2>&1 || true; node bin/run.js lab down --topology gluster --quiet >/dev/null 2>&1 || true' EXIT
  echo "== integration tests (${#INTEG[@]} files, one at a time, as root)"
  # One file at a time. A file that fails is run once more, on a fresh lab (each file builds and tears down its
  # own): the labs' timings are real packets and real daemons on a shared 2-core machine, and a timing checked
  # against the protocol's formula can miss under a burst of load. A file that passes only on its second run
  # is named below as FLAKY (the suite passes, the line stays in the log to be looked at); a file that fails
  # twice fails the suite.
  # HACHAOS_TEST_LOCK=FILE (machines shared by several checkouts): each file holds that lock (flock) while it
  # runs, so other checkouts' lab tests interleave by file instead of colliding.
  run_file() {
    if [ -n "${HACHAOS_TEST_LOCK:-}" ]; then
      flock "$HACHAOS_TEST_LOCK" node --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec "$1"
    else
      node --test --test-concurrency=1 --test-timeout=900000 --test-reporter=spec "$1"
    fi
  }
  flaky=()
  failed=()
  # Each file must take down every lab it brought up. What is left under the lab root after a file is named
  # (LEFTOVER) so the file that leaks is the one blamed, not the next file that trips over it.
  leftovers() {
    local root="${HACHAOS_LAB_ROOT:-/run/hachaos/labs}" d
    for d in "$root"/*/; do
      [ -f "$d/inventory.yaml" ] && echo "LEFTOVER after $1: lab $(basename "$d") is still up"
    done
    return 0
  }
  for f in "${INTEG[@]}"; do
    echo "-- $f"
    if run_file "$f"; then
      leftovers "$f"
      continue
    fi
    leftovers "$f"
    echo "-- $f failed: running it once more"
    if run_file "$f"; then
      flaky+=("$f")
    else
      failed+=("$f")
      status=1
    fi
  done
  echo "== integration: ${#INTEG[@]} files, $((${#INTEG[@]} - ${#flaky[@]} - ${#failed[@]})) passed at once, ${#flaky[@]} passed on the second run, ${#failed[@]} failed twice"
  for f in "${flaky[@]}"; do echo "FLAKY (failed once, passed on the second run): $f"; done
  for f in "${failed[@]}"; do echo "FAILED (twice): $f"; done
else
  echo "== integration tests SKIPPED: they need root (network namespaces, real daemons)" >&2
  status=1
fi
exit $status
