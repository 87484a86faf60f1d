#!/usr/bin/env bash
# The README's first quick-start command: install what is missing, build the lab, run a failover drill
# against lb1 and print its report, then remove the lab. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
trap 'node bin/run.js lab down --quiet >/dev/null 2>&1 || true' EXIT
node bin/run.js lab up
node bin/run.js lab status
